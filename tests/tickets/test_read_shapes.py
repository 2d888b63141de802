"""The cheaper shapes of the ticket reads (issue 8's overhead ratio) answer exactly what the plain
ones do: the API list's names carried as columns, the timeline with all its photos in one query,
the queue's counts as window counts, the desk read without a count, labels without Django's
translated list."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from grassroots.core.errors import NotFound
from grassroots.tickets import services as s
from grassroots.tickets.models import (
    Category,
    Channel,
    EventKind,
    RequestType,
    Ticket,
    TicketEvent,
    TicketState,
    Urgency,
)
from grassroots.tickets.models.tickets import late_q
from grassroots.tickets.schemas import TicketOut, label
from grassroots.tickets.selectors import (
    TicketFilters,
    actor_label,
    dispatch_queue,
    handling_queue,
    queue_page,
    ticket_page,
    ticket_to_show,
    tickets_for,
    timeline_and_photos,
    unit_name,
)
from grassroots.tickets.views import desk as desk_views
from tests.tickets.conftest import DEPARTMENT_LEAF, png_bytes


def png() -> SimpleUploadedFile:
    return SimpleUploadedFile("p.png", png_bytes(), "image/png")


def test_a_listed_ticket_reads_as_the_whole_ticket(
    cast: Any, city: Any, submit: Any, advance: Any
) -> None:
    """Names put on the rows (`with_names`, the API's page) serialise as the related objects
    do: a new ticket (no handler), one sent to a grid, one sent to a department."""
    advance(submit(), "in_progress")
    advance(submit(category=DEPARTMENT_LEAF), "dispatched", to=city.dept_district)
    submit(urgency=Urgency.URGENT)
    user = cast.street_dispatcher
    whole = {t.pk: TicketOut.from_orm(t).dict() for t in tickets_for(user)}
    with CaptureQueriesContext(connection) as ctx:
        rows, _cursor = ticket_page(user, TicketFilters(), "", 50)
        listed = {t.pk: TicketOut.from_orm(t).dict() for t in rows}
    # the page, the areas' names, the departments' names; nothing read on first use
    assert len(ctx.captured_queries) == 3
    assert len(listed) == 3 and listed == whole
    kinds = {(d["handler"] or {}).get("kind") for d in listed.values()}
    assert kinds == {None, "area", "department"}


def test_the_detail_reads_the_same_ticket(cast: Any, submit: Any, advance: Any) -> None:
    ticket = advance(submit(), "accepted")
    user = cast.street_dispatcher
    shown = ticket_to_show(user, f" {ticket.number} ")
    assert shown.pk == ticket.pk
    assert TicketOut.from_orm(shown).dict() == TicketOut.from_orm(ticket).dict()
    with pytest.raises(NotFound):
        ticket_to_show(cast.grid_worker_b, ticket.number)  # another grid's: not found


def test_the_timeline_with_its_photos_in_one_query(
    cast: Any, city: Any, submit: Any, advance: Any
) -> None:
    ticket = advance(submit(photos=[png(), png()]), "in_progress")
    s.ticket_resolve(actor=cast.grid_worker_a, ticket=ticket, result="已清运", photos=[png()])
    s.ticket_reopen(actor=cast.resident, ticket=ticket, reason="又满了")
    ticket.refresh_from_db()
    s.ticket_respond(actor=cast.grid_worker_a, ticket=ticket, method="phone")
    s.ticket_resolve(actor=cast.grid_worker_a, ticket=ticket, result="再次清运", photos=[png()])
    # What it must read, the plain way: the events with their units and photos, and the
    # photos on no event.
    plain = list(
        ticket.events.select_related("unit_area", "unit_department")
        .prefetch_related("photos")
        .order_by("created_at", "id")
    )
    with CaptureQueriesContext(connection) as ctx:
        events, photos = timeline_and_photos(ticket, cast.street_dispatcher)
        shown = [(e.pk, e.shown_actor, unit_name(e)) for e in events]  # type: ignore[attr-defined]
        pictures = [[p.pk for p in e.photo_list] for e in events]  # type: ignore[attr-defined]
    assert len(ctx.captured_queries) == 2
    units = [e.unit_area or e.unit_department for e in plain]
    assert shown == [
        (e.pk, actor_label(cast.street_dispatcher, ticket, e), str(u) if u else None)
        for e, u in zip(plain, units, strict=True)
    ]
    assert {name for _pk, _actor, name in shown} >= {None, city.grid_a.name}
    assert [unit_name(e) for e in plain] == [name for _pk, _actor, name in shown]
    assert pictures == [[p.pk for p in e.photos.all()] for e in plain]
    assert [len(p) for p in pictures if p] == [1, 1]
    assert [p.pk for p in photos] == [p.pk for p in ticket.photos.filter(event__isnull=True)]
    assert len(photos) == 2


def test_the_queue_counts_as_the_aggregate_did(cast: Any, submit: Any, advance: Any) -> None:
    user = cast.grid_worker_a
    now = timezone.now()
    assert queue_page(user, now, 10) == ({"total": 0, "overdue": 0, "warning": 0}, [])
    for _ in range(3):
        advance(submit(), "dispatched")
    advance(submit(), "in_progress")
    Ticket.objects.filter(state=TicketState.DISPATCHED).update(
        respond_by=now - timezone.timedelta(hours=1)
    )
    one = Ticket.objects.filter(state=TicketState.IN_PROGRESS).get()
    Ticket.objects.filter(pk=one.pk).update(warn_at=now - timezone.timedelta(minutes=5))
    late = late_q(now)
    expected = (
        handling_queue(user)
        .order_by()
        .aggregate(
            total=Count("id"),
            overdue=Count("id", filter=late),
            warning=Count("id", filter=Q(warn_at__lte=now) & ~late),
        )
    )
    with CaptureQueriesContext(connection) as ctx:
        counts, rows = queue_page(user, now, 2)
    assert len(ctx.captured_queries) == 1
    assert counts == expected == {"total": 4, "overdue": 3, "warning": 1}
    assert len(rows) == 2  # the counts are the whole queue's, not the page's


PAGE_ASKED = [None, "", "1", " 1", "2", "3", "9", "0", "-1", "x", "1.0", "1.5"]


@pytest.mark.parametrize("waiting", [0, 2, 3, 5])
def test_the_desk_pages_as_the_paginator_does(
    cast: Any, submit: Any, monkeypatch: pytest.MonkeyPatch, waiting: int
) -> None:
    monkeypatch.setattr(desk_views, "DESK_PER_PAGE", 2)
    for i in range(waiting):
        submit(description=f"第 {i} 件")
    user = cast.street_dispatcher
    for number in PAGE_ASKED:
        expected = Paginator(dispatch_queue(user), 2).get_page(number)
        page, tickets = desk_views.desk_tickets(user, number)
        assert [t.pk for t in tickets] == [t.pk for t in expected.object_list], number
        assert page.number == expected.number, number
        assert page.paginator.num_pages == expected.paginator.num_pages, number
        assert page.paginator.count == expected.paginator.count, number
        assert (page.has_next(), page.has_previous()) == (
            expected.has_next(),
            expected.has_previous(),
        ), number


def test_a_short_desk_is_not_counted(cast: Any, city: Any, submit: Any, advance: Any) -> None:
    submit()
    returned = advance(submit(), "dispatched")
    s.ticket_return(actor=cast.grid_worker_a, ticket=returned, reason="不属于本网格")
    s.ticket_dispatch(actor=cast.street_dispatcher, ticket=returned, to=city.grid_b)
    s.ticket_return(actor=cast.grid_worker_b, ticket=returned, reason="也不属于这里")
    with CaptureQueriesContext(connection) as ctx:
        page, tickets = desk_views.desk_tickets(cast.street_dispatcher, None)
    assert len(ctx.captured_queries) == 2  # the rows, the returns
    assert page.paginator.count == 2
    last = {t.pk: t.last_return for t in tickets}  # type: ignore[attr-defined]
    latest = TicketEvent.objects.filter(ticket=returned, kind=EventKind.RETURNED).latest("id")
    assert last[returned.pk] == latest and latest.note == "也不属于这里"
    assert [e for pk, e in last.items() if pk != returned.pk] == [None]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_labels_read_as_get_display(language: str) -> None:
    ticket = Ticket()
    event = TicketEvent()
    with translation.override(language):
        for value in [*TicketState.values, "unknown"]:
            ticket.state = value
            assert label(TicketState, value) == ticket.get_state_display()
        for value in Channel.values:
            ticket.channel = value
            assert label(Channel, value) == ticket.get_channel_display()
        for value in RequestType.values:
            ticket.request_type = value
            assert label(RequestType, value) == ticket.get_request_type_display()
        for value in Urgency.values:
            ticket.urgency = value
            assert label(Urgency, value) == ticket.get_urgency_display()
        for value in EventKind.values:
            event.kind = value
            assert label(EventKind, value) == event.get_kind_display()


def test_a_list_shows_a_renamed_category_at_once(cast: Any, submit: Any) -> None:
    # The list's category names come from the catalogue's per-process memo.
    ticket = submit()
    user = cast.street_dispatcher
    assert ticket_page(user, TicketFilters(), "", 50)[0][0].category_name == ticket.category.name
    category = Category.objects.get(pk=ticket.category_id)
    s.category_update(actor=None, category=category, name="新名称")
    rows, _cursor = ticket_page(user, TicketFilters(), "", 50)
    assert (rows[0].category_code, rows[0].category_name) == (ticket.category.code, "新名称")
