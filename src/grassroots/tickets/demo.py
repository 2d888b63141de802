"""Demo requests (工单) for the demo city: a few hundred tickets over the last four months, in
every state, so that queues, the desk, timelines and the 三率 are alive on first run.

Each ticket is played through the lifecycle in memory — dispatch, return, accept, respond,
resolve, review, reopen, supervision, warnings and overdue marks — by `Story`, which changes
the same fields and appends the same events as the services in `tickets.services` do, with the
clocks from `core.worktime`; the play stops where "now" cuts it. Rows are then written in bulk
(tickets, numbers from their ids, events, reviews, extensions, followers), one summary audit
row for all of them, and the past months are snapshotted. Going through the services one by
one would take minutes and fill the inbox and the audit log with the demo's invented acts.

Dates are relative to now and everything else comes from one `random.Random(seed)`, so the
same seed and the same moment give the same tickets. A handful of scripted tickets make sure
the demo accounts have work waiting: the resident 13800138000 has a request to rate, the grid
worker a queue (one overdue and supervised, one with an extension waiting), the dispatcher new
and returned tickets, the department officer tickets of 区城市管理委员会.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat, LPad
from django.utils import timezone

from grassroots.accounts.models import Role, User
from grassroots.core.audit import audit_log
from grassroots.core.worktime import LOCAL, Deadline, deadline_info
from grassroots.territory.models import Area, AreaKind, Department, Resident

from .models import (
    ACTIVE_STATES,
    Category,
    Channel,
    EventKind,
    Extension,
    ExtensionStatus,
    RequestType,
    Review,
    Satisfaction,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketState,
    Urgency,
)
from .rates import current_month, next_month, snapshot_month
from .services.common import _on_time
from .services.review import review_row

log = logging.getLogger(__name__)

HISTORY_DAYS = 120
TICKETS_PER_GRID = 25
MAX_TICKETS = 3000
SWEEP_LAG = timedelta(minutes=3)  # the clock sweep runs every few minutes
BATCH = 1000

# How often each leaf comes up (relative weights; an unknown leaf counts 1).
CATEGORY_WEIGHTS = {
    "0101": 14, "0102": 5, "0103": 4, "0104": 3, "0105": 2,
    "0201": 8, "0202": 4, "0203": 0.5, "0204": 5, "0205": 2,
    "0301": 8, "0302": 2, "0303": 3, "0304": 3,
    "0401": 3, "0402": 2, "0403": 3, "0404": 3,
    "0501": 3, "0502": 2, "0503": 0.5, "0504": 4, "0505": 1,
    "0601": 0.3, "0602": 0.5, "0603": 3, "0604": 3, "0605": 1,
    "0701": 3, "0702": 0.5, "0703": 1, "0704": 1,
    "0801": 3, "0802": 1, "0803": 4, "0804": 4, "0805": 1,
    "0901": 4, "0902": 4, "0903": 3, "0904": 1,
    "1001": 2, "1002": 1, "1003": 1, "1004": 1,
    "1101": 3, "1102": 2, "1103": 2, "1104": 1, "1105": 1,
    "9901": 2, "9902": 1,
}  # fmt: skip

DESCRIPTIONS = {
    "0101": "楼下垃圾桶满了，已经两天没人清运，气味很大。",
    "0102": "单元门口和电线杆上贴满了开锁、办证小广告。",
    "0103": "小区东门外早市摊贩占道经营，行人只能走机动车道。",
    "0104": "绿地旁夜里有人偷倒装修垃圾，堆了一大堆。",
    "0105": "一楼住户在院里私搭彩钢板房，占用公共空间。",
    "0201": "物业保洁不到位，楼道一周没打扫。",
    "0202": "电梯停运三天了，物业说在等配件，老人上下楼困难。",
    "0203": "电梯停在两层之间，里面有人被困，请马上处理！",
    "0204": "单元门禁坏了，门一直关不上，晚上不安全。",
    "0205": "物业费突然上涨，没有公示也没开业主大会。",
    "0301": "车辆乱停堵住了消防通道和小区出口。",
    "0302": "一辆落满灰的旧车在路边停了半年多，轮胎都瘪了。",
    "0303": "有人在公共车位上私装地锁。",
    "0304": "小区停车位严重不足，晚上车只能停到马路上。",
    "0401": "工地每天晚上十一点以后还在施工，噪音很大。",
    "0402": "沿街商铺用大喇叭循环叫卖，从早到晚。",
    "0403": "广场舞音响声音太大，一直跳到晚上九点半以后。",
    "0404": "楼上装修中午和周末也在电钻敲打。",
    "0501": "整栋楼停水，没有提前通知。",
    "0502": "单元突然停电，冰箱里的药需要冷藏。",
    "0503": "楼道里闻到很重的燃气味，怀疑漏气！",
    "0504": "暖气不热，室内温度只有十五六度。",
    "0505": "自来水发黄，有异味。",
    "0601": "路口路面塌陷出一个大坑，很危险！",
    "0602": "人行道上井盖不见了，晚上容易掉进去。",
    "0603": "小区门口一排路灯都不亮，晚上很黑。",
    "0604": "人行道砖块松动破损，老人容易绊倒。",
    "0605": "路口护栏被撞倒了，一直没修。",
    "0701": "楼前的树枝伸到窗户边，挡光还招虫子。",
    "0702": "大风把路边的树刮倒了，压在车上！",
    "0703": "有人在公共绿地里种菜。",
    "0704": "小区树上虫子很多，掉得到处都是。",
    "0801": "消防通道被杂物和车辆堵住了。",
    "0802": "楼上有人往下扔东西，差点砸到人。",
    "0803": "有人从楼上拉电线给电动车飞线充电。",
    "0804": "楼道里堆满纸箱和旧家具，存在火灾隐患。",
    "0805": "隔壁房子被隔成很多小间群租，进出人员复杂。",
    "0901": "楼上每天深夜跺脚、拖椅子，沟通无果。",
    "0902": "楼上卫生间漏水，我家天花板渗水发霉。",
    "0903": "邻居家狗整夜叫，遛狗也不牵绳。",
    "0904": "邻居在过道加装铁门，影响通行。",
    "1001": "楼里一位独居老人好几天没出门，担心出事。",
    "1002": "想问问社区老年餐桌怎么报名。",
    "1003": "单元门口台阶太高，轮椅上不去，希望加装坡道。",
    "1004": "家里有残疾人，想了解康复辅具怎么申请。",
    "1101": "咨询退休后医保报销比例和异地就医备案。",
    "1102": "需要开具居住证明，想问要带什么材料。",
    "1103": "咨询低保申请条件和办理流程。",
    "1104": "失业了，想了解就业培训和补贴。",
    "1105": "咨询公租房申请条件。",
    "9901": "小区公告栏信息很久没更新。",
    "9902": "建议在小区里多设几个休息座椅。",
}
RESULTS = {
    "01": "已协调环卫和物业现场清理完毕，并加强日常巡查。",
    "02": "已约谈物业服务企业，问题已整改，后续跟踪。",
    "03": "已现场劝导并张贴提示，车辆已挪走，地锁已拆除。",
    "04": "已现场核查并责令整改，噪音问题已解决。",
    "05": "已联系相关企业抢修，现已恢复正常。",
    "06": "已设置警示并完成修复。",
    "07": "已安排园林人员处理完毕。",
    "08": "已组织清理并开展安全宣传，隐患已消除。",
    "09": "已组织双方调解，达成一致意见。",
    "10": "已上门了解情况并对接相应服务。",
    "11": "已电话详细解答，诉求人表示清楚了。",
    "99": "已了解情况并作出答复。",
}
COMMENTS = {
    Satisfaction.SATISFIED: ["处理很及时，谢谢！", "网格员很负责，点赞。", "", ""],
    Satisfaction.BASIC: ["基本解决了，希望以后多巡查。", "解决了，就是慢了点。", ""],
    Satisfaction.UNSATISFIED: ["问题还在，没有真正解决。", "一直没人联系我。"],
}
RETURN_REASONS = ["不属于本单位职责范围，请改派。", "该事项需由街道协调相关部门处理。"]
REJECT_REASONS = [
    ("属于民事合同纠纷，不属于接诉即办受理范围。", "可向人民调解委员会或法院寻求解决"),
    ("诉求内容不明确，多次联系诉求人未果。", "请补充具体位置和情况后重新提交"),
]
# Department-level leaves: which department of the demo handles them ("street" = the street's
# law-enforcement team). Street-level leaves that the law-enforcement team usually takes.
DEPARTMENT_OF = {"0203": "D-SCJ", "0401": "D-HBJ", "0802": "street"}
ENFORCEMENT_LEAVES = {"0103", "0104", "0105", "0402", "0805"}


# ---------------------------------------------------------------------------------------------
# the cast of the demo


@dataclass
class Actors:
    """The demo accounts the tickets hang on, and who acts for units without an account."""

    users: dict[str, User]
    unit_user: dict[str, User]  # an Area path or "dept:<code>" → the account acting for it
    street_user: dict[int, User]  # street id → its dispatcher account
    residents: dict[str, User]  # building path → a resident account living there
    seat: User  # the hotline and review seat where a street has no dispatcher account

    def dispatcher(self, street: Area) -> User:
        return self.street_user.get(street.pk, self.seat)

    def for_unit(self, unit: Area | Department) -> User | None:
        key = unit.path if isinstance(unit, Area) else f"dept:{unit.code}"
        return self.unit_user.get(key)


def _cast(areas: dict[str, Area]) -> Actors:
    logins = ["dispatcher", "dispatcher2", "leader", "staff", "secretary", "gridworker",
              "gridworker2", "officer"]  # fmt: skip
    users = {
        u.username: u
        for u in User.objects.filter(username__in=logins).prefetch_related(
            "scope_areas", "scope_departments"
        )
    }
    unit_user: dict[str, User] = {}
    street_user: dict[int, User] = {}
    # Handlers first, so that the dispatcher does not take over the street's own unit.
    for login in ("gridworker", "gridworker2", "staff", "officer", "dispatcher", "dispatcher2"):
        user = users.get(login)
        if user is None:
            continue
        for area in user.scope_areas.all():
            unit_user.setdefault(area.path, user)
            if user.role == Role.STREET_DISPATCHER:
                street_user.setdefault(area.pk, user)
        for dept in user.scope_departments.all():
            unit_user.setdefault(f"dept:{dept.code}", user)
    residents: dict[str, User] = {}
    for r in Resident.objects.filter(user__isnull=False, user__role=Role.RESIDENT).select_related(
        "user"
    ):
        if r.user is not None and r.area_path in areas:
            residents.setdefault(r.area_path, r.user)
    seat = users.get("dispatcher") or User.objects.filter(role=Role.STREET_DISPATCHER).first()
    if seat is None:
        raise ValueError("the demo tickets need a street dispatcher account")
    return Actors(users, unit_user, street_user, residents, seat)


# ---------------------------------------------------------------------------------------------
# one ticket's story


class Clock:
    """worktime deadlines, remembered: for days and working days the answer depends on the
    start's date only, and each call would read the holiday table again."""

    def __init__(self) -> None:
        self.seen: dict[tuple[date, int, str], Deadline] = {}

    def __call__(self, start: datetime, amount: int, unit: str) -> Deadline:
        if unit == "hours":
            return Deadline(start + timedelta(hours=amount))
        key = (timezone.localtime(start, LOCAL).date(), amount, unit)
        if key not in self.seen:
            self.seen[key] = deadline_info(start, amount, unit)
        return self.seen[key]


