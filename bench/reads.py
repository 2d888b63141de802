"""Scoped reads at scale: the app's reads beside the same reads written by hand in SQL.

For each read three figures, medians of repeated runs in one process:

- `app_ms`: the data the page or endpoint fetches, through the app's own code — the scoped
  queryset (`visible_to`), the selector, the ORM building model instances — exactly the calls
  the view makes, without rendering;
- `sql_ms`: the same rows fetched by hand-written SQL on the same connection (no scoping layer,
  no ORM), checked to return the same tickets;
- `page_ms`: the whole page or endpoint through Django's request stack (middleware, session,
  template or JSON), in process.

`overhead = app_ms / sql_ms`; the scale ratio is taken by the runner across sizes. Each read
also keeps the plan of its main app query (`EXPLAIN (ANALYZE, BUFFERS)`), so a slow one can be
read in the results.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, QuerySet
from django.test import Client
from django.utils import timezone

from grassroots.accounts.models import User
from grassroots.core.pages import keyset_rows
from grassroots.core.scoping import path_end, scope_of
from grassroots.tickets.api import _view
from grassroots.tickets.models import Ticket, TicketEvent
from grassroots.tickets.selectors import (
    TicketFilters,
    dispatch_queue,
    listed_rows,
    queue_page,
    queue_rows,
    ticket_page,
    ticket_to_show,
    tickets_for,
)
from grassroots.tickets.services import suggested_units
from grassroots.tickets.views.desk import desk_tickets

ACTIVE = ["dispatched", "accepted", "in_progress"]
# "Under a tree path" as a DBA writes it: a range, which the ordinary btree index serves on
# any collation (LIKE 'p%' is served only under the C collation; core.scoping.under).
AREA_IN = "(t.area_path >= %(p)s AND t.area_path < %(e)s)"
HANDLER_IN = "(t.handler_path >= %(p)s AND t.handler_path < %(e)s)"


def span(path: str) -> dict[str, str]:
    return {"p": path, "e": path_end(path) or "~"}


LATE = "(t.resolve_by < %(now)s OR (t.respond_by < %(now)s AND t.responded_at IS NULL))"
JOINS = """
    JOIN tickets_category c ON c.id = t.category_id
    JOIN territory_area s ON s.id = t.street_id
    JOIN territory_area a ON a.id = t.area_id
    LEFT JOIN territory_area ha ON ha.id = t.handler_area_id
    LEFT JOIN territory_department hd ON hd.id = t.handler_department_id
"""
COLUMNS = "t.*, c.name, c.code, s.name, a.name, ha.name, hd.name"


# A list page as a DBA writes it once the planner has been seen to hash the whole area table
# for a page joined in one statement (it sizes the joins by its guess of the filter's rows):
# the page from the tickets table alone, then the names of its areas (and departments) by id.
# The app reads the same two (three) statements; its categories come from memory.
PAGE = (
    "SELECT t.id, t.area_id, t.street_id, t.handler_area_id, t.handler_department_id, t.* "
    "FROM tickets_ticket t WHERE {where} ORDER BY t.created_at DESC, t.id DESC LIMIT 51"
)


def page_sql(where: str, params: dict[str, Any]) -> list[int]:
    (rows,) = hand([(PAGE.format(where=where), params)])
    areas = sorted({i for r in rows for i in r[1:4] if i})
    departments = sorted({r[4] for r in rows if r[4]})
    names = [("SELECT id, code, name FROM territory_area WHERE id = ANY(%(ids)s)", {"ids": areas})]
    if departments:
        names.append(
            ("SELECT id, code, name FROM territory_department WHERE id = ANY(%(ids)s)",
             {"ids": departments})
        )  # fmt: skip
    hand(names)
    return [r[0] for r in rows][:50]


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(median ms, p95 ms, the last result) of `repeat` runs after two warm-up runs."""
    result = None
    for _ in range(2):
        result = fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95, result


