"""Requests on a phone (390×844): a resident reports with a photo and finds it in 我的诉求; the
grid worker opens the queue and handles it (respond, then resolve with a photo); the resident
rates the result. A patrol report takes the browser's location."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from grassroots.tickets import services as s
from grassroots.tickets.models import Review, Ticket, TicketState
from tests.browser.conftest import SKIP_MESSAGE
from tests.browser.test_smoke import scroll_width, sign_in
from tests.tickets.conftest import catalogue, png_bytes  # noqa: F401 - the seeded catalogue

expect = pytest.importorskip("playwright.sync_api", reason=SKIP_MESSAGE).expect

RESIDENT = "13800138000"


def photo(tmp_path: Path, name: str, color: str) -> str:
    path = tmp_path / name
    path.write_bytes(png_bytes(size=(640, 480), color=color))
    return str(path)


def switch_user(page: Any, url: Any, username: str) -> None:
    page.context.clear_cookies()
    sign_in(page, url, username)


def fits(page: Any) -> None:
    assert scroll_width(page) <= 390, "the page is wider than the phone"


def test_report_handle_and_rate_on_a_phone(
    phone: Any, url: Any, snap: Any, cast: Any, city: Any, people: Any, tmp_path: Path
) -> None:
    page = phone
    sign_in(page, url, RESIDENT)
    expect(page).to_have_url(url("/m/"))
    tabbar = page.get_by_role("navigation", name="主导航")
    tabbar.get_by_role("link", name="上报").click()
    expect(page).to_have_url(url("/m/report/"))
    fits(page)
    snap(page, "report-empty")

    # The picker's search works on pinyin initials: ljqy → 垃圾清运.
    page.get_by_label("搜索诉求类别").fill("ljqy")
    choice = page.get_by_role("radio", name="垃圾清运不及时")
    expect(choice).to_be_visible()
    expect(page.get_by_role("radio", name="违规张贴小广告")).to_be_hidden()  # same group
    expect(page.get_by_role("radio", name="电梯故障")).to_be_hidden()
    snap(page, "report-search")
    choice.check()
    expect(page.locator("[data-cat-picked]")).to_have_text("垃圾清运不及时")
    page.get_by_label("搜索诉求类别").fill("")
    page.get_by_role("radio", name="投诉").check()
    page.get_by_label("问题描述").fill("楼下垃圾桶满了，三天没人清运，气味很大。")
    expect(page.locator("[data-counter-for] span")).to_have_text("20")
    page.locator("input[data-album]").set_input_files(photo(tmp_path, "trash.png", "green"))
    expect(page.locator(".thumb img")).to_have_count(1)
    expect(page.get_by_label("所在楼栋")).to_have_value("S1C1GAB1")  # home, chosen for them
    page.get_by_label("详细地址").fill("1号楼北侧垃圾站")
    fits(page)
    snap(page, "report-filled")
    page.get_by_role("button", name="提交", exact=True).click()

    expect(page).to_have_url(re.compile(r"/m/requests/GR-\d{8}-\d{6}/$"))
    ticket = Ticket.objects.get()
    expect(page.get_by_role("status")).to_contain_text(f"提交成功，工单号 {ticket.number}")
    expect(page.get_by_test_id("state")).to_have_text("待派单")
    expect(page.locator(".thumb img")).to_have_count(1)
    assert ticket.photos.count() == 1 and ticket.request_type == "complaint"
    # The photo arrives in its own request: wait until it has loaded (or failed) to measure it.
    page.wait_for_function("document.querySelector('.thumb img').complete")
    assert page.locator(".thumb img").evaluate("img => img.naturalWidth") == 640
    fits(page)
    snap(page, "submitted")

    tabbar.get_by_role("link", name="诉求").click()
    expect(page).to_have_url(url("/m/requests/"))
    expect(page.get_by_test_id("ticket")).to_have_count(1)
    expect(page.get_by_test_id("ticket")).to_contain_text(ticket.number)
    fits(page)
    snap(page, "mine")

    # The street's dispatcher sends it to grid A (the desk is another page).
    s.ticket_dispatch(actor=cast.street_dispatcher, ticket=ticket, to=city.grid_a)

    switch_user(page, url, "grid_a")
    page.goto(url("/m/queue/"))
    card = page.get_by_test_id("ticket")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("垃圾清运不及时")
    expect(card.get_by_test_id("clock")).to_contain_text("响应剩")
    fits(page)
    snap(page, "queue")
    card.click()
    expect(page).to_have_url(url(f"/m/queue/{ticket.number}/"))
    expect(page.get_by_test_id("contact")).to_contain_text("138****8000")
    assert RESIDENT not in page.content()
    fits(page)
    snap(page, "handle")

    respond = page.get_by_test_id("act-respond")
    respond.get_by_role("radio", name="电话联系").check()
    respond.get_by_label("联系情况").fill("已电话联系，约定今天下午清运。")
    respond.get_by_role("button", name="保存联系情况").click()
    expect(page.get_by_role("status")).to_have_text("已登记联系情况。")
    expect(page.get_by_test_id("state")).to_have_text("办理中")

    resolve = page.get_by_test_id("act-resolve")
    expect(resolve).to_have_attribute("open", "")
    resolve.get_by_label("办理结果").fill("已清运，垃圾桶已清洗。")
    resolve.locator("input[data-album]").set_input_files(photo(tmp_path, "done.png", "blue"))
    expect(resolve.locator(".thumb img")).to_have_count(1)
    snap(page, "resolve-filled")
    resolve.get_by_role("button", name="提交办结").click()
    expect(page.get_by_role("status")).to_have_text("已办结，等待诉求人评价。")
    expect(page.get_by_test_id("state")).to_have_text("已办结")
    fits(page)
    snap(page, "resolved")

    switch_user(page, url, RESIDENT)
    page.goto(url(f"/m/requests/{ticket.number}/"))
    review = page.get_by_test_id("review")
    expect(review).to_be_visible()
    expect(review.get_by_test_id("resolution")).to_contain_text("已清运，垃圾桶已清洗。")
    expect(review.locator(".thumb img")).to_have_count(1)
    expect(page.get_by_test_id("timeline").locator(".thumb img")).to_have_count(1)
    fits(page)
    snap(page, "review")
    review.get_by_role("group", name="办理人员联系过您吗？").get_by_label("是").check()
    review.get_by_role("group", name="问题解决了吗？").get_by_label("是").check()
    review.get_by_label("满意", exact=True).check()
    review.get_by_label("评价", exact=True).fill("很及时，谢谢！")
    review.get_by_role("button", name="提交评价").click()
    expect(page.get_by_role("status")).to_have_text("感谢您的评价，这条诉求已结案。")
    expect(page.get_by_test_id("state")).to_have_text("已结案")
    snap(page, "closed")
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CLOSED
    assert Review.objects.get().satisfaction == "satisfied"


def test_a_patrol_report_uses_the_location(
    phone: Any, url: Any, snap: Any, cast: Any, city: Any
) -> None:
    page = phone
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 39.905, "longitude": 116.305, "accuracy": 20})
    sign_in(page, url, "grid_a")
    page.goto(url("/m/report/"))
    expect(page.get_by_role("heading", name="诉求类别")).to_be_visible()
    expect(page.locator(".phone-top")).to_have_text("巡查上报")
    page.get_by_label("搜索诉求类别").fill("违停")
    expect(page.get_by_role("radio", name="私装地锁")).to_be_hidden()
    page.get_by_role("radio", name="车辆乱停乱放").check()
    page.get_by_label("问题描述").fill("消防通道被私家车占用。")
    page.get_by_role("button", name="用我的位置").click()
    expect(page.locator("[data-locate-status]")).to_contain_text("已获取当前位置")
    expect(page.locator("input[name=lat]")).to_have_value("39.905000")
    page.get_by_label("详细地址").fill("东一社区北门消防通道")
    fits(page)
    snap(page, "patrol")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page).to_have_url(re.compile(r"/m/queue/GR-\d{8}-\d{6}/$"))
    expect(page.get_by_role("status")).to_contain_text("提交成功")
    ticket = Ticket.objects.get()
    assert ticket.channel == "grid_patrol" and ticket.area == city.grid_a
    assert ticket.lat == pytest.approx(39.905)
    snap(page, "patrol-submitted")


def test_a_bad_report_shows_the_messages_by_the_fields(
    phone: Any, url: Any, snap: Any, cast: Any, people: Any
) -> None:
    page = phone
    sign_in(page, url, RESIDENT)
    page.goto(url("/m/report/"))
    page.get_by_label("详细地址").fill("3号楼")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_text("请选择诉求类别。")).to_be_visible()
    expect(page.get_by_text("请填写问题描述。")).to_be_visible()
    expect(page.get_by_label("详细地址")).to_have_value("3号楼")
    fits(page)
    snap(page, "errors")
    assert not Ticket.objects.exists()


def test_the_queue_shows_overdue_first_in_red(
    phone: Any, url: Any, snap: Any, cast: Any, city: Any, people: Any
) -> None:
    def filed(description: str, category: str = "0101") -> Ticket:
        ticket, _ = s.ticket_submit(
            actor=cast.resident, category=category, description=description,
            building=city.building_a1,
        )  # fmt: skip
        s.ticket_dispatch(actor=cast.street_dispatcher, ticket=ticket, to=city.grid_a)
        return ticket

    now = timezone.now()
    calm = filed("路灯不亮", "0204")
    with time_machine.travel(now - timedelta(days=2), tick=False):
        late = filed("垃圾两天没人清运")
    with time_machine.travel(now - timedelta(minutes=90), tick=False):
        soon = filed("电梯困人", "0203")  # 2 hours to resolve, warned after one
        s.ticket_respond(actor=cast.grid_worker_a, ticket=soon, method="phone")
    page = phone
    sign_in(page, url, "grid_a")
    page.goto(url("/m/queue/"))
    cards = page.get_by_test_id("ticket")
    expect(cards).to_have_count(3)
    expect(cards.nth(0)).to_contain_text(late.number)
    expect(cards.nth(0)).to_have_class(re.compile(r"\boverdue\b"))
    expect(cards.nth(0).get_by_test_id("clock")).to_contain_text("响应超期 1 天")
    expect(cards.nth(1)).to_contain_text(soon.number)
    expect(cards.nth(1)).to_have_class(re.compile(r"\bwarning\b"))
    expect(cards.nth(1).get_by_test_id("clock")).to_contain_text("办结剩")
    expect(cards.nth(2)).to_contain_text(calm.number)
    expect(page.get_by_test_id("overdue")).to_have_text("1")
    fits(page)
    snap(page, "queue-overdue")
