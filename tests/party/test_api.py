"""The party API: organisations with the branch rules' findings, and members — scoped, and with
no phone number of a member anywhere."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from grassroots.party.models import PartyOrg
from grassroots.party.rules_check import add_years
from grassroots.party.services import member_create, party_org_create, party_org_set_committee
from grassroots.territory.services import household_create, resident_create
from tests.helpers import assert_masked, assert_not_found, fields, warm


def org_json(org: PartyOrg, parent: PartyOrg | None, total: int = 0, full: int = 0) -> Any:
    org.refresh_from_db()
    return {
        "id": org.pk,
        "name": org.name,
        "kind": org.kind,
        "kind_label": org.get_kind_display(),
        "setting": "territorial",
        "setting_label": "按区域设置",
        "parent_id": parent.pk if parent else None,
        "depth": org.depth,
        "area_id": org.area_id,
        "area_name": org.area.name if org.area else None,
        "member_unit_id": None,
        "members_total": total,
        "members_full": full,
    }


# --- GET /party-orgs ---------------------------------------------------------------------------


def test_party_org_list_of_a_street(people: Any, cast: Any, login: Any) -> None:
    response = login(cast.street_dispatcher).get("/api/v1/party-orgs")
    assert response.status_code == 200
    assert response.json() == {
        "count": 5,
        "items": [
            org_json(people.swc, None),
            org_json(people.cc1, people.swc),
            org_json(people.branch_a, people.cc1, total=4, full=3),
            org_json(people.group_a1, people.branch_a),
            org_json(people.branch_b, people.cc1),
        ],
    }


@pytest.mark.parametrize(
    "who,expected",
    [
        ("grid_worker_a", {"东一社区A网格党支部", "东一1号楼党小组"}),
        ("grid_worker_b", {"东一社区B网格党支部"}),
        (
            "community_secretary",
            {"东一社区党委", "东一社区A网格党支部", "东一1号楼党小组", "东一社区B网格党支部"},
        ),
        ("outsider", {"西街道党工委", "西一社区党委", "西一社区网格党支部"}),
        ("member_unit_contact", set()),  # community C2 has no organisation yet
        ("resident", set()),
        ("department_officer", set()),
    ],
)
def test_party_org_list_is_scoped(
    people: Any, cast: Any, login: Any, who: str, expected: set[str]
) -> None:
    body = login(getattr(cast, who)).get("/api/v1/party-orgs").json()
    assert {o["name"] for o in body["items"]} == expected
    assert body["count"] == len(expected)


def test_party_org_list_filters(people: Any, cast: Any, city: Any, login: Any) -> None:
    client = login(cast.street_dispatcher)

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/party-orgs?{query}")
        assert response.status_code == 200, response.content
        return [o["id"] for o in response.json()["items"]]

    assert ids(f"parent={people.cc1.pk}") == [people.branch_a.pk, people.branch_b.pk]
    assert ids(f"parent={people.branch_a.pk}") == [people.group_a1.pk]
    assert ids(f"parent={people.group_a1.pk}") == []
    assert ids(f"area={city.grid_a.pk}") == [people.branch_a.pk, people.group_a1.pk]
    assert ids(f"area={city.c1.pk}") == [
        people.cc1.pk,
        people.branch_a.pk,
        people.group_a1.pk,
        people.branch_b.pk,
    ]
    assert ids(f"area={city.c2.pk}") == []
    assert ids("kind=branch") == [people.branch_a.pk, people.branch_b.pk]
    assert ids(f"kind=group&parent={people.cc1.pk}") == []


def test_party_org_list_filter_outside_scope_is_404(
    people: Any, cast: Any, city: Any, login: Any
) -> None:
    client = login(cast.street_dispatcher)
    assert_not_found(client.get(f"/api/v1/party-orgs?parent={people.swc2.pk}"))
    assert_not_found(client.get(f"/api/v1/party-orgs?area={city.w1.pk}"))
    outsider = login(cast.outsider)
    assert_not_found(outsider.get(f"/api/v1/party-orgs?parent={people.cc1.pk}"))
    grid_b = login(cast.grid_worker_b)
    assert_not_found(grid_b.get(f"/api/v1/party-orgs?parent={people.branch_a.pk}"))


def test_party_org_list_validation(people: Any, cast: Any, login: Any) -> None:
    client = login(cast.street_dispatcher)
    assert fields(client.get("/api/v1/party-orgs?area=abc")) == {"area": ["须为整数。"]}
    assert fields(client.get("/api/v1/party-orgs?parent=1x")) == {"parent": ["须为整数。"]}
    assert fields(client.get("/api/v1/party-orgs?kind=cell")) == {"kind": ["不是可选的值。"]}


def test_party_org_list_query_count_does_not_grow(
    people: Any, cast: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    client = warm(login(cast.street_dispatcher))
    # session, user, TOTP check, scope (2), count, page (members counted in subqueries)
    with django_assert_max_num_queries(7):
        assert client.get("/api/v1/party-orgs?limit=100").json()["count"] == 5
    for i in range(15):
        branch = party_org_create(
            actor=None, parent=people.cc1, kind="branch", name=f"支部{i:02d}", area=None
        )
        for n in range(3):
            member_create(
                actor=None,
                name=f"党员{i}-{n}",
                status="full",
                joined_on=date(2010, 1, 1),
                branch=branch,
                user=None,
                resident=resident_create(
                    actor=None, household=people.hh_b1_201, name=f"党员{i}-{n}"
                ),
            )
    with django_assert_max_num_queries(7):
        body = client.get("/api/v1/party-orgs?limit=100").json()
    assert body["count"] == 20
    assert {o["members_full"] for o in body["items"] if o["name"].startswith("支部")} == {3}


# --- GET /party-orgs/{id} ----------------------------------------------------------------------


def test_party_org_detail_with_committee_and_findings(people: Any, cast: Any, login: Any) -> None:
    start = timezone.localdate() - timedelta(days=365)
    end = add_years(start, 5)
    party_org_set_committee(
        actor=None,
        org=people.branch_a,
        secretary=people.m_wang,
        committee=[people.m_li],
        term_start=start,
        term_end=end,
    )
    response = login(cast.community_secretary).get(f"/api/v1/party-orgs/{people.branch_a.pk}")
    assert response.status_code == 200
    body = response.json()
    assert sorted(body.pop("committee")) == sorted(["李秀英", "王建国"])
    assert body == {
        **org_json(people.branch_a, people.cc1, total=4, full=3),
        "secretary": "王建国",
        "term_start": start.isoformat(),
        "term_end": end.isoformat(),
        "findings": [
            {
                "level": "warning",
                "field": "committee",
                "message": "正式党员不足 7 人的支部不设委员会，设书记 1 名，必要时设副书记。",
            }
        ],
    }
    assert_masked(response.content)


def test_a_branch_without_members_shows_the_error(people: Any, cast: Any, login: Any) -> None:
    body = login(cast.grid_worker_b).get(f"/api/v1/party-orgs/{people.branch_b.pk}").json()
    assert body["secretary"] is None and body["committee"] == []
    assert body["term_start"] is None and body["term_end"] is None
    assert [(f["level"], f["field"]) for f in body["findings"]] == [("error", "members")]
    assert "正式党员不足 3 人" in body["findings"][0]["message"]


def test_a_committee_has_no_findings(people: Any, cast: Any, login: Any) -> None:
    body = login(cast.street_leader).get(f"/api/v1/party-orgs/{people.cc1.pk}").json()
    assert body["findings"] == [] and body["parent_id"] == people.swc.pk


@pytest.mark.parametrize(
    "who,org",
    [
        ("outsider", "cc1"),
        ("outsider", "branch_a"),
        ("street_dispatcher", "swc2"),
        ("street_dispatcher", "branch_w"),
        ("grid_worker_b", "branch_a"),
        ("grid_worker_a", "cc1"),  # above its grid
        ("resident", "branch_a"),
    ],
)
def test_party_org_detail_outside_scope_is_404(
    people: Any, cast: Any, login: Any, who: str, org: str
) -> None:
    pk = getattr(people, org).pk
    assert_not_found(login(getattr(cast, who)).get(f"/api/v1/party-orgs/{pk}"))


def test_party_org_detail_validation(cast: Any, login: Any) -> None:
    response = login(cast.street_dispatcher).get("/api/v1/party-orgs/abc")
    assert fields(response) == {"org_id": ["须为整数。"]}


def test_party_org_detail_query_count(
    people: Any, cast: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    client = warm(login(cast.street_dispatcher))
    # session, user, TOTP check, scope (2), the org, its committee, findings (counts, committee)
    with django_assert_max_num_queries(9):
        assert client.get(f"/api/v1/party-orgs/{people.branch_a.pk}").status_code == 200


# --- GET /members ------------------------------------------------------------------------------


def member_json(people: Any, member: Any, **changes: Any) -> dict[str, Any]:
    return {
        "id": member.pk,
        "name": member.name,
        "status": member.status,
        "status_label": member.get_status_display(),
        "joined_on": "2000-07-01",
        "branch": {"id": member.branch_id, "name": member.branch.name},
        "group": {"id": member.group_id, "name": member.group.name} if member.group else None,
        "resident_id": member.resident_id,
        "household": None,
        "community_registered": False,
        "commitment": "",
        "service_roles": [],
        "shows_identity": False,
        **changes,
    }


def test_member_detail(people: Any, cast: Any, login: Any) -> None:
    response = login(cast.street_dispatcher).get(f"/api/v1/members/{people.m_wang.pk}")
    assert response.status_code == 200
    assert response.json() == member_json(
        people,
        people.m_wang,
        household="东一1号楼 1单元101",
        commitment="有事找我，随叫随到",
        service_roles=["矛盾润滑剂", "服务贴心人"],
        shows_identity=True,
    )
    assert_masked(response.content)


def test_a_staff_member_has_no_household_and_no_mobile(people: Any, cast: Any, login: Any) -> None:
    response = login(cast.community_staff).get(f"/api/v1/members/{people.m_staff.pk}")
    assert response.json() == member_json(people, people.m_staff)
    assert b"13900000001" not in response.content and b"mobile" not in response.content


def test_member_list(people: Any, cast: Any, login: Any) -> None:
    response = login(cast.grid_worker_a).get("/api/v1/members")
    body = response.json()
    assert body["count"] == 4
    assert {m["name"] for m in body["items"]} == {"王建国", "李秀英", "grid_a", "赵明"}
    li = next(m for m in body["items"] if m["name"] == "李秀英")
    assert li == member_json(people, people.m_li, household="东一1号楼 1单元102")
    assert b"mobile" not in response.content
    assert_masked(response.content)


def test_the_household_of_a_member_living_elsewhere_is_not_shown(
    people: Any, cast: Any, login: Any
) -> None:
    """A member of grid A's branch who lives in the other street: the street dispatcher of S1
    sees the membership, not where the member lives."""
    far = household_create(actor=None, building=people.building_w1, unit="", room="302")
    resident = resident_create(actor=None, household=far, name="孙远", mobile="13711112222")
    member = member_create(
        actor=None,
        name="孙远",
        status="full",
        joined_on=date(2000, 7, 1),
        branch=people.branch_a,
        resident=resident,
    )
    response = login(cast.street_dispatcher).get(f"/api/v1/members/{member.pk}")
    assert response.json()["household"] is None
    assert "西一" not in response.content.decode() and b"13711112222" not in response.content
    # …and the outsider, whose street it is, does not see the membership at all
    assert_not_found(login(cast.outsider).get(f"/api/v1/members/{member.pk}"))


@pytest.mark.parametrize(
    "who,expected",
    [
        ("street_dispatcher", {"王建国", "李秀英", "grid_a", "赵明"}),
        ("grid_worker_b", set()),
        ("outsider", {"钱西"}),
        ("resident", set()),
        ("department_officer", set()),
    ],
)
def test_member_list_is_scoped(
    people: Any, cast: Any, login: Any, who: str, expected: set[str]
) -> None:
    body = login(getattr(cast, who)).get("/api/v1/members").json()
    assert {m["name"] for m in body["items"]} == expected


def test_a_user_sees_their_own_membership_outside_their_scope(
    people: Any, cast: Any, login: Any
) -> None:
    """The grid worker of grid B holding its membership in grid A's branch sees that one
    membership, not the branch's other members."""
    own = member_create(
        actor=None,
        name="grid_b",
        status="full",
        joined_on=date(2000, 7, 1),
        branch=people.branch_a,
        user=cast.grid_worker_b,
    )
    client = login(cast.grid_worker_b)
    assert client.get(f"/api/v1/members/{own.pk}").json() == member_json(people, own)
    assert [m["id"] for m in client.get("/api/v1/members").json()["items"]] == [own.pk]
    assert_not_found(client.get(f"/api/v1/members?branch={people.branch_a.pk}"))


