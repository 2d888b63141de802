"""The 吹哨报到 API: blow (JSON or multipart), list and read (scoped: a department sees only the
whistles that summoned it), report in, act, withdraw, release, confirm, rate both ways, the
supervision list of flags, and a department's monthly measures. Every endpoint: success,
validation error, unauthenticated, another scope's object, and a query-count bound."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from grassroots.tickets.models import EventKind, Ticket
from grassroots.whistles import services as w
from grassroots.whistles.models import (
    DepartmentRating,
    Flag,
    FlagKind,
    FlagState,
    Summons,
    SummonsState,
    Whistle,
    WhistleEvent,
    WhistlePhoto,
    WhistleRating,
    WhistleState,
)
from grassroots.whistles.selectors import find_summons, find_whistle
from tests.helpers import assert_masked, assert_not_found, fields, warm
from tests.tickets.conftest import png_bytes

URL = "/api/v1/whistles"
FLAGS = f"{URL}/flags"
LOCAL = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 24, 10, 0, tzinfo=LOCAL)  # a Tuesday
MS = timedelta(milliseconds=1)  # the JSON carries milliseconds
pytestmark = pytest.mark.django_db

# Roles the app is not for: 403 on every read, whatever they ask for.
OUTSIDE_ROLES = ("resident", "grid_worker_a", "building_head", "member_unit_contact",
                 "system_admin", "security_admin", "audit_admin")  # fmt: skip


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def post(client: Client, url: str, body: Any = None, **extra: Any) -> Any:
    return client.post(url, body if body is not None else {}, content_type="application/json",
                       **extra)  # fmt: skip


def error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body: dict[str, Any] = response.json()["error"]
    assert body["code"] == code
    return body


def forbidden(response: Any) -> str:
    return str(error(response, 403, "forbidden")["message"])


def unauthenticated(response: Any) -> None:
    error(response, 401, "not_authenticated")


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def png(name: str = "p.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), "image/png")


def body(city: Any, **change: Any) -> dict[str, Any]:
    return {
        "kind": "emergency",
        "reason": "emergency",
        "description": "东一1号楼下水管爆裂，路面积水。",
        "address": "东一1号楼下",
        "departments": [city.dept_district.pk, city.dept_s1.pk],
        **change,
    }


def summons_of(whistle: Whistle, department: Any) -> Summons:
    """A summons with its whistle loaded, as the services expect."""
    return find_summons(whistle.whistler, find_whistle(whistle.whistler, whistle.number),
                        department.pk)  # fmt: skip


def report_in(whistle: Whistle, department: Any, officer: Any) -> None:
    w.summons_report_in(actor=officer, summons=summons_of(whistle, department), mode="on_site",
                        commitment="30 分钟内到场抢修")  # fmt: skip


def state_of(whistle: Whistle, department: Any) -> str:
    return Summons.objects.get(whistle=whistle, department=department).state


def by_department(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["department"]["code"]: s for s in data["summonses"]}


@pytest.fixture
def lone(blow: Any, city: Any) -> Whistle:
    """A whistle summoning only the district's 城管委: out of sight of 东街道执法队."""
    return blow(departments=[city.dept_district.pk])  # type: ignore[no-any-return]


# --- POST /whistles ------------------------------------------------------------------------------


def test_a_street_leader_blows_a_whistle(cast: Any, city: Any, login: Any, clock: Any) -> None:
    response = post(login(cast.street_leader), URL, body(city))
    assert response.status_code == 201, response.content
    data = response.json()
    whistle = Whistle.objects.get()
    assert data["number"] == whistle.number and data["number"].startswith("WS-20261124-")
    assert (data["kind"], data["kind_label"]) == ("emergency", "应急哨")
    assert (data["reason"], data["reason_label"]) == ("emergency", "应急处置")
    assert (data["state"], data["state_label"]) == ("open", "进行中")
    assert data["area"] == {"id": city.s1.pk, "code": "S1", "name": "东街道"} == data["street"]
    assert data["whistler"] == cast.street_leader.display_name
    assert data["ticket"] is None and data["title"] == "东一1号楼下水管爆裂，路面积水。"
    summonses = by_department(data)
    assert list(summonses) == ["DCGW", "S1ZF"]
    for one in summonses.values():
        assert (one["state"], one["state_label"]) == ("summoned", "待报到")
        assert datetime.fromisoformat(one["report_by"]) == START + timedelta(minutes=30)
        assert one["reported_at"] is None and one["on_time"] is None and not one["is_late"]
        assert one["rating"] is None and one["whistle_rating"] is None
    assert [(e["kind"], e["label"]) for e in data["timeline"]] == [
        ("blown", "吹哨"), ("summoned", "召集部门"), ("summoned", "召集部门"),
    ]  # fmt: skip
    assert data["timeline"][1]["department"]["code"] == "DCGW"
    assert data["timeline"][0]["actor_label"] == cast.street_leader.display_name
    assert data["actions"] == {
        "confirm": True,
        "release": [city.dept_district.pk, city.dept_s1.pk],
        "rate_department": [], "report_in": [], "act": [], "withdraw": [], "rate_whistle": [],
    }  # fmt: skip
    assert Summons.objects.filter(whistle=whistle).count() == 2


def test_a_community_secretary_blows_on_a_ticket(
    cast: Any, city: Any, login: Any, submit: Any
) -> None:
    ticket = submit()
    response = post(
        login(cast.community_secretary),
        URL,
        body(city, kind="routine", reason="beyond_street", ticket=f" {ticket.number} ",
             departments=[city.dept_s1.pk]),
    )  # fmt: skip
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["ticket"] == ticket.number
    assert data["area"]["code"] == "S1C1" and data["street"]["code"] == "S1"
    assert data["title"] == ticket.category.name  # the default title on a ticket
    assert ticket.events.filter(kind=EventKind.WHISTLE).count() == 2  # blown, summoned
    assert_masked(response.content)


def test_a_ticket_out_of_sight_is_a_field_error(
    cast: Any, city: Any, login: Any, submit: Any
) -> None:
    west = submit(actor=cast.outsider, building=None)  # filed at the desk of street S2
    client = login(cast.street_leader)
    for number in (west.number, "GR-20200101-999999"):
        assert fields(post(client, URL, body(city, ticket=number))) == {
            "ticket": ["没有这张工单。"]
        }
    assert not Whistle.objects.exists()


def test_a_closed_ticket_is_refused(cast: Any, city: Any, login: Any, submit: Any,
                                    advance: Any) -> None:  # fmt: skip
    ticket = advance(submit(), "closed")
    response = post(login(cast.street_leader), URL, body(city, ticket=ticket.number))
    assert fields(response) == {"ticket": ["工单已办结或关闭，不能再为它吹哨。"]}


def test_one_department_may_be_given_alone(cast: Any, city: Any, login: Any) -> None:
    response = post(login(cast.street_leader), URL, body(city, departments=city.dept_s1.pk))
    assert response.status_code == 201, response.content
    assert [x["department"]["code"] for x in response.json()["summonses"]] == ["S1ZF"]


