"""A committee meeting recorded on a phone (issue 7's acceptance): the branch's recorder (a
building head, on a 390×844 phone) opens the meeting that waits for their record, marks one
member excused with the reason, writes the minutes and a resolution with its votes, saves and
confirms; the chair confirms at a desk, and the minutes show both signatures."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from grassroots.party.models import Meeting, MeetingRecord, MeetingState
from grassroots.party.services import meetings as services
from tests.browser.conftest import SKIP_MESSAGE
from tests.browser.test_smoke import scroll_width, sign_in
from tests.party.conftest import Life
from tests.tickets.conftest import catalogue  # noqa: F401 - the seeded catalogue

expect = pytest.importorskip("playwright.sync_api", reason=SKIP_MESSAGE).expect

MINUTES = "孙书记通报了近一月2号楼垃圾清运投诉 6 件的情况，大家商量请物业加密清运。"
RESOLUTION = "请物业自下周起每天清运两次，网格员每日巡查一次。"


def fits(page: Any) -> None:
    assert scroll_width(page) <= 390, "the page is wider than the phone"


def test_the_recorder_fills_a_committee_meeting_record_on_a_phone(
    phone: Any, page: Any, url: Any, snap: Any, life: Life
) -> None:
    planned_at = timezone.localtime() - timedelta(hours=2)
    meeting = services.meeting_plan(
        actor=life.chair_user,
        org=life.branch,
        kind=life.kinds["committee_meeting"],
        planned_at=planned_at,
        title="十一月支委会",
        place="B网格党群服务站",
        chair=life.secretary,
        recorder=life.recorder,
        agenda=[
            services.AgendaIn(title="研究2号楼垃圾清运问题"),
            services.AgendaIn(title="发展党员工作"),
        ],
    )

    # 1. The recorder opens the meetings on the phone: this one waits for the record.
    sign_in(phone, url, "recorder_b")
    phone.goto(url("/workbench/party/meetings/"))
    waiting = phone.get_by_test_id("waiting-row")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("十一月支委会")
    fits(phone)
    snap(phone, "1-waiting")
    waiting.click()
    expect(phone).to_have_url(url(f"/workbench/party/meetings/{meeting.pk}/record/"))

    # 2. The sheet starts from the plan: time, place, everyone present, the agenda's items.
    expect(phone.get_by_label("召开时间")).to_have_value(planned_at.strftime("%Y-%m-%dT%H:%M"))
    expect(phone.get_by_label("地点")).to_have_value("B网格党群服务站")
    rows = phone.get_by_test_id("attendance")
    expect(rows).to_have_count(3)
    expect(phone.get_by_test_id("tally")).to_contain_text("应到 3 人，实到 3 人")
    expect(phone.get_by_test_id("rule")).to_contain_text("法定人数：应到人数过半")
    items = phone.get_by_test_id("item")
    expect(items).to_have_count(2)
    expect(items.nth(0).get_by_label("议题")).to_have_value("研究2号楼垃圾清运问题")
    fits(phone)
    snap(phone, "2-sheet")

    # 3. 吴委员 is excused: the reason field opens under the toggles.
    third = phone.locator('[data-testid="attendance"][data-member="吴委员"]')
    reason = third.get_by_label("请假原因")
    expect(reason).to_be_hidden()
    third.get_by_text("请假", exact=True).click()
    expect(reason).to_be_visible()
    expect(phone.get_by_test_id("tally")).to_contain_text("实到 2 人")
    fits(phone)

    # 4. Saving without the reason is refused next to the field; nothing is saved.
    first = items.nth(0)
    first.get_by_label("记录").fill(MINUTES)
    first.get_by_role("button", name="＋ 添加决议").click()
    resolution = first.get_by_test_id("resolution")
    expect(resolution).to_have_count(1)
    resolution.get_by_label("决议内容").fill(RESOLUTION)
    resolution.get_by_label("赞成").fill("2")
    resolution.get_by_label("反对").fill("0")
    resolution.get_by_label("弃权").fill("0")
    phone.get_by_role("button", name="＋ 添加议题").click()
    expect(items).to_have_count(3)
    items.nth(2).get_by_label("议题").fill("其他事项")
    items.nth(2).get_by_label("记录").fill("卫五反映2号楼楼道灯不亮，会后报物业。")
    fits(phone)
    snap(phone, "3-filled")
    phone.get_by_test_id("save").click()
    expect(phone.get_by_test_id("form-error")).to_contain_text("记录还没有保存")
    third = phone.locator('[data-testid="attendance"][data-member="吴委员"]')
    expect(third.locator(".errorlist")).to_have_text("请填写请假原因。")
    assert not MeetingRecord.objects.exists()
    # What was typed is still there.
    expect(phone.get_by_test_id("item").nth(0).get_by_label("记录")).to_have_value(MINUTES)
    fits(phone)
    snap(phone, "4-refused")
    third.get_by_label("请假原因").fill("外出就医")
    phone.get_by_test_id("save").click()

    # 5. The minutes, then the recorder's confirmation.
    expect(phone).to_have_url(url(f"/workbench/party/meetings/{meeting.pk}/"))
    expect(phone.get_by_role("status")).to_have_text("会议记录已保存，请主持人和记录人确认。")
    expect(phone.get_by_test_id("excused")).to_have_text("吴委员（外出就医）")
    minutes = phone.get_by_test_id("minutes")
    expect(minutes).to_contain_text(MINUTES)
    expect(minutes.get_by_test_id("resolution")).to_contain_text("赞成 2 票，反对 0 票，弃权 0 票")
    expect(minutes.get_by_test_id("outcome")).to_have_text("通过")
    expect(minutes).to_contain_text("3. 其他事项")
    fits(phone)
    snap(phone, "5-minutes")
    phone.get_by_test_id("confirm").click()
    expect(phone.get_by_role("status")).to_have_text("已确认，等待另一方确认。")
    expect(phone.get_by_test_id("sign-recorder")).to_contain_text("已确认")
    expect(phone.get_by_test_id("sign-chair")).to_contain_text("未确认")
    fits(phone)
    snap(phone, "6-recorder-confirmed")

    # 6. The chair confirms at a desk; the record locks.
    sign_in(page, url, "grid_b")
    page.goto(url(f"/workbench/party/meetings/{meeting.pk}/"))
    expect(page.get_by_test_id("state")).to_have_text("待确认")
    page.get_by_test_id("confirm").click()
    expect(page.get_by_role("status")).to_have_text("已确认。主持人和记录人都已确认，记录已锁定。")
    expect(page.get_by_test_id("state")).to_have_text("已确认")
    for who in ("sign-chair", "sign-recorder"):
        expect(page.get_by_test_id(who)).to_contain_text(re.compile(r"已确认 \d{4}-\d\d-\d\d"))
    expect(page.get_by_test_id("correct")).to_be_visible()
    snap(page, "7-chair-confirmed")
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.CONFIRMED
    record = MeetingRecord.objects.get(meeting=meeting)
    assert record.locked_at is not None and (record.expected, record.present) == (3, 2)

    # 7. The print view: the minutes alone.
    page.goto(url(f"/workbench/party/meetings/{meeting.pk}/print/"))
    expect(page.get_by_test_id("paper")).to_contain_text("吴委员（外出就医）")
    expect(page.locator(".sidenav")).to_have_count(0)
    snap(page, "8-print")
    page.emulate_media(media="print")  # as the printer gets it: no buttons, no frame
    expect(page.get_by_role("button", name="打印")).to_be_hidden()
    snap(page, "9-printed")
    assert Meeting.objects.count() == 1


def test_the_community_secretary_puts_an_overdue_ticket_on_a_branch_agenda(
    page: Any, url: Any, snap: Any, life: Life, cast: Any, city: Any, people: Any
) -> None:
    from grassroots.tickets import services as ts

    with time_machine.travel(timezone.now() - timedelta(days=20), tick=False):
        ticket, _new = ts.ticket_submit(
            actor=cast.resident,
            category="0101",
            description="2号楼下垃圾桶满了，好几天没人清运。",
            address="东一2号楼下",
            building=people.building_b1,
        )
        ts.ticket_dispatch(actor=cast.street_dispatcher, ticket=ticket, to=city.grid_b)

    # 1. At a desk, from the meetings list filtered on the branch: plan a committee meeting.
    sign_in(page, url, "c1_secretary")
    page.goto(url(f"/workbench/party/meetings/?org={life.branch.pk}"))
    page.get_by_role("link", name="计划会议：东一社区B网格党支部").click()
    expect(page).to_have_url(url(f"/workbench/party/meetings/new/?org={life.branch.pk}"))
    page.get_by_label("会议类型").select_option(label="支委会")
    page.get_by_label("时间").fill("2030-01-10T09:30")
    page.get_by_label("地点").fill("B网格党群服务站")
    expect(page.get_by_label("主持人")).to_have_value(str(life.secretary.pk))  # the secretary
    page.get_by_label("记录人").select_option(label="周记录")
    page.get_by_label("议题（每行一个）").fill("发展党员工作")
    pick = page.get_by_test_id("picks").get_by_role("checkbox", name=re.compile(ticket.number))
    expect(pick).to_have_count(1)
    pick.check()
    assert scroll_width(page) <= 1280
    snap(page, "1-plan")
    page.get_by_test_id("save").click()

    # 2. The meeting, its agenda linking to the ticket; the ticket says the branch took it up.
    meeting = Meeting.objects.get()
    expect(page).to_have_url(url(f"/workbench/party/meetings/{meeting.pk}/"))
    expect(page.get_by_role("status")).to_have_text("会议已安排，已通知应到人员。")
    agenda = page.get_by_test_id("agenda-item")
    expect(agenda).to_have_count(2)
    expect(agenda.nth(1)).to_contain_text(ticket.number)
    snap(page, "2-planned")
    agenda.nth(1).get_by_role("link", name=ticket.number).click()
    expect(page).to_have_url(url(f"/workbench/tickets/{ticket.number}/"))
    expect(page.get_by_test_id("taken-up-line")).to_have_text(
        "东一社区B网格党支部已将此事列入 01月10日 支委会议程"
    )
    snap(page, "3-ticket")
    page.get_by_test_id("taken-up-line").get_by_role("link").click()
    expect(page).to_have_url(url(f"/workbench/party/meetings/{meeting.pk}/"))
