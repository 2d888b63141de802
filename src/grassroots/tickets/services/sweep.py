"""The clock sweep run by the worker: warnings, overdue marks, unreviewed closure."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from .. import notify
from ..models import (
    ACTIVE_STATES,
    EventKind,
    Ticket,
    TicketState,
)
from .common import (
    _event,
    _now,
)

# ---------------------------------------------------------------------------------------------
# sweeps


SWEEP_BATCH = 5000


def _sweep(due: Any, guard: dict[str, Any], mark: dict[str, Any], on_marked: Any) -> int:
    """Marks each due ticket by a conditional update (`guard` still true → `mark`) and, only
    when this run made the mark, records and tells it: two sweeps never tell anything twice."""
    done = 0
    for pk in list(due.values_list("pk", flat=True)[:SWEEP_BATCH]):
        with transaction.atomic():
            if not Ticket.objects.filter(pk=pk, **guard).update(**mark):
                continue
            on_marked(
                Ticket.objects.select_related("handler_area", "handler_department").get(pk=pk)
            )
            done += 1
    return done


def sweep_clocks(now: datetime | None = None) -> dict[str, int]:
    """Marks tickets past their warning time and past a deadline, once per clock, and tells the
    handler (and, when overdue, the level above); closes resolved tickets nobody reviewed within
    the window (they then count in no rate: the 三率 read valid reviews only). Safe to run twice
    or concurrently."""
    now = now or _now()

    def warned(ticket: Ticket) -> None:
        _event(ticket, EventKind.WARNED, None, unit=ticket.handler, at=now)
        notify.warned(ticket)

    def overdue(ticket: Ticket) -> None:
        _event(ticket, EventKind.OVERDUE, None, unit=ticket.handler, at=now)
        notify.overdue(ticket)

    def closed(ticket: Ticket) -> None:
        note = _("回访期满未评价，自动结案")
        _event(ticket, EventKind.REVIEWED, None, note, at=now, data={"valid": False})

    active = {"state__in": ACTIVE_STATES}
    stale = now - timedelta(days=settings.TICKET_REVIEW_DAYS)
    return {
        "warned": _sweep(
            Ticket.objects.filter(warn_at__lte=now, warned_at__isnull=True, **active),
            {"warned_at__isnull": True, **active},
            {"warned_at": now},
            warned,
        ),
        "overdue": _sweep(
            Ticket.objects.overdue(now).filter(overdue_notified_at__isnull=True),
            {"overdue_notified_at__isnull": True, **active},
            {"overdue_notified_at": now, "warned_at": now},
            overdue,
        ),
        "closed": _sweep(
            Ticket.objects.filter(state=TicketState.RESOLVED, resolved_at__lt=stale),
            {"state": TicketState.RESOLVED},
            {"state": TicketState.CLOSED, "closed_at": now, "updated_at": now},
            closed,
        ),
    }