def test_blow_as_a_form_with_photos(cast: Any, city: Any, login: Any) -> None:
    client = login(cast.street_leader)
    form = {**body(city), "title": "", "photos": [png("a.png"), png("b.png")]}
    response = client.post(URL, form)
    assert response.status_code == 201, response.content
    data = response.json()
    assert len(data["summonses"]) == 2  # the repeated `departments` inputs
    rows = list(WhistlePhoto.objects.order_by("id"))
    assert [p["id"] for p in data["photos"]] == [r.pk for r in rows]
    assert data["photos"][0] == {
        "id": rows[0].pk,
        "url": reverse("whistles:photo", args=[rows[0].pk]),
        "content_type": "image/png",
        "width": 8,
        "height": 6,
    }
    assert data["timeline"][0]["photos"] == data["photos"]


def test_blow_with_a_file_that_is_not_an_image(cast: Any, city: Any, login: Any) -> None:
    fake = SimpleUploadedFile("p.png", b"GIF89a not really", "image/png")
    response = login(cast.street_leader).post(URL, {**body(city), "photos": [png(), fake]})
    assert fields(response) == {
        "photos": ["第 2 张不是可识别的图片，请上传 JPG、PNG 或 WebP 照片。"]
    }
    assert not Whistle.objects.exists() and not WhistlePhoto.objects.exists()


ELSEWHERE = "所选部门不存在、已停用或不在本区。"


def bad_blows(city: Any) -> list[tuple[dict[str, Any], dict[str, list[str]]]]:
    return [
        ({"kind": "loud"}, {"kind": ["不是可选的值。"]}),
        ({"reason": None}, {"reason": ["不是可选的值。"]}),
        ({"description": "  "}, {"description": ["请填写情况说明。"]}),
        ({"description": "长" * 2001}, {"description": ["情况说明不能超过 2000 个字。"]}),
        ({"address": "长" * 201}, {"address": ["地点不能超过 200 个字。"]}),
        ({"title": "长" * 101}, {"title": ["事项不能超过 100 个字。"]}),
        ({"departments": []}, {"departments": ["请至少选择一个要召集的部门。"]}),
        ({"departments": ["城管"]}, {"departments": ["部门选择有误。"]}),
        ({"departments": [None]}, {"departments": ["部门选择有误。"]}),
        ({"departments": [city.dept_s2.pk]}, {"departments": [ELSEWHERE]}),
        ({"departments": [999999]}, {"departments": [ELSEWHERE]}),
        ({"description": "", "address": ""},
         {"description": ["请填写情况说明。"], "address": ["请填写地点。"]}),
    ]  # fmt: skip


def test_bad_input_is_a_field_error_and_blows_nothing(cast: Any, city: Any, login: Any) -> None:
    client = login(cast.street_leader)
    for change, errors in bad_blows(city):
        assert fields(post(client, URL, body(city, **change))) == errors, change
    required = ("kind", "reason", "description", "address", "departments")
    assert fields(post(client, URL, {})) == {key: ["此项为必填项。"] for key in required}
    error(client.post(URL, "{not json", content_type="application/json"), 400,
          "validation_failed")  # fmt: skip
    assert not Whistle.objects.exists() and not Summons.objects.exists()


def test_only_a_street_leader_or_community_secretary_blows(
    cast: Any, city: Any, login: Any, officer_s1: Any
) -> None:
    for who in ("resident", "grid_worker_a", "building_head", "community_staff",
                "street_dispatcher", "department_officer", "member_unit_contact",
                "system_admin"):  # fmt: skip
        response = post(login(getattr(cast, who)), URL, body(city))
        assert forbidden(response) == "只有街道领导或社区书记可以吹哨。", who
    unauthenticated(post(Client(), URL, body(city)))
    unauthenticated(post(Client(), URL, body(city), HTTP_AUTHORIZATION="Bearer gr_nonsense"))
    assert not Whistle.objects.exists()


def test_a_whistler_in_another_street_cannot_summon_this_streets_department(
    city: Any, login: Any
) -> None:
    from grassroots.accounts.models import Role
    from tests.conftest import make_user

    west_leader = make_user(Role.STREET_LEADER, "s2_leader", areas=[city.s2])
    response = post(login(west_leader), URL, body(city))
    assert fields(response) == {"departments": ["所选部门不存在、已停用或不在本区。"]}


def test_blow_by_token_and_its_query_bound(
    cast: Any, city: Any, bearer: Any, django_assert_max_num_queries: Any
) -> None:
    headers = bearer(cast.street_leader)
    # Token (2); the whistler's unit, the departments; the whistle, its number, the
    # summonses, three events, the audit chain (3), the officers told (4), savepoints (4);
    # then the answer: whistle, summonses, events, photos, the actions' check for ratings.
    with django_assert_max_num_queries(26):
        response = post(Client(), URL, body(city), **headers)
    assert response.status_code == 201, response.content


# --- GET /whistles -------------------------------------------------------------------------------


def numbers(response: Any) -> list[str]:
    return [w["number"] for w in ok(response)["items"]]


def test_the_list_is_scoped(
    cast: Any, city: Any, login: Any, blow: Any, officer_s1: Any, department_head: Any
) -> None:
    both = blow()
    lone = blow(departments=[city.dept_district.pk])
    community = blow(actor=cast.community_secretary, departments=[city.dept_s1.pk])
    expected = {
        cast.street_leader: [community, lone, both],
        cast.street_dispatcher: [community, lone, both],
        cast.community_secretary: [community],
        cast.community_staff: [community],
        # A department sees only the whistles that summoned it.
        cast.department_officer: [lone, both],
        department_head: [lone, both],
        officer_s1: [community, both],
        cast.outsider: [],
    }
    for user, wanted in expected.items():
        assert numbers(login(user).get(URL)) == [x.number for x in wanted], user.username
    for who in OUTSIDE_ROLES:
        response = login(getattr(cast, who)).get(URL)
        assert forbidden(response) == "吹哨报到只对街道、社区和职能部门的工作人员开放。", who


def test_the_list_shows_each_departments_summons(
    cast: Any, city: Any, login: Any, blow: Any
) -> None:
    whistle = blow()
    report_in(whistle, city.dept_district, cast.department_officer)
    item = ok(login(cast.street_leader).get(URL))["items"][0]
    assert item["number"] == whistle.number and "timeline" not in item
    summonses = by_department(item)
    assert summonses["DCGW"]["state"] == "reported" and summonses["DCGW"]["on_time"] is True
    assert summonses["DCGW"]["reported_by"] == cast.department_officer.display_name
    assert (summonses["DCGW"]["report_mode"], summonses["DCGW"]["report_mode_label"]) == (
        "on_site", "到现场",
    )  # fmt: skip
    assert summonses["S1ZF"]["state"] == "summoned" and summonses["S1ZF"]["report_mode"] is None


