"""Who is told what about a request, and how.

Staff are told in their inbox (written in the service's transaction, so a rolled-back change
tells nobody). Requesters are told in their inbox when they have an account and by SMS to the
contact number, sent by the worker after commit (DOMAIN.md §2: accepted, extension, resolved
with a link to rate, rejected). An anonymous ticket's messages never name the requester.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from grassroots.accounts.models import DEPARTMENT_ROLES, Role, User
from grassroots.notices.services import notify as send_notice
from grassroots.territory.models import Area, AreaKind

from .models import EventKind, Extension, Ticket, TicketFollower

UNIT_ROLES: dict[str, tuple[str, ...]] = {
    AreaKind.GRID: (Role.GRID_WORKER,),
    AreaKind.COMMUNITY: (Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY),
    AreaKind.VILLAGE: (Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY),
    AreaKind.STREET: (Role.STREET_DISPATCHER, Role.STREET_LEADER),
    AreaKind.TOWNSHIP: (Role.STREET_DISPATCHER, Role.STREET_LEADER),
}


def staff_url(ticket: Ticket) -> str:
    return reverse("tickets:detail", args=[ticket.number])


def resident_url(ticket: Ticket) -> str:
    return reverse("tickets:mine_detail", args=[ticket.number])


def active_users(users: Any) -> list[User]:
    return list(users.filter(is_active=True).distinct())


def unit_users(ticket: Ticket) -> list[User]:
    """The staff of the unit now handling the ticket."""
    if ticket.handler_department_id is not None:
        return active_users(
            User.objects.filter(
                scope_departments=ticket.handler_department_id, role__in=DEPARTMENT_ROLES
            )
        )
    area = ticket.handler_area
    if area is None:
        return []
    return active_users(
        User.objects.filter(scope_areas=area, role__in=UNIT_ROLES.get(area.kind, ()))
    )


def desk_users(ticket: Ticket) -> list[User]:
    """The street's dispatchers, who take returned tickets and decide extensions."""
    return active_users(
        User.objects.filter(scope_areas=ticket.street_id, role=Role.STREET_DISPATCHER)
    )


def above_users(ticket: Ticket) -> list[User]:
    """The level above the handler, told when a ticket is overdue: the community secretary
    above a grid, the street leader above a community, a street or a department."""
    area = ticket.handler_area
    if area is not None and area.kind == AreaKind.GRID:
        community = Area.objects.filter(path=area.path[: -Area.steplen]).first()
        if community is not None:
            return active_users(
                User.objects.filter(scope_areas=community, role=Role.COMMUNITY_SECRETARY)
            )
    return active_users(User.objects.filter(scope_areas=ticket.street_id, role=Role.STREET_LEADER))


def last_actor(ticket: Ticket, kind: str) -> User | None:
    event = ticket.events.filter(kind=kind, actor__isnull=False).select_related("actor").last()
    return event.actor if event is not None else None


# Staff who work on the phone open a ticket on its phone page, the others on the workbench.
PHONE_STAFF = (Role.GRID_WORKER, Role.BUILDING_HEAD)


def _staff(ticket: Ticket, users: Iterable[User | None], title: str, body: str = "") -> None:
    people = [u for u in users if u is not None]
    phone_url = reverse("tickets:handle", args=[ticket.number])
    for group, url in (
        ([u for u in people if u.role in PHONE_STAFF], phone_url),
        ([u for u in people if u.role not in PHONE_STAFF], staff_url(ticket)),
    ):
        if group:
            send_notice(recipients=group, title=title, body=body, url=url, kind="tickets")


def _requester(
    ticket: Ticket, title: str, body: str, sms: str = "", *, followed: bool = True
) -> None:
    """Tell the requester (and residents following the ticket) in the inbox, and by SMS."""
    users: list[User] = []
    if Ticket.requester.is_cached(ticket):
        users = [ticket.requester] if ticket.requester is not None else []
    elif ticket.requester_id:
        users = list(User.objects.filter(pk=ticket.requester_id))
    followers = (
        User.objects.filter(pk__in=TicketFollower.objects.filter(ticket=ticket).values("user_id"))
        if followed
        else []
    )
    send_notice(
        recipients=[*users, *followers],
        title=title,
        body=body,
        url=resident_url(ticket),
        kind="tickets",
    )
    if sms and ticket.contact_mobile:
        from .tasks import send_ticket_sms

        ticket_id = ticket.pk
        transaction.on_commit(lambda: send_ticket_sms(ticket_id, sms))


def _sms(ticket: Ticket, text: str) -> str:
    return _("【接诉即办】您的诉求（%(number)s）%(text)s") % {
        "number": ticket.number,
        "text": text,
    }


