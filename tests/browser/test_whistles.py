"""吹哨报到 end to end, each person on their own device (issue 5's acceptance): the street
leader blows a 应急哨 on a ticket from a desktop, summoning two departments; 区城管委's officer
reports in from the street on a phone; 东街道执法队 does nothing, misses the deadline and is
flagged; the leader confirms the problem solved and the whistle closes."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from grassroots.tickets import services as s
from grassroots.whistles.models import Flag, FlagKind, Summons, SummonsState, Whistle
from grassroots.whistles.sweep import sweep_whistles
from tests.browser.conftest import SKIP_MESSAGE
from tests.browser.test_smoke import assert_inside_viewport, scroll_width, sign_in
from tests.tickets.conftest import catalogue, png_bytes  # noqa: F401 - the seeded catalogue
from tests.whistles.conftest import officer_s1  # noqa: F401 - 东街道执法队's officer

expect = pytest.importorskip("playwright.sync_api", reason=SKIP_MESSAGE).expect

DESCRIPTION = "东一1号楼北侧主水管爆裂，路面积水已漫进单元门，需要供水和城管到场。"


def test_a_leader_blows_one_department_reports_in_the_other_is_flagged(
    page: Any,
    phone: Any,
    url: Any,
    snap: Any,
    cast: Any,
    city: Any,
    officer_s1: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    ticket, _created = s.ticket_submit(
        actor=cast.resident,
        category="0101",
        description=DESCRIPTION,
        address="东一1号楼北侧",
        building=city.building_a1,
    )
    s.ticket_dispatch(actor=cast.street_dispatcher, ticket=ticket, to=city.grid_a)
    scene = tmp_path / "scene.png"
    scene.write_bytes(png_bytes(size=(640, 480), color="steelblue"))

    # 1. The street leader opens the ticket and blows a 应急哨 on it, on a desktop.
    sign_in(page, url, "s1_leader")
    page.goto(url(f"/workbench/tickets/{ticket.number}/"))
    whistles = page.get_by_test_id("whistles")
    expect(whistles).to_contain_text("吹哨召集职能部门")
    snap(page, "1-ticket")
    whistles.get_by_role("link", name="吹哨", exact=True).click()
    expect(page).to_have_url(url(f"/workbench/whistles/new/?ticket={ticket.number}"))
    expect(page.get_by_test_id("ticket")).to_contain_text(ticket.number)
    expect(page.get_by_label("地点")).to_have_value("东一1号楼北侧")
    expect(page.get_by_label("情况说明")).to_have_value(DESCRIPTION)
    page.get_by_role("radio", name="应急哨（30 分钟内报到）").check()
    page.get_by_role("radio", name="应急处置").check()
    page.get_by_label("事项（选填）").fill("主水管爆裂抢修")
    page.get_by_role("checkbox", name="区城管委").check()
    page.get_by_role("checkbox", name="东街道执法队").check()
    page.get_by_label("现场照片（选填）").set_input_files(str(scene))
    assert scroll_width(page) <= 1280
    snap(page, "2-blow-form")
    page.get_by_role("button", name="吹哨", exact=True).click()
    expect(page).to_have_url(re.compile(r"/workbench/whistles/WS-\d{8}-\d{6}/$"))
    whistle = Whistle.objects.get()
    expect(page.get_by_role("status")).to_have_text(
        f"{whistle.number} 已吹哨，已通知 2 个部门报到。"
    )
    expect(page.get_by_test_id("kind")).to_have_text("应急哨")
    expect(page.get_by_test_id("ticket")).to_have_text(ticket.number)
    expect(page.get_by_test_id("photos").locator("img")).to_have_count(1)
    departments = page.get_by_test_id("department")
    expect(departments).to_have_count(2)
    for card in (departments.nth(0), departments.nth(1)):
        expect(card.get_by_test_id("chip-state")).to_have_text("待报到")
        expect(card).to_contain_text("剩余 30 分钟")
    snap(page, "3-blown")

    # 2. 区城管委's officer opens the inbox on a phone and reports in from the street.
    sign_in(phone, url, "officer")
    nav = phone.get_by_role("navigation", name="工作台导航")
    nav.get_by_role("link", name="部门报到", exact=True).click()
    expect(phone).to_have_url(url("/workbench/whistles/inbox/"))
    waiting = phone.get_by_test_id("waiting").get_by_test_id("summons")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("主水管爆裂抢修")
    expect(waiting.get_by_test_id("chip-state")).to_have_text("待报到")
    assert scroll_width(phone) <= 390, "the inbox is wider than the phone"
    assert_inside_viewport(phone, waiting.get_by_test_id("report-in"))
    snap(phone, "4-inbox")
    waiting.get_by_test_id("report-in").click()
    mine = phone.locator(f"#dept-{city.dept_district.pk}")
    form = phone.get_by_test_id("action-report_in")
    expect(form).to_have_count(1)
    assert scroll_width(phone) <= 390, "the whistle page is wider than the phone"
    snap(phone, "5-report-in-form")
    form.get_by_role("button", name="报到", exact=True).click()  # nothing filled in
    expect(form.locator(".errorlist")).to_contain_text(["请选择报到方式：到现场或远程对接。"])
    expect(form).to_contain_text("请填写承诺事项。")
    snap(phone, "6-report-in-refused")
    form.get_by_role("radio", name="到现场").check()
    form.get_by_label("承诺事项").fill("15 分钟内带抢修车到场，先关阀止水。")
    form.get_by_role("button", name="报到", exact=True).click()
    expect(phone.get_by_role("status")).to_have_text("已报到。请按承诺办理，并随时记录处置情况。")
    expect(mine.get_by_test_id("chip-state")).to_have_text("已报到")
    expect(mine.get_by_test_id("commitment")).to_have_text("15 分钟内带抢修车到场，先关阀止水。")
    expect(phone.get_by_test_id("action-act")).to_be_visible()
    assert scroll_width(phone) <= 390
    snap(phone, "7-reported-in")
    a = Summons.objects.get(whistle=whistle, department=city.dept_district)
    assert a.state == SummonsState.REPORTED and a.on_time

    # 3. 东街道执法队 does nothing; its deadline passes and the sweep flags it.
    b = Summons.objects.get(whistle=whistle, department=city.dept_s1)
    past = timezone.now() - timedelta(minutes=5)
    Summons.objects.filter(pk=b.pk).update(report_by=past, remind_at=past - timedelta(minutes=15))
    assert sweep_whistles()["escalated"] == 1
    assert Flag.objects.get().kind == FlagKind.NO_SHOW

    page.goto(url("/workbench/whistles/"))
    card = page.get_by_test_id("open").get_by_test_id("whistle")
    expect(card).to_have_count(1)
    expect(card.get_by_test_id("kind")).to_have_text("应急哨")
    late = card.locator('[data-testid="chip"][data-department="东街道执法队"]')
    expect(late.get_by_test_id("chip-state")).to_have_text("超时未报到")
    expect(late).to_contain_text("已超 5 分钟")
    came = card.locator('[data-testid="chip"][data-department="区城管委"]')
    expect(came.get_by_test_id("chip-state")).to_have_text("已报到")
    expect(came).to_contain_text("到现场")
    expect(page.get_by_test_id("flags-link")).to_contain_text("1")
    snap(page, "8-board-late")
    page.get_by_test_id("flags-link").click()
    expect(page).to_have_url(url("/workbench/whistles/flags/"))
    flag = page.get_by_test_id("flag")
    expect(flag).to_have_count(1)
    expect(flag.get_by_test_id("flag-kind")).to_have_text("超时未报到")
    expect(flag).to_contain_text("东街道执法队")
    snap(page, "9-flags")

    # The officer's phone shows the board of the whistle too: 执法队 late, its own card done.
    phone.reload()
    expect(phone.locator(f"#dept-{city.dept_s1.pk}").get_by_test_id("chip-state")).to_have_text(
        "超时未报到"
    )
    snap(phone, "10-officer-sees-the-late-one")

    # 4. The leader follows the flag to the whistle and confirms the problem solved.
    flag.get_by_test_id("explained").get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/workbench/whistles/{whistle.number}/#dept-"))
    confirm = page.get_by_test_id("action-confirm")
    confirm.get_by_label("确认说明（选填）").fill("已修复，路面积水已清除。")
    confirm.get_by_role("button", name="确认解决").click()
    expect(page.get_by_role("status")).to_have_text("已确认问题解决，各部门召集结束。")
    expect(page.get_by_test_id("state")).to_have_text("已解决")
    expect(page.get_by_test_id("solved")).to_contain_text("已修复，路面积水已清除。")
    expect(page.get_by_test_id("action-confirm")).to_have_count(0)
    snap(page, "11-solved")
    whistle.refresh_from_db()
    assert whistle.state == "solved"
    assert dict(whistle.summonses.values_list("department__code", "state")) == {
        "DCGW": SummonsState.CONFIRMED,
        "S1ZF": SummonsState.RELEASED,
    }

    page.goto(url("/workbench/whistles/"))
    solved = page.get_by_test_id("solved").get_by_test_id("whistle")
    expect(solved.get_by_test_id("state")).to_have_text("已解决")
    expect(page.get_by_test_id("open").get_by_test_id("whistle")).to_have_count(0)
    snap(page, "12-board-solved")

    # The ticket's own timeline carries the whistle's steps.
    page.goto(url(f"/workbench/tickets/{ticket.number}/"))
    expect(page.get_by_test_id("whistles")).to_contain_text(whistle.number)
    expect(page.get_by_test_id("timeline")).to_contain_text("确认解决")
    snap(page, "13-ticket-after")


def test_every_whistle_page_fits_a_phone(
    phone: Any,
    url: Any,
    snap: Any,
    cast: Any,
    city: Any,
    officer_s1: Any,  # noqa: F811
) -> None:
    """A street leader on the move: the board, blowing, a whistle, the flags and the league
    table, each within 390 pixels."""
    from grassroots.whistles import services as ws

    late = ws.whistle_blow(
        actor=cast.street_leader, kind="emergency", reason="emergency",
        title="东一社区北门燃气泄漏，需要立即疏散和处置", description=DESCRIPTION,
        address="东一社区北门外人行道", departments=[city.dept_district.pk, city.dept_s1.pk],
    )  # fmt: skip
    ws.summons_report_in(
        actor=cast.department_officer,
        summons=Summons.objects.select_related("whistle", "department").get(
            whistle=late, department=city.dept_district
        ),
        mode="remote",
        commitment="已通知燃气公司抢修队，十分钟后到场。",
    )
    past = timezone.now() - timedelta(minutes=3)
    Summons.objects.filter(whistle=late, department=city.dept_s1).update(
        report_by=past, remind_at=past - timedelta(minutes=15)
    )
    sweep_whistles()
    ws.whistle_blow(
        actor=cast.community_secretary, kind="routine", reason="beyond_street",
        title="东一3号楼外墙空鼓", description="外墙砖有脱落风险。", address="东一3号楼",
        departments=[city.dept_s1.pk],
    )  # fmt: skip

    page = phone
    sign_in(page, url, "s1_leader")
    for step, path in [
        ("board", "/workbench/whistles/"),
        ("blow", "/workbench/whistles/new/"),
        ("detail", f"/workbench/whistles/{late.number}/"),
        ("flags", "/workbench/whistles/flags/"),
        ("league", "/workbench/whistles/league/"),
    ]:
        page.goto(url(path))
        expect(page.locator("main h1")).to_be_visible()
        assert scroll_width(page) <= 390, f"{step} is wider than the phone"
        snap(page, step)
    page.goto(url("/workbench/whistles/"))
    chip = page.locator('[data-testid="chip"][data-department="东街道执法队"]').first
    assert_inside_viewport(page, chip)
    expect(chip.get_by_test_id("chip-state")).to_have_text("超时未报到")
