"""党员积分 in a browser: the grid worker who is the branch's secretary opens 我的积分 on a phone
(390×844) and sees every entry with its source — the meetings they attended, the ticket they
resolved, and an adjustment with its reason and who made it; the community secretary makes an
adjustment on the workbench, a bad one first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from grassroots.party.models import PointEntry
from grassroots.party.services.points import (
    credit_closed_tickets,
    points_adjust,
    points_for_record,
)
from tests.browser.conftest import SKIP_MESSAGE
from tests.browser.test_smoke import scroll_width, sign_in
from tests.party.test_points import closed_ticket, lock, make_meeting
from tests.tickets.conftest import catalogue  # noqa: F401 - the seeded catalogue

expect = pytest.importorskip("playwright.sync_api", reason=SKIP_MESSAGE).expect

MINE = "/workbench/party/points/mine/"


def test_a_grid_worker_sees_their_points_and_sources_on_a_phone(
    phone: Any, url: Any, snap: Any, life: Any, cast: Any, city: Any
) -> None:
    now = timezone.now()
    committee = make_meeting(life, "committee_meeting", when=now - timedelta(days=20))
    points_for_record(lock(life, committee, {life.secretary: "present", life.third: "absent"}))
    theme = make_meeting(life, "theme_day", when=now - timedelta(days=5))
    points_for_record(lock(life, theme, {m: "present" for m in life.members}))
    ticket = closed_ticket(cast, city)
    assert credit_closed_tickets() == 1
    points_adjust(
        actor=cast.community_secretary,
        member=life.secretary,
        points=5,
        reason="带领党员志愿者清理小区楼道堆积物",
    )

    page = phone
    sign_in(page, url, "grid_b")
    page.goto(url(MINE))
    expect(page.locator(".phone-top")).to_have_text("我的积分")
    expect(page.get_by_test_id("total")).to_have_text("12")
    expect(page.get_by_test_id("this-year")).to_have_text("12")
    by_rule = page.get_by_test_id("by-rule")
    expect(by_rule).to_contain_text("参加组织生活 +4")
    expect(by_rule).to_contain_text("办结群众诉求 +3")
    expect(by_rule).to_contain_text("人工调整 +5")

    entries = page.get_by_test_id("entry")
    expect(entries).to_have_count(4)
    expect(entries.nth(0)).to_contain_text(
        "人工调整：带领党员志愿者清理小区楼道堆积物（c1_secretary）"
    )
    expect(entries.nth(0).get_by_test_id("points")).to_have_text("+5")
    expect(entries.nth(1)).to_contain_text("办结群众诉求")
    expect(entries.nth(1).get_by_test_id("source")).to_have_text(f"工单：{ticket.number}")
    expect(entries.nth(1).get_by_role("link", name=ticket.number)).to_have_attribute(
        "href", f"/m/queue/{ticket.number}/"
    )
    meeting_links = page.locator('[data-source="meeting"] a')
    expect(meeting_links).to_have_count(2)
    expect(meeting_links.nth(0)).to_have_attribute("href", f"/workbench/party/meetings/{theme.pk}/")
    expect(meeting_links.nth(0)).to_have_text(theme.title)
    expect(meeting_links.nth(1)).to_have_attribute(
        "href", f"/workbench/party/meetings/{committee.pk}/"
    )
    expect(page.locator('[data-source="meeting"]').nth(1)).to_contain_text("出席 支委会")
    assert scroll_width(page) <= 390, "the page is wider than the phone"
    snap(page, "1-mine")

    # The ticket's source opens the handling page of the ticket on the phone.
    entries.nth(1).get_by_role("link", name=ticket.number).click()
    expect(page).to_have_url(url(f"/m/queue/{ticket.number}/"))
    expect(page.get_by_test_id("state")).to_have_text("已结案")
    snap(page, "2-ticket")
    # Looking around added nothing.
    assert PointEntry.objects.filter(member=life.secretary).count() == 4


def test_someone_who_is_not_a_member_is_told_politely(
    phone: Any, url: Any, snap: Any, cast: Any, people: Any
) -> None:
    sign_in(phone, url, "13800138000")
    phone.goto(url(MINE))
    expect(phone.get_by_test_id("not-member")).to_contain_text("党员积分只对党员开放")
    assert scroll_width(phone) <= 390
    snap(phone, "not-member")


def test_the_community_secretary_adjusts_on_the_workbench(
    page: Any, url: Any, snap: Any, life: Any, cast: Any
) -> None:
    points_for_record(
        lock(
            life,
            make_meeting(life, when=timezone.now() - timedelta(days=3)),
            {life.third: "absent"},
        )
    )
    sign_in(page, url, "c1_secretary")
    page.goto(url(f"/workbench/party/points/members/{life.third.pk}/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("吴委员的积分")
    expect(page.get_by_test_id("total")).to_have_text("-2")
    form = page.get_by_test_id("adjust")
    form.get_by_label("调整分值").fill("0")
    form.get_by_role("button", name="记入调整").click()
    form = page.get_by_test_id("adjust")
    expect(form.get_by_role("alert").first).to_contain_text("调整分值不能为 0。")
    expect(form.get_by_role("alert").nth(1)).to_contain_text("请填写调整原因。")
    snap(page, "1-refused")
    assert not PointEntry.objects.filter(actor__isnull=False).exists()

    form.get_by_label("调整分值").fill("2")
    form.get_by_label("调整原因").fill("缺席已补假，经支委会研究予以更正")
    form.get_by_role("button", name="记入调整").click()
    expect(page.get_by_role("status")).to_have_text("已为 吴委员 调整 +2 分。")
    expect(page.get_by_test_id("total")).to_have_text("0")
    expect(page.get_by_test_id("entry").first).to_contain_text(
        "人工调整：缺席已补假，经支委会研究予以更正（c1_secretary）"
    )
    snap(page, "2-adjusted")