def test_the_list_filters(cast: Any, city: Any, login: Any, blow: Any, submit: Any) -> None:
    ticket = submit()
    routine = blow(kind="routine", ticket=ticket)
    solved = blow()
    w.whistle_confirm(actor=cast.street_leader, whistle=find_whistle(cast.street_leader,
                                                                     solved.number))  # fmt: skip
    client = login(cast.street_leader)

    def query(q: str) -> list[str]:
        return numbers(client.get(f"{URL}?{q}"))

    assert query("state=open") == [routine.number]
    assert query("state=solved") == [solved.number]
    assert query("kind=routine") == [routine.number]
    assert query("kind=emergency&state=open") == []
    assert query(f"ticket={ticket.number}") == [routine.number]
    assert query("ticket=GR-20200101-000000") == []


BAD_PARAMETERS = [
    ("state=lost", "state"),
    ("kind=loud", "kind"),
    ("limit=0", "limit"),
    ("limit=501", "limit"),
    ("limit=ten", "limit"),
    ("cursor=not-a-cursor", "cursor"),
    ("cursor=" + base64.urlsafe_b64encode(b"2026-11-27T08:00:00|1").decode(), "cursor"),
]


def test_bad_list_parameters(cast: Any, login: Any) -> None:
    client = login(cast.street_leader)
    for query, field in BAD_PARAMETERS:
        assert list(fields(client.get(f"{URL}?{query}"))) == [field], query
    assert fields(client.get(f"{URL}?limit=501")) == {"limit": ["每页条数须在 1 至 500 之间。"]}


def test_the_list_needs_a_login(cast: Any, bearer: Any, blow: Any) -> None:
    unauthenticated(Client().get(URL))
    whistle = blow()
    assert numbers(Client().get(URL, **bearer(cast.department_officer))) == [whistle.number]


def test_the_cursor_walks_every_page_once(cast: Any, login: Any, blow: Any) -> None:
    made = [blow() for _ in range(5)]
    same = made[0].created_at - timedelta(hours=1)
    Whistle.objects.filter(pk__in=[x.pk for x in made[1:4]]).update(created_at=same)
    expected = list(Whistle.objects.order_by("-created_at", "-id").values_list("number", flat=True))
    client = login(cast.street_leader)
    seen: list[str] = []
    cursor, pages = "", 0
    while True:
        page = ok(client.get(URL, {"limit": 2, "cursor": cursor}))
        seen += [x["number"] for x in page["items"]]
        pages += 1
        if page["next_cursor"] is None:
            break
        cursor = page["next_cursor"]
    assert seen == expected and pages == 3


def test_the_list_costs_the_same_for_more_whistles(
    cast: Any, city: Any, login: Any, blow: Any, django_assert_max_num_queries: Any
) -> None:
    blow()
    for who in (cast.street_leader, cast.department_officer):
        client = warm(login(who))
        # session, user, TOTP check, scope (2), page, summonses
        with django_assert_max_num_queries(7):
            assert len(numbers(client.get(URL))) == 1
    for _ in range(4):
        whistle = blow()
        report_in(whistle, city.dept_district, cast.department_officer)
    for who in (cast.street_leader, cast.department_officer):
        client = warm(login(who))
        with django_assert_max_num_queries(7):
            assert len(numbers(client.get(URL))) == 5


# --- GET /whistles/{number} ----------------------------------------------------------------------


def test_the_detail_shows_summonses_timeline_and_actions(
    cast: Any, city: Any, login: Any, blow: Any, clock: Any
) -> None:
    whistle = blow()
    clock.shift(timedelta(minutes=12))
    report_in(whistle, city.dept_district, cast.department_officer)
    clock.shift(timedelta(minutes=30))  # 东街道执法队 is now late
    officer = login(cast.department_officer)
    data = ok(officer.get(f"{URL}/{whistle.number}"))
    assert data["description"] == "东一1号楼下水管爆裂，路面积水。" and data["solved_note"] == ""
    summonses = by_department(data)
    dcgw, s1zf = summonses["DCGW"], summonses["S1ZF"]
    assert dcgw["department"] == {"id": city.dept_district.pk, "code": "DCGW", "name": "区城管委"}
    assert datetime.fromisoformat(dcgw["reported_at"]) == START + timedelta(minutes=12)
    assert dcgw["commitment"] == "30 分钟内到场抢修" and dcgw["minutes_to_report"] == 12
    assert dcgw["on_time"] is True and dcgw["is_late"] is False
    assert s1zf["is_late"] is True and s1zf["on_time"] is None
    assert [e["kind"] for e in data["timeline"]] == ["blown", "summoned", "summoned",
                                                      "reported_in"]  # fmt: skip
    last = data["timeline"][-1]
    assert (last["label"], last["note"]) == ("报到", "到现场：30 分钟内到场抢修")
    assert last["department"]["code"] == "DCGW" and last["data"] == {"mode": "on_site",
                                                                      "late": False}  # fmt: skip
    assert datetime.fromisoformat(last["at"]) == START + timedelta(minutes=12)
    dept = city.dept_district.pk
    assert data["actions"] == {
        "confirm": False, "release": [], "rate_department": [], "report_in": [],
        "act": [dept], "withdraw": [dept], "rate_whistle": [dept],
    }  # fmt: skip
    leader = ok(login(cast.street_leader).get(f"{URL}/{whistle.number}"))
    assert leader["actions"] == {
        "confirm": True, "release": [dept, city.dept_s1.pk], "rate_department": [dept],
        "report_in": [], "act": [], "withdraw": [], "rate_whistle": [],
    }  # fmt: skip
    # The street's other staff read it and may do nothing on it.
    dispatcher = ok(login(cast.street_dispatcher).get(f"{URL}/{whistle.number}"))
    assert not dispatcher["actions"]["confirm"] and dispatcher["actions"]["release"] == []


def test_another_scopes_whistle_is_not_found(
    cast: Any, city: Any, login: Any, blow: Any, lone: Whistle, officer_s1: Any
) -> None:
    unknown = login(cast.street_leader).get(f"{URL}/WS-20200101-999999")
    assert_not_found(unknown)
    assert_not_found(login(officer_s1).get(f"{URL}/{lone.number}"))  # not summoned
    assert_not_found(login(cast.outsider).get(f"{URL}/{lone.number}"))
    community = blow(actor=cast.community_secretary, departments=[city.dept_s1.pk])
    assert ok(login(officer_s1).get(f"{URL}/{community.number}"))["number"] == community.number
    # A community sees its own whistles, not the street's.
    assert_not_found(login(cast.community_staff).get(f"{URL}/{lone.number}"))
    for who in OUTSIDE_ROLES:
        forbidden(login(getattr(cast, who)).get(f"{URL}/{lone.number}"))
    unauthenticated(Client().get(f"{URL}/{lone.number}"))


