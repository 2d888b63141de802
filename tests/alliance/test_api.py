"""The member-unit API: scoped, with the contact's mobile masked and only visible party
organisations listed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from grassroots.alliance.models import MemberUnit
from grassroots.alliance.services import member_unit_create
from grassroots.party.models import OrgKind, OrgSetting, PartyOrg
from grassroots.party.services import party_org_create
from tests.helpers import assert_masked, assert_not_found, fields, warm

CONTACTS = ["13912345678", "13987654321", "13911112222"]


@dataclass
class Units:
    school: MemberUnit  # in community C1, with a party branch
    hospital: MemberUnit  # in community C2
    west: MemberUnit  # in street S2, with a party branch
    school_branch: PartyOrg
    west_branch: PartyOrg


@pytest.fixture
def units(people: Any, city: Any) -> Units:
    school = member_unit_create(
        actor=None,
        name="东一小学",
        kind="school",
        area=city.c1,
        address="东一路 1 号",
        contact_name="周老师",
        contact_mobile=CONTACTS[0],
    )
    hospital = member_unit_create(
        actor=None, name="东二医院", kind="hospital", area=city.c2, contact_mobile=CONTACTS[1]
    )
    west = member_unit_create(
        actor=None, name="西街企业", kind="enterprise", area=city.s2, contact_mobile=CONTACTS[2]
    )

    def branch(parent: PartyOrg, unit: MemberUnit, name: str) -> PartyOrg:
        return party_org_create(
            actor=None,
            parent=parent,
            kind=OrgKind.BRANCH,
            name=name,
            setting=OrgSetting.MEMBER_UNIT,
            member_unit=unit,
        )

    return Units(
        school=school,
        hospital=hospital,
        west=west,
        school_branch=branch(people.cc1, school, "东一小学党支部"),
        west_branch=branch(people.swc2, west, "西街企业党支部"),
    )


def assert_no_contact_number(content: bytes) -> None:
    assert_masked(content)
    assert not [n for n in CONTACTS if n.encode() in content]


def test_member_unit_list(units: Units, cast: Any, city: Any, login: Any) -> None:
    response = login(cast.community_staff).get("/api/v1/member-units")
    assert response.status_code == 200
    assert response.json() == {
        "count": 1,
        "items": [
            {
                "id": units.school.pk,
                "name": "东一小学",
                "kind": "school",
                "kind_label": "学校",
                "area_id": city.c1.pk,
                "area_name": "东一社区",
                "address": "东一路 1 号",
                "contact_name": "周老师",
                "contact_mobile": "139****5678",
            }
        ],
    }
    assert_no_contact_number(response.content)


@pytest.mark.parametrize(
    "who,expected",
    [
        ("street_dispatcher", {"东一小学", "东二医院"}),
        ("community_secretary", {"东一小学"}),
        ("member_unit_contact", {"东二医院"}),
        ("outsider", {"西街企业"}),
        ("system_admin", set()),  # 三员分立: no business data for administrators
        ("grid_worker_a", set()),  # units are registered on the community, above the grid
        ("resident", set()),
    ],
)
def test_member_unit_list_is_scoped(
    units: Units, cast: Any, login: Any, who: str, expected: set[str]
) -> None:
    body = login(getattr(cast, who)).get("/api/v1/member-units").json()
    assert {u["name"] for u in body["items"]} == expected
    assert body["count"] == len(expected)


def test_member_unit_list_filters(units: Units, cast: Any, city: Any, login: Any) -> None:
    client = login(cast.street_dispatcher)

    def names(query: str) -> set[str]:
        response = client.get(f"/api/v1/member-units?{query}")
        assert response.status_code == 200, response.content
        return {u["name"] for u in response.json()["items"]}

    assert names(f"area={city.c2.pk}") == {"东二医院"}
    assert names(f"area={city.s1.pk}") == {"东一小学", "东二医院"}
    assert names(f"area={city.grid_a.pk}") == set()
    assert names("kind=school") == {"东一小学"}
    assert names("kind=enterprise") == set()
    assert names(f"kind=hospital&area={city.c1.pk}") == set()


def test_member_unit_list_filter_outside_scope_is_404(
    units: Units, cast: Any, city: Any, login: Any
) -> None:
    assert_not_found(login(cast.street_dispatcher).get(f"/api/v1/member-units?area={city.s2.pk}"))
    assert_not_found(login(cast.outsider).get(f"/api/v1/member-units?area={city.c1.pk}"))
    assert_not_found(login(cast.community_staff).get(f"/api/v1/member-units?area={city.c2.pk}"))


def test_member_unit_list_validation(units: Units, cast: Any, login: Any) -> None:
    client = login(cast.street_dispatcher)
    assert fields(client.get("/api/v1/member-units?area=abc")) == {"area": ["须为整数。"]}
    assert fields(client.get("/api/v1/member-units?kind=bank")) == {"kind": ["不是可选的值。"]}


def test_member_unit_list_query_count_does_not_grow(
    units: Units, cast: Any, city: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    client = warm(login(cast.street_dispatcher))
    path = f"/api/v1/member-units?area={city.s1.pk}&limit=100"
    # session, user, TOTP check, scope (2), the area, count, page
    with django_assert_max_num_queries(8):
        assert client.get(path).json()["count"] == 2
    for i in range(20):
        member_unit_create(
            actor=None,
            name=f"单位{i}",
            kind="enterprise",
            area=city.c2 if i % 2 else city.c1,
            contact_mobile=f"1390000{2000 + i}",
        )
    with django_assert_max_num_queries(8):
        body = client.get(path).json()
    assert body["count"] == 22
    assert all("****" in u["contact_mobile"] for u in body["items"])


def test_member_unit_detail(units: Units, cast: Any, city: Any, login: Any) -> None:
    response = login(cast.street_dispatcher).get(f"/api/v1/member-units/{units.school.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["contact_mobile"] == "139****5678"
    assert body["area_id"] == city.c1.pk
    assert body["party_orgs"] == [
        {
            "id": units.school_branch.pk,
            "name": "东一小学党支部",
            "kind": "branch",
            "kind_label": "党支部",
        }
    ]
    assert_no_contact_number(response.content)


def test_member_unit_detail_lists_only_visible_orgs(
    units: Units, people: Any, cast: Any, login: Any
) -> None:
    """A unit in S2 with a branch placed under S1's committee: the S2 outsider sees the unit
    but not S1's branch."""
    party_org_create(
        actor=None,
        parent=people.cc1,
        kind=OrgKind.BRANCH,
        name="西街企业东一联络支部",
        setting=OrgSetting.MEMBER_UNIT,
        member_unit=units.west,
    )
    body = login(cast.outsider).get(f"/api/v1/member-units/{units.west.pk}").json()
    assert [o["name"] for o in body["party_orgs"]] == ["西街企业党支部"]


