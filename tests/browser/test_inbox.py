"""The inbox in a real browser: a resident on a phone, a staff member on a desktop."""

from __future__ import annotations

from typing import Any

import pytest

from grassroots.notices.models import Notice
from grassroots.notices.services import notify
from tests.browser.conftest import SKIP_MESSAGE
from tests.conftest import PASSWORD

expect = pytest.importorskip("playwright.sync_api", reason=SKIP_MESSAGE).expect


def sign_in(page: Any, url: Any, username: str) -> None:
    page.goto(url("/accounts/login/"))
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()


def test_a_resident_reads_a_message_on_the_phone(
    phone: Any, url: Any, snap: Any, cast: Any
) -> None:
    notify(
        recipients=[cast.resident], title="您的诉求已办结", body="请为我们的服务评价。", url="/m/"
    )
    page = phone
    sign_in(page, url, "13800138000")
    expect(page.get_by_test_id("unread")).to_have_text("1")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的").click()
    page.get_by_role("link", name="我的消息（1）").click()
    expect(page.get_by_test_id("notice")).to_contain_text("您的诉求已办结")
    expect(page.get_by_test_id("notice")).to_contain_text("未读")
    assert int(page.evaluate("document.scrollingElement.scrollWidth")) <= 390
    snap(page, "inbox")
    page.get_by_test_id("notice").click()
    expect(page).to_have_url(url("/m/"))
    expect(page.get_by_test_id("unread")).to_have_count(0)
    assert Notice.objects.get(recipient=cast.resident).read_at is not None


def test_staff_see_the_count_and_mark_all_read(page: Any, url: Any, snap: Any, cast: Any) -> None:
    for title in ("换届提醒：东一社区A网格党支部", "换届提醒：东一社区B网格党支部"):
        notify(recipients=[cast.community_secretary], title=title)
    sign_in(page, url, "c1_secretary")
    expect(page.get_by_test_id("inbox")).to_contain_text("2")
    page.get_by_test_id("inbox").click()
    expect(page.get_by_test_id("notice")).to_have_count(2)
    snap(page, "staff-inbox")
    page.get_by_role("button", name="全部标为已读").click()
    expect(page.get_by_text("未读", exact=True)).to_have_count(0)
    expect(page.get_by_test_id("inbox")).to_have_text("消息")
