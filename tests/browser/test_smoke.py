"""Smoke tests in a real browser: signing in, the two layouts, errors, the HTMX SMS code."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import SKIP_MESSAGE
from tests.conftest import PASSWORD

expect = pytest.importorskip("playwright.sync_api", reason=SKIP_MESSAGE).expect

pytestmark = [pytest.mark.browser]

RESIDENT_MOBILE = "13800138000"
RESIDENT_MASKED = "138****8000"


def sign_in(page: Any, url: Any, username: str, password: str = PASSWORD) -> None:
    page.goto(url("/accounts/login/"))
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()


def scroll_width(page: Any) -> int:
    return int(page.evaluate("document.scrollingElement.scrollWidth"))


def assert_inside_viewport(page: Any, locator: Any) -> None:
    box = locator.bounding_box()
    size = page.viewport_size
    assert box is not None, "element is not rendered"
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= size["width"] + 0.5, (box, size)
    assert box["y"] + box["height"] <= size["height"] + 0.5, (box, size)


def test_staff_signs_in_sees_own_street_and_signs_out(page, url, snap, cast):
    page.goto(url("/accounts/login/"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    snap(page, "login")

    sign_in(page, url, "s1_dispatcher")
    expect(page).to_have_url(url("/workbench/"))
    expect(page.get_by_test_id("who")).to_have_text("s1_dispatcher · 街道派单员")
    expect(page.get_by_test_id("scope")).to_have_text("管辖：东街道")
    nav = page.get_by_role("navigation", name="工作台导航")
    for label in ("工作台", "辖区", "职能部门", "账号与安全"):
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    snap(page, "workbench")

    nav.get_by_role("link", name="辖区", exact=True).click()
    expect(page).to_have_url(url("/workbench/areas/"))
    expect(page.get_by_role("heading", name="辖区", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="辖区", exact=True)).to_have_class(re.compile(r"\bon\b"))
    rows = page.locator("table tbody")
    expect(rows.get_by_role("cell", name="东一社区", exact=True)).to_be_visible()
    expect(rows.get_by_role("cell", name="东二社区", exact=True)).to_be_visible()
    expect(rows).not_to_contain_text("西一社区")
    expect(rows).not_to_contain_text("西街道")
    snap(page, "areas")

    page.get_by_role("button", name="退出", exact=True).click()
    expect(page).to_have_url(url("/accounts/login/"))
    expect(page.get_by_role("button", name="登录", exact=True)).to_be_visible()
    page.goto(url("/workbench/"))
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/workbench/$"))
    snap(page, "signed-out")


def test_resident_signs_in_on_phone_with_mobile(phone, url, snap, cast):
    page = phone
    sign_in(page, url, RESIDENT_MOBILE)
    expect(page).to_have_url(url("/m/"))
    tabbar = page.get_by_role("navigation", name="主导航")
    expect(tabbar).to_be_visible()
    for label in ("首页", "上报", "我的"):
        expect(tabbar.get_by_role("link", name=label)).to_be_visible()
    assert_inside_viewport(page, tabbar)
    assert scroll_width(page) <= 390
    assert RESIDENT_MOBILE not in page.content()
    snap(page, "home")

    tabbar.get_by_role("link", name="我的").click()
    expect(page).to_have_url(url("/m/me/"))
    expect(page.get_by_test_id("mobile")).to_have_text(RESIDENT_MASKED)
    expect(tabbar.get_by_role("link", name="我的")).to_have_class(re.compile(r"\bon\b"))
    assert_inside_viewport(page, tabbar)
    assert scroll_width(page) <= 390
    assert RESIDENT_MOBILE not in page.content()
    snap(page, "me")

    tabbar.get_by_role("link", name="上报").click()
    expect(page).to_have_url(url("/m/report/"))
    assert_inside_viewport(page, tabbar)
    assert scroll_width(page) <= 390
    snap(page, "report")


def test_grid_worker_workbench_fits_a_phone(phone, url, snap, cast):
    page = phone
    page.goto(url("/accounts/login/"))
    assert scroll_width(page) <= 390
    snap(page, "login")

    sign_in(page, url, "grid_a")
    expect(page).to_have_url(url("/workbench/"))
    expect(page.get_by_test_id("who")).to_have_text("grid_a · 网格员")
    expect(page.get_by_test_id("scope")).to_contain_text("东一社区A网格")
    expect(page.get_by_role("navigation", name="工作台导航")).to_be_visible()
    assert scroll_width(page) <= 390
    snap(page, "workbench")

    page.get_by_role("navigation", name="工作台导航").get_by_role(
        "link", name="辖区", exact=True
    ).click()
    expect(page).to_have_url(url("/workbench/areas/"))
    expect(page.locator("table tbody")).to_contain_text("东一社区A网格")
    assert scroll_width(page) <= 390
    snap(page, "areas")


def test_wrong_password_is_refused_in_chinese(page, url, snap, cast):
    sign_in(page, url, "s1_dispatcher", "wrong-pass-123")
    expect(page.get_by_role("alert")).to_have_text("账号或密码不正确。")
    expect(page).to_have_url(url("/accounts/login/"))
    expect(page.locator("input[name=username]")).to_have_value("s1_dispatcher")
    expect(page.locator("input[name=password]")).to_have_value("")
    snap(page, "refused")


def test_unknown_url_shows_chinese_404(page, url, snap, db):
    response = page.goto(url("/no-such-page/"))
    assert response is not None and response.status == 404
    expect(page).to_have_title("页面不存在")
    expect(page.get_by_role("heading", name="页面不存在")).to_be_visible()
    expect(page.get_by_role("link", name="返回首页")).to_be_visible()
    snap(page, "404")


def test_resident_signs_in_with_sms_code_on_phone(phone, url, snap, cast, sms_outbox):
    page = phone
    page.goto(url("/accounts/login/sms/"))
    page.locator("input[name=mobile]").fill(RESIDENT_MOBILE)
    page.get_by_role("button", name="获取验证码").click()
    status = page.locator("#sms-status").get_by_role("status")
    expect(status).to_contain_text("验证码已发送")
    assert scroll_width(page) <= 390
    snap(page, "code-sent")

    # The live server runs in a thread of this process, so its outbox is this one.
    assert [mobile for mobile, _text in sms_outbox] == [RESIDENT_MOBILE]
    found = re.search(r"\b(\d{6})\b", sms_outbox[-1][1])
    assert found, sms_outbox
    page.locator("input[name=code]").fill(found.group(1))
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(url("/m/"))
    expect(page.get_by_role("navigation", name="主导航")).to_be_visible()
    snap(page, "home")


def test_sms_code_for_a_bad_number_says_why(phone, url, snap, db, sms_outbox):
    page = phone
    page.goto(url("/accounts/login/sms/"))
    page.locator("input[name=mobile]").fill("12345")
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#sms-status").get_by_role("alert")).to_have_text("请输入 11 位手机号码。")
    assert sms_outbox == []
    snap(page, "bad-number")
