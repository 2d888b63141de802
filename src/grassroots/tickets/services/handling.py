"""The handling unit's steps: accept, respond, return, extension, resolve; and supervision."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from grassroots.core.errors import Conflict, Forbidden, ValidationFailed
from grassroots.core.worktime import deadline, deadline_info

from .. import notify
from ..models import (
    ACTIVE_STATES,
    OPEN_STATES,
    EventKind,
    Extension,
    ExtensionStatus,
    RespondMethod,
    Ticket,
    TicketState,
)
from ..photos import clean_photos
from ..rules import (
    SUPERVISOR_ROLES,
    covers,
    handles,
)
from .common import (
    MAX_EXTENSION_WORKING_DAYS,
    NOTE_MAX,
    REASON_MAX,
    _audit,
    _event,
    _fail,
    _move,
    _now,
    _require_state,
    _save_photos,
    _text,
    _unit_label,
)
from .dispatch import _check_dispatcher

# ---------------------------------------------------------------------------------------------
# handling


def _check_handler(actor: Any, ticket: Ticket) -> None:
    if not handles(actor, ticket):
        raise Forbidden(_("只有承办单位的工作人员可以办理。"))


def ticket_accept(*, actor: Any, ticket: Ticket, request: HttpRequest | None = None) -> Ticket:
    """签收. Starts nothing new: the respond clock has run since dispatch."""
    _check_handler(actor, ticket)
    _require_state(ticket, [TicketState.DISPATCHED], _("签收"))
    with transaction.atomic():
        _move(ticket, [TicketState.DISPATCHED], state=TicketState.ACCEPTED, accepted_at=_now())
        _event(ticket, EventKind.ACCEPTED, actor, unit=ticket.handler)
        _audit("accept", actor, ticket, request)
        notify.accepted(ticket)
    return ticket


def ticket_respond(
    *,
    actor: Any,
    ticket: Ticket,
    method: str,
    note: str = "",
    request: HttpRequest | None = None,
) -> Ticket:
    """响应: the handler has contacted the requester (how, and what was agreed). From a ticket
    not yet signed for, this signs for it too (one tap, not two)."""
    _check_handler(actor, ticket)
    _require_state(ticket, [TicketState.DISPATCHED, TicketState.ACCEPTED], _("登记联系"))
    if method not in RespondMethod.values:
        raise _fail("method", _("请选择联系方式。"))
    note = _text(note, "note", required=False, limit=NOTE_MAX, label=_("联系情况"))
    now = _now()
    with transaction.atomic():
        was = ticket.state
        _move(
            ticket,
            [TicketState.DISPATCHED, TicketState.ACCEPTED],
            state=TicketState.IN_PROGRESS,
            accepted_at=ticket.accepted_at or now,
            responded_at=now,
        )
        if was == TicketState.DISPATCHED:
            _event(ticket, EventKind.ACCEPTED, actor, unit=ticket.handler, at=now)
            notify.accepted(ticket)
        _event(
            ticket, EventKind.RESPONDED, actor, note, unit=ticket.handler,
            data={"method": method}, at=now,
        )  # fmt: skip
        _audit("respond", actor, ticket, request, method=method)
    return ticket


def return_deadline(ticket: Ticket) -> datetime | None:
    """A unit may return a ticket within this many working days of dispatch (DOMAIN.md §2:
    return within 2 working days); afterwards it handles it or asks for more time."""
    if ticket.dispatched_at is None:
        return None
    return deadline(ticket.dispatched_at, settings.TICKET_RETURN_WORKING_DAYS, "working_days")


def ticket_return(
    *, actor: Any, ticket: Ticket, reason: str, request: HttpRequest | None = None
) -> Ticket:
    """退单: not ours, with the reason; back to the dispatch desk, counted against the unit."""
    _check_handler(actor, ticket)
    states = [TicketState.DISPATCHED, TicketState.ACCEPTED, TicketState.IN_PROGRESS]
    _require_state(ticket, states, _("退单"))
    reason = _text(reason, "reason", required=True, limit=REASON_MAX, label=_("退单理由"))
    limit = return_deadline(ticket)
    if limit is not None and _now() > limit:
        raise _fail(
            "reason",
            _("已超过退单时限（派单后 %(n)d 个工作日），请办理或申请延期。")
            % {"n": settings.TICKET_RETURN_WORKING_DAYS},
        )
    unit = ticket.handler
    with transaction.atomic():
        _move(
            ticket,
            states,
            state=TicketState.SUBMITTED,
            handler_area=None,
            handler_department=None,
            handler_path="",
            respond_by=None,
            resolve_by=None,
            warn_at=None,
            return_count=ticket.return_count + 1,
        )
        Extension.objects.filter(ticket=ticket, status=ExtensionStatus.PENDING).update(
            status=ExtensionStatus.REFUSED, decided_at=_now(), decision_note=_("工单已退回")
        )
        _event(ticket, EventKind.RETURNED, actor, reason, unit=unit)
        _audit("return", actor, ticket, request, unit=_unit_label(unit))
        notify.returned(ticket, unit, reason)
    return ticket


def ticket_request_extension(
    *,
    actor: Any,
    ticket: Ticket,
    reason: str,
    working_days: int,
    request: HttpRequest | None = None,
) -> Extension:
    """申请延期: more working days for the resolution, with the reason; a dispatcher decides."""
    _check_handler(actor, ticket)
    _require_state(ticket, ACTIVE_STATES, _("申请延期"))
    reason = _text(reason, "reason", required=True, limit=REASON_MAX, label=_("延期理由"))
    if not isinstance(working_days, int) or not 1 <= working_days <= MAX_EXTENSION_WORKING_DAYS:
        raise _fail(
            "working_days",
            _("延期须为 1 至 %(n)d 个工作日。") % {"n": MAX_EXTENSION_WORKING_DAYS},
        )
    if Extension.objects.filter(ticket=ticket, status=ExtensionStatus.PENDING).exists():
        raise _fail("reason", _("已有一项延期申请在审批中。"))
    with transaction.atomic():
        _move(ticket, [ticket.state])  # the ticket must not have moved meanwhile
        try:
            with transaction.atomic():
                extension = Extension.objects.create(
                    ticket=ticket, requested_by=actor, reason=reason, working_days=working_days
                )
        except IntegrityError as exc:
            raise _fail("reason", _("已有一项延期申请在审批中。")) from exc
        _event(
            ticket, EventKind.EXTENSION_REQUESTED, actor, reason, unit=ticket.handler,
            data={"working_days": working_days},
        )  # fmt: skip
        _audit("extension_request", actor, ticket, request, working_days=working_days)
        notify.extension_requested(ticket, extension)
    return extension


def ticket_decide_extension(
    *,
    actor: Any,
    ticket: Ticket,
    approve: bool,
    note: str = "",
    request: HttpRequest | None = None,
) -> Extension:
    """同意 / 不同意延期. Approval moves `resolve_by` on by the working days asked for and
    tells the requester; a refusal leaves the clock as it was."""
    _check_dispatcher(actor, ticket)
    extension = Extension.objects.filter(ticket=ticket, status=ExtensionStatus.PENDING).first()
    if extension is None:
        raise _fail("approve", _("没有待审批的延期申请。"))
    if extension.requested_by_id == actor.pk:
        raise Forbidden(_("不能审批自己提出的延期申请。"))
    _require_state(ticket, ACTIVE_STATES, _("审批延期"))
    note = _text(note, "note", required=not approve, limit=REASON_MAX, label=_("审批意见"))
    now = _now()
    with transaction.atomic():
        status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
        changes: dict[str, Any] = {}
        old = ticket.resolve_by
        if approve and old is not None:
            # The extra working days count from the old deadline (or from today if it passed).
            moved = deadline_info(max(old, now), extension.working_days, "working_days")
            policy = ticket.category.sla_policy
            share = policy.warn_share if policy is not None else 0.8
            start = ticket.dispatched_at or now
            respond_late = ticket.responded_at is None and (
                ticket.respond_by is not None and ticket.respond_by < now
            )
            changes = {
                "resolve_by": moved.at,
                "warn_at": start + (moved.at - start) * share,
                "deadline_provisional": ticket.deadline_provisional or moved.provisional,
                "warned_at": None,
                # Still late to respond: the overdue notice already sent stands.
                "overdue_notified_at": ticket.overdue_notified_at if respond_late else None,
            }
        _move(ticket, ACTIVE_STATES, **changes)
        done = Extension.objects.filter(pk=extension.pk, status=ExtensionStatus.PENDING).update(
            status=status,
            decided_by=actor,
            decided_at=now,
            decision_note=note,
            old_resolve_by=old,
            new_resolve_by=ticket.resolve_by if approve else None,
        )
        if done != 1:
            raise Conflict(_("该延期申请已被他人审批。"))
        extension.refresh_from_db()
        kind = EventKind.EXTENSION_APPROVED if approve else EventKind.EXTENSION_REFUSED
        _event(
            ticket, kind, actor, note, unit=ticket.handler,
            data={"resolve_by": ticket.resolve_by.isoformat() if ticket.resolve_by else None},
        )  # fmt: skip
        _audit("extension_decide", actor, ticket, request, approve=approve)
        notify.extension_decided(ticket, extension)
    return extension


def ticket_resolve(
    *,
    actor: Any,
    ticket: Ticket,
    result: str,
    photos: Sequence[Any] = (),
    request: HttpRequest | None = None,
) -> Ticket:
    """办结: what was done, with photos; the requester is asked to rate it."""
    _check_handler(actor, ticket)
    if ticket.state in (TicketState.DISPATCHED, TicketState.ACCEPTED):
        raise ValidationFailed(
            _("请先联系诉求人并登记联系情况，再办结。"),
            code="wrong_state",
            fields={"state": [_("尚未登记联系诉求人。")]},
        )
    _require_state(ticket, [TicketState.IN_PROGRESS], _("办结"))
    result = _text(result, "result", required=True, limit=NOTE_MAX, label=_("办理结果"))
    cleaned = clean_photos(list(photos))
    now = _now()
    with transaction.atomic():
        _move(ticket, [TicketState.IN_PROGRESS], state=TicketState.RESOLVED, resolved_at=now)
        Extension.objects.filter(ticket=ticket, status=ExtensionStatus.PENDING).update(
            status=ExtensionStatus.REFUSED, decided_at=now, decision_note=_("工单已办结")
        )
        event = _event(ticket, EventKind.RESOLVED, actor, result, unit=ticket.handler, at=now)
        _save_photos(ticket, cleaned, actor, event)
        _audit("resolve", actor, ticket, request, photos=len(cleaned))
        notify.resolved(ticket)
    return ticket


# ---------------------------------------------------------------------------------------------
# supervision


def ticket_supervise(
    *, actor: Any, ticket: Ticket, note: str, request: HttpRequest | None = None
) -> Ticket:
    """督办: a leader flags an overdue or sensitive ticket; the handler must answer."""
    if actor.role not in SUPERVISOR_ROLES or not covers(actor, ticket.area_path):
        raise Forbidden(_("只有本辖区的社区书记或街道领导可以督办。"))
    _require_state(ticket, OPEN_STATES, _("督办"))
    note = _text(note, "note", required=True, limit=REASON_MAX, label=_("督办意见"))
    now = _now()
    with transaction.atomic():
        _move(
            ticket,
            OPEN_STATES,
            supervised_at=now,
            supervision_note=note,
            supervision_answered_at=None,
        )
        _event(ticket, EventKind.SUPERVISED, actor, note, unit=ticket.handler, at=now)
        _audit("supervise", actor, ticket, request)
        notify.supervised(ticket, actor)
    return ticket


def ticket_answer_supervision(
    *, actor: Any, ticket: Ticket, note: str, request: HttpRequest | None = None
) -> Ticket:
    """The handler's answer to a supervision: what is being done and by when."""
    _check_handler(actor, ticket)
    if ticket.supervised_at is None or ticket.supervision_answered_at is not None:
        raise _fail("note", _("这张工单没有待回复的督办。"))
    _require_state(ticket, ACTIVE_STATES, _("回复督办"))
    note = _text(note, "note", required=True, limit=NOTE_MAX, label=_("回复内容"))
    now = _now()
    with transaction.atomic():
        _move(ticket, ACTIVE_STATES, supervision_answered_at=now)
        _event(ticket, EventKind.SUPERVISION_ANSWERED, actor, note, unit=ticket.handler, at=now)
        _audit("supervision_answer", actor, ticket, request)
        notify.supervision_answered(ticket)
    return ticket
