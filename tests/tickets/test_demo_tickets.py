"""The demo tickets (tickets/demo.py) on the tiny demo city: every state, the services'
invariants, live queues for the demo accounts, deterministic, and the 三率 snapshots."""

from __future__ import annotations

import io
import random
import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from grassroots.accounts.models import Role, User
from grassroots.core.personal import digests
from grassroots.territory.demo import DEFAULT_SEED, build_plan, load_plan
from grassroots.territory.models import AreaKind
from grassroots.tickets import services as s
from grassroots.tickets.demo import Demo, load_demo_tickets
from grassroots.tickets.models import (
    ACTIVE_STATES,
    EventKind,
    Extension,
    RatesSnapshot,
    Review,
    Ticket,
    TicketState,
)
from grassroots.tickets.rates import current_month, previous_month, unit_rates
from grassroots.tickets.selectors import available_actions, dispatch_queue, handling_queue

LOCAL = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=LOCAL)
NUMBER = re.compile(r"^GR-\d{8}-\d{6,}$")
pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db: Any) -> dict[str, int]:
    with time_machine.travel(NOW, tick=False):
        load_plan(build_plan("tiny", DEFAULT_SEED, today=NOW.date()))
        return load_demo_tickets(seed=DEFAULT_SEED, now=NOW)


def user(login: str) -> User:
    if login.isdigit():
        return User.objects.get(role=Role.RESIDENT, mobile_digest__in=digests(login))
    return User.objects.get(username=login)


def test_every_state_numbers_and_snapshots(demo: dict[str, int]) -> None:
    tickets = list(Ticket.objects.select_related("street", "area"))
    assert demo["tickets"] == len(tickets) >= 150
    states = Counter(t.state for t in tickets)
    assert set(states) == set(TicketState.values), states
    assert states[TicketState.CLOSED] > len(tickets) / 2  # most of four months is done
    numbers = [t.number for t in tickets]
    assert len(set(numbers)) == len(numbers)
    for t in tickets:
        assert t.number and NUMBER.match(t.number), t.number
        assert t.number == f"GR-{timezone.localtime(t.created_at, LOCAL):%Y%m%d}-{t.pk:06d}"
        assert NOW - timedelta(days=121) < t.created_at < NOW
        assert t.street.kind == AreaKind.STREET and t.area_path == t.area.path
        assert t.area_path.startswith(t.street.path)
        assert t.contact_mobile_digest or not t.contact_mobile
    channels = Counter(t.channel for t in tickets)
    assert {"hotline", "resident_app", "grid_patrol"} <= set(channels)
    # The past months are snapshotted for the rankings, equal to the live figures.
    last = previous_month(current_month(NOW))
    assert demo["rates_snapshots"] == RatesSnapshot.objects.count() > 0
    snapshots = RatesSnapshot.objects.filter(month=last).select_related("area")
    streets = [r for r in snapshots if r.area and r.area.kind == AreaKind.STREET]
    assert len(streets) == 1 and streets[0].valid > 10 and streets[0].composite
    live = {r.code: r for r in unit_rates(month=last)}
    for snap in snapshots:
        unit = snap.area or snap.department
        assert unit is not None
        assert snap.valid == live[unit.code].valid
        assert snap.composite == pytest.approx(live[unit.code].composite)


def test_timelines_and_reviews_keep_the_services_invariants(demo: dict[str, int]) -> None:
    tickets = Ticket.objects.prefetch_related("events", "reviews").select_related(
        "handler_area", "category__sla_policy"
    )
    for t in tickets:
        events = sorted(t.events.all(), key=lambda e: (e.created_at, e.pk))
        kinds = [e.kind for e in events]
        assert kinds[0] == EventKind.SUBMITTED and events[0].created_at == t.created_at
        assert kinds.count(EventKind.SUBMITTED) == 1
        assert all(e.created_at <= NOW and e.street_id == t.street_id for e in events)
        assert t.return_count == kinds.count(EventKind.RETURNED)
        assert t.reopen_count == kinds.count(EventKind.REOPENED)
        reviews = list(t.reviews.all())
        current = [r for r in reviews if not r.superseded]
        assert len(current) <= 1
        if t.state in ACTIVE_STATES:
            assert t.respond_by and t.resolve_by and t.warn_at and t.dispatched_at
            assert t.respond_by <= t.resolve_by and t.handler is not None
            assert t.handler_path == (t.handler_area.path if t.handler_area else "")
            if t.is_overdue(NOW):
                # The sweep has been by: the notice is marked, so it will not go out again.
                assert t.overdue_notified_at is not None
            if t.state == TicketState.IN_PROGRESS:
                assert t.responded_at and t.accepted_at
        if t.state == TicketState.SUBMITTED:
            assert t.handler is None and t.respond_by is None
        if t.state == TicketState.CLOSED:
            assert len(current) == 1 and t.closed_at == current[0].reviewed_at
            reviewed = [e for e in events if e.kind == EventKind.REVIEWED]
            assert reviewed and reviewed[-1].created_at == t.closed_at
        if t.state == TicketState.RESOLVED:
            assert t.resolved_at is not None
            # Never reviewed yet, or reviewed "not solved" before the last round of handling.
            assert not current or current[0].solved is False
        if t.state in (TicketState.REJECTED, TicketState.MERGED):
            assert t.closed_at and t.handler is None
            assert (t.merged_into_id is not None) == (t.state == TicketState.MERGED)
        for r in reviews:
            assert r.street_id == t.street_id and r.reviewed_at <= NOW
            assert (r.unit_area_id is None) != (r.unit_department_id is None)
            if r.unit_area_id:
                assert r.unit_path == r.unit_area.path
    merged = Ticket.objects.filter(state=TicketState.MERGED).first()
    assert merged is not None and merged.merged_into is not None
    into = merged.merged_into.events.filter(kind=EventKind.MERGED_IN).first()
    assert into is not None and into.data == {"from": merged.number}
    assert Review.objects.filter(is_valid=True, superseded=False).count() > 50
    assert Review.objects.filter(superseded=True).exists()
    assert Ticket.objects.filter(supervised_at__isnull=False).exists()
    assert Extension.objects.filter(status="pending").count() == 1
    # The clock sweep at the same moment finds nothing left to mark.
    with time_machine.travel(NOW, tick=False):
        assert s.sweep_clocks(NOW) == {"warned": 0, "overdue": 0, "closed": 0}


