"""Workbench request pages: the dispatch desk (one-click and bulk dispatch), the list with its
filters, tabs and keyset pages, a ticket's detail with every action form, and the Excel export.

On the standard city: street S1 (communities C1 with grids A and B, C2 with its grid) and S2
(the outsider's street). Tickets are filed by the cast's resident in building A1 (grid A)
unless told otherwise.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from grassroots.core.models import AuditEntry
from grassroots.tickets import services
from grassroots.tickets.models import (
    OPEN_STATES,
    Category,
    EventKind,
    Extension,
    ExtensionStatus,
    Ticket,
    TicketPhoto,
    TicketState,
)
from grassroots.tickets.views import desk as desk_views
from tests.helpers import RAW_NUMBERS, assert_masked
from tests.tickets.conftest import png_bytes

DESK = "/workbench/tickets/"
LIST = "/workbench/tickets/all/"
EXPORT = "/workbench/tickets/export/"

DISPATCHERS = ["community_staff", "community_secretary", "street_dispatcher", "street_leader"]
TICKET_STAFF = [*DISPATCHERS, "grid_worker_a", "department_officer"]
NOT_TICKET_STAFF = [
    "resident",
    "building_head",
    "member_unit_contact",
    "system_admin",
    "security_admin",
    "audit_admin",
]


def detail_url(ticket: Ticket) -> str:
    return f"/workbench/tickets/{ticket.number}/"


def area_key(area: Any) -> str:
    return f"area-{area.pk}"


def dept_key(department: Any) -> str:
    return f"dept-{department.pk}"


def html(response: Any) -> str:
    return response.content.decode()


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def snapshot(ticket: Ticket) -> tuple[Any, ...]:
    """What a refused action must leave as it was."""
    t = fresh(ticket)
    return (
        t.state,
        t.handler_area_id,
        t.handler_department_id,
        t.resolve_by,
        t.supervised_at,
        t.merged_into_id,
        t.events.count(),
        Extension.objects.filter(ticket=t).values_list("status", flat=True).first(),
    )


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def post_action(client: Client, ticket: Ticket, action: str, **data: Any) -> Any:
    return client.post(detail_url(ticket), {"action": action, **data})


def errors_in(page: str) -> str:
    """The text of every error list on a page."""
    return " ".join(re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', page, re.S))


# --- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [DESK, LIST, EXPORT, "/workbench/tickets/GR-20260101-000001/"])
def test_it_requires_login(city: Any, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", DISPATCHERS)
def test_dispatchers_open_the_desk(cast: Any, login: Any, role: str, submit: Any) -> None:
    submit()
    response = login(getattr(cast, role)).get(DESK)
    assert response.status_code == 200
    assert "派单台" in html(response)


@pytest.mark.parametrize("role", ["grid_worker_a", "department_officer", *NOT_TICKET_STAFF])
def test_others_may_not_open_the_desk(cast: Any, login: Any, role: str) -> None:
    client = login(getattr(cast, role))
    assert client.get(DESK).status_code == 403
    assert client.post(DESK, {"action": "bulk"}).status_code == 403


@pytest.mark.parametrize("role", TICKET_STAFF)
def test_ticket_staff_open_the_list_the_detail_and_the_export(
    cast: Any, city: Any, login: Any, role: str, submit: Any
) -> None:
    ticket = submit()
    if role == "department_officer":
        services.ticket_dispatch(actor=cast.street_dispatcher, ticket=ticket, to=city.dept_district)
    client = login(getattr(cast, role))
    listed = client.get(LIST)
    assert listed.status_code == 200 and ticket.number in html(listed)
    assert client.get(detail_url(ticket)).status_code == 200
    assert client.get(EXPORT).status_code == 200


@pytest.mark.parametrize("role", NOT_TICKET_STAFF)
def test_others_may_not_open_the_list_the_detail_or_the_export(
    cast: Any, login: Any, role: str, submit: Any
) -> None:
    ticket = submit()
    client = login(getattr(cast, role))
    assert client.get(LIST).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert client.get(detail_url(ticket)).status_code == 403
    assert post_action(client, ticket, "reject", reason="x").status_code == 403
    assert fresh(ticket).state == TicketState.SUBMITTED


def test_another_scopes_ticket_is_not_found(cast: Any, login: Any, submit: Any) -> None:
    ticket = submit()
    outsider = login(cast.outsider)  # the dispatcher of street S2
    assert outsider.get(detail_url(ticket)).status_code == 404
    before = snapshot(ticket)
    assert post_action(outsider, ticket, "reject", reason="不归我们管").status_code == 404
    response = outsider.post(DESK, {"action": "dispatch", "number": ticket.number, "to": "area-1"})
    assert response.status_code == 404
    assert snapshot(ticket) == before
    assert ticket.number not in html(outsider.get(DESK))
    assert ticket.number not in html(outsider.get(LIST))
    assert (
        login(cast.street_dispatcher).get("/workbench/tickets/GR-00000000-999999/").status_code
        == 404
    )


def test_the_navigation_follows_the_role(cast: Any, login: Any) -> None:
    def nav(user: Any) -> str:
        page = html(login(user).get("/workbench/"))
        return page[page.index('<nav class="sidenav"') : page.index("</nav>")]

    dispatcher = nav(cast.street_dispatcher)
    for label, href in [("派单台", DESK), ("工单", LIST), ("三率", "/workbench/tickets/rates/")]:
        assert f'href="{href}"' in dispatcher and label in dispatcher
    grid = nav(cast.grid_worker_a)
    assert f'href="{LIST}"' in grid and 'href="/m/queue/"' in grid and "我的待办" in grid
    assert f'href="{DESK}"' not in grid and "三率" not in grid
    officer = nav(cast.department_officer)
    assert f'href="{LIST}"' in officer and f'href="{DESK}"' not in officer
    for admin in (cast.system_admin, cast.audit_admin):
        assert "/workbench/tickets/" not in nav(admin)


def test_the_detail_lights_the_list_entry(cast: Any, login: Any, submit: Any) -> None:
    page = html(login(cast.street_dispatcher).get(detail_url(submit())))
    assert f'<a href="{LIST}" class="on">工单</a>' in page


def test_the_workbench_counts_requests(cast: Any, city: Any, login: Any, submit: Any) -> None:
    submit()
    submit()
    late = submit()
    services.ticket_dispatch(actor=cast.street_dispatcher, ticket=late, to=city.grid_a)
    Ticket.objects.filter(pk=late.pk).update(resolve_by=timezone.now() - timedelta(hours=1))
    page = html(login(cast.street_dispatcher).get("/workbench/"))
    assert "诉求工单" in page
    assert re.search(r'data-testid="card-desk"[^>]*><strong>2</strong><span>待派单', page)
    assert re.search(r'data-testid="card-overdue"[^>]*><strong>1</strong><span>超期', page)
    grid = html(login(cast.grid_worker_a).get("/workbench/"))
    assert 'data-testid="card-desk"' not in grid
    assert re.search(r'href="/m/queue/" data-testid="card-handling"[^>]*><strong>1</strong>', grid)
    assert "诉求工单" not in html(login(cast.system_admin).get("/workbench/"))


def test_the_workbench_counts_agree_with_the_lists(
    cast: Any, city: Any, submit: Any, advance: Any
) -> None:
    from grassroots.tickets.selectors import dispatch_queue, handling_queue, tickets_for

    submit()
    submit(category="0804")
    late = advance(submit(), "in_progress")
    Ticket.objects.filter(pk=late.pk).update(resolve_by=timezone.now() - timedelta(hours=1))
    services.ticket_supervise(actor=cast.street_leader, ticket=late, note="快办")
    asked = advance(submit(), "in_progress", to=city.grid_a)
    services.ticket_request_extension(
        actor=cast.grid_worker_a, ticket=asked, reason="等配件", working_days=2
    )
    advance(submit(category="0501"), "dispatched", to=city.dept_district)
    advance(submit(), "closed")
    now = timezone.now()
    for user in (
        cast.street_dispatcher,
        cast.community_secretary,
        cast.grid_worker_a,
        cast.department_officer,
        cast.outsider,
    ):
        cards = {c["key"]: c["count"] for c in desk_views.workbench_cards(user)}
        visible = tickets_for(user)
        expected = {
            "desk": dispatch_queue(user).count(),
            "handling": handling_queue(user).count(),
            "overdue": visible.overdue(now).count(),
            "supervised": visible.filter(
                supervised_at__isnull=False, state__in=OPEN_STATES
            ).count(),
            "extension": visible.filter(
                pk__in=Extension.objects.filter(status="pending").values("ticket_id")
            ).count(),
        }
        assert cards == {k: v for k, v in expected.items() if k in cards}, user
    assert desk_views.workbench_cards(cast.system_admin) == []
    assert {c["key"]: c["count"] for c in desk_views.workbench_cards(cast.street_leader)} == {
        "desk": 2,
        "handling": 2,  # the department's ticket is not the street's to handle
        "overdue": 1,
        "supervised": 1,
        "extension": 1,
    }


# --- the desk --------------------------------------------------------------------------------


def rows_of(page: str) -> dict[str, str]:
    """Each desk row's HTML by ticket number."""
    return {
        m.group(1): m.group(0)
        for m in re.finditer(
            r'<tr data-testid="desk-row" data-number="([^"]+)">.*?</tr>', page, re.S
        )
    }


