"""People and party pages in a real browser: the grid page on a phone and a desktop, 我的楼栋
for a resident, the tree search, and the grid map drawn by ECharts."""

from __future__ import annotations

import re
from typing import Any

import pytest

from grassroots.party.services import household_link_create
from grassroots.territory.models import AreaKind
from grassroots.territory.services import area_create, household_create
from tests.browser.conftest import SKIP_MESSAGE
from tests.conftest import PASSWORD, polygon

expect = pytest.importorskip("playwright.sync_api", reason=SKIP_MESSAGE).expect

pytestmark = [pytest.mark.browser]

RAW_NUMBERS = ["13700000001", "13700000002", "13800138000", "13900000001"]


def sign_in(page: Any, url: Any, username: str) -> None:
    page.goto(url("/accounts/login/"))
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator("input[name=password]")).to_have_count(0)


def scroll_width(page: Any) -> int:
    return int(page.evaluate("document.scrollingElement.scrollWidth"))


def assert_no_raw_numbers(page: Any) -> None:
    html = page.content()
    for raw in RAW_NUMBERS:
        assert raw not in html, raw


def test_grid_page_on_a_grid_workers_phone(phone, url, snap, city, people) -> None:
    household_link_create(actor=None, member=people.m_li, household=people.hh_a1_101)
    page = phone
    sign_in(page, url, "grid_a")
    page.get_by_role("navigation", name="工作台导航").get_by_role(
        "link", name="组织与辖区", exact=True
    ).click()
    expect(page).to_have_url(url("/workbench/party/"))
    page.get_by_test_id("area-tree").get_by_role("link", name="东一社区A网格").click()
    expect(page.get_by_role("heading", name="东一社区A网格")).to_be_visible()
    expect(page.get_by_test_id("grid-stats")).to_contain_text("3")
    building = page.locator("details.building").first
    expect(building).to_have_attribute("open", "")
    expect(building.get_by_test_id("coverage")).to_contain_text("已联系 1/2 户")
    household = page.locator(f"#h{people.hh_a1_101.pk}")
    household.locator("summary strong").click()
    expect(household.get_by_text("137****0001")).to_be_visible()
    expect(household.get_by_text("退役军人")).to_be_visible()
    expect(household.get_by_text("独居老人")).to_have_count(0)
    assert scroll_width(page) <= 390
    assert_no_raw_numbers(page)
    snap(page, "grid-phone")


def test_grid_page_on_a_desktop_for_community_staff(page, url, snap, city, people) -> None:
    sign_in(page, url, "c1_staff")
    page.goto(url(f"/workbench/party/areas/{city.grid_a.pk}/"))
    household = page.locator(f"#h{people.hh_a1_101.pk}")
    household.locator("summary strong").click()
    expect(household.get_by_text("独居老人")).to_be_visible()
    page.locator(f"#h{people.hh_a1_102.pk} summary strong").click()
    expect(page.get_by_test_id("unlinked")).to_contain_text("1-102")
    expect(page.get_by_test_id("branch")).to_contain_text("东一社区A网格党支部")
    assert scroll_width(page) <= 1280
    assert_no_raw_numbers(page)
    snap(page, "grid-desktop")


def test_my_building_on_a_residents_phone(phone, url, snap, people) -> None:
    page = phone
    sign_in(page, url, "13800138000")
    expect(page).to_have_url(url("/m/"))
    snap(page, "home")
    page.get_by_role("link", name=re.compile("我的楼栋")).click()
    expect(page).to_have_url(url("/m/building/"))
    expect(page.get_by_role("heading", name="东一1号楼")).to_be_visible()
    member = page.get_by_test_id("member")
    expect(member).to_have_count(1)
    expect(member).to_contain_text("王建国")
    expect(member).to_contain_text("有事找我，随叫随到")
    expect(member.locator(".avatar")).to_have_text("王")
    call = page.get_by_role("link", name="拨打grid_a的电话")
    expect(call).to_be_visible()
    assert "tel:" not in (call.get_attribute("href") or "")
    tabbar = page.get_by_role("navigation", name="主导航")
    for label in ("首页", "上报", "我的"):
        expect(tabbar.get_by_role("link", name=label)).to_be_visible()
    assert scroll_width(page) <= 390
    assert_no_raw_numbers(page)
    snap(page, "my-building")


