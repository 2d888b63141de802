"""The requester's (or a review seat's) review, and reopening."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from grassroots.core.errors import Forbidden, ValidationFailed
from grassroots.territory.models import Area, Department

from .. import notify
from ..models import (
    EventKind,
    Review,
    Satisfaction,
    Ticket,
    TicketState,
)
from ..rules import (
    REVIEW_SEAT_ROLES,
    covers,
    dispatches,
)
from .common import (
    REASON_MAX,
    _audit,
    _event,
    _fail,
    _move,
    _now,
    _on_time,
    _require_state,
    _start_clocks,
    _text,
    _wrong_state,
    is_requester,
)

# ---------------------------------------------------------------------------------------------
# review, reopen


def review_row(
    ticket: Ticket,
    *,
    reviewer: Any,
    by_requester: bool,
    valid: bool,
    contacted: bool,
    solved: bool,
    satisfaction: str,
    comment: str,
    at: datetime,
) -> Review:
    """The (unsaved) review of the ticket as it stands: the handling unit and the clocks'
    outcome copied in, so the 三率 are one scan of the reviews. An invalid review keeps no
    answers."""
    unit = ticket.handler
    area = unit if isinstance(unit, Area) else None
    return Review(
        ticket=ticket,
        street_id=ticket.street_id,
        reviewer=reviewer,
        by_requester=by_requester,
        contacted=contacted if valid else False,
        solved=solved if valid else False,
        satisfaction=satisfaction if valid else Satisfaction.UNSATISFIED,
        comment=comment,
        is_valid=valid,
        reviewed_at=at,
        unit_area=area,
        unit_department=unit if isinstance(unit, Department) else None,
        unit_path=area.path if area else "",
        responded_on_time=_on_time(ticket.responded_at, ticket.respond_by),
        resolved_on_time=_on_time(ticket.resolved_at, ticket.resolve_by),
    )


def ticket_review(
    *,
    actor: Any,
    ticket: Ticket,
    contacted: bool | None,
    solved: bool | None,
    satisfaction: str,
    comment: str = "",
    valid: bool = True,
    request: HttpRequest | None = None,
) -> Review:
    """回访评价 by the requester or a review seat of the street. Solved: the ticket is closed.
    Not solved: it goes back to the same unit to be handled again (counted as a reopen).
    A seat that could not reach the requester records an invalid review: the ticket closes and
    the review is not counted in the 三率."""
    by_requester = is_requester(actor, ticket)
    seat = actor.role in REVIEW_SEAT_ROLES and covers(actor, ticket.area_path)
    if not by_requester and not seat:
        raise Forbidden(_("只有诉求人本人或回访人员可以评价。"))
    _require_state(ticket, [TicketState.RESOLVED], _("评价"))
    valid = True if by_requester else bool(valid)
    errors: dict[str, list[str]] = {}
    if valid:
        if contacted is None:
            errors["contacted"] = [_("请选择办理人员是否联系过您。")]
        if solved is None:
            errors["solved"] = [_("请选择问题是否解决。")]
        if satisfaction not in Satisfaction.values:
            errors["satisfaction"] = [_("请选择满意、基本满意或不满意。")]
    comment_text = (comment or "").strip()
    if len(comment_text) > REASON_MAX:
        errors["comment"] = [_("评价不能超过 %(n)d 个字。") % {"n": REASON_MAX}]
    if errors:
        raise ValidationFailed(fields=errors)
    now = _now()
    reopen = valid and solved is False
    # The row is built before a reopen restarts the clocks it reads.
    review = review_row(
        ticket,
        reviewer=actor,
        by_requester=by_requester,
        valid=valid,
        contacted=bool(contacted),
        solved=bool(solved),
        satisfaction=satisfaction,
        comment=comment_text,
        at=now,
    )
    with transaction.atomic():
        unit = ticket.handler
        if reopen:
            _move(
                ticket,
                [TicketState.RESOLVED],
                state=TicketState.DISPATCHED,
                accepted_at=None,
                responded_at=None,
                resolved_at=None,
                dispatched_at=now,
                reopen_count=ticket.reopen_count + 1,
                **_start_clocks(ticket, now),
            )
        else:
            _move(ticket, [TicketState.RESOLVED], state=TicketState.CLOSED, closed_at=now)
        Review.objects.filter(ticket=ticket, superseded=False).update(superseded=True)
        review.save()
        _event(
            ticket, EventKind.REVIEWED, actor, comment_text, unit=unit, at=now,
            data={"valid": valid, "contacted": contacted, "solved": solved,
                  "satisfaction": satisfaction if valid else ""},
        )  # fmt: skip
        if reopen:
            _event(ticket, EventKind.REOPENED, actor, _("回访未解决，重新办理"), unit=unit, at=now)
        _audit("review", actor, ticket, request, valid=valid, solved=solved)
        if reopen:
            notify.reopened(ticket)
    return review


def ticket_reopen(
    *, actor: Any, ticket: Ticket, reason: str, request: HttpRequest | None = None
) -> Ticket:
    """重办: the requester says it is not solved, or a dispatcher's check failed. From a
    resolved ticket, or a closed one within the reopen window; back to the same unit with new
    clocks; counted."""
    by_requester = is_requester(actor, ticket)
    if not by_requester and not dispatches(actor, ticket):
        raise Forbidden(_("只有诉求人本人或派单人员可以要求重办。"))
    _require_state(ticket, [TicketState.RESOLVED, TicketState.CLOSED], _("重办"))
    if ticket.handler is None:
        raise _wrong_state(ticket, _("重办"))
    window = timedelta(days=settings.TICKET_REOPEN_DAYS)
    if (
        ticket.state == TicketState.CLOSED
        and ticket.closed_at
        and _now() - ticket.closed_at > window
    ):
        raise _fail(
            "reason",
            _("结案已超过 %(n)d 天，请重新提交诉求。") % {"n": settings.TICKET_REOPEN_DAYS},
        )
    reason = _text(reason, "reason", required=True, limit=REASON_MAX, label=_("重办理由"))
    now = _now()
    with transaction.atomic():
        _move(
            ticket,
            [TicketState.RESOLVED, TicketState.CLOSED],
            state=TicketState.DISPATCHED,
            accepted_at=None,
            responded_at=None,
            resolved_at=None,
            closed_at=None,
            dispatched_at=now,
            reopen_count=ticket.reopen_count + 1,
            **_start_clocks(ticket, now),
        )
        _event(ticket, EventKind.REOPENED, actor, reason, unit=ticket.handler, at=now)
        _audit("reopen", actor, ticket, request, by_requester=by_requester)
        notify.reopened(ticket)
    return ticket