def selected_in(row: str) -> list[str]:
    return re.findall(r'<option value="([^"]+)" selected>', row)


def test_the_desk_lists_new_and_returned_tickets_with_the_suggestion(
    cast: Any, city: Any, login: Any, submit: Any, advance: Any
) -> None:
    new = submit(category="0804")  # 楼道堆物: the grid handles it
    returned = submit(description="又满了")
    advance(returned, "dispatched")
    services.ticket_return(actor=cast.grid_worker_a, ticket=returned, reason="不是本网格的")
    dispatched = advance(submit(description="已派出的"), "dispatched")
    west = submit(actor=cast.outsider, building=None, address="西一", description="西街道的")
    rows = rows_of(html(login(cast.street_dispatcher).get(DESK)))
    assert set(rows) == {new.number, returned.number}
    assert dispatched.number not in rows and west.number not in rows
    # 楼道堆物 is handled by the grid: grid A is pre-selected in the row's unit select.
    assert selected_in(rows[new.number]) == [area_key(city.grid_a)]
    assert "建议：东一社区A网格（派单目录）" in rows[new.number]
    # 垃圾清运 by the community.
    assert selected_in(rows[returned.number]) == [area_key(city.c1)]
    assert "退回 1 次" in rows[returned.number]
    assert "东一社区A网格退回：不是本网格的" in rows[returned.number]
    # The row offers the ticket's community with its grids, the street and the departments.
    row = rows[new.number]
    for unit in (city.s1, city.c1, city.grid_a, city.grid_b):
        assert f'value="{area_key(unit)}"' in row
    for dept in (city.dept_district, city.dept_s1):
        assert f'value="{dept_key(dept)}"' in row
    assert f'value="{area_key(city.grid_c2)}"' not in row  # another community: on the detail
    assert f'value="{dept_key(city.dept_s2)}"' not in row
    assert f'value="{area_key(city.w1)}"' not in row


def test_a_community_sees_its_own_territory_and_no_street_unit(
    cast: Any, city: Any, login: Any, submit: Any
) -> None:
    ticket = submit(category="0103")  # 占道经营: the street handles it
    other = submit(
        building=None,
        lat=None,
        address="东二社区",
        description="东二的",
        actor=cast.street_dispatcher,
    )
    page = html(login(cast.community_staff).get(DESK))
    rows = rows_of(page)
    assert set(rows) == {ticket.number}
    assert other.number not in page
    # The suggestion (the street) is not the community's to choose: nothing is pre-selected.
    assert selected_in(rows[ticket.number]) == []
    assert "建议：东街道，不在您的派单范围内" in rows[ticket.number]
    assert f'value="{area_key(city.s1)}"' not in rows[ticket.number]


def test_the_bulk_suggestion_matches_the_service(
    cast: Any, city: Any, people: Any, submit: Any
) -> None:
    tickets = [
        submit(category=code, building=building)
        for code in ("0101", "0201", "0103", "0401", "0501")
        for building in (city.building_a1, people.building_b1, people.building_w1)
    ]
    tickets.append(submit(category="0101", building=None, actor=cast.community_staff))
    Category.objects.filter(code="0401").update(department=city.dept_district)
    loaded = list(
        Ticket.objects.select_related("category__department").filter(pk__in=[t.pk for t in tickets])
    )
    at_once = services.suggested_units(loaded)
    for ticket in loaded:
        assert at_once[ticket.pk] == services.suggested_unit(ticket), (
            ticket.category.code,
            ticket.area_path,
        )