def test_member_list_filters(people: Any, cast: Any, city: Any, login: Any) -> None:
    client = login(cast.street_dispatcher)

    def names(query: str) -> set[str]:
        response = client.get(f"/api/v1/members?{query}")
        assert response.status_code == 200, response.content
        return {m["name"] for m in response.json()["items"]}

    everyone = {"王建国", "李秀英", "grid_a", "赵明"}
    assert names(f"branch={people.branch_a.pk}") == everyone
    assert names(f"branch={people.cc1.pk}") == everyone  # the branches under the committee
    assert names(f"branch={people.group_a1.pk}") == {"王建国", "李秀英"}  # the group's members
    assert names(f"branch={people.branch_b.pk}") == set()
    assert names(f"area={city.grid_a.pk}") == everyone
    assert names(f"area={city.grid_b.pk}") == set()
    assert names("status=probationary") == {"赵明"}
    assert names(f"status=full&branch={people.group_a1.pk}") == {"王建国", "李秀英"}


def test_member_list_filter_outside_scope_is_404(
    people: Any, cast: Any, city: Any, login: Any
) -> None:
    client = login(cast.street_dispatcher)
    assert_not_found(client.get(f"/api/v1/members?branch={people.branch_w.pk}"))
    assert_not_found(client.get(f"/api/v1/members?area={city.s2.pk}"))
    outsider = login(cast.outsider)
    assert_not_found(outsider.get(f"/api/v1/members?branch={people.branch_a.pk}"))
    grid_b = login(cast.grid_worker_b)
    assert_not_found(grid_b.get(f"/api/v1/members?branch={people.group_a1.pk}"))