@dataclass
class Story:
    """A ticket played through its lifecycle in memory, as the services would change it."""

    ticket: Ticket
    clock: Clock
    events: list[TicketEvent] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)
    followers: list[TicketFollower] = field(default_factory=list)
    merged_into: Ticket | None = None
    period_start: datetime | None = None  # when the running clocks started (dispatch)
    # Events that name another ticket by its number, known once the rows are written.
    fixups: list[tuple[TicketEvent, str, Ticket]] = field(default_factory=list)

    # -- helpers

    @property
    def state(self) -> str:
        return str(self.ticket.state)

    def event(
        self,
        kind: str,
        at: datetime,
        actor: User | None,
        label: str = "",
        note: str = "",
        *,
        unit: Area | Department | None = None,
        data: dict[str, Any] | None = None,
        ticket: Ticket | None = None,
    ) -> TicketEvent:
        t = ticket or self.ticket
        area = unit if isinstance(unit, Area) else None
        self.events.append(
            TicketEvent(
                ticket=t,
                street_id=t.street_id,
                kind=kind,
                actor=actor,
                actor_label=(actor.display_name if actor else label or "系统")[:100],
                created_at=at,
                note=note,
                unit_area=area,
                unit_department=unit if isinstance(unit, Department) else None,
                unit_path=area.path if area else "",
                data=data or {},
            )
        )
        return self.events[-1]

    def _start_clocks(self, start: datetime) -> None:
        t = self.ticket
        policy = t.category.sla_policy
        assert policy is not None
        respond = self.clock(start, policy.respond_amount, policy.respond_unit)
        resolve = self.clock(start, policy.resolve_amount, policy.resolve_unit)
        t.respond_by, t.resolve_by = respond.at, resolve.at
        t.warn_at = start + (resolve.at - start) * policy.warn_share
        t.deadline_provisional = respond.provisional or resolve.provisional
        t.warned_at = t.overdue_notified_at = None
        self.period_start = start

    def _end_period(self, end: datetime) -> None:
        """What the sweep would have marked while the clocks ran, up to `end`: a warning once
        past `warn_at`, an overdue notice once past a deadline (DESIGN.md rule 4)."""
        t = self.ticket
        if self.period_start is None:
            return
        unit = t.handler
        late = []
        if t.respond_by and (t.responded_at or end) > t.respond_by and t.respond_by < end:
            late.append(t.respond_by)
        if t.resolve_by and t.resolve_by < end:
            late.append(t.resolve_by)
        overdue_at = min(late) + SWEEP_LAG if late else None
        warned_at = t.warn_at + SWEEP_LAG if t.warn_at else None
        if warned_at and warned_at < end and (overdue_at is None or warned_at < overdue_at):
            self.event(EventKind.WARNED, warned_at, None, unit=unit)
            t.warned_at = warned_at
        if overdue_at and overdue_at < end:
            self.event(EventKind.OVERDUE, overdue_at, None, unit=unit)
            t.overdue_notified_at = overdue_at
            t.warned_at = t.warned_at or overdue_at
        self.period_start = None

    def overdue_since(self, now: datetime) -> datetime | None:
        t = self.ticket
        if t.state not in ACTIVE_STATES:
            return None
        late = []
        if t.respond_by and t.responded_at is None and t.respond_by < now:
            late.append(t.respond_by)
        if t.resolve_by and t.resolve_by < now:
            late.append(t.resolve_by)
        return min(late) if late else None

    # -- the transitions (tickets.services, same fields and events)

    def submit(self, actor: User) -> None:
        t = self.ticket
        self.event(EventKind.SUBMITTED, t.created_at, actor, data={"channel": t.channel})

    def dispatch(self, at: datetime, to: Area | Department, actor: User | None, label: str) -> None:
        t = self.ticket
        t.state = TicketState.DISPATCHED
        t.handler_area = to if isinstance(to, Area) else None
        t.handler_department = to if isinstance(to, Department) else None
        t.handler_path = to.path if isinstance(to, Area) else ""
        t.dispatched_at, t.accepted_at, t.responded_at = at, None, None
        self._start_clocks(at)
        self.event(EventKind.DISPATCHED, at, actor, label, unit=to, data={"to": str(to)})

    def return_(self, at: datetime, actor: User | None, label: str, reason: str) -> None:
        t = self.ticket
        unit = t.handler
        self._end_period(at)
        t.state = TicketState.SUBMITTED
        t.handler_area = t.handler_department = None
        t.handler_path = ""
        t.respond_by = t.resolve_by = t.warn_at = None
        t.return_count += 1
        self.event(EventKind.RETURNED, at, actor, label, reason, unit=unit)

    def accept(self, at: datetime, actor: User | None, label: str) -> None:
        t = self.ticket
        t.state, t.accepted_at = TicketState.ACCEPTED, at
        self.event(EventKind.ACCEPTED, at, actor, label, unit=t.handler)

    def respond(self, at: datetime, actor: User | None, label: str, method: str) -> None:
        t = self.ticket
        if t.state == TicketState.DISPATCHED:
            self.event(EventKind.ACCEPTED, at, actor, label, unit=t.handler)
        t.state = TicketState.IN_PROGRESS
        t.accepted_at = t.accepted_at or at
        t.responded_at = at
        note = "已联系诉求人，了解具体情况并约定处理时间。"
        self.event(
            EventKind.RESPONDED, at, actor, label, note, unit=t.handler, data={"method": method}
        )

    def request_extension(self, at: datetime, actor: User, days: int) -> Extension:
        reason = "需协调产权单位和施工队，工期较长。"
        ext = Extension(
            ticket=self.ticket, requested_by=actor, requested_at=at, reason=reason,
            working_days=days,
        )  # fmt: skip
        self.extensions.append(ext)
        self.event(
            EventKind.EXTENSION_REQUESTED, at, actor, "", reason, unit=self.ticket.handler,
            data={"working_days": days},
        )  # fmt: skip
        return ext

    def approve_extension(
        self, ext: Extension, at: datetime, actor: User | None, label: str
    ) -> None:
        t = self.ticket
        old = t.resolve_by
        assert old is not None and t.category.sla_policy is not None
        moved = self.clock(max(old, at), ext.working_days, "working_days")
        start = t.dispatched_at or at
        t.resolve_by = moved.at
        t.warn_at = start + (moved.at - start) * t.category.sla_policy.warn_share
        ext.status, ext.decided_by, ext.decided_at = ExtensionStatus.APPROVED, actor, at
        ext.old_resolve_by, ext.new_resolve_by = old, moved.at
        ext.decision_note = "同意延期，请按期办结。"
        self.event(
            EventKind.EXTENSION_APPROVED, at, actor, label, ext.decision_note, unit=t.handler,
            data={"resolve_by": moved.at.isoformat()},
        )  # fmt: skip

    def resolve(self, at: datetime, actor: User | None, label: str) -> None:
        t = self.ticket
        self._end_period(at)
        t.state, t.resolved_at = TicketState.RESOLVED, at
        result = RESULTS.get(t.category.code[:2], RESULTS["99"])
        self.event(EventKind.RESOLVED, at, actor, label, result, unit=t.handler)

    def review(
        self,
        at: datetime,
        reviewer: User,
        *,
        valid: bool,
        contacted: bool,
        solved: bool,
        satisfaction: str,
        comment: str = "",
    ) -> bool:
        """回访; True when the ticket went back to be handled again (not solved)."""
        t = self.ticket
        unit = t.handler
        by_requester = t.requester_id is not None and t.requester_id == reviewer.pk
        reopen = valid and not solved
        for earlier in self.reviews:
            earlier.superseded = True
        self.reviews.append(
            review_row(
                t,
                reviewer=reviewer,
                by_requester=by_requester,
                valid=valid,
                contacted=contacted,
                solved=solved,
                satisfaction=satisfaction,
                comment=comment,
                at=at,
            )
        )
        data = {
            "valid": valid,
            "contacted": contacted if valid else None,
            "solved": solved if valid else None,
            "satisfaction": satisfaction if valid else "",
        }
        self.event(EventKind.REVIEWED, at, reviewer, "", comment, unit=unit, data=data)
        if reopen:
            t.state = TicketState.DISPATCHED
            t.accepted_at = t.responded_at = t.resolved_at = None
            t.dispatched_at = at
            t.reopen_count += 1
            self._start_clocks(at)
            self.event(EventKind.REOPENED, at, reviewer, "", "回访未解决，重新办理", unit=unit)
        else:
            t.state, t.closed_at = TicketState.CLOSED, at
        return reopen

    def reject(self, at: datetime, actor: User | None, label: str, why: tuple[str, str]) -> None:
        reason, redirect = why
        self.ticket.state, self.ticket.closed_at = TicketState.REJECTED, at
        self.event(EventKind.REJECTED, at, actor, label, reason, data={"redirect": redirect})

    def merge(self, at: datetime, into: Story, actor: User | None, label: str) -> None:
        t = self.ticket
        t.state, t.closed_at = TicketState.MERGED, at
        self.merged_into = into.ticket
        note = "与已受理工单反映的是同一问题，合并办理。"
        merged = self.event(EventKind.MERGED, at, actor, label, note)
        self.fixups.append((merged, "into", into.ticket))
        merged_in = into.event(EventKind.MERGED_IN, at, actor, label, note, ticket=into.ticket)
        into.fixups.append((merged_in, "from", t))
        if t.requester_id and t.requester_id != into.ticket.requester_id:
            into.followers.append(TicketFollower(ticket=into.ticket, user_id=t.requester_id))

    def supervise(self, at: datetime, actor: User | None, label: str) -> None:
        t = self.ticket
        t.supervised_at, t.supervision_answered_at = at, None
        t.supervision_note = "该工单已超期，请抓紧办理，今日内反馈进展。"
        self.event(EventKind.SUPERVISED, at, actor, label, t.supervision_note, unit=t.handler)

    def answer_supervision(self, at: datetime, actor: User | None, label: str) -> None:
        t = self.ticket
        t.supervision_answered_at = at
        note = "已安排专人跟进，协调相关单位，预计两日内办结。"
        self.event(EventKind.SUPERVISION_ANSWERED, at, actor, label, note, unit=t.handler)

    def finish(self, now: datetime) -> None:
        """Still being handled: the sweep's marks so far stay on the ticket."""
        if self.ticket.state in ACTIVE_STATES:
            self._end_period(now)


