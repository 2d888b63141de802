"""The compliance calendar (合规日历): for every branch and group, per month, quarter or year,
which required meetings were held on time, made up late, or are missing; what is due now; and
the reminder sweep before a period ends.

A confirmed meeting counts for the period its `covers` date falls in (the meeting services set
it to the first day of that period; a make-up meeting, 补开, covers an earlier one). A meeting
held after the end of the period it covers is a make-up: the period shows as late, not held.
Talks (谈心谈话) count pairs, not meetings: the secretary with each committee member, and each
member with the secretary or a committee member, at least once a year (DOMAIN.md §4).

Reads are bounded: a whole street costs the same handful of queries (the organisations, the
kinds, the committees, the confirmed meetings, the planned ones, the talks' attendance and the
branches' members) whatever the number of organisations and meetings — never one per cell.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grassroots.accounts.models import Role, User
from grassroots.core.audit import audit_log
from grassroots.core.errors import NotFound
from grassroots.core.scoping import prefixes, under, with_ancestors
from grassroots.notices.services import notify

from . import life_rules
from .models import (
    BRANCH_KINDS,
    Attendance,
    AttendanceStatus,
    HeldBy,
    Meeting,
    MeetingKind,
    MeetingState,
    OrgKind,
    PartyMember,
    PartyOrg,
    ReminderSent,
)
from .periods import Span, periods, span_of

# Organisations that hold meetings of their own: branches and groups (life_rules.holds).
HOLDING_KINDS = frozenset({*BRANCH_KINDS, OrgKind.GROUP})
# A community's or village's committee groups the branches in the overview; the street working
# committee groups the communities.
COMMUNITY_KINDS = frozenset({OrgKind.COMMUNITY_COMMITTEE, OrgKind.VILLAGE_COMMITTEE})
# Accounts reminded besides the organisation's own secretary: the community's staff above it.
REMINDED_ROLES = (Role.COMMUNITY_SECRETARY, Role.COMMUNITY_STAFF)
HEART_TO_HEART = "heart_to_heart"
THEME_DAY = "theme_day"
# Not yet confirmed, not cancelled: a meeting on its way.
PENDING_STATES = (MeetingState.PLANNED, MeetingState.RECORDED)


class Status(models.TextChoices):
    HELD = "held", gettext_lazy("按时召开")
    LATE = "late", gettext_lazy("逾期补开")
    MISSING = "missing", gettext_lazy("未召开")
    DUE = "due", gettext_lazy("本期待开")
    PLANNED = "planned", gettext_lazy("已计划")
    UPCOMING = "upcoming", gettext_lazy("未到期")


# Short words for a narrow cell in the month grid.
SHORT = {
    Status.HELD: gettext_lazy("已开"),
    Status.LATE: gettext_lazy("补开"),
    Status.MISSING: gettext_lazy("未开"),
    Status.DUE: gettext_lazy("待开"),
    Status.PLANNED: gettext_lazy("已计划"),
    Status.UPCOMING: gettext_lazy("未到"),
}

# A period is counted (in "10/12") once it has ended or its meetings are held.
COUNTED = frozenset({Status.HELD, Status.LATE, Status.MISSING})
OPEN = frozenset({Status.DUE, Status.PLANNED})


# --- what the calendar shows --------------------------------------------------------------------


@dataclass
class Cell:
    """One kind in one period for one organisation."""

    span: Span
    status: str
    need: int = 1  # meetings (or, for talks, pairs) the period asks for
    done: int = 0  # those that count, on time or made up
    late: int = 0  # of which made up after the period ended
    days_left: int | None = None  # for the current period
    planned_on: date | None = None  # the first planned meeting, when one is
    note: str = ""
    off_day: bool = False  # a theme day held on another day than the branch's fixed one

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)

    @property
    def status_short(self) -> str:
        return str(SHORT[Status(self.status)])

    @property
    def is_current(self) -> bool:
        return self.days_left is not None


@dataclass
class KindRow:
    """One organisation's cells for one kind over the year."""

    kind: MeetingKind
    cells: list[Cell]

    def count(self, *statuses: str) -> int:
        return sum(1 for c in self.cells if c.status in statuses)

    @property
    def done(self) -> int:
        return self.count(Status.HELD, Status.LATE)

    @property
    def counted(self) -> int:
        return self.count(*COUNTED)

    @property
    def late(self) -> int:
        return self.count(Status.LATE)

    @property
    def missing(self) -> int:
        return self.count(Status.MISSING)

    @property
    def behind(self) -> bool:
        return bool(self.late or self.missing)

    @property
    def current(self) -> Cell | None:
        return next((c for c in self.cells if c.is_current), None)

    @property
    def tone(self) -> str:
        """The colour of the summary: missing > late > held; nothing counted yet is neutral."""
        if self.missing:
            return Status.MISSING
        if self.late:
            return Status.LATE
        return Status.HELD if self.counted else Status.UPCOMING


