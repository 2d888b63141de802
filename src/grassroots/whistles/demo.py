"""Demo whistles (吹哨报到) for the demo city: a few live ones — an emergency blown twenty
minutes ago with one department on site and one still on its way, a tough whistle answered
late, a routine one whose department never came — and a history of solved whistles over the
last months with their ratings and flags, so the board, the inbox, the flags and the league
table are alive on first sign-in.

Rows are written directly with their own times (the services stamp `now`), following the
same rules the services apply: deadlines from `report_in_deadline`, one flag per fact, the
timeline mirrored on the ticket a whistle hangs off.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from grassroots.accounts.models import Role, User
from grassroots.core.audit import audit_log
from grassroots.territory.models import Area, AreaKind, Department
from grassroots.tickets.models import (
    ACTIVE_STATES,
    CLOSED_STATES,
    HandlingLevel,
    Ticket,
    TicketEvent,
)
from grassroots.tickets.rates import current_month, next_month

from .measures import snapshot_month
from .models import (
    DepartmentRating,
    Flag,
    FlagKind,
    ReportMode,
    Summons,
    SummonsState,
    Whistle,
    WhistleEvent,
    WhistleEventKind,
    WhistleKind,
    WhistleRating,
    WhistleReason,
    WhistleState,
)
from .services import (
    escalation_note,
    no_show_detail,
    report_in_deadline_info,
    ticket_event_fields,
)

log = logging.getLogger(__name__)

HISTORY_WHISTLES = 12  # solved whistles per street over the last months

PROBLEMS = [
    (WhistleReason.EMERGENCY, "主干路雨水井塌陷", "路面塌陷约一平方米，已设围挡，需抢修。"),
    (WhistleReason.EMERGENCY, "小区供水管爆裂", "地下管道爆裂，三栋楼停水，路面积水。"),
    (WhistleReason.ENFORCEMENT, "沿街商户占道经营", "多家商户长期占用人行道，劝导无效。"),
    (WhistleReason.ENFORCEMENT, "夜间施工扰民", "工地夜间施工到凌晨，居民反映强烈。"),
    (WhistleReason.ENFORCEMENT, "违规搭建彩钢房", "楼顶搭建彩钢房，存在安全隐患。"),
    (WhistleReason.BEYOND_STREET, "老旧小区雨污管网改造", "雨季反复返水，需住建部门统筹改造。"),
    (WhistleReason.BEYOND_STREET, "餐饮油烟直排", "底商餐馆油烟直排，居民多次投诉。"),
    (WhistleReason.BEYOND_STREET, "无主垃圾堆放", "空地堆放建筑垃圾，产权单位不明。"),
]
COMMITMENTS = [
    "半小时内到场处置",
    "今天下班前拿出方案",
    "三个工作日内完成整改",
    "明天上午联合执法",
]
ACTIONS = [
    "已到现场查看，设置警示标志。",
    "已约谈当事方，责令限期整改。",
    "已安排施工队，明日进场。",
    "已完成处置，请街道复核。",
]


@dataclass
class Script:
    """One whistle and what happens to it, in order."""

    whistle: Whistle
    rows: list[Summons] = field(default_factory=list)
    events: list[WhistleEvent] = field(default_factory=list)
    department_ratings: list[DepartmentRating] = field(default_factory=list)
    whistle_ratings: list[WhistleRating] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)


class Builder:
    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.scripts: list[Script] = []

    def whistle(
        self,
        *,
        whistler: User,
        area: Area,
        street: Area,
        kind: str,
        problem: tuple[str, str, str],
        at: datetime,
        ticket: Ticket | None,
    ) -> Script:
        reason, title, description = problem
        whistle = Whistle(
            kind=kind,
            reason=reason,
            title=title,
            description=description,
            address=ticket.address if ticket is not None else f"{area.name}辖区",
            ticket=ticket,
            area=area,
            area_path=area.path,
            street=street,
            whistler=whistler,
            created_at=at,
            updated_at=at,
        )
        script = Script(whistle)
        self.scripts.append(script)
        self.event(
            script,
            WhistleEventKind.BLOWN,
            whistler,
            at,
            f"{whistle.get_kind_display()} · {whistle.get_reason_display()}",
        )
        return script

    def event(
        self,
        script: Script,
        kind: str,
        actor: User | None,
        at: datetime,
        note: str = "",
        summons: Summons | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        script.events.append(
            WhistleEvent(
                whistle=script.whistle,
                summons=summons,
                street=script.whistle.street,
                kind=kind,
                actor=actor,
                actor_label=actor.display_name if actor is not None else "系统",
                created_at=at,
                note=note,
                data=data or {},
            )
        )

    def summon(self, script: Script, department: Department, at: datetime) -> Summons:
        due = report_in_deadline_info(script.whistle.kind, at)
        report_by = due.at
        summons = Summons(
            whistle=script.whistle,
            department=department,
            street=script.whistle.street,
            created_at=at,
            report_by=report_by,
            deadline_provisional=due.provisional,
            remind_at=at + (report_by - at) / 2,
        )
        script.rows.append(summons)
        self.event(script, WhistleEventKind.SUMMONED, script.whistle.whistler, at, summons=summons)
        return summons

    def report(self, script: Script, summons: Summons, officer: User, after: timedelta) -> None:
        at = summons.created_at + after
        mode = self.rng.choice([ReportMode.ON_SITE, ReportMode.ON_SITE, ReportMode.REMOTE])
        commitment = self.rng.choice(COMMITMENTS)
        summons.state = SummonsState.REPORTED
        summons.reported_at, summons.reported_by = at, officer
        summons.report_mode, summons.commitment = mode, commitment
        late = at > summons.report_by
        if at >= summons.remind_at:
            summons.reminded_at = summons.remind_at
            self.event(script, WhistleEventKind.REMINDED, None, summons.remind_at, summons=summons)
        self.event(
            script,
            WhistleEventKind.REPORTED_IN,
            officer,
            at,
            f"{ReportMode(mode).label}：{commitment}",
            summons,
            {"mode": mode, "late": late},
        )
        if late:
            minutes = int((at - summons.report_by).total_seconds() // 60)
            self.flag(
                script,
                FlagKind.LATE_REPORT_IN,
                summons,
                at,
                f"{summons.department} 在 {{number}} 中超过报到时限 {minutes} 分钟才报到。",
                {"late_minutes": minutes},
            )

    def act(self, script: Script, summons: Summons, officer: User, at: datetime) -> None:
        self.event(script, WhistleEventKind.ACTION, officer, at, self.rng.choice(ACTIONS), summons)

    def miss(self, script: Script, summons: Summons) -> None:
        """The deadline passed with no report-in: the sweep's reminder, escalation and flag."""
        summons.reminded_at, summons.escalated_at = summons.remind_at, summons.report_by
        self.event(script, WhistleEventKind.REMINDED, None, summons.remind_at, summons=summons)
        self.event(
            script, WhistleEventKind.ESCALATED, None, summons.report_by, "{no_show}", summons
        )
        self.flag(script, FlagKind.NO_SHOW, summons, summons.report_by, "{no_show}")

    def flag(
        self,
        script: Script,
        kind: str,
        summons: Summons,
        at: datetime,
        detail: str,
        data: dict[str, Any] | None = None,
    ) -> None:
        whistle = script.whistle
        script.flags.append(
            Flag(
                kind=kind,
                department=summons.department,
                summons=summons,
                area_path=whistle.area_path,
                street=whistle.street,
                detail=detail,
                data=data or {},
                created_at=at,
            )
        )

    def confirm(self, script: Script, at: datetime, note: str) -> None:
        whistle = script.whistle
        whistle.state, whistle.solved_at, whistle.solved_note = WhistleState.SOLVED, at, note
        whistle.updated_at = at
        self.event(script, WhistleEventKind.CONFIRMED, whistle.whistler, at, note)
        for summons in script.rows:
            if summons.state == SummonsState.REPORTED:
                summons.state, summons.closed_at, summons.close_note = (
                    SummonsState.CONFIRMED,
                    at,
                    note,
                )
            elif summons.state == SummonsState.SUMMONED:
                summons.state, summons.closed_at = SummonsState.RELEASED, at
                summons.close_note = "问题已解决，部门未报到。"

    def rate(self, script: Script, summons: Summons, at: datetime, scores: tuple[int, ...]) -> None:
        whistle = script.whistle
        t, a, r = scores
        script.department_ratings.append(
            DepartmentRating(
                summons=summons,
                department=summons.department,
                street=whistle.street,
                timeliness=t,
                attitude=a,
                result=r,
                rated_by=whistle.whistler,
                created_at=at,
            )
        )
        self.event(
            script,
            WhistleEventKind.RATED_DEPARTMENT,
            whistle.whistler,
            at,
            f"及时 {t} · 态度 {a} · 效果 {r}",
            summons,
            {"timeliness": t, "attitude": a, "result": r},
        )

    def rate_whistle(
        self, script: Script, summons: Summons, officer: User, at: datetime, necessary: bool
    ) -> None:
        comment = "" if necessary else "属街道职责范围，可自行协调解决。"
        script.whistle_ratings.append(
            WhistleRating(
                summons=summons,
                whistle=script.whistle,
                street=script.whistle.street,
                necessary=necessary,
                comment=comment,
                rated_by=officer,
                created_at=at,
            )
        )
        self.event(
            script,
            WhistleEventKind.RATED_WHISTLE,
            officer,
            at,
            ("确有必要" if necessary else "没有必要") + (f"：{comment}" if comment else ""),
            summons,
            {"necessary": necessary},
        )