# ---------------------------------------------------------------------------------------------
# the city's tickets


@dataclass
class Place:
    building: Area
    grid: Area
    community: Area
    street: Area


class Demo:
    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.clock = Clock()
        areas = {a.path: a for a in Area.objects.all()}
        self.areas = areas
        self.cast = _cast(areas)
        self.places: list[Place] = []
        for a in areas.values():
            if a.kind != AreaKind.BUILDING or a.depth < 5:
                continue
            grid, community, street = (areas.get(a.path[: n * Area.steplen]) for n in (4, 3, 2))
            if grid is None or community is None or street is None:
                continue
            self.places.append(Place(a, grid, community, street))
        if not self.places:
            raise ValueError("the demo tickets need a territory with buildings")
        self.places.sort(key=lambda p: p.building.path)
        self.departments = {d.code: d for d in Department.objects.filter(is_active=True)}
        self.street_enforcement: dict[int, Department] = {}
        for d in self.departments.values():
            if d.code.startswith("D-ZFD"):
                self.street_enforcement.setdefault(d.area_id, d)
        leaves = [
            c
            for c in Category.objects.select_related("sla_policy", "department").filter(
                is_active=True, numchild=0, sla_policy__isnull=False
            )
            if c.handling_level
        ]
        if not leaves:
            raise ValueError("the demo tickets need the request catalogue")
        self.leaves = sorted(leaves, key=lambda c: c.code)
        self.leaf = {c.code: c for c in self.leaves}
        self.weights = [CATEGORY_WEIGHTS.get(c.code, 1) for c in self.leaves]
        self.contacts = self._contacts()
        self.stories: list[Story] = []

    def _contacts(self) -> dict[str, list[tuple[str, str]]]:
        """Some residents of each building (name, mobile) to stand as hotline callers."""
        by_building: dict[str, list[int]] = {}
        for pk, path in Resident.objects.exclude(mobile_digest="").values_list("pk", "area_path"):
            by_building.setdefault(path, []).append(pk)
        chosen = [pk for pks in by_building.values() for pk in sorted(pks)[:3]]
        out: dict[str, list[tuple[str, str]]] = {}
        for r in Resident.objects.filter(pk__in=chosen).order_by("pk"):
            out.setdefault(r.area_path, []).append((r.name, r.mobile))
        return out

    # -- who

    def handler_label(self, unit: Area | Department) -> str:
        if isinstance(unit, Area) and unit.kind == AreaKind.GRID:
            return f"{unit.name}网格员"
        return f"{unit.name}工作人员"

    def handler_of(self, unit: Area | Department) -> tuple[User | None, str]:
        return self.cast.for_unit(unit), self.handler_label(unit)

    def dispatcher_of(self, street: Area) -> tuple[User | None, str]:
        user = self.cast.street_user.get(street.pk)
        return user, f"{street.name}派单员"

    def supervisor_of(self, place: Place) -> tuple[User | None, str]:
        leader = self.cast.users.get("leader")
        if leader is not None and any(
            place.street.path.startswith(a.path) for a in leader.scope_areas.all()
        ):
            return leader, ""
        return None, f"{place.street.name}领导"

    # -- what

    def unit_for(self, category: Category, place: Place) -> Area | Department:
        level = category.handling_level
        if level == "grid":
            return place.grid
        if level == "community":
            return place.community
        enforcement = self.street_enforcement.get(place.street.pk)
        if level == "street":
            if category.code in ENFORCEMENT_LEAVES and enforcement and self.rng.random() < 0.6:
                return enforcement
            return place.street
        code = DEPARTMENT_OF.get(category.code, "D-CGW")
        if code == "street" and enforcement is not None:
            return enforcement
        dept = category.department or self.departments.get(code) or self.departments.get("D-CGW")
        return dept or enforcement or place.street

    def redirect_unit(self, unit: Area | Department, place: Place) -> Area | Department:
        """Where a returned ticket goes next: one level up, or from a department to the street."""
        if isinstance(unit, Department):
            return place.street
        if unit.kind == AreaKind.GRID:
            return place.community
        if unit.kind in (AreaKind.COMMUNITY, AreaKind.VILLAGE):
            return place.street
        return self.street_enforcement.get(place.street.pk) or self.departments.get(
            "D-CGW", place.street
        )

    def new_ticket(
        self,
        created: datetime,
        place: Place,
        category: Category,
        *,
        requester: User | None = None,
        patrol: User | None = None,
    ) -> Story:
        rng = self.rng
        contact = ("", "")
        if requester is not None:
            channel, submitted_by = Channel.RESIDENT_APP, requester
            contact = (requester.name or requester.display_name, requester.mobile)
        elif patrol is not None:
            channel, submitted_by = Channel.GRID_PATROL, patrol
        else:
            channel = Channel.HOTLINE if rng.random() < 0.9 else Channel.OPEN311
            submitted_by = self.cast.dispatcher(place.street)
            callers = self.contacts.get(place.building.path) or [("市民", "")]
            contact = rng.choice(callers)
        on_grid = patrol is not None
        lat = lon = None
        if on_grid and place.grid.boundary:
            ring = place.grid.boundary["coordinates"][0]
            xs, ys = [p[0] for p in ring], [p[1] for p in ring]
            lon = round(rng.uniform(min(xs), max(xs)), 6)
            lat = round(rng.uniform(min(ys), max(ys)), 6)
        area = place.grid if on_grid else place.building
        policy = category.sla_policy
        assert policy is not None
        urgent = policy.respond_unit == "hours" and policy.resolve_unit == "hours"
        ticket = Ticket(
            channel=channel,
            request_type=_request_type(category, rng),
            category=category,
            urgency=Urgency.URGENT if urgent and policy.resolve_amount <= 2 else Urgency.NORMAL,
            description=DESCRIPTIONS.get(category.code, f"{category.name}，请尽快处理。"),
            address=(f"{place.grid.name}巡查发现" if on_grid else place.building.name)[:200],
            lat=lat,
            lon=lon,
            building=None if on_grid else place.building,
            area=area,
            area_path=area.path,
            street=place.street,
            requester=requester,
            contact_name=contact[0][:50],
            contact_mobile=contact[1],
            anonymous=channel == Channel.HOTLINE and rng.random() < 0.05,
            submitted_by=submitted_by,
            created_at=created,
        )
        story = Story(ticket, self.clock)
        story.submit(submitted_by)
        self.stories.append(story)
        return story

    # -- the random part

    def random_story(self, created: datetime) -> None:
        rng = self.rng
        place = rng.choice(self.places)
        category = rng.choices(self.leaves, weights=self.weights)[0]
        requester = self.cast.residents.get(place.building.path) if rng.random() < 0.3 else None
        patrol = None
        worker = self.cast.unit_user.get(place.grid.path)
        if requester is None and worker is not None and worker.role == Role.GRID_WORKER:
            patrol = worker if rng.random() < 0.3 else None
        story = self.new_ticket(created, place, category, requester=requester, patrol=patrol)
        self.play(story, place)

    def play(self, story: Story, place: Place) -> None:
        """Play the ticket forward from its submission until it closes or now comes."""
        rng, now, t = self.rng, self.now, story.ticket
        dispatcher, d_label = self.dispatcher_of(place.street)
        urgent = t.urgency == Urgency.URGENT
        at = t.created_at + timedelta(
            minutes=rng.uniform(5, 20) if urgent else rng.uniform(10, 240)
        )
        if at > now:
            return
        roll = rng.random()
        if roll < 0.025:
            story.reject(at, dispatcher, d_label, rng.choice(REJECT_REASONS))
            return
        if roll < 0.045:
            target = self._duplicate_of(story, place)
            if target is not None:
                story.merge(at, target, dispatcher, d_label)
                return
        unit = self.unit_for(t.category, place)
        story.dispatch(at, unit, dispatcher, d_label)
        if rng.random() < 0.05:
            # 退单 within the return window, then dispatched again one level up.
            at += timedelta(hours=rng.uniform(1, 20))
            handler, h_label = self.handler_of(unit)
            if at > now:
                return
            story.return_(at, handler, h_label, rng.choice(RETURN_REASONS))
            at += timedelta(minutes=rng.uniform(20, 180))
            if at > now:
                return
            unit = self.redirect_unit(unit, place)
            story.dispatch(at, unit, dispatcher, d_label)
        for again in (False, True):  # handled, and at most once more after a reopen
            resolved = self.handle(story, place, unit, at)
            if resolved is None:
                return
            at = resolved + timedelta(hours=rng.uniform(2, 72))
            # The second handling solves it: a ticket reopened twice and then left open for
            # good is no city's history (the benchmarks' years of it piled up such tickets).
            if at > now or not self.review(story, at, final=again):
                return  # resolved and waiting for its review, or closed

    def handle(
        self, story: Story, place: Place, unit: Area | Department, at: datetime
    ) -> datetime | None:
        """Accept, respond and resolve from `at`; the time resolved, or None if now came first."""
        rng, now, t = self.rng, self.now, story.ticket
        handler, label = self.handler_of(unit)
        assert t.respond_by is not None and t.resolve_by is not None
        respond_window = t.respond_by - at
        resolve_window = t.resolve_by - at
        accept_at = at + respond_window * rng.uniform(0.02, 0.3)
        if accept_at > now:
            return None
        story.accept(accept_at, handler, label)
        late_respond = rng.random() < 0.08
        respond_at = at + respond_window * (
            rng.uniform(1.05, 1.8) if late_respond else rng.uniform(0.3, 0.95)
        )
        respond_at = max(respond_at, accept_at + timedelta(minutes=5))
        if respond_at > now:
            return None
        story.respond(respond_at, handler, label, rng.choice(["phone", "phone", "visit", "onsite"]))
        roll = rng.random()
        share = (
            rng.uniform(1.6, 3.0) if roll < 0.04 else
            rng.uniform(1.05, 1.5) if roll < 0.13 else rng.uniform(0.15, 0.9)
        )  # fmt: skip
        resolve_at = max(at + resolve_window * share, respond_at + timedelta(minutes=30))
        if share > 1 and handler is not None and rng.random() < 0.35:
            # 延期: asked for before the deadline, decided by the street's dispatcher.
            asked = max(at + resolve_window * 0.7, respond_at + timedelta(minutes=10))
            if asked < now:
                ext = story.request_extension(asked, handler, rng.choice([3, 5]))
                decided = asked + timedelta(hours=rng.uniform(1, 6))
                if decided < now:
                    story.approve_extension(ext, decided, *self.dispatcher_of(place.street))
        assert t.resolve_by is not None
        if t.resolve_by < min(now, resolve_at):
            # Overdue: a leader of the street may supervise, and the handler answers.
            supervisor, s_label = self.supervisor_of(place)
            if rng.random() < 0.4:
                sup_at = t.resolve_by + timedelta(hours=rng.uniform(1, 30))
                if sup_at < min(now, resolve_at):
                    story.supervise(sup_at, supervisor, s_label)
                    ans_at = sup_at + timedelta(hours=rng.uniform(1, 20))
                    if rng.random() < 0.7 and ans_at < min(now, resolve_at):
                        story.answer_supervision(ans_at, handler, label)
        if resolve_at > now:
            return None
        story.resolve(resolve_at, handler, label)
        return resolve_at

    def review(self, story: Story, at: datetime, *, final: bool = False) -> bool:
        """The requester's (or a review seat's) 回访; True when it reopened the ticket, which
        a `final` review never does."""
        rng, t = self.rng, story.ticket
        requester = None
        if t.requester_id is not None:
            requester = t.requester
        reviewer = requester or self.cast.dispatcher(t.street)
        valid = requester is not None or rng.random() > 0.05
        late = not _on_time(t.resolved_at, t.resolve_by)
        solved = rng.random() < (0.8 if late else 0.93) or final
        if solved:
            weights = [0.62, 0.28, 0.10] if late else [0.84, 0.12, 0.04]
        else:
            weights = [0.05, 0.25, 0.70]
        satisfaction = rng.choices(
            [Satisfaction.SATISFIED, Satisfaction.BASIC, Satisfaction.UNSATISFIED], weights
        )[0]
        return story.review(
            at,
            reviewer,
            valid=valid,
            contacted=rng.random() < 0.96,
            solved=solved,
            satisfaction=satisfaction,
            comment=rng.choice(COMMENTS[satisfaction]) if requester else "",
        )

    def _duplicate_of(self, story: Story, place: Place) -> Story | None:
        """An earlier ticket of the same street and category group, still being handled."""
        t = story.ticket
        for other in reversed(self.stories[-40:]):
            o = other.ticket
            if (
                o is not t
                and o.street_id == t.street_id
                and o.category.code[:2] == t.category.code[:2]
                and o.state not in (TicketState.REJECTED, TicketState.MERGED)
                and t.created_at - o.created_at < timedelta(days=5)
            ):
                return other
        return None

    # -- the scripted part: work waiting for the demo accounts

    def scripted(self) -> None:
        """A few tickets placed on the demo accounts' desks whatever the dice said."""
        now, cast = self.now, self.cast
        worker = cast.users.get("gridworker")
        home = next((p for p in self.places if p.building.path in cast.residents), None)
        grid_places = [p for p in self.places if worker and p.grid.path in cast.unit_user
                       and cast.unit_user[p.grid.path] == worker]  # fmt: skip
        place = home or (grid_places[0] if grid_places else self.places[0])
        resident = cast.residents.get(place.building.path)
        dispatcher, d_label = self.dispatcher_of(place.street)
        grid, community = place.grid, place.community
        leaf = self.leaf
        ordinary, grid_leaf = leaf.get("0101", self.leaves[0]), leaf.get("0804", self.leaves[0])

        def ago(**kw: float) -> datetime:
            return now - timedelta(**kw)

        def handled(story: Story, unit: Area | Department, start: datetime, **kw: Any) -> Story:
            handler, label = self.handler_of(unit)
            story.dispatch(start, unit, dispatcher, d_label)
            if kw.get("accept"):
                story.accept(start + timedelta(minutes=40), handler, label)
            if kw.get("respond"):
                story.respond(start + timedelta(hours=2), handler, label, "phone")
            return story

        # The resident: one new, one being handled, one to rate, one closed.
        self.new_ticket(ago(hours=1, minutes=20), place, ordinary, requester=resident)
        being_handled = handled(
            self.new_ticket(ago(days=2, hours=3), place, ordinary, requester=resident),
            grid, ago(days=2, hours=2), accept=True, respond=True,
        )  # fmt: skip
        to_rate = handled(
            self.new_ticket(ago(days=4), place, grid_leaf, requester=resident),
            grid, ago(days=3, hours=22), accept=True, respond=True,
        )  # fmt: skip
        to_rate.resolve(ago(hours=5), *self.handler_of(grid))
        closed = handled(
            self.new_ticket(ago(days=16), place, grid_leaf, requester=resident),
            grid, ago(days=15, hours=23), accept=True, respond=True,
        )  # fmt: skip
        closed.resolve(ago(days=14), *self.handler_of(grid))
        if resident is not None:
            closed.review(
                ago(days=13), resident, valid=True, contacted=True, solved=True,
                satisfaction=Satisfaction.SATISFIED, comment="处理很及时，谢谢！",
            )  # fmt: skip
        # The grid worker: new to sign for, overdue to respond, overdue and supervised, and
        # one waiting for an extension decision.
        handled(self.new_ticket(ago(hours=3), place, grid_leaf), grid, ago(hours=2))
        handled(self.new_ticket(ago(days=1, hours=8), place, ordinary), grid, ago(days=1, hours=7))
        late = handled(
            self.new_ticket(ago(days=10), place, grid_leaf), grid, ago(days=9, hours=23),
            accept=True, respond=True,
        )  # fmt: skip
        assert late.ticket.resolve_by is not None
        supervisor, s_label = self.supervisor_of(place)
        # The morning after the deadline (deadlines fall at midnight).
        morning = late.ticket.resolve_by + timedelta(hours=9, minutes=30)
        late.supervise(min(morning, ago(hours=2)), supervisor, s_label)
        waiting = handled(
            self.new_ticket(ago(days=5), place, leaf.get("0105", ordinary)), grid,
            ago(days=4, hours=22), accept=True, respond=True,
        )  # fmt: skip
        if worker is not None:
            waiting.request_extension(ago(hours=6), worker, 5)
        # The community: a ticket of its own being handled.
        handled(
            self.new_ticket(ago(days=2), place, leaf.get("0204", ordinary)), community,
            ago(days=1, hours=23), accept=True, respond=True,
        )  # fmt: skip
        # The department officer: one signed for, one being handled.
        dept = self.departments.get("D-CGW")
        if dept is not None:
            utility = leaf.get("0604", ordinary)
            handled(self.new_ticket(ago(hours=4), place, utility), dept, ago(hours=3), accept=True)
            handled(
                self.new_ticket(ago(days=3), place, utility), dept, ago(days=2, hours=22),
                accept=True, respond=True,
            )  # fmt: skip
        # The dispatcher: new tickets, one returned by the grid, one turned away, one merged.
        self.new_ticket(ago(minutes=40), place, leaf.get("0301", ordinary))
        back = handled(self.new_ticket(ago(hours=9), place, ordinary), grid, ago(hours=8))
        back.return_(ago(hours=6), *self.handler_of(grid), reason=RETURN_REASONS[0])
        turned = self.new_ticket(ago(days=6), place, leaf.get("9901", ordinary))
        turned.reject(ago(days=6) + timedelta(hours=1), dispatcher, d_label, REJECT_REASONS[0])
        duplicate = self.new_ticket(ago(days=1, hours=7, minutes=30), place, ordinary)
        duplicate.merge(ago(days=1, hours=6), being_handled, dispatcher, d_label)