def hand(statements: Sequence[tuple[str, dict[str, Any]]]) -> list[list[tuple[Any, ...]]]:
    out = []
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            out.append(cursor.fetchall())
    return out


def explain(qs: QuerySet[Any]) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@dataclass
class Subjects:
    """Who reads, and the ticket whose detail is read; fixed for the whole run."""

    grid_worker: User
    secretary: User
    dispatcher: User
    detail_number: str

    @classmethod
    def find(cls) -> Subjects:
        users = {u.username: u for u in User.objects.filter(
            username__in=["gridworker", "secretary", "dispatcher"]
        )}  # fmt: skip
        missing = {"gridworker", "secretary", "dispatcher"} - set(users)
        if missing:
            raise RuntimeError(f"the demo city lacks the accounts {sorted(missing)}")
        secretary = users["secretary"]
        # The detail: the ticket of the secretary's community with the longest timeline among
        # the most recent ones (the recent weeks are the same at every size).
        recent = tickets_for(secretary).order_by("-created_at").values_list("pk", flat=True)[:500]
        best = (
            TicketEvent.objects.filter(ticket_id__in=list(recent))
            .values("ticket_id")
            .annotate(n=Count("id"))
            .order_by("-n", "-ticket_id")
            .first()
        )
        if best is None:
            raise RuntimeError("no ticket in the secretary's community to read")
        number = Ticket.objects.get(pk=best["ticket_id"]).number or ""
        return cls(users["gridworker"], secretary, users["dispatcher"], number)


@dataclass
class Read:
    name: str
    user: User
    app: Callable[[datetime], list[int]]  # the app's calls; the main rows' ids
    sql: Callable[[datetime], list[int]]  # the same by hand; the same ids
    main: Callable[[datetime], QuerySet[Any]]  # the main app query, for its plan
    page: str  # the page or endpoint that shows it


def _prefix(user: User) -> str:
    paths = scope_of(user).area_paths
    if len(paths) != 1:
        raise RuntimeError(f"{user.username} should hold exactly one area (has {len(paths)})")
    return paths[0]