@pytest.mark.parametrize(
    "who,unit",
    [
        ("outsider", "school"),
        ("street_dispatcher", "west"),
        ("community_staff", "hospital"),
        ("member_unit_contact", "school"),
        ("grid_worker_a", "school"),
        ("resident", "school"),
    ],
)
def test_member_unit_detail_outside_scope_is_404(
    units: Units, cast: Any, login: Any, who: str, unit: str
) -> None:
    pk = getattr(units, unit).pk
    assert_not_found(login(getattr(cast, who)).get(f"/api/v1/member-units/{pk}"))


def test_member_unit_detail_validation(cast: Any, login: Any) -> None:
    response = login(cast.street_dispatcher).get("/api/v1/member-units/abc")
    assert fields(response) == {"unit_id": ["须为整数。"]}


def test_member_unit_detail_query_count(
    units: Units, cast: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    client = warm(login(cast.street_dispatcher))
    # session, user, TOTP check, scope (2), the unit with its area, its visible orgs
    with django_assert_max_num_queries(7):
        assert client.get(f"/api/v1/member-units/{units.school.pk}").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/member-units", "/api/v1/member-units/1"])
def test_unauthenticated_is_401(db: Any, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "not_authenticated",
            "message": "请先登录，或提供有效的令牌。",
            "fields": {},
        }
    }
