"""The 三率 (DOMAIN.md §2, 条例 第三十二条): response, resolution and satisfaction rates per
handling unit and calendar month (Asia/Shanghai), their composite, and the monthly snapshot
that rankings read.

A month's figures are read from `Review` rows that are valid (有效回访), not superseded by a
later review of the same ticket, and reviewed in that month:

- response rate = contacted / valid; resolution rate = solved / valid;
- satisfaction rate = (满意 + w·基本满意) / valid, w = settings.RATES_BASIC_WEIGHT;
- composite = settings.RATES_WEIGHTS · (response, resolution, satisfaction);
- on-time shares: responded / resolved within the ticket's clock, over valid;
- returns (退单) and reopens (重办) in the month, from the timeline.

An Area unit counts everything handled in its subtree (a community includes its grids, a street
its communities); a department counts what was sent to it, district-wide. A unit without a
valid review has no rates (None, "无有效回访"), never 0. Every read is two grouped queries
(reviews by unit, timeline events by unit) whatever the number of units: subtree totals are
added up in Python from per-path counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.core.errors import NotFound, ValidationFailed
from grassroots.core.scoping import prefixes, scope_of, under, under_paths
from grassroots.core.worktime import LOCAL
from grassroots.territory.models import Area, AreaKind, Department

from .models import EventKind, RatesSnapshot, Review, Satisfaction, TicketEvent
from .rules import covers

# Area units that are rated: the district and every level that can handle a ticket.
RATED_AREA_KINDS = (
    AreaKind.DISTRICT,
    AreaKind.STREET,
    AreaKind.TOWNSHIP,
    AreaKind.COMMUNITY,
    AreaKind.VILLAGE,
    AreaKind.GRID,
)
RANKING_KINDS = {
    "street": (AreaKind.STREET, AreaKind.TOWNSHIP),
    "community": (AreaKind.COMMUNITY, AreaKind.VILLAGE),
    "grid": (AreaKind.GRID,),
}
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")

Unit = Area | Department


# ---------------------------------------------------------------------------------------------
# months


def month_of(day: date | datetime) -> date:
    """The first day of the (Asia/Shanghai) month holding `day`."""
    if isinstance(day, datetime):
        day = timezone.localtime(day, LOCAL).date()
    return day.replace(day=1)


def current_month(now: datetime | None = None) -> date:
    return month_of(now or timezone.now())


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[start, end) of the month as aware datetimes at local midnight."""
    start = datetime.combine(month.replace(day=1), time.min, tzinfo=LOCAL)
    return start, datetime.combine(next_month(month), time.min, tzinfo=LOCAL)


def parse_month(text: str | None, *, now: datetime | None = None) -> date:
    """'2026-10' → date(2026, 10, 1); empty → this month. A malformed month or one after
    this month is a field error on `month`."""
    text = (text or "").strip()
    this = current_month(now)
    if not text:
        return this
    found = MONTH_RE.match(text)
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
        raise ValidationFailed(fields={"month": [_("月份格式应为 YYYY-MM，如 2026-10。")]})
    month = date(int(found.group(1)), int(found.group(2)), 1)
    if month > this:
        raise ValidationFailed(fields={"month": [_("不能查询尚未开始的月份。")]})
    return month


def recent_months(count: int = 12, now: datetime | None = None) -> list[date]:
    """This month and the `count - 1` before it, newest first (the month picker)."""
    months = [current_month(now)]
    while len(months) < count:
        months.append(previous_month(months[-1]))
    return months


# ---------------------------------------------------------------------------------------------
# figures


@dataclass
class Counts:
    valid: int = 0
    contacted: int = 0
    solved: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0
    unsatisfied: int = 0
    responded_on_time: int = 0
    resolved_on_time: int = 0
    returns: int = 0
    reopens: int = 0

    def add(self, other: Counts) -> None:
        for f in COUNT_FIELDS:
            setattr(self, f, getattr(self, f) + getattr(other, f))

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, f) for f in COUNT_FIELDS)


COUNT_FIELDS = tuple(f.name for f in fields(Counts))


