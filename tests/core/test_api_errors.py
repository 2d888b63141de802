"""What the API cannot take is a field error in the one error shape, never a 500: the field it is
about (not an index in a list), a message in Chinese with the limit that was passed; pages past
any list, text holding a NUL character (PostgreSQL refuses it) and the ends of the calendar."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client, RequestFactory
from ninja.errors import ValidationError as NinjaValidationError

from grassroots.api import api
from grassroots.core.api import MAX_OFFSET, error_field
from tests.helpers import assert_not_found, fields
from tests.tickets.conftest import catalogue  # noqa: F401  (the seeded categories)


def answer(*errors: dict[str, Any]) -> dict[str, Any]:
    """What the API answers for these errors of pydantic's, as Ninja reports them."""
    request = RequestFactory().get("/api/v1/areas")
    response = api.on_exception(request, NinjaValidationError(list(errors)))
    assert response.status_code == 400
    body: dict[str, Any] = json.loads(response.content)["error"]
    assert (body["code"], body["message"]) == (
        "validation_failed",
        "提交的内容有误，请检查后再试。",
    )
    return body["fields"]


def test_an_error_in_a_list_item_is_on_the_list_field() -> None:
    assert answer(
        {"loc": ("body", "payload", "departments", 0), "type": "int_parsing", "msg": "x"},
        {"loc": ("body", "payload", "departments", 2), "type": "int_parsing", "msg": "x"},
    ) == {"departments": ["须为整数。"]}  # said once for both items


def test_an_error_in_a_union_member_is_on_the_field() -> None:
    assert answer(
        {"loc": ("body", "payload", "ticket", "str"), "type": "string_type", "msg": "x"},
        {"loc": ("query", "limit"), "type": "int_parsing", "msg": "x"},
    ) == {"ticket": ["须为文字。"], "limit": ["须为整数。"]}


@pytest.mark.parametrize(
    ("loc", "field"),
    [
        (("body", "payload", "note"), "note"),
        (("query", "limit"), "limit"),
        (("path", "area_id"), "area_id"),
        (("body", "payload", "departments", 0), "departments"),
        (("body", "payload", 3, "name"), "name"),
        (("body", "payload"), "__all__"),
        ((), "__all__"),
    ],
)
def test_error_field(loc: tuple[Any, ...], field: str) -> None:
    assert error_field(loc) == field


@pytest.mark.parametrize(
    ("kind", "context", "message"),
    [
        ("list_type", {}, "须为列表。"),
        ("greater_than", {"gt": 0}, "须大于 0。"),
        ("greater_than_equal", {"ge": 1}, "不能小于 1。"),
        ("less_than", {"lt": 10}, "须小于 10。"),
        ("less_than_equal", {"le": 500}, "不能大于 500。"),
        ("too_long", {"max_length": 5}, "项数过多。"),
        ("int_from_float", {}, "须为整数。"),
        ("finite_number", {}, "须为有限的数字。"),
        ("datetime_parsing", {"error": "x"}, "须为日期时间，如 2026-11-27T09:30:00+08:00。"),
        ("value_error", {"error": "请选择部门。"}, "请选择部门。"),
    ],
)
def test_pydantic_errors_read_in_chinese(kind: str, context: dict[str, Any], message: str) -> None:
    error = {"loc": ("body", "payload", "x"), "type": kind, "msg": "English", "ctx": context}
    assert answer(error) == {"x": [message]}


def test_an_unknown_error_keeps_pydantics_words() -> None:
    assert answer(
        {"loc": ("query", "x"), "type": "uuid_parsing", "msg": "Input should be a UUID"}
    ) == {"x": ["Input should be a UUID"]}


# --- through real requests -----------------------------------------------------------------------

LISTS = [
    "/api/v1/areas",
    "/api/v1/departments",
    "/api/v1/households",
    "/api/v1/residents",
    "/api/v1/party-orgs",
    "/api/v1/members",
    "/api/v1/member-units",
]


@pytest.mark.parametrize("url", LISTS)
def test_a_page_beyond_any_list_is_a_field_error_not_a_server_error(
    cast: Any, login: Any, url: str
) -> None:
    # Found by the fuzzer: an offset past a 64-bit integer reached the database (500).
    client = login(cast.street_dispatcher)
    assert fields(client.get(f"{url}?offset=13556857364553572286464")) == {
        "offset": [f"不能大于 {MAX_OFFSET}。"]
    }
    assert client.get(f"{url}?offset={MAX_OFFSET}").json()["items"] == []


