"""Demo organisational life for the demo city: this year's meetings of every branch and group
(most on time, some made up late, a few missing), heart-to-heart talks, the points they earned,
and, in the first grid's branch of the demo community, live work made through the services —
a committee meeting that took up a ticket and gave a follow-up task, one recorded and waiting
for the recorder's confirmation, one planned for next week, and this year's appraisal open for
ballots — so the branch home, the compliance overview, my points and the recorder's phone are
alive on first sign-in.

The history is written directly with its own times (the services stamp `now`), following the
rules the services apply: the expected members of each kind, votes within attendance, the
quorum and passing rules; points come from `points_for_records`, as a confirmation's do.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from grassroots.accounts.models import Role, User
from grassroots.core.scoping import under
from grassroots.tickets.models import OPEN_STATES, Ticket

from . import life_rules
from .models import (
    BRANCH_KINDS,
    AppraisalStage,
    Attendance,
    AttendanceStatus,
    HeldBy,
    ItemMinutes,
    Meeting,
    MeetingKind,
    MeetingRecord,
    MeetingState,
    OrgKind,
    PartyMember,
    PartyOrg,
    PassingRule,
    Resolution,
)
from .periods import Span, periods
from .services.appraisal import appraisal_advance, appraisal_open, self_assessment_submit
from .services.meetings import (
    AgendaIn,
    AttendanceIn,
    ItemIn,
    ResolutionIn,
    followup_create,
    meeting_confirm,
    meeting_plan,
    meeting_record,
)
from .services.points import credit_closed_tickets, points_for_records

SHOWCASE_BRANCH = "幸福社区第一网格党支部"
EXCUSES = ["外出务工", "生病住院", "在外地照顾家人", "单位值班"]
TOPICS = {
    "general_meeting": ["学习传达上级会议精神", "讨论发展党员工作", "通报支部工作情况"],
    "committee_meeting": ["研究本月网格重点工作", "分析群众诉求热点", "研究困难党员帮扶"],
    "group_meeting": ["学习党的理论", "交流联系群众情况"],
    "party_lecture": ["书记讲党课：坚持党建引领基层治理", "党课：发挥党员先锋模范作用"],
    "theme_day": [
        "主题党日：楼道清洁志愿服务",
        "主题党日：走访独居老人",
        "主题党日：政策宣讲进楼栋",
    ],
    "org_life_review": ["召开组织生活会，开展批评和自我批评"],
    "member_appraisal": ["民主评议党员"],
}
RESOLUTION_KINDS = {"general_meeting", "committee_meeting"}
SHOWCASE_KINDS = ("committee_meeting", "general_meeting")


def _(text: str) -> str:
    """Demo text is Chinese data, like the demo's names and addresses: not translated."""
    return text


@dataclass
class Held:
    """A meeting of the history and its record, written together in bulk."""

    meeting: Meeting
    record: MeetingRecord
    attendance: list[Attendance]
    minutes: ItemMinutes | None = None
    resolution: Resolution | None = None


@dataclass
class Org:
    org: PartyOrg
    account: User  # the account that wrote its records
    people: dict[int, list[PartyMember]] = field(default_factory=dict)


def load_demo_org_life(seed: int, today: date | None = None) -> dict[str, int]:
    """Write the demo's organisational life; returns the counts for the load summary."""
    rng = random.Random(seed + 71)  # noqa: S311  (demo data, not secrets)
    today = today or timezone.localdate()
    kinds = list(MeetingKind.objects.filter(required=True))
    orgs = _orgs(rng)
    showcase = next((o for o in orgs if o.org.name == SHOWCASE_BRANCH), None)
    held: list[Held] = []
    for entry in orgs:
        for kind in kinds:
            if not life_rules.holds(kind, entry.org):
                continue
            if kind.held_by == HeldBy.PAIR:
                held += _talks(rng, entry, kind, today)
                continue
            for span in periods(kind.period, today.year):
                if span.start > today:
                    break
                if (
                    entry is showcase
                    and kind.code == "committee_meeting"
                    and (span.contains(today) or span.end >= today - timedelta(days=31))
                ):
                    continue  # the live ones below
                day = _held_day(rng, kind, span, entry.org, today)
                if day is not None:
                    held.append(_history(rng, entry, kind, span, day))
    _write(held)
    points_for_records([one.record for one in held])
    counts = Counter({"meetings": len(held)})
    if showcase is not None:
        counts["meetings"] += _showcase(showcase, today)
    credit_closed_tickets()
    return dict(counts)


