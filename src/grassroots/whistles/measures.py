"""Monthly measures of 吹哨报到 (双考核): per department how it answered the whistles that
called it, per street how it blew them. Computed from the summons rows (a few grouped queries
for any number of units) and stored per month in `MeasureSnapshot` for the assessment.

Definitions (a summons counts in the month it was made, local time):
- received: summonses made in the month;
- due: reported in, or past the report-in deadline while still open (a summons released
  before its deadline without reporting is not due);
- on-time rate: reported in by the deadline ÷ due;
- minutes to report in: mean over those reported in;
- solved share: closed by the whistler's confirmation ÷ ended (confirmed, released, withdrawn);
- rating: mean of the whistler's three scores (1–5) over rated summonses;
- flags: shirking flags on the department raised in the month (by their own time).
Per street: whistles blown in the month by kind, and the share of the departments' ratings of
those whistles that said "necessary".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Avg, Count, F, Q
from django.utils import timezone

from grassroots.territory.models import Area, AreaKind, Department
from grassroots.tickets.rates import current_month, month_bounds, previous_month

from .models import (
    CLOSED_SUMMONS,
    DepartmentRating,
    Flag,
    MeasureSnapshot,
    Summons,
    SummonsState,
    Whistle,
    WhistleKind,
    WhistleRating,
)


@dataclass
class DepartmentMeasures:
    department_id: int
    code: str
    name: str
    month: str
    received: int = 0
    due: int = 0
    on_time: int = 0
    reported: int = 0
    minutes_to_report: float | None = None
    ended: int = 0
    solved: int = 0
    ratings: int = 0
    rating: float | None = None
    flags: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return round(self.on_time / self.due, 4) if self.due else None

    @property
    def solved_share(self) -> float | None:
        return round(self.solved / self.ended, 4) if self.ended else None

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "on_time_rate": self.on_time_rate,
            "solved_share": self.solved_share,
        }


@dataclass
class StreetMeasures:
    street_id: int
    code: str
    name: str
    month: str
    whistles: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    rated: int = 0
    necessary: int = 0

    @property
    def necessary_share(self) -> float | None:
        return round(self.necessary / self.rated, 4) if self.rated else None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "necessary_share": self.necessary_share}


def _label(month: date) -> str:
    return f"{month:%Y-%m}"


def department_measures(
    departments: list[Department], month: date, now: datetime | None = None
) -> list[DepartmentMeasures]:
    """The month's measures of each department, in the order given (five queries in all)."""
    now = now or timezone.now()
    start, end = month_bounds(month)
    ids = [d.pk for d in departments]
    rows = {d.pk: DepartmentMeasures(d.pk, d.code, d.name, _label(month)) for d in departments}
    made = Summons.objects.filter(department_id__in=ids, created_at__gte=start, created_at__lt=end)
    reported = Q(reported_at__isnull=False)
    # Released (or gone) before its deadline without reporting in: never due.
    ended_in_time = Q(closed_at__isnull=True) | Q(closed_at__gt=F("report_by"))
    counts = made.values("department_id").annotate(
        n_received=Count("id"),
        n_reported=Count("id", filter=reported),
        n_due=Count("id", filter=reported | Q(report_by__lt=now) & ended_in_time),
        n_on_time=Count("id", filter=Q(reported_at__lte=F("report_by"))),
        n_ended=Count("id", filter=Q(state__in=CLOSED_SUMMONS)),
        n_solved=Count("id", filter=Q(state=SummonsState.CONFIRMED)),
    )
    for count in counts:
        target = rows[count["department_id"]]
        target.received, target.reported = count["n_received"], count["n_reported"]
        target.due, target.on_time = count["n_due"], count["n_on_time"]
        target.ended, target.solved = count["n_ended"], count["n_solved"]
    # Minutes to report in: averaged in Python over the month's reported rows (portable
    # across SQLite and PostgreSQL; a department gets at most a few hundred a month).
    minutes: dict[int, list[float]] = defaultdict(list)
    for department_id, created, at in made.filter(reported).values_list(
        "department_id", "created_at", "reported_at"
    ):
        if at is not None:
            minutes[department_id].append((at - created).total_seconds() / 60)
    for department_id, values in minutes.items():
        rows[department_id].minutes_to_report = round(sum(values) / len(values), 1)
    for department_id, n, t, a, r in (
        DepartmentRating.objects.filter(summons__in=made)
        .values("department_id")
        .annotate(n=Count("id"), t=Avg("timeliness"), a=Avg("attitude"), r=Avg("result"))
        .values_list("department_id", "n", "t", "a", "r")
    ):
        rows[department_id].ratings = n
        rows[department_id].rating = round((t + a + r) / 3, 2)
    for department_id, n in (
        Flag.objects.filter(department_id__in=ids, created_at__gte=start, created_at__lt=end)
        .values("department_id")
        .annotate(n=Count("id"))
        .values_list("department_id", "n")
    ):
        rows[department_id].flags = n
    return [rows[i] for i in ids]