def test_one_click_dispatches_to_the_suggested_unit(
    cast: Any, city: Any, login: Any, submit: Any
) -> None:
    ticket = submit()
    client = login(cast.street_dispatcher)
    response = client.post(
        DESK, {"action": "dispatch", "number": ticket.number, "to": area_key(city.grid_a)}
    )
    assert response.status_code == 302 and response["Location"] == DESK
    ticket = fresh(ticket)
    assert ticket.state == TicketState.DISPATCHED and ticket.handler_area == city.grid_a
    assert ticket.respond_by and ticket.resolve_by
    assert f"{ticket.number} 已派给东一社区A网格。" in messages_of(client.get(DESK))


def test_one_click_to_a_department(cast: Any, city: Any, login: Any, submit: Any) -> None:
    ticket = submit(category="0501")
    response = login(cast.street_dispatcher).post(
        DESK, {"action": "dispatch", "number": ticket.number, "to": dept_key(city.dept_s1)}
    )
    assert response.status_code == 302
    assert fresh(ticket).handler_department == city.dept_s1


@pytest.mark.parametrize(
    "to", ["", "area-999999", "nonsense", "S2"], ids=["empty", "unknown", "bad", "code"]
)
def test_dispatch_without_a_valid_unit_changes_nothing(
    cast: Any, login: Any, submit: Any, to: str
) -> None:
    ticket = submit()
    before = snapshot(ticket)
    response = login(cast.street_dispatcher).post(
        DESK, {"action": "dispatch", "number": ticket.number, "to": to}
    )
    assert response.status_code == 400
    row = rows_of(html(response))[ticket.number]
    assert 'data-testid="row-error"' in row and "请选择承办单位。" in row
    assert snapshot(ticket) == before


def test_dispatch_outside_the_scope_is_refused(
    cast: Any, city: Any, login: Any, submit: Any
) -> None:
    ticket = submit()
    before = snapshot(ticket)
    # The other street's grid is not among the dispatcher's units at all.
    response = login(cast.street_dispatcher).post(
        DESK, {"action": "dispatch", "number": ticket.number, "to": area_key(city.grid_w)}
    )
    assert response.status_code == 400 and snapshot(ticket) == before
    # The other street's department is not offered either.
    response = login(cast.street_dispatcher).post(
        DESK, {"action": "dispatch", "number": ticket.number, "to": dept_key(city.dept_s2)}
    )
    assert response.status_code == 400 and snapshot(ticket) == before


def test_the_desk_pages_and_keeps_the_page(
    cast: Any, city: Any, login: Any, submit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(desk_views, "DESK_PER_PAGE", 2)
    tickets = [submit(description=f"第 {i} 件") for i in range(5)]  # oldest first on the desk
    client = login(cast.street_dispatcher)
    assert set(rows_of(html(client.get(DESK + "?page=2")))) == {t.number for t in tickets[2:4]}
    response = client.post(
        DESK + "?page=2",
        {"action": "dispatch", "number": tickets[2].number, "to": area_key(city.grid_a)},
    )
    assert response.status_code == 302 and response["Location"] == DESK + "?page=2"
    # An error about a ticket that is not on the page shown still reaches the user.
    response = client.post(DESK, {"action": "dispatch", "number": tickets[0].number, "to": ""})
    assert response.status_code == 400
    page = html(response)
    assert tickets[0].number in rows_of(page)
    response = client.post(
        DESK + "?page=2", {"action": "dispatch", "number": tickets[0].number, "to": ""}
    )
    page = html(response)
    assert response.status_code == 400 and tickets[0].number not in rows_of(page)
    assert f'data-testid="stray-error">{tickets[0].number}：请选择承办单位。' in page


def test_dispatching_a_ticket_someone_else_took_says_so(
    cast: Any, city: Any, login: Any, submit: Any
) -> None:
    ticket = submit()
    services.ticket_dispatch(actor=cast.community_staff, ticket=ticket, to=city.grid_b)
    client = login(cast.street_dispatcher)
    response = client.post(
        DESK, {"action": "dispatch", "number": ticket.number, "to": area_key(city.grid_a)}
    )
    assert response.status_code == 302
    assert fresh(ticket).handler_area == city.grid_b
    assert f"{ticket.number} 已被他人处理，不在派单台上了。" in messages_of(client.get(DESK))


def test_bulk_dispatch_by_suggestion_reports_each_ticket(
    cast: Any, city: Any, login: Any, submit: Any
) -> None:
    grid_tickets = [submit(category="0804", description=f"第 {i} 件") for i in range(3)]
    community = submit(category="0201", description="物业")  # the community handles it
    taken = submit(description="被别人派了")
    no_default = submit(category="0502", description="停电")  # a department, none by default
    client = login(cast.street_dispatcher)
    page = html(client.get(DESK))
    assert len(rows_of(page)) == 6
    # Between loading the page and sending it, another dispatcher sends one.
    services.ticket_dispatch(actor=cast.community_staff, ticket=taken, to=city.grid_b)
    numbers = [t.number for t in [*grid_tickets, community, taken, no_default]]
    response = client.post(DESK, {"action": "bulk", "mode": "suggested", "numbers": numbers})
    assert response.status_code == 302
    for t in grid_tickets:
        assert fresh(t).handler_area == city.grid_a
    assert fresh(community).handler_area == city.c1
    assert fresh(taken).handler_area == city.grid_b
    assert fresh(no_default).state == TicketState.SUBMITTED
    said = messages_of(client.get(DESK))
    assert said[0] == "4 张已派出，1 张已被他人派出，1 张未能派出。"
    assert f"{no_default.number}：没有建议单位，请单独选择承办单位。" in said


def test_bulk_dispatch_to_one_chosen_unit(cast: Any, city: Any, login: Any, submit: Any) -> None:
    tickets = [submit(description=f"第 {i} 件") for i in range(3)]
    client = login(cast.community_secretary)
    response = client.post(
        DESK,
        {
            "action": "bulk",
            "mode": "chosen",
            "to": area_key(city.grid_b),
            "numbers": [t.number for t in tickets[:2]],
        },
    )
    assert response.status_code == 302
    assert [fresh(t).handler_area for t in tickets] == [city.grid_b, city.grid_b, None]
    assert messages_of(client.get(DESK))[0] == "2 张已派出。"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"mode": "chosen", "to": "area-0"}, "请先勾选要派出的工单。"),
        ({"mode": "chosen", "pick": True}, "请选择承办单位。"),
        ({"mode": "chosen", "to": "area-999999", "pick": True}, "请选择承办单位。"),
        ({"mode": "suggested", "numbers": ["GR-20990101-000001"]}, "所选工单已不在派单台上"),
    ],
    ids=["nothing-ticked", "no-unit", "unknown-unit", "unknown-ticket"],
)
def test_bulk_dispatch_errors_change_nothing(
    cast: Any, login: Any, submit: Any, data: dict[str, Any], message: str
) -> None:
    ticket = submit()
    before = snapshot(ticket)
    if data.pop("pick", False):
        data["numbers"] = [ticket.number]
    response = login(cast.street_dispatcher).post(DESK, {"action": "bulk", **data})
    assert response.status_code == 400
    page = html(response)
    errors = page[page.index('data-testid="bulk-errors"') :]
    assert message in errors
    assert snapshot(ticket) == before


