"""The scope matrix: each role sees its own part of the tree and gets 404 for the rest."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from grassroots.accounts.models import User
from grassroots.territory.models import Area, Department

# role attribute → (an area code inside its scope, an area code outside it)
AREA_MATRIX = {
    "grid_worker_a": ("S1C1GAB1", "S1C1GB"),
    "grid_worker_b": ("S1C1GB", "S1C1GA"),
    "building_head": ("S1C1GAB1", "S1C1GA"),
    "community_staff": ("S1C1GB", "S1C2GA"),
    "community_secretary": ("S1C1GA", "S1C2"),
    "street_dispatcher": ("S1C2GA", "S2C1"),
    "street_leader": ("S1C2", "S2"),
    "department_officer": ("S2C1GA", None),  # the district department serves the district
    "member_unit_contact": ("S1C2GA", "S1C1"),
    "outsider": ("S2C1GA", "S1"),
    "system_admin": ("S2C1GA", None),
}
NO_SCOPE = ["resident", "security_admin", "audit_admin"]


def area_id(code: str) -> int:
    return Area.objects.get(code=code).pk


@pytest.mark.parametrize("who", sorted(AREA_MATRIX))
def test_area_detail_inside_and_outside_scope(cast: Any, who: str, login: Any) -> None:
    inside, outside = AREA_MATRIX[who]
    client = login(getattr(cast, who))
    assert client.get(f"/api/v1/areas/{area_id(inside)}").status_code == 200
    if outside:
        response = client.get(f"/api/v1/areas/{area_id(outside)}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("who", NO_SCOPE)
def test_roles_without_scope_see_no_area(cast: Any, who: str, login: Any) -> None:
    client = login(getattr(cast, who))
    assert client.get("/api/v1/areas").json()["count"] == 0
    assert client.get(f"/api/v1/areas/{area_id('D')}").status_code == 404


@pytest.mark.parametrize(
    "who,expected",
    [
        ("grid_worker_a", {"S1C1GA", "S1C1GAB1"}),
        ("community_secretary", {"S1C1", "S1C1GA", "S1C1GB", "S1C1GAB1"}),
        ("outsider", {"S2", "S2C1", "S2C1GA"}),
    ],
)
def test_area_list_is_exactly_the_subtree(
    cast: Any, who: str, expected: set[str], login: Any
) -> None:
    body = login(getattr(cast, who)).get("/api/v1/areas?limit=100").json()
    assert {a["code"] for a in body["items"]} == expected
    assert body["count"] == len(expected)


@pytest.mark.parametrize(
    "who,expected",
    [
        ("grid_worker_a", {"DCGW", "S1ZF"}),  # the departments above its grid
        ("street_dispatcher", {"DCGW", "S1ZF"}),
        ("outsider", {"DCGW", "S2ZF"}),
        ("department_officer", {"DCGW"}),
        ("system_admin", {"DCGW", "S1ZF", "S2ZF"}),
        ("resident", set()),
        ("audit_admin", set()),
    ],
)
def test_department_visibility(cast: Any, who: str, expected: set[str], login: Any) -> None:
    user: User = getattr(cast, who)
    assert set(Department.objects.visible_to(user).values_list("code", flat=True)) == expected
    body = login(user).get("/api/v1/departments").json()
    assert {d["code"] for d in body["items"]} == expected


def test_department_detail_outside_scope_is_404(cast: Any, city: Any, login: Any) -> None:
    client = login(cast.street_dispatcher)
    assert client.get(f"/api/v1/departments/{city.dept_s1.pk}").status_code == 200
    assert client.get(f"/api/v1/departments/{city.dept_s2.pk}").status_code == 404


def test_user_visibility(cast: Any) -> None:
    visible = set(
        User.objects.visible_to(cast.community_secretary).values_list("username", flat=True)
    )
    assert {"grid_a", "grid_b", "building_head", "c1_staff", "c1_secretary"} <= visible
    assert not visible & {"s1_dispatcher", "s2_dispatcher", "officer", "secadmin"}
    assert User.objects.visible_to(cast.security_admin).count() == User.objects.count()
    assert list(User.objects.visible_to(cast.resident)) == [cast.resident]


def test_inactive_users_see_nothing(cast: Any) -> None:
    cast.street_dispatcher.is_active = False
    assert not Area.objects.visible_to(cast.street_dispatcher).exists()


# --- endpoint cast: success, validation, unauthenticated, query count -------------------------


def test_area_list_filters_by_parent_and_kind(
    cast: Any, city: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    client = login(cast.street_dispatcher)
    client.get("/api/v1/me")  # the first request writes the session
    # session, user, TOTP check, scope (2), the parent, count, page
    with django_assert_max_num_queries(8):
        body = client.get(f"/api/v1/areas?parent={city.s1.pk}").json()
    assert [a["code"] for a in body["items"]] == ["S1C1", "S1C2"]
    assert {a["parent_id"] for a in body["items"]} == {city.s1.pk}
    grids = client.get("/api/v1/areas?kind=grid").json()
    assert {a["code"] for a in grids["items"]} == {"S1C1GA", "S1C1GB", "S1C2GA"}
    assert client.get(f"/api/v1/areas?parent={city.s2.pk}").status_code == 404


def test_area_list_query_count_does_not_grow_with_rows(
    cast: Any, city: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    from grassroots.territory.services import area_create

    for i in range(30):
        area_create(actor=None, parent=city.grid_b, kind="building", code=f"B{i}", name=f"楼{i}")
    client = login(cast.street_dispatcher)
    client.get("/api/v1/me")
    with django_assert_max_num_queries(7):
        body = client.get("/api/v1/areas?limit=100").json()
    assert body["count"] == 7 + 30  # the street, 2 communities, 3 grids, 1 + 30 buildings


def test_area_list_validation(cast: Any, login: Any) -> None:
    client = login(cast.street_dispatcher)
    response = client.get("/api/v1/areas?kind=planet")
    assert response.status_code == 400 and "kind" in response.json()["error"]["fields"]
    assert client.get("/api/v1/areas?parent=abc").status_code == 400
    assert client.get("/api/v1/areas/abc").status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/areas",
        "/api/v1/areas/1",
        "/api/v1/departments",
        "/api/v1/departments/1",
        "/api/v1/auth/tokens",
    ],
)
def test_unauthenticated_is_401(db: Any, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"


def test_department_detail_query_count(
    cast: Any, city: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    client = login(cast.street_dispatcher)
    client.get("/api/v1/me")
    with django_assert_max_num_queries(6):
        assert client.get(f"/api/v1/departments/{city.dept_s1.pk}").json()["code"] == "S1ZF"
