"""Meeting pages (三会一课): the list, the plan, the recorder's record sheet, the minutes and
their print form, confirm, correct, cancel, follow-up tasks, and the line on a ticket's and a
whistle's page saying that a branch took the matter up. On the `life` fixture: grid B's branch
with a committee of three (孙书记 chairs, account grid_b; 周记录 records, account recorder_b)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from grassroots.accounts.models import Role
from grassroots.party.models import (
    AgendaSource,
    Attendance,
    FollowUp,
    FollowUpState,
    Meeting,
    MeetingAgendaItem,
    MeetingRecord,
    MeetingState,
    Resolution,
)
from grassroots.party.services import meetings as services
from tests.conftest import login_client, make_user
from tests.party.conftest import Life
from tests.tickets.conftest import catalogue  # noqa: F401  (the seeded catalogue)

TZ = timezone.get_fixed_timezone(8 * 60)
NOW = datetime(2025, 11, 20, 16, 0, tzinfo=TZ)  # a Thursday afternoon
HELD = datetime(2025, 11, 20, 9, 30, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def grid_b2(city: Any) -> Any:
    """Another grid worker of grid B: sees the branch and its meetings, runs nothing."""
    return make_user(Role.GRID_WORKER, "grid_b2", areas=[city.grid_b])


def url(name: str, pk: Any = None) -> str:
    base = "/workbench/party/meetings/"
    if name == "list":
        return base
    if name == "new":
        return f"{base}new/?org={pk}"
    if name == "done":
        return f"{base}followups/{pk}/done/"
    suffix = {
        "detail": "",
        "record": "record/",
        "confirm": "confirm/",
        "correct": "correct/",
        "cancel": "cancel/",
        "print": "print/",
        "followup": "followups/new/",
    }[name]
    return f"{base}{pk}/{suffix}"


def committee_meeting(life: Life, **kw: Any) -> Meeting:
    kw.setdefault("planned_at", HELD)
    kw.setdefault("place", "B网格党群服务站")
    kw.setdefault(
        "agenda",
        [services.AgendaIn(title="研究B网格垃圾清运问题"), services.AgendaIn(title="发展党员")],
    )
    return services.meeting_plan(
        actor=kw.pop("actor", life.chair_user),
        org=life.branch,
        kind=life.kinds["committee_meeting"],
        chair=life.secretary,
        recorder=life.recorder,
        **kw,
    )


def sheet(
    meeting: Meeting,
    members: list[Any],
    *,
    statuses: dict[int, tuple[str, str]] | None = None,
    items: list[dict[str, Any]] | None = None,
    **facts: Any,
) -> dict[str, Any]:
    """The POST of the record sheet: everyone present unless told; items as dicts with
    title, minutes, agenda and resolutions [(text, for, against, abstain)]."""
    data: dict[str, Any] = {
        "m-held_at": HELD.strftime("%Y-%m-%dT%H:%M"),
        "m-place": "B网格党群服务站",
        "m-chair": meeting.chair_id,
        "m-recorder": meeting.recorder_id,
        "m-guests": "社区居委会 李主任",
        "m-remarks": "",
    }
    data.update({f"m-{k}": v for k, v in facts.items()})
    for m in members:
        status, reason = (statuses or {}).get(m.pk, ("present", ""))
        data[f"att-{m.pk}-status"] = status
        data[f"att-{m.pk}-reason"] = reason
    if items is None:
        agenda = list(meeting.agenda.order_by("order", "id"))
        items = [
            {
                "title": agenda[0].title,
                "agenda": agenda[0].pk,
                "minutes": "孙书记通报了近一月垃圾清运投诉情况，大家讨论了加密清运的办法。",
                "resolutions": [("请物业每天清运两次，网格员每日巡查。", 2, 0, 0)],
            },
            {"title": agenda[1].title, "agenda": agenda[1].pk, "minutes": "推迟到下月研究。"},
        ]
    data["items"] = len(items)
    for i, item in enumerate(items):
        data[f"item-{i}-title"] = item.get("title", "")
        data[f"item-{i}-minutes"] = item.get("minutes", "")
        data[f"item-{i}-agenda"] = item.get("agenda", "")
        resolutions = item.get("resolutions", [])
        data[f"item-{i}-resolutions"] = len(resolutions)
        for j, (text, yes, no, abstain) in enumerate(resolutions):
            data[f"item-{i}-res-{j}-text"] = text
            for key, value in (("for", yes), ("against", no), ("abstain", abstain)):
                data[f"item-{i}-res-{j}-votes_{key}"] = "" if value is None else value
    return data


def committee(life: Life) -> list[Any]:
    return [life.secretary, life.recorder, life.third]


def recorded(life: Life, **kw: Any) -> Meeting:
    """A committee meeting recorded by the recorder (everyone present, one resolution)."""
    meeting = committee_meeting(life, **kw)
    agenda = list(meeting.agenda.order_by("order", "id"))
    services.meeting_record(
        actor=life.recorder_user,
        meeting=meeting,
        held_at=HELD,
        chair=life.secretary,
        recorder=life.recorder,
        place="B网格党群服务站",
        attendance=[
            services.AttendanceIn(member=life.secretary, status="present"),
            services.AttendanceIn(member=life.recorder, status="present"),
            services.AttendanceIn(member=life.third, status="excused", reason="外出就医"),
        ],
        items=[
            services.ItemIn(
                title=agenda[0].title,
                minutes="讨论了加密清运的办法。",
                agenda_item=agenda[0],
                resolutions=[services.ResolutionIn("请物业每天清运两次。", 2, 0, 0)],
            )
        ],
    )
    meeting.refresh_from_db()
    return meeting


def confirmed(life: Life, **kw: Any) -> Meeting:
    meeting = recorded(life, **kw)
    services.meeting_confirm(actor=life.recorder_user, meeting=meeting)
    services.meeting_confirm(actor=life.chair_user, meeting=meeting)
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.CONFIRMED
    return meeting


def html(response: Any, status: int = 200) -> str:
    assert response.status_code == status, (response.status_code, response.content[:2000])
    return str(response.content.decode())


def assert_login_redirect(response: Any) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def counts() -> tuple[int, int, int, int]:
    return (
        Meeting.objects.count(),
        MeetingRecord.objects.count(),
        Attendance.objects.count(),
        Resolution.objects.count(),
    )


# ---------------------------------------------------------------------------------------------
# plan


def test_it_plans_a_meeting_with_free_and_governance_agenda(life: Life, cast: Any) -> None:
    client = login_client(life.chair_user)
    page = html(client.get(url("new", life.branch.pk)))
    assert "支委会" in page and "党小组会" not in page  # the kinds a branch holds only
    assert "周记录" in page and "蒋预备" in page  # the branch's members to chair and record
    response = client.post(
        url("new", life.branch.pk),
        {
            "kind": life.kinds["committee_meeting"].pk,
            "planned_at": "2025-11-27T09:30",
            "place": "B网格党群服务站",
            "chair": life.secretary.pk,
            "recorder": life.recorder.pk,
            "agenda_text": "研究垃圾清运问题\n\n  发展党员  \n",
        },
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response["Location"] == url("detail", meeting.pk)
    assert meeting.state == MeetingState.PLANNED and meeting.org == life.branch
    assert meeting.recorder == life.recorder
    assert timezone.localtime(meeting.planned_at).strftime("%m-%d %H:%M") == "11-27 09:30"
    assert list(meeting.agenda.values_list("title", flat=True)) == ["研究垃圾清运问题", "发展党员"]
    page = html(client.get(response["Location"]))
    assert "会议已安排" in page and "研究垃圾清运问题" in page and "取消会议" in page


def test_it_puts_an_overdue_ticket_on_the_agenda_and_the_ticket_shows_it(
    life: Life, cast: Any, people: Any, city: Any, grid_b2: Any
) -> None:
    from grassroots.tickets import services as ts

    with time_machine.travel(NOW - timedelta(days=20), tick=False):
        ticket, _new = ts.ticket_submit(
            actor=cast.resident,
            category="0101",
            description="2号楼下垃圾桶满了，好几天没人清运。",
            address="东一2号楼下",
            building=people.building_b1,
        )
        ts.ticket_dispatch(actor=cast.street_dispatcher, ticket=ticket, to=city.grid_b)
    ticket.refresh_from_db()
    assert ticket.resolve_by < timezone.now()  # overdue by now
    client = login_client(life.chair_user)
    page = html(client.get(url("new", life.branch.pk)))
    key = f"ticket:{ticket.pk}"
    assert f'value="{key}"' in page and "超期未办结" in page
    response = client.post(
        url("new", life.branch.pk),
        {
            "kind": life.kinds["committee_meeting"].pk,
            "planned_at": "2025-11-20T09:30",
            "chair": life.secretary.pk,
            "recorder": life.recorder.pk,
            "picks": [key],
        },
    )
    assert response.status_code == 302
    item = MeetingAgendaItem.objects.get()
    assert item.ticket == ticket and item.source == AgendaSource.TICKET
    # The ticket's desk page says the branch took it up, linking to the meeting.
    meeting = item.meeting
    for user in (life.chair_user, cast.street_dispatcher, grid_b2):
        page = html(login_client(user).get(f"/workbench/tickets/{ticket.number}/"))
        assert "东一社区B网格党支部已将此事列入 11月20日 支委会议程" in page, user
        assert url("detail", meeting.pk) in page
    # Recorded: the minutes link the item to the ticket, and the ticket says it was discussed.
    data = sheet(
        meeting,
        committee(life),
        items=[{"title": item.title, "agenda": item.pk, "minutes": "请物业加密清运。"}],
    )
    assert login_client(life.recorder_user).post(url("record", meeting.pk), data).status_code == 302
    page = html(login_client(life.chair_user).get(url("detail", meeting.pk)))
    assert f'href="/workbench/tickets/{ticket.number}/"' in page
    page = html(login_client(grid_b2).get(f"/workbench/tickets/{ticket.number}/"))
    assert "东一社区B网格党支部已在 11月20日 支委会上研究此事</a>（记录待确认）" in page


def test_it_refuses_a_plan_with_errors_and_saves_nothing(life: Life) -> None:
    client = login_client(life.chair_user)
    response = client.post(
        url("new", life.branch.pk),
        {"kind": life.kinds["group_meeting"].pk, "planned_at": "next week", "place": "x" * 101},
    )
    page = html(response, 400)
    assert "本组织不召开这类会议，请重新选择。" in page
    assert "请按“年-月-日 时:分”填写时间。" in page
    assert "不能超过 100 个字。" in page
    assert not Meeting.objects.exists()
    response = client.post(url("new", life.branch.pk), {})
    page = html(response, 400)
    assert "请选择会议类型。" in page and "请填写会议时间。" in page
    assert not Meeting.objects.exists()


def test_it_refuses_a_chair_from_outside_the_branch(life: Life, people: Any) -> None:
    response = login_client(life.chair_user).post(
        url("new", life.branch.pk),
        {
            "kind": life.kinds["committee_meeting"].pk,
            "planned_at": "2025-11-27T09:30",
            "chair": people.m_wang.pk,  # branch A's member: not a choice
        },
    )
    assert "请从名单中选择。" in html(response, 400)
    assert not Meeting.objects.exists()


def test_plan_page_access(life: Life, cast: Any, grid_b2: Any) -> None:
    assert_login_redirect(Client().get(url("new", life.branch.pk)))
    # Who sees the branch but does not run it: 403; who does not see it: 404.
    assert login_client(grid_b2).get(url("new", life.branch.pk)).status_code == 403
    assert login_client(cast.outsider).get(url("new", life.branch.pk)).status_code == 404
    assert login_client(cast.grid_worker_a).get(url("new", life.branch.pk)).status_code == 404
    assert login_client(life.chair_user).get(url("new", 999999)).status_code == 404
    assert login_client(life.chair_user).get(url("list") + "new/?org=x").status_code == 404
    # The community's party staff and the committee member run it.
    assert login_client(cast.community_secretary).get(url("new", life.branch.pk)).status_code == 200
    assert login_client(life.recorder_user).get(url("new", life.branch.pk)).status_code == 200
    post = login_client(grid_b2).post(
        url("new", life.branch.pk),
        {"kind": life.kinds["committee_meeting"].pk, "planned_at": "2025-11-27T09:30"},
    )
    assert post.status_code == 403 and not Meeting.objects.exists()


def test_a_group_plans_its_group_meeting_and_the_branch_secretary_may_chair(life: Life) -> None:
    # The branch's secretary runs the group below it; a group holds group meetings only.
    client = login_client(life.chair_user)
    page = html(client.get(url("new", life.group.pk)))
    assert "党小组会" in page and "支委会" not in page
    response = client.post(
        url("new", life.group.pk),
        {"kind": life.kinds["group_meeting"].pk, "planned_at": "2025-11-20T09:00"},
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and meeting.org == life.group
    members = [life.secretary, life.recorder, life.third, life.full[-1]]  # the group's four
    data = sheet(
        meeting,
        members,
        items=[{"title": "学习", "minutes": "学习了社区治理的有关文件。"}],
        chair=life.secretary.pk,
        recorder=life.recorder.pk,
    )
    assert login_client(life.recorder_user).post(url("record", meeting.pk), data).status_code == 302
    record = MeetingRecord.objects.get()
    assert (record.chair, record.expected, record.present) == (life.secretary, 4, 4)


# ---------------------------------------------------------------------------------------------
# record


def test_the_recorder_gets_a_phone_sheet_prefilled_from_the_plan(life: Life) -> None:
    meeting = committee_meeting(life)
    page = html(login_client(life.recorder_user).get(url("record", meeting.pk)))
    assert 'class="phone-main"' in page  # a building head's phone layout
    assert 'value="2025-11-20T09:30"' in page  # held time prefilled with the plan
    assert 'value="B网格党群服务站"' in page
    for m in committee(life):
        assert f'name="att-{m.pk}-status" value="present"' in page
    assert page.count('-status_0" required checked>') == 3  # everyone present to begin with
    assert "研究B网格垃圾清运问题" in page and "发展党员" in page
    assert "郑一" not in page  # a committee meeting expects the committee only
    assert "法定人数：应到人数过半" in page and "表决通过：赞成票超过应到人数的半数" in page
    # At a desk, a community secretary gets the workbench layout.
    page = html(login_client(life.chair_user).get(url("record", meeting.pk)))
    assert "phone-main" in page  # the grid worker chairs: a phone role too


def test_the_recorder_records_a_meeting(life: Life) -> None:
    meeting = committee_meeting(life)
    client = login_client(life.recorder_user)
    data = sheet(
        meeting,
        committee(life),
        statuses={life.third.pk: ("excused", "外出就医")},
    )
    response = client.post(url("record", meeting.pk), data)
    assert response.status_code == 302 and response["Location"] == url("detail", meeting.pk)
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.RECORDED and meeting.version == 1
    record = MeetingRecord.objects.get(meeting=meeting)
    assert (record.expected, record.present, record.quorum_met) == (3, 2, True)
    assert record.guests == "社区居委会 李主任"
    excused = Attendance.objects.get(record=record, member=life.third)
    assert (excused.status, excused.reason) == ("excused", "外出就医")
    resolution = Resolution.objects.get(record=record)
    assert (resolution.votes_for, resolution.votes_against, resolution.passed) == (2, 0, True)
    assert resolution.item is not None and resolution.item.agenda_item is not None
    page = html(client.get(response["Location"]))
    assert "会议记录已保存，请主持人和记录人确认。" in page


def test_votes_beyond_attendance_are_refused_next_to_the_resolution(life: Life) -> None:
    meeting = committee_meeting(life)
    data = sheet(
        meeting,
        committee(life),
        statuses={life.third.pk: ("excused", "外出就医")},
        items=[{"title": "清运", "resolutions": [("加密清运", 2, 1, 0)]}],
    )  # two present, three votes
    before = counts()
    page = html(login_client(life.recorder_user).post(url("record", meeting.pk), data), 400)
    assert "赞成、反对、弃权共 3 票，超过实到有表决权的 2 人。" in page
    assert "记录还没有保存" in page
    assert counts() == before
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.PLANNED


def test_a_sheet_with_field_errors_saves_nothing(life: Life) -> None:
    meeting = committee_meeting(life)
    data = sheet(
        meeting,
        committee(life),
        statuses={life.third.pk: ("excused", "")},
        items=[
            {"title": "", "minutes": "没有议题的记录"},
            {"title": "决议", "resolutions": [("", 1, None, None)]},
        ],
        held_at="昨天上午",
        chair="",
    )
    before = counts()
    page = html(login_client(life.recorder_user).post(url("record", meeting.pk), data), 400)
    assert "请填写请假原因。" in page
    assert "请填写议题。" in page
    assert "请填写决议内容。" in page
    assert "请填写票数（没有可填 0）。" in page
    assert "请按“年-月-日 时:分”填写时间。" in page
    assert "请选择主持人。" in page
    assert 'value="没有议题的记录"' in page or "没有议题的记录</textarea>" in page  # kept
    assert counts() == before


def test_the_service_refusals_land_next_to_the_fields(life: Life) -> None:
    meeting = committee_meeting(life)
    later = timezone.localtime() + timedelta(hours=2)
    data = sheet(
        meeting,
        committee(life),
        statuses={life.recorder.pk: ("absent", "")},
        held_at=later.strftime("%Y-%m-%dT%H:%M"),
    )
    before = counts()
    page = html(login_client(life.recorder_user).post(url("record", meeting.pk), data), 400)
    assert "会议还没开，不能记录为已召开。" in page
    assert "记录人应为出席。" in page
    assert counts() == before


def test_record_page_access(life: Life, cast: Any, grid_b2: Any) -> None:
    meeting = committee_meeting(life)
    assert_login_redirect(Client().get(url("record", meeting.pk)))
    assert_login_redirect(Client().post(url("record", meeting.pk), {}))
    assert login_client(cast.outsider).get(url("record", meeting.pk)).status_code == 404
    assert login_client(cast.grid_worker_a).get(url("record", meeting.pk)).status_code == 404
    # grid_b2 sees the meeting (its territory) but neither runs it nor keeps its record.
    assert login_client(grid_b2).get(url("record", meeting.pk)).status_code == 403
    data = sheet(meeting, committee(life))
    assert login_client(grid_b2).post(url("record", meeting.pk), data).status_code == 403
    assert not MeetingRecord.objects.exists()
    assert login_client(cast.community_secretary).get(url("record", meeting.pk)).status_code == 200


def test_a_cancelled_meeting_has_no_record_and_a_confirmed_one_is_corrected(life: Life) -> None:
    meeting = committee_meeting(life)
    services.meeting_cancel(actor=life.chair_user, meeting=meeting, reason="台风停课")
    response = login_client(life.recorder_user).get(url("record", meeting.pk))
    assert response.status_code == 302 and response["Location"] == url("detail", meeting.pk)
    done = confirmed(life)
    response = login_client(life.recorder_user).get(url("record", done.pk))
    assert response["Location"] == url("correct", done.pk)
    waiting = recorded(life)
    response = login_client(life.recorder_user).get(url("correct", waiting.pk))
    assert response["Location"] == url("record", waiting.pk)


def test_an_unconfirmed_record_is_written_again(life: Life) -> None:
    meeting = recorded(life)
    client = login_client(life.recorder_user)
    page = html(client.get(url("record", meeting.pk)))
    assert "讨论了加密清运的办法。" in page and 'value="外出就医"' in page  # from the record
    data = sheet(meeting, committee(life))
    assert client.post(url("record", meeting.pk), data).status_code == 302
    record = MeetingRecord.objects.get(meeting=meeting)
    assert record.version == 1 and record.present == 3


# ---------------------------------------------------------------------------------------------
# confirm, minutes, print


def test_chair_and_recorder_confirm_and_the_minutes_show_both(life: Life) -> None:
    meeting = recorded(life)
    recorder = login_client(life.recorder_user)
    page = html(recorder.get(url("detail", meeting.pk)))
    assert "确认记录" in page and "修改记录" in page
    response = recorder.post(url("confirm", meeting.pk))
    assert response.status_code == 302
    page = html(recorder.get(url("detail", meeting.pk)))
    assert "已确认，等待另一方确认。" in page
    assert 'data-testid="confirm"' not in page  # signed already
    record = MeetingRecord.objects.get()
    assert record.recorder_confirmed_at is not None and record.locked_at is None
    chair = login_client(life.chair_user)
    assert chair.post(url("confirm", meeting.pk)).status_code == 302
    page = html(chair.get(url("detail", meeting.pk)))
    assert "主持人和记录人都已确认，记录已锁定。" in page
    record.refresh_from_db()
    assert record.locked_at is not None
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.CONFIRMED
    stamp = timezone.localtime(record.chair_confirmed_at).strftime("%Y-%m-%d %H:%M")
    assert page.count(f"已确认 {stamp}") == 2  # both signatures, with their times
    assert "吴委员（外出就医）" in page
    assert "赞成 2 票，反对 0 票，弃权 0 票" in page and ">通过<" in page
    assert "更正" in page and "确认记录" not in page
    # A second confirmation changes nothing.
    chair.post(url("confirm", meeting.pk))
    assert "会议记录已确认。" in html(chair.get(url("detail", meeting.pk)))


def test_only_chair_and_recorder_confirm(life: Life, cast: Any, grid_b2: Any) -> None:
    meeting = recorded(life)
    for user in (cast.community_secretary, grid_b2):
        response = login_client(user).post(url("confirm", meeting.pk))
        assert response.status_code == 403, user
    record = MeetingRecord.objects.get()
    assert record.chair_confirmed_at is None and record.recorder_confirmed_at is None
    assert login_client(cast.outsider).post(url("confirm", meeting.pk)).status_code == 404
    assert_login_redirect(Client().post(url("confirm", meeting.pk)))
    assert login_client(life.chair_user).get(url("confirm", meeting.pk)).status_code == 405


def test_a_quorum_missed_marks_resolutions_not_passed(life: Life) -> None:
    meeting = committee_meeting(life)
    data = sheet(
        meeting,
        committee(life),
        statuses={
            life.third.pk: ("excused", "外出就医"),
            life.secretary.pk: ("present", ""),
            life.recorder.pk: ("present", ""),
        },
        items=[{"title": "清运", "resolutions": [("加密清运", 1, 1, 0)]}],
    )
    client = login_client(life.recorder_user)
    assert client.post(url("record", meeting.pk), data).status_code == 302
    page = html(client.get(url("detail", meeting.pk)))
    assert ">未通过<" in page
    assert "赞成 1 票，未超过应到有表决权人数 3 的半数。" in page


def test_the_minutes_page_access(life: Life, cast: Any, people: Any) -> None:
    meeting = recorded(life)
    assert_login_redirect(Client().get(url("detail", meeting.pk)))
    assert_login_redirect(Client().get(url("print", meeting.pk)))
    for user in (cast.outsider, cast.grid_worker_a, cast.system_admin):
        assert login_client(user).get(url("detail", meeting.pk)).status_code == 404, user
        assert login_client(user).get(url("print", meeting.pk)).status_code == 404, user
    # The street's and the community's party staff see it, read only.
    page = html(login_client(cast.street_leader).get(url("detail", meeting.pk)))
    assert "研究B网格垃圾清运问题" in page
    assert 'data-testid="confirm"' not in page and 'data-testid="record"' not in page


def test_the_print_view_is_clean_minutes(life: Life) -> None:
    meeting = confirmed(life)
    page = html(login_client(life.chair_user).get(url("print", meeting.pk)))
    assert 'class="mt-paper"' in page and "window.print()" in page
    assert "tabbar" not in page and "sidenav" not in page
    assert "研究B网格垃圾清运问题" in page and "吴委员（外出就医）" in page
    assert "应到 3 人，实到 2 人" in page


# ---------------------------------------------------------------------------------------------
# correct


def test_a_correction_is_a_new_version_with_its_reason(life: Life) -> None:
    meeting = confirmed(life)
    client = login_client(life.recorder_user)
    page = html(client.get(url("correct", meeting.pk)))
    assert "更正原因" in page and "讨论了加密清运的办法。" in page  # prefilled from v1
    data = sheet(meeting, committee(life), statuses={life.third.pk: ("excused", "外出就医")})
    data["items"] = 1
    data["item-0-resolutions"] = 1
    data["item-0-res-0-votes_for"] = 2
    data["item-0-minutes"] = "讨论了加密清运的办法，并请物业签订承诺书。"
    before = counts()
    page = html(client.post(url("correct", meeting.pk), data), 400)  # no reason given
    assert "请填写更正原因。" in page
    assert counts() == before
    data["m-reason"] = "漏记了物业承诺书一事。"
    assert client.post(url("correct", meeting.pk), data).status_code == 302
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.RECORDED and meeting.version == 2
    v1, v2 = MeetingRecord.objects.filter(meeting=meeting).order_by("version")
    assert v1.locked_at is not None and v2.correction_reason == "漏记了物业承诺书一事。"
    assert v1.items.get().minutes == "讨论了加密清运的办法。"  # the old version kept
    page = html(client.get(url("detail", meeting.pk)))
    assert "第 1 版" in page and "第 2 版" in page and "漏记了物业承诺书一事。" in page
    assert "并请物业签订承诺书" in page
    old = html(client.get(url("detail", meeting.pk) + "?version=1"))
    assert "这是第 1 版，已被更正。" in old and "并请物业签订承诺书" not in old
    assert (
        login_client(life.recorder_user).get(url("detail", meeting.pk) + "?version=7").status_code
        == 404
    )


def test_correct_page_access(life: Life, cast: Any, grid_b2: Any) -> None:
    meeting = confirmed(life)
    assert_login_redirect(Client().get(url("correct", meeting.pk)))
    assert login_client(cast.outsider).get(url("correct", meeting.pk)).status_code == 404
    assert login_client(grid_b2).get(url("correct", meeting.pk)).status_code == 403


# ---------------------------------------------------------------------------------------------
# cancel


def test_a_planned_meeting_is_cancelled_with_a_reason(life: Life, grid_b2: Any, cast: Any) -> None:
    meeting = committee_meeting(life)
    client = login_client(life.chair_user)
    page = html(client.post(url("cancel", meeting.pk), {"reason": ""}), 400)
    assert "请填写取消原因。" in page
    assert login_client(grid_b2).post(url("cancel", meeting.pk), {"reason": "x"}).status_code == 403
    assert (
        login_client(cast.outsider).post(url("cancel", meeting.pk), {"reason": "x"}).status_code
        == 404
    )
    assert_login_redirect(Client().post(url("cancel", meeting.pk), {"reason": "x"}))
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.PLANNED
    assert client.post(url("cancel", meeting.pk), {"reason": "台风预警"}).status_code == 302
    meeting.refresh_from_db()
    assert (meeting.state, meeting.cancel_reason) == (MeetingState.CANCELLED, "台风预警")
    page = html(client.get(url("detail", meeting.pk)))
    assert "会议已取消：台风预警" in page and "取消会议" not in page


def test_a_recorded_meeting_cannot_be_cancelled(life: Life) -> None:
    meeting = recorded(life)
    client = login_client(life.chair_user)
    response = client.post(url("cancel", meeting.pk), {"reason": "不开了"})
    assert response.status_code == 302
    assert "只能取消尚未召开的会议" in html(client.get(url("detail", meeting.pk)))
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.RECORDED


# ---------------------------------------------------------------------------------------------
# follow-up tasks


def test_a_resolution_gets_a_follow_up_the_owner_marks_done(life: Life, cast: Any) -> None:
    meeting = confirmed(life)
    resolution = Resolution.objects.get()
    chair = login_client(life.chair_user)
    page = html(chair.get(url("detail", meeting.pk)))
    assert "添加落实任务" in page
    before = FollowUp.objects.count()
    page = html(chair.post(url("followup", meeting.pk), {"title": "", "due_on": "2025-11-01"}), 400)
    assert "请填写任务。" in page and "请选择负责人。" in page
    assert FollowUp.objects.count() == before
    page = html(
        chair.post(
            url("followup", meeting.pk),
            {"title": "督促物业加密清运", "owner": life.recorder.pk, "due_on": "2025-11-01"},
        ),
        400,
    )
    assert "完成期限不能早于今天。" in page
    response = chair.post(
        url("followup", meeting.pk),
        {
            "title": "督促物业加密清运",
            "owner": life.recorder.pk,
            "due_on": "2025-11-30",
            "resolution": resolution.pk,
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#followups")
    followup = FollowUp.objects.get()
    assert followup.owner == life.recorder and followup.resolution == resolution
    # The owner sees "完成"; the chair does not (not theirs).
    assert 'data-testid="done-form"' not in html(chair.get(url("detail", meeting.pk)))
    owner = login_client(life.recorder_user)
    assert 'data-testid="done-form"' in html(owner.get(url("detail", meeting.pk)))
    with time_machine.travel(datetime(2025, 12, 2, 9, 0, tzinfo=TZ), tick=False):
        owner = login_client(life.recorder_user)
        page = html(owner.get(url("detail", meeting.pk)))
        assert "已超期" in page
        response = owner.post(url("done", followup.pk), {"note": "物业已改为每天两次。"})
    assert response.status_code == 302
    followup.refresh_from_db()
    assert followup.state == FollowUpState.DONE and followup.done_note == "物业已改为每天两次。"
    page = html(owner.get(url("detail", meeting.pk)))
    assert "已完成" in page and "物业已改为每天两次。" in page
    # Done twice: refused politely, nothing changes.
    owner.post(url("done", followup.pk))
    assert "这项任务已经完成。" in html(owner.get(url("detail", meeting.pk)))


def test_follow_up_access(life: Life, cast: Any, grid_b2: Any) -> None:
    meeting = confirmed(life)
    followup = services.followup_create(
        actor=life.chair_user,
        meeting=meeting,
        title="督促物业",
        owner=life.recorder,
        due_on=date(2025, 11, 30),
    )
    data = {"title": "x", "owner": life.recorder.pk, "due_on": "2025-11-30"}
    assert_login_redirect(Client().post(url("followup", meeting.pk), data))
    assert_login_redirect(Client().post(url("done", followup.pk)))
    assert login_client(grid_b2).post(url("followup", meeting.pk), data).status_code == 403
    assert login_client(cast.outsider).post(url("followup", meeting.pk), data).status_code == 404
    assert login_client(cast.outsider).post(url("done", followup.pk)).status_code == 404
    assert login_client(grid_b2).post(url("done", followup.pk)).status_code == 403
    assert FollowUp.objects.count() == 1
    followup.refresh_from_db()
    assert followup.state == FollowUpState.OPEN
    # Before confirmation a meeting gives no tasks.
    waiting = recorded(life)
    response = login_client(life.chair_user).post(url("followup", waiting.pk), data)
    assert response.status_code == 302 and FollowUp.objects.count() == 1


# ---------------------------------------------------------------------------------------------
# the list


def test_the_recorder_sees_what_waits_for_them_first(life: Life, cast: Any) -> None:
    planned = committee_meeting(life, title="十一月支委会")
    to_confirm = recorded(life, title="十月支委会")
    services.meeting_confirm(actor=life.chair_user, meeting=to_confirm)
    page = html(login_client(life.recorder_user).get(url("list")))
    waiting = page.split('data-testid="waiting"')[1].split("</section>")[0]
    assert "十一月支委会" in waiting and url("record", planned.pk) in waiting
    assert "十月支委会" in waiting and "确认记录" in waiting
    # The chair signed already: nothing waits for them.
    page = html(login_client(life.chair_user).get(url("list")))
    assert 'data-testid="waiting"' not in page
    assert "计划会议：东一社区B网格党支部" in page
    page = html(login_client(cast.outsider).get(url("list")))
    assert "十一月支委会" not in page and "没有符合条件的会议。" in page
    assert_login_redirect(Client().get(url("list")))


def test_the_list_filters(life: Life, cast: Any) -> None:
    committee_meeting(life, title="十一月支委会")
    services.meeting_plan(
        actor=life.chair_user,
        org=life.group,
        kind=life.kinds["group_meeting"],
        planned_at=HELD,
        title="十一月党小组会",
    )
    client = login_client(cast.community_secretary)
    page = html(client.get(url("list")))
    assert "十一月支委会" in page and "十一月党小组会" in page
    page = html(client.get(url("list") + f"?org={life.group.pk}"))
    assert "十一月支委会" not in page and "十一月党小组会" in page
    page = html(client.get(url("list") + "?kind=committee_meeting&state=planned"))
    assert "十一月支委会" in page and "十一月党小组会" not in page
    page = html(client.get(url("list") + "?state=confirmed"))
    assert "十一月支委会" not in page


# ---------------------------------------------------------------------------------------------
# a whistle shows the branch took it up


def test_a_whistle_shows_the_branch_took_it_up(
    life: Life, cast: Any, people: Any, city: Any
) -> None:
    from grassroots.tickets import services as ts
    from grassroots.whistles.services import whistle_blow

    ticket, _new = ts.ticket_submit(
        actor=cast.resident,
        category="0101",
        description="2号楼下水管爆裂。",
        address="东一2号楼下",
        building=people.building_b1,
    )
    whistle = whistle_blow(
        actor=cast.street_leader,
        kind="emergency",
        reason="emergency",
        description="2号楼下水管爆裂，路面积水。",
        address="东一2号楼下",
        departments=[city.dept_district.pk],
        ticket=ticket,
    )
    meeting = committee_meeting(
        life,
        actor=cast.community_secretary,  # grid workers see no whistles; the community does
        agenda=[services.AgendaIn(title="水管爆裂后续", whistle=whistle)],
    )
    page = html(login_client(cast.street_leader).get(f"/workbench/whistles/{whistle.number}/"))
    assert "东一社区B网格党支部已将此事列入 11月20日 支委会议程" in page
    assert url("detail", meeting.pk) in page
    # The department sees the whistle, not the branch's meeting.
    page = html(login_client(cast.department_officer).get(f"/workbench/whistles/{whistle.number}/"))
    assert "taken-up" not in page


# ---------------------------------------------------------------------------------------------
# query counts


def _many_items(meeting: Meeting, n: int) -> dict[str, Any]:
    return {
        "items": [
            {"title": f"议题{i}", "minutes": "记录", "resolutions": [(f"决议{i}", 1, 0, 0)]}
            for i in range(n)
        ]
    }


@pytest.mark.parametrize("n", [1, 6])
def test_the_pages_cost_the_same_with_more_rows(
    life: Life, n: int, django_assert_max_num_queries: Any
) -> None:
    meeting = committee_meeting(life)
    data = sheet(meeting, committee(life), **_many_items(meeting, n))
    client = login_client(life.recorder_user)
    assert client.post(url("record", meeting.pk), data).status_code == 302
    services.meeting_confirm(actor=life.recorder_user, meeting=meeting)
    services.meeting_confirm(actor=life.chair_user, meeting=meeting)
    for i in range(n):
        services.followup_create(
            actor=life.chair_user,
            meeting=meeting,
            title=f"任务{i}",
            owner=life.recorder,
            due_on=date(2025, 11, 30),
        )
        committee_meeting(life, title=f"会议{i}")
    client.get(url("list"))  # the session is written once
    with django_assert_max_num_queries(24):
        html(client.get(url("detail", meeting.pk)))
    with django_assert_max_num_queries(16):
        html(client.get(url("print", meeting.pk)))
    with django_assert_max_num_queries(22):
        html(client.get(url("correct", meeting.pk)))
    with django_assert_max_num_queries(22):
        html(client.get(url("list")))
    chair = login_client(life.chair_user)
    chair.get(url("list"))
    with django_assert_max_num_queries(22):
        html(chair.get(url("new", life.branch.pk)))