@dataclass
class OrgCompliance:
    org: PartyOrg
    rows: list[KindRow]
    depth: int = 0  # below the top organisation shown (a group under its branch: 1)

    def row(self, code: str) -> KindRow | None:
        return next((r for r in self.rows if r.kind.code == code), None)

    @property
    def behind(self) -> list[KindRow]:
        return [r for r in self.rows if r.behind]

    @property
    def due(self) -> list[tuple[KindRow, Cell]]:
        """The current periods not held yet, soonest ending first."""
        found = [(r, c) for r in self.rows if (c := r.current) and c.status in OPEN]
        return sorted(found, key=lambda rc: (rc[1].days_left or 0, rc[0].kind.order))


@dataclass
class Totals:
    done: int = 0
    counted: int = 0
    late: int = 0
    missing: int = 0

    def add(self, row: KindRow) -> None:
        self.done += row.done
        self.counted += row.counted
        self.late += row.late
        self.missing += row.missing

    @property
    def tone(self) -> str:
        if self.missing:
            return Status.MISSING
        if self.late:
            return Status.LATE
        return Status.HELD if self.counted else Status.UPCOMING


@dataclass
class Rollup:
    """Branches and groups under one committee (a community's, or the street's)."""

    org: PartyOrg | None
    members: list[OrgCompliance] = field(default_factory=list)
    totals: dict[int, Totals] = field(default_factory=dict)

    def add(self, item: OrgCompliance) -> None:
        self.members.append(item)
        for row in item.rows:
            self.totals.setdefault(row.kind.pk, Totals()).add(row)

    @property
    def branches(self) -> int:
        return sum(1 for m in self.members if m.org.kind in BRANCH_KINDS)

    @property
    def behind(self) -> int:
        """Branches behind, themselves or in one of their groups."""
        late = [m.org.path for m in self.members if m.behind]
        return sum(
            1
            for m in self.members
            if m.org.kind in BRANCH_KINDS and any(p.startswith(m.org.path) for p in late)
        )


@dataclass
class Compliance:
    year: int
    today: date
    kinds: list[MeetingKind]
    orgs: list[OrgCompliance]
    communities: list[Rollup] = field(default_factory=list)
    streets: list[Rollup] = field(default_factory=list)

    def of(self, org: PartyOrg) -> OrgCompliance | None:
        return next((o for o in self.orgs if o.org.pk == org.pk), None)


# --- the computation ----------------------------------------------------------------------------


def _local_day(moment: datetime | None) -> date | None:
    return timezone.localtime(moment).date() if moment is not None else None


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(date(year, 1, 1), time.min))
    end = timezone.make_aware(datetime.combine(date(year + 1, 1, 1), time.min))
    return start, end


def _in_year(year: int, moment_field: str, prefix: str = "") -> Q:
    """Meetings that count for the year: those covering a period of it, or (no covers set)
    held or planned in it."""
    start, end = _year_bounds(year)
    return Q(
        **{f"{prefix}covers__gte": date(year, 1, 1), f"{prefix}covers__lte": date(year, 12, 31)}
    ) | Q(
        **{
            f"{prefix}covers__isnull": True,
            f"{prefix}{moment_field}__gte": start,
            f"{prefix}{moment_field}__lt": end,
        }
    )


@dataclass
class _Facts:
    """What the queries found, keyed by (org id, kind id, period start)."""

    on_time: dict[tuple[int, int, date], int] = field(default_factory=lambda: defaultdict(int))
    late: dict[tuple[int, int, date], int] = field(default_factory=lambda: defaultdict(int))
    off_days: dict[tuple[int, int, date], list[int]] = field(
        default_factory=lambda: defaultdict(list)
    )
    planned: dict[tuple[int, int, date], date] = field(default_factory=dict)
    # Talks: per org, the pairs met on time and the pairs met at all (make-ups included).
    pairs_on_time: dict[int, set[frozenset[int]]] = field(default_factory=lambda: defaultdict(set))
    pairs_all: dict[int, set[frozenset[int]]] = field(default_factory=lambda: defaultdict(set))
    committees: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    members: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))


