"""The closed loop end to end, each person on their own device: a resident reports on a phone
with a photo; the street's dispatcher dispatches from the desk on a desktop; the grid worker
handles and resolves it on a phone; the resident rates it; the street leader reads the result
in the street's 三率."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from grassroots.tickets.models import Review, Ticket, TicketState
from tests.browser.conftest import SKIP_MESSAGE
from tests.browser.test_smoke import sign_in
from tests.tickets.conftest import catalogue, png_bytes  # noqa: F401 - the seeded catalogue

expect = pytest.importorskip("playwright.sync_api", reason=SKIP_MESSAGE).expect

RESIDENT = "13800138000"


def test_from_a_phone_report_to_the_streets_rates(
    phone: Any, page: Any, url: Any, snap: Any, cast: Any, city: Any, people: Any, tmp_path: Path
) -> None:
    picture = tmp_path / "lamp.png"
    picture.write_bytes(png_bytes(size=(480, 360), color="purple"))

    # 1. The resident reports, on a 390×844 phone.
    sign_in(phone, url, RESIDENT)
    phone.goto(url("/m/report/"))
    phone.get_by_label("搜索诉求类别").fill("垃圾")
    phone.get_by_role("radio", name="垃圾清运不及时").check()
    phone.get_by_label("问题描述").fill("小区东门垃圾桶满溢，已经两天没人清运。")
    phone.locator("input[data-album]").set_input_files(str(picture))
    expect(phone.locator(".thumb img")).to_have_count(1)
    phone.get_by_label("详细地址").fill("东一1号楼东门")
    phone.get_by_role("button", name="提交", exact=True).click()
    expect(phone).to_have_url(re.compile(r"/m/requests/GR-\d{8}-\d{6}/$"))
    ticket = Ticket.objects.get()
    expect(phone.get_by_role("status")).to_contain_text(ticket.number)
    snap(phone, "1-reported")

    # 2. The street's dispatcher sends it to grid A from the desk, on a desktop.
    sign_in(page, url, "s1_dispatcher")
    page.goto(url("/workbench/tickets/"))
    row = page.locator(f'tr[data-number="{ticket.number}"]')
    row.get_by_test_id("unit").select_option(f"area-{city.grid_a.pk}")
    snap(page, "2-desk")
    row.get_by_role("button", name="派出").click()
    expect(page.get_by_role("status")).to_contain_text(f"{ticket.number} 已派给东一社区A网格")
    ticket.refresh_from_db()
    assert ticket.state == TicketState.DISPATCHED and ticket.resolve_by is not None

    # 3. The grid worker contacts the resident and resolves it, on a phone.
    phone.context.clear_cookies()
    sign_in(phone, url, "grid_a")
    phone.goto(url("/m/queue/"))
    phone.get_by_test_id("ticket").filter(has_text="垃圾清运不及时").click()
    respond = phone.get_by_test_id("act-respond")
    respond.get_by_role("radio", name="电话联系").check()
    respond.get_by_role("button", name="保存联系情况").click()
    expect(phone.get_by_test_id("state")).to_have_text("办理中")
    resolve = phone.get_by_test_id("act-resolve")
    resolve.get_by_label("办理结果").fill("已联系环卫清运，并加密了清运频次。")
    resolve.get_by_role("button", name="提交办结").click()
    expect(phone.get_by_test_id("state")).to_have_text("已办结")
    snap(phone, "3-resolved")

    # 4. The resident rates it.
    phone.context.clear_cookies()
    sign_in(phone, url, RESIDENT)
    phone.goto(url(f"/m/requests/{ticket.number}/"))
    review = phone.get_by_test_id("review")
    review.get_by_role("group", name="办理人员联系过您吗？").get_by_label("是").check()
    review.get_by_role("group", name="问题解决了吗？").get_by_label("是").check()
    review.get_by_label("满意", exact=True).check()
    review.get_by_role("button", name="提交评价").click()
    expect(phone.get_by_test_id("state")).to_have_text("已结案")
    snap(phone, "4-rated")
    assert Review.objects.get(ticket=ticket).is_valid

    # 5. The street leader reads it in the street's rates for this month.
    page.context.clear_cookies()
    sign_in(page, url, "s1_leader")
    page.goto(url("/workbench/tickets/rates/"))
    expect(page.get_by_role("heading", name="东街道三率")).to_be_visible()
    expect(page.get_by_test_id("own-composite")).to_have_text("100.0")
    expect(page.get_by_test_id("children")).to_contain_text("东一社区")
    snap(page, "5-rates")