# --- the detail: what it shows ---------------------------------------------------------------


def test_the_detail_shows_the_facts_the_clocks_and_the_timeline(
    cast: Any, city: Any, people: Any, login: Any, submit: Any, advance: Any
) -> None:
    ticket = advance(submit(photos=[SimpleUploadedFile("a.png", png_bytes())]), "in_progress")
    page = html(login(cast.street_dispatcher).get(detail_url(ticket)))
    assert ticket.number in page and "办理中" in page
    assert "垃圾清运" in page and "楼下垃圾桶满了" in page
    assert 'data-testid="contact">张阿姨 · 138****8000' in page
    assert_masked(page.encode())
    assert 'data-testid="handler">东一社区A网格' in page
    assert "退单 0 次 · 重办 0 次" in page
    photo = TicketPhoto.objects.get(ticket=ticket, event__isnull=True)
    assert f'src="/tickets/photos/{photo.pk}/"' in page
    # Both clocks: responded in time, the resolution still running.
    assert "响应时限" in page and "完成，按时" in page and "剩余" in page
    timeline = page[page.index('data-testid="timeline"') :]
    kinds = re.findall(
        r'<li data-testid="event">\s*<div class="tk-ev-head"><strong>([^<]+)', timeline
    )
    assert kinds == ["联系诉求人", "签收", "派单", "提交"]  # newest first
    assert "派至东一社区A网格" in timeline and "联系方式：电话联系" in timeline


def test_an_anonymous_requesters_contact_is_hidden(
    cast: Any, people: Any, login: Any, submit: Any
) -> None:
    ticket = submit(anonymous=True)
    for role in ("street_dispatcher", "community_staff"):
        page = html(login(getattr(cast, role)).get(detail_url(ticket)))
        assert 'data-testid="contact">诉求人要求保密' in page
        assert "138****8000" not in page and "张阿姨" not in page
        assert_masked(page.encode())
        # Nor does the timeline name the requester's account.
        timeline = page[page.index('data-testid="timeline"') :]
        assert "诉求人" in timeline and cast.resident.display_name not in page


def test_overdue_and_provisional_deadlines_are_marked(
    cast: Any, city: Any, login: Any, submit: Any
) -> None:
    ticket = submit()
    services.ticket_dispatch(actor=cast.street_dispatcher, ticket=ticket, to=city.grid_a)
    Ticket.objects.filter(pk=ticket.pk).update(deadline_provisional=True)
    client = login(cast.street_dispatcher)
    with time_machine.travel(timezone.now() + timedelta(days=10)):
        page = html(client.get(detail_url(ticket)))
        listed = html(client.get(LIST))
    assert 'data-testid="overdue">超期' in page and "已超期" in page
    assert "（暂定）" in page
    row = re.search(
        rf'<tr data-testid="ticket-row" data-number="{ticket.number}".*?</tr>', listed, re.S
    )
    assert row is not None
    assert "tk-late-row" in row.group(0) and 'data-testid="overdue"' in row.group(0)
    assert 'data-testid="provisional">（暂定）' in row.group(0)


def test_a_deadline_at_midnight_reads_as_the_end_of_the_day(cast: Any, city: Any) -> None:
    from datetime import datetime

    from grassroots.core.worktime import LOCAL

    assert desk_views.deadline_text(datetime(2026, 10, 10, tzinfo=LOCAL)) == "2026-10-09 24:00"
    assert (
        desk_views.deadline_text(datetime(2026, 10, 9, 14, 30, tzinfo=LOCAL)) == "2026-10-09 14:30"
    )
    assert desk_views.span(timedelta(days=2, hours=3)) == "2 天 3 小时"
    assert desk_views.span(timedelta(minutes=90)) == "1 小时 30 分"
    assert desk_views.span(timedelta(seconds=5)) == "1 分钟"


def test_the_forms_are_exactly_the_available_actions(
    cast: Any, city: Any, login: Any, submit: Any, advance: Any
) -> None:
    def forms_on(user: Any, ticket: Ticket) -> list[str]:
        page = html(login(user).get(detail_url(ticket)))
        return re.findall(r'data-testid="action-([a-z-]+)"', page)

    new = submit()
    assert forms_on(cast.street_dispatcher, new) == ["dispatch", "reject", "merge"]
    assert forms_on(cast.street_leader, new) == ["dispatch", "reject", "merge", "supervise"]
    assert forms_on(cast.grid_worker_a, new) == []
    working = advance(submit(), "accepted")
    assert forms_on(cast.grid_worker_a, working) == ["respond", "return", "extend"]
    assert forms_on(
        cast.department_officer, advance(submit(), "dispatched", to=city.dept_district)
    ) == [
        "accept",
        "respond",
        "return",
        "extend",
    ]
    resolved = advance(submit(), "resolved")
    assert forms_on(cast.street_dispatcher, resolved) == ["review", "reopen"]
    page = html(login(cast.grid_worker_a).get(detail_url(resolved)))
    assert 'data-testid="no-actions"' in page


# --- the detail: actions ---------------------------------------------------------------------