def _gather(
    orgs: QuerySet[PartyOrg],
    org_list: list[PartyOrg],
    kinds: list[MeetingKind],
    year: int,
) -> _Facts:
    facts = _Facts()
    if not org_list or not kinds:
        return facts
    by_id = {k.pk: k for k in kinds}
    theme_days = {o.pk: o.theme_day for o in org_list}
    scope = orgs.order_by().values("pk")
    through = PartyOrg.committee.through
    for org_id, member_id in through.objects.filter(partyorg_id__in=scope).values_list(
        "partyorg_id", "partymember_id"
    ):
        facts.committees[org_id].add(member_id)

    confirmed = Meeting.objects.filter(
        org_id__in=scope, kind_id__in=list(by_id), state=MeetingState.CONFIRMED
    ).filter(_in_year(year, "held_at"))
    held_on: dict[int, tuple[int, int, date | None]] = {}
    for pk, org_id, kind_id, covers, held_at in confirmed.values_list(
        "pk", "org_id", "kind_id", "covers", "held_at"
    ):
        kind = by_id[kind_id]
        held = _local_day(held_at)
        day = covers or held
        if day is None:
            continue
        span = span_of(kind.period, day)
        key = (org_id, kind_id, span.start)
        is_late = held is not None and held > span.end
        held_on[pk] = (org_id, kind_id, held)
        if kind.held_by == HeldBy.PAIR:
            continue  # talks count pairs, read from the attendance below
        if is_late:
            facts.late[key] += 1
        else:
            facts.on_time[key] += 1
        fixed = theme_days.get(org_id)
        if kind.code == THEME_DAY and fixed and held is not None and held.day != fixed:
            facts.off_days[key].append(held.day)

    pending = Meeting.objects.filter(
        org_id__in=scope, kind_id__in=list(by_id), state__in=PENDING_STATES
    ).filter(_in_year(year, "planned_at"))
    for org_id, kind_id, covers, planned_at in pending.order_by("planned_at").values_list(
        "org_id", "kind_id", "covers", "planned_at"
    ):
        planned_on = _local_day(planned_at)
        day = covers or planned_on
        if day is None or planned_on is None:
            continue
        key = (org_id, kind_id, span_of(by_id[kind_id].period, day).start)
        facts.planned.setdefault(key, planned_on)

    talks = [k for k in kinds if k.held_by == HeldBy.PAIR]
    if talks and any(o.kind in BRANCH_KINDS for o in org_list):
        present: dict[int, set[int]] = defaultdict(set)
        rows = Attendance.objects.filter(
            record__meeting__org_id__in=scope,
            record__meeting__kind_id__in=[k.pk for k in talks],
            record__meeting__state=MeetingState.CONFIRMED,
            # Only the current version of the record counts; older ones are history.
            record__version=F("record__meeting__version"),
            status=AttendanceStatus.PRESENT,
        ).filter(_in_year(year, "held_at", prefix="record__meeting__"))
        for meeting_id, member_id in rows.values_list("record__meeting_id", "member_id"):
            present[meeting_id].add(member_id)
        for meeting_id, people in present.items():
            if meeting_id not in held_on:
                continue
            org_id, _kind_id, held = held_on[meeting_id]
            met = {frozenset(p) for p in _pairs(people)}
            facts.pairs_all[org_id] |= met
            if held is None or held.year <= year:
                facts.pairs_on_time[org_id] |= met
        branch_scope = orgs.order_by().filter(kind__in=BRANCH_KINDS).values("pk")
        for member_id, branch_id in PartyMember.objects.filter(
            branch_id__in=branch_scope
        ).values_list("pk", "branch_id"):
            facts.members[branch_id].add(member_id)
    return facts


def _pairs(people: Iterable[int]) -> list[tuple[int, int]]:
    ordered = sorted(people)
    return [(a, b) for i, a in enumerate(ordered) for b in ordered[i + 1 :]]


