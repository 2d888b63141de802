"""The 三率 page in a real browser: a street leader reads the month on a desktop, the ranking
table and the ECharts bar chart of the communities."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from grassroots.accounts.models import Role
from grassroots.tickets import services as s
from tests.browser.conftest import SKIP_MESSAGE
from tests.conftest import (
    PASSWORD,
    make_user,
)

expect = pytest.importorskip("playwright.sync_api", reason=SKIP_MESSAGE).expect

pytestmark = [pytest.mark.browser]


@pytest.fixture
def reviewed(cast: Any, city: Any) -> None:
    """Four rated tickets this month: three on grid A (one not solved), one on grid C2."""
    from django.apps import apps

    from grassroots.tickets.models import Category

    if not Category.objects.exists():  # emptied by an earlier transactional test
        importlib.import_module("grassroots.tickets.migrations.0002_seed_catalogue").seed(
            apps, None
        )
    grid_c2_worker = make_user(Role.GRID_WORKER, "grid_c2", areas=[city.grid_c2])
    answers = [
        (city.grid_a, cast.grid_worker_a, True, "satisfied"),
        (city.grid_a, cast.grid_worker_a, True, "basic"),
        (city.grid_a, cast.grid_worker_a, False, "unsatisfied"),
        (city.grid_c2, grid_c2_worker, True, "satisfied"),
    ]
    for grid, handler, solved, satisfaction in answers:
        ticket, _created = s.ticket_submit(
            actor=cast.resident, category="0101", description="楼下垃圾没人清运。",
            building=city.building_a1,
        )  # fmt: skip
        s.ticket_dispatch(actor=cast.street_dispatcher, ticket=ticket, to=grid)
        s.ticket_respond(actor=handler, ticket=ticket, method="phone")
        s.ticket_resolve(actor=handler, ticket=ticket, result="已清运。")
        s.ticket_review(
            actor=cast.resident, ticket=ticket, contacted=True, solved=solved,
            satisfaction=satisfaction,
        )  # fmt: skip


def sign_in(page: Any, url: Any, username: str) -> None:
    page.goto(url("/accounts/login/"))
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator("input[name=password]")).to_have_count(0)


def test_a_street_leader_reads_the_rates(page: Any, url: Any, snap: Any, reviewed: Any) -> None:
    sign_in(page, url, "s1_leader")
    page.goto(url("/workbench/tickets/rates/"))
    expect(page.get_by_role("heading", name="东街道三率")).to_be_visible()
    # The street: 4 valid reviews, all contacted, 3 solved, 2 satisfied + 1 basic.
    own = page.get_by_test_id("own-rates")
    expect(own).to_contain_text("100.0%")
    expect(own).to_contain_text("75.0%")
    expect(page.get_by_test_id("own-composite")).to_have_text("82.5")
    table = page.get_by_test_id("children")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("东二社区")  # 100 before 76.7
    expect(rows.nth(0)).to_contain_text("100.0")
    expect(rows.nth(1)).to_contain_text("东一社区")
    expect(rows.nth(1)).to_contain_text("66.7%")
    expect(page.get_by_test_id("departments")).to_contain_text("无有效回访")
    expect(page.locator("#rates-chart canvas")).to_have_count(1)
    assert int(page.evaluate("document.scrollingElement.scrollWidth")) <= 1280
    snap(page, "street-rates")
    rows.nth(1).get_by_role("link", name="东一社区").click()
    expect(page.get_by_role("heading", name="东一社区三率")).to_be_visible()
    expect(page.get_by_test_id("children")).to_contain_text("东一社区A网格")
    expect(page.get_by_role("link", name="返回东街道")).to_be_visible()
    snap(page, "community-rates")