def _request_type(category: Category, rng: random.Random) -> str:
    if category.code.startswith("11"):
        return RequestType.CONSULT
    if category.code.startswith("99"):
        return RequestType.SUGGESTION
    return rng.choices(
        [RequestType.HELP, RequestType.COMPLAINT, RequestType.REPORT], [0.55, 0.35, 0.10]
    )[0]


def ticket_count(grids: int) -> int:
    """About 25 tickets per grid over the four months: 300 in the small city, at most 3,000."""
    return max(60, min(MAX_TICKETS, TICKETS_PER_GRID * grids))


def load_demo_tickets(*, seed: int, now: datetime | None = None) -> dict[str, int]:
    """Write the demo tickets for the city in the database; returns the row counts."""
    now = now or timezone.now()
    if not Category.objects.filter(numchild=0, is_active=True, sla_policy__isnull=False).exists():
        # The catalogue comes with the migrations; without one there is nothing to file.
        log.warning("demo tickets skipped: the request catalogue is empty")
        return {"tickets": 0, "events": 0, "reviews": 0, "rates_snapshots": 0}
    rng = random.Random(f"tickets-{seed}")  # noqa: S311  (repeatable demo data, no secret)
    with transaction.atomic():
        demo = Demo(rng, now)
        grids = len({p.grid.pk for p in demo.places})
        total = ticket_count(grids)
        start = now - timedelta(days=HISTORY_DAYS)
        moments = sorted(_moment(rng, start, now) for _ in range(total))
        for created in moments:
            demo.random_story(created)
        demo.scripted()
        for story in demo.stories:
            story.finish(now)
        counts = _write(demo.stories)
        months = _months(min(s.ticket.created_at for s in demo.stories), now)
        counts["rates_snapshots"] = sum(snapshot_month(m) for m in months)
        audit_log(action="tickets.demo_load", data={"seed": seed, **counts})
    return counts


