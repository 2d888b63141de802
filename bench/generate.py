"""Tickets at scale: the demo city's history, grown backwards in time and written with COPY.

Each ticket is played through its lifecycle by the demo's own `Story` (tickets/demo.py): the
same states, clocks, timeline events, returns, extensions, merges, reviews and 督办 as the
services produce, with the categories, places and handling units of the demo city. What this
module adds is volume: the city files `rate` requests a day (by default the Beijing 12345 rate
per resident applied to the city's population, DOMAIN.md §2), and each call to `grow` adds the
next-older stretch of history until the generated tickets number `target`.

Growing backwards keeps the recent weeks — the open tickets, the queues, the overdue lists —
the same at every size: a city that has run for six years has the same work in hand as one that
started last month, only more closed history. That is what "every scoped read must cost the same
whether the table holds ten thousand tickets or ten million" asks about.

Rows go in with COPY, in chunks, through the same connection Django uses; ticket ids are set
here (descending from `ID_TOP` as history grows older, so that id order follows time), numbers
are derived from them as `ticket_submit` does, and every other table takes its ids from its
sequence. The months the history covers are snapshotted (三率) as the monthly job would.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.utils import timezone

from grassroots.core.worktime import LOCAL
from grassroots.territory.models import Resident
from grassroots.tickets.demo import Demo, Story, _moment, _months
from grassroots.tickets.models import (
    Extension,
    Review,
    Ticket,
    TicketEvent,
    TicketFollower,
)
from grassroots.tickets.rates import snapshot_month

# Generated tickets take ids below ID_TOP, newest highest; the app's own sequence starts at 1
# and stays below ID_FLOOR (room for 4·10⁷ generated tickets).
ID_TOP = 50_000_000
ID_FLOOR = 10_000_000
# Beijing: about 25 million requests a year for 21.9 million people (DOMAIN.md §2).
REQUESTS_PER_RESIDENT_DAY = 25_000_000 / 365 / 21_900_000
CHUNK = 20_000


@dataclass
class Growth:
    """What one call to `grow` did."""

    added: int
    total: int
    events: int
    reviews: int
    seconds: float
    snapshot_seconds: float
    snapshots: int
    oldest: datetime | None

    @property
    def tickets_per_s(self) -> float:
        return self.added / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "total": self.total,
            "events": self.events,
            "reviews": self.reviews,
            "seconds": round(self.seconds, 2),
            "tickets_per_s": round(self.tickets_per_s, 1),
            "rows_per_s": round((self.added + self.events + self.reviews) / self.seconds, 1)
            if self.seconds
            else 0.0,
            "snapshot_seconds": round(self.snapshot_seconds, 2),
            "snapshots": self.snapshots,
            "oldest": self.oldest.isoformat() if self.oldest else None,
        }


def daily_rate() -> float:
    """Requests a day for the loaded city, at Beijing's rate per resident."""
    return max(50.0, Resident.objects.count() * REQUESTS_PER_RESIDENT_DAY)


def reach() -> int:
    """How far back the generated history reaches, in tickets from the newest: where the next
    chunk starts (ids are given from ID_TOP down, so the lowest id tells)."""
    low = Ticket.objects.filter(pk__lte=ID_TOP, pk__gt=ID_FLOOR).aggregate(low=models.Min("id"))
    return 0 if low["low"] is None else ID_TOP - low["low"] + 1


class Copier:
    """Model instances to COPY rows, every concrete column as `save` would write it: digests
    and `auto_now` stamps through the field's `pre_save`, encryption and JSON through the
    field's own preparation, foreign keys from the related instance when it got its id after
    it was assigned. Plain columns are taken as they are (what their preparation does on
    PostgreSQL), which keeps this at a few microseconds a row."""

    def __init__(self, model: type[models.Model], *, with_id: bool) -> None:
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if with_id or not f.primary_key]
        ops = connection.ops
        cols = ", ".join(ops.quote_name(f.column) for f in self.fields)
        self.sql = f"COPY {ops.quote_name(model._meta.db_table)} ({cols}) FROM STDIN"
        self.conn = connections[DEFAULT_DB_ALIAS]
        # How each column is read: 0 plain attribute, 1 foreign key, 2 pre_save, 3 prepared
        # by the field (memoised: Fernet tokens are random, one per distinct value is enough),
        # 4 JSON.
        self.plan: list[tuple[int, Any]] = []
        for f in self.fields:
            if isinstance(f, models.JSONField):
                self.plan.append((4, f))
            elif type(f).__name__ == "EncryptedField":
                self.plan.append((3, f))
            elif type(f).__name__ == "DigestField" or getattr(f, "auto_now", False):
                self.plan.append((2, f))
            elif f.is_relation:
                self.plan.append((1, f))
            else:
                self.plan.append((0, f))
        self.memo: dict[tuple[str, Any], Any] = {}

    def row(self, obj: models.Model) -> list[Any]:
        values = obj.__dict__
        cache = obj._state.fields_cache
        out: list[Any] = []
        for how, f in self.plan:
            if how == 0:
                out.append(values[f.attname])
            elif how == 1:
                value = values.get(f.attname)
                if value is None:
                    related = cache.get(f.name)
                    value = related.pk if related is not None else None
                out.append(value)
            elif how == 2:
                out.append(f.pre_save(obj, True))
            elif how == 3:
                key = (f.attname, values[f.attname])
                if key not in self.memo:
                    self.memo[key] = f.get_db_prep_save(key[1], self.conn)
                out.append(self.memo[key])
            else:
                out.append(json.dumps(values[f.attname], ensure_ascii=False))
        return out

    def write(self, objs: Iterable[models.Model]) -> int:
        n = 0
        with connection.cursor() as cursor, cursor.cursor.copy(self.sql) as copy:
            for obj in objs:
                copy.write_row(self.row(obj))
                n += 1
        return n