def test_the_detail_costs_the_same_for_a_longer_history(
    cast: Any, city: Any, login: Any, blow: Any, officer_s1: Any,
    django_assert_max_num_queries: Any,
) -> None:  # fmt: skip
    short = blow(departments=[city.dept_district.pk])
    long = blow(photos=[])
    report_in(long, city.dept_district, cast.department_officer)
    report_in(long, city.dept_s1, officer_s1)
    for note in ("已关阀", "已抽水", "已修复"):
        w.summons_action(actor=cast.department_officer,
                         summons=summons_of(long, city.dept_district), note=note)  # fmt: skip
    w.department_rate(actor=cast.street_leader, summons=summons_of(long, city.dept_district),
                      timeliness=5, attitude=5, result=4)  # fmt: skip
    w.whistle_rate(actor=officer_s1, summons=summons_of(long, city.dept_s1), necessary=True)
    for who in (cast.street_leader, cast.department_officer):
        client = warm(login(who))
        # session, user, TOTP check, scope (2), whistle, summonses (with ratings), events,
        # event photos, the actions' check for ratings
        with django_assert_max_num_queries(10):
            assert len(ok(client.get(f"{URL}/{short.number}"))["timeline"]) == 2
        with django_assert_max_num_queries(10):
            data = ok(client.get(f"{URL}/{long.number}"))
        assert len(data["timeline"]) == 10
    rated = by_department(data)
    assert rated["DCGW"]["rating"]["average"] == 4.67
    assert rated["S1ZF"]["whistle_rating"]["necessary"] is True


# --- POST /whistles/{number}/summons/{department}/report-in --------------------------------------


def summons_url(whistle: Whistle, department: Any, action: str) -> str:
    return f"{URL}/{whistle.number}/summons/{department.pk}/{action}"


REPORT = {"mode": "remote", "commitment": "今天下午派人到场"}


def test_a_department_reports_in(cast: Any, city: Any, login: Any, blow: Any, clock: Any) -> None:
    whistle = blow()
    clock.shift(timedelta(minutes=5))
    response = post(login(cast.department_officer),
                     summons_url(whistle, city.dept_district, "report-in"), REPORT)  # fmt: skip
    data = ok(response)
    mine = by_department(data)["DCGW"]
    assert (mine["state"], mine["state_label"]) == ("reported", "已报到")
    assert (mine["report_mode"], mine["report_mode_label"]) == ("remote", "远程对接")
    assert mine["commitment"] == "今天下午派人到场" and mine["on_time"] is True
    assert mine["reported_by"] == cast.department_officer.display_name
    assert data["timeline"][-1]["kind"] == "reported_in"
    assert data["actions"]["act"] == [city.dept_district.pk]
    assert state_of(whistle, city.dept_district) == SummonsState.REPORTED


def test_a_late_report_in_is_flagged(
    cast: Any, city: Any, login: Any, blow: Any, clock: Any
) -> None:
    whistle = blow()
    clock.shift(timedelta(minutes=45))
    data = ok(post(login(cast.department_officer),
                   summons_url(whistle, city.dept_district, "report-in"), REPORT))  # fmt: skip
    assert by_department(data)["DCGW"]["on_time"] is False
    assert Flag.objects.get().kind == FlagKind.LATE_REPORT_IN


def test_report_in_rejects_bad_input(cast: Any, city: Any, login: Any, blow: Any) -> None:
    whistle = blow()
    client = login(cast.department_officer)
    url = summons_url(whistle, city.dept_district, "report-in")
    for bad, errors in [
        ({"mode": "fly", "commitment": "马上到"}, {"mode": ["不是可选的值。"]}),
        ({"mode": "on_site", "commitment": " "}, {"commitment": ["请填写承诺事项。"]}),
        ({"mode": "on_site", "commitment": "长" * 501},
         {"commitment": ["承诺事项不能超过 500 个字。"]}),
        ({}, {"mode": ["此项为必填项。"], "commitment": ["此项为必填项。"]}),
    ]:  # fmt: skip
        assert fields(post(client, url, bad)) == errors, bad
    error(post(client, f"{URL}/{whistle.number}/summons/dcgw/report-in", REPORT), 400,
          "validation_failed")  # fmt: skip
    assert state_of(whistle, city.dept_district) == SummonsState.SUMMONED


def test_a_department_cannot_report_in_for_another(
    cast: Any, city: Any, login: Any, blow: Any
) -> None:
    whistle = blow()
    response = post(login(cast.department_officer),
                    summons_url(whistle, city.dept_s1, "report-in"), REPORT)  # fmt: skip
    assert forbidden(response) == "只有被召集部门的工作人员可以办理。"
    # The whistling side does not report in either.
    forbidden(post(login(cast.street_leader),
                   summons_url(whistle, city.dept_district, "report-in"), REPORT))  # fmt: skip
    assert state_of(whistle, city.dept_s1) == state_of(whistle, city.dept_district) == "summoned"


def test_report_in_out_of_scope_is_not_found(
    cast: Any, city: Any, login: Any, blow: Any, lone: Whistle, officer_s1: Any
) -> None:
    # 东街道执法队 was not summoned by `lone`: the whistle is out of its sight.
    assert_not_found(post(login(officer_s1), summons_url(lone, city.dept_s1, "report-in"), REPORT))
    assert_not_found(post(login(cast.outsider),
                          summons_url(lone, city.dept_district, "report-in"), REPORT))  # fmt: skip
    # A visible whistle, a department it did not summon.
    assert_not_found(post(login(cast.department_officer),
                          summons_url(lone, city.dept_s2, "report-in"), REPORT))  # fmt: skip
    assert_not_found(post(login(cast.department_officer),
                          f"{URL}/WS-20200101-000001/summons/1/report-in", REPORT))  # fmt: skip
    forbidden(post(login(cast.resident), summons_url(lone, city.dept_district, "report-in"),
                   REPORT))  # fmt: skip
    unauthenticated(post(Client(), summons_url(lone, city.dept_district, "report-in"), REPORT))
    assert state_of(lone, city.dept_district) == "summoned"


def test_report_in_after_release_or_twice_is_refused(
    cast: Any, city: Any, login: Any, blow: Any
) -> None:
    whistle = blow()
    w.summons_release(actor=cast.street_leader, summons=summons_of(whistle, city.dept_s1),
                      note="召集错了")  # fmt: skip
    officer = login(cast.department_officer)
    report_in(whistle, city.dept_district, cast.department_officer)
    again = error(post(officer, summons_url(whistle, city.dept_district, "report-in"), REPORT),
                  400, "wrong_state")  # fmt: skip
    assert again["message"] == "本部门已经报到。" and list(again["fields"]) == ["state"]
    from grassroots.accounts.models import Role
    from tests.conftest import make_user

    s1 = make_user(Role.DEPARTMENT_OFFICER, "s1_late", departments=[city.dept_s1])
    released = error(post(login(s1), summons_url(whistle, city.dept_s1, "report-in"), REPORT),
                     400, "wrong_state")  # fmt: skip
    assert released["message"] == "该召集当前为“已放行”，不能报到。"
    assert released["fields"] == {"state": ["当前状态不允许此操作。"]}
    assert state_of(whistle, city.dept_s1) == SummonsState.RELEASED


