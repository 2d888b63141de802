"""Open311 service requests: filed with an api_key through the same service as every other
channel, read back without personal data, in JSON (checked against the spec's schemas) and
XML; every bad input is a spec-conformant error that creates nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import jsonschema
import pytest
from defusedxml import ElementTree
from django.test import Client
from django.utils import timezone

from grassroots.core.models import AuditEntry
from grassroots.tickets import services as s
from grassroots.tickets.models import Channel, Ticket, TicketState
from grassroots.tickets.open311.keys import client_issue, client_revoke

from .schemas import ERRORS, POSTED, REQUESTS, TOKENS

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"
INSIDE_A = {"lat": "39.905", "long": "116.305"}  # in grid A of 东街道


@pytest.fixture
def key(cast: Any, city: Any) -> tuple[Any, str]:
    return client_issue(actor=cast.security_admin, name="市12345热线", streets=[city.s1])


def post(raw: str, city: Any, fmt: str = "json", **fields: Any) -> Any:
    data = {
        "api_key": raw,
        "jurisdiction_id": city.s1.code,
        "service_code": "0101",
        "description": "小区门口垃圾三天没人清运。",
        **INSIDE_A,
        **fields,
    }
    data = {k: v for k, v in data.items() if v is not None}
    return Client().post(f"{BASE}/requests.{fmt}", data)


def get(path: str, **params: Any) -> Any:
    return Client().get(f"{BASE}/{path}", params)


def errors(response: Any, status: int) -> list[str]:
    assert response.status_code == status, response.content
    body = response.json()
    jsonschema.validate(body, ERRORS)
    assert all(e["code"] == status for e in body)
    return [e["description"] for e in body]


def test_filing_a_request(key: tuple[Any, str], city: Any, cast: Any) -> None:
    client, raw = key
    response = post(
        raw,
        city,
        first_name="小明",
        last_name="王",
        phone="13912345678",
        email="wang@example.org",
        device_id="dev-1",
        account_id="acc-42",
        media_url="https://img.example.org/a.jpg",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    jsonschema.validate(body, POSTED)
    (answer,) = body
    assert answer["account_id"] == "acc-42"
    ticket = Ticket.objects.get(number=answer["service_request_id"])
    # Through the same service as every channel: the timeline, the audit, the clocks to come.
    assert ticket.channel == Channel.OPEN311 and ticket.state == TicketState.SUBMITTED
    assert ticket.submitted_by == client.account and ticket.requester is None
    assert ticket.area == city.grid_a and ticket.street == city.s1
    assert ticket.contact_name == "王小明" and ticket.contact_mobile == "13912345678"
    assert ticket.attributes == {"media_url": "https://img.example.org/a.jpg"}
    assert ticket.address == city.grid_a.name
    assert ticket.events.get().kind == "submitted"
    assert AuditEntry.objects.filter(action="tickets.submit", object_id=str(ticket.pk)).exists()
    # Neither the email nor the device is kept anywhere.
    assert "wang@example.org" not in str(Ticket.objects.filter(pk=ticket.pk).values().get())
    # The token finds it again.
    found = get(f"tokens/{answer['token']}.json", jurisdiction_id=city.s1.code).json()
    jsonschema.validate(found, TOKENS)
    assert found == [{"service_request_id": ticket.number, "token": answer["token"]}]


def test_filing_in_xml_with_attributes(
    key: tuple[Any, str], city: Any, cast: Any, login: Any
) -> None:
    _client, raw = key
    response = Client().post(
        f"{BASE}/requests.xml",
        {
            "api_key": raw,
            "jurisdiction_id": city.s1.code,
            "service_code": "0604",
            "description": "人行道塌了一块。",
            "address_string": "东一社区北门",
            "attribute[position]": "walk",
            "attribute[area_m2]": "1.5",
        },
    )
    assert response.status_code == 201, response.content
    root = ElementTree.fromstring(response.content)
    assert root.tag == "service_requests"
    number = root.findtext("request/service_request_id")
    ticket = Ticket.objects.get(number=number)
    assert ticket.attributes == {"position": "walk", "area_m2": "1.5"}
    # No point, no building: the ticket sits at the street until dispatched.
    assert ticket.area == city.s1 and ticket.address == "东一社区北门"
    # The desk reads the answers by their questions and option names.
    page = login(cast.street_dispatcher).get(f"/workbench/tickets/{number}/").content.decode()
    assert "破损位置" in page and "人行道" in page and "破损面积大约多少平方米" in page


def test_multi_value_attributes(key: tuple[Any, str], city: Any) -> None:
    _client, raw = key
    response = Client().post(
        f"{BASE}/requests.json",
        {
            "api_key": raw,
            "jurisdiction_id": city.s1.code,
            "service_code": "0401",
            "description": "工地夜里还在打桩。",
            "address_string": "东一社区东侧工地",
            "attribute[kinds][]": ["truck", "machine"],
            "attribute[started_at]": "2026-12-01T23:00:00+08:00",
        },
    )
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(number=response.json()[0]["service_request_id"])
    assert ticket.attributes["kinds"] == ["machine", "truck"]  # in the question's order
    assert ticket.attributes["started_at"] == "2026-12-01T23:00:00+08:00"


@pytest.mark.parametrize(
    ("fields", "status", "says"),
    [
        ({"api_key": None}, 403, "api_key"),
        ({"api_key": "o311_nope"}, 403, "api_key"),
        ({"service_code": "9999"}, 400, "service_code"),
        ({"service_code": None}, 400, "service_code"),
        ({"lat": "91", "long": "116.3"}, 400, "lat"),
        ({"lat": "39.9", "long": "181"}, 400, "long"),
        ({"lat": "north", "long": "116.3"}, 400, "lat"),
        ({"lat": "39.9", "long": None}, 400, "long"),
        ({"lat": None, "long": None}, 400, "lat"),
        ({"lat": "39.5", "long": "116.0"}, 400, "lat"),  # outside every grid
        ({"description": "长" * 4001}, 400, "description"),
        ({"description": ""}, 400, "description"),
        ({"phone": "12345"}, 400, "phone"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
        ({"jurisdiction_id": "S9"}, 404, "jurisdiction_id"),
        ({"jurisdiction_id": None}, 400, "jurisdiction_id"),
        ({"service_code": "0604", "attribute[position]": "sky"}, 400, "attribute[position]"),
        ({"service_code": "0604"}, 400, "attribute[position]"),  # required, missing
        (
            {"service_code": "0604", "attribute[position]": "road", "attribute[area_m2]": "big"},
            400,
            "attribute[area_m2]",
        ),
        ({"attribute[colour]": "red"}, 400, "attribute[colour]"),  # not asked by 0101
        ({"address_id": "NOPE", "lat": None, "long": None}, 400, "address_id"),
    ],
)
def test_bad_requests_create_nothing(
    key: tuple[Any, str], city: Any, fields: dict[str, Any], status: int, says: str
) -> None:
    _client, raw = key
    response = post(raw, city, **fields)
    found = errors(response, status)
    assert any(says in d for d in found), found
    assert not Ticket.objects.exists()


def test_keys_are_bound_to_their_streets_and_revocable(
    key: tuple[Any, str], city: Any, cast: Any
) -> None:
    client, raw = key
    # 西街道 is not this client's jurisdiction, and a point in 西街道 is not in 东街道.
    assert "街道" in errors(post(raw, city, jurisdiction_id=city.s2.code), 403)[0]
    client_revoke(actor=cast.security_admin, client=client)
    errors(post(raw, city), 403)
    client.account.refresh_from_db()
    assert client.account.is_active is False
    assert not Ticket.objects.exists()


def test_wrong_content_type_and_method(key: tuple[Any, str], city: Any) -> None:
    _client, raw = key
    response = Client().post(
        f"{BASE}/requests.json",
        data=json.dumps({"api_key": raw}),
        content_type="application/json",
    )
    assert "application/x-www-form-urlencoded" in errors(response, 400)[0]
    assert Client().put(f"{BASE}/requests.json").status_code == 405
    assert not Ticket.objects.exists()


def _file(raw: str, city: Any, **fields: Any) -> Ticket:
    response = post(raw, city, **fields)
    assert response.status_code == 201, response.content
    return Ticket.objects.get(number=response.json()[0]["service_request_id"])


def test_a_request_comes_back_closed_with_its_notes(
    key: tuple[Any, str], city: Any, cast: Any
) -> None:
    """Filed through Open311, dispatched and resolved through the workbench services, read
    back through Open311 as closed with its notes."""
    _client, raw = key
    ticket = _file(raw, city, phone="13912345678", first_name="小明", last_name="王")
    s.ticket_dispatch(actor=cast.street_dispatcher, ticket=ticket, to=city.grid_a)
    s.ticket_accept(actor=cast.grid_worker_a, ticket=ticket)
    s.ticket_respond(actor=cast.grid_worker_a, ticket=ticket, method="phone", note="已联系")
    s.ticket_resolve(actor=cast.grid_worker_a, ticket=ticket, result="垃圾已清运，已加派清运车次。")
    body = get(f"requests/{ticket.number}.json", jurisdiction_id=city.s1.code).json()
    jsonschema.validate(body, REQUESTS)
    (row,) = body
    assert row["status"] == "closed"
    assert row["status_notes"] == "垃圾已清运，已加派清运车次。"
    assert row["agency_responsible"] == city.grid_a.name
    assert row["service_code"] == "0101" and row["service_name"]
    ticket.refresh_from_db()
    assert row["expected_datetime"] == timezone.localtime(ticket.resolve_by).isoformat(
        timespec="seconds"
    )
    assert row["requested_datetime"].endswith("+08:00")
    assert (row["lat"], row["long"]) == (39.905, 116.305)
    # No personal data: neither the name nor the phone, in any form.
    text = str(body)
    assert "王小明" not in text and "13912345678" not in text and "8000" not in text
    xml_root = ElementTree.fromstring(
        get(f"requests/{ticket.number}.xml", jurisdiction_id=city.s1.code).content
    )
    assert xml_root.findtext("request/status") == "closed"
    assert xml_root.findtext("request/lat") == "39.905"


def test_listing_requests(key: tuple[Any, str], city: Any, cast: Any, submit: Any) -> None:
    _client, raw = key
    mine = _file(raw, city)
    other = submit()  # a resident's, through the phone
    old = submit()
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=100))
    s1 = {"jurisdiction_id": city.s1.code}
    body = get("requests.json", **s1).json()
    jsonschema.validate(body, REQUESTS)
    assert [r["service_request_id"] for r in body] == [other.number, mine.number]
    # The ids override the other filters, the window included.
    picked = get("requests.json", service_request_id=f"{old.number},{mine.number}", **s1).json()
    assert {r["service_request_id"] for r in picked} == {old.number, mine.number}
    assert get("requests.json", status="closed", **s1).json() == []
    assert len(get("requests.json", status="open", service_code="0101", **s1).json()) == 2
    paged = get("requests.json", page="2", page_size="1", **s1).json()
    assert [r["service_request_id"] for r in paged] == [mine.number]
    start = (timezone.now() - timedelta(days=120)).isoformat()
    end = (timezone.now() - timedelta(days=60)).isoformat()
    window = get("requests.json", start_date=start, end_date=end, **s1).json()
    assert [r["service_request_id"] for r in window] == [old.number]
    # 西街道 has none of these.
    assert get("requests.json", jurisdiction_id=city.s2.code).json() == []
    root = ElementTree.fromstring(get("requests.xml", **s1).content)
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [
        other.number,
        mine.number,
    ]


@pytest.mark.parametrize(
    ("params", "says"),
    [
        (
            {"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-06-01T00:00:00+08:00"},
            "90",
        ),
        (
            {"start_date": "2026-03-01T00:00:00+08:00", "end_date": "2026-02-01T00:00:00+08:00"},
            "start_date",
        ),
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-03-01T00:00:00"}, "end_date"),  # no offset
        ({"status": "pending"}, "status"),
        ({"page_size": "1001"}, "page_size"),
        ({"page": "0"}, "page"),
    ],
)
def test_bad_list_parameters(city: Any, params: dict[str, str], says: str) -> None:
    found = errors(get("requests.json", jurisdiction_id=city.s1.code, **params), 400)
    assert any(says in d for d in found), found


def test_anonymous_descriptions_only_to_keys_that_may_see_them(
    key: tuple[Any, str], city: Any, cast: Any, submit: Any
) -> None:
    _client, raw = key
    _other, raw_s2 = client_issue(actor=cast.security_admin, name="西街道 App", streets=[city.s2])
    hidden = submit(anonymous=True, description="对面饭店油烟直排，我不想让他们知道是我。")
    s1 = {"jurisdiction_id": city.s1.code}
    assert get(f"requests/{hidden.number}.json", **s1).json()[0]["description"] == ""
    as_s2 = get(f"requests/{hidden.number}.json", api_key=raw_s2, **s1).json()
    assert as_s2[0]["description"] == ""
    as_s1 = get(f"requests/{hidden.number}.json", api_key=raw, **s1).json()
    assert as_s1[0]["description"] == hidden.description


def test_unknown_requests_and_tokens(city: Any) -> None:
    s1 = {"jurisdiction_id": city.s1.code}
    errors(get("requests/GR-20260101-999999.json", **s1), 404)
    errors(get("tokens/abcdef.json", **s1), 404)
    root = ElementTree.fromstring(get("tokens/abcdef.xml", **s1).content)
    assert root.tag == "errors" and root.findtext("error/code") == "404"


def test_required_questions_bind_the_channels_that_ask_them(submit: Any) -> None:
    """Open311 asks the category's questions, so a required one must be answered there; the
    phone and desk forms do not ask them yet, and are not held up by them."""
    from grassroots.core.errors import ValidationFailed

    assert submit(category="0604").attributes == {}
    with pytest.raises(ValidationFailed) as refused:
        submit(category="0604", attributes={})
    assert list(refused.value.fields) == ["attribute[position]"]
    assert submit(category="0604", attributes={"position": "road"}).attributes == {
        "position": "road"
    }


def test_reads_cost_the_same_for_more_requests(
    key: tuple[Any, str], city: Any, submit: Any, django_assert_max_num_queries: Any
) -> None:
    _client, raw = key
    for _ in range(3):
        submit(anonymous=True)
    s1 = {"jurisdiction_id": city.s1.code, "api_key": raw}
    # Key, rate, streets, tickets, readable anonymous ones, notes: a fixed number.
    with django_assert_max_num_queries(7):
        assert len(get("requests.json", **s1).json()) == 3
    for _ in range(12):
        submit(anonymous=True)
    with django_assert_max_num_queries(7):
        assert len(get("requests.json", **s1).json()) == 15
    with django_assert_max_num_queries(5):
        get("services.json", **s1)


def test_a_nul_character_is_a_field_error_not_a_crash(key: tuple[Any, str], city: Any) -> None:
    _client, raw = key
    assert "description" in errors(post(raw, city, description="垃圾\x00没人管"), 400)[0]
    assert errors(get("requests.json", jurisdiction_id=city.s1.code, status="open\x00"), 400)
    assert not Ticket.objects.exists()