@dataclass
class UnitRates(Counts):
    """One unit's month. Rates are shares in [0, 1], or None without a valid review."""

    unit: Unit | None = None
    month: date | None = None
    response_rate: float | None = None
    resolution_rate: float | None = None
    satisfaction_rate: float | None = None
    composite: float | None = None
    # When read from a snapshot: when it was taken (None: computed now from the reviews).
    computed_at: datetime | None = field(default=None)

    @property
    def is_department(self) -> bool:
        return isinstance(self.unit, Department)

    @property
    def code(self) -> str:
        return self.unit.code if self.unit is not None else ""

    @property
    def name(self) -> str:
        return self.unit.name if self.unit is not None else ""

    @property
    def kind(self) -> str:
        """The Area kind (street, community…), or "department"."""
        if isinstance(self.unit, Area):
            return str(self.unit.kind)
        return "department"

    @property
    def has_reviews(self) -> bool:
        return self.valid > 0

    @property
    def on_time_response_share(self) -> float | None:
        return self.responded_on_time / self.valid if self.valid else None

    @property
    def on_time_resolution_share(self) -> float | None:
        return self.resolved_on_time / self.valid if self.valid else None


def with_rates(counts: Counts, unit: Unit | None, month: date | None) -> UnitRates:
    """The counts with their rates computed under the configured weights."""
    out = UnitRates(unit=unit, month=month, **{f: getattr(counts, f) for f in COUNT_FIELDS})
    if counts.valid:
        valid = counts.valid
        basic_weight = float(settings.RATES_BASIC_WEIGHT)
        out.response_rate = counts.contacted / valid
        out.resolution_rate = counts.solved / valid
        out.satisfaction_rate = (
            counts.satisfied + basic_weight * counts.basically_satisfied
        ) / valid
        w_response, w_resolution, w_satisfaction = (float(w) for w in settings.RATES_WEIGHTS)
        out.composite = (
            w_response * out.response_rate
            + w_resolution * out.resolution_rate
            + w_satisfaction * out.satisfaction_rate
        )
    return out


def _outermost(paths: Iterable[str]) -> list[str]:
    ordered = sorted(set(paths))
    out: list[str] = []
    for path in ordered:
        if not any(path.startswith(o) for o in out):
            out.append(path)
    return out


def _raw_counts(
    month: date, area_paths: Sequence[str] | None, department_ids: Sequence[int] | None
) -> tuple[dict[str, Counts], dict[int, Counts]]:
    """Per-path subtree totals and per-department counts for the month: two grouped queries.

    `area_paths` / `department_ids` limit what is read (None: everything; []: nothing)."""
    start, end = month_bounds(month)
    parts: list[Q] = []
    if area_paths is None:
        parts.append(~Q(unit_path=""))
    elif area_paths:
        q = under_paths("unit_path", _outermost(area_paths))
        assert q is not None
        parts.append(q)
    if department_ids is None:
        parts.append(Q(unit_department_id__isnull=False))
    elif department_ids:
        parts.append(Q(unit_department_id__in=list(department_ids)))
    by_path: dict[str, Counts] = {}
    by_department: dict[int, Counts] = {}
    if not parts:
        return by_path, by_department
    unit_q = parts[0]
    for part in parts[1:]:
        unit_q |= part

    def slot(path: str, department_id: int | None) -> Counts | None:
        if department_id is not None:
            return by_department.setdefault(department_id, Counts())
        if path:
            return by_path.setdefault(path, Counts())
        return None

    reviews = (
        Review.objects.filter(
            unit_q,
            is_valid=True,
            superseded=False,
            reviewed_at__gte=start,
            reviewed_at__lt=end,
        )
        .order_by()
        .values("unit_path", "unit_department_id")
        .annotate(
            valid=Count("id"),
            contacted=Count("id", filter=Q(contacted=True)),
            solved=Count("id", filter=Q(solved=True)),
            satisfied=Count("id", filter=Q(satisfaction=Satisfaction.SATISFIED)),
            basically_satisfied=Count("id", filter=Q(satisfaction=Satisfaction.BASIC)),
            unsatisfied=Count("id", filter=Q(satisfaction=Satisfaction.UNSATISFIED)),
            responded_on_time=Count("id", filter=Q(responded_on_time=True)),
            resolved_on_time=Count("id", filter=Q(resolved_on_time=True)),
        )
    )
    review_fields = [f for f in COUNT_FIELDS if f not in ("returns", "reopens")]
    for row in reviews:
        target = slot(row["unit_path"], row["unit_department_id"])
        if target is not None:
            values: dict[str, Any] = dict(row)
            target.add(Counts(**{f: values[f] for f in review_fields}))
    events = (
        TicketEvent.objects.filter(
            unit_q,
            kind__in=[EventKind.RETURNED, EventKind.REOPENED],
            created_at__gte=start,
            created_at__lt=end,
        )
        .order_by()
        .values("unit_path", "unit_department_id", "kind")
        .annotate(n=Count("id"))
    )
    for ev in events:
        target = slot(ev["unit_path"], ev["unit_department_id"])
        if target is None:
            continue
        if ev["kind"] == EventKind.RETURNED:
            target.returns += ev["n"]
        else:
            target.reopens += ev["n"]
    # Subtree totals: every path's counts added to each node above it.
    totals: dict[str, Counts] = {}
    for path, counts in by_path.items():
        for prefix in prefixes(path):
            totals.setdefault(prefix, Counts()).add(counts)
    return totals, by_department