def test_the_page_bounds_are_named_with_their_limits(cast: Any, login: Any) -> None:
    client = login(cast.street_dispatcher)
    assert fields(client.get("/api/v1/areas?limit=0&offset=-1")) == {
        "limit": ["不能小于 1。"],
        "offset": ["不能小于 0。"],
    }
    assert fields(client.get("/api/v1/areas?limit=501")) == {"limit": ["不能大于 500。"]}
    assert fields(client.get("/api/v1/areas?limit=2.5&parent=x")) == {
        "limit": ["须为整数。"],
        "parent": ["须为整数。"],
    }


def test_an_id_that_does_not_parse_is_a_field_error(cast: Any, login: Any) -> None:
    client = login(cast.street_dispatcher)
    assert fields(client.get("/api/v1/areas/1.5")) == {"area_id": ["须为整数。"]}
    assert fields(client.delete("/api/v1/auth/tokens/x")) == {"token_id": ["须为整数。"]}


def test_an_unsafe_request_without_a_token_meets_the_csrf_check(cast: Any) -> None:
    """Why every POST and DELETE declares 403: without a valid token the browser session is
    tried, and it is CSRF-checked first, whether or not there is a session."""
    client = Client(enforce_csrf_checks=True)
    for _session in ("none", "the street leader's, without its CSRF token"):
        response = client.post("/api/v1/whistles", {}, content_type="application/json")
        assert response.status_code == 403
        assert response.json() == {
            "error": {
                "code": "csrf_failed",
                "message": "CSRF 校验失败，请刷新页面后重试。",
                "fields": {},
            }
        }
        client.force_login(cast.street_leader)


# --- the NUL character: PostgreSQL refuses it (a 500), so the API does first ---------------------

NUL_QUERIES = [
    ("/api/v1/categories?q=a%00b", "q"),
    ("/api/v1/tickets?category=a%00b", "category"),
    ("/api/v1/tickets?unit=a%00b", "unit"),
    ("/api/v1/whistles?ticket=a%00b", "ticket"),
    ("/api/v1/rates?unit=a%00b", "unit"),
    ("/api/v1/rates?month=2026-11%00", "month"),
]


@pytest.mark.parametrize(("url", "field"), NUL_QUERIES)
def test_a_nul_in_a_query_is_a_field_error(cast: Any, login: Any, url: str, field: str) -> None:
    response = login(cast.street_leader).get(url)
    assert fields(response) == {field: ["含有无效的字符。"]}


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/auth/token", {"username": "s1_leader\x00", "password": "x"}, "username"),
        ("/api/v1/tickets", {"category": "0101", "description": "水管\x00漏水"}, "description"),
        ("/api/v1/tickets", {"category": "01\x0001", "description": "水管漏水"}, "category"),
        ("/api/v1/tickets/GR-20261127-000001/dispatch", {"to": "S1\x00"}, "to"),
        ("/api/v1/tickets/GR-20261127-000001/merge", {"into": "GR-\x00"}, "into"),
        (
            "/api/v1/whistles",
            {
                "kind": "emergency",
                "reason": "emergency",
                "description": "积水",
                "address": "东一",
                "departments": ["1\x00"],
            },
            "departments",
        ),
    ],
)
def test_a_nul_in_a_body_is_a_field_error(
    cast: Any, login: Any, url: str, body: dict[str, Any], field: str
) -> None:
    response = login(cast.street_leader).post(url, body, content_type="application/json")
    assert fields(response) == {field: ["含有无效的字符。"]}


def test_a_nul_in_a_form_or_a_header_is_a_field_error(cast: Any, login: Any) -> None:
    client = login(cast.street_leader)
    form = {"category": "0101", "description": "水管\x00漏水", "building": "S1C1GAB1"}
    assert fields(client.post("/api/v1/tickets", form)) == {"description": ["含有无效的字符。"]}
    response = client.post(
        "/api/v1/tickets",
        {"category": "0101", "description": "水管漏水", "building": "S1C1GAB1"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k\x00",
    )
    assert fields(response) == {"Idempotency-Key": ["含有无效的字符。"]}


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/tickets/GR%00",
        "/api/v1/whistles/WS%00",
    ],
)
def test_a_nul_in_a_number_names_nothing(cast: Any, login: Any, url: str) -> None:
    assert_not_found(login(cast.street_leader).get(url))
    assert_not_found(login(cast.street_leader).post(f"{url}/confirm", {}, "application/json"))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("created_after=0001-01-01", "不能小于 0001-01-02。"),
        ("created_before=9999-12-31", "不能大于 9999-12-30。"),
    ],
)
def test_the_ends_of_the_calendar_are_a_field_error(
    cast: Any, login: Any, query: str, message: str
) -> None:
    # Were a 500: the day's start in UTC, or the day after, is no date.
    client = login(cast.street_dispatcher)
    field = query.split("=")[0]
    assert fields(client.get(f"/api/v1/tickets?{query}")) == {field: [message]}
    inside = client.get("/api/v1/tickets?created_after=0001-01-02&created_before=9999-12-30")
    assert inside.status_code == 200