def test_tree_search_filters_both_trees(page, url, snap, people) -> None:
    sign_in(page, url, "s1_dispatcher")
    page.goto(url("/workbench/party/"))
    orgs = page.get_by_test_id("org-tree")
    areas = page.get_by_test_id("area-tree")
    expect(orgs.get_by_role("link", name="东一社区A网格党支部")).to_be_visible()
    expect(areas.get_by_role("link", name="东二社区网格")).to_be_visible()
    snap(page, "trees")
    page.get_by_role("searchbox").fill("bwg")  # pinyin initials of B网格; HTMX swaps the trees
    expect(orgs.get_by_role("link", name="东一社区A网格党支部")).to_have_count(0)
    expect(
        page.get_by_test_id("org-tree").get_by_role("link", name="东一社区B网格党支部")
    ).to_be_visible()
    expect(
        page.get_by_test_id("area-tree").get_by_role("link", name="东一社区B网格")
    ).to_be_visible()
    expect(page.get_by_test_id("area-tree").get_by_role("link", name="东二社区网格")).to_have_count(
        0
    )
    expect(page).to_have_url(re.compile(r"\?q=bwg$"))
    snap(page, "trees-searched")


def test_trees_stack_on_a_phone(phone, url, snap, people) -> None:
    page = phone
    sign_in(page, url, "c1_secretary")
    page.goto(url("/workbench/party/"))
    org_box = page.get_by_test_id("org-tree").bounding_box()
    area_box = page.get_by_test_id("area-tree").bounding_box()
    assert org_box and area_box and area_box["y"] > org_box["y"] + org_box["height"]
    assert scroll_width(page) <= 390
    snap(page, "trees-phone")


def more_grids(city: Any, people: Any) -> None:
    """Two more mapped grids next to grid A, with different numbers of households."""
    household_link_create(actor=None, member=people.m_li, household=people.hh_a1_101)
    for i, (x, y, rooms) in enumerate([(116.31, 39.90, 5), (116.30, 39.91, 1)]):
        grid = area_create(
            actor=None,
            parent=city.c1,
            kind=AreaKind.GRID,
            code=f"S1C1GM{i}",
            name=f"东一社区{'CD'[i]}网格",
            boundary=polygon(x, y),
        )
        building = area_create(
            actor=None, parent=grid, kind=AreaKind.BUILDING, code=f"S1C1GM{i}B", name="楼"
        )
        for room in range(rooms):
            household_create(actor=None, building=building, unit="", room=str(room))


def test_grid_map_draws_with_echarts(page, url, snap, city, people) -> None:
    more_grids(city, people)
    sign_in(page, url, "c1_staff")
    page.goto(url(f"/workbench/party/areas/{city.c1.pk}/"))
    chart = page.locator("[data-gridmap]")
    expect(chart).to_have_attribute("data-ready", "1")
    expect(chart.locator("canvas")).to_have_count(1)
    expect(page.get_by_test_id("unmapped")).to_contain_text("东一社区B网格")
    # Something was painted: the canvas is not blank.
    painted = page.evaluate(
        """() => { const c = document.querySelector('[data-gridmap] canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"""
    )
    assert painted > 1000, painted
    snap(page, "grid-map")
    page.get_by_label("地图着色依据").select_option("share")
    expect(chart).to_have_attribute("data-measure-shown", "share")
    snap(page, "grid-map-share")


def test_grid_map_on_a_phone(phone, url, snap, city, people) -> None:
    more_grids(city, people)
    page = phone
    sign_in(page, url, "c1_secretary")
    page.goto(url(f"/workbench/party/areas/{city.c1.pk}/"))
    expect(page.locator("[data-gridmap]")).to_have_attribute("data-ready", "1")
    assert scroll_width(page) <= 390
    snap(page, "grid-map-phone")


def test_org_member_and_units_pages_on_a_phone(phone, url, snap, city, people) -> None:
    from grassroots.alliance.services import member_unit_create

    member_unit_create(
        actor=None,
        name="东一小学",
        kind="school",
        area=city.c1,
        address="东一路 1 号",
        contact_name="刘老师",
        contact_mobile="13600000009",
    )
    page = phone
    sign_in(page, url, "c1_staff")
    page.goto(url("/workbench/party/"))
    page.get_by_test_id("org-tree").get_by_role("link", name="东一社区B网格党支部").click()
    expect(page.get_by_test_id("errors")).to_contain_text("正式党员不足 3 人")
    assert scroll_width(page) <= 390
    snap(page, "org-with-errors")
    page.goto(url(f"/workbench/party/orgs/{people.branch_a.pk}/"))
    assert scroll_width(page) <= 390
    snap(page, "org")
    page.get_by_test_id("members").get_by_role("link", name="王建国").click()
    expect(page.get_by_test_id("consent")).to_contain_text("已同意")
    assert scroll_width(page) <= 390
    snap(page, "member")
    page.get_by_role("navigation", name="工作台导航").get_by_role("link", name="驻区单位").click()
    expect(page.get_by_test_id("units")).to_contain_text("136****0009")
    assert "13600000009" not in page.content()
    assert scroll_width(page) <= 390
    snap(page, "units")
    page.get_by_label("单位类型").select_option("hospital")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_test_id("units")).to_contain_text("没有这一类型的驻区单位。")
    assert scroll_width(page) <= 390
    snap(page, "units-filtered")
