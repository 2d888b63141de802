from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Case, Count, F, IntegerField, Model, Q, Value, When, Window
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.core import sql
from grassroots.core.errors import NotFound
from grassroots.core.pages import keyset_page
from grassroots.core.scoping import prefixes, scope_of, under, under_paths
from grassroots.core.text import matches
from grassroots.core.worktime import LOCAL
from grassroots.territory.models import Area, Department

from .models import (
    ACTIVE_STATES,
    OPEN_STATES,
    Category,
    EventKind,
    Extension,
    ExtensionStatus,
    Ticket,
    TicketEvent,
    TicketPhoto,
    TicketState,
    Urgency,
)
from .models.tickets import TicketQuerySet, late_q
from .services.catalogue import catalogue


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


def columns(model: type[Model]) -> list[str]:
    """The names of the model's columns (for `only`, beside a related model's)."""
    return [f.name for f in model._meta.concrete_fields]


# What pages read of the rows joined to a ticket: the category's, the areas' and the
# departments' code and name (the street's path for `rules.handles`). Their other columns (an
# area's boundary, timestamps, the catalogue's texts) stay in the database: a page of 50
# tickets joins some 250 rows, and building them whole was most of a list's cost (issue 8).
NAMED = ("code", "name")
SHOWN_RELATED: dict[str, tuple[str, ...]] = {
    "category": NAMED,
    "area": NAMED,
    "street": (*NAMED, "path"),
    "handler_area": NAMED,
    "handler_department": NAMED,
}


def shown(qs: Any, related: Mapping[str, tuple[str, ...]], own: Sequence[str] | None = None) -> Any:
    """`qs` (tickets) with `related` joined in, and nothing else, reading only the named
    columns of each, and the ticket's `own` columns (all of them by default). A column left
    out is read on first use (one query per row), so whatever a page reads must be named here:
    the pages' query-count tests say so."""
    wanted = [f"{name}__{column}" for name, cols in related.items() for column in cols]
    return (
        qs.select_related(None)
        .select_related(*related)
        .only(*(columns(Ticket) if own is None else own), *wanted)
    )


def ticket_rows(user: Any) -> Any:
    """`tickets_for`, with only what the pages' lists read of the joined rows."""
    return shown(Ticket.objects.visible_to(user), SHOWN_RELATED)


# The API's list (schemas.TicketOut) reads these columns of a ticket, and the code and name of
# its category, area, street and handling unit, carried as attributes of the row
# (`category_code`, `category_name`, …, see `listed_name`): no related object is built.
LISTED_COLUMNS = (
    "number", "state", "channel", "request_type", "urgency", "description", "address",
    "created_at", "respond_by", "resolve_by", "responded_at", "warn_at",
    "deadline_provisional", "supervised_at", "category", "area", "street", "handler_area",
    "handler_department",
)  # fmt: skip
# Each named relation of a listed row, and the table its name comes from.
LISTED_NAMES = {
    "category": "category",
    "area": "area",
    "street": "area",
    "handler_area": "area",
    "handler_department": "department",
}


def with_names(rows: list[Ticket]) -> list[Ticket]:
    """Puts on each row the code and name of its category, area, street and handling unit,
    as `listed_name` reads them: the categories from the catalogue's memo, the areas in one
    query by id, the departments in another when a row has one.

    Not joined into the page's own query: there the planner sized the joins by its guess of
    how many rows the filter keeps, and on a large table a guess of a hundred where ten came
    back made it hash the whole area table (issue 8, the overdue list)."""
    area_ids = {i for t in rows for i in (t.area_id, t.street_id, t.handler_area_id) if i}
    department_ids = {t.handler_department_id for t in rows if t.handler_department_id}
    names: dict[str, dict[Any, tuple[str, str]]] = {
        "category": catalogue.get().names,
        "area": _names(AREA_NAMES, area_ids),
        "department": _names(DEPARTMENT_NAMES, department_ids),
    }
    for row in rows:
        for relation, kind in LISTED_NAMES.items():
            code, name = names[kind].get(getattr(row, f"{relation}_id"), (None, None))
            setattr(row, f"{relation}_code", code)
            setattr(row, f"{relation}_name", name)
    return rows


AREA_NAMES = "SELECT id, code, name FROM territory_area WHERE id IN ({})"
DEPARTMENT_NAMES = "SELECT id, code, name FROM territory_department WHERE id IN ({})"


def _names(statement: str, ids: set[int]) -> dict[Any, tuple[str, str]]:
    if not ids:
        return {}
    rows = sql.fetch_all(statement.format(sql.in_list(list(ids))), list(ids))
    return {pk: (code, name) for pk, code, name in rows}


_MISSING = object()


