"""The resident's 我的楼栋 page and its 拨打 button (the number is revealed only when tapped)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grassroots.accounts.models import Role
from grassroots.core.models import AuditEntry
from grassroots.party.services import member_create
from grassroots.territory.models import Resident
from grassroots.territory.services import household_create, resident_create
from tests.conftest import id_number, make_user

BUILDING = "/m/building/"
GRID_WORKER_MOBILE = "13900000001"
RAW_NUMBERS = [
    GRID_WORKER_MOBILE,
    "13700000001",
    "13700000002",
    "13800138000",
    *(id_number(seed) for seed in range(1, 6)),
]


def call_url(kind: str, user: Any) -> str:
    return f"/m/building/call/{kind}/{user.pk}/"


def page(client: Client, path: str = BUILDING) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_home_has_a_tile_for_my_building(cast: Any, login: Any) -> None:
    html = page(login(cast.resident), "/m/")
    assert f'href="{BUILDING}"' in html and "我的楼栋" in html


def test_my_building_shows_contacts_and_members_who_show_themselves(
    people: Any, cast: Any, login: Any
) -> None:
    html = page(login(cast.resident))
    assert "东一1号楼" in html and "东一社区A网格" in html and "1-101" in html
    # Contacts: the grid worker with a masked number and a call button, the building head
    # without a number.
    contacts = html.split('data-testid="contacts"')[1].split("楼里的党员")[0]
    assert "grid_a" in contacts and "网格员" in contacts and "139****0001" in contacts
    assert f'href="{call_url("grid_worker", cast.grid_worker_a)}"' in contacts
    assert "building_head" in contacts and "楼栋长" in contacts and "未登记电话" in contacts
    assert call_url("building_head", cast.building_head) not in contacts
    assert "grid_b" not in contacts
    # Members: 王建国 consented; 李秀英 did not.
    assert "王建国" in html and "有事找我，随叫随到" in html
    assert "服务贴心人" in html and "矛盾润滑剂" in html
    assert '<span class="avatar avatar-party" aria-hidden="true">王</span>' in html
    assert "李秀英" not in html
    # The bottom tabs stay.
    for label in ("首页", "上报", "我的"):
        assert label in html
    for raw in RAW_NUMBERS:
        assert raw not in html, raw


def test_my_building_without_a_resident_record_explains(cast: Any, login: Any) -> None:
    stranger = make_user(Role.RESIDENT, "", mobile="13800138001")
    html = page(login(stranger))
    assert 'data-testid="no-building"' in html and "还没有和社区登记的居民信息关联" in html
    assert "首页" in html


def test_my_building_after_moving_out_explains(people: Any, cast: Any, login: Any) -> None:
    Resident.objects.filter(pk=people.me.pk).update(household=None)
    html = page(login(cast.resident))
    assert 'data-testid="no-building"' in html and "可能您已搬离原住址" in html


def test_my_building_is_for_residents(people: Any, cast: Any, login: Any) -> None:
    for path in (BUILDING, call_url("grid_worker", cast.grid_worker_a)):
        response = Client().get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
        for staff in (cast.grid_worker_a, cast.community_staff):
            assert login(staff).get(path).status_code == 403


def test_my_building_queries_do_not_grow_with_neighbours(
    people: Any, cast: Any, city: Any, login: Any
) -> None:
    client = login(cast.resident)

    def measure() -> int:
        client.get(BUILDING)
        with CaptureQueriesContext(connection) as ctx:
            page(client)
        return len(ctx.captured_queries)

    before = measure()
    assert before <= 8, before
    for i in range(4):
        household = household_create(actor=None, building=city.building_a1, unit="2", room=f"{i}")
        resident = resident_create(
            actor=None, household=household, name=f"邻居{i}", id_number=id_number(50 + i)
        )
        member_create(
            actor=None,
            name=resident.name,
            status="full",
            joined_on=date(2015, 7, 1),
            branch=people.branch_a,
            resident=resident,
            shows_identity=True,
            roles=["policy_relay"],
        )
        make_user(Role.GRID_WORKER, f"grid_a_{i}", areas=[city.grid_a], mobile=f"1390000010{i}")
    html = page(client)
    assert "邻居3" in html and "grid_a_3" in html
    assert measure() == before


# --- the call button ----------------------------------------------------------------------


def test_call_reveals_the_number_by_redirect_and_audits(people: Any, cast: Any, login: Any) -> None:
    response = login(cast.resident).get(call_url("grid_worker", cast.grid_worker_a))
    assert response.status_code == 302
    assert response["Location"] == f"tel:{GRID_WORKER_MOBILE}"
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    entry = AuditEntry.objects.get(action="personal.call")
    assert entry.actor_id == cast.resident.pk
    assert entry.object_type == "accounts.user" and entry.object_id == str(cast.grid_worker_a.pk)
    assert entry.street_id == people.me.street_id
    data = json.loads(entry.data)
    assert data["kind"] == "grid_worker" and data["masked"] == "139****0001"
    assert GRID_WORKER_MOBILE not in entry.data


@pytest.mark.parametrize(
    "kind, who",
    [
        ("building_head", "building_head"),  # no number on record
        ("grid_worker", "grid_worker_b"),  # another grid's worker
        ("building_head", "grid_worker_a"),  # right person, wrong role
        ("grid_worker", "community_staff"),
        ("boss", "grid_worker_a"),
    ],
)
def test_call_refuses_anyone_not_serving_the_building(
    people: Any, cast: Any, login: Any, kind: str, who: str
) -> None:
    response = login(cast.resident).get(call_url(kind, getattr(cast, who)))
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="personal.call").exists()


def test_call_refuses_a_resident_of_another_building(people: Any, cast: Any, login: Any) -> None:
    neighbour = make_user(Role.RESIDENT, "", mobile="13700000004")
    Resident.objects.filter(pk=people.west.pk).update(user=neighbour)
    client = login(neighbour)
    assert client.get(call_url("grid_worker", cast.grid_worker_a)).status_code == 404
    html = page(client)
    assert "西一1号楼" in html and "grid_a" not in html and "王建国" not in html
    stranger = make_user(Role.RESIDENT, "", mobile="13800138001")
    assert login(stranger).get(call_url("grid_worker", cast.grid_worker_a)).status_code == 404
    assert not AuditEntry.objects.filter(action="personal.call").exists()


def test_call_stops_when_the_worker_leaves(people: Any, cast: Any, login: Any) -> None:
    cast.grid_worker_a.is_active = False
    cast.grid_worker_a.save(update_fields=["is_active"])
    client = login(cast.resident)
    assert client.get(call_url("grid_worker", cast.grid_worker_a)).status_code == 404
    assert "grid_a" not in page(client).split("楼里的党员")[0]


def test_a_member_gives_and_withdraws_consent_to_show_identity(
    people: Any, cast: Any, login: Any
) -> None:
    from grassroots.core.models import AuditEntry
    from grassroots.party.models import PartyMember
    from grassroots.party.services import member_create

    # The cast's resident (张阿姨, in building A1) becomes a member who has not consented.
    member = member_create(
        actor=None,
        name="张阿姨",
        status="full",
        joined_on=people.m_wang.joined_on,
        branch=people.branch_a,
        resident=people.me,
        commitment="帮邻居收快递",
    )
    client = login(cast.resident)
    page = client.get("/m/me/").content.decode()
    assert "党员亮身份" in page and "同意亮身份" in page and "帮邻居收快递" in page
    assert "张阿姨" not in client.get("/m/building/").content.decode()
    response = client.post("/m/me/identity/", {"shows": "1"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.shows_identity and member.shows_identity_since is not None
    assert "张阿姨" in client.get("/m/building/").content.decode()
    assert (
        AuditEntry.objects.filter(action="party.identity_consent", actor=cast.resident).count() == 1
    )
    client.post("/m/me/identity/", {"shows": "0"})
    assert not PartyMember.objects.get(pk=member.pk).shows_identity
    assert "张阿姨" not in client.get("/m/building/").content.decode()


def test_identity_consent_is_only_for_members_themselves(
    people: Any, cast: Any, login: Any
) -> None:
    from django.test import Client

    # Not a member: nothing to consent to.
    assert login(cast.resident).post("/m/me/identity/", {"shows": "1"}).status_code == 404
    assert "党员亮身份" not in login(cast.resident).get("/m/me/").content.decode()
    # Staff cannot consent for a resident; GET is refused; anonymous is sent to log in.
    assert login(cast.community_staff).post("/m/me/identity/", {"shows": "1"}).status_code == 403
    assert login(cast.resident).get("/m/me/identity/").status_code == 405
    assert Client().post("/m/me/identity/", {"shows": "1"}).status_code == 302
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(cast.resident)
    assert csrf.post("/m/me/identity/", {"shows": "1"}).status_code == 403


def test_a_resident_member_reaches_organisational_life_from_me(
    people: Any, cast: Any, login: Any
) -> None:
    from grassroots.party.services import member_create

    client = login(cast.resident)
    assert 'data-testid="org-life"' not in client.get("/m/me/").content.decode()
    member_create(
        actor=None,
        name="张阿姨",
        status="full",
        joined_on=people.m_wang.joined_on,
        branch=people.branch_a,
        resident=people.me,
    )
    page = client.get("/m/me/").content.decode()
    assert 'data-testid="org-life"' in page
    for name in ("party:meetings", "party:points_mine", "party:appraisal_mine"):
        url = reverse(name)
        assert f'href="{url}"' in page
        assert client.get(url).status_code == 200