def _moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A time in [start, end) during the waking hours of Beijing."""
    while True:
        at = start + (end - start) * rng.random()
        if 7 <= timezone.localtime(at, LOCAL).hour < 22:
            return at


def _months(first: datetime, now: datetime) -> list[date]:
    month, last, out = current_month(first), current_month(now), []
    while month <= last:
        out.append(month)
        month = next_month(month)
    return out


def _write(stories: Sequence[Story]) -> dict[str, int]:
    stories = sorted(stories, key=lambda s: s.ticket.created_at)
    tickets = [s.ticket for s in stories]
    for chunk in range(0, len(tickets), BATCH):
        Ticket.objects.bulk_create(tickets[chunk : chunk + BATCH])
    # Numbers from the ids, as ticket_submit writes them: one UPDATE per day of submission.
    by_day: dict[tuple[str, int], list[int]] = {}
    for s in stories:
        t = s.ticket
        day = f"{timezone.localtime(t.created_at, LOCAL):%Y%m%d}"
        t.number = f"GR-{day}-{t.pk:06d}"
        by_day.setdefault((day, max(6, len(str(t.pk)))), []).append(t.pk)
    for (day, width), ids in by_day.items():
        Ticket.objects.filter(pk__in=ids).update(
            number=Concat(Value(f"GR-{day}-"), LPad(Cast("id", CharField()), width, Value("0")))
        )
    for s in stories:
        if s.merged_into is not None:
            s.ticket.merged_into = s.merged_into
            Ticket.objects.filter(pk=s.ticket.pk).update(merged_into=s.merged_into)
    for s in stories:
        for event, key, other in s.fixups:
            event.data = {key: other.number}
    events = [e for s in stories for e in s.events]
    events.sort(key=lambda e: (e.created_at, e.ticket.pk or 0))
    TicketEvent.objects.bulk_create(events, batch_size=BATCH)
    reviews = [r for s in stories for r in s.reviews]
    Review.objects.bulk_create(reviews, batch_size=BATCH)
    Extension.objects.bulk_create([x for s in stories for x in s.extensions], batch_size=BATCH)
    followers = {(f.ticket.pk, f.user_id): f for s in stories for f in s.followers}
    TicketFollower.objects.bulk_create(list(followers.values()), batch_size=BATCH)
    return {"tickets": len(tickets), "events": len(events), "reviews": len(reviews)}