def listed_name(row: Any, relation: str) -> dict[str, str]:
    """The code and name of a related row: the attributes `with_names` puts on a listed row,
    or else (a ticket read whole, as the detail reads it) the related object's."""
    code = getattr(row, f"{relation}_code", _MISSING)
    if code is _MISSING:
        related = getattr(row, relation)
        return {"code": related.code, "name": related.name}
    return {"code": code, "name": getattr(row, f"{relation}_name")}


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


LIST_MAX_LIMIT = 200


def ticket_page(
    user: Any, wanted: TicketFilters, cursor: str, limit: int, now: datetime | None = None
) -> tuple[list[Ticket], str | None]:
    """The API's list: one keyset page of the tickets the user may see that match `wanted`
    (`listed_rows`), with their names (`with_names`)."""
    rows, next_cursor = keyset_page(
        listed_rows(user, wanted, now), cursor, limit, max_limit=LIST_MAX_LIMIT
    )
    return with_names(rows), next_cursor


def listed_rows(user: Any, wanted: TicketFilters, now: datetime | None = None) -> Any:
    """The tickets the user may see that match `wanted`, with the columns the list reads, from
    the tickets table alone."""
    visible: Any = Ticket.objects.visible_to(user)
    return filter_tickets(visible, wanted, now).only(*LISTED_COLUMNS)


# Days a filter may name without overflowing a datetime in any time zone: earlier and later
# ones mean "from the start" and "to the end" and are clamped to these.
FIRST_DAY, LAST_DAY = date(1900, 1, 2), date(9998, 12, 30)


def _day_start(day: date, *, after: bool = False) -> datetime:
    """Local midnight at the start of `day` (of the day after it with `after`)."""
    day = min(max(day, FIRST_DAY), LAST_DAY)
    return datetime.combine(day + timedelta(days=1) if after else day, time.min, tzinfo=LOCAL)


# What 我的待办 reads of each ticket (tickets/phone/queue.html, `clock_of`): its category and
# where it is, its state and clocks.
QUEUE_RELATED = {"category": NAMED, "area": NAMED}
QUEUE_COLUMNS = (
    "number", "state", "urgency", "address", "category", "area", "respond_by", "responded_at",
    "resolve_by", "warn_at", "supervised_at", "supervision_answered_at",
)  # fmt: skip


def handling_queue(user: Any) -> Any:
    """The tickets the user's unit is handling (a grid worker's 我的待办): being handled,
    the earliest deadline first — overdue ones come first by construction; with what the
    queue shows of them."""
    scope = scope_of(user)
    q = under_paths("handler_path", scope.area_paths)
    if scope.department_ids:
        dept = Q(handler_department_id__in=scope.department_ids)
        q = dept if q is None else q | dept
    if q is None:
        return Ticket.objects.none()
    return (
        shown(Ticket.objects.visible_to(user), QUEUE_RELATED, QUEUE_COLUMNS)
        .filter(q, state__in=ACTIVE_STATES)
        .order_by(F("resolve_by").asc(nulls_last=True), "id")
    )


def queue_rows(user: Any, now: datetime) -> Any:
    """`handling_queue` as 我的待办 lists it: overdue first, then by the earliest resolve
    deadline; each row carries the counts of the whole queue (window counts, so that one query
    answers both): `queue_total`, `queue_overdue` and `queue_warning` (past the warning time,
    not overdue)."""
    late = late_q(now)
    return (
        handling_queue(user)
        .annotate(
            late=Case(When(late, then=Value(0)), default=Value(1), output_field=IntegerField()),
            queue_total=Window(Count("id")),
            queue_overdue=Window(Count("id", filter=late)),
            queue_warning=Window(Count("id", filter=Q(warn_at__lte=now) & ~late)),
        )
        .order_by("late", F("resolve_by").asc(nulls_last=True), "id")
    )


def queue_page(user: Any, now: datetime, limit: int) -> tuple[dict[str, int], list[Ticket]]:
    """我的待办: the counts of the queue (total, overdue, warning) and its first `limit` rows, in
    one query whatever the size."""
    rows = list(queue_rows(user, now)[:limit])
    first = rows[0] if rows else None
    counts = {
        name: getattr(first, f"queue_{name}") if first is not None else 0
        for name in ("total", "overdue", "warning")
    }
    return counts, rows


# What the desk reads of each ticket (tickets/desk/desk.html, `units_for`): its category and
# where it is (a new or returned ticket has no handler), and what the suggested unit needs
# (`services.suggested_units`): the category's handling level and department.
DESK_RELATED = {
    "category": (*NAMED, "handling_level"),
    "category__department": NAMED,
    "area": NAMED,
}
DESK_COLUMNS = (
    "number", "state", "created_at", "channel", "request_type", "urgency", "description",
    "address", "category", "area", "area_path", "return_count",
)  # fmt: skip