def _officer_for(department: Department, officers: dict[int, User], fallback: User) -> User:
    return officers.get(department.pk, fallback)


def load_demo_whistles(*, seed: int, now: datetime | None = None) -> dict[str, int]:
    """Write the demo whistles for every street that has a street leader account."""
    now = now or timezone.now()
    rng = random.Random(f"whistles-{seed}")  # noqa: S311  (repeatable demo data, no secret)
    leaders = list(
        User.objects.filter(role=Role.STREET_LEADER, is_active=True).prefetch_related("scope_areas")
    )
    secretaries = list(
        User.objects.filter(role=Role.COMMUNITY_SECRETARY, is_active=True).prefetch_related(
            "scope_areas"
        )
    )
    officers: dict[int, User] = {}
    for user in User.objects.filter(role=Role.DEPARTMENT_OFFICER, is_active=True).order_by("pk"):
        for department_id in user.scope_departments.values_list("id", flat=True):
            officers.setdefault(department_id, user)
    builder = Builder(rng, now)
    for leader in leaders:
        streets = [
            a for a in leader.scope_areas.all() if a.kind in (AreaKind.STREET, AreaKind.TOWNSHIP)
        ]
        for street in streets:
            secretary = next(
                (
                    s
                    for s in secretaries
                    for a in s.scope_areas.all()
                    if a.path.startswith(street.path)
                ),
                None,
            )
            _street(builder, rng, now, street, leader, secretary, officers)
    counts = _write(builder.scripts)
    months, month = [], current_month(now - timedelta(days=120))
    while month <= current_month(now):
        months.append(month)
        month = next_month(month)
    for month in months:
        snapshot_month(month)
    counts["whistle_snapshots"] = len(months)
    if builder.scripts:
        audit_log(action="whistles.demo_load", data={"seed": seed, **counts})
    return counts


