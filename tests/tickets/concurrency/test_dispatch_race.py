"""Real concurrency: two connections racing on one ticket (PostgreSQL)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from grassroots.core.errors import Conflict, ValidationFailed
from grassroots.tickets import services as s
from grassroots.tickets.models import EventKind, Ticket, TicketState


@pytest.mark.django_db(transaction=True)
def test_two_dispatches_at_once_one_wins(submit: Any, cast: Any, city: Any) -> None:
    """Two dispatchers press 派单 on the same ticket at the same moment, each in their own
    connection: exactly one succeeds, the other is told someone was first."""
    if connection.vendor != "postgresql":
        pytest.skip("true concurrency needs PostgreSQL (SQLite serialises every writer)")
    ticket = submit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(actor: Any, to: Any) -> None:
        try:
            copy = Ticket.objects.select_related("category__sla_policy", "street").get(pk=ticket.pk)
            barrier.wait(timeout=10)
            s.ticket_dispatch(actor=actor, ticket=copy, to=to)
            outcomes.append("won")
        except (Conflict, ValidationFailed) as exc:
            outcomes.append(type(exc).__name__)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=attempt, args=(cast.street_dispatcher, city.grid_a)),
        threading.Thread(target=attempt, args=(cast.community_staff, city.grid_b)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["Conflict", "won"]
    ticket.refresh_from_db()
    assert ticket.state == TicketState.DISPATCHED
    assert ticket.events.filter(kind=EventKind.DISPATCHED).count() == 1