def test_the_demo_accounts_have_work_waiting(demo: dict[str, int]) -> None:
    worker, dispatcher, officer = user("gridworker"), user("dispatcher"), user("officer")
    resident = user("13800138000")
    queue = list(handling_queue(worker))
    assert len(queue) >= 4
    assert queue[0].is_overdue(NOW)  # overdue first
    with time_machine.travel(NOW, tick=False):
        assert any("answer-supervision" in available_actions(worker, t) for t in queue)
        assert any(
            "approve-extension" in available_actions(dispatcher, t) for t in handling_queue(worker)
        )
        desk = list(dispatch_queue(dispatcher))
        assert len(desk) >= 2 and any(t.return_count for t in desk)
        assert handling_queue(officer).count() >= 2
        mine = Ticket.objects.visible_to(resident)
        assert {t.state for t in mine} >= {"submitted", "in_progress", "resolved", "closed"}
        to_rate = mine.get(state=TicketState.RESOLVED)
        assert "review" in available_actions(resident, to_rate)
        # The services take the demo rows as they are: the resident rates, the worker works.
        s.ticket_review(
            actor=resident, ticket=to_rate, contacted=True, solved=True, satisfaction="satisfied"
        )
        waiting = next(t for t in queue if t.state == TicketState.DISPATCHED)
        s.ticket_respond(actor=worker, ticket=waiting, method="phone")
    assert to_rate.state == TicketState.CLOSED and waiting.state == TicketState.IN_PROGRESS


def test_the_same_seed_and_moment_give_the_same_tickets(db: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        load_plan(build_plan("tiny", DEFAULT_SEED, today=NOW.date()))

        def stories(seed: str) -> list[tuple[Any, ...]]:
            d = Demo(random.Random(seed), NOW)
            for i in range(60):
                d.random_story(NOW - timedelta(days=100 - i, hours=3))
            d.scripted()
            return [
                (x.ticket.created_at, x.ticket.category.code, x.ticket.state, x.ticket.area_path,
                 len(x.events))
                for x in d.stories
            ]  # fmt: skip

        assert stories("a") == stories("a") != stories("b")


def test_old_history_is_all_closed(db: Any) -> None:
    """Played from a year back, every story ends: a ticket reopened once is handled again and
    closes at its second review (the benchmarks' years of history piled up tickets reopened
    twice and left open)."""
    with time_machine.travel(NOW, tick=False):
        load_plan(build_plan("tiny", DEFAULT_SEED, today=NOW.date()))
        d = Demo(random.Random("history"), NOW)
        for i in range(1500):
            d.random_story(NOW - timedelta(days=365 - i % 300, hours=i % 13))
        for story in d.stories:
            story.finish(NOW)
    reopened = [x for x in d.stories if x.ticket.reopen_count]
    assert reopened, "some tickets are reopened, or this shows nothing"
    assert {x.ticket.reopen_count for x in d.stories} <= {0, 1}
    left_open = [x.ticket.number for x in d.stories if x.ticket.state in ACTIVE_STATES]
    assert left_open == []


def test_demo_city_loads_the_tickets(db: Any) -> None:
    out = io.StringIO()
    call_command("demo_city", "--size", "tiny", "--quiet-accounts", stdout=out)
    count = Ticket.objects.count()
    assert f"工单 tickets: {count:,}" in out.getvalue() and count >= 150


def test_without_a_catalogue_no_tickets_are_made(db: Any) -> None:
    from grassroots.tickets.models import Category

    Category.objects.all().delete()
    assert load_demo_tickets(seed=1)["tickets"] == 0
    assert not Ticket.objects.exists()