def dispatch_queue(user: Any) -> Any:
    """New and returned tickets located in the user's territory (the dispatch desk): urgent
    first, then the oldest; with what the desk shows of them and needs for the suggested
    unit (`services.suggested_units`)."""
    q = under_paths("area_path", scope_of(user).area_paths)
    if q is None:
        return Ticket.objects.none()
    return (
        shown(Ticket.objects.visible_to(user), DESK_RELATED, DESK_COLUMNS)
        .filter(q, state=TicketState.SUBMITTED)
        .order_by(Case(When(urgency=Urgency.URGENT, then=0), default=1), "created_at", "id")
    )


# What the detail reads of the rows joined to the ticket: as lists, and the building's code and
# name and the number of the ticket it was merged into.
DETAIL_RELATED: dict[str, tuple[str, ...]] = {
    **SHOWN_RELATED,
    "building": NAMED,
    "merged_into": ("number",),
}


def ticket_to_show(user: Any, number: str) -> Ticket:
    """A ticket by its number among those the user may see (NotFound otherwise), with what its
    detail shows of the rows joined in (`services.find_ticket` joins them whole, for the
    services)."""
    found = list(
        shown(Ticket.objects.visible_to(user), DETAIL_RELATED)
        .filter(number=(number or "").strip())
        .order_by()[:1]  # the number is unique: no sort
    )
    if not found:
        raise NotFound()
    return found[0]


def _name_actors(events: list[TicketEvent], ticket: Ticket, viewer: Any) -> None:
    for event in events:
        event.shown_actor = (  # type: ignore[attr-defined]
            actor_label(viewer, ticket, event) if viewer is not None else event.actor_label
        )


def last_returns(ticket_ids: list[int]) -> dict[int, TicketEvent]:
    """The latest return (退单) of each of these tickets that was ever returned, by ticket id:
    its note and the name of the unit that returned it, as the desk shows them (one query)."""
    last: dict[int, TicketEvent] = {}
    if not ticket_ids:
        return last
    returns = (
        TicketEvent.objects.filter(kind=EventKind.RETURNED, ticket_id__in=ticket_ids)
        .select_related("unit_area", "unit_department")
        .only("ticket", "created_at", "note", "unit_area__name", "unit_department__name")
        .order_by()  # the latest is found below
    )
    for event in returns:
        seen = last.get(event.ticket_id)
        if seen is None or (event.created_at, event.pk) > (seen.created_at, seen.pk):
            last[event.ticket_id] = event
    return last


def timeline_and_photos(
    ticket: Ticket, viewer: Any = None
) -> tuple[list[TicketEvent], list[TicketPhoto]]:
    """The ticket's events in order and the submission's photos (those on no event), in two
    queries, as the API and the pages show them. Each event carries `shown_actor` (who did it
    as `viewer` may read it, see actor_label), its photos in `photo_list` and the name of the
    unit it concerns in `unit_name` (a column, not a related object: see `unit_name`). A photo
    belongs to its event's ticket (the services store both), so the ticket's photos are all
    of them."""
    events: list[TicketEvent] = list(
        ticket.events.annotate(
            unit_name=Coalesce(F("unit_area__name"), F("unit_department__name"))
        ).order_by("created_at", "id")
    )
    by_event: dict[int | None, list[TicketPhoto]] = {}
    for photo in ticket.photos.all():  # by id
        by_event.setdefault(photo.event_id, []).append(photo)
    for event in events:
        event.photo_list = by_event.get(event.pk, [])  # type: ignore[attr-defined]
    _name_actors(events, ticket, viewer)
    return events, by_event.get(None, [])


def unit_name(event: TicketEvent) -> str | None:
    """The name of the unit an event concerns (its area, else its department), or None: the
    column `timeline_and_photos` reads, or else the related object's."""
    name = getattr(event, "unit_name", _MISSING)
    if name is _MISSING:
        unit = event.unit_area or event.unit_department
        return str(unit) if unit is not None else None
    return name  # type: ignore[return-value]


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


def pending_extension(ticket: Ticket, *, with_requester: bool = False) -> Extension | None:
    """The extension waiting for a decision, if any: at most one (extension_one_pending), read
    without a sort. One waits only while the ticket is being handled (it is asked for then,
    and returning or resolving the ticket refuses it), so in any other state nothing is
    asked."""
    if ticket.state not in ACTIVE_STATES:
        return None
    waiting = Extension.objects.filter(ticket_id=ticket.pk, status=ExtensionStatus.PENDING)
    if with_requester:
        waiting = waiting.select_related("requested_by")
    return next(iter(waiting.order_by()[:1]), None)


def available_actions(
    user: Any, ticket: Ticket, *, extension_pending: bool | None = None
) -> list[str]:
    """The actions the user could take on the ticket now, as the services will judge them
    (role, territory and state); pages show these buttons and no others. `extension_pending`:
    whether an extension waits for a decision, when the caller has read it already (else it is
    asked when it matters)."""
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
        if state in ACTIVE_STATES and (
            extension_pending
            if extension_pending is not None
            else ticket.extensions.filter(status="pending").exists()
        ):
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
