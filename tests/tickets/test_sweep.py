"""The clock sweep (warnings, overdue, unreviewed closure) and the photo view."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from grassroots.notices.models import Notice
from grassroots.tickets import services as s
from grassroots.tickets.models import EventKind, Ticket, TicketState
from grassroots.tickets.tasks import sweep_ticket_clocks
from tests.tickets.conftest import png_bytes

LOCAL = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 24, 10, 0, tzinfo=LOCAL)  # a Tuesday


@pytest.fixture
def running(submit: Any, cast: Any, city: Any) -> Ticket:
    ticket = submit()
    with time_machine.travel(START, tick=False):
        s.ticket_dispatch(actor=cast.street_dispatcher, ticket=ticket, to=city.grid_a)
    ticket.refresh_from_db()
    return ticket


@pytest.mark.django_db
def test_overdue_holds_without_any_sweep(running: Ticket) -> None:
    assert running.respond_by is not None and running.resolve_by is not None
    assert not Ticket.objects.overdue(START).exists()
    # Not responded within 24 hours: overdue at once, by comparison alone.
    late_response = running.respond_by + timedelta(minutes=1)
    assert list(Ticket.objects.overdue(late_response)) == [running]
    assert running.is_overdue(late_response)
    s.ticket_respond(
        actor=running.handler_area.scoped_users.first(), ticket=running, method="phone"
    )
    assert not Ticket.objects.overdue(late_response).exists()
    assert list(Ticket.objects.overdue(running.resolve_by + timedelta(seconds=1))) == [running]


@pytest.mark.django_db
def test_sweep_warns_once_then_marks_overdue_once(running: Ticket, cast: Any) -> None:
    assert running.warn_at is not None and running.resolve_by is not None
    s.ticket_respond(actor=cast.grid_worker_a, ticket=running, method="phone")
    assert s.sweep_clocks(running.warn_at - timedelta(minutes=1)) == {
        "warned": 0, "overdue": 0, "closed": 0,
    }  # fmt: skip
    assert s.sweep_clocks(running.warn_at) == {"warned": 1, "overdue": 0, "closed": 0}
    assert s.sweep_clocks(running.warn_at + timedelta(hours=1))["warned"] == 0  # idempotent
    warned = Notice.objects.filter(recipient=cast.grid_worker_a, title__contains="临期")
    assert warned.count() == 1
    late = running.resolve_by + timedelta(minutes=1)
    assert s.sweep_clocks(late) == {"warned": 0, "overdue": 1, "closed": 0}
    assert s.sweep_clocks(late + timedelta(hours=2))["overdue"] == 0
    overdue = Notice.objects.filter(title__contains="超期")
    # The handler and the level above (the community secretary over a grid).
    assert set(overdue.values_list("recipient__username", flat=True)) == {
        "grid_a",
        "c1_secretary",
    }
    kinds = list(running.events.values_list("kind", flat=True))
    assert kinds.count(EventKind.WARNED) == 1 and kinds.count(EventKind.OVERDUE) == 1


@pytest.mark.django_db
def test_sweep_task_runs_in_the_worker(running: Ticket) -> None:
    assert running.resolve_by is not None
    with time_machine.travel(running.resolve_by + timedelta(hours=1), tick=False):
        result = sweep_ticket_clocks.call_local()
    assert result["overdue"] == 1


@pytest.mark.django_db
def test_an_approved_extension_rearms_the_clock(running: Ticket, cast: Any) -> None:
    s.ticket_respond(actor=cast.grid_worker_a, ticket=running, method="phone")
    assert running.resolve_by is not None
    s.sweep_clocks(running.resolve_by + timedelta(minutes=1))
    running.refresh_from_db()
    assert running.overdue_notified_at is not None
    with time_machine.travel(running.resolve_by + timedelta(minutes=5), tick=False):
        s.ticket_request_extension(
            actor=cast.grid_worker_a, ticket=running, reason="等配件", working_days=2
        )
        s.ticket_decide_extension(actor=cast.street_dispatcher, ticket=running, approve=True)
    running.refresh_from_db()
    assert running.overdue_notified_at is None and running.warned_at is None
    assert running.resolve_by is not None
    assert s.sweep_clocks(running.resolve_by + timedelta(minutes=1))["overdue"] == 1


@pytest.mark.django_db
def test_an_unreviewed_resolution_closes_after_the_window(
    submit: Any, advance: Any, settings: Any
) -> None:
    ticket = advance(submit(), "resolved")
    assert ticket.resolved_at is not None
    window = timedelta(days=settings.TICKET_REVIEW_DAYS)
    assert s.sweep_clocks(ticket.resolved_at + window - timedelta(minutes=1))["closed"] == 0
    assert s.sweep_clocks(ticket.resolved_at + window + timedelta(minutes=1))["closed"] == 1
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CLOSED
    assert not ticket.reviews.exists()  # counts in no rate


@pytest.mark.django_db
def test_photos_are_served_only_within_scope(
    submit: Any, cast: Any, login: Any, client: Any
) -> None:
    ticket = submit(photos=[SimpleUploadedFile("a.png", png_bytes(), "image/png")])
    photo = ticket.photos.get()
    url = f"/tickets/photos/{photo.pk}/"
    response = login(cast.resident).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert login(cast.grid_worker_a).get(url).status_code == 200
    for stranger in (cast.outsider, cast.grid_worker_b, cast.system_admin):
        assert login(stranger).get(url).status_code == 404
    assert client.get(url).status_code == 302  # to the login page


@pytest.mark.django_db
def test_photos_open_with_an_api_token(submit: Any, cast: Any, bearer: Any, client: Any) -> None:
    ticket = submit(photos=[SimpleUploadedFile("a.png", png_bytes(), "image/png")])
    url = f"/tickets/photos/{ticket.photos.get().pk}/"
    assert client.get(url, **bearer(cast.grid_worker_a)).status_code == 200
    assert client.get(url, **bearer(cast.outsider)).status_code == 404
    assert client.get(url, HTTP_AUTHORIZATION="Bearer gr_nonsense").status_code == 404