def talk_pairs(
    org: PartyOrg, committee: set[int], members: set[int], met: set[frozenset[int]]
) -> tuple[int, int]:
    """(pairs done, pairs required) for the year's talks (谈心谈话): the secretary with each
    committee member, and each other member with the secretary or a committee member."""
    secretary: int | None = org.secretary_id
    leaders = committee | {secretary} if secretary else set(committee)
    required = done = 0
    for member in sorted(m for m in members | committee if m != secretary):
        # A committee member talks with the secretary; everyone else with any leader.
        by_secretary = member in committee and secretary is not None
        partners = {secretary} if by_secretary and secretary else leaders - {member}
        required += 1
        if any(frozenset((member, p)) in met for p in partners):
            done += 1
    return done, required


def _cell(
    span: Span,
    today: date,
    *,
    need: int,
    on_time: int,
    late: int,
    planned_on: date | None,
) -> Cell:
    done = on_time + late
    current = span.contains(today)
    cell = Cell(span=span, status=Status.UPCOMING, need=need, done=done, late=late)
    if current:
        cell.days_left = (span.end - today).days
    if on_time >= need:
        cell.status = Status.HELD
    elif done >= need:
        cell.status = Status.LATE
    elif span.end < today:
        cell.status = Status.MISSING
        if planned_on is not None:
            cell.note = _("已计划补开。")
    elif planned_on is not None:
        cell.status = Status.PLANNED
        cell.planned_on = planned_on
    elif current:
        cell.status = Status.DUE
    return cell


def _theme_note(cell: Cell, fixed: int | None, off_days: list[int]) -> None:
    if fixed is None:
        return
    if off_days:
        cell.off_day = True
        days = "、".join(str(d) for d in sorted(set(off_days)))
        cell.note = _("%(days)s 日召开，不在固定的 %(fixed)d 日，照常计入。") % {
            "days": days,
            "fixed": fixed,
        }
    elif cell.status in OPEN or cell.status == Status.UPCOMING:
        cell.note = _("固定在 %(fixed)d 日。") % {"fixed": fixed}


def _rows_for(
    org: PartyOrg, kinds: list[MeetingKind], facts: _Facts, year: int, today: date
) -> list[KindRow]:
    committee = facts.committees.get(org.pk, set())
    rows = []
    for kind in kinds:
        if not life_rules.holds(kind, org, has_committee=bool(committee)):
            continue
        cells = []
        for span in periods(kind.period, year):
            key = (org.pk, kind.pk, span.start)
            if kind.held_by == HeldBy.PAIR:
                on_time, need = talk_pairs(
                    org, committee, facts.members.get(org.pk, set()), facts.pairs_on_time[org.pk]
                )
                done, _need = talk_pairs(
                    org, committee, facts.members.get(org.pk, set()), facts.pairs_all[org.pk]
                )
                cell = _cell(
                    span,
                    today,
                    need=need,
                    on_time=on_time,
                    late=done - on_time,
                    planned_on=facts.planned.get(key),
                )
                cell.note = _("已谈 %(done)d/%(need)d 对。") % {"done": done, "need": need}
                if not org.secretary_id and not committee:
                    cell.note += _("支部尚未设书记和委员。")
            else:
                cell = _cell(
                    span,
                    today,
                    need=kind.times,
                    on_time=facts.on_time.get(key, 0),
                    late=facts.late.get(key, 0),
                    planned_on=facts.planned.get(key),
                )
                if kind.code == THEME_DAY:
                    _theme_note(cell, org.theme_day, facts.off_days.get(key, []))
            cells.append(cell)
        rows.append(KindRow(kind=kind, cells=cells))
    return rows


def required_kinds() -> list[MeetingKind]:
    return list(MeetingKind.objects.filter(required=True).order_by("order", "code"))


def compute(
    orgs: QuerySet[PartyOrg],
    *,
    year: int,
    today: date,
    kinds: list[MeetingKind] | None = None,
) -> list[OrgCompliance]:
    """The calendar of every branch and group in `orgs` for `year`, as of `today`."""
    kinds = required_kinds() if kinds is None else kinds
    org_list = list(orgs.filter(kind__in=HOLDING_KINDS).order_by("path"))
    facts = _gather(orgs.filter(kind__in=HOLDING_KINDS), org_list, kinds, year)
    top = min((o.depth for o in org_list), default=0)
    result = []
    for org in org_list:
        item = OrgCompliance(org=org, rows=_rows_for(org, kinds, facts, year, today))
        item.depth = org.depth - top
        result.append(item)
    return result