def submitted(ticket: Ticket) -> None:
    # A ticket filed a moment ago has no followers yet.
    _requester(
        ticket,
        _("诉求已收到：%(number)s") % {"number": ticket.number},
        _("我们会尽快安排处理，进展会在这里告诉您。"),
        followed=False,
    )


def dispatched(ticket: Ticket) -> None:
    _staff(
        ticket,
        unit_users(ticket),
        _("新工单：%(number)s") % {"number": ticket.number},
        _("%(category)s。请在时限内联系诉求人。") % {"category": ticket.category.name},
    )


def accepted(ticket: Ticket) -> None:
    _requester(
        ticket,
        _("诉求已受理：%(number)s") % {"number": ticket.number},
        _("%(unit)s 正在办理。") % {"unit": ticket.handler},
        _sms(ticket, _("已由%(unit)s受理，我们会尽快联系您。") % {"unit": ticket.handler}),
    )


def rejected(ticket: Ticket, reason: str, redirect: str) -> None:
    where = _("建议您：%(where)s。") % {"where": redirect} if redirect else ""
    _requester(
        ticket,
        _("诉求未能受理：%(number)s") % {"number": ticket.number},
        f"{reason} {where}".strip(),
        _sms(ticket, _("不在受理范围：%(reason)s。%(where)s") % {"reason": reason, "where": where}),
    )


def merged(ticket: Ticket, into: Ticket) -> None:
    _requester(
        ticket,
        _("诉求已合并办理：%(number)s") % {"number": ticket.number},
        _("同一问题已有工单 %(into)s 在办理，进展将在那张工单上告诉您。") % {"into": into.number},
    )


def returned(ticket: Ticket, unit: Any, reason: str) -> None:
    _staff(
        ticket,
        [*desk_users(ticket), last_actor(ticket, EventKind.DISPATCHED)],
        _("工单被退回：%(number)s") % {"number": ticket.number},
        _("%(unit)s 退单：%(reason)s") % {"unit": unit, "reason": reason},
    )


def extension_requested(ticket: Ticket, extension: Extension) -> None:
    _staff(
        ticket,
        [*desk_users(ticket), last_actor(ticket, EventKind.DISPATCHED)],
        _("延期申请：%(number)s") % {"number": ticket.number},
        _("申请延期 %(n)d 个工作日：%(reason)s")
        % {"n": extension.working_days, "reason": extension.reason},
    )


def extension_decided(ticket: Ticket, extension: Extension) -> None:
    approved = extension.status == "approved"
    _staff(
        ticket,
        [*unit_users(ticket), extension.requested_by],
        (_("延期已同意：%(number)s") if approved else _("延期未同意：%(number)s"))
        % {"number": ticket.number},
        extension.decision_note,
    )
    if approved and ticket.resolve_by is not None:
        from django.utils import timezone

        when = timezone.localtime(ticket.resolve_by).strftime("%m-%d %H:%M")
        _requester(
            ticket,
            _("办理期限已延长：%(number)s") % {"number": ticket.number},
            _("原因：%(reason)s。新的办结期限：%(when)s。")
            % {"reason": extension.reason, "when": when},
            _sms(ticket, _("需要更多时间办理，办结期限延至 %(when)s。") % {"when": when}),
        )


def resolved(ticket: Ticket) -> None:
    link = resident_url(ticket)
    _requester(
        ticket,
        _("诉求已办结，请评价：%(number)s") % {"number": ticket.number},
        _("请告诉我们问题是否解决、是否满意。"),
        _sms(ticket, _("已办结，请评价：%(link)s") % {"link": link}),
    )


def reopened(ticket: Ticket) -> None:
    _staff(
        ticket,
        unit_users(ticket),
        _("工单重办：%(number)s") % {"number": ticket.number},
        _("诉求人反映问题未解决，请重新办理。"),
    )


def supervised(ticket: Ticket, leader: User) -> None:
    users = unit_users(ticket) if ticket.handler is not None else desk_users(ticket)
    _staff(
        ticket,
        users,
        _("督办：%(number)s") % {"number": ticket.number},
        _("%(leader)s 督办：%(note)s")
        % {"leader": leader.display_name, "note": ticket.supervision_note},
    )


def supervision_answered(ticket: Ticket) -> None:
    _staff(
        ticket,
        [last_actor(ticket, EventKind.SUPERVISED)],
        _("督办已回复：%(number)s") % {"number": ticket.number},
    )


def warned(ticket: Ticket) -> None:
    _staff(
        ticket,
        unit_users(ticket),
        _("临期预警：%(number)s") % {"number": ticket.number},
        _("办理时限即将到期，请抓紧办理。"),
    )


def overdue(ticket: Ticket) -> None:
    _staff(
        ticket,
        [*unit_users(ticket), *above_users(ticket)],
        _("工单超期：%(number)s") % {"number": ticket.number},
        _("%(unit)s 承办的工单已超过时限。") % {"unit": ticket.handler},
    )