def _orgs(rng: random.Random) -> list[Org]:
    """Branches and groups, each with the account its records are written by: its
    secretary's, or the community's staff above it; branches get a fixed theme day."""
    staff = list(
        User.objects.filter(
            role__in=[Role.COMMUNITY_SECRETARY, Role.STREET_LEADER], is_active=True
        ).prefetch_related("scope_areas")
    )
    out = []
    for org in PartyOrg.objects.filter(kind__in=[*BRANCH_KINDS, OrgKind.GROUP]).select_related(
        "secretary__user"
    ):
        if org.kind in BRANCH_KINDS and org.theme_day is None:
            org.theme_day = rng.choice([5, 10, 15, 20, 25])
            PartyOrg.objects.filter(pk=org.pk).update(theme_day=org.theme_day)
        account = org.secretary.user if org.secretary and org.secretary.user else None
        if account is None:
            above = [
                u
                for u in staff
                if any(org.area_path.startswith(a.path) for a in u.scope_areas.all())
            ]
            account = above[0] if above else staff[0]
        out.append(Org(org, account))
    return out


def _held_day(
    rng: random.Random, kind: MeetingKind, span: Span, org: PartyOrg, today: date
) -> date | None:
    """When the meeting of a period was held: mostly on time, sometimes made up after the
    period (late), sometimes not at all; in the current period perhaps not yet."""
    days = (min(span.end, today - timedelta(days=1)) - span.start).days
    if days < 0:
        return None
    if kind.code == "org_life_review" or kind.code == "member_appraisal":
        if today.month < 11:
            return None
        start = max(span.start, date(today.year, 11, 1))
        days = (today - timedelta(days=1) - start).days
        return start + timedelta(days=rng.randint(0, days)) if rng.random() < 0.7 else None
    if span.contains(today):
        return span.start + timedelta(days=rng.randint(0, days)) if rng.random() < 0.5 else None
    roll = rng.random()
    if roll < 0.84:
        if kind.code == "theme_day" and org.theme_day and rng.random() < 0.8:
            return span.start.replace(day=org.theme_day)
        return span.start + timedelta(days=rng.randint(0, days))
    if roll < 0.92:
        late = span.end + timedelta(days=rng.randint(1, 15))
        return late if late < today else None
    return None


def _at(day: date, hour: int = 19) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 30)))


def _people(entry: Org, kind: MeetingKind) -> list[PartyMember]:
    """Who is expected at the organisation's meetings of a kind, read once per kind."""
    if kind.pk not in entry.people:
        entry.people[kind.pk] = list(life_rules.expected_members(kind, entry.org))
    return entry.people[kind.pk]


def _write(held: list[Held]) -> None:
    """The history in a few bulk inserts, parents first."""
    Meeting.objects.bulk_create([h.meeting for h in held])
    for h in held:
        h.record.meeting_id = h.meeting.pk
    MeetingRecord.objects.bulk_create([h.record for h in held])
    for h in held:
        for row in h.attendance:
            row.record_id = h.record.pk
        if h.minutes is not None:
            h.minutes.record_id = h.record.pk
    Attendance.objects.bulk_create([row for h in held for row in h.attendance])
    ItemMinutes.objects.bulk_create([h.minutes for h in held if h.minutes is not None])
    for h in held:
        if h.resolution is not None and h.minutes is not None:
            h.resolution.record_id = h.record.pk
            h.resolution.item_id = h.minutes.pk
    Resolution.objects.bulk_create([h.resolution for h in held if h.resolution is not None])


def _chair_and_recorder(
    org: PartyOrg, people: list[PartyMember]
) -> tuple[PartyMember, PartyMember]:
    chair = org.secretary if org.secretary in people else people[0]
    others = [p for p in people if p != chair]
    return chair, (others[0] if others else chair)