def test_dispatch_from_the_detail(cast: Any, city: Any, login: Any, submit: Any) -> None:
    ticket = submit()
    client = login(cast.street_dispatcher)
    page = html(client.get(detail_url(ticket)))
    form = page[page.index('data-testid="action-dispatch"') :]
    form = form[: form.index("</details>")]
    assert "派单目录建议：东一社区" in form
    assert f'<option value="{area_key(city.c1)}" selected>' in form
    # The detail offers every unit of the street, not only those near the ticket.
    assert f'value="{area_key(city.grid_c2)}"' in form
    response = post_action(client, ticket, "dispatch", to=area_key(city.grid_c2), note="东二代办")
    assert response.status_code == 302 and response["Location"] == detail_url(ticket)
    ticket = fresh(ticket)
    assert ticket.handler_area == city.grid_c2
    assert ticket.events.get(kind=EventKind.DISPATCHED).note == "东二代办"
    assert "已派给东二社区网格。" in messages_of(client.get(detail_url(ticket)))


def test_dispatch_from_the_detail_without_a_unit(cast: Any, login: Any, submit: Any) -> None:
    ticket = submit()
    before = snapshot(ticket)
    response = post_action(login(cast.street_dispatcher), ticket, "dispatch", to="")
    assert response.status_code == 400
    assert "请选择承办单位。" in errors_in(html(response))
    assert snapshot(ticket) == before


def test_reject_needs_a_reason(cast: Any, login: Any, submit: Any, sms_outbox: Any) -> None:
    ticket = submit()
    before = snapshot(ticket)
    client = login(cast.street_dispatcher)
    response = post_action(client, ticket, "reject", reason="  ", redirect="区法院")
    assert response.status_code == 400
    page = html(response)
    assert "请填写不予受理的理由。" in errors_in(page)
    assert 'value="区法院"' in page  # what was typed stays in the form
    assert snapshot(ticket) == before
    response = post_action(client, ticket, "reject", reason="属于司法程序", redirect="区法院")
    assert response.status_code == 302
    ticket = fresh(ticket)
    assert ticket.state == TicketState.REJECTED
    event = ticket.events.get(kind=EventKind.REJECTED)
    assert event.note == "属于司法程序" and event.data["redirect"] == "区法院"


def test_merge_into_an_unknown_number(cast: Any, login: Any, submit: Any, advance: Any) -> None:
    survivor = advance(submit(), "dispatched")
    duplicate = submit(description="同一个垃圾桶")
    before = snapshot(duplicate)
    client = login(cast.street_dispatcher)
    response = post_action(client, duplicate, "merge", into="GR-20990101-000009")
    assert response.status_code == 400
    assert "没有找到工单 GR-20990101-000009，请核对工单号。" in errors_in(html(response))
    assert snapshot(duplicate) == before
    response = post_action(client, duplicate, "merge", into="")
    assert response.status_code == 400 and "请填写要并入的工单号。" in errors_in(html(response))
    response = post_action(client, duplicate, "merge", into=duplicate.number)
    assert response.status_code == 400 and "不能并入工单本身。" in errors_in(html(response))
    assert snapshot(duplicate) == before
    response = post_action(client, duplicate, "merge", into=survivor.number, note="同一处")
    assert response.status_code == 302
    duplicate = fresh(duplicate)
    assert duplicate.state == TicketState.MERGED and duplicate.merged_into == survivor
    page = html(client.get(detail_url(survivor)))
    assert f'href="{detail_url(duplicate)}"' in page  # 并入本单的重复工单


def test_merge_into_another_streets_ticket_is_not_found(cast: Any, login: Any, submit: Any) -> None:
    west = submit(actor=cast.outsider, building=None, address="西一")
    ticket = submit()
    before = snapshot(ticket)
    response = post_action(login(cast.street_dispatcher), ticket, "merge", into=west.number)
    assert response.status_code == 400
    assert f"没有找到工单 {west.number}" in errors_in(html(response))
    assert snapshot(ticket) == before


@pytest.fixture
def asked(cast: Any, submit: Any, advance: Any) -> Ticket:
    """A ticket grid A is handling, with 3 more working days asked for."""
    ticket = advance(submit(), "in_progress")
    services.ticket_request_extension(
        actor=cast.grid_worker_a, ticket=ticket, reason="需要物业配合", working_days=3
    )
    return fresh(ticket)


def test_approve_an_extension(cast: Any, login: Any, asked: Ticket) -> None:
    client = login(cast.street_dispatcher)
    page = html(client.get(detail_url(asked)))
    assert 'data-testid="pending-extension"' in page and "申请延期 3 个工作日" in page
    assert "需要物业配合" in page
    listed = html(client.get(LIST + "?extension=pending"))
    assert asked.number in listed and 'data-testid="extension"' in listed
    response = post_action(client, asked, "approve-extension", approve="yes")
    assert response.status_code == 302
    ticket = fresh(asked)
    assert ticket.resolve_by > asked.resolve_by
    assert Extension.objects.get(ticket=ticket).status == ExtensionStatus.APPROVED
    assert "已同意延期，办结时限已顺延。" in messages_of(client.get(detail_url(ticket)))
    assert asked.number not in html(client.get(LIST + "?extension=pending"))


def test_refusing_an_extension_needs_a_note(cast: Any, login: Any, asked: Ticket) -> None:
    client = login(cast.street_dispatcher)
    before = snapshot(asked)
    response = post_action(client, asked, "approve-extension", approve="no", note="")
    assert response.status_code == 400
    assert "请填写审批意见。" in errors_in(html(response))
    assert snapshot(asked) == before
    response = post_action(client, asked, "approve-extension", note="")
    assert response.status_code == 400 and "请选择同意或不同意。" in errors_in(html(response))
    response = post_action(client, asked, "approve-extension", approve="no", note="七天足够")
    assert response.status_code == 302
    assert fresh(asked).resolve_by == asked.resolve_by
    assert Extension.objects.get(ticket=asked).status == ExtensionStatus.REFUSED