def test_report_in_query_bound(
    cast: Any, city: Any, login: Any, blow: Any, django_assert_max_num_queries: Any
) -> None:
    whistle = blow()
    client = warm(login(cast.department_officer))
    # session, user, TOTP check, scope (2), whistle, summonses; the service's writes (11);
    # then the answer: whistle, summonses, events, photos, the actions' check for ratings.
    with django_assert_max_num_queries(23):
        ok(post(client, summons_url(whistle, city.dept_district, "report-in"), REPORT))


# --- POST …/actions ------------------------------------------------------------------------------


def test_a_department_records_an_action(
    cast: Any, city: Any, login: Any, blow: Any, django_assert_max_num_queries: Any
) -> None:
    whistle = blow()
    report_in(whistle, city.dept_district, cast.department_officer)
    client = warm(login(cast.department_officer))
    url = summons_url(whistle, city.dept_district, "actions")
    with django_assert_max_num_queries(23):
        data = ok(post(client, url, {"note": "已关闭总阀"}))
    last = data["timeline"][-1]
    assert (last["kind"], last["label"], last["note"]) == ("action", "处置进展", "已关闭总阀")
    assert last["department"]["code"] == "DCGW"
    response = client.post(url, {"note": "已抽水", "photos": [png()]})
    event = ok(response)["timeline"][-1]
    photo = WhistlePhoto.objects.get()
    assert event["note"] == "已抽水" and event["photos"][0]["id"] == photo.pk
    assert photo.event_id == event["id"] and ok(response)["photos"] == []


def test_an_action_is_refused_before_report_in_or_without_a_note(
    cast: Any, city: Any, login: Any, blow: Any
) -> None:
    whistle = blow()
    client = login(cast.department_officer)
    url = summons_url(whistle, city.dept_district, "actions")
    early = error(post(client, url, {"note": "到了"}), 400, "wrong_state")
    assert early["message"] == "请先报到，再记录处置情况。"
    report_in(whistle, city.dept_district, cast.department_officer)
    assert fields(post(client, url, {"note": ""})) == {"note": ["请填写处置情况。"]}
    assert fields(post(client, url, {})) == {"note": ["此项为必填项。"]}
    no_body = client.post(url, "", content_type="application/json")
    assert fields(no_body) == {"note": ["此项为必填项。"]}
    fake = SimpleUploadedFile("p.jpg", b"%PDF-1.4", "image/jpeg")
    assert fields(client.post(url, {"note": "已抽水", "photos": [fake]})) == {
        "photos": ["第 1 张不是可识别的图片，请上传 JPG、PNG 或 WebP 照片。"]
    }
    assert not WhistleEvent.objects.filter(kind="action").exists()


def test_an_action_out_of_scope_or_side(
    cast: Any, city: Any, login: Any, blow: Any, lone: Whistle, officer_s1: Any
) -> None:
    report_in(lone, city.dept_district, cast.department_officer)
    url = summons_url(lone, city.dept_district, "actions")
    assert_not_found(post(login(officer_s1), url, {"note": "到了"}))
    assert_not_found(post(login(cast.outsider), url, {"note": "到了"}))
    forbidden(post(login(cast.street_leader), url, {"note": "到了"}))
    # The side is judged before any photo is read.
    forbidden(login(cast.street_leader).post(url, {"note": "到了", "photos": [png()]}))
    forbidden(post(login(cast.grid_worker_a), url, {"note": "到了"}))
    unauthenticated(post(Client(), url, {"note": "到了"}))
    assert not WhistleEvent.objects.filter(kind="action").exists()


# --- POST …/withdraw -----------------------------------------------------------------------------


def test_a_department_withdraws_and_is_flagged(
    cast: Any, city: Any, login: Any, blow: Any, django_assert_max_num_queries: Any
) -> None:
    whistle = blow()
    client = warm(login(cast.department_officer))
    url = summons_url(whistle, city.dept_district, "withdraw")
    assert fields(post(client, url, {"note": " "})) == {"note": ["请填写撤离原因。"]}
    with django_assert_max_num_queries(27):
        data = ok(post(client, url, {"note": "人手不够"}))
    mine = by_department(data)["DCGW"]
    assert (mine["state"], mine["state_label"]) == ("withdrawn", "擅自撤离")
    assert mine["close_note"] == "人手不够" and mine["closed_at"] is not None
    assert data["actions"]["withdraw"] == []
    flag = Flag.objects.get()
    assert (flag.kind, flag.department) == (FlagKind.WITHDRAWN, city.dept_district)
    again = error(post(client, url, {"note": "再撤"}), 400, "wrong_state")
    assert again["message"] == "该召集当前为“擅自撤离”，不能撤离。"


def test_withdraw_out_of_scope_or_side(
    cast: Any, city: Any, login: Any, lone: Whistle, officer_s1: Any
) -> None:
    url = summons_url(lone, city.dept_district, "withdraw")
    assert_not_found(post(login(officer_s1), url, {"note": "走了"}))
    assert_not_found(post(login(cast.outsider), url, {"note": "走了"}))
    forbidden(post(login(cast.street_leader), url, {"note": "走了"}))
    unauthenticated(post(Client(), url, {"note": "走了"}))
    assert state_of(lone, city.dept_district) == "summoned" and not Flag.objects.exists()


# --- POST …/release ------------------------------------------------------------------------------


def test_the_whistler_releases_a_department(
    cast: Any, city: Any, login: Any, blow: Any, django_assert_max_num_queries: Any
) -> None:
    whistle = blow()
    client = warm(login(cast.street_leader))
    url = summons_url(whistle, city.dept_s1, "release")
    assert fields(post(client, url, {"note": ""})) == {"note": ["请填写放行说明。"]}
    assert fields(post(client, url, {"note": "长" * 1001})) == {
        "note": ["放行说明不能超过 1000 个字。"]
    }
    with django_assert_max_num_queries(22):
        data = ok(post(client, url, {"note": "召集错了"}))
    mine = by_department(data)["S1ZF"]
    assert (mine["state"], mine["state_label"], mine["close_note"]) == (
        "released", "已放行", "召集错了",
    )  # fmt: skip
    assert data["actions"]["release"] == [city.dept_district.pk]
    assert data["timeline"][-1]["kind"] == "released" and not Flag.objects.exists()
    again = error(post(client, url, {"note": "再放"}), 400, "wrong_state")
    assert again["fields"] == {"state": ["当前状态不允许此操作。"]}


