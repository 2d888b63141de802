"""The requests API: file (JSON or multipart, idempotent), list (scoped, filtered, by cursor),
read (timeline, deadlines, masked contact) and move tickets — and never a raw phone number."""

from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grassroots.accounts.models import Role
from grassroots.tickets import services as s
from grassroots.tickets.models import Extension, Ticket, TicketPhoto
from tests.conftest import make_user
from tests.helpers import assert_masked, fields, warm
from tests.tickets.conftest import DEPARTMENT_LEAF, png_bytes

URL = "/api/v1/tickets"
MS = timedelta(milliseconds=1)  # the JSON carries milliseconds
BODY = {"category": "0101", "description": "楼下垃圾桶满了，三天没人清运。", "building": "S1C1GAB1"}


def post(client: Client, url: str, body: Any = None, **extra: Any) -> Any:
    return client.post(url, body or {}, content_type="application/json", **extra)


def error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body: dict[str, Any] = response.json()["error"]
    assert body["code"] == code
    return body


def not_found(response: Any) -> None:
    assert error(response, 404, "not_found")["fields"] == {}


def png(name: str = "p.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), "image/png")


def snapshot(ticket: Ticket) -> tuple[Any, ...]:
    """What a refused request must leave as it was."""
    ticket.refresh_from_db()
    return (
        ticket.state,
        ticket.handler_path,
        ticket.handler_department_id,
        ticket.resolve_by,
        ticket.supervised_at,
        ticket.events.count(),
        ticket.photos.count(),
        ticket.extensions.count(),
        ticket.reviews.count(),
    )


# --- POST /tickets -----------------------------------------------------------------------------


def test_a_resident_files_a_request(cast: Any, city: Any, login: Any) -> None:
    response = post(
        login(cast.resident), URL, {**BODY, "urgency": "urgent", "request_type": "complaint"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get()
    assert re.fullmatch(r"GR-\d{8}-\d{6}", body["number"]) and body["number"] == ticket.number
    assert body["state"] == "submitted" and body["state_label"] == "待派单"
    assert (body["channel"], body["channel_label"]) == ("resident_app", "居民端")
    assert (body["urgency"], body["request_type"]) == ("urgent", "complaint")
    assert body["category"] == {"code": "0101", "name": ticket.category.name}
    assert body["building"] == body["area"] == {"code": "S1C1GAB1", "name": "东一1号楼"}
    assert body["street"] == {"code": "S1", "name": "东街道"}
    assert body["address"] == "东一1号楼"  # defaults to the chosen building
    assert body["handler"] is None and body["respond_by"] is None and body["resolve_by"] is None
    assert body["contact"]["mobile"] == "138****8000"
    assert [(e["kind"], e["kind_label"]) for e in body["timeline"]] == [("submitted", "提交")]
    assert body["actions"] == [] and body["photos"] == []
    assert ticket.requester == cast.resident and ticket.channel == "resident_app"
    assert_masked(response.content)


def test_the_channel_follows_the_caller(cast: Any, login: Any, bearer: Any) -> None:
    for who, token, channel in [
        ("resident", True, "api"),
        ("grid_worker_a", False, "grid_patrol"),
        ("building_head", False, "grid_patrol"),
        ("street_dispatcher", False, "hotline"),
        ("street_dispatcher", True, "api"),
    ]:
        user = getattr(cast, who)
        client, headers = (Client(), bearer(user)) if token else (login(user), {})
        response = post(client, URL, BODY, **headers)
        assert response.status_code == 201, response.content
        assert response.json()["channel"] == channel, who
        assert Ticket.objects.get(number=response.json()["number"]).channel == channel


def test_a_hotline_seat_enters_a_callers_request(cast: Any, login: Any) -> None:
    body = {**BODY, "contact_name": "刘先生", "contact_mobile": "13912345678"}
    response = post(login(cast.community_staff), URL, body)
    assert response.status_code == 201, response.content
    assert response.json()["contact"] == {"name": "刘先生", "mobile": "139****5678"}
    assert "13912345678" not in response.content.decode()
    ticket = Ticket.objects.get()
    assert ticket.requester is None and ticket.contact_mobile == "13912345678"


def test_an_idempotency_key_files_once_per_user(cast: Any, login: Any) -> None:
    resident = login(cast.resident)
    key = {"HTTP_IDEMPOTENCY_KEY": "0b7f6c1e-5d1c-4d7e-9a59-2f0f1e7a1c11"}
    first = post(resident, URL, BODY, **key)
    again = post(resident, URL, {**BODY, "description": "再发一次"}, **key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["number"] == first.json()["number"]
    assert again.json()["description"] == BODY["description"]
    assert Ticket.objects.count() == 1
    other = post(login(cast.grid_worker_a), URL, BODY, **key)
    assert other.status_code == 201 and other.json()["number"] != first.json()["number"]
    assert Ticket.objects.count() == 2
    assert post(resident, URL, BODY).status_code == 201  # no key: a new one each time
    assert Ticket.objects.count() == 3
    too_long = post(resident, URL, BODY, HTTP_IDEMPOTENCY_KEY="k" * 81)
    assert list(fields(too_long)) == ["idempotency_key"]
    assert Ticket.objects.count() == 3


def test_multipart_with_photos(cast: Any, login: Any) -> None:
    client = login(cast.resident)
    form = {
        **BODY,
        "lat": "",
        "lon": "",
        "anonymous": "true",
        "photos": [png("a.png"), png("b.png")],
    }
    response = client.post(URL, form)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["anonymous"] is True
    rows = list(TicketPhoto.objects.order_by("id"))
    assert [p["id"] for p in body["photos"]] == [r.pk for r in rows]
    assert body["photos"][0] == {
        "id": rows[0].pk,
        "url": reverse("tickets:photo", args=[rows[0].pk]),
        "content_type": "image/png",
        "width": 8,
        "height": 6,
    }
    assert all(r.event_id is None for r in rows)
    assert client.get(body["photos"][0]["url"]).status_code == 200


@pytest.mark.parametrize(
    ("who", "extra"),
    [
        ("resident", {}),
        ("resident", {"anonymous": "true", "photos": [png("a.png"), png("b.png")]}),
        ("grid_worker_a", {"photos": [png("c.png")]}),
        ("community_staff", {"contact_name": "刘先生", "contact_mobile": "13912345678"}),
    ],
)
def test_the_answer_to_a_filing_is_the_ticket_as_read_back(
    cast: Any, login: Any, who: str, extra: dict[str, Any]
) -> None:
    # The answer is built from what the filing wrote, not read back: it must be what a read
    # of the same ticket by the same caller gives.
    client = login(getattr(cast, who))
    response = client.post(URL, {**BODY, "lat": "", "lon": "", **extra})
    assert response.status_code == 201, response.content
    read = client.get(f"{URL}/{response.json()['number']}")
    assert read.status_code == 200
    assert response.json() == read.json()


def test_filing_costs_a_fixed_number_of_queries(
    cast: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    client = warm(login(cast.resident))
    # The first filing of a process reads the catalogue's leaves and the streets once.
    with django_assert_max_num_queries(16):
        response = post(client, URL, BODY)
    assert response.status_code == 201, response.content
    # Then: session, user; the building, the resident's name; begin, the ticket's id and the
    # ticket (SQLite: the ticket and its number), event, notice, audit chain head, the row with
    # the head's move (SQLite: two statements), commit (a savepoint and its release in the
    # test's transaction). The category and the street are the process's memos; a fresh
    # idempotency key costs nothing (the ticket's unique key finds a used one).
    with django_assert_max_num_queries(13):
        response = post(client, URL, BODY, HTTP_IDEMPOTENCY_KEY="once")
    assert response.status_code == 201, response.content
    # The same key again: refused by the unique key, then the first ticket read back.
    with django_assert_max_num_queries(16):
        again = post(client, URL, BODY, HTTP_IDEMPOTENCY_KEY="once")
    assert again.status_code == 200 and again.json()["number"] == response.json()["number"]
    # Photos add their inserts only.
    with django_assert_max_num_queries(15):
        response = client.post(URL, {**BODY, "lat": "", "lon": "", "photos": [png(), png()]})
    assert response.status_code == 201, response.content


def test_multipart_with_a_file_that_is_not_an_image(cast: Any, login: Any) -> None:
    fake = SimpleUploadedFile("p.png", b"GIF89a not really", "image/png")
    response = login(cast.resident).post(URL, {**BODY, "photos": [png(), fake]})
    assert fields(response) == {
        "photos": ["第 2 张不是可识别的图片，请上传 JPG、PNG 或 WebP 照片。"]
    }
    assert not Ticket.objects.exists() and not TicketPhoto.objects.exists()


BAD_INPUT = [
    ({"description": "长" * 4001}, {"description": ["诉求内容不能超过 4000 个字。"]}),
    ({"description": "  "}, {"description": ["请填写诉求内容。"]}),
    ({"category": "9999"}, {"category": ["没有这个诉求类别。"]}),
    ({"category": "01"}, {"category": ["该类别不能直接选择，请选择具体的诉求类别。"]}),
    ({"building": "NOPE"}, {"building": ["没有这个楼栋，请重新选择。"]}),
    (
        {"building": None, "lat": 31.23, "lon": 121.47},
        {"lat": ["该位置不在本区任何网格内，请核对位置或选择楼栋。"]},
    ),
    ({"building": None, "lat": 39.905}, {"lon": ["经度和纬度须同时提供。"]}),
    ({"urgency": "very"}, {"urgency": ["不是可选的值。"]}),
    ({"anonymous": "perhaps"}, {"anonymous": ["须为是或否。"]}),
    ({"description": None}, {"description": ["须为文字。"]}),
]


def test_bad_input_is_a_field_error_and_files_nothing(cast: Any, login: Any) -> None:
    client = login(cast.resident)
    for change, errors in BAD_INPUT:
        assert fields(post(client, URL, {**BODY, **change})) == errors, change
    assert not Ticket.objects.exists()


def test_missing_fields_and_a_bad_point(cast: Any, login: Any) -> None:
    client = login(cast.resident)
    assert fields(post(client, URL, {})) == {
        "category": ["此项为必填项。"],
        "description": ["此项为必填项。"],
    }
    assert list(fields(post(client, URL, {**BODY, "lat": "north", "lon": 1}))) == ["lat"]
    bad_json = client.post(URL, "{not json", content_type="application/json")
    assert error(bad_json, 400, "validation_failed")
    assert not Ticket.objects.exists()


def test_a_point_inside_a_grid_locates_the_request(cast: Any, city: Any, login: Any) -> None:
    body = {**BODY, "building": None, "lat": 39.905, "lon": 116.305, "address": "东一路口"}
    response = post(login(cast.grid_worker_a), URL, body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["area"] == {"code": "S1C1GA", "name": "东一社区A网格"} and data["building"] is None
    assert (data["lat"], data["lon"]) == (39.905, 116.305)


def test_filing_needs_a_signed_in_submitter(cast: Any, login: Any) -> None:
    error(post(Client(), URL, BODY), 401, "not_authenticated")
    error(
        post(Client(), URL, BODY, HTTP_AUTHORIZATION="Bearer gr_nonsense"), 401, "not_authenticated"
    )
    error(post(login(cast.system_admin), URL, BODY), 403, "forbidden")
    assert not Ticket.objects.exists()


# --- GET /tickets ------------------------------------------------------------------------------


def numbers(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [t["number"] for t in response.json()["items"]]


@pytest.fixture
def neighbour(city: Any) -> Any:
    """Another resident (of the other street)."""
    return make_user(Role.RESIDENT, "", mobile="13600000006")


def test_the_list_is_scoped(cast: Any, login: Any, submit: Any, neighbour: Any) -> None:
    mine = submit()
    west = submit(actor=cast.outsider, building=None)  # filed at the desk of street S2
    theirs = submit(actor=neighbour, building=None, lat=39.905, lon=116.305)
    expected = {
        "resident": [mine.number],
        "grid_worker_a": [theirs.number, mine.number],
        "grid_worker_b": [],
        "street_dispatcher": [theirs.number, mine.number],
        "outsider": [west.number],
        "department_officer": [],
        "member_unit_contact": [],
        "system_admin": [],
    }
    for who, wanted in expected.items():
        assert numbers(login(getattr(cast, who)).get(URL)) == wanted, who
    assert numbers(login(neighbour).get(URL)) == [theirs.number]


def test_the_list_filters(cast: Any, city: Any, login: Any, submit: Any, advance: Any) -> None:
    new = submit()
    at_grid = advance(submit(), "in_progress")
    at_dept = advance(submit(category=DEPARTMENT_LEAF), "dispatched", to=city.dept_district)
    closed = advance(submit(), "closed")
    past = timezone.now() - timedelta(days=40)
    Ticket.objects.filter(pk=new.pk).update(created_at=past)
    Ticket.objects.filter(pk=at_grid.pk).update(resolve_by=timezone.now() - timedelta(hours=1))
    s.ticket_supervise(actor=cast.street_leader, ticket=at_dept, note="请加快")
    client = login(cast.street_dispatcher)

    def query(q: str) -> set[str]:
        return set(numbers(client.get(f"{URL}?{q}")))

    assert query("state=submitted") == {new.number}
    assert query("state=closed") == {closed.number}
    assert query("category=01") == {new.number, at_grid.number, closed.number}
    assert query(f"category={DEPARTMENT_LEAF}") == {at_dept.number}
    assert query("category=9999") == set()
    assert query("unit=S1C1GA") == {at_grid.number, closed.number}
    assert query("unit=S1C1") == {at_grid.number, closed.number}
    assert query("unit=DCGW") == {at_dept.number}
    assert query("overdue=true") == {at_grid.number}
    assert query("overdue=false") == {new.number, at_dept.number, closed.number}
    assert query("supervised=true") == {at_dept.number}
    today = timezone.localdate()
    assert query(f"created_after={today}") == {at_grid.number, at_dept.number, closed.number}
    assert query(f"created_before={today - timedelta(days=1)}") == {new.number}
    assert query(f"created_after={today}&state=in_progress&overdue=true") == {at_grid.number}
    items = client.get(f"{URL}?overdue=true").json()["items"]
    assert items[0]["is_overdue"] is True and items[0]["handler"]["code"] == "S1C1GA"


BAD_PARAMETERS = [
    ("state=lost", "state"),
    ("overdue=perhaps", "overdue"),
    ("created_after=yesterday", "created_after"),
    ("limit=0", "limit"),
    ("limit=201", "limit"),
    ("limit=ten", "limit"),
    ("cursor=not-a-cursor", "cursor"),
    ("cursor=" + base64.urlsafe_b64encode(b"2026-11-27|").decode(), "cursor"),  # no id
    ("cursor=" + base64.urlsafe_b64encode(b"2026-11-27T08:00:00|1").decode(), "cursor"),
]


def test_bad_list_parameters(cast: Any, login: Any) -> None:
    client = login(cast.street_dispatcher)
    for query, field in BAD_PARAMETERS:
        assert list(fields(client.get(f"{URL}?{query}"))) == [field], query


def test_the_list_needs_a_login() -> None:
    error(Client().get(URL), 401, "not_authenticated")


def test_the_cursor_walks_every_page_once(cast: Any, login: Any, submit: Any) -> None:
    tickets = [submit() for _ in range(7)]
    # Three share one instant: the id breaks the tie.
    same = timezone.now() - timedelta(hours=1)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[2:5]]).update(created_at=same)
    expected = list(Ticket.objects.order_by("-created_at", "-id").values_list("number", flat=True))
    client = login(cast.street_dispatcher)
    seen: list[str] = []
    cursor, pages = "", 0
    while True:
        response = client.get(URL, {"limit": 3, "cursor": cursor})
        page = response.json()
        seen += numbers(response)
        pages += 1
        if page["next_cursor"] is None:
            break
        cursor = page["next_cursor"]
    assert seen == expected and pages == 3
    assert numbers(client.get(URL, {"limit": 7})) == expected
    assert client.get(URL, {"limit": 7}).json()["next_cursor"] is None


def test_the_list_costs_the_same_for_more_tickets(
    cast: Any, city: Any, login: Any, submit: Any, advance: Any, django_assert_max_num_queries: Any
) -> None:
    advance(submit(), "in_progress")
    client = warm(login(cast.street_dispatcher))
    # session, user, TOTP check, scope (2), page, the areas' names, the departments' (when a
    # row has one; the categories' come from the catalogue's memo)
    with django_assert_max_num_queries(8):
        assert len(numbers(client.get(URL))) == 1
    for state in ("dispatched", "accepted", "in_progress", "resolved", "closed"):
        advance(submit(), state)
    advance(submit(category=DEPARTMENT_LEAF), "dispatched", to=city.dept_district)
    for _ in range(5):
        submit()
    with django_assert_max_num_queries(8):
        assert len(numbers(client.get(URL))) == 12


# --- GET /tickets/{number} ---------------------------------------------------------------------


def test_the_detail_shows_deadlines_timeline_and_actions(
    cast: Any, city: Any, login: Any, submit: Any, advance: Any
) -> None:
    ticket = advance(submit(photos=[png()]), "in_progress")
    s.ticket_request_extension(
        actor=cast.grid_worker_a, ticket=ticket, reason="需协调物业", working_days=3
    )
    response = login(cast.grid_worker_a).get(f"{URL}/{ticket.number}")
    assert response.status_code == 200, response.content
    body = response.json()
    ticket.refresh_from_db()
    assert body["state"] == "in_progress"
    assert body["respond_by"] is not None and body["resolve_by"] is not None
    assert abs(datetime.fromisoformat(body["respond_by"]) - ticket.respond_by) < MS
    assert abs(datetime.fromisoformat(body["resolve_by"]) - ticket.resolve_by) < MS
    assert body["is_overdue"] is False and body["deadline_provisional"] is False
    assert body["handler"] == {"kind": "area", "code": "S1C1GA", "name": "东一社区A网格"}
    assert [(e["kind"], e["kind_label"], e["actor"]) for e in body["timeline"]] == [
        ("submitted", "提交", cast.resident.display_name),
        ("dispatched", "派单", "s1_dispatcher"),
        ("accepted", "签收", "grid_a"),
        ("responded", "联系诉求人", "grid_a"),
        ("extension_requested", "申请延期", "grid_a"),
    ]
    assert body["timeline"][1]["unit"] == "东一社区A网格"
    assert body["timeline"][3]["data"] == {"method": "phone"}
    assert body["pending_extension"]["working_days"] == 3
    assert len(body["photos"]) == 1
    assert body["actions"] == ["return", "extend", "resolve"]
    assert body["contact"]["mobile"] == "138****8000"
    assert_masked(response.content)
    dispatcher = login(cast.street_dispatcher).get(f"{URL}/{ticket.number}").json()
    # The street decides the extension; handling stays with the grid it was sent to.
    assert dispatcher["actions"] == ["merge", "approve-extension"]


def test_an_anonymous_request_hides_the_requester_from_handlers(
    people: Any, cast: Any, login: Any, submit: Any, advance: Any
) -> None:
    ticket = advance(submit(anonymous=True), "in_progress")
    for who in ("grid_worker_a", "street_dispatcher", "community_secretary"):
        response = login(getattr(cast, who)).get(f"{URL}/{ticket.number}")
        body = response.json()
        assert body["anonymous"] is True and body["contact"] is None, who
        assert body["timeline"][0]["actor"] == "诉求人"
        text = response.content.decode()
        assert "张阿姨" not in text and cast.resident.username not in text
        assert_masked(response.content)
    own = login(cast.resident).get(f"{URL}/{ticket.number}").json()
    assert own["contact"] == {"name": "张阿姨", "mobile": "138****8000"}
    assert own["timeline"][0]["actor"] == cast.resident.display_name


def test_another_scopes_ticket_is_not_found(
    cast: Any, login: Any, submit: Any, neighbour: Any
) -> None:
    ticket = submit()
    unknown = login(cast.resident).get(f"{URL}/GR-20200101-999999")
    not_found(unknown)
    for user in (cast.outsider, cast.grid_worker_b, cast.department_officer, neighbour):
        response = login(user).get(f"{URL}/{ticket.number}")
        assert response.json() == unknown.json()
    assert login(cast.system_admin).get(f"{URL}/{ticket.number}").json() == unknown.json()
    error(Client().get(f"{URL}/{ticket.number}"), 401, "not_authenticated")


def test_the_detail_costs_the_same_for_a_longer_history(
    cast: Any, login: Any, submit: Any, advance: Any, django_assert_max_num_queries: Any
) -> None:
    short = submit(photos=[png()])
    long = advance(submit(photos=[png(), png()]), "in_progress")
    s.ticket_supervise(actor=cast.street_leader, ticket=long, note="请加快")
    s.ticket_answer_supervision(actor=cast.grid_worker_a, ticket=long, note="今天处理")
    s.ticket_resolve(actor=cast.grid_worker_a, ticket=long, result="已清运", photos=[png(), png()])
    s.ticket_review(
        actor=cast.resident, ticket=long, contacted=True, solved=False, satisfaction="unsatisfied"
    )
    client = warm(login(cast.street_dispatcher))
    # session, user, TOTP check, scope (2), ticket, events, photos (of the events and of the
    # submission alike), pending extension (which the actions reuse; asked only while the
    # ticket is being handled)
    with django_assert_max_num_queries(8):
        assert len(client.get(f"{URL}/{short.number}").json()["timeline"]) == 1
    with django_assert_max_num_queries(9):
        body = client.get(f"{URL}/{long.number}").json()
    assert len(body["timeline"]) == 9
    assert [len(e["photos"]) for e in body["timeline"] if e["kind"] == "resolved"] == [2]


# --- POST /tickets/{number}/{action} -------------------------------------------------------------


@pytest.fixture
def at(submit: Any, advance: Any, cast: Any) -> Any:
    """A ticket in the given state: the lifecycle's states plus a few set-ups of their own."""

    def make(state: str) -> Ticket:
        if state == "submitted":
            return submit()  # type: ignore[no-any-return]
        if state == "extension_pending":
            ticket = advance(submit(), "in_progress")
            s.ticket_request_extension(
                actor=cast.grid_worker_a, ticket=ticket, reason="需协调物业", working_days=3
            )
            return ticket  # type: ignore[no-any-return]
        if state == "supervised":
            ticket = advance(submit(), "dispatched")
            s.ticket_supervise(actor=cast.street_leader, ticket=ticket, note="请加快")
            return ticket  # type: ignore[no-any-return]
        return advance(submit(), state)  # type: ignore[no-any-return]

    return make


# The actors of the tables below.
D, G, R, L = "street_dispatcher", "grid_worker_a", "resident", "street_leader"

# action, state it starts from, actor, body, state it ends in
HAPPY = [
    ("dispatch", "submitted", D, {"to": "S1C1GA", "note": "请尽快"}, "dispatched"),
    ("reject", "submitted", D, {"reason": "属于司法程序", "redirect": "法院"}, "rejected"),
    ("accept", "dispatched", G, None, "accepted"),
    ("respond", "accepted", G, {"method": "visit", "note": "已上门"}, "in_progress"),
    ("return", "dispatched", G, {"reason": "不属于本网格"}, "submitted"),
    ("extend", "in_progress", G, {"reason": "需协调物业", "working_days": 3}, "in_progress"),
    ("approve-extension", "extension_pending", D, {"approve": True}, "in_progress"),
    ("resolve", "in_progress", G, {"result": "已清运"}, "resolved"),
    ("review", "resolved", R, {"contacted": True, "solved": True, "satisfaction": "basic"},
     "closed"),
    ("reopen", "closed", R, {"reason": "又满了"}, "dispatched"),
    ("supervise", "dispatched", L, {"note": "请加快办理"}, "dispatched"),
    ("answer-supervision", "supervised", G, {"note": "今天下午处理"}, "dispatched"),
]  # fmt: skip


@pytest.mark.parametrize("name,start,who,body,end", HAPPY, ids=[h[0] for h in HAPPY])
def test_each_action(
    cast: Any, login: Any, at: Any, name: str, start: str, who: str, body: Any, end: str
) -> None:
    ticket = at(start)
    events = ticket.events.count()
    response = post(login(getattr(cast, who)), f"{URL}/{ticket.number}/{name}", body)
    assert response.status_code == 200, response.content
    data = response.json()
    ticket.refresh_from_db()
    assert data["state"] == ticket.state == end
    assert data["number"] == ticket.number
    assert len(data["timeline"]) == ticket.events.count() > events
    assert_masked(response.content)


def test_dispatch_to_a_department_and_actions_follow(
    cast: Any, city: Any, login: Any, at: Any
) -> None:
    ticket = at("submitted")
    body = post(login(cast.street_dispatcher), f"{URL}/{ticket.number}/dispatch", {"to": "DCGW"})
    assert body.json()["handler"] == {"kind": "department", "code": "DCGW", "name": "区城管委"}
    officer = login(cast.department_officer)
    assert officer.get(f"{URL}/{ticket.number}").json()["actions"] == [
        "accept", "respond", "return", "extend",
    ]  # fmt: skip
    # Returned, the ticket leaves the department's view; the answer still shows the result.
    back = post(officer, f"{URL}/{ticket.number}/return", {"reason": "不属于本部门"})
    assert back.status_code == 200 and back.json()["state"] == "submitted"
    assert back.json()["actions"] == []
    not_found(officer.get(f"{URL}/{ticket.number}"))


def test_approve_extension_moves_the_deadline(cast: Any, login: Any, at: Any) -> None:
    ticket = at("extension_pending")
    before = ticket.resolve_by
    response = post(
        login(cast.street_dispatcher), f"{URL}/{ticket.number}/approve-extension", {"approve": True}
    )
    ticket.refresh_from_db()
    assert ticket.resolve_by > before
    assert response.json()["pending_extension"] is None
    assert Extension.objects.get().status == "approved"
    assert response.json()["timeline"][-1]["kind"] == "extension_approved"


@pytest.mark.parametrize("leave", ["return", "resolve"])
def test_an_extension_waits_only_while_the_ticket_is_handled(
    cast: Any, login: Any, at: Any, leave: str
) -> None:
    # The detail asks for a pending extension only in the handling states: each way out of
    # them must settle it.
    ticket = at("extension_pending")
    client = login(cast.street_dispatcher)
    assert client.get(f"{URL}/{ticket.number}").json()["pending_extension"] is not None
    if leave == "return":
        s.ticket_return(actor=cast.grid_worker_a, ticket=ticket, reason="不属于本网格")
    else:
        s.ticket_resolve(actor=cast.grid_worker_a, ticket=ticket, result="已清运")
    assert not Extension.objects.filter(ticket=ticket, status="pending").exists()
    assert client.get(f"{URL}/{ticket.number}").json()["pending_extension"] is None


def test_resolve_with_photos_as_multipart(cast: Any, login: Any, at: Any) -> None:
    ticket = at("in_progress")
    client = login(cast.grid_worker_a)
    response = client.post(
        f"{URL}/{ticket.number}/resolve", {"result": "已清运", "photos": [png()]}
    )
    assert response.status_code == 200, response.content
    event = response.json()["timeline"][-1]
    photo = TicketPhoto.objects.get()
    assert event["kind"] == "resolved" and event["note"] == "已清运"
    assert event["photos"][0]["url"] == reverse("tickets:photo", args=[photo.pk])
    assert photo.event is not None and response.json()["photos"] == []


def test_resolve_with_a_file_that_is_not_an_image(cast: Any, login: Any, at: Any) -> None:
    ticket = at("in_progress")
    before = snapshot(ticket)
    fake = SimpleUploadedFile("p.jpg", b"%PDF-1.4", "image/jpeg")
    response = login(cast.grid_worker_a).post(
        f"{URL}/{ticket.number}/resolve", {"result": "已清运", "photos": [fake]}
    )
    assert fields(response) == {
        "photos": ["第 1 张不是可识别的图片，请上传 JPG、PNG 或 WebP 照片。"]
    }
    assert snapshot(ticket) == before


def test_a_review_that_is_not_solved_reopens(cast: Any, login: Any, at: Any) -> None:
    ticket = at("resolved")
    body = {"contacted": True, "solved": False, "satisfaction": "unsatisfied", "comment": "还是满"}
    response = post(login(cast.resident), f"{URL}/{ticket.number}/review", body)
    data = response.json()
    assert data["state"] == "dispatched" and data["reopen_count"] == 1
    assert [e["kind"] for e in data["timeline"][-2:]] == ["reviewed", "reopened"]


def test_merge_into_another_ticket(
    cast: Any, login: Any, at: Any, submit: Any, neighbour: Any
) -> None:
    survivor = at("dispatched")
    duplicate = submit(actor=neighbour, building=None, lat=39.905, lon=116.305)
    response = post(
        login(cast.street_dispatcher),
        f"{URL}/{duplicate.number}/merge",
        {"into": survivor.number, "note": "同一垃圾桶"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "merged"
    assert response.json()["merged_into"] == survivor.number
    # The duplicate's requester follows the survivor, but sees no one else's contact.
    followed = login(neighbour).get(f"{URL}/{survivor.number}").json()
    assert followed["contact"] is None and followed["timeline"][0]["actor"] == "诉求人"


# action, state it is refused in, actor, body
WRONG_STATE = [
    ("dispatch", "dispatched", D, {"to": "S1C1GA"}),
    ("reject", "dispatched", D, {"reason": "不受理"}),
    ("merge", "closed", D, {"into": "other"}),
    ("accept", "in_progress", G, None),
    ("respond", "in_progress", G, {"method": "phone"}),
    ("return", "resolved", G, {"reason": "不属于本网格"}),
    ("extend", "resolved", G, {"reason": "需协调", "working_days": 2}),
    ("approve-extension", "resolved", D, {"approve": True}),
    ("resolve", "accepted", G, {"result": "已清运"}),
    ("review", "in_progress", R, {"contacted": True, "solved": True, "satisfaction": "basic"}),
    ("reopen", "in_progress", R, {"reason": "又满了"}),
    ("supervise", "closed", L, {"note": "请加快"}),
    ("answer-supervision", "dispatched", G, {"note": "今天处理"}),
]  # fmt: skip


@pytest.fixture
def cached(at: Any, cast: Any, login: Any) -> Any:
    """One ticket per state and one client per actor, shared by the refusals of a table: a
    refused request leaves the ticket as it was (each check asserts it), so reuse is sound."""
    tickets: dict[str, Ticket] = {}
    clients: dict[str, Client] = {}

    def get(state: str, who: str) -> tuple[Ticket, Client]:
        if state not in tickets:
            tickets[state] = at(state)
        if who not in clients:
            clients[who] = login(getattr(cast, who))
        return tickets[state], clients[who]

    return get


def test_each_action_is_refused_in_the_wrong_state(at: Any, cached: Any) -> None:
    survivor = at("dispatched")
    for name, state, who, body in WRONG_STATE:
        ticket, client = cached(state, who)
        if name == "merge":
            body = {"into": survivor.number}
        before = snapshot(ticket)
        response = post(client, f"{URL}/{ticket.number}/{name}", body)
        assert response.status_code == 400, (name, response.content)
        problem = response.json()["error"]
        if name == "approve-extension":  # nothing to decide
            assert problem["fields"] == {"approve": ["没有待审批的延期申请。"]}
        elif name == "answer-supervision":  # nothing to answer
            assert problem["fields"] == {"note": ["这张工单没有待回复的督办。"]}
        else:
            assert problem["code"] == "wrong_state", name
            assert list(problem["fields"]) == ["state"], name
        assert snapshot(ticket) == before, name


def test_dispatching_twice_is_refused(cast: Any, login: Any, at: Any) -> None:
    ticket = at("submitted")
    client = login(cast.street_dispatcher)
    assert post(client, f"{URL}/{ticket.number}/dispatch", {"to": "S1C1GA"}).status_code == 200
    again = post(client, f"{URL}/{ticket.number}/dispatch", {"to": "S1C1GB"})
    body = error(again, 400, "wrong_state")
    assert body["message"] == "工单当前为“待签收”，不能派单。"
    ticket.refresh_from_db()
    assert ticket.handler_area is not None and ticket.handler_area.code == "S1C1GA"


# action, state, actor, bad body, field errors
INVALID = [
    ("dispatch", "submitted", D, {"to": "NOPE"}, {"to": ["没有这个承办单位。"]}),
    ("dispatch", "submitted", D, {}, {"to": ["此项为必填项。"]}),
    ("dispatch", "submitted", D, {"to": "S2C1GA"}, {"to": ["只能派给本辖区内的单位。"]}),
    ("reject", "submitted", D, {"reason": " "}, {"reason": ["请填写不予受理的理由。"]}),
    ("merge", "submitted", D, {"into": "GR-20200101-000000"}, {"into": ["没有这张工单。"]}),
    ("merge", "submitted", D, {"into": ""}, {"into": ["请填写要并入的工单号。"]}),
    ("respond", "accepted", G, {"method": "fax"}, {"method": ["不是可选的值。"]}),
    ("return", "dispatched", G, {"reason": ""}, {"reason": ["请填写退单理由。"]}),
    ("extend", "in_progress", G, {"reason": "需协调", "working_days": 11},
     {"working_days": ["延期须为 1 至 10 个工作日。"]}),
    ("extend", "in_progress", G, {"reason": "需协调", "working_days": "two"},
     {"working_days": ["须为整数。"]}),
    ("approve-extension", "extension_pending", D, {"approve": False},
     {"note": ["请填写审批意见。"]}),
    ("resolve", "in_progress", G, {"result": ""}, {"result": ["请填写办理结果。"]}),
    ("review", "resolved", R, {"contacted": True, "solved": True},
     {"satisfaction": ["请选择满意、基本满意或不满意。"]}),
    ("review", "resolved", R, {"satisfaction": "great"}, {"satisfaction": ["不是可选的值。"]}),
    ("reopen", "closed", R, {"reason": ""}, {"reason": ["请填写重办理由。"]}),
    ("supervise", "dispatched", L, {"note": ""}, {"note": ["请填写督办意见。"]}),
    ("answer-supervision", "supervised", G, {"note": ""}, {"note": ["请填写回复内容。"]}),
]  # fmt: skip


def test_each_action_rejects_bad_input(cached: Any) -> None:
    for name, state, who, body, errors in INVALID:
        ticket, client = cached(state, who)
        before = snapshot(ticket)
        response = post(client, f"{URL}/{ticket.number}/{name}", body)
        assert fields(response) == errors, (name, body)
        assert snapshot(ticket) == before, name


def test_merge_into_a_ticket_out_of_sight_is_unknown(cast: Any, login: Any, at: Any) -> None:
    ticket = at("submitted")
    west = s.ticket_submit(
        actor=cast.outsider, category="0101", description="西边的垃圾", address="西一"
    )[0]
    response = post(
        login(cast.street_dispatcher), f"{URL}/{ticket.number}/merge", {"into": west.number}
    )
    assert fields(response) == {"into": ["没有这张工单。"]}


# A valid body for each action (a body is checked before the ticket is looked for).
ACTIONS = {h[0]: h[3] for h in HAPPY} | {"merge": {"into": "GR-20200101-000000"}}


def test_each_action_needs_a_login_and_the_ticket_in_scope(
    cast: Any, login: Any, at: Any, neighbour: Any
) -> None:
    ticket = at("dispatched")
    before = snapshot(ticket)
    clients = [login(cast.outsider), login(neighbour)]
    for name, body in ACTIONS.items():
        url = f"{URL}/{ticket.number}/{name}"
        error(post(Client(), url, body), 401, "not_authenticated")
        for client in clients:
            not_found(post(client, url, body))
    assert snapshot(ticket) == before


def test_a_visible_ticket_can_still_be_forbidden(cast: Any, login: Any, at: Any) -> None:
    ticket = at("submitted")
    before = snapshot(ticket)
    resident = login(cast.resident)
    body = error(
        post(resident, f"{URL}/{ticket.number}/dispatch", {"to": "S1C1GA"}), 403, "forbidden"
    )
    assert body["message"] == "只有本辖区的派单人员可以派单。"
    error(post(login(cast.street_leader), f"{URL}/{ticket.number}/accept"), 403, "forbidden")
    assert snapshot(ticket) == before


def test_an_unknown_action_is_not_found(cast: Any, login: Any, at: Any) -> None:
    ticket = at("submitted")
    client = login(cast.street_dispatcher)
    not_found(post(client, f"{URL}/{ticket.number}/close", {}))
    not_found(post(client, f"{URL}/{ticket.number}/start", {}))
    not_found(post(client, f"{URL}/GR-20200101-000000/dispatch", {"to": "S1C1GA"}))


# --- the schema --------------------------------------------------------------------------------


def test_the_openapi_schema_documents_every_action(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    create = paths["/api/v1/tickets"]["post"]
    assert set(create["responses"]) == {"200", "201", "400", "401", "403"}
    assert set(create["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert create["parameters"][0]["name"] == "Idempotency-Key"
    listing = paths["/api/v1/tickets"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"state", "cursor", "limit", "overdue"}
    bodies = {
        "dispatch": "DispatchIn", "reject": "RejectIn", "merge": "MergeIn",
        "respond": "RespondIn", "return": "ReturnIn", "extend": "ExtendIn",
        "approve-extension": "ApproveExtensionIn", "resolve": "ResolveIn", "review": "ReviewIn",
        "reopen": "ReopenIn", "supervise": "SuperviseIn", "answer-supervision": "AnswerIn",
    }  # fmt: skip
    for name in ACTIONS:
        op = paths[f"/api/v1/tickets/{{number}}/{name}"]["post"]
        assert set(op["responses"]) == {"200", "400", "401", "403", "404", "409"}, name
        assert op["responses"]["404"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorOut"
        }
        if name == "accept":
            assert "requestBody" not in op
            continue
        ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert ref == f"#/components/schemas/{bodies[name]}"
    resolve = paths["/api/v1/tickets/{number}/resolve"]["post"]["requestBody"]["content"]
    assert "photos" in resolve["multipart/form-data"]["schema"]["allOf"][1]["properties"]
    assert "/api/v1/tickets/{number}/{name}" not in paths
    assert schema["components"]["schemas"]["RespondIn"]["properties"]["method"]
