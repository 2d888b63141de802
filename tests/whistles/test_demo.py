"""The demo whistles (whistles/demo.py) on the tiny demo city: live and solved whistles that
keep the services' rules — deadlines from the kind, one flag per fact, timelines in order and
mirrored on their tickets — and snapshots for the league table."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from grassroots.accounts.models import User
from grassroots.territory.demo import DEFAULT_SEED, build_plan, load_plan
from grassroots.tickets.demo import load_demo_tickets
from grassroots.tickets.models import EventKind, TicketEvent
from grassroots.whistles import selectors
from grassroots.whistles.demo import load_demo_whistles
from grassroots.whistles.measures import department_measures
from grassroots.whistles.models import (
    Flag,
    FlagKind,
    MeasureSnapshot,
    Summons,
    SummonsState,
    Whistle,
    WhistleEvent,
    WhistleEventKind,
    WhistleState,
)
from grassroots.whistles.services import report_in_deadline

LOCAL = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=LOCAL)
pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db: Any) -> dict[str, int]:
    with time_machine.travel(NOW, tick=False):
        load_plan(build_plan("tiny", DEFAULT_SEED, today=NOW.date()))
        load_demo_tickets(seed=DEFAULT_SEED, now=NOW)
        return load_demo_whistles(seed=DEFAULT_SEED, now=NOW)


def test_live_and_solved_whistles_with_their_facts(demo: dict[str, int]) -> None:
    whistles = list(Whistle.objects.all())
    assert demo["whistles"] == len(whistles) >= 10
    states = {w.state for w in whistles}
    assert states == {WhistleState.OPEN, WhistleState.SOLVED}
    summonses = list(Summons.objects.select_related("whistle"))
    assert demo["summonses"] == len(summonses)
    assert {s.state for s in summonses} >= {
        SummonsState.SUMMONED,
        SummonsState.REPORTED,
        SummonsState.CONFIRMED,
        SummonsState.WITHDRAWN,
    }
    for s in summonses:
        w = s.whistle
        assert s.report_by == report_in_deadline(w.kind, s.created_at)
        assert s.created_at == w.created_at and s.street_id == w.street_id
        kinds = set(s.flags.values_list("kind", flat=True))
        late = s.reported_at is not None and s.reported_at > s.report_by
        assert (FlagKind.LATE_REPORT_IN in kinds) == late
        missed = s.reported_at is None and s.report_by < NOW
        assert (FlagKind.NO_SHOW in kinds) == missed, s
        assert (FlagKind.WITHDRAWN in kinds) == (s.state == SummonsState.WITHDRAWN)
        if w.state == WhistleState.SOLVED:
            assert s.state not in (SummonsState.SUMMONED, SummonsState.REPORTED)
        if s.reported_at is not None:
            assert s.reported_by is not None and s.commitment and s.report_mode
    assert Flag.objects.count() == demo["flags"]


def test_timelines_in_order_and_mirrored_on_tickets(demo: dict[str, int]) -> None:
    for w in Whistle.objects.all():
        events = list(WhistleEvent.objects.filter(whistle=w).order_by("created_at", "id"))
        assert events[0].kind == WhistleEventKind.BLOWN and events[0].created_at == w.created_at
        assert all(e.created_at <= NOW for e in events)
        assert w.number and w.number.startswith("WS-")
        if w.state == WhistleState.SOLVED:
            assert WhistleEventKind.CONFIRMED in {e.kind for e in events}
        if w.ticket_id is not None:
            mirrored = TicketEvent.objects.filter(ticket_id=w.ticket_id, kind=EventKind.WHISTLE)
            assert mirrored.filter(data__whistle=w.number).count() == len(events)


def test_demo_accounts_see_live_work_and_snapshots(demo: dict[str, int]) -> None:
    leader = User.objects.get(username="leader")
    officer = User.objects.get(username="officer")
    officer2 = User.objects.get(username="officer2")
    assert selectors.board(leader).filter(state=WhistleState.OPEN).count() >= 3
    assert selectors.inbox(officer).filter(state=SummonsState.REPORTED).exists()
    assert selectors.inbox(officer2).filter(state=SummonsState.SUMMONED).exists()
    assert selectors.flags_for(leader).count() == Flag.objects.count()
    assert MeasureSnapshot.objects.filter(department__isnull=False).exists()
    assert MeasureSnapshot.objects.filter(street__isnull=False).exists()
    # The stored month equals the live computation.
    snap = MeasureSnapshot.objects.filter(department__isnull=False).order_by("month").last()
    assert snap is not None and snap.department is not None
    with time_machine.travel(NOW, tick=False):
        live = department_measures([snap.department], snap.month)[0]
    assert snap.data["received"] == live.received and snap.data["flags"] == live.flags
