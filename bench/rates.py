"""The monthly 三率 of every street and community: from the snapshot tables and from the raw
reviews, and the monthly job that writes the snapshot.

- `snapshot_ms`: what the rates page and the rankings read for a past month — `rates_for` of
  every street and community (one query on `RatesSnapshot`), and the street and community
  rankings;
- `raw_ms`: the same figures computed from the reviews and the timeline (`unit_rates`, two
  grouped queries over the month), what a month without a snapshot costs;
- `job_ms`: `snapshot_month`, the monthly roll-up (raw read plus the rows written).

The month is last month: complete, snapshotted by the generator as the nightly job would.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from grassroots.territory.models import Area
from grassroots.tickets.models import Review
from grassroots.tickets.rates import (
    RANKING_KINDS,
    current_month,
    month_bounds,
    previous_month,
    ranking,
    rates_for,
    snapshot_month,
    unit_rates,
)

from .reads import timed


def measure(*, repeat: int = 9) -> dict[str, Any]:
    month = previous_month(current_month(timezone.now()))
    units = list(
        Area.objects.filter(kind__in=RANKING_KINDS["street"] + RANKING_KINDS["community"]).order_by(
            "path"
        )
    )
    start, end = month_bounds(month)
    reviews = Review.objects.filter(reviewed_at__gte=start, reviewed_at__lt=end).count()

    def from_snapshot() -> int:
        rows = rates_for(month=month, areas=units)
        ranking(month, "street")
        ranking(month, "community")
        assert all(r.computed_at is not None for r in rows), "last month has no snapshot"
        return len(rows)

    def from_raw() -> int:
        return len(unit_rates(month=month, areas=units, departments=[]))

    snap_ms, snap_p95, n = timed(from_snapshot, repeat)
    raw_ms, raw_p95, _ = timed(from_raw, repeat)
    job_ms, job_p95, written = timed(lambda: snapshot_month(month), max(3, repeat // 3))

    # The two paths must agree on every unit.
    def figures(rows: list[Any]) -> dict[int, tuple[Any, ...]]:
        return {r.unit.pk: (r.valid, r.response_rate, r.satisfaction_rate) for r in rows}

    snap = figures(rates_for(month=month, areas=units))
    raw = figures(unit_rates(month=month, areas=units, departments=[]))
    if snap != raw:
        raise RuntimeError("the snapshot and the raw reviews disagree on last month's rates")
    return {
        "month": month.isoformat(),
        "units": n,
        "reviews_in_month": reviews,
        "snapshot_ms": round(snap_ms, 3),
        "snapshot_p95_ms": round(snap_p95, 3),
        "raw_ms": round(raw_ms, 3),
        "raw_p95_ms": round(raw_p95, 3),
        "job_ms": round(job_ms, 3),
        "job_p95_ms": round(job_p95, 3),
        "snapshot_rows": written,
    }