def _history(rng: random.Random, entry: Org, kind: MeetingKind, span: Span, day: date) -> Held:
    org = entry.org
    people = _people(entry, kind)
    chair, recorder = _chair_and_recorder(org, people)
    held_at = _at(day, 9 if kind.code == "theme_day" else 19)
    meeting = _meeting(
        entry, kind, f"{kind.name}（{span.label}）", held_at, span.start, chair, recorder
    )
    statuses = []
    for person in people:
        roll = 0.0 if person in (chair, recorder) else rng.random()
        statuses.append(
            AttendanceStatus.PRESENT
            if roll < 0.86
            else AttendanceStatus.EXCUSED
            if roll < 0.96
            else AttendanceStatus.ABSENT
        )
    present = [p for p, s in zip(people, statuses, strict=True) if s == AttendanceStatus.PRESENT]
    voting_present = [p for p in present if life_rules.has_vote(p)]
    counts = {
        "expected": len(people),
        "present": len(present),
        "voting_expected": sum(life_rules.has_vote(p) for p in people),
        "voting_present": len(voting_present),
    }
    confirmed = held_at + timedelta(days=rng.randint(0, 3), hours=2)
    record = _record(
        meeting, entry, confirmed, quorum_met=life_rules.quorum_met(kind, **counts), **counts
    )
    attendance = [
        Attendance(
            member=person,
            status=status,
            reason=rng.choice(EXCUSES) if status == AttendanceStatus.EXCUSED else "",
            voting=life_rules.has_vote(person),
        )
        for person, status in zip(people, statuses, strict=True)
    ]
    topic = rng.choice(TOPICS.get(kind.code, [kind.name]))
    minutes = ItemMinutes(
        order=1,
        title=topic,
        minutes=_("%(chair)s 主持会议，围绕“%(topic)s”进行了讨论，与会党员踊跃发言。")
        % {"chair": chair.name, "topic": topic},
    )
    resolution = None
    if kind.code in RESOLUTION_KINDS and kind.passing != PassingRule.NONE:
        votes_for = len(voting_present) - (1 if len(voting_present) > 3 else 0)
        outcome = life_rules.vote_outcome(kind, votes_for=votes_for, **counts)
        resolution = Resolution(
            order=1,
            text=_("同意按讨论意见抓好落实。"),
            votes_for=votes_for,
            votes_against=0,
            votes_abstain=len(voting_present) - votes_for,
            passed=outcome.passed,
            outcome=outcome.reason,
        )
    return Held(meeting, record, attendance, minutes, resolution)


def _meeting(
    entry: Org,
    kind: MeetingKind,
    title: str,
    held_at: datetime,
    covers: date,
    chair: PartyMember,
    recorder: PartyMember,
) -> Meeting:
    return Meeting(
        org=entry.org,
        kind=kind,
        title=title,
        planned_at=held_at,
        place=_("党群服务站"),
        chair=chair,
        recorder=recorder,
        state=MeetingState.CONFIRMED,
        held_at=held_at,
        covers=covers,
        version=1,
        planned_by=entry.account,
        area_path=entry.org.area_path,
        street_id=entry.org.street_id,
    )


def _record(meeting: Meeting, entry: Org, confirmed: datetime, **values: Any) -> MeetingRecord:
    """Version 1, confirmed by both and locked."""
    assert meeting.held_at is not None
    return MeetingRecord(
        version=1,
        held_at=meeting.held_at,
        place=meeting.place,
        chair=meeting.chair,
        recorder=meeting.recorder,
        created_by=entry.account,
        chair_confirmed_at=confirmed,
        recorder_confirmed_at=confirmed,
        locked_at=confirmed,
        **values,
    )


def _talks(rng: random.Random, entry: Org, kind: MeetingKind, today: date) -> list[Held]:
    """谈心谈话 this year: the secretary with each committee member and with most members."""
    org = entry.org
    secretary = org.secretary
    if secretary is None:
        return []
    committee = set(org.committee.values_list("pk", flat=True))
    out = []
    for member in _people(entry, kind):
        if member.pk == secretary.pk or (member.pk not in committee and rng.random() > 0.6):
            continue
        day = date(today.year, 1, 1) + timedelta(
            days=rng.randint(0, max(today.timetuple().tm_yday - 2, 0))
        )
        held_at = _at(day, 15)
        title = _("谈心谈话：%(a)s 与 %(b)s") % {"a": secretary.name, "b": member.name}
        meeting = _meeting(
            entry, kind, title, held_at, date(today.year, 1, 1), secretary, secretary
        )
        counts = {"expected": 2, "present": 2, "voting_expected": 2, "voting_present": 2}
        record = _record(meeting, entry, held_at, **counts)
        attendance = [
            Attendance(member=m, status=AttendanceStatus.PRESENT, voting=True)
            for m in (secretary, member)
        ]
        out.append(Held(meeting, record, attendance))
    return out