def unit_rates(
    *,
    month: date,
    areas: Sequence[Area] | None = None,
    departments: Sequence[Department] | None = None,
) -> list[UnitRates]:
    """The month's figures of the given units, computed from the reviews (areas first, then
    departments, in the order given). None: every rated area (or department) with activity
    in the month; []: none."""
    month = month_of(month)
    totals, by_department = _raw_counts(
        month,
        None if areas is None else [a.path for a in areas],
        None if departments is None else [d.pk for d in departments],
    )
    if areas is None:
        areas = list(Area.objects.filter(path__in=list(totals), kind__in=RATED_AREA_KINDS))
    if departments is None:
        departments = list(
            Department.objects.filter(pk__in=list(by_department)).select_related("area")
        )
    out = [with_rates(totals.get(a.path, Counts()), a, month) for a in areas]
    out += [with_rates(by_department.get(d.pk, Counts()), d, month) for d in departments]
    return out


# ---------------------------------------------------------------------------------------------
# snapshots


def _street_of(area: Area) -> int | None:
    if area.kind in (AreaKind.STREET, AreaKind.TOWNSHIP):
        return area.pk
    return None


def snapshot_month(month: date) -> int:
    """Store the month's figures of every rated area and department with activity (a valid
    review, a return or a reopen) as RatesSnapshot rows; returns how many. Idempotent: the
    month's rows are replaced as a whole, in one transaction."""
    month = month_of(month)
    for attempt in range(2):
        try:
            return _write_snapshot(month)
        except IntegrityError:
            # Another run of the same month committed first (two workers at once): its rows
            # are now visible to our delete, so one retry replaces them cleanly.
            if attempt:
                raise
    return 0  # pragma: no cover - the loop returns or raises


def _write_snapshot(month: date) -> int:
    now = timezone.now()
    with transaction.atomic():
        results = [r for r in unit_rates(month=month) if not r.is_empty]
        street_path_len = 2 * Area.steplen
        streets = {
            a.path: a.pk
            for a in Area.objects.filter(
                path__in={
                    r.unit.path[:street_path_len] for r in results if isinstance(r.unit, Area)
                },
                kind__in=RANKING_KINDS["street"],
            )
        }
        rows = []
        for r in results:
            area = r.unit if isinstance(r.unit, Area) else None
            department = r.unit if isinstance(r.unit, Department) else None
            if area is not None:
                street_id = streets.get(area.path[:street_path_len])
            else:
                assert department is not None
                street_id = _street_of(department.area)
            rows.append(
                RatesSnapshot(
                    month=month,
                    area=area,
                    department=department,
                    street_id=street_id,
                    unit_path=area.path if area is not None else "",
                    response_rate=r.response_rate,
                    resolution_rate=r.resolution_rate,
                    satisfaction_rate=r.satisfaction_rate,
                    composite=r.composite,
                    computed_at=now,
                    **{f: getattr(r, f) for f in COUNT_FIELDS},
                )
            )
        RatesSnapshot.objects.filter(month=month).delete()
        RatesSnapshot.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _from_snapshot(row: RatesSnapshot, unit: Unit) -> UnitRates:
    return UnitRates(
        unit=unit,
        month=row.month,
        response_rate=row.response_rate,
        resolution_rate=row.resolution_rate,
        satisfaction_rate=row.satisfaction_rate,
        composite=row.composite,
        computed_at=row.computed_at,
        **{f: getattr(row, f) for f in COUNT_FIELDS},
    )


def by_composite(rows: Iterable[UnitRates]) -> list[UnitRates]:
    """Best composite first; units without a valid review last; ties by unit code."""
    return sorted(
        rows,
        key=lambda r: (r.composite is None, -(r.composite or 0.0), r.code),
    )