# --- who sees what ------------------------------------------------------------------------------


def _own_q(user: Any) -> Q:
    """The branch and group of the user's own membership."""
    own = PartyMember.objects.of_user(user)
    return Q(pk__in=own.values("branch_id")) | Q(pk__in=own.values("group_id"))


def orgs_seen_by(user: Any) -> QuerySet[PartyOrg]:
    """Every organisation the user may read the calendar of: the ones in their territory
    (PartyOrg.visible_to) and, for a party member, their own branch and group."""
    if (
        not getattr(user, "is_authenticated", False)
        or not user.is_active
        or getattr(user, "is_admin_role", False)
    ):
        return PartyOrg.objects.none()
    return PartyOrg.objects.visible_to(user) | PartyOrg.objects.filter(_own_q(user))


def org_seen_by(user: Any, pk: Any) -> PartyOrg:
    """One organisation the user may read, or NotFound (404)."""
    try:
        org: PartyOrg = orgs_seen_by(user).get(pk=pk)
    except (PartyOrg.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc
    return org


def compliance_for(
    user: Any, year: int, today: date | None = None, *, root: PartyOrg | None = None
) -> Compliance:
    """The calendar of every branch and group the user may see (under `root` when given),
    rolled up per community committee and per street working committee."""
    today = today or timezone.localdate()
    kinds = required_kinds()
    seen = orgs_seen_by(user)
    orgs = seen.filter(under("path", root.path)) if root is not None else seen
    items = compute(orgs, year=year, today=today, kinds=kinds)
    result = Compliance(year=year, today=today, kinds=kinds, orgs=items)
    _roll_up(result, seen)
    return result


def compliance_under(org: PartyOrg, year: int, today: date | None = None) -> Compliance:
    """The calendar of an organisation and every branch and group under it, for a page that
    has already decided the user may read it (a branch's home shows all its groups)."""
    today = today or timezone.localdate()
    kinds = required_kinds()
    orgs = PartyOrg.objects.filter(under("path", org.path))
    return Compliance(
        year=year, today=today, kinds=kinds, orgs=compute(orgs, year=year, today=today, kinds=kinds)
    )


def _roll_up(result: Compliance, seen: QuerySet[PartyOrg]) -> None:
    if not result.orgs:
        return
    step = PartyOrg.steplen
    above = {o.org.path[:end] for o in result.orgs for end in range(step, len(o.org.path), step)}
    # Only the committees the user may see name a group: the overview does not leak names.
    committees = {
        o.path: o
        for o in seen.filter(
            path__in=above, kind__in=[*COMMUNITY_KINDS, OrgKind.STREET_WORKING_COMMITTEE]
        )
    }

    def nearest(path: str, kinds: frozenset[str]) -> PartyOrg | None:
        for end in range(len(path) - step, 0, -step):
            org = committees.get(path[:end])
            if org is not None and org.kind in kinds:
                return org
        return None

    communities: dict[int | None, Rollup] = {}
    streets: dict[int | None, Rollup] = {}
    for item in result.orgs:
        community = nearest(item.org.path, COMMUNITY_KINDS)
        key = community.pk if community else None
        communities.setdefault(key, Rollup(org=community)).add(item)
        street = nearest(item.org.path, frozenset({OrgKind.STREET_WORKING_COMMITTEE}))
        skey = street.pk if street else None
        streets.setdefault(skey, Rollup(org=street)).add(item)
    order = {o.org.pk: i for i, o in enumerate(result.orgs)}

    def first(rollup: Rollup) -> int:
        return order[rollup.members[0].org.pk]

    result.communities = sorted(communities.values(), key=first)
    result.streets = sorted(streets.values(), key=first)


# --- reminders ----------------------------------------------------------------------------------


def remind_compliance(today: date | None = None) -> int:
    """Before a period ends (within the kind's `remind_days`), remind every organisation that
    has not yet held enough confirmed meetings of a required kind for it: its secretary and
    the community staff and secretaries whose territory covers it. Once per organisation,
    kind and period: the sweep that inserts the ReminderSent row sends, so running it twice
    (or two workers at once) sends nothing twice. Returns the number of reminders sent."""
    today = today or timezone.localdate()
    kinds = [
        k for k in required_kinds() if (span_of(k.period, today).end - today).days <= k.remind_days
    ]
    if not kinds:
        return 0
    already = ReminderSent.objects.filter(
        kind__in=kinds, period_start__in={span_of(k.period, today).start for k in kinds}
    )
    sent_keys = set(already.values_list("org_id", "kind_id", "period_start"))
    holders = PartyOrg.objects.filter(kind__in=HOLDING_KINDS)
    sent = 0
    # One street at a time keeps the memory of a national sweep bounded.
    for street_id in holders.order_by().values_list("street_id", flat=True).distinct():
        orgs = holders.filter(street_id=street_id)
        owed: list[tuple[OrgCompliance, KindRow, Cell]] = []
        for item in compute(orgs, year=today.year, today=today, kinds=kinds):
            for row in item.rows:
                cell = row.current
                if cell is None or cell.status not in OPEN:
                    continue
                if (item.org.pk, row.kind.pk, cell.span.start) in sent_keys:
                    continue
                owed.append((item, row, cell))
        if owed:
            sent += _send_reminders(owed, today)
    return sent


def _send_reminders(owed: list[tuple[OrgCompliance, KindRow, Cell]], today: date) -> int:
    ids = {item.org.pk for item, _row, _cell in owed}
    orgs = {
        o.pk: o
        for o in PartyOrg.objects.filter(pk__in=ids).select_related(
            "secretary__user", "secretary__resident__user"
        )
    }
    # A group without its own head: its branch's secretary is told instead.
    parents = {
        o.path: o
        for o in PartyOrg.objects.filter(
            path__in={o.path[: -PartyOrg.steplen] for o in orgs.values() if o.kind == OrgKind.GROUP}
        ).select_related("secretary__user", "secretary__resident__user")
    }
    area_prefixes = with_ancestors(o.area_path for o in orgs.values())
    staff: dict[str, list[User]] = defaultdict(list)
    for user in User.objects.filter(
        is_active=True, role__in=REMINDED_ROLES, scope_areas__path__in=area_prefixes
    ).annotate(scope_path=F("scope_areas__path")):
        staff[user.scope_path].append(user)  # type: ignore[attr-defined]
    sent = 0
    for item, row, cell in owed:
        org = orgs[item.org.pk]
        secretary = org.secretary.account if org.secretary else None
        if secretary is None and org.kind == OrgKind.GROUP:
            parent = parents.get(org.path[: -PartyOrg.steplen])
            secretary = parent.secretary.account if parent and parent.secretary else None
        above = [u for prefix in prefixes(org.area_path) for u in staff.get(prefix, [])]
        people = [u for u in [secretary, *above] if u is not None]
        try:
            with transaction.atomic():
                ReminderSent.objects.create(org=org, kind=row.kind, period_start=cell.span.start)
                _remind(org, row.kind, cell, people)
        except IntegrityError:
            continue  # another sweep inserted the row first, and sends
        sent += 1
    return sent


def _remind(org: PartyOrg, kind: MeetingKind, cell: Cell, people: list[User]) -> None:
    title = _("【组织生活提醒】%(org)s%(kind)s") % {"org": org.name, "kind": kind.name}
    facts = {
        "org": org.name,
        "kind": kind.name,
        "period": cell.span.label,
        "end": cell.span.end.isoformat(),
        "days": cell.days_left or 0,
        "done": cell.done,
        "need": cell.need,
    }
    if kind.held_by == HeldBy.PAIR:
        body = _(
            "%(org)s %(period)s的%(kind)s已完成 %(done)d/%(need)d 对，本周期 %(end)s 结束，"
            "还有 %(days)d 天，请及时安排。"
        )
    else:
        body = _(
            "%(org)s %(period)s的%(kind)s已召开并确认 %(done)d 次，应开 %(need)d 次；"
            "本周期 %(end)s 结束，还有 %(days)d 天，请及时安排。"
        )
    body = body % facts
    if cell.planned_on is not None:
        body += _("已计划在 %(day)s 召开，开完请记得记录并确认。") % {
            "day": cell.planned_on.isoformat()
        }
    notify(
        recipients=people,
        title=title,
        body=body,
        url=reverse("party:branch_home", args=[org.pk]),
        kind="party.compliance_reminder",
    )
    audit_log(
        action="party.compliance_reminder",
        obj=org,
        data={
            "kind": kind.code,
            "period_start": cell.span.start.isoformat(),
            "done": cell.done,
            "need": cell.need,
            "recipients": len({u.pk for u in people}),
        },
    )
