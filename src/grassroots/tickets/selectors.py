from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Case, F, Q, When
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.core.scoping import prefixes, scope_of, under, under_paths
from grassroots.core.text import matches
from grassroots.core.worktime import LOCAL
from grassroots.territory.models import Area, Department

from .models import (
    ACTIVE_STATES,
    OPEN_STATES,
    Category,
    EventKind,
    Ticket,
    TicketEvent,
    TicketPhoto,
    TicketState,
    Urgency,
)
from .models.tickets import TicketQuerySet


def category_matches(category: Category, query: str) -> bool:
    """By name, by a keyword (both also by pinyin initials: ljqy → 垃圾清运) or by code prefix."""
    return (
        matches(category.name, query)
        or any(matches(word, query) for word in category.keyword_list)
        or category.code.lower().startswith(query.strip().lower())
    )


def is_selectable(category: Category) -> bool:
    """A leaf a request can be filed under (its ancestors' state aside)."""
    return (
        category.is_active
        and not category.numchild
        and bool(category.handling_level)
        and category.sla_policy_id is not None
    )


def category_tree(*, query: str = "") -> list[Category]:
    """The catalogue offered to whoever files or dispatches a request, flat in tree order (a
    node before everything under it), each node carrying `parent_pk`.

    Shown: active categories whose ancestors are all active, and only on branches that end in a
    selectable leaf, so that every group leads somewhere. With a query, the leaves that match
    or lie under a matching group are kept, with their ancestors so the tree still reads.
    One query whatever the size: the catalogue is small (tens to a few hundred nodes) and the
    filtering by pinyin cannot be done in SQL.
    """
    nodes = list(Category.objects.select_related("sla_policy").order_by("path"))
    step = Category.steplen
    live: dict[str, Category] = {}
    pk_by_path: dict[str, int] = {}
    for node in nodes:
        parent_path = node.path[:-step]
        node.parent_pk = pk_by_path.get(parent_path)  # type: ignore[attr-defined]
        pk_by_path[node.path] = node.pk
        if node.is_active and (node.depth == 1 or parent_path in live):
            live[node.path] = node
    matched = {p for p, n in live.items() if category_matches(n, query)} if query.strip() else None
    shown: set[str] = set()
    for path, node in live.items():
        if not is_selectable(node):
            continue
        chain = prefixes(path)
        if matched is None or any(p in matched for p in chain):
            shown.update(chain)
    return [node for path, node in live.items() if path in shown]


# ---------------------------------------------------------------------------------------------
# requests


def tickets_for(user: Any) -> TicketQuerySet:
    """Every ticket the user may see, with what lists show joined in."""
    qs: TicketQuerySet = Ticket.objects.visible_to(user)  # type: ignore[assignment]
    return qs.select_related("category", "street", "area", "handler_area", "handler_department")


@dataclass(frozen=True)
class TicketFilters:
    state: str = ""
    category: str = ""  # a category code: that category and everything under it
    unit: str = ""  # an Area code (its subtree) or a Department code
    overdue: bool | None = None
    supervised: bool | None = None
    created_after: date | None = None
    created_before: date | None = None
    number: str = ""


def filter_tickets(qs: TicketQuerySet, f: TicketFilters, now: datetime | None = None) -> Any:
    """The list filters of the desk, the API and the export, all index-backed."""
    now = now or timezone.now()
    if f.state:
        qs = qs.filter(state=f.state)
    if f.category:
        cat = Category.objects.filter(code=f.category).first()
        qs = qs.filter(under("category__path", cat.path)) if cat else qs.none()
    if f.unit:
        area = Area.objects.filter(code=f.unit).first()
        if area is not None:
            qs = qs.filter(under("handler_path", area.path))
        else:
            dept = Department.objects.filter(code=f.unit).first()
            qs = qs.filter(handler_department=dept) if dept else qs.none()
    if f.overdue is True:
        qs = qs.overdue(now)
    elif f.overdue is False:
        qs = qs.exclude(pk__in=Ticket.objects.overdue(now).values("pk"))
    if f.supervised is True:
        qs = qs.filter(supervised_at__isnull=False, state__in=OPEN_STATES)
    elif f.supervised is False:
        qs = qs.filter(supervised_at__isnull=True)
    if f.created_after:
        qs = qs.filter(created_at__gte=_day_start(f.created_after))
    if f.created_before:
        qs = qs.filter(created_at__lt=_day_start(f.created_before, after=True))
    if f.number:
        qs = qs.filter(number__icontains=f.number.strip())
    return qs


# Days a filter may name without overflowing a datetime in any time zone: earlier and later
# ones mean "from the start" and "to the end" and are clamped to these.
FIRST_DAY, LAST_DAY = date(1900, 1, 2), date(9998, 12, 30)


def _day_start(day: date, *, after: bool = False) -> datetime:
    """Local midnight at the start of `day` (of the day after it with `after`)."""
    day = min(max(day, FIRST_DAY), LAST_DAY)
    return datetime.combine(day + timedelta(days=1) if after else day, time.min, tzinfo=LOCAL)


def handling_queue(user: Any) -> Any:
    """The tickets the user's unit is handling (a grid worker's 我的待办): being handled,
    the earliest deadline first — overdue ones come first by construction."""
    scope = scope_of(user)
    q = under_paths("handler_path", scope.area_paths)
    if scope.department_ids:
        dept = Q(handler_department_id__in=scope.department_ids)
        q = dept if q is None else q | dept
    if q is None:
        return Ticket.objects.none()
    return (
        tickets_for(user)
        .filter(q, state__in=ACTIVE_STATES)
        .order_by(F("resolve_by").asc(nulls_last=True), "id")
    )