def test_member_list_validation(people: Any, cast: Any, login: Any) -> None:
    client = login(cast.street_dispatcher)
    assert fields(client.get("/api/v1/members?branch=abc")) == {"branch": ["须为整数。"]}
    assert fields(client.get("/api/v1/members?area=abc")) == {"area": ["须为整数。"]}
    assert fields(client.get("/api/v1/members?status=expelled")) == {"status": ["不是可选的值。"]}


@pytest.mark.parametrize(
    "who,member",
    [
        ("outsider", "m_wang"),
        ("street_dispatcher", "m_west"),
        ("grid_worker_b", "m_li"),
        ("community_staff", "m_west"),
        ("resident", "m_wang"),
    ],
)
def test_member_detail_outside_scope_is_404(
    people: Any, cast: Any, login: Any, who: str, member: str
) -> None:
    pk = getattr(people, member).pk
    assert_not_found(login(getattr(cast, who)).get(f"/api/v1/members/{pk}"))


def test_member_detail_validation(cast: Any, login: Any) -> None:
    response = login(cast.street_dispatcher).get("/api/v1/members/abc")
    assert fields(response) == {"member_id": ["须为整数。"]}


def test_member_list_query_count_does_not_grow(
    people: Any, cast: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    client = warm(login(cast.street_dispatcher))
    path = f"/api/v1/members?branch={people.cc1.pk}&limit=100"
    # session, user, TOTP check, scope (2), the org, count, page
    with django_assert_max_num_queries(8):
        assert client.get(path).json()["count"] == 4
    for i in range(20):
        household = household_create(actor=None, building=people.building_b1, unit="", room=f"{i}")
        member_create(
            actor=None,
            name=f"党员{i}",
            status="full",
            joined_on=date(2010, 1, 1),
            branch=people.branch_b,
            roles=["helper"],
            resident=resident_create(actor=None, household=household, name=f"党员{i}"),
        )
    with django_assert_max_num_queries(8):
        body = client.get(path).json()
    assert body["count"] == 24
    assert all(m["household"] for m in body["items"] if m["name"].startswith("党员"))


def test_member_detail_query_count(
    people: Any, cast: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    client = warm(login(cast.street_dispatcher))
    # session, user, TOTP check, scope (2), the member with branch, group, resident, household
    with django_assert_max_num_queries(6):
        assert client.get(f"/api/v1/members/{people.m_wang.pk}").status_code == 200


# --- everywhere --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/party-orgs", "/api/v1/party-orgs/1", "/api/v1/members", "/api/v1/members/1"]
)
def test_unauthenticated_is_401(db: Any, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_a_bearer_token_reads_the_same(people: Any, cast: Any, bearer: Any) -> None:
    response = Client().get("/api/v1/members", **bearer(cast.grid_worker_a))
    assert response.status_code == 200 and response.json()["count"] == 4
    assert_masked(response.content)
