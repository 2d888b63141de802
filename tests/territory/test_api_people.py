"""The people API: area subtrees with counts, households, residents — scoped, masked, and with
sensitive tags only for the resident's own community."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from grassroots.party.services import household_link_create
from grassroots.territory.models import Household
from grassroots.territory.services import household_create, resident_create
from tests.conftest import id_number
from tests.helpers import assert_masked, assert_not_found, fields, warm

# --- GET /areas/{id}/tree ---------------------------------------------------------------------


def test_tree_lists_the_subtree_with_counts(people: Any, cast: Any, city: Any, login: Any) -> None:
    response = login(cast.community_staff).get(f"/api/v1/areas/{city.c1.pk}/tree")
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": city.c1.pk,
            "code": "S1C1",
            "name": "东一社区",
            "kind": "community",
            "kind_label": "社区",
            "depth": 0,
            "parent_id": city.s1.pk,
            "households": 3,
            "residents": 4,
        },
        {
            "id": city.grid_a.pk,
            "code": "S1C1GA",
            "name": "东一社区A网格",
            "kind": "grid",
            "kind_label": "网格",
            "depth": 1,
            "parent_id": city.c1.pk,
            "households": 2,
            "residents": 3,
        },
        {
            "id": city.building_a1.pk,
            "code": "S1C1GAB1",
            "name": "东一1号楼",
            "kind": "building",
            "kind_label": "楼栋",
            "depth": 2,
            "parent_id": city.grid_a.pk,
            "households": 2,
            "residents": 3,
        },
        {
            "id": city.grid_b.pk,
            "code": "S1C1GB",
            "name": "东一社区B网格",
            "kind": "grid",
            "kind_label": "网格",
            "depth": 1,
            "parent_id": city.c1.pk,
            "households": 1,
            "residents": 1,
        },
        {
            "id": people.building_b1.pk,
            "code": "S1C1GBB1",
            "name": "东一2号楼",
            "kind": "building",
            "kind_label": "楼栋",
            "depth": 2,
            "parent_id": city.grid_b.pk,
            "households": 1,
            "residents": 1,
        },
    ]


def test_tree_of_a_grid_for_its_grid_worker(people: Any, cast: Any, city: Any, login: Any) -> None:
    body = login(cast.grid_worker_a).get(f"/api/v1/areas/{city.grid_a.pk}/tree").json()
    assert [(n["code"], n["depth"], n["households"], n["residents"]) for n in body] == [
        ("S1C1GA", 0, 2, 3),
        ("S1C1GAB1", 1, 2, 3),
    ]


@pytest.mark.parametrize(
    "who,code",
    [
        ("grid_worker_a", "S1C1"),  # above its grid
        ("grid_worker_b", "S1C1GA"),  # the neighbouring grid
        ("outsider", "S1"),
        ("street_dispatcher", "S2C1"),
        ("resident", "S1C1GAB1"),
    ],
)
def test_tree_outside_scope_is_404(people: Any, cast: Any, login: Any, who: str, code: str) -> None:
    from grassroots.territory.models import Area

    area = Area.objects.get(code=code)
    assert_not_found(login(getattr(cast, who)).get(f"/api/v1/areas/{area.pk}/tree"))


def test_tree_validation(cast: Any, login: Any) -> None:
    assert fields(login(cast.street_dispatcher).get("/api/v1/areas/abc/tree")) == {
        "area_id": ["须为整数。"]
    }


def test_tree_query_count_does_not_grow(
    people: Any, cast: Any, city: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    from grassroots.territory.services import area_create

    client = warm(login(cast.street_dispatcher))
    # session, user, TOTP check, scope (2), the root, areas, households, residents
    with django_assert_max_num_queries(9):
        before = client.get(f"/api/v1/areas/{city.s1.pk}/tree").json()
    for i in range(10):
        building = area_create(
            actor=None, parent=city.grid_b, kind="building", code=f"XB{i}", name=f"楼{i}"
        )
        for room in ("101", "102"):
            household = household_create(actor=None, building=building, unit="", room=room)
            resident_create(actor=None, household=household, name=f"居民{i}{room}")
    with django_assert_max_num_queries(9):
        after = client.get(f"/api/v1/areas/{city.s1.pk}/tree").json()
    assert len(after) == len(before) + 10
    assert after[0]["households"] == before[0]["households"] + 20
    assert after[0]["residents"] == before[0]["residents"] + 20


# --- GET /households ---------------------------------------------------------------------------


def household_json(household: Household, residents: int) -> dict[str, Any]:
    return {
        "id": household.pk,
        "label": household.label,
        "building_id": household.building_id,
        "building_name": household.building.name,
        "unit": household.unit,
        "room": household.room,
        "residents": residents,
    }


def test_household_list_of_a_grid_worker(people: Any, cast: Any, login: Any) -> None:
    body = login(cast.grid_worker_a).get("/api/v1/households").json()
    assert body == {
        "count": 2,
        "items": [household_json(people.hh_a1_101, 2), household_json(people.hh_a1_102, 1)],
    }


@pytest.mark.parametrize(
    "who,expected",
    [
        ("street_dispatcher", {"1-101", "1-102", "2-201"}),
        ("community_staff", {"1-101", "1-102", "2-201"}),
        ("grid_worker_b", {"2-201"}),
        ("building_head", {"1-101", "1-102"}),
        ("outsider", {"301"}),
        ("resident", set()),
        ("department_officer", set()),
    ],
)
def test_household_list_is_scoped(
    people: Any, cast: Any, login: Any, who: str, expected: set[str]
) -> None:
    body = login(getattr(cast, who)).get("/api/v1/households").json()
    assert {h["label"] for h in body["items"]} == expected
    assert body["count"] == len(expected)


def test_household_list_filters(people: Any, cast: Any, city: Any, login: Any) -> None:
    client = login(cast.street_dispatcher)
    by_area = client.get(f"/api/v1/households?area={city.grid_b.pk}").json()
    assert [h["id"] for h in by_area["items"]] == [people.hh_b1_201.pk]
    by_building = client.get(f"/api/v1/households?building={city.building_a1.pk}").json()
    assert [h["id"] for h in by_building["items"]] == [people.hh_a1_101.pk, people.hh_a1_102.pk]
    both = client.get(f"/api/v1/households?area={city.grid_b.pk}&building={city.building_a1.pk}")
    assert both.json()["count"] == 0


def test_household_list_filter_outside_scope_is_404(
    people: Any, cast: Any, city: Any, login: Any
) -> None:
    client = login(cast.street_dispatcher)
    assert_not_found(client.get(f"/api/v1/households?area={city.w1.pk}"))
    assert_not_found(client.get(f"/api/v1/households?building={people.building_w1.pk}"))
    assert_not_found(
        login(cast.grid_worker_b).get(f"/api/v1/households?building={city.building_a1.pk}")
    )


def test_household_list_validation(people: Any, cast: Any, city: Any, login: Any) -> None:
    client = login(cast.street_dispatcher)
    assert fields(client.get("/api/v1/households?area=abc")) == {"area": ["须为整数。"]}
    assert fields(client.get("/api/v1/households?building=1.5")) == {"building": ["须为整数。"]}
    assert fields(client.get(f"/api/v1/households?building={city.grid_a.pk}")) == {
        "building": ["请选择楼栋。"]
    }
    assert "limit" in fields(client.get("/api/v1/households?limit=0"))


def test_household_detail_with_linked_members(
    people: Any, cast: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    household_link_create(actor=None, member=people.m_li, household=people.hh_a1_101)
    household_link_create(actor=None, member=people.m_staff, household=people.hh_a1_101)
    client = warm(login(cast.grid_worker_a))
    # session, user, TOTP check, scope (2), the household, its links
    with django_assert_max_num_queries(7):
        response = client.get(f"/api/v1/households/{people.hh_a1_101.pk}")
    assert response.status_code == 200
    body = response.json()
    linked = body.pop("linked_members")
    assert body == household_json(people.hh_a1_101, 2)
    assert sorted(linked, key=lambda m: m["id"]) == [
        {"id": people.m_li.pk, "name": "李秀英"},
        {"id": people.m_staff.pk, "name": "grid_a"},
    ]
    assert_masked(response.content)


@pytest.mark.parametrize(
    "who,household",
    [
        ("grid_worker_b", "hh_a1_101"),
        ("grid_worker_a", "hh_b1_201"),
        ("outsider", "hh_a1_101"),
        ("street_dispatcher", "hh_w1_301"),
        ("resident", "hh_a1_101"),  # even the household the resident lives in
    ],
)
def test_household_detail_outside_scope_is_404(
    people: Any, cast: Any, login: Any, who: str, household: str
) -> None:
    pk = getattr(people, household).pk
    assert_not_found(login(getattr(cast, who)).get(f"/api/v1/households/{pk}"))


def test_household_detail_validation_and_missing(people: Any, cast: Any, login: Any) -> None:
    client = login(cast.grid_worker_a)
    assert fields(client.get("/api/v1/households/abc")) == {"household_id": ["须为整数。"]}
    assert_not_found(client.get("/api/v1/households/999999"))


def test_household_list_query_count_does_not_grow(
    people: Any, cast: Any, city: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    client = warm(login(cast.street_dispatcher))
    path = f"/api/v1/households?area={city.c1.pk}&limit=100"
    # session, user, TOTP check, scope (2), the area, count, page
    with django_assert_max_num_queries(8):
        assert client.get(path).json()["count"] == 3
    for i in range(20):
        household = household_create(actor=None, building=people.building_b1, unit="", room=f"{i}")
        resident_create(actor=None, household=household, name=f"居民{i}")
    with django_assert_max_num_queries(8):
        body = client.get(path).json()
    assert body["count"] == 23 and sum(h["residents"] for h in body["items"]) == 24


# --- GET /residents ----------------------------------------------------------------------------


def tags_of(body: dict[str, Any], name: str) -> list[str]:
    (found,) = [r for r in body["items"] if r["name"] == name]
    return sorted(t["kind"] for t in found["tags"])


def test_resident_list_of_a_grid_worker(people: Any, cast: Any, login: Any) -> None:
    response = login(cast.grid_worker_a).get("/api/v1/residents")
    body = response.json()
    assert body["count"] == 3
    wang = next(r for r in body["items"] if r["name"] == "王建国")
    assert wang == {
        "id": people.wang.pk,
        "name": "王建国",
        "mobile": "137****0001",
        "gender": "male",
        "gender_label": "男",
        "birth_year": 1950,
        "household": {
            "id": people.hh_a1_101.pk,
            "label": "1-101",
            "building_id": people.hh_a1_101.building_id,
            "building_name": "东一1号楼",
        },
        "tags": [{"kind": "veteran", "label": "退役军人"}],
    }
    assert {r["name"] for r in body["items"]} == {"王建国", "李秀英", "张阿姨"}
    assert "id_number" not in wang  # the list carries no ID numbers at all, even masked
    assert_masked(response.content)


@pytest.mark.parametrize(
    "who,expected",
    [
        ("community_staff", ["elderly_alone", "veteran"]),
        ("community_secretary", ["elderly_alone", "veteran"]),
        ("street_dispatcher", ["veteran"]),
        ("street_leader", ["veteran"]),
        ("grid_worker_a", ["veteran"]),
        ("building_head", ["veteran"]),
    ],
)
def test_sensitive_tags_only_for_the_community_staff(
    people: Any, cast: Any, login: Any, who: str, expected: list[str]
) -> None:
    client = login(getattr(cast, who))
    assert tags_of(client.get("/api/v1/residents").json(), "王建国") == expected
    detail = client.get(f"/api/v1/residents/{people.wang.pk}").json()
    assert sorted(t["kind"] for t in detail["tags"]) == expected


def test_sensitive_tags_of_another_street_stay_hidden(people: Any, cast: Any, login: Any) -> None:
    client = login(cast.outsider)
    assert tags_of(client.get("/api/v1/residents").json(), "钱西") == []
    assert client.get("/api/v1/residents?tag=low_income").json() == {"count": 0, "items": []}


def test_a_bearer_token_sees_the_same_tags(people: Any, cast: Any, bearer: Any) -> None:
    client = Client()
    body = client.get("/api/v1/residents", **bearer(cast.community_staff)).json()
    assert tags_of(body, "王建国") == ["elderly_alone", "veteran"]
    body = client.get("/api/v1/residents", **bearer(cast.street_dispatcher)).json()
    assert tags_of(body, "王建国") == ["veteran"]


@pytest.mark.parametrize(
    "who,expected",
    [
        ("community_staff", {"王建国"}),
        ("street_dispatcher", set()),  # a sensitive tag it may not see finds nobody
        ("grid_worker_a", set()),
    ],
)
def test_filtering_by_a_sensitive_tag_reveals_no_more_than_the_tags(
    people: Any, cast: Any, login: Any, who: str, expected: set[str]
) -> None:
    from grassroots.territory.models import Resident
    from grassroots.territory.selectors import can_see_sensitive_tags

    user = getattr(cast, who)
    body = login(user).get("/api/v1/residents?tag=elderly_alone").json()
    assert {r["name"] for r in body["items"]} == expected
    for item in body["items"]:
        assert can_see_sensitive_tags(user, Resident.objects.get(pk=item["id"]))


def test_resident_list_filters(people: Any, cast: Any, city: Any, login: Any) -> None:
    client = login(cast.street_dispatcher)

    def names(query: str) -> set[str]:
        return {r["name"] for r in client.get(f"/api/v1/residents?{query}").json()["items"]}

    assert names(f"area={city.grid_b.pk}") == {"赵明"}
    assert names(f"area={city.c2.pk}") == set()
    assert names(f"household={people.hh_a1_101.pk}") == {"王建国", "张阿姨"}
    assert names("tag=veteran") == {"王建国"}
    assert names(f"tag=veteran&area={city.grid_b.pk}") == set()


def test_resident_list_filter_outside_scope_is_404(
    people: Any, cast: Any, city: Any, login: Any
) -> None:
    assert_not_found(login(cast.outsider).get(f"/api/v1/residents?area={city.c1.pk}"))
    client = login(cast.grid_worker_b)
    assert_not_found(client.get(f"/api/v1/residents?household={people.hh_a1_101.pk}"))
    assert_not_found(client.get(f"/api/v1/residents?area={city.grid_a.pk}"))


def test_resident_list_validation(people: Any, cast: Any, login: Any) -> None:
    client = login(cast.community_staff)
    assert fields(client.get("/api/v1/residents?area=abc")) == {"area": ["须为整数。"]}
    assert fields(client.get("/api/v1/residents?household=x")) == {"household": ["须为整数。"]}
    assert fields(client.get("/api/v1/residents?tag=rich")) == {"tag": ["不是可选的值。"]}


def test_resident_detail(people: Any, cast: Any, login: Any) -> None:
    response = login(cast.community_staff).get(f"/api/v1/residents/{people.wang.pk}")
    assert response.status_code == 200
    body = response.json()
    full = id_number(1)
    assert body["id_number"] == full[:6] + "********" + full[-4:]
    assert body["mobile"] == "137****0001"
    assert body["gender"] == "male" and body["birth_year"] == 1950
    assert body["household"]["id"] == people.hh_a1_101.pk
    assert body["tags"] == [
        {"kind": "elderly_alone", "label": "独居老人"},
        {"kind": "veteran", "label": "退役军人"},
    ]
    assert_masked(response.content)


def test_a_resident_sees_their_own_record(people: Any, cast: Any, login: Any) -> None:
    client = login(cast.resident)
    body = client.get("/api/v1/residents").json()
    assert [r["name"] for r in body["items"]] == ["张阿姨"]
    assert client.get(f"/api/v1/residents/{people.me.pk}").json()["mobile"] == "138****8000"
    assert_not_found(client.get(f"/api/v1/residents/{people.wang.pk}"))


@pytest.mark.parametrize(
    "who,resident",
    [
        ("grid_worker_b", "wang"),  # grid B asking for grid A's resident
        ("grid_worker_a", "zhao"),
        ("outsider", "wang"),
        ("street_dispatcher", "west"),
        ("department_officer", "wang"),
    ],
)
def test_resident_detail_outside_scope_is_404(
    people: Any, cast: Any, login: Any, who: str, resident: str
) -> None:
    pk = getattr(people, resident).pk
    assert_not_found(login(getattr(cast, who)).get(f"/api/v1/residents/{pk}"))


def test_resident_detail_validation(cast: Any, login: Any) -> None:
    response = login(cast.community_staff).get("/api/v1/residents/abc")
    assert fields(response) == {"resident_id": ["须为整数。"]}


def test_resident_list_query_count_does_not_grow(
    people: Any, cast: Any, city: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    client = warm(login(cast.community_staff))
    # session, user, TOTP check, scope (2), count, page, tags
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/residents").json()["count"] == 4
    for i in range(20):
        resident_create(
            actor=None,
            household=people.hh_b1_201,
            name=f"居民{i}",
            mobile=f"1370000{1000 + i}",
            tags=["elderly_alone", "veteran"],
        )
    with django_assert_max_num_queries(8):
        body = client.get("/api/v1/residents?limit=100").json()
    assert body["count"] == 24
    assert all(len(r["tags"]) == 2 for r in body["items"] if r["name"].startswith("居民"))
    with django_assert_max_num_queries(9):  # and the area
        body = client.get(f"/api/v1/residents?tag=elderly_alone&area={city.c1.pk}").json()
    assert body["count"] == 21


def test_resident_detail_query_count(
    people: Any, cast: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    client = warm(login(cast.community_staff))
    # session, user, TOTP check, scope (2), the resident, tags
    with django_assert_max_num_queries(7):
        assert client.get(f"/api/v1/residents/{people.wang.pk}").status_code == 200


# --- everywhere --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/areas/1/tree",
        "/api/v1/households",
        "/api/v1/households/1",
        "/api/v1/residents",
        "/api/v1/residents/1",
    ],
)
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


@pytest.mark.parametrize("who", ["community_staff", "street_dispatcher", "street_leader"])
def test_no_full_number_in_any_response(
    people: Any, cast: Any, city: Any, login: Any, who: str
) -> None:
    client = login(getattr(cast, who))
    paths = [
        f"/api/v1/areas/{city.c1.pk}/tree",
        "/api/v1/households?limit=100",
        "/api/v1/residents?limit=100",
        *(f"/api/v1/residents/{r.pk}" for r in (people.wang, people.li, people.zhao, people.me)),
        f"/api/v1/households/{people.hh_a1_101.pk}",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_masked(response.content)


def test_openapi_lists_the_people_paths(db: Any) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in [
        "/api/v1/areas/{area_id}/tree",
        "/api/v1/households",
        "/api/v1/households/{household_id}",
        "/api/v1/residents",
        "/api/v1/residents/{resident_id}",
        "/api/v1/party-orgs",
        "/api/v1/party-orgs/{org_id}",
        "/api/v1/members",
        "/api/v1/members/{member_id}",
        "/api/v1/member-units",
        "/api/v1/member-units/{unit_id}",
    ]:
        assert path in paths
        assert paths[path]["get"]["summary"]  # in Chinese
    assert "住户" in paths["/api/v1/households"]["get"]["summary"]


@pytest.mark.parametrize("who", ["system_admin", "security_admin", "audit_admin"])
def test_administrators_read_no_people(people: Any, cast: Any, login: Any, who: str) -> None:
    """三员分立: the administrators manage base data, accounts and the audit log; residents,
    households and members are not theirs to read, whatever their scope."""
    client = login(getattr(cast, who))
    for path in (
        "/api/v1/residents",
        "/api/v1/households",
        "/api/v1/members",
        "/api/v1/party-orgs",
        "/api/v1/member-units",
    ):
        assert client.get(path).json()["count"] == 0, path
    assert client.get(f"/api/v1/residents/{people.wang.pk}").status_code == 404
