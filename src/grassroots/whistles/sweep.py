"""The periodic sweep of 吹哨报到: a reminder at half the report-in time, an escalation (and a
no-show flag) when the deadline passes, and ping-pong flags on tickets. Idempotent: each step
is a conditional update or a uniquely constrained row, so a second run changes nothing."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.tickets.models import EventKind, Ticket, TicketEvent

from . import notify
from .models import Flag, FlagKind, Summons, SummonsState, WhistleEventKind
from .services.common import _event, escalation_note, no_show_detail, raise_flag

BATCH = 500
# Tickets handed over within this window are looked at again (a missed sweep catches up).
PING_PONG_LOOKBACK = timedelta(days=2)


def _due(field: str, done: str, now: datetime, **more: Any) -> Any:
    return (
        Summons.objects.filter(
            state=SummonsState.SUMMONED, **{f"{field}__lte": now, f"{done}__isnull": True}, **more
        )
        .select_related("whistle__area", "whistle__whistler", "department")
        .order_by(field)[:BATCH]
    )


def remind(now: datetime) -> int:
    count = 0
    # Past the deadline a summons is escalated instead (and must not hold up the batch).
    for summons in _due("remind_at", "reminded_at", now, report_by__gt=now):
        with transaction.atomic():
            if not Summons.objects.filter(
                pk=summons.pk, state=SummonsState.SUMMONED, reminded_at__isnull=True
            ).update(reminded_at=now):
                continue
            _event(summons.whistle, WhistleEventKind.REMINDED, None, summons=summons, at=now)
            notify.reminded(summons)
        count += 1
    return count


def escalate(now: datetime) -> int:
    count = 0
    for summons in _due("report_by", "escalated_at", now):
        if summons.report_by >= now:
            continue
        with transaction.atomic():
            if not Summons.objects.filter(
                pk=summons.pk, state=SummonsState.SUMMONED, escalated_at__isnull=True
            ).update(escalated_at=now):
                continue
            whistle = summons.whistle
            _event(whistle, WhistleEventKind.ESCALATED, None, escalation_note(summons),
                   summons=summons, at=now)  # fmt: skip
            raise_flag(
                FlagKind.NO_SHOW,
                summons=summons,
                area_path=whistle.area_path,
                street_id=whistle.street_id,
                detail=no_show_detail(summons),
                at=now,
            )
            notify.escalated(summons)
        count += 1
    return count


def _unit(event: TicketEvent) -> tuple[str, str]:
    if event.unit_department_id is not None:
        return f"d{event.unit_department_id}", str(event.unit_department)
    return f"a{event.unit_area_id}", str(event.unit_area)


def ping_pong(ticket: Ticket, events: list[TicketEvent]) -> dict[str, Any] | None:
    """Why a ticket is being passed around, or None: returned twice or more, or sent back and
    forth between the same two units twice (A → B → A). `events` are the ticket's dispatch
    and return events in order."""
    units: list[tuple[str, str]] = []
    for event in events:
        if event.kind == EventKind.DISPATCHED and (event.unit_area_id or event.unit_department_id):
            unit = _unit(event)
            if not units or units[-1][0] != unit[0]:
                units.append(unit)
    pairs: Counter[frozenset[str]] = Counter(frozenset((a[0], b[0])) for a, b in pairwise(units))
    names = dict(units)
    passed = [(pair, n) for pair, n in pairs.items() if n >= 2]
    if ticket.return_count >= 2:
        returned = [_unit(e)[1] for e in events if e.kind == EventKind.RETURNED]
        return {
            "detail": _("工单 %(number)s 已被退回 %(n)d 次（%(units)s）。")
            % {"number": ticket.number, "n": ticket.return_count, "units": "、".join(returned)},
            "units": returned,
            "returns": ticket.return_count,
        }
    if passed:
        pair, n = passed[0]
        a, b = sorted(names[key] for key in pair)
        return {
            "detail": _("工单 %(number)s 在 %(a)s 与 %(b)s 之间来回转办 %(n)d 次。")
            % {"number": ticket.number, "a": a, "b": b, "n": n},
            "units": [a, b],
            "handovers": n,
        }
    return None


def flag_ping_pong(now: datetime) -> int:
    since = now - PING_PONG_LOOKBACK
    recent = TicketEvent.objects.filter(
        kind__in=[EventKind.DISPATCHED, EventKind.RETURNED], created_at__gte=since
    ).values("ticket_id")
    flagged = Flag.objects.filter(kind=FlagKind.PING_PONG, ticket__isnull=False).values("ticket_id")
    candidates = list(
        Ticket.objects.filter(pk__in=recent)
        .exclude(pk__in=flagged)
        .filter(Q(return_count__gte=2) | Q(pk__in=_three_dispatches(since)))
        .select_related("street")[:BATCH]
    )
    if not candidates:
        return 0
    by_ticket: dict[int, list[TicketEvent]] = {t.pk: [] for t in candidates}
    for event in (
        TicketEvent.objects.filter(
            ticket_id__in=by_ticket, kind__in=[EventKind.DISPATCHED, EventKind.RETURNED]
        )
        .select_related("unit_area", "unit_department")
        .order_by("created_at", "id")
    ):
        by_ticket[event.ticket_id].append(event)
    count = 0
    for ticket in candidates:
        found = ping_pong(ticket, by_ticket[ticket.pk])
        if found is None:
            continue
        # A department's record carries the flag when it was the only one that sent it back.
        returned = {
            e.unit_department
            for e in by_ticket[ticket.pk]
            if e.kind == EventKind.RETURNED and e.unit_department is not None
        }
        if raise_flag(
            FlagKind.PING_PONG,
            ticket=ticket,
            department=next(iter(returned)) if len(returned) == 1 else None,
            area_path=ticket.area_path,
            street_id=ticket.street_id,
            detail=found.pop("detail"),
            data={"number": ticket.number, **found},
            at=now,
        ):
            count += 1
    return count


def _three_dispatches(since: datetime) -> Any:
    """Tickets dispatched at least three times (the least an A → B → A needs)."""
    from django.db.models import Count

    return (
        TicketEvent.objects.filter(kind=EventKind.DISPATCHED)
        .filter(
            ticket_id__in=TicketEvent.objects.filter(
                kind=EventKind.DISPATCHED, created_at__gte=since
            ).values("ticket_id")
        )
        .values("ticket_id")
        .annotate(n=Count("id"))
        .filter(n__gte=3)
        .values("ticket_id")
    )


def sweep_whistles(now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    return {
        "reminded": remind(now),
        "escalated": escalate(now),
        "ping_pong": flag_ping_pong(now),
    }
