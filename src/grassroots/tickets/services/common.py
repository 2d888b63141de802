"""Shared parts of the request (工单) services: validation helpers, the conditional state move,
timeline and audit rows, the clocks.

Each service validates (field-level Chinese messages), then in one transaction moves the ticket
by a conditional update on its current state — so of two concurrent transitions on one ticket
exactly one succeeds and the other gets a Conflict — appends a TicketEvent, writes the audit row
last, and leaves the messages (inbox now, SMS after commit) to `tickets.notify`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.core import sql
from grassroots.core.audit import audit_log
from grassroots.core.errors import Conflict, NotFound, ValidationFailed, clean_text, field_error
from grassroots.core.worktime import deadline_info
from grassroots.territory.models import STREET_KINDS, Area, AreaKind, Department
from grassroots.territory.services import street_of

from ..models import (
    Ticket,
    TicketEvent,
    TicketPhoto,
)
from ..photos import CleanPhoto, store_photos

HANDLER_AREA_KINDS = (
    AreaKind.GRID,
    AreaKind.COMMUNITY,
    AreaKind.VILLAGE,
    AreaKind.STREET,
    AreaKind.TOWNSHIP,
)
NOTE_MAX = 2000
REASON_MAX = 500
MAX_EXTENSION_WORKING_DAYS = 10  # Shandong practice (DOMAIN.md §2): at most 10 working days


# ---------------------------------------------------------------------------------------------
# helpers


# Shared with the other service modules of this app.
_fail = field_error
_text = clean_text


def _now() -> datetime:
    return timezone.now()


def _wrong_state(ticket: Ticket, action: str) -> ValidationFailed:
    return ValidationFailed(
        _("工单当前为“%(state)s”，不能%(action)s。")
        % {"state": ticket.get_state_display(), "action": action},
        code="wrong_state",
        fields={"state": [_("当前状态不允许此操作。")]},
    )


def _require_state(ticket: Ticket, states: Iterable[str], action: str) -> None:
    if ticket.state not in states:
        raise _wrong_state(ticket, action)


def _move(ticket: Ticket, from_states: Iterable[str], **changes: Any) -> None:
    """The conditional update at the heart of every transition: it changes the row only if it
    is still in one of `from_states`. Zero rows means someone else moved it first."""
    states = list(from_states)
    updated = Ticket.objects.filter(pk=ticket.pk, state__in=states).update(
        updated_at=_now(), **changes
    )
    if updated != 1:
        raise Conflict(_("工单已被他人处理，请刷新后再试。"))
    for field, value in changes.items():
        setattr(ticket, field, value)


def _event(
    ticket: Ticket,
    kind: str,
    actor: Any,
    note: str = "",
    *,
    unit: Area | Department | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> TicketEvent:
    area = unit if isinstance(unit, Area) else None
    department = unit if isinstance(unit, Department) else None
    user = actor if getattr(actor, "is_authenticated", False) else None
    event = TicketEvent(
        ticket=ticket,
        street_id=ticket.street_id,
        kind=kind,
        actor=user,
        actor_label=(user.display_name if user else _("系统"))[:100],
        created_at=at or _now(),
        note=note,
        unit_area=area,
        unit_department=department,
        unit_path=area.path if area else "",
        data=data or {},
    )
    sql.insert(event)
    return event


def _save_photos(
    ticket: Ticket, photos: Sequence[CleanPhoto], actor: Any, event: TicketEvent | None = None
) -> list[TicketPhoto]:
    return store_photos(TicketPhoto, photos, actor, ticket=ticket, event=event)


def _audit(
    action: str, actor: Any, ticket: Ticket, request: HttpRequest | None, **data: Any
) -> None:
    audit_log(
        action=f"tickets.{action}",
        actor=actor,
        obj=ticket,
        request=request,
        street_id=ticket.street_id,
        data={"number": ticket.number, "state": ticket.state, **data},
    )


def _unit_label(unit: Area | Department | None) -> str:
    return str(unit) if unit is not None else ""


def _start_clocks(ticket: Ticket, start: datetime) -> dict[str, Any]:
    """respond_by, resolve_by and the warning time from the category's SLA policy."""
    policy = ticket.category.sla_policy
    if policy is None:  # a leaf without a policy cannot be chosen; kept safe anyway
        raise _fail("category", _("该类别未设置时限标准，请联系管理员。"))
    respond = deadline_info(start, policy.respond_amount, policy.respond_unit)
    resolve = deadline_info(start, policy.resolve_amount, policy.resolve_unit)
    return {
        "respond_by": respond.at,
        "resolve_by": resolve.at,
        "warn_at": start + (resolve.at - start) * policy.warn_share,
        "deadline_provisional": respond.provisional or resolve.provisional,
        "warned_at": None,
        "overdue_notified_at": None,
    }


def _street_of(area: Area) -> Area:
    """The street or township above `area` (territory's `street_of`), or a field error."""
    try:
        street = street_of(area)
    except Area.DoesNotExist:
        street = None
    if street is None or street.kind not in STREET_KINDS:
        raise _fail("building", _("该位置不属于任何街道，请重新选择。"))
    return street


def is_requester(user: Any, ticket: Ticket) -> bool:
    return ticket.requester_id is not None and ticket.requester_id == user.pk


def _on_time(done_at: datetime | None, limit: datetime | None) -> bool:
    return done_at is not None and limit is not None and done_at <= limit


def find_ticket(user: Any, number: str) -> Ticket:
    """A ticket by its number among those the user may see (NotFound otherwise)."""
    ticket = (
        Ticket.objects.visible_to(user)
        .select_related("category__sla_policy", "area", "street", "handler_area",
                        "handler_department", "building", "merged_into")
        .filter(number=(number or "").strip())
        .first()
    )  # fmt: skip
    if ticket is None:
        raise NotFound()
    return ticket
