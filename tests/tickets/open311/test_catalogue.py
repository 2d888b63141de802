"""Open311 discovery, services and service definitions, in JSON (checked against the spec's
schemas) and XML (parsed), with jurisdictions and errors as the spec has them."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

import jsonschema
import pytest
from defusedxml import ElementTree
from django.test import Client

from grassroots.tickets.models import Category, CategoryAttribute
from grassroots.tickets.open311.keys import client_issue, client_revoke
from grassroots.tickets.selectors import category_tree, is_selectable

from .schemas import DISCOVERY, ERRORS, SERVICE_DEFINITION, SERVICES

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"


def get(path: str, **params: Any) -> Any:
    return Client().get(f"{BASE}/{path}", params)


def xml(response: Any) -> Element:
    assert response["Content-Type"].startswith("text/xml"), response["Content-Type"]
    return ElementTree.fromstring(response.content)


def error_of(response: Any, status: int, fmt: str = "json") -> str:
    assert response.status_code == status, response.content
    if fmt == "xml":
        root = xml(response)
        assert root.tag == "errors"
        (error,) = root.findall("error")
        assert error.findtext("code") == str(status)
        return error.findtext("description") or ""
    body = response.json()
    jsonschema.validate(body, ERRORS)
    assert body[0]["code"] == status
    return str(body[0]["description"])


def s1(city: Any) -> dict[str, str]:
    return {"jurisdiction_id": city.s1.code}


def test_discovery_in_both_formats(city: Any) -> None:
    body = get("discovery.json").json()
    jsonschema.validate(body, DISCOVERY)
    (endpoint,) = body["endpoints"]
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    root = xml(get("discovery.xml"))
    assert root.tag == "discovery"
    formats = [f.text for f in root.findall("endpoints/endpoint/formats/format")]
    assert formats == ["application/json", "text/xml"]
    assert root.findtext("changeset") == body["changeset"]
    # The bare root answers discovery as well (clients probe it).
    assert Client().get(f"{BASE}/").json() == body


def test_services_are_the_selectable_leaves(city: Any) -> None:
    body = get("services.json", **s1(city)).json()
    jsonschema.validate(body, SERVICES)
    leaves = [c for c in category_tree() if is_selectable(c)]
    assert [s["service_code"] for s in body] == [c.code for c in leaves]
    road = next(s for s in body if s["service_code"] == "0604")
    assert road["service_name"] == "道路破损" and road["metadata"] is True
    assert road["group"] == Category.objects.get(code="06").name
    assert "路面" in road["keywords"].split(",")
    assert next(s for s in body if s["service_code"] == "0101")["metadata"] is False
    # A retired leaf is not offered.
    Category.objects.filter(code="0101").update(is_active=False)
    again = get("services.json", **s1(city)).json()
    assert "0101" not in [s["service_code"] for s in again]
    root = xml(get("services.xml", **s1(city)))
    assert root.tag == "services"
    codes = [s.findtext("service_code") for s in root.findall("service")]
    assert codes == [s["service_code"] for s in again]
    first = root.find("service")
    assert first is not None and first.findtext("metadata") in ("true", "false")


def test_a_service_definition_with_its_questions(city: Any) -> None:
    body = get("services/0604.json", **s1(city)).json()
    jsonschema.validate(body, SERVICE_DEFINITION)
    assert body["service_code"] == "0604"
    position, area = body["attributes"]
    assert (position["code"], position["datatype"], position["required"]) == (
        "position",
        "singlevaluelist",
        True,
    )
    assert {"key": "walk", "name": "人行道"} in position["values"]
    assert (area["datatype"], area["order"], area["values"]) == ("number", 2, [])
    root = xml(get("services/0604.xml", **s1(city)))
    assert root.tag == "service_definition"
    keys = [v.findtext("key") for v in root.findall("attributes/attribute/values/value")]
    assert keys == ["road", "bike", "walk"]
    # A leaf without questions has an empty definition.
    plain = get("services/0101.json", **s1(city)).json()
    jsonschema.validate(plain, SERVICE_DEFINITION)
    assert plain == {"service_code": "0101", "attributes": []}


def test_unknown_services_and_formats(city: Any) -> None:
    assert "service_code" in error_of(get("services/9999.json", **s1(city)), 404)
    assert "service_code" in error_of(get("services/9999.xml", **s1(city)), 404, "xml")
    # A group is not a service.
    error_of(get("services/06.json", **s1(city)), 404)
    assert get("services.html", **s1(city)).status_code == 404
    assert Client().post(f"{BASE}/services.json", s1(city)).status_code == 405


def test_jurisdictions(city: Any) -> None:
    # Two streets served: the jurisdiction must be named.
    assert "jurisdiction_id" in error_of(get("services.json"), 400)
    error_of(get("services.xml", jurisdiction_id="nowhere"), 404, "xml")
    # The district and a community are not jurisdictions.
    error_of(get("services.json", jurisdiction_id=city.district.code), 404)
    error_of(get("services.json", jurisdiction_id=city.c1.code), 404)
    assert get("services.json", jurisdiction_id=city.s2.code).status_code == 200


def test_one_street_needs_no_jurisdiction(db: Any) -> None:
    from grassroots.territory.models import AreaKind
    from grassroots.territory.services import area_create

    district = area_create(actor=None, parent=None, kind=AreaKind.DISTRICT, code="D", name="区")
    area_create(actor=None, parent=district, kind=AreaKind.STREET, code="D01", name="街道")
    assert get("services.json").status_code == 200
    assert get("services/0604.xml").status_code == 200


def test_a_key_on_a_read_is_checked_and_counted(city: Any, cast: Any) -> None:
    client, raw = client_issue(actor=cast.security_admin, name="12345", rate_limit=2)
    assert get("services.json", api_key=raw, **s1(city)).status_code == 200
    assert get("discovery.json", api_key=raw).status_code == 200
    assert "频繁" in error_of(get("services.json", api_key=raw, **s1(city)), 429)
    assert "api_key" in error_of(get("services.json", api_key="o311_wrong", **s1(city)), 403)
    client_revoke(actor=cast.security_admin, client=client)
    assert "吊销" in error_of(get("discovery.xml", api_key=raw), 403, "xml")


def test_attribute_rules() -> None:
    from django.core.exceptions import ValidationError

    leaf = Category.objects.get(code="0101")
    bad = [
        CategoryAttribute(category=leaf, code="x", datatype="singlevaluelist", description="?"),
        CategoryAttribute(
            category=leaf,
            code="x",
            datatype="string",
            description="?",
            values=[{"key": "a", "name": "A"}],
        ),
        CategoryAttribute(category=leaf, code="x y", datatype="string", description="?"),
        CategoryAttribute(
            category=leaf,
            code="x",
            datatype="multivaluelist",
            description="?",
            values=[{"key": "a", "name": "A"}, {"key": "a", "name": "B"}],
        ),
        CategoryAttribute(
            category=Category.objects.get(code="06"), code="x", datatype="string", description="?"
        ),
    ]
    for attribute in bad:
        with pytest.raises(ValidationError):
            attribute.full_clean()