def _number(ticket: Ticket) -> str:
    return f"GR-{timezone.localtime(ticket.created_at, LOCAL):%Y%m%d}-{ticket.pk:06d}"


def _write(stories: Sequence[Story], top: int, copiers: dict[str, Copier]) -> tuple[int, int]:
    """Give the chunk's tickets their ids (below `top`, in time order) and numbers, then COPY
    tickets, events, reviews, extensions and followers. Returns (events, reviews)."""
    stories = sorted(stories, key=lambda s: s.ticket.created_at)
    first = top - len(stories) + 1
    for offset, s in enumerate(stories):
        t = s.ticket
        t.pk = first + offset
        t.number = _number(t)
    for s in stories:
        if s.merged_into is not None:
            s.ticket.merged_into = s.merged_into
        for event, key, other in s.fixups:
            event.data = {key: other.number}
    copiers["ticket"].write(s.ticket for s in stories)
    events = [e for s in stories for e in s.events]
    events.sort(key=lambda e: (e.created_at, e.ticket.pk))
    copiers["event"].write(events)
    reviews = [r for s in stories for r in s.reviews]
    copiers["review"].write(reviews)
    copiers["extension"].write(x for s in stories for x in s.extensions)
    followers = {(f.ticket.pk, f.user_id): f for s in stories for f in s.followers}
    copiers["follower"].write(followers.values())
    return len(events), len(reviews)


# One Demo (the city's places, categories, units and cast, read once) and one set of COPY
# writers per process: the generator runs in the runner's process and in pool workers.
_process: dict[str, Any] = {}


def _chunk(job: tuple[int, int, str, float, datetime]) -> tuple[int, int, int]:
    """Tickets [start, start + n) counted back from the newest: played and written in one
    transaction. Returns (n, events, reviews)."""
    start, n, seed, rate, now = job
    if _process.get("now") != now:
        _process.update(
            now=now,
            demo=Demo(random.Random(seed), now),  # noqa: S311  (repeatable data, no secret)
            copiers={
                "ticket": Copier(Ticket, with_id=True),
                "event": Copier(TicketEvent, with_id=False),
                "review": Copier(Review, with_id=False),
                "extension": Copier(Extension, with_id=False),
                "follower": Copier(TicketFollower, with_id=False),
            },
        )
    demo: Demo = _process["demo"]
    # History is laid out at `rate` a day back from now: these tickets fall in this window.
    window_end = now - timedelta(days=start / rate)
    window_start = now - timedelta(days=(start + n) / rate)
    rng = random.Random(f"bench-{seed}-{start}")  # noqa: S311  (repeatable data, no secret)
    demo.rng, demo.stories = rng, []
    for created in sorted(_moment(rng, window_start, window_end) for _ in range(n)):
        demo.random_story(created)
    for story in demo.stories:
        story.finish(now)
    with transaction.atomic():
        events, reviews = _write(demo.stories, ID_TOP - start, _process["copiers"])
    return n, events, reviews


def grow(
    target: int,
    *,
    seed: int = 2026,
    rate: float | None = None,
    now: datetime | None = None,
    chunk: int = CHUNK,
    workers: int = 1,
    progress: Any = None,
) -> Growth:
    """Add older history until the generated tickets reach back `target` tickets from the
    newest; snapshot the months it reaches. Each chunk is its own transaction, played and
    written by one of `workers` processes, so an interrupted run keeps what it wrote and the
    next call goes on below the oldest ticket there is."""
    now = now or timezone.now()
    rate = rate or daily_rate()
    have = reach()
    started = time.perf_counter()
    jobs = []
    while have < target:
        n = min(chunk, target - have)
        jobs.append((have, n, str(seed), rate, now))
        have += n
    wanted = sum(job[1] for job in jobs)
    added = events = reviews = 0
    if workers > 1 and len(jobs) > 1:
        # Each worker opens its own connection: none may be inherited open.
        connections.close_all()
        context = multiprocessing.get_context("fork")
        with context.Pool(workers) as pool:
            for n, e, r in pool.imap_unordered(_chunk, jobs):
                added, events, reviews = added + n, events + e, reviews + r
                if progress is not None:
                    progress(added, wanted, time.perf_counter() - started)
    else:
        for job in jobs:
            n, e, r = _chunk(job)
            added, events, reviews = added + n, events + e, reviews + r
            if progress is not None:
                progress(added, wanted, time.perf_counter() - started)
    first_month = now - timedelta(days=have / rate)
    seconds = time.perf_counter() - started
    snap_started = time.perf_counter()
    snapshots = 0
    if jobs:
        with connection.cursor() as cursor:
            for table in ("tickets_ticket", "tickets_ticketevent", "tickets_review"):
                cursor.execute(f"ANALYZE {table}")
        # The months the new history reaches, up to last month (this month is read live).
        for month in _months(first_month, now)[:-1]:
            snapshots += snapshot_month(month)
    return Growth(
        added=added,
        total=have,
        events=events,
        reviews=reviews,
        seconds=seconds,
        snapshot_seconds=time.perf_counter() - snap_started,
        snapshots=snapshots,
        oldest=first_month if jobs else None,
    )
