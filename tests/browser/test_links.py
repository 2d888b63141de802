"""党员联系户 kept on a grid worker's phone: add a household to a member, see the count change
in place (HTMX), then remove it after the confirmation."""

from __future__ import annotations

from typing import Any

import pytest

from grassroots.party.models import HouseholdLink
from tests.browser.conftest import SKIP_MESSAGE
from tests.conftest import PASSWORD

expect = pytest.importorskip("playwright.sync_api", reason=SKIP_MESSAGE).expect

pytestmark = [pytest.mark.browser]


def sign_in(page: Any, url: Any, username: str) -> None:
    page.goto(url("/accounts/login/"))
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator("input[name=password]")).to_have_count(0)


def test_a_grid_worker_adds_and_removes_a_link_on_a_phone(phone, url, snap, people) -> None:
    page = phone
    sign_in(page, url, "grid_a")
    page.goto(url(f"/workbench/party/members/{people.m_wang.pk}/"))
    card = page.get_by_test_id("links")
    count = page.get_by_test_id("link-count")
    expect(count).to_have_text("已联系 0/上限 10 户")
    expect(card).to_contain_text("还没有联系户。")
    # A mark on the window survives an HTMX swap and is gone after a page load.
    page.evaluate("window.sameDocument = true")
    snap(page, "before")

    page.get_by_label("添加联系户").select_option(label="1-102")
    card.get_by_role("button", name="添加", exact=True).click()
    expect(count).to_have_text("已联系 1/上限 10 户")
    expect(card.get_by_role("status")).to_have_text("已添加联系户：东一1号楼 1单元102")
    expect(card.get_by_role("link", name="东一1号楼 1单元102")).to_be_visible()
    expect(page.locator("#link-household option", has_text="1-102")).to_have_count(0)
    assert page.evaluate("window.sameDocument === true")
    assert HouseholdLink.objects.filter(member=people.m_wang, household=people.hh_a1_102).exists()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    snap(page, "added")

    asked: list[str] = []

    def confirm(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", confirm)
    card.get_by_role("button", name="解除联系").click()
    expect(count).to_have_text("已联系 0/上限 10 户")
    expect(card.get_by_role("status")).to_have_text("已解除与 东一1号楼 1单元102 的联系。")
    expect(card).to_contain_text("还没有联系户。")
    assert asked == ["确定解除与 东一1号楼 1单元102 的联系吗？"]
    assert page.evaluate("window.sameDocument === true")
    assert not HouseholdLink.objects.filter(member=people.m_wang).exists()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    snap(page, "removed")