def _showcase(entry: Org, today: date) -> int:
    """Live work in the demo's first branch, made through the services as people would."""
    org = entry.org
    kinds = {k.code: k for k in MeetingKind.objects.filter(code__in=SHOWCASE_KINDS)}
    kind = next(
        (kinds[c] for c in SHOWCASE_KINDS if c in kinds and life_rules.holds(kinds[c], org)), None
    )
    if kind is None:
        return 0  # the kinds were taken out of the configuration
    people = _people(entry, kind)
    secretary = org.secretary
    recorder = next((p for p in people if p.user and p != secretary), None)
    if secretary is None or secretary.user is None or recorder is None:
        return 0
    chair_user, recorder_user = secretary.user, recorder.user
    ticket = (
        Ticket.objects.filter(under("area_path", org.area_path), state__in=OPEN_STATES)
        .order_by("created_at")
        .first()
    )
    last_month = today.replace(day=1) - timedelta(days=1)
    held = last_month.replace(day=min(20, last_month.day))
    agenda = [AgendaIn(title=_("研究本月网格重点工作"))]
    if ticket is not None:
        agenda.append(
            AgendaIn(
                title=_("群众诉求：%(what)s") % {"what": ticket.description[:40]}, ticket=ticket
            )
        )
    done = meeting_plan(
        actor=chair_user,
        org=org,
        kind=kind,
        planned_at=_at(held),
        place=_("社区党群服务中心二楼会议室"),
        chair=secretary,
        recorder=recorder,
        agenda=agenda,
    )
    everyone = [AttendanceIn(member=p, status=AttendanceStatus.PRESENT) for p in people]
    voters = sum(life_rules.has_vote(p) for p in people)
    items = [
        ItemIn(
            title=a.title,
            agenda_item=a,
            minutes=_("大家逐项讨论，明确了责任人和完成时限。"),
            resolutions=[ResolutionIn(_("同意由网格党员牵头落实。"), voters, 0, 0)]
            if a.ticket_id
            else [],
        )
        for a in done.agenda.all()
    ]
    meeting_record(
        actor=recorder_user,
        meeting=done,
        held_at=_at(held),
        chair=secretary,
        recorder=recorder,
        attendance=everyone,
        items=items,
        place=done.place,
    )
    meeting_confirm(actor=recorder_user, meeting=done)
    record = meeting_confirm(actor=chair_user, meeting=done)
    resolution = record.resolutions.first()
    followup_create(
        actor=chair_user,
        meeting=done,
        title=_("协调物业，两周内处理完毕并回访居民"),
        owner=recorder,
        due_on=today + timedelta(days=10),
        resolution=resolution,
    )
    waiting = meeting_plan(
        actor=chair_user,
        org=org,
        kind=kind,
        planned_at=_at(today - timedelta(days=2)),
        place=done.place,
        chair=secretary,
        recorder=recorder,
        agenda=[AgendaIn(title=_("分析本月群众诉求热点"))],
    )
    meeting_record(
        actor=chair_user,
        meeting=waiting,
        held_at=_at(today - timedelta(days=2)),
        chair=secretary,
        recorder=recorder,
        attendance=everyone,
        items=[
            ItemIn(title=a.title, agenda_item=a, minutes=_("逐条梳理，形成处理建议。"))
            for a in waiting.agenda.all()
        ],
        place=waiting.place,
    )
    meeting_confirm(actor=chair_user, meeting=waiting)
    meeting_plan(
        actor=chair_user,
        org=org,
        kind=kind,
        planned_at=_at(today + timedelta(days=7)),
        place=done.place,
        chair=secretary,
        recorder=recorder,
        agenda=[AgendaIn(title=_("研究下月重点工作"))],
    )
    appraisal = appraisal_open(actor=chair_user, org=org, year=today.year)
    self_assessment_submit(
        actor=recorder_user, appraisal=appraisal, text=_("今年按时参加组织生活，联系 12 户居民。")
    )
    appraisal_advance(actor=chair_user, appraisal=appraisal, to_stage=AppraisalStage.PEER)
    appraisal_advance(actor=chair_user, appraisal=appraisal, to_stage=AppraisalStage.BALLOT)
    return 3