def ranking(month: date, kind: str = "street", *, within: Area | None = None) -> list[UnitRates]:
    """The month's ranking of streets, communities (and villages), grids or departments, read
    from the snapshot (best composite first). `within` keeps the units under one area."""
    month = month_of(month)
    qs = RatesSnapshot.objects.filter(month=month)
    if kind == "department":
        qs = qs.filter(department__isnull=False).select_related("department")
    elif kind in RANKING_KINDS:
        qs = qs.filter(area__kind__in=RANKING_KINDS[kind]).select_related("area")
        if within is not None:
            qs = qs.filter(under("unit_path", within.path))
    else:
        raise ValueError(f"unknown ranking kind {kind!r}")
    return by_composite(_from_snapshot(row, _unit_of(row)) for row in qs)


def _unit_of(row: RatesSnapshot) -> Unit:
    unit = row.area or row.department
    assert unit is not None  # a check constraint holds exactly one
    return unit


def rates_for(
    *,
    month: date,
    areas: Sequence[Area] = (),
    departments: Sequence[Department] = (),
    now: datetime | None = None,
) -> list[UnitRates]:
    """What pages and the API show: this month live from the reviews; a past month from its
    snapshot, or live when that month was never snapshotted. Same order as given; each
    result's `computed_at` says when its snapshot was taken (None: live)."""
    month = month_of(month)
    if month >= current_month(now):
        return unit_rates(month=month, areas=list(areas), departments=list(departments))
    area_ids = [a.pk for a in areas]
    department_ids = [d.pk for d in departments]
    rows = list(
        RatesSnapshot.objects.filter(month=month).filter(
            Q(area_id__in=area_ids) | Q(department_id__in=department_ids)
        )
    )
    taken = (
        rows[0].computed_at
        if rows
        else RatesSnapshot.objects.filter(month=month).values_list("computed_at", flat=True).first()
    )
    if taken is None:
        return unit_rates(month=month, areas=list(areas), departments=list(departments))
    by_area = {r.area_id: r for r in rows if r.area_id}
    by_department = {r.department_id: r for r in rows if r.department_id}

    def read(unit: Unit, row: RatesSnapshot | None) -> UnitRates:
        if row is not None:
            return _from_snapshot(row, unit)
        # Snapshotted month, no row: the unit had no activity that month.
        empty = with_rates(Counts(), unit, month)
        empty.computed_at = taken
        return empty

    return [read(a, by_area.get(a.pk)) for a in areas] + [
        read(d, by_department.get(d.pk)) for d in departments
    ]


# ---------------------------------------------------------------------------------------------
# who reads what


def default_unit(user: Any) -> Unit:
    """The user's own top unit: the outermost area of their scope, else their department."""
    scope = scope_of(user)
    if scope.area_paths:
        area = Area.objects.filter(path=scope.area_paths[0]).first()
        if area is not None:
            return area
    if scope.department_ids:
        dept = Department.objects.filter(pk=scope.department_ids[0]).first()
        if dept is not None:
            return dept
    raise NotFound(_("您的账号没有管辖单位。"))


def rates_unit(user: Any, code: str) -> Unit:
    """The unit named by an Area or Department code, if the user may read its rates: an area
    inside their territory, or a department they may see (their own, or for area staff the
    departments of their district and street). Anything else is NotFound."""
    code = (code or "").strip()
    if not code:
        return default_unit(user)
    area = Area.objects.filter(code=code, kind__in=RATED_AREA_KINDS).first()
    if area is not None:
        if covers(user, area.path):
            return area
        raise NotFound()
    dept = Department.objects.visible_to(user).filter(code=code).first()
    if dept is None:
        raise NotFound()
    return dept


def rated_children(unit: Unit) -> list[Area]:
    """The units one level down that are rated: a district's streets, a street's communities
    and villages, a community's grids; none under a grid or a department."""
    if not isinstance(unit, Area):
        return []
    return list(
        Area.objects.filter(
            under("path", unit.path), depth=unit.depth + 1, kind__in=RATED_AREA_KINDS
        ).order_by("path")
    )


def snapshot_recent(now: datetime | None = None) -> dict[str, int]:
    """The periodic job: the previous month (whose figures settle once it is over) and this
    month so far."""
    this = current_month(now)
    last = previous_month(this)
    return {f"{last:%Y-%m}": snapshot_month(last), f"{this:%Y-%m}": snapshot_month(this)}