def test_resolve_with_a_photo(cast: Any, login: Any, submit: Any, advance: Any) -> None:
    ticket = advance(submit(), "in_progress")
    client = login(cast.grid_worker_a)
    before = snapshot(ticket)
    response = client.post(
        detail_url(ticket),
        {"action": "resolve", "result": "", "photos": [SimpleUploadedFile("a.png", png_bytes())]},
    )
    assert response.status_code == 400
    assert "请填写办理结果。" in errors_in(html(response))
    response = client.post(
        detail_url(ticket),
        {
            "action": "resolve",
            "result": "已清运",
            "photos": [SimpleUploadedFile("x.png", b"not an image", content_type="image/png")],
        },
    )
    assert response.status_code == 400
    assert "第 1 张不是可识别的图片" in errors_in(html(response))
    assert snapshot(ticket) == before and not TicketPhoto.objects.filter(ticket=ticket).exists()
    response = client.post(
        detail_url(ticket),
        {
            "action": "resolve",
            "result": "已清运，现场已清理干净。",
            "photos": [
                SimpleUploadedFile("a.png", png_bytes()),
                SimpleUploadedFile("b.jpg", png_bytes(fmt="JPEG"), content_type="image/jpeg"),
            ],
        },
    )
    assert response.status_code == 302
    ticket = fresh(ticket)
    assert ticket.state == TicketState.RESOLVED
    event = ticket.events.get(kind=EventKind.RESOLVED)
    assert event.note == "已清运，现场已清理干净。" and event.photos.count() == 2
    page = html(client.get(detail_url(ticket)))
    for photo in event.photos.all():
        assert f'src="/tickets/photos/{photo.pk}/"' in page


def test_supervise(cast: Any, city: Any, login: Any, submit: Any, advance: Any) -> None:
    ticket = advance(submit(), "dispatched")
    client = login(cast.street_leader)
    before = snapshot(ticket)
    response = post_action(client, ticket, "supervise", note="")
    assert response.status_code == 400 and "请填写督办意见。" in errors_in(html(response))
    assert snapshot(ticket) == before
    response = post_action(client, ticket, "supervise", note="三天内办结")
    assert response.status_code == 302
    ticket = fresh(ticket)
    assert ticket.supervised_at is not None and ticket.supervision_note == "三天内办结"
    listed = html(client.get(LIST + "?supervised=yes"))
    assert ticket.number in listed and 'data-testid="supervised"' in listed
    # The handler answers from the same page.
    worker = login(cast.grid_worker_a)
    page = html(worker.get(detail_url(ticket)))
    assert 'data-testid="action-answer-supervision"' in page and "待回复" in page
    response = post_action(worker, ticket, "answer-supervision", note="")
    assert response.status_code == 400 and "请填写回复内容。" in errors_in(html(response))
    assert post_action(worker, ticket, "answer-supervision", note="明天清运").status_code == 302
    assert fresh(ticket).supervision_answered_at is not None


def test_a_handler_walks_the_ticket_to_resolved(
    cast: Any, login: Any, submit: Any, advance: Any
) -> None:
    ticket = advance(submit(), "dispatched")
    worker = login(cast.grid_worker_a)
    assert post_action(worker, ticket, "accept").status_code == 302
    assert fresh(ticket).state == TicketState.ACCEPTED
    response = post_action(worker, ticket, "respond", method="", note="")
    assert response.status_code == 400 and "请选择联系方式。" in errors_in(html(response))
    assert post_action(worker, ticket, "respond", method="visit", note="已上门").status_code == 302
    assert fresh(ticket).state == TicketState.IN_PROGRESS
    response = post_action(worker, ticket, "extend", working_days="abc", reason="等配件")
    assert response.status_code == 400 and "请填写 1 至 10 之间的整数。" in errors_in(
        html(response)
    )
    response = post_action(worker, ticket, "extend", working_days="11", reason="等配件")
    assert response.status_code == 400 and "延期须为 1 至 10 个工作日。" in errors_in(
        html(response)
    )
    response = post_action(worker, ticket, "extend", working_days="2", reason="")
    assert response.status_code == 400 and "请填写延期理由。" in errors_in(html(response))
    assert not Extension.objects.filter(ticket=ticket).exists()
    assert (
        post_action(worker, ticket, "extend", working_days="2", reason="等配件").status_code == 302
    )
    assert Extension.objects.get(ticket=ticket).working_days == 2


def test_return_goes_back_to_the_desk(cast: Any, login: Any, submit: Any, advance: Any) -> None:
    ticket = advance(submit(), "accepted")
    worker = login(cast.grid_worker_a)
    before = snapshot(ticket)
    response = post_action(worker, ticket, "return", reason="")
    assert response.status_code == 400 and "请填写退单理由。" in errors_in(html(response))
    assert snapshot(ticket) == before
    assert post_action(worker, ticket, "return", reason="属于物业").status_code == 302
    ticket = fresh(ticket)
    assert ticket.state == TicketState.SUBMITTED and ticket.return_count == 1
    assert ticket.number in rows_of(html(login(cast.street_dispatcher).get(DESK)))


def test_a_department_that_returns_a_ticket_lands_on_the_list(
    cast: Any, city: Any, login: Any, submit: Any, advance: Any
) -> None:
    ticket = advance(submit(category="0501"), "dispatched", to=city.dept_district)
    officer = login(cast.department_officer)
    response = post_action(officer, ticket, "return", reason="属于街道")
    assert response.status_code == 302 and response["Location"] == LIST
    assert officer.get(detail_url(ticket)).status_code == 404  # no longer theirs


def test_a_review_seat_reviews_and_a_dispatcher_reopens(
    cast: Any, login: Any, submit: Any, advance: Any
) -> None:
    ticket = advance(submit(), "resolved")
    seat = login(cast.street_dispatcher)
    page = html(seat.get(detail_url(ticket)))
    assert 'id="review-valid"' in page and "checked" in page
    before = snapshot(ticket)
    response = post_action(seat, ticket, "review", valid="on", contacted="yes", solved="")
    assert response.status_code == 400
    errors = errors_in(html(response))
    assert "请选择问题是否解决。" in errors and "请选择满意、基本满意或不满意。" in errors
    assert snapshot(ticket) == before
    response = post_action(
        seat, ticket, "review", valid="on", contacted="yes", solved="no", satisfaction="unsatisfied"
    )
    assert response.status_code == 302
    ticket = fresh(ticket)
    assert ticket.state == TicketState.DISPATCHED and ticket.reopen_count == 1
    assert "已记录回访：未解决，工单退回原承办单位重办。" in messages_of(
        seat.get(detail_url(ticket))
    )
    # Handled again and resolved: a review seat that reached nobody closes it without a rate.
    services.ticket_respond(actor=cast.grid_worker_a, ticket=ticket, method="phone")
    services.ticket_resolve(actor=cast.grid_worker_a, ticket=ticket, result="再次清运")
    ticket = fresh(ticket)
    assert post_action(seat, ticket, "review").status_code == 302  # valid unticked
    assert fresh(ticket).state == TicketState.CLOSED
    response = post_action(seat, ticket, "reopen", reason="")
    assert response.status_code == 400 and "请填写重办理由。" in errors_in(html(response))
    assert post_action(seat, ticket, "reopen", reason="现场复查未清理").status_code == 302
    assert fresh(ticket).reopen_count == 2


