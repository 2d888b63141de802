"""The dispatch desk: dispatch (clocks start), reject, merge, and the catalogue's suggestion."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from grassroots.core.errors import Forbidden
from grassroots.core.scoping import prefixes
from grassroots.territory.models import Area, AreaKind, Department

from .. import notify
from ..models import (
    OPEN_STATES,
    EventKind,
    Ticket,
    TicketFollower,
    TicketState,
)
from ..rules import (
    DEPARTMENT_DISPATCHERS,
    DISPATCHER_ROLES,
    covers,
    dispatches,
)
from .common import (
    HANDLER_AREA_KINDS,
    NOTE_MAX,
    REASON_MAX,
    _audit,
    _event,
    _fail,
    _move,
    _now,
    _require_state,
    _start_clocks,
    _text,
    _unit_label,
)

# ---------------------------------------------------------------------------------------------
# dispatch desk


LEVEL_KINDS = {
    "grid": (AreaKind.GRID,),
    "community": (AreaKind.COMMUNITY, AreaKind.VILLAGE),
    "street": (AreaKind.STREET, AreaKind.TOWNSHIP),
}


def suggested_units(tickets: Sequence[Ticket]) -> dict[int, Area | Department | None]:
    """The catalogue's default for each ticket, by ticket id: its grid, community or street, or
    the category's department (the dispatcher may choose otherwise). One query for all the
    areas above the tickets; categories (and their departments) come with the tickets."""
    paths = {p for t in tickets for p in prefixes(t.area_path)}
    # Only what choosing and showing a unit reads: a grid's boundary is kilobytes of GeoJSON.
    units = Area.objects.filter(path__in=paths).only("path", "depth", "kind", "code", "name")
    chain = {a.path: a for a in units} if paths else {}
    found: dict[int, Area | Department | None] = {}
    for ticket in tickets:
        level = ticket.category.handling_level
        if level == "department":
            found[ticket.pk] = ticket.category.department
            continue
        kinds = LEVEL_KINDS.get(level, ())
        above = [chain[p] for p in reversed(prefixes(ticket.area_path)) if p in chain]
        found[ticket.pk] = (
            next((a for a in above if a.kind in kinds), None)
            # Located above that level (a street-wide matter): the nearest unit above.
            or next((a for a in above if a.kind in HANDLER_AREA_KINDS), None)
            if kinds
            else None
        )
    return found


def suggested_unit(ticket: Ticket) -> Area | Department | None:
    return suggested_units([ticket])[ticket.pk]


def _check_dispatcher(actor: Any, ticket: Ticket) -> None:
    if actor.role not in DISPATCHER_ROLES or not dispatches(actor, ticket):
        raise Forbidden(_("只有本辖区的派单人员可以派单。"))


def _check_target(actor: Any, ticket: Ticket, to: Area | Department | None) -> None:
    if to is None:
        raise _fail("to", _("请选择承办单位。"))
    if isinstance(to, Area):
        if to.kind not in HANDLER_AREA_KINDS:
            raise _fail("to", _("承办单位须为网格、社区（村）或街道（乡镇）。"))
        if not covers(actor, to.path):
            raise _fail("to", _("只能派给本辖区内的单位。"))
        if not to.path.startswith(ticket.street.path):
            raise _fail("to", _("只能派给工单所在街道内的单位。"))
        return
    if actor.role not in DEPARTMENT_DISPATCHERS:
        raise _fail("to", _("社区不能直接派给职能部门，请转街道派单。"))
    if not to.is_active:
        raise _fail("to", _("该职能部门已停用。"))
    dept_area = to.area
    if dept_area.kind != AreaKind.DISTRICT and not ticket.area_path.startswith(dept_area.path):
        raise _fail("to", _("该部门不负责工单所在的区域。"))


def ticket_dispatch(
    *,
    actor: Any,
    ticket: Ticket,
    to: Area | Department | None,
    note: str = "",
    request: HttpRequest | None = None,
) -> Ticket:
    """派单: send a new (or returned) ticket to a unit; both clocks start now."""
    _check_dispatcher(actor, ticket)
    _require_state(ticket, [TicketState.SUBMITTED], _("派单"))
    _check_target(actor, ticket, to)
    note = _text(note, "note", required=False, limit=NOTE_MAX, label=_("派单说明"))
    now = _now()
    area = to if isinstance(to, Area) else None
    department = to if isinstance(to, Department) else None
    with transaction.atomic():
        _move(
            ticket,
            [TicketState.SUBMITTED],
            state=TicketState.DISPATCHED,
            handler_area=area,
            handler_department=department,
            handler_path=area.path if area else "",
            dispatched_at=now,
            accepted_at=None,
            responded_at=None,
            **_start_clocks(ticket, now),
        )
        _event(ticket, EventKind.DISPATCHED, actor, note, unit=to, data={"to": _unit_label(to)})
        _audit("dispatch", actor, ticket, request, to=_unit_label(to))
        notify.dispatched(ticket)
    return ticket


def ticket_reject(
    *,
    actor: Any,
    ticket: Ticket,
    reason: str,
    redirect: str = "",
    request: HttpRequest | None = None,
) -> Ticket:
    """不予受理: out of scope (第十一条), with the reason and where to go instead."""
    _check_dispatcher(actor, ticket)
    _require_state(ticket, [TicketState.SUBMITTED], _("不予受理"))
    reason = _text(reason, "reason", required=True, limit=REASON_MAX, label=_("不予受理的理由"))
    redirect = _text(redirect, "redirect", required=False, limit=200, label=_("建议渠道"))
    with transaction.atomic():
        _move(ticket, [TicketState.SUBMITTED], state=TicketState.REJECTED, closed_at=_now())
        _event(ticket, EventKind.REJECTED, actor, reason, data={"redirect": redirect})
        _audit("reject", actor, ticket, request)
        notify.rejected(ticket, reason, redirect)
    return ticket


def ticket_merge(
    *,
    actor: Any,
    ticket: Ticket,
    into: Ticket | None,
    note: str = "",
    request: HttpRequest | None = None,
) -> Ticket:
    """合并: a duplicate joins the ticket already being handled; its requester follows that."""
    _check_dispatcher(actor, ticket)
    _require_state(ticket, OPEN_STATES, _("合并"))
    if into is None:
        raise _fail("into", _("请填写要并入的工单号。"))
    if into.pk == ticket.pk:
        raise _fail("into", _("不能并入工单本身。"))
    if into.state in (TicketState.REJECTED, TicketState.MERGED):
        raise _fail("into", _("不能并入已合并或不予受理的工单。"))
    if into.street_id != ticket.street_id or not dispatches(actor, into):
        raise _fail("into", _("只能并入本辖区的工单。"))
    note = _text(note, "note", required=False, limit=NOTE_MAX, label=_("说明"))
    with transaction.atomic():
        _move(ticket, OPEN_STATES, state=TicketState.MERGED, merged_into=into, closed_at=_now())
        _event(ticket, EventKind.MERGED, actor, note, data={"into": into.number})
        _event(into, EventKind.MERGED_IN, actor, note, data={"from": ticket.number})
        for user_id in {ticket.requester_id, *ticket.followers.values_list("user_id", flat=True)}:
            if user_id and user_id != into.requester_id:
                TicketFollower.objects.get_or_create(ticket=into, user_id=user_id)
        _audit("merge", actor, ticket, request, into=into.number)
        notify.merged(ticket, into)
    return ticket