def test_release_out_of_scope_or_side(
    cast: Any, city: Any, login: Any, lone: Whistle, officer_s1: Any
) -> None:
    url = summons_url(lone, city.dept_district, "release")
    assert_not_found(post(login(cast.outsider), url, {"note": "走吧"}))
    assert_not_found(post(login(officer_s1), url, {"note": "走吧"}))
    assert forbidden(post(login(cast.department_officer), url, {"note": "走吧"})) == (
        "只有吹哨单位的领导可以办理。"
    )
    forbidden(post(login(cast.street_dispatcher), url, {"note": "走吧"}))
    unauthenticated(post(Client(), url, {"note": "走吧"}))
    assert state_of(lone, city.dept_district) == "summoned"


# --- POST /whistles/{number}/confirm -------------------------------------------------------------


def test_the_whistler_confirms_the_problem_solved(
    cast: Any, city: Any, login: Any, blow: Any, clock: Any, django_assert_max_num_queries: Any
) -> None:
    whistle = blow()
    report_in(whistle, city.dept_district, cast.department_officer)
    clock.shift(timedelta(hours=1))  # 东街道执法队 never came
    client = warm(login(cast.street_leader))
    url = f"{URL}/{whistle.number}/confirm"
    assert fields(post(client, url, {"note": "长" * 1001})) == {
        "note": ["确认说明不能超过 1000 个字。"]
    }
    with django_assert_max_num_queries(31):
        data = ok(post(client, url, {}))
    assert (data["state"], data["state_label"]) == ("solved", "已解决")
    assert datetime.fromisoformat(data["solved_at"]) == START + timedelta(hours=1)
    summonses = by_department(data)
    assert summonses["DCGW"]["state"] == "confirmed" and summonses["S1ZF"]["state"] == "released"
    assert Flag.objects.get().kind == FlagKind.NO_SHOW
    assert data["actions"]["confirm"] is False
    assert data["actions"]["rate_department"] == [city.dept_district.pk, city.dept_s1.pk]
    again = error(post(client, url, {"note": "再确认"}), 400, "wrong_state")
    assert again["message"] == "这次吹哨已确认解决。"


def test_confirm_with_a_note(cast: Any, login: Any, blow: Any) -> None:
    whistle = blow()
    data = ok(post(login(cast.street_leader), f"{URL}/{whistle.number}/confirm",
                   {"note": "积水已排净"}))  # fmt: skip
    assert data["solved_note"] == "积水已排净" and data["timeline"][-1]["note"] == "积水已排净"


def test_confirm_without_a_body(cast: Any, login: Any, blow: Any) -> None:
    whistle = blow()
    client = login(cast.street_leader)
    data = ok(client.post(f"{URL}/{whistle.number}/confirm"))
    assert data["state"] == "solved" and data["solved_note"] == ""
    other = blow()
    data = ok(client.post(f"{URL}/{other.number}/confirm", "", content_type="application/json"))
    assert data["state"] == "solved"


def test_confirm_out_of_scope_or_side(
    cast: Any, login: Any, lone: Whistle, officer_s1: Any
) -> None:
    url = f"{URL}/{lone.number}/confirm"
    assert_not_found(post(login(cast.outsider), url, {}))
    assert_not_found(post(login(officer_s1), url, {}))
    forbidden(post(login(cast.department_officer), url, {}))
    assert_not_found(post(login(cast.community_staff), url, {}))  # a community's scope
    forbidden(post(login(cast.street_dispatcher), url, {}))  # sees it, is not the whistler
    forbidden(post(login(cast.resident), url, {}))
    unauthenticated(post(Client(), url, {}))
    lone.refresh_from_db()
    assert lone.state == WhistleState.OPEN


# --- POST /whistles/{number}/ratings -------------------------------------------------------------


def test_the_whistler_rates_a_department(
    cast: Any, city: Any, login: Any, blow: Any, django_assert_max_num_queries: Any
) -> None:
    whistle = blow()
    report_in(whistle, city.dept_district, cast.department_officer)
    client = warm(login(cast.street_leader))
    url = f"{URL}/{whistle.number}/ratings"
    rating = {"department": city.dept_district.pk, "timeliness": 5, "attitude": 4, "result": 4,
              "comment": "到得快"}  # fmt: skip
    with django_assert_max_num_queries(23):
        data = ok(post(client, url, rating))
    mine = by_department(data)["DCGW"]["rating"]
    assert {k: mine[k] for k in ("timeliness", "attitude", "result", "average", "comment")} == {
        "timeliness": 5, "attitude": 4, "result": 4, "average": 4.33, "comment": "到得快",
    }  # fmt: skip
    assert data["actions"]["rate_department"] == []
    assert data["timeline"][-1]["kind"] == "rated_department"
    repeated = error(post(client, url, {**rating, "timeliness": 1}), 409, "already_rated")
    assert repeated["message"] == "已经评价过这个部门。"
    assert DepartmentRating.objects.get().timeliness == 5


def test_a_rating_outside_one_to_five_is_refused(
    cast: Any, city: Any, login: Any, blow: Any
) -> None:
    whistle = blow()
    report_in(whistle, city.dept_district, cast.department_officer)
    client = login(cast.street_leader)
    url = f"{URL}/{whistle.number}/ratings"
    good = {"department": city.dept_district.pk, "timeliness": 5, "attitude": 4, "result": 4}
    for bad, errors in [
        ({"timeliness": 0}, {"timeliness": ["评分须在 1 到 5 分之间。"]}),
        ({"attitude": 6, "result": -1},
         {"attitude": ["评分须在 1 到 5 分之间。"], "result": ["评分须在 1 到 5 分之间。"]}),
        ({"result": None}, {"result": ["请打 1 到 5 分。"]}),
        ({"result": "好"}, {"result": ["须为整数。"]}),
        ({"comment": "长" * 1001}, {"comment": ["评语不能超过 1000 个字。"]}),
        ({"department": None}, {"department": ["请选择要评价的部门。"]}),
        ({"department": city.dept_s2.pk}, {"department": ["这次吹哨没有召集这个部门。"]}),
    ]:  # fmt: skip
        assert fields(post(client, url, {**good, **bad})) == errors, bad
    early = error(post(client, url, {**good, "department": city.dept_s1.pk}), 400, "wrong_state")
    assert early["message"] == "部门尚未报到，暂不能评价；可先放行或等待报到。"
    assert not DepartmentRating.objects.exists()


def test_a_department_rates_the_whistle(
    cast: Any, city: Any, login: Any, blow: Any, officer_s1: Any
) -> None:
    whistle = blow()
    url = f"{URL}/{whistle.number}/ratings"
    officer = login(officer_s1)
    assert fields(post(officer, url, {})) == {"necessary": ["请选择这次吹哨是否确有必要。"]}
    assert fields(post(officer, url, {"necessary": False})) == {"comment": ["请填写说明。"]}
    assert fields(post(officer, url, {"necessary": "perhaps"})) == {"necessary": ["须为是或否。"]}
    data = ok(post(officer, url, {"necessary": False, "comment": "物业自己能修"}))
    mine = by_department(data)["S1ZF"]["whistle_rating"]
    assert (mine["necessary"], mine["comment"]) == (False, "物业自己能修")
    assert data["actions"]["rate_whistle"] == []
    assert data["timeline"][-1]["note"] == "没有必要：物业自己能修"
    repeated = error(post(officer, url, {"necessary": True}), 409, "already_rated")
    assert repeated["message"] == "本部门已经评价过这次吹哨。"
    # Naming another summoned department is not a way round it.
    forbidden(post(officer, url, {"necessary": True, "department": city.dept_district.pk}))
    assert WhistleRating.objects.count() == 1