def test_an_action_the_user_may_not_take_is_forbidden(
    cast: Any, city: Any, login: Any, submit: Any
) -> None:
    ticket = submit()
    before = snapshot(ticket)
    response = post_action(login(cast.grid_worker_a), ticket, "dispatch", to=area_key(city.grid_a))
    # Grid workers are offered no unit: the form refuses before the service is asked.
    assert response.status_code in (400, 403)
    response = post_action(login(cast.grid_worker_a), ticket, "reject", reason="不归我管")
    assert response.status_code == 403
    assert "只有本辖区的派单人员可以派单。" in html(response)
    response = post_action(login(cast.street_dispatcher), ticket, "supervise", note="快办")
    assert response.status_code == 403
    assert snapshot(ticket) == before


def test_an_action_on_a_ticket_that_moved_meanwhile(
    cast: Any, city: Any, login: Any, submit: Any
) -> None:
    ticket = submit()
    client = login(cast.street_dispatcher)
    services.ticket_dispatch(actor=cast.community_staff, ticket=ticket, to=city.grid_b)
    before = snapshot(ticket)
    response = post_action(client, ticket, "reject", reason="不予受理")
    assert response.status_code == 400
    assert "工单当前为“待签收”，不能不予受理。" in html(response)
    assert snapshot(ticket) == before


def test_an_unknown_action_is_a_bad_request(cast: Any, login: Any, submit: Any) -> None:
    ticket = submit()
    assert post_action(login(cast.street_dispatcher), ticket, "delete").status_code == 400


# --- the list --------------------------------------------------------------------------------


def listed_numbers(client: Client, query: str = "") -> list[str]:
    response = client.get(LIST + query)
    assert response.status_code == 200, response.content
    return re.findall(r'<tr data-testid="ticket-row" data-number="([^"]+)"', html(response))


def test_the_list_filters(cast: Any, city: Any, login: Any, submit: Any, advance: Any) -> None:
    new = submit()
    parking = submit(category="0301", description="乱停车")
    dispatched = advance(submit(), "dispatched")
    west = submit(actor=cast.outsider, building=None, address="西一")
    client = login(cast.street_dispatcher)
    assert listed_numbers(client) == [dispatched.number, parking.number, new.number]
    assert west.number not in listed_numbers(client)
    assert listed_numbers(client, "?state=dispatched") == [dispatched.number]
    assert listed_numbers(client, "?state=submitted") == [parking.number, new.number]
    assert listed_numbers(client, "?category=03") == [parking.number]  # a group: all under it
    assert listed_numbers(client, "?category=0301") == [parking.number]
    assert listed_numbers(client, f"?unit={city.c1.code}") == [dispatched.number]
    assert listed_numbers(client, "?unit=S1C2") == []
    assert listed_numbers(client, f"?number={new.number[-6:]}") == [new.number]
    today = timezone.localdate().isoformat()
    assert len(listed_numbers(client, f"?created_after={today}&created_before={today}")) == 3
    assert listed_numbers(client, "?created_before=2020-01-01") == []
    # The first and last days a calendar knows mean "from the start" and "to the end".
    assert len(listed_numbers(client, "?created_after=0001-01-01&created_before=9999-12-31")) == 3
    # The filter form keeps what was chosen.
    page = html(client.get(LIST + "?state=dispatched&category=0301"))
    assert '<option value="dispatched" selected>' in page
    assert '<option value="0301" selected>' in page


def test_the_overdue_filter_and_tab(cast: Any, city: Any, login: Any, submit: Any) -> None:
    late = submit()
    services.ticket_dispatch(actor=cast.street_dispatcher, ticket=late, to=city.grid_a)
    assert listed_numbers(login(cast.street_dispatcher), "?overdue=yes") == []
    # Eight days on (ordinary: 7 days), the next one dispatched then is still on time.
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        client = login(cast.street_dispatcher)
        on_time = submit()
        services.ticket_dispatch(actor=cast.street_dispatcher, ticket=on_time, to=city.grid_a)
        assert listed_numbers(client, "?overdue=yes") == [late.number]
        assert listed_numbers(client, "?overdue=no") == [on_time.number]
        page = html(client.get(LIST + "?overdue=yes"))
        assert re.search(r'<a href="\?overdue=yes" class="on"[^>]*>超期</a>', page)


@pytest.mark.parametrize(
    "query",
    [
        "?created_after=2026-13-45",
        "?created_after=2026-02-01&created_before=2026-01-01",
        "?state=x",
    ],
)
def test_bad_filters_say_why(cast: Any, login: Any, submit: Any, query: str) -> None:
    submit()
    response = login(cast.street_dispatcher).get(LIST + query)
    assert response.status_code == 400
    assert errors_in(html(response))
    assert 'data-testid="ticket-row"' not in html(response)


def test_the_list_pages_by_keyset(
    cast: Any, login: Any, submit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(desk_views, "LIST_PER_PAGE", 3)
    tickets = [submit(description=f"第 {i} 件") for i in range(7)]
    # Two tickets at the same instant: the id breaks the tie.
    Ticket.objects.filter(pk=tickets[3].pk).update(created_at=tickets[4].created_at)
    expected = [
        t.number
        for t in sorted(
            (fresh(t) for t in tickets), key=lambda t: (t.created_at, t.pk), reverse=True
        )
    ]
    client = login(cast.street_dispatcher)
    seen: list[str] = []
    query = "?state=submitted"
    pages = []
    while True:
        response = client.get(LIST + query)
        page = html(response)
        numbers = re.findall(r'data-testid="ticket-row" data-number="([^"]+)"', page)
        pages.append((query, numbers))
        seen += numbers
        found = re.search(r'href="\?([^"]*after=[^"]+)" data-testid="next"', page)
        if not found:
            break
        query = "?" + found.group(1).replace("&amp;", "&")
        assert "state=submitted" in query
    assert seen == expected and [len(n) for _q, n in pages] == [3, 3, 1]
    # Back from the last page.
    last = html(client.get(LIST + pages[-1][0]))
    back = re.search(r'href="\?([^"]*before=[^"]+)"', last)
    assert back is not None
    previous = html(client.get(LIST + "?" + back.group(1).replace("&amp;", "&")))
    assert re.findall(r'data-testid="ticket-row" data-number="([^"]+)"', previous) == expected[3:6]
    # A cursor that does not parse is the first page.
    assert listed_numbers(client, "?after=!!!") == expected[:3]


# --- the export ------------------------------------------------------------------------------


def sheet(content: bytes) -> list[list[Any]]:
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]


