"""The dispatch desk on a desktop (1280×800): a street dispatcher opens 派单台, finds the
catalogue's suggested unit already chosen, dispatches one ticket with one click and the rest in
bulk, then opens a ticket from the list and reads its timeline; a refused action shows its
message under the field."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from grassroots.tickets import services as s
from grassroots.tickets.models import Ticket, TicketState
from tests.browser.conftest import SKIP_MESSAGE
from tests.browser.test_smoke import scroll_width, sign_in
from tests.tickets.conftest import catalogue, png_bytes  # noqa: F401 - the seeded catalogue

expect = pytest.importorskip("playwright.sync_api", reason=SKIP_MESSAGE).expect


def file(actor: Any, building: Any, category: str, description: str, **kw: Any) -> Ticket:
    ticket, _created = s.ticket_submit(
        actor=actor, category=category, description=description, building=building, **kw
    )
    return ticket


def test_a_dispatcher_dispatches_from_the_desk(
    page: Any, url: Any, snap: Any, cast: Any, city: Any, people: Any
) -> None:
    piled = file(
        cast.resident,
        city.building_a1,
        "0804",
        "1单元楼道里堆满了纸箱和旧家具，老人上下楼很不方便，存在消防隐患。",
        photos=[SimpleUploadedFile("a.png", png_bytes(size=(320, 240), color="orange"))],
    )
    rubbish = file(cast.resident, city.building_a1, "0101", "楼下垃圾桶满了，三天没人清运。")
    lift = file(
        cast.grid_worker_b, people.building_b1, "0202", "2号楼电梯停运两天。", urgency="urgent"
    )
    returned = file(cast.resident, city.building_a1, "0301", "消防通道被私家车占了。")
    s.ticket_dispatch(actor=cast.street_dispatcher, ticket=returned, to=city.grid_a)
    s.ticket_return(actor=cast.grid_worker_a, ticket=returned, reason="停车归社区管理")

    sign_in(page, url, "s1_dispatcher")
    nav = page.get_by_role("navigation", name="工作台导航")
    cards = page.get_by_test_id("ticket-cards")
    expect(cards.get_by_test_id("card-desk")).to_contain_text("4")
    snap(page, "workbench")
    nav.get_by_role("link", name="派单台", exact=True).click()
    expect(page).to_have_url(url("/workbench/tickets/"))
    expect(page.get_by_test_id("desk-count")).to_have_text("4 张待派单")

    row = page.locator(f'tr[data-number="{piled.number}"]')
    expect(row.get_by_test_id("unit")).to_have_value(f"area-{city.grid_a.pk}")
    expect(row.get_by_test_id("suggested")).to_contain_text("建议：东一社区A网格（派单目录）")
    back = page.locator(f'tr[data-number="{returned.number}"]')
    expect(back.get_by_test_id("returned")).to_have_text("退回 1 次")
    expect(back).to_contain_text("东一社区A网格退回：停车归社区管理")
    expect(back.get_by_test_id("unit")).to_have_value(f"area-{city.c1.pk}")
    assert scroll_width(page) <= 1280, "the desk is wider than the window"
    snap(page, "desk")

    row.get_by_role("button", name="派出").click()
    expect(page.get_by_role("status")).to_have_text(f"{piled.number} 已派给东一社区A网格。")
    expect(page.locator(f'tr[data-number="{piled.number}"]')).to_have_count(0)
    piled.refresh_from_db()
    assert piled.state == TicketState.DISPATCHED and piled.handler_area == city.grid_a
    snap(page, "dispatched")

    # The other three at once, each to its own suggested unit.
    page.get_by_label("全选").check()
    expect(page.locator('input[name="numbers"]:checked')).to_have_count(3)
    page.get_by_role("button", name="勾选的按建议单位派出").click()
    expect(page.get_by_role("status")).to_have_text("3 张已派出。")
    expect(page.get_by_test_id("desk-row")).to_have_count(0)
    assert {
        t.number: t.handler_area for t in Ticket.objects.filter(pk__in=[rubbish.pk, lift.pk])
    } == {rubbish.number: city.c1, lift.number: city.c1}
    snap(page, "bulk")

    # The ticket from the list: its facts, clocks and timeline.
    nav.get_by_role("link", name="工单", exact=True).click()
    expect(page).to_have_url(url("/workbench/tickets/all/"))
    expect(page.get_by_test_id("ticket-row")).to_have_count(4)
    snap(page, "list")
    page.get_by_role("link", name=piled.number).click()
    expect(page).to_have_url(url(f"/workbench/tickets/{piled.number}/"))
    expect(page.get_by_test_id("state")).to_have_text("待签收")
    expect(page.get_by_test_id("handler")).to_have_text("东一社区A网格")
    expect(page.get_by_test_id("contact")).to_have_text("张阿姨 · 138****8000")
    events = page.get_by_test_id("timeline").get_by_test_id("event")
    expect(events).to_have_count(2)
    expect(events.nth(0)).to_contain_text("派单")
    expect(events.nth(0)).to_contain_text("派至东一社区A网格")
    expect(events.nth(1)).to_contain_text("提交")
    expect(page.get_by_test_id("photos").locator("img")).to_have_count(1)
    photo = page.get_by_test_id("photos").locator("img")
    photo.evaluate("i => i.complete || new Promise(done => { i.onload = i.onerror = done })")
    assert photo.evaluate("i => i.naturalWidth") == 320  # loaded, in its own request
    expect(nav.get_by_role("link", name="工单", exact=True)).to_have_class("on")
    snap(page, "detail")


def test_a_refused_action_shows_why_and_changes_nothing(
    page: Any, url: Any, snap: Any, cast: Any, city: Any
) -> None:
    ticket = file(
        cast.community_staff, city.building_a1, "0101", "有人要求我们帮忙打官司。", anonymous=True
    )
    sign_in(page, url, "s1_dispatcher")
    page.goto(url(f"/workbench/tickets/{ticket.number}/"))
    expect(page.get_by_test_id("contact")).to_have_text("诉求人要求保密")
    # The rarer actions are folded: one click opens them.
    reject = page.get_by_test_id("action-reject")
    expect(reject.get_by_role("button", name="不予受理")).to_be_hidden()
    reject.locator("summary").click()
    reject.get_by_label("建议渠道（告诉诉求人应去哪里办）").fill("区法律援助中心")
    reject.get_by_role("button", name="不予受理").click()
    reject = page.get_by_test_id("action-reject")
    expect(reject.locator(".errorlist")).to_have_text("请填写不予受理的理由。")
    expect(reject.get_by_label("建议渠道（告诉诉求人应去哪里办）")).to_have_value("区法律援助中心")
    ticket.refresh_from_db()
    assert ticket.state == TicketState.SUBMITTED
    snap(page, "refused")

    reject.get_by_label("理由").fill("属于诉讼事项，不属于接诉即办范围。")
    reject.get_by_role("button", name="不予受理").click()
    expect(page.get_by_role("status")).to_have_text("已作不予受理处理，并告知诉求人。")
    expect(page.get_by_test_id("state")).to_have_text("不予受理")
    expect(page.get_by_test_id("no-actions")).to_be_visible()
    expect(page.get_by_test_id("timeline")).to_contain_text("建议渠道：区法律援助中心")
    snap(page, "rejected")