def _street(
    builder: Builder,
    rng: random.Random,
    now: datetime,
    street: Area,
    leader: User,
    secretary: User | None,
    officers: dict[int, User],
) -> None:
    district_path = street.path[: Area.steplen]
    departments = list(
        Department.objects.filter(
            is_active=True, area__path__in=[district_path, street.path]
        ).order_by("code")
    )
    if len(departments) < 2 or not officers:
        return
    anyone = next(iter(officers.values()))
    tickets = list(
        Ticket.objects.filter(
            street=street, category__handling_level=HandlingLevel.DEPARTMENT
        ).order_by("created_at")
    )
    open_tickets = [t for t in tickets if t.state in ACTIVE_STATES]
    done_tickets = [t for t in tickets if t.state in CLOSED_STATES]
    by_code = {d.code: d for d in departments}
    cgw, zjw = by_code.get("D-CGW", departments[0]), by_code.get("D-ZJW", departments[1])
    others = [d for d in departments if d not in (cgw, zjw)] or [cgw]

    def officer(d: Department) -> User:
        return _officer_for(d, officers, anyone)

    # 1. Live emergency: blown 20 minutes ago; 城管委 on site after 12, 住建委 still due.
    at = now - timedelta(minutes=20)
    s = builder.whistle(
        whistler=leader,
        area=street,
        street=street,
        kind=WhistleKind.EMERGENCY,
        problem=PROBLEMS[1],
        at=at,
        ticket=open_tickets.pop() if open_tickets else None,
    )
    a, b = builder.summon(s, cgw, at), builder.summon(s, zjw, at)
    builder.report(s, a, officer(cgw), timedelta(minutes=12))
    builder.act(s, a, officer(cgw), at + timedelta(minutes=16))
    b.reminded_at = b.remind_at
    builder.event(s, WhistleEventKind.REMINDED, None, b.remind_at, summons=b)
    # 2. Tough whistle yesterday morning, answered late, being handled.
    at = now - timedelta(hours=30)
    s = builder.whistle(
        whistler=leader,
        area=street,
        street=street,
        kind=WhistleKind.TOUGH,
        problem=PROBLEMS[3],
        at=at,
        ticket=None,
    )
    c = builder.summon(s, others[0], at)
    builder.report(s, c, officer(others[0]), timedelta(hours=26))
    builder.act(s, c, officer(others[0]), at + timedelta(hours=28))
    # 3. Routine whistle by the community a week ago: the department never came.
    if secretary is not None:
        community = next(a for a in secretary.scope_areas.all() if a.path.startswith(street.path))
        at = now - timedelta(days=7)
        s = builder.whistle(
            whistler=secretary,
            area=community,
            street=street,
            kind=WhistleKind.ROUTINE,
            problem=PROBLEMS[7],
            at=at,
            ticket=None,
        )
        d = builder.summon(s, others[-1], at)
        if d.report_by < now:
            builder.miss(s, d)
    # 4. History: solved whistles over the last four months.
    for n in range(HISTORY_WHISTLES):
        at = now - timedelta(days=rng.randint(10, 120), hours=rng.randint(0, 10))
        at = at.replace(hour=rng.randint(1, 9), minute=rng.randint(0, 59))  # 09:00–17:59 local
        kind = rng.choice(
            [WhistleKind.EMERGENCY, WhistleKind.TOUGH, WhistleKind.ROUTINE, WhistleKind.ROUTINE]
        )
        problem = PROBLEMS[n % len(PROBLEMS)]
        ticket = done_tickets.pop() if done_tickets and rng.random() < 0.4 else None
        if ticket is not None and ticket.created_at + timedelta(days=2) < now:
            at = ticket.created_at + timedelta(hours=rng.randint(4, 30))  # while it was open
        s = builder.whistle(
            whistler=leader,
            area=street,
            street=street,
            kind=kind,
            problem=problem,
            at=at,
            ticket=ticket,
        )
        called = rng.sample(departments, k=min(len(departments), rng.choice([1, 1, 2])))
        rows = [builder.summon(s, dept, at) for dept in called]
        window = rows[0].report_by - at
        last = at
        for summons in rows:
            who = officer(summons.department)
            luck = rng.random()
            if luck < 0.75:  # on time
                builder.report(s, summons, who, window * rng.uniform(0.1, 0.9))
            elif luck < 0.9:  # late
                builder.report(s, summons, who, window * rng.uniform(1.1, 2.0))
            else:
                builder.miss(s, summons)
                continue
            assert summons.reported_at is not None
            acted = summons.reported_at + timedelta(hours=rng.randint(1, 20))
            builder.act(s, summons, who, acted)
            last = max(last, acted)
        if n == 3 and rows[0].state == SummonsState.REPORTED:
            # Left before anyone confirmed: 事不完、人不撤 broken, and flagged.
            summons = rows[0]
            left = last + timedelta(hours=2)
            summons.state, summons.closed_at = SummonsState.WITHDRAWN, left
            summons.close_note = "人手不足，先撤回。"
            builder.event(
                s,
                WhistleEventKind.WITHDRAWN,
                officer(summons.department),
                left,
                summons.close_note,
                summons,
            )
            builder.flag(
                s,
                FlagKind.WITHDRAWN,
                summons,
                left,
                f"{summons.department} 未经吹哨方确认即撤离 {{number}}：{summons.close_note}",
            )
        solved = last + timedelta(hours=rng.randint(2, 30))
        builder.confirm(s, solved, "问题已解决，居民满意。")
        for summons in rows:
            if summons.reported_at is None:
                continue
            late = summons.reported_at > summons.report_by
            scores = (
                (rng.randint(2, 3), rng.randint(3, 4), rng.randint(3, 5))
                if late
                else (rng.randint(4, 5), rng.randint(4, 5), rng.randint(3, 5))
            )
            builder.rate(s, summons, solved + timedelta(minutes=30), scores)
            if rng.random() < 0.8:
                builder.rate_whistle(
                    s,
                    summons,
                    officer(summons.department),
                    solved + timedelta(hours=2),
                    rng.random() < 0.85,
                )