def assert_no_raw_numbers(content: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        text = "".join(archive.read(n).decode() for n in archive.namelist())
    assert not [n for n in RAW_NUMBERS if n in text]
    assert_masked(text.encode())


def test_the_export_follows_the_filters_and_masks(
    cast: Any, city: Any, people: Any, login: Any, submit: Any
) -> None:
    named = submit()
    hidden = submit(anonymous=True)
    parking = submit(category="0301")
    submit(actor=cast.outsider, building=None, address="西一")  # another street
    services.ticket_dispatch(actor=cast.street_dispatcher, ticket=named, to=city.grid_a)
    client = login(cast.street_dispatcher)
    response = client.get(EXPORT + "?category=01")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert (
        "attachment" in response["Content-Disposition"] and response["Cache-Control"] == "no-store"
    )
    rows = sheet(response.content)
    header = rows[0]
    assert header[:7] == ["工单号", "提交时间", "来源", "诉求类型", "类别", "紧急程度", "状态"]
    by_number = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert set(by_number) == {named.number, hidden.number}
    assert parking.number not in by_number
    row = by_number[named.number]
    assert row["状态"] == "待签收" and row["承办单位"] == "东一社区A网格"
    assert row["联系电话（打码）"] == "138****8000" and row["联系人"] == "张阿姨"
    assert row["超期"] == "否" and row["办结时限"] is not None
    assert by_number[hidden.number]["联系电话（打码）"] in ("", None)
    assert by_number[hidden.number]["联系人"] == "保密"
    assert_no_raw_numbers(response.content)
    audit = AuditEntry.objects.order_by("-seq").first()
    assert (
        audit is not None
        and audit.action == "tickets.export"
        and audit.actor == cast.street_dispatcher
    )
    assert '"count":2' in audit.data and '"category":"01"' in audit.data


def test_the_export_is_capped(
    cast: Any, login: Any, submit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _i in range(3):
        submit()
    monkeypatch.setattr(desk_views, "MAX_EXPORT_ROWS", 2)
    client = login(cast.street_dispatcher)
    response = client.get(EXPORT + "?state=submitted")
    assert response.status_code == 302 and response["Location"] == LIST + "?state=submitted"
    said = messages_of(client.get(LIST))
    assert said == ["符合条件的工单有 3 张，超过一次导出的上限 2 张，请缩小范围后再导出。"]
    assert not AuditEntry.objects.filter(action="tickets.export").exists()


def test_the_export_of_a_bad_filter_goes_back(cast: Any, login: Any) -> None:
    client = login(cast.street_dispatcher)
    response = client.get(EXPORT + "?created_after=nope")
    assert response.status_code == 302 and response["Location"].startswith(LIST)


# --- query counts ----------------------------------------------------------------------------


def many(submit: Any, advance: Any, cast: Any, city: Any, n: int) -> list[Ticket]:
    tickets = []
    for i in range(n):
        ticket = submit(description=f"第 {i} 件", photos=[SimpleUploadedFile("a.png", png_bytes())])
        tickets.append(ticket)
    for ticket in tickets[: n // 2]:
        advance(ticket, "in_progress")
    return tickets


def count_queries(client: Client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_the_desk_costs_the_same_for_2_or_10_tickets(
    cast: Any, city: Any, login: Any, submit: Any, advance: Any, django_assert_max_num_queries: Any
) -> None:
    client = login(cast.street_dispatcher)
    for i in range(2):
        submit(description=f"前 {i}")
    client.get(DESK)
    few = count_queries(client, DESK)
    for i in range(8):
        t = submit(description=f"后 {i}", category=["0101", "0201", "0103", "0501"][i % 4])
        if i % 3 == 0:
            advance(t, "dispatched")
            services.ticket_return(actor=cast.grid_worker_a, ticket=t, reason="退")
    assert count_queries(client, DESK) == few
    # No count for a desk that fits on its first page (desk_tickets).
    with django_assert_max_num_queries(13):
        client.get(DESK)


def test_the_list_costs_the_same_for_2_or_10_tickets(
    cast: Any, city: Any, login: Any, submit: Any, advance: Any, django_assert_max_num_queries: Any
) -> None:
    client = login(cast.street_dispatcher)
    many(submit, advance, cast, city, 2)
    client.get(LIST)
    few = count_queries(client, LIST + "?category=01")
    many(submit, advance, cast, city, 8)
    assert count_queries(client, LIST + "?category=01") == few
    with django_assert_max_num_queries(12):
        client.get(LIST + "?overdue=yes&supervised=no&extension=pending")


def test_the_detail_costs_the_same_with_a_long_timeline(
    cast: Any, city: Any, login: Any, submit: Any, advance: Any, django_assert_max_num_queries: Any
) -> None:
    many(submit, advance, cast, city, 10)
    short = advance(submit(), "dispatched")
    long = advance(submit(photos=[SimpleUploadedFile("a.png", png_bytes())]), "in_progress")
    services.ticket_supervise(actor=cast.street_leader, ticket=long, note="快")
    services.ticket_answer_supervision(actor=cast.grid_worker_a, ticket=long, note="好")
    services.ticket_request_extension(
        actor=cast.grid_worker_a, ticket=long, reason="慢", working_days=2
    )
    client = login(cast.street_dispatcher)
    client.get(detail_url(short))
    assert count_queries(client, detail_url(long)) <= count_queries(client, detail_url(short)) + 1
    # 17: one of them asks whether a party organisation took the matter up (双向互动); the
    # pending extension is read once, for the page and its actions.
    with django_assert_max_num_queries(17):
        client.get(detail_url(long))
    new = submit()
    with django_assert_max_num_queries(18):  # with the dispatch form's units and suggestion
        client.get(detail_url(new))