def dispatch_queue(user: Any) -> Any:
    """New and returned tickets located in the user's territory (the dispatch desk): urgent
    first, then the oldest."""
    q = under_paths("area_path", scope_of(user).area_paths)
    if q is None:
        return Ticket.objects.none()
    return (
        tickets_for(user)
        .filter(q, state=TicketState.SUBMITTED)
        .order_by(Case(When(urgency=Urgency.URGENT, then=0), default=1), "created_at", "id")
    )


def timeline(ticket: Ticket, viewer: Any = None) -> list[TicketEvent]:
    """The ticket's events in order, with their photos (two queries). Each event carries
    `shown_actor`: who did it as `viewer` may read it (see actor_label)."""
    events = list(
        ticket.events.select_related("actor", "unit_area", "unit_department")
        .prefetch_related("photos")
        .order_by("created_at", "id")
    )
    for event in events:
        event.shown_actor = (  # type: ignore[attr-defined]
            actor_label(viewer, ticket, event) if viewer is not None else event.actor_label
        )
    return events


# What a resident's timeline leaves out: the sweep's marks and the staff's internal traffic
# (supervision, extension requests); an approved extension is told to them.
HIDDEN_FROM_RESIDENT = frozenset(
    {
        EventKind.WARNED,
        EventKind.OVERDUE,
        EventKind.SUPERVISED,
        EventKind.SUPERVISION_ANSWERED,
        EventKind.EXTENSION_REQUESTED,
        EventKind.EXTENSION_REFUSED,
    }
)
# Of a whistle on the ticket (吹哨报到) the resident sees that departments were called, came and
# solved it; reminders, ratings, releases and withdrawals stay between the units.
RESIDENT_WHISTLE_EVENTS = frozenset({"blown", "summoned", "reported_in", "confirmed"})
# Shown to a resident without their note: instructions and reasons between units.
NOTE_HIDDEN_FROM_RESIDENT = frozenset({EventKind.DISPATCHED, EventKind.RETURNED})


def resident_sees(event: TicketEvent) -> bool:
    """Whether a row of the timeline is shown to the requester (phone page and API alike)."""
    if event.kind in HIDDEN_FROM_RESIDENT:
        return False
    if event.kind == EventKind.WHISTLE:
        return event.data.get("whistle_event") in RESIDENT_WHISTLE_EVENTS
    return True


def submission_photos(ticket: Ticket) -> list[TicketPhoto]:
    return list(ticket.photos.filter(event__isnull=True))


def actor_label(user: Any, ticket: Ticket, event: TicketEvent) -> str:
    """Who did it, as `user` may read it: on an anonymous ticket staff read "诉求人" for the
    requester's own entries, never their name."""
    by_requester = event.actor_id is not None and event.actor_id == ticket.requester_id
    if by_requester and not sees_contact(user, ticket):
        return str(_("诉求人"))
    return event.actor_label


def sees_contact(user: Any, ticket: Ticket) -> bool:
    """The requester's name and (masked) number: hidden from every staff member when the
    requester asked for anonymity; the requester always sees their own."""
    if ticket.requester_id is not None and ticket.requester_id == user.pk:
        return True
    return not ticket.anonymous and getattr(user, "is_staff_role", False)


def available_actions(user: Any, ticket: Ticket) -> list[str]:
    """The actions the user could take on the ticket now, as the services will judge them
    (role, territory and state); pages show these buttons and no others."""
    from grassroots.tickets.rules import (
        REVIEW_SEAT_ROLES,
        SUPERVISOR_ROLES,
        covers,
        dispatches,
        handles,
    )

    state = ticket.state
    actions: list[str] = []
    requester = ticket.requester_id is not None and ticket.requester_id == user.pk
    if dispatches(user, ticket):
        if state == TicketState.SUBMITTED:
            actions += ["dispatch", "reject"]
        if state in OPEN_STATES:
            actions.append("merge")
        if state in ACTIVE_STATES and ticket.extensions.filter(status="pending").exists():
            actions.append("approve-extension")
    if handles(user, ticket) and ticket.handler is not None:
        if state == TicketState.DISPATCHED:
            actions.append("accept")
        if state in (TicketState.DISPATCHED, TicketState.ACCEPTED):
            actions.append("respond")
        if state in ACTIVE_STATES:
            from grassroots.tickets.services import return_deadline

            limit = return_deadline(ticket)
            if limit is None or timezone.now() <= limit:
                actions.append("return")
            actions.append("extend")
            if ticket.supervised_at and not ticket.supervision_answered_at:
                actions.append("answer-supervision")
        if state == TicketState.IN_PROGRESS:
            actions.append("resolve")
    if state == TicketState.RESOLVED and (
        requester or (user.role in REVIEW_SEAT_ROLES and covers(user, ticket.area_path))
    ):
        actions.append("review")
    reopenable = ticket.handler is not None and (
        state == TicketState.RESOLVED
        or (
            state == TicketState.CLOSED
            and ticket.closed_at is not None
            and timezone.now() - ticket.closed_at <= timedelta(days=settings.TICKET_REOPEN_DAYS)
        )
    )
    if reopenable and (requester or dispatches(user, ticket)):
        actions.append("reopen")
    if state in OPEN_STATES and user.role in SUPERVISOR_ROLES and covers(user, ticket.area_path):
        actions.append("supervise")
    return actions