def _write(scripts: list[Script]) -> dict[str, int]:
    counts = dict.fromkeys(["whistles", "summonses", "whistle_events", "flags"], 0)
    with transaction.atomic():
        for script in sorted(scripts, key=lambda s: s.whistle.created_at):
            whistle = script.whistle
            whistle.save()
            whistle.number = f"WS-{timezone.localtime(whistle.created_at):%Y%m%d}-{whistle.pk:06d}"
            Whistle.objects.filter(pk=whistle.pk).update(number=whistle.number)
            for summons in script.rows:
                summons.whistle = whistle
                summons.save()
            for flag in script.flags:
                flag.summons = flag.summons  # re-bind the saved summons
                flag.detail = flag.detail.format(
                    number=whistle.number,
                    no_show=no_show_detail(flag.summons) if flag.summons else "",
                )
            for event in script.events:
                event.whistle = whistle
                event.summons = event.summons
                if event.note == "{no_show}" and event.summons is not None:
                    event.note = escalation_note(event.summons)
            script.events.sort(key=lambda e: e.created_at)
            WhistleEvent.objects.bulk_create(script.events)
            if whistle.ticket_id is not None:
                TicketEvent.objects.bulk_create(
                    [TicketEvent(**ticket_event_fields(whistle, e)) for e in script.events]
                )
            for rating in script.department_ratings:
                rating.summons = rating.summons
                rating.save()
            for whistle_rating in script.whistle_ratings:
                whistle_rating.summons = whistle_rating.summons
                whistle_rating.whistle = whistle
                whistle_rating.save()
            Flag.objects.bulk_create(script.flags)
            counts["whistles"] += 1
            counts["summonses"] += len(script.rows)
            counts["whistle_events"] += len(script.events)
            counts["flags"] += len(script.flags)
    return counts