def test_an_officer_of_two_summoned_departments_names_one(city: Any, login: Any, blow: Any) -> None:
    from grassroots.accounts.models import Role
    from tests.conftest import make_user

    both = make_user(Role.DEPARTMENT_OFFICER, "both",
                     departments=[city.dept_district, city.dept_s1])  # fmt: skip
    whistle = blow()
    client = login(both)
    url = f"{URL}/{whistle.number}/ratings"
    assert fields(post(client, url, {"necessary": True})) == {
        "department": ["您属于几个被召集的部门，请选择以哪个部门评价。"]
    }
    data = ok(post(client, url, {"necessary": True, "department": city.dept_s1.pk}))
    assert by_department(data)["S1ZF"]["whistle_rating"]["necessary"] is True
    assert by_department(data)["DCGW"]["whistle_rating"] is None


def test_ratings_out_of_scope_or_side(
    cast: Any, city: Any, login: Any, lone: Whistle, officer_s1: Any
) -> None:
    url = f"{URL}/{lone.number}/ratings"
    rating = {"department": city.dept_district.pk, "timeliness": 5, "attitude": 5, "result": 5}
    assert_not_found(post(login(cast.outsider), url, rating))
    assert_not_found(post(login(officer_s1), url, {"necessary": True}))
    assert forbidden(post(login(cast.street_dispatcher), url, rating)) == (
        "只有吹哨单位的领导或被召集部门的工作人员可以评价。"
    )
    forbidden(post(login(cast.resident), url, rating))
    unauthenticated(post(Client(), url, rating))
    assert not DepartmentRating.objects.exists() and not WhistleRating.objects.exists()


# --- GET /whistles/flags, POST /whistles/flags/{id}/clear ----------------------------------------


@pytest.fixture
def flagged(cast: Any, city: Any, blow: Any) -> Flag:
    """区城管委 left a whistle without the whistler's confirmation."""
    whistle = blow()
    summons = summons_of(whistle, city.dept_district)
    w.summons_withdraw(actor=cast.department_officer, summons=summons, note="人手不够")
    return Flag.objects.get()


def flag_ids(response: Any) -> list[int]:
    return [f["id"] for f in ok(response)["items"]]


def test_the_supervision_list(
    cast: Any, city: Any, login: Any, flagged: Flag, officer_s1: Any, department_head: Any
) -> None:
    leader = login(cast.street_leader)
    data = ok(leader.get(FLAGS))
    item = data["items"][0]
    assert data["next_cursor"] is None
    assert (item["kind"], item["kind_label"]) == ("withdrawn", "未经确认撤离")
    assert (item["state"], item["state_label"]) == ("open", "待处理")
    assert item["department"]["code"] == "DCGW" and item["street"]["code"] == "S1"
    assert item["whistle"] == flagged.summons.whistle.number and item["ticket"] is None
    assert "人手不够" in item["detail"] and item["cleared_by"] is None
    # The department sees its own flags; another department and another street see none.
    assert flag_ids(login(department_head).get(FLAGS)) == [flagged.pk]
    assert flag_ids(login(officer_s1).get(FLAGS)) == []
    assert flag_ids(login(cast.outsider).get(FLAGS)) == []
    assert flag_ids(leader.get(f"{FLAGS}?state=cleared")) == []
    assert flag_ids(leader.get(f"{FLAGS}?state=all")) == [flagged.pk]
    assert fields(leader.get(f"{FLAGS}?state=gone")) == {"state": ["不是可选的值。"]}
    assert list(fields(leader.get(f"{FLAGS}?limit=0"))) == ["limit"]
    for who in OUTSIDE_ROLES:
        forbidden(login(getattr(cast, who)).get(FLAGS))
    unauthenticated(Client().get(FLAGS))


def test_the_supervision_list_costs_the_same_for_more_flags(
    cast: Any, city: Any, login: Any, blow: Any, flagged: Flag, django_assert_max_num_queries: Any
) -> None:
    client = warm(login(cast.street_leader))
    # session, user, TOTP check, scope (2), page
    with django_assert_max_num_queries(6):
        assert len(flag_ids(client.get(FLAGS))) == 1
    for _ in range(3):
        whistle = blow()
        summons = summons_of(whistle, city.dept_district)
        w.summons_withdraw(actor=cast.department_officer, summons=summons, note="走了")
    w.flag_clear(actor=cast.street_leader, flag=flagged, note="已约谈")
    with django_assert_max_num_queries(6):
        assert len(flag_ids(client.get(f"{FLAGS}?state=all"))) == 4


def test_a_street_leader_clears_a_flag(
    cast: Any, login: Any, flagged: Flag, django_assert_max_num_queries: Any
) -> None:
    client = warm(login(cast.street_leader))
    url = f"{FLAGS}/{flagged.pk}/clear"
    assert fields(post(client, url, {"note": ""})) == {"note": ["请填写核查说明。"]}
    assert fields(post(client, url, {})) == {"note": ["此项为必填项。"]}
    with django_assert_max_num_queries(15):
        data = ok(post(client, url, {"note": "已约谈，部门负责人作出说明"}))
    assert (data["state"], data["state_label"]) == ("cleared", "已核查")
    assert data["cleared_by"] == cast.street_leader.display_name
    assert data["clear_note"] == "已约谈，部门负责人作出说明" and data["cleared_at"] is not None
    again = error(post(client, url, {"note": "再核查"}), 409, "conflict")
    assert again["message"] == "该记录已核查。"
    assert flag_ids(client.get(f"{FLAGS}?state=cleared")) == [flagged.pk]
    flagged.refresh_from_db()
    assert flagged.state == FlagState.CLEARED


def test_clearing_a_flag_out_of_scope_or_role(
    cast: Any, login: Any, flagged: Flag, officer_s1: Any
) -> None:
    url = f"{FLAGS}/{flagged.pk}/clear"
    note = {"note": "已核查"}
    assert_not_found(post(login(cast.outsider), url, note))
    assert_not_found(post(login(officer_s1), url, note))
    assert_not_found(post(login(cast.street_leader), f"{FLAGS}/999999/clear", note))
    # The supervision list is the street leader's: the dispatcher does not see the flag at all.
    assert_not_found(post(login(cast.street_dispatcher), url, note))
    # The department concerned sees its own flag, and may not clear it.
    assert forbidden(post(login(cast.department_officer), url, note)) == (
        "只有街道领导可以核查推诿扯皮记录。"
    )
    forbidden(post(login(cast.resident), url, note))
    unauthenticated(post(Client(), url, note))
    flagged.refresh_from_db()
    assert flagged.state == FlagState.OPEN


