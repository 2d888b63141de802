"""Workbench pages for people and party: 组织与辖区, an organisation, a member, a grid (or
building), an area with its grid map, and the member units. On the `people` fixture."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grassroots.accounts.models import Role
from grassroots.alliance.services import member_unit_create
from grassroots.party.models import OrgKind, OrgSetting
from grassroots.party.services import (
    household_link_create,
    member_create,
    party_org_create,
    party_org_set_committee,
)
from grassroots.territory.models import AreaKind
from grassroots.territory.services import area_create, household_create, resident_create
from tests.conftest import id_number, make_user, polygon

RAW_MOBILES = ["13700000001", "13700000002", "13700000003", "13700000004", "13800138000"]
STAFF_MOBILE = "13900000001"  # the grid worker of grid A
UNIT_MOBILE = "13600000009"


def overview() -> str:
    return "/workbench/party/"


def area_url(area: Any) -> str:
    return f"/workbench/party/areas/{area.pk}/"


def org_url(org: Any) -> str:
    return f"/workbench/party/orgs/{org.pk}/"


def member_url(member: Any) -> str:
    return f"/workbench/party/members/{member.pk}/"


def html_of(client: Client, path: str, status: int = 200, **extra: Any) -> str:
    response = client.get(path, **extra)
    assert response.status_code == status, (path, response.status_code)
    return response.content.decode()


def assert_no_personal_numbers(html: str, people: Any) -> None:
    """No full mobile or ID number anywhere in the page, masked forms only."""
    for raw in [*RAW_MOBILES, STAFF_MOBILE, UNIT_MOBILE]:
        assert raw not in html, raw
    for seed in range(1, 40):
        assert id_number(seed) not in html, seed


def count_queries(client: Client, path: str) -> int:
    client.get(path)  # warm: the session and the first-request work are not what is measured
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries)


_seed = iter(range(100, 1_000))


def grow(city: Any, people: Any, n: int = 3) -> None:
    """More of everything the pages list: buildings, households, residents with tags, links,
    grids with boundaries, organisations, members, member units."""
    for i in range(n):
        seed = next(_seed)
        building = area_create(
            actor=None,
            parent=city.grid_a,
            kind=AreaKind.BUILDING,
            code=f"S1C1GAX{seed}",
            name=f"东一新{seed}号楼",
        )
        grid = area_create(
            actor=None,
            parent=city.c1,
            kind=AreaKind.GRID,
            code=f"S1C1GX{seed}",
            name=f"东一新网格{seed}",
            boundary=polygon(116.30 + 0.011 * (i + 1), 39.90),
        )
        inner = area_create(
            actor=None, parent=grid, kind=AreaKind.BUILDING, code=f"S1C1GX{seed}B", name="楼"
        )
        branch = party_org_create(
            actor=None, parent=people.cc1, kind=OrgKind.BRANCH, name=f"新网格{seed}支部", area=grid
        )
        party_org_create(
            actor=None,
            parent=people.branch_a,
            kind=OrgKind.GROUP,
            name=f"新{seed}小组",
            area=building,
        )
        for target in (building, inner, city.building_a1):
            person = next(_seed)
            household = household_create(actor=None, building=target, unit="9", room=f"{person}")
            resident = resident_create(
                actor=None,
                household=household,
                name=f"居民{person}",
                id_number=id_number(person),
                mobile=f"135{person:08d}",
                tags=["elderly_alone", "veteran"],
            )
            member = member_create(
                actor=None,
                name=resident.name,
                status="full",
                joined_on=date(2010, 1, 1),
                branch=branch if target is inner else people.branch_a,
                resident=resident,
                shows_identity=True,
                roles=["helper"],
            )
            # Links stay inside the member's branch territory (the service refuses others).
            if household.area_path.startswith(member.branch.area_path):
                household_link_create(actor=None, member=member, household=household)
            if i < 2 and target is city.building_a1:  # the member page lists 王建国's links
                household_link_create(actor=None, member=people.m_wang, household=household)
        member_unit_create(
            actor=None,
            name=f"单位{seed}",
            kind="enterprise",
            area=city.c1,
            contact_mobile=f"136{seed:08d}",
        )


def assert_does_not_grow(client: Client, path: str, city: Any, people: Any, limit: int) -> None:
    before = count_queries(client, path)
    assert before <= limit, before
    grow(city, people)
    after = count_queries(client, path)
    assert after == before, (before, after)


# --- who may open the pages -------------------------------------------------------------------


def all_paths(city: Any, people: Any) -> list[str]:
    return [
        overview(),
        org_url(people.branch_a),
        member_url(people.m_wang),
        area_url(city.grid_a),
        area_url(city.c1),
        "/workbench/units/",
    ]


def test_it_sends_strangers_to_login(city: Any, people: Any) -> None:
    for path in all_paths(city, people):
        response = Client().get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/?next="), path


@pytest.mark.parametrize(
    "role", ["resident", "department_officer", "audit_admin", "security_admin"]
)
def test_it_refuses_users_without_a_territory(
    city: Any, people: Any, cast: Any, login: Any, role: str
) -> None:
    client = login(getattr(cast, role))
    for path in all_paths(city, people):
        assert client.get(path).status_code == 403, path


def test_it_hides_another_scopes_objects(city: Any, people: Any, cast: Any, login: Any) -> None:
    outsider = login(cast.outsider)  # the other street's dispatcher
    for path in [
        area_url(city.grid_a),
        area_url(city.c1),
        area_url(city.building_a1),
        org_url(people.branch_a),
        member_url(people.m_wang),
    ]:
        assert outsider.get(path).status_code == 404, path
    grid_b = login(cast.grid_worker_b)
    assert grid_b.get(area_url(city.grid_a)).status_code == 404
    assert grid_b.get(org_url(people.branch_a)).status_code == 404
    assert grid_b.get(member_url(people.m_wang)).status_code == 404
    assert grid_b.get(area_url(city.grid_b)).status_code == 200
    head = login(cast.building_head)
    assert head.get(area_url(city.grid_a)).status_code == 404
    assert head.get(area_url(city.building_a1)).status_code == 200
    assert head.get(area_url(people.building_b1)).status_code == 404
    staff = login(cast.community_staff)
    assert staff.get(member_url(people.m_west)).status_code == 404
    assert staff.get(org_url(people.branch_w)).status_code == 404
    assert staff.get("/workbench/party/orgs/999999/").status_code == 404
    assert staff.get("/workbench/party/areas/999999/").status_code == 404


def test_navigation_offers_the_pages_to_staff_with_a_territory(cast: Any, login: Any) -> None:
    for user in (cast.grid_worker_a, cast.community_secretary, cast.street_dispatcher):
        html = html_of(login(user), "/workbench/")
        assert "组织与辖区" in html and "/workbench/party/" in html
        assert "驻区单位" in html and "/workbench/units/" in html
    for user in (cast.audit_admin, cast.department_officer):
        html = html_of(login(user), "/workbench/")
        assert "/workbench/party/" not in html and "/workbench/units/" not in html


def test_navigation_lights_the_section_on_every_page_of_it(
    city: Any, people: Any, cast: Any, login: Any
) -> None:
    html = html_of(login(cast.community_staff), org_url(people.branch_a))
    assert re.search(r'href="/workbench/party/" class="on"', html)
    assert not re.search(r'href="/workbench/areas/" class="on"', html)


# --- 组织与辖区 ----------------------------------------------------------------------------------


def test_overview_shows_both_trees_with_counts_and_links(
    city: Any, people: Any, cast: Any, login: Any
) -> None:
    html = html_of(login(cast.community_secretary), overview())
    orgs, areas = html.split('data-testid="area-tree"')
    for name in ("东一社区党委", "东一社区A网格党支部", "东一1号楼党小组", "东一社区B网格党支部"):
        assert name in orgs
    assert "东街道党工委" not in orgs and "西街道" not in html
    # Members rolled up: branch A holds four, the community committee has them all.
    assert re.search(r"东一社区党委</a>.*?4 名党员", orgs, re.S)
    # A group counts the members placed in it (their organisation is the branch).
    assert re.search(r"东一1号楼党小组</a>.*?2 名党员", orgs, re.S)
    assert f'href="{org_url(people.branch_a)}"' in orgs
    # Areas with households and residents rolled up; grids link to their page.
    assert re.search(r"东一社区</a>.*?3 户 · 4 人", areas, re.S)
    assert re.search(r"东一社区A网格</a>.*?1 栋 · 2 户 · 3 人", areas, re.S)
    assert f'href="{area_url(city.grid_a)}"' in areas
    assert f'href="{area_url(city.grid_b)}"' in areas
    assert "东一1号楼" not in areas  # buildings are on their grid's page
    assert "<details open>" in html
    assert_no_personal_numbers(html, people)


def test_overview_searches_by_name_and_pinyin_initials(
    city: Any, people: Any, cast: Any, login: Any
) -> None:
    client = login(cast.community_secretary)
    for q in ("B网格", "bwg", "BWG"):
        html = html_of(client, f"{overview()}?q={q}")
        orgs, areas = html.split('data-testid="area-tree"')
        assert "东一社区B网格党支部" in orgs and "东一社区党委" in orgs  # the match and its parents
        assert "东一社区A网格党支部" not in orgs
        assert "东一社区B网格" in areas and "东一社区A网格" not in areas
    nothing = html_of(client, f"{overview()}?q=zzzz")
    assert "没有找到党组织。" in nothing and "没有找到辖区。" in nothing


def test_overview_search_answers_htmx_with_the_trees_only(
    city: Any, people: Any, cast: Any, login: Any
) -> None:
    html = html_of(login(cast.community_secretary), f"{overview()}?q=dy1hl", HTTP_HX_REQUEST="true")
    assert html.lstrip().startswith('<div id="trees"')
    assert "<html" not in html and "东一1号楼党小组" in html and "东一社区B网格党支部" not in html
    # A history restore (back button after a search) needs the whole page.
    client = login(cast.community_secretary)
    response = client.get(
        f"{overview()}?q=dy1hl", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in response.content.decode()
    assert "HX-Request" in response["Vary"]


def test_overview_a_building_head_sees_their_building(
    city: Any, people: Any, cast: Any, login: Any
) -> None:
    html = html_of(login(cast.building_head), overview())
    assert "东一1号楼" in html and f'href="{area_url(city.building_a1)}"' in html
    assert "东一1号楼党小组" in html and "东一社区A网格" not in html


def test_overview_queries_do_not_grow_with_the_trees(
    city: Any, people: Any, cast: Any, login: Any
) -> None:
    assert_does_not_grow(login(cast.community_secretary), overview(), city, people, limit=14)


# --- an organisation -------------------------------------------------------------------------


def test_org_page_shows_the_branch_and_its_members(
    city: Any, people: Any, cast: Any, login: Any
) -> None:
    today = timezone.localdate()
    party_org_set_committee(
        actor=None,
        org=people.branch_a,
        secretary=people.m_wang,
        committee=[],
        term_start=today - timedelta(days=5 * 365 - 30),
        term_end=today + timedelta(days=30),
    )
    html = html_of(login(cast.community_staff), org_url(people.branch_a))
    assert "党支部" in html and "东一社区A网格" in html
    assert f'href="{area_url(city.grid_a)}"' in html
    assert re.search(r"书记</span><span><a href=\"/workbench/party/members/\d+/\">王建国", html)
    assert "4 名（正式党员 3 名），含下级组织" in html
    for name in ("王建国", "李秀英", "赵明", "grid_a"):
        assert name in html
    assert "预备党员" in html and "共 4 名" in html
    assert f'href="{member_url(people.m_li)}"' in html
    assert "东一1号楼党小组" in html  # a sub-organisation
    assert "提醒" in html and "请做好换届准备" in html
    assert 'data-testid="errors"' not in html
    assert f'href="/workbench/party/life/orgs/{people.branch_a.pk}/"' in html  # 组织生活
    assert_no_personal_numbers(html, people)
    committee = html_of(login(cast.community_staff), org_url(people.cc1))
    assert 'data-testid="life-link"' not in committee  # a committee holds no meetings itself


def test_group_page_lists_the_members_placed_in_it(people: Any, cast: Any, login: Any) -> None:
    html = html_of(login(cast.grid_worker_a), org_url(people.group_a1))
    members = html.split('data-testid="members"')[1]
    assert "王建国" in members and "李秀英" in members and "赵明" not in members
    assert "共 2 名" in html


def test_org_page_lists_errors_to_put_right(people: Any, cast: Any, login: Any) -> None:
    html = html_of(login(cast.community_staff), org_url(people.branch_b))
    assert "待整改" in html and "正式党员不足 3 人" in html
    assert "还没有党员。" in html


def test_org_page_queries_do_not_grow_with_members(
    city: Any, people: Any, cast: Any, login: Any
) -> None:
    assert_does_not_grow(login(cast.community_staff), org_url(people.cc1), city, people, limit=16)


# --- a member --------------------------------------------------------------------------------


def test_member_page_shows_the_record(city: Any, people: Any, cast: Any, login: Any) -> None:
    household_link_create(actor=None, member=people.m_wang, household=people.hh_a1_102)
    html = html_of(login(cast.community_staff), member_url(people.m_wang))
    for text in (
        "王建国",
        "正式党员",
        "2000-07-01",
        "东一社区A网格党支部",
        "东一1号楼党小组",
        "有事找我，随叫随到",
        "服务贴心人",
        "矛盾润滑剂",
        "已同意",
        "137****0001",
        "东一1号楼 1单元102",
    ):
        assert text in html, text
    assert f'href="{area_url(city.building_a1)}#h{people.hh_a1_102.pk}"' in html
    assert f'href="/workbench/party/points/members/{people.m_wang.pk}/"' in html  # 积分明细
    assert_no_personal_numbers(html, people)
    li = html_of(login(cast.community_staff), member_url(people.m_li))
    assert "未同意" in li and "还没有联系户。" in li


def test_member_page_of_a_staff_member(people: Any, cast: Any, login: Any) -> None:
    html = html_of(login(cast.grid_worker_a), member_url(people.m_staff))
    assert "工作人员" in html and "139****0001" in html and STAFF_MOBILE not in html


def test_member_page_queries_do_not_grow_with_links(
    city: Any, people: Any, cast: Any, login: Any
) -> None:
    assert_does_not_grow(
        login(cast.community_staff), member_url(people.m_wang), city, people, limit=12
    )


# --- a grid ----------------------------------------------------------------------------------


def test_grid_page_shows_buildings_households_and_residents(
    city: Any, people: Any, cast: Any, login: Any
) -> None:
    household_link_create(actor=None, member=people.m_li, household=people.hh_a1_101)
    html = html_of(login(cast.grid_worker_a), area_url(city.grid_a))
    assert "东一1号楼" in html and "1-101" in html and "1-102" in html
    for name in ("王建国", "张阿姨", "李秀英"):
        assert name in html
    assert "137****0001" in html and "138****8000" in html
    # The grid worker and the grid's branch.
    workers = html.split('data-testid="workers"')[1].split("</span></div>")[0]
    assert "grid_a" in workers and "139****0001" in workers and "grid_b" not in workers
    assert f'href="{org_url(people.branch_a)}"' in html
    assert "building_head" in html  # the building head of A1
    # Coverage: one of two households has a linked member; the other is listed.
    assert "已联系 1/2 户" in html and "50%" in html
    unlinked = html.split('data-testid="unlinked"')[1].split("</div>")[0]
    assert "1-102" in unlinked and "1-101" not in unlinked
    assert f'href="{member_url(people.m_li)}"' in html
    assert_no_personal_numbers(html, people)


def test_grid_page_shows_sensitive_tags_to_community_staff_only(
    city: Any, people: Any, cast: Any, login: Any
) -> None:
    staff = html_of(login(cast.community_staff), area_url(city.grid_a))
    assert "独居老人" in staff and "退役军人" in staff
    for user in (cast.street_dispatcher, cast.grid_worker_a, cast.street_leader):
        html = html_of(login(user), area_url(city.grid_a))
        assert "退役军人" in html and "独居老人" not in html, user


def test_building_page_for_its_building_head(city: Any, people: Any, cast: Any, login: Any) -> None:
    html = html_of(login(cast.building_head), area_url(city.building_a1))
    assert "东一1号楼" in html and "1-101" in html and "王建国" in html and "137****0001" in html
    assert "东一1号楼党小组" in html and "网格力量" not in html
    assert_no_personal_numbers(html, people)


def test_grid_page_for_an_empty_grid(city: Any, people: Any, cast: Any, login: Any) -> None:
    html = html_of(login(cast.grid_worker_b), area_url(city.grid_b))
    assert "东一2号楼" in html and "赵明" in html and "已联系 0/1 户" in html
    assert "东一社区B网格党支部" in html
    empty = area_create(
        actor=None, parent=city.c1, kind=AreaKind.GRID, code="S1C1GE", name="空网格"
    )
    html = html_of(login(cast.community_staff), area_url(empty))
    assert "这里还没有楼栋。" in html and "未配备" in html and "未建立" in html


def test_grid_page_queries_do_not_grow_with_households(
    city: Any, people: Any, cast: Any, login: Any
) -> None:
    assert_does_not_grow(login(cast.community_staff), area_url(city.grid_a), city, people, limit=20)


# --- an area and its grid map ----------------------------------------------------------------


def test_community_page_draws_the_grid_map(city: Any, people: Any, cast: Any, login: Any) -> None:
    household_link_create(actor=None, member=people.m_li, household=people.hh_a1_101)
    html = html_of(login(cast.community_staff), area_url(city.c1))
    assert "网格地图" in html and "echarts.min.js" in html and "gridmap.js" in html
    assert "/static/vendor/echarts/echarts.min.js" in html  # served by us, never a CDN
    assert "https://" not in html and "http://" not in html
    data = json.loads(re.search(r'id="map-data"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert data["geojson"]["type"] == "FeatureCollection"
    assert [f["properties"]["name"] for f in data["geojson"]["features"]] == ["东一社区A网格"]
    rows = {r["name"]: r for r in data["rows"]}
    assert rows["东一社区A网格"]["households"] == 2 and rows["东一社区A网格"]["share"] == 50
    assert rows["东一社区B网格"]["residents"] == 1 and rows["东一社区B网格"]["share"] == 0
    assert rows["东一社区A网格"]["url"] == area_url(city.grid_a)
    unmapped = html.split('data-testid="unmapped"')[1].split("</p>")[0]
    assert "东一社区B网格" in unmapped and "东一社区A网格" not in unmapped
    assert "东一社区党委" in html
    assert_no_personal_numbers(html, people)


def test_area_page_without_boundaries_says_so(
    city: Any, people: Any, cast: Any, login: Any
) -> None:
    html = html_of(login(cast.street_dispatcher), area_url(city.c2))
    assert "下级区域都还没有绘制边界" in html and "echarts" not in html
    street = html_of(login(cast.street_dispatcher), area_url(city.s1))
    assert "辖区地图" in street and "东一社区" in street and "东二社区" in street


def test_area_page_queries_do_not_grow_with_grids(
    city: Any, people: Any, cast: Any, login: Any
) -> None:
    assert_does_not_grow(login(cast.community_staff), area_url(city.c1), city, people, limit=16)


# --- member units ----------------------------------------------------------------------------


@pytest.fixture
def units(city: Any, people: Any) -> dict[str, Any]:
    school = member_unit_create(
        actor=None,
        name="东一小学",
        kind="school",
        area=city.c1,
        address="东一路 1 号",
        contact_name="刘老师",
        contact_mobile=UNIT_MOBILE,
    )
    hospital = member_unit_create(actor=None, name="东一医院", kind="hospital", area=city.c1)
    west = member_unit_create(actor=None, name="西一公司", kind="enterprise", area=city.w1)
    party_org_create(
        actor=None,
        parent=people.cc1,
        kind=OrgKind.BRANCH,
        name="东一小学党支部",
        setting=OrgSetting.MEMBER_UNIT,
        member_unit=school,
    )
    return {"school": school, "hospital": hospital, "west": west}


def test_units_page_lists_visible_units(units: Any, people: Any, cast: Any, login: Any) -> None:
    html = html_of(login(cast.community_staff), "/workbench/units/")
    assert "东一小学" in html and "东一医院" in html and "西一公司" not in html
    assert "学校" in html and "东一路 1 号" in html and "刘老师" in html
    assert "136****0009" in html and "东一小学党支部" in html
    assert_no_personal_numbers(html, people)
    outsider = html_of(login(cast.outsider), "/workbench/units/")
    assert "西一公司" in outsider and "东一小学" not in outsider


def test_units_page_filters_by_kind(units: Any, cast: Any, login: Any) -> None:
    client = login(cast.community_staff)
    html = html_of(client, "/workbench/units/?kind=school")
    assert "东一小学" in html and "东一医院" not in html
    none = html_of(client, "/workbench/units/?kind=agency")
    assert "没有这一类型的驻区单位。" in none
    bad = html_of(client, "/workbench/units/?kind=castle", status=400)
    assert "选择一个有效的选项" in bad


def test_units_page_queries_do_not_grow(
    units: Any, city: Any, people: Any, cast: Any, login: Any
) -> None:
    assert_does_not_grow(login(cast.community_staff), "/workbench/units/", city, people, limit=12)


def test_a_member_unit_contact_sees_their_community_only(units: Any, cast: Any, login: Any) -> None:
    assert cast.member_unit_contact.role == Role.MEMBER_UNIT_CONTACT
    html = html_of(login(cast.member_unit_contact), "/workbench/units/")
    assert "东一小学" not in html and "管辖范围内还没有驻区单位。" in html
    other = make_user(Role.MEMBER_UNIT_CONTACT, "unit_c1", areas=[units["school"].area])
    assert "东一小学" in html_of(login(other), "/workbench/units/")