def reads(s: Subjects) -> list[Read]:
    grid = _prefix(s.grid_worker)
    community = _prefix(s.secretary)
    street = _prefix(s.dispatcher)

    # 1. A grid worker's queue (/m/queue/): the counts and the first 50, overdue first, in one
    # query (each row carries the counts).
    def queue_qs(now: datetime) -> QuerySet[Ticket]:
        return queue_rows(s.grid_worker, now)[:50]  # type: ignore[no-any-return]

    def queue_app(now: datetime) -> list[int]:
        _counts, rows = queue_page(s.grid_worker, now, 50)
        return [t.pk for t in rows]

    def queue_sql(now: datetime) -> list[int]:
        where = f"{HANDLER_IN} AND t.state = ANY(%(active)s)"
        p = {**span(grid), "active": ACTIVE, "now": now}
        _counts, rows = hand(
            [
                (
                    f"SELECT count(*), count(*) FILTER (WHERE {LATE}), "
                    f"count(*) FILTER (WHERE t.warn_at <= %(now)s AND NOT {LATE}) "
                    f"FROM tickets_ticket t WHERE {where}",
                    p,
                ),
                (
                    f"SELECT {COLUMNS} FROM tickets_ticket t {JOINS} WHERE {where} "
                    f"ORDER BY CASE WHEN {LATE} THEN 0 ELSE 1 END, t.resolve_by NULLS LAST, t.id "
                    "LIMIT 50",
                    p,
                ),
            ]
        )
        return [r[0] for r in rows]

    # 2. A community's overdue list (/api/v1/tickets?overdue=true, the desk's 超期 tab).
    def overdue_qs(now: datetime) -> QuerySet[Ticket]:
        return listed_rows(s.secretary, TicketFilters(overdue=True), now)  # type: ignore[no-any-return]

    def overdue_app(now: datetime) -> list[int]:
        rows, _cursor = ticket_page(s.secretary, TicketFilters(overdue=True), "", 50, now)
        return [t.pk for t in rows]

    def overdue_sql(now: datetime) -> list[int]:
        return page_sql(
            f"({AREA_IN} OR {HANDLER_IN}) AND t.state = ANY(%(active)s) AND {LATE}",
            {**span(community), "active": ACTIVE, "now": now},
        )

    # 3. A ticket with its timeline (/api/v1/tickets/{number}).
    def detail_app(now: datetime) -> list[int]:
        ticket = ticket_to_show(s.secretary, s.detail_number)
        view = _view(s.secretary, ticket)
        return [ticket.pk, *(e["id"] for e in view.timeline)]

    def detail_sql(now: datetime) -> list[int]:
        p = {"n": s.detail_number}
        ticket, events, _photos = hand(
            [
                (
                    f"SELECT t.id, t.state, {COLUMNS}, sp.* FROM tickets_ticket t {JOINS} "
                    "JOIN tickets_slapolicy sp ON sp.id = c.sla_policy_id "
                    "LEFT JOIN territory_area b ON b.id = t.building_id "
                    f"WHERE t.number = %(n)s AND ({AREA_IN} "
                    f"OR {HANDLER_IN})",
                    {**p, **span(community)},
                ),
                (
                    "SELECT e.*, u.username, ua.name, ud.name FROM tickets_ticketevent e "
                    "JOIN tickets_ticket t ON t.id = e.ticket_id "
                    "LEFT JOIN accounts_user u ON u.id = e.actor_id "
                    "LEFT JOIN territory_area ua ON ua.id = e.unit_area_id "
                    "LEFT JOIN territory_department ud ON ud.id = e.unit_department_id "
                    "WHERE t.number = %(n)s ORDER BY e.created_at, e.id",
                    p,
                ),
                (
                    "SELECT ph.* FROM tickets_ticketphoto ph JOIN tickets_ticket t "
                    "ON t.id = ph.ticket_id WHERE t.number = %(n)s",
                    p,
                ),
            ]
        )
        if ticket[0][1] in ACTIVE:  # an extension waits only while the ticket is handled
            hand(
                [
                    (
                        "SELECT x.* FROM tickets_extension x WHERE x.ticket_id = %(t)s "
                        "AND x.status = 'pending' LIMIT 1",
                        {"t": ticket[0][0]},
                    )
                ]
            )
        return [ticket[0][0], *(e[0] for e in events)]

    # 4. The dispatch desk (/workbench/tickets/): the first 30 with their last return (and the
    # count when more wait), the suggested units.
    def desk_qs(now: datetime) -> QuerySet[Ticket]:
        return dispatch_queue(s.dispatcher)  # type: ignore[no-any-return]

    def desk_app(now: datetime) -> list[int]:
        _page, tickets = desk_tickets(s.dispatcher, None)
        suggested_units(tickets)
        return [t.pk for t in tickets]

    def desk_sql(now: datetime) -> list[int]:
        p = span(street)
        where = f"{AREA_IN} AND t.state = 'submitted'"
        _count, rows = hand(
            [
                (f"SELECT count(*) FROM tickets_ticket t WHERE {where}", p),
                (
                    f"SELECT {COLUMNS} FROM tickets_ticket t {JOINS} WHERE {where} "
                    "ORDER BY CASE WHEN t.urgency = 'urgent' THEN 0 ELSE 1 END, t.created_at, "
                    "t.id LIMIT 30",
                    p,
                ),
            ]
        )
        ids = [r[0] for r in rows]
        if ids:
            hand(
                [
                    (
                        "SELECT e.*, ua.name, ud.name FROM tickets_ticketevent e "
                        "LEFT JOIN territory_area ua ON ua.id = e.unit_area_id "
                        "LEFT JOIN territory_department ud ON ud.id = e.unit_department_id "
                        "WHERE e.kind = 'returned' AND e.ticket_id = ANY(%(ids)s)",
                        {"ids": ids},
                    ),
                    (
                        "SELECT * FROM territory_area WHERE path = ANY(%(paths)s)",
                        {"paths": [street[: 4 * k] for k in range(1, len(street) // 4 + 1)]},
                    ),
                ]
            )
        return ids

    # 5. A street's tickets, newest first (/api/v1/tickets, the desk's 全部 list).
    def street_qs(now: datetime) -> QuerySet[Ticket]:
        return listed_rows(s.dispatcher, TicketFilters(), now)  # type: ignore[no-any-return]

    def street_app(now: datetime) -> list[int]:
        rows, _cursor = ticket_page(s.dispatcher, TicketFilters(), "", 50, now)
        return [t.pk for t in rows]

    def street_sql(now: datetime) -> list[int]:
        return page_sql(f"{AREA_IN} OR {HANDLER_IN}", span(street))

    return [
        Read("grid_queue", s.grid_worker, queue_app, queue_sql, queue_qs, "/m/queue/"),
        Read(
            "community_overdue",
            s.secretary,
            overdue_app,
            overdue_sql,
            lambda now: keyset_rows(overdue_qs(now), "", 50),
            "/api/v1/tickets?overdue=true&limit=50",
        ),
        Read(
            "ticket_detail",
            s.secretary,
            detail_app,
            detail_sql,
            lambda now: Ticket.objects.visible_to(s.secretary).filter(number=s.detail_number),
            f"/api/v1/tickets/{s.detail_number}",
        ),
        Read(
            "dispatch_desk",
            s.dispatcher,
            desk_app,
            desk_sql,
            lambda now: desk_qs(now)[:30],
            "/workbench/tickets/",
        ),
        Read(
            "street_list",
            s.dispatcher,
            street_app,
            street_sql,
            lambda now: keyset_rows(street_qs(now), "", 50),
            "/api/v1/tickets?limit=50",
        ),
    ]


def client_for(user: User) -> Client:
    # As deployed: HTTPS at the proxy, the host the server answers to.
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    client.force_login(user)
    return client


def measure(subjects: Subjects, *, repeat: int = 25) -> dict[str, Any]:
    """Every read at the database's present size."""
    out: dict[str, Any] = {}
    now = timezone.now()
    for read in reads(subjects):
        app_ms, app_p95, app_ids = timed(lambda r=read: r.app(now), repeat)
        sql_ms, sql_p95, sql_ids = timed(lambda r=read: r.sql(now), repeat)
        if app_ids != sql_ids:
            raise RuntimeError(
                f"{read.name}: the hand-written SQL does not return what the app returns "
                f"({app_ids[:5]}… vs {sql_ids[:5]}…)"
            )
        client = client_for(read.user)

        def get(r: Read = read, c: Client = client) -> int:
            response = c.get(r.page)
            if response.status_code != 200:
                raise RuntimeError(f"{r.page} answered {response.status_code}")
            return response.status_code

        page_ms, page_p95, _ = timed(get, repeat)
        out[read.name] = {
            "rows": len(app_ids),
            "app_ms": round(app_ms, 3),
            "app_p95_ms": round(app_p95, 3),
            "sql_ms": round(sql_ms, 3),
            "sql_p95_ms": round(sql_p95, 3),
            "overhead": round(app_ms / sql_ms, 2) if sql_ms else None,
            "page": read.page,
            "page_ms": round(page_ms, 3),
            "page_p95_ms": round(page_p95, 3),
            "plan": explain(read.main(now)),
        }
    return out


def state_counts() -> dict[str, int]:
    return dict(
        Ticket.objects.order_by().values_list("state").annotate(n=Count("id"))  # type: ignore[arg-type]
    )