def street_measures(streets: list[Area], month: date) -> list[StreetMeasures]:
    start, end = month_bounds(month)
    ids = [s.pk for s in streets]
    rows = {
        s.pk: StreetMeasures(
            s.pk, s.code, s.name, _label(month), by_kind=dict.fromkeys(WhistleKind.values, 0)
        )
        for s in streets
    }
    blown = Whistle.objects.filter(street_id__in=ids, created_at__gte=start, created_at__lt=end)
    for street_id, kind, n in (
        blown.values("street_id", "kind")
        .annotate(n=Count("id"))
        .values_list("street_id", "kind", "n")
    ):
        rows[street_id].by_kind[kind] = n
        rows[street_id].whistles += n
    for row in (
        WhistleRating.objects.filter(whistle__in=blown)
        .values("street_id")
        .annotate(n=Count("id"), yes=Count("id", filter=Q(necessary=True)))
    ):
        rows[row["street_id"]].rated = row["n"]
        rows[row["street_id"]].necessary = row["yes"]
    return [rows[i] for i in ids]


def league(departments: list[Department], month: date) -> list[DepartmentMeasures]:
    """The month's league table: departments that were summoned, best first — on-time rate,
    then solved share, then rating, then fewer flags; the rest (not summoned) last."""
    rows = department_measures(departments, month)

    def key(row: DepartmentMeasures) -> tuple[Any, ...]:
        return (
            row.received == 0,
            -(row.on_time_rate or 0),
            -(row.solved_share or 0),
            -(row.rating or 0),
            row.flags,
            row.code,
        )

    return sorted(rows, key=key)


def snapshot_month(month: date) -> dict[str, int]:
    """Replace the month's stored measures of every active department and every street."""
    departments = list(Department.objects.filter(is_active=True).order_by("pk"))
    streets = list(
        Area.objects.filter(kind__in=[AreaKind.STREET, AreaKind.TOWNSHIP]).order_by("pk")
    )
    now = timezone.now()
    with transaction.atomic():
        MeasureSnapshot.objects.filter(month=month).delete()
        MeasureSnapshot.objects.bulk_create(
            [
                MeasureSnapshot(
                    month=month,
                    department_id=row.department_id,
                    data=row.as_dict(),
                    computed_at=now,
                )
                for row in department_measures(departments, month, now)
            ]
            + [
                MeasureSnapshot(
                    month=month, street_id=row.street_id, data=row.as_dict(), computed_at=now
                )
                for row in street_measures(streets, month)
            ]
        )
    return {"departments": len(departments), "streets": len(streets)}


def snapshot_recent(now: datetime | None = None) -> dict[str, int]:
    this = current_month(now)
    done: dict[str, int] = {}
    for month in (previous_month(this), this):
        for key, n in snapshot_month(month).items():
            done[key] = done.get(key, 0) + n
    return done