# --- GET /departments/{id}/measures --------------------------------------------------------------


def measures_url(department: Any, month: str = "") -> str:
    return f"/api/v1/departments/{department.pk}/measures" + (f"?month={month}" if month else "")


def test_a_departments_measures(
    cast: Any, city: Any, login: Any, blow: Any, officer_s1: Any, clock: Any,
    django_assert_max_num_queries: Any,
) -> None:  # fmt: skip
    first = blow()
    clock.shift(timedelta(minutes=10))
    report_in(first, city.dept_district, cast.department_officer)
    second = blow(departments=[city.dept_district.pk])
    clock.shift(timedelta(hours=1))  # the second one's deadline has passed
    w.whistle_confirm(actor=cast.street_leader, whistle=find_whistle(cast.street_leader,
                                                                     first.number))  # fmt: skip
    w.department_rate(actor=cast.street_leader, summons=summons_of(first, city.dept_district),
                      timeliness=5, attitude=4, result=3)  # fmt: skip
    assert second.state == WhistleState.OPEN
    client = warm(login(cast.department_officer))
    # session, user, TOTP check, scope (2), department, counts, minutes, ratings, flags
    with django_assert_max_num_queries(10):
        data = ok(client.get(measures_url(city.dept_district, "2026-11")))
    assert data == {
        "department_id": city.dept_district.pk, "code": "DCGW", "name": "区城管委",
        "month": "2026-11", "received": 2, "due": 2, "on_time": 1, "reported": 1,
        "on_time_rate": 0.5, "minutes_to_report": 10.0, "ended": 1, "solved": 1,
        "solved_share": 1.0, "ratings": 1, "rating": 4.0, "flags": 0,
    }  # fmt: skip
    this_month = ok(client.get(measures_url(city.dept_district)))
    assert this_month["month"] == "2026-11" and this_month["received"] == 2
    october = ok(client.get(measures_url(city.dept_district, "2026-10")))
    assert october["received"] == 0 and october["on_time_rate"] is None
    # The street reads the departments serving it; 东街道执法队 was a no-show, flagged.
    s1 = ok(login(cast.street_leader).get(measures_url(city.dept_s1, "2026-11")))
    assert (s1["received"], s1["due"], s1["on_time"], s1["flags"]) == (1, 1, 0, 1)
    assert ok(login(officer_s1).get(measures_url(city.dept_s1)))["code"] == "S1ZF"


def test_measures_reject_a_bad_month(cast: Any, city: Any, login: Any, clock: Any) -> None:
    client = login(cast.street_leader)
    for month, message in [
        ("2026-13", "月份格式应为 YYYY-MM，如 2026-10。"),
        ("11/2026", "月份格式应为 YYYY-MM，如 2026-10。"),
        ("2026-12", "不能查询尚未开始的月份。"),
    ]:
        assert fields(client.get(measures_url(city.dept_district, month))) == {"month": [message]}
    assert list(fields(client.get("/api/v1/departments/dcgw/measures"))) == ["department_id"]


def test_measures_of_a_department_out_of_sight(
    cast: Any, city: Any, login: Any, officer_s1: Any
) -> None:
    assert_not_found(login(cast.department_officer).get(measures_url(city.dept_s1)))
    assert_not_found(login(officer_s1).get(measures_url(city.dept_district)))
    assert_not_found(login(cast.street_leader).get(measures_url(city.dept_s2)))
    assert_not_found(login(cast.outsider).get(measures_url(city.dept_s1)))
    assert_not_found(login(cast.street_leader).get("/api/v1/departments/999999/measures"))
    for who in OUTSIDE_ROLES:
        forbidden(login(getattr(cast, who)).get(measures_url(city.dept_district)))
    unauthenticated(Client().get(measures_url(city.dept_district)))


# --- OpenAPI -------------------------------------------------------------------------------------

ENDPOINTS = {
    ("post", "/api/v1/whistles"): {"201", "400", "401", "403", "404"},
    ("get", "/api/v1/whistles"): {"200", "400", "401", "403"},
    ("get", "/api/v1/whistles/flags"): {"200", "400", "401", "403"},
    ("post", "/api/v1/whistles/flags/{flag_id}/clear"): {"200", "400", "401", "403", "404", "409"},
    ("get", "/api/v1/whistles/{number}"): {"200", "401", "403", "404"},
    **{
        ("post", f"/api/v1/whistles/{{number}}/summons/{{department}}/{name}"): {
            "200", "400", "401", "403", "404", "409",
        }
        for name in ("report-in", "actions", "withdraw", "release")
    },
    ("post", "/api/v1/whistles/{number}/confirm"): {"200", "400", "401", "403", "404", "409"},
    ("post", "/api/v1/whistles/{number}/ratings"): {"200", "400", "401", "403", "404", "409"},
    ("get", "/api/v1/departments/{department_id}/measures"): {"200", "400", "401", "403", "404"},
}  # fmt: skip


def test_the_openapi_schema_documents_every_endpoint(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for (method, path), statuses in ENDPOINTS.items():
        op = paths[path][method]
        assert op["summary"] and op["description"], path
        assert set(op["responses"]) == statuses, path
        for status in statuses - {"200", "201"}:
            assert op["responses"][status]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorOut"
            }, (path, status)
    blow = paths["/api/v1/whistles"]["post"]["requestBody"]["content"]
    assert set(blow) == {"application/json", "multipart/form-data"}
    assert "photos" in blow["multipart/form-data"]["schema"]["allOf"][1]["properties"]
    assert paths["/api/v1/whistles/{number}/confirm"]["post"]["requestBody"]["required"] is False
    rating = schema["components"]["schemas"]["WhistleRatingIn"]["properties"]
    assert rating["timeliness"]["minimum"] == 1 and rating["timeliness"]["maximum"] == 5
    assert {p["name"] for p in paths["/api/v1/whistles"]["get"]["parameters"]} >= {
        "state", "kind", "ticket", "cursor", "limit",
    }  # fmt: skip


def test_a_whistle_on_a_ticket_is_read_through_the_ticket_too(
    cast: Any, city: Any, login: Any, blow: Any, submit: Any
) -> None:
    ticket = submit()
    whistle = blow(ticket=ticket)
    report_in(whistle, city.dept_district, cast.department_officer)
    data = ok(login(cast.street_leader).get(f"{URL}?ticket={ticket.number}"))
    assert [x["ticket"] for x in data["items"]] == [ticket.number]
    detail = ok(login(cast.street_dispatcher).get(f"/api/v1/tickets/{ticket.number}"))
    assert [e["kind"] for e in detail["timeline"]].count("whistle") == 4
    assert Ticket.objects.get().whistles.get() == whistle
