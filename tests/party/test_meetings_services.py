"""The meeting services: plan with an agenda from governance work, record (attendance, minutes,
resolutions checked against quorum and passing), confirm by chair and recorder, versioned
corrections, cancel, and follow-up tasks tracked to done. Every refusal changes nothing."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from grassroots.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from grassroots.core.models import AuditEntry
from grassroots.notices.models import Notice
from grassroots.party.life_rules import expected_members
from grassroots.party.models import (
    AgendaSource,
    Attendance,
    AttendanceStatus,
    FollowUp,
    FollowUpState,
    Meeting,
    MeetingRecord,
    MeetingState,
    PartyMember,
    Resolution,
)
from grassroots.party.selectors_life import meeting_detail, meetings_for, taken_up_for_ticket
from grassroots.party.services import meetings as s
from grassroots.party.services import points
from tests.tickets.conftest import catalogue  # noqa: F401  (the seeded categories)

LOCAL = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=LOCAL)  # a Wednesday in Q4


@pytest.fixture(autouse=True)
def clock() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def locked(monkeypatch: pytest.MonkeyPatch) -> list[MeetingRecord]:
    """The records handed to the points ledger when they lock."""
    calls: list[MeetingRecord] = []
    monkeypatch.setattr(points, "points_for_record", calls.append)
    return calls


# --- helpers shared with the API and selector tests ----------------------------------------------


def plan(life: Any, code: str = "committee_meeting", *, actor: Any = None, **kw: Any) -> Meeting:
    org = kw.pop("org", life.group if code == "group_meeting" else life.branch)
    kw.setdefault("chair", life.secretary)
    kw.setdefault("recorder", life.recorder)
    kw.setdefault("planned_at", NOW - timedelta(hours=2))
    return s.meeting_plan(actor=actor or life.chair_user, org=org, kind=life.kinds[code], **kw)


def roll(
    meeting: Meeting,
    *,
    absent: Sequence[PartyMember] = (),
    excused: Sequence[PartyMember] = (),
) -> list[s.AttendanceIn]:
    """Everyone expected, present unless listed."""
    rows = []
    for member in expected_members(meeting.kind, meeting.org):
        if member in absent:
            rows.append(s.AttendanceIn(member=member, status=AttendanceStatus.ABSENT))
        elif member in excused:
            rows.append(s.AttendanceIn(member=member, status="excused", reason="出差"))
        else:
            rows.append(s.AttendanceIn(member=member, status=AttendanceStatus.PRESENT))
    return rows


def motion(votes: tuple[int, int, int] | None = None, text: str = "同意") -> s.ResolutionIn:
    if votes is None:
        return s.ResolutionIn(text=text)
    return s.ResolutionIn(
        text=text, votes_for=votes[0], votes_against=votes[1], votes_abstain=votes[2]
    )


def item(*resolutions: s.ResolutionIn, title: str = "研究加装电梯", **kw: Any) -> s.ItemIn:
    return s.ItemIn(title=title, minutes="大家发言踊跃。", resolutions=resolutions, **kw)


def record(
    life: Any,
    meeting: Meeting,
    *,
    actor: Any = None,
    correct: str | None = None,
    **kw: Any,
) -> MeetingRecord:
    kw.setdefault("held_at", NOW - timedelta(hours=1))
    kw.setdefault("chair", life.secretary)
    kw.setdefault("recorder", life.recorder)
    kw.setdefault("items", [])
    if "attendance" not in kw:
        kw["attendance"] = roll(meeting)
    if correct is not None:
        return s.meeting_correct(
            actor=actor or life.recorder_user, meeting=meeting, reason=correct, **kw
        )
    return s.meeting_record(actor=actor or life.recorder_user, meeting=meeting, **kw)


def confirm_both(life: Any, meeting: Meeting) -> MeetingRecord:
    s.meeting_confirm(actor=life.chair_user, meeting=meeting)
    return s.meeting_confirm(actor=life.recorder_user, meeting=meeting)


def ticket_in(cast: Any, building: Any, **kw: Any) -> Any:
    """A request filed by the cast's resident, in a building."""
    from grassroots.tickets.services import ticket_submit

    kw.setdefault("category", "0101")
    kw.setdefault("description", "楼下垃圾桶满了，三天没人清运。")
    ticket, _created = ticket_submit(
        actor=cast.resident, address=building.name, building=building, **kw
    )
    return ticket


def ticket_in_grid_b(cast: Any, people: Any, **kw: Any) -> Any:
    return ticket_in(cast, people.building_b1, **kw)


def refused(exc: Any) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = exc.value.fields
    return fields


def meeting_of(record: MeetingRecord) -> Meeting:
    return Meeting.objects.get(pk=record.meeting_id)


# --- plan --------------------------------------------------------------------------------------


def test_it_plans_a_meeting_with_its_agenda_and_tells_those_expected(
    life: Any, cast: Any, people: Any
) -> None:
    ticket = ticket_in_grid_b(cast, people)
    meeting = plan(
        life,
        place="社区会议室",
        agenda=[s.AgendaIn(title="年度计划"), s.AgendaIn(title="", ticket=ticket)],
    )
    assert meeting.state == MeetingState.PLANNED
    assert meeting.title == "2026年11月18日支委会"
    assert (meeting.area_path, meeting.street_id) == (life.branch.area_path, life.branch.street_id)
    agenda = list(meeting.agenda.order_by("order"))
    assert [(a.source, a.ticket_id) for a in agenda] == [
        (AgendaSource.MANUAL, None),
        (AgendaSource.TICKET, ticket.pk),
    ]
    assert agenda[1].title.endswith(f"（工单 {ticket.number}）")
    # The recorder hears of it; the secretary planned it and is not told again.
    notice = Notice.objects.get(recipient=life.recorder_user)
    assert notice.kind == "party.meeting_planned"
    assert notice.url == s.meeting_url(meeting)
    assert not Notice.objects.filter(recipient=life.chair_user).exists()
    entry = AuditEntry.objects.get(action="party.meeting_plan")
    assert entry.object_id == str(meeting.pk)


def test_it_plans_a_hotspot_and_a_whistle(life: Any, cast: Any, people: Any, city: Any) -> None:
    from grassroots.tickets.models import Category
    from grassroots.whistles.services import whistle_blow

    ticket = ticket_in_grid_b(cast, people)
    whistle = whistle_blow(
        actor=cast.community_secretary,
        kind="routine",
        reason="beyond_street",
        description="2号楼下水管漏水。",
        address="东一2号楼",
        departments=[city.dept_s1.pk],
        ticket=ticket,
    )
    meeting = plan(
        life,
        actor=cast.community_secretary,
        agenda=[
            s.AgendaIn(title="", whistle=whistle),
            s.AgendaIn(
                title="",
                hotspot_category=Category.objects.get(code="0101"),
                hotspot_area=people.building_b1,
                hotspot_count=4,
            ),
        ],
    )
    sources = [(a.source, a.title) for a in meeting.agenda.order_by("order")]
    assert sources == [
        (AgendaSource.WHISTLE, whistle.title),
        (AgendaSource.HOTSPOT, "东一2号楼垃圾清运不及时诉求集中（4 件）"),
    ]


def test_who_may_plan(life: Any, cast: Any, people: Any) -> None:
    with pytest.raises(Forbidden):
        plan(life, actor=cast.outsider)
    with pytest.raises(Forbidden):
        plan(life, actor=cast.grid_worker_a)
    plan(life, actor=cast.street_leader)
    plan(life, "group_meeting", actor=life.recorder_user, chair=None, recorder=None)
    assert Meeting.objects.count() == 2


def test_a_plan_is_refused_field_by_field_and_nothing_is_written(
    life: Any, cast: Any, people: Any, city: Any
) -> None:
    in_grid_a = ticket_in(cast, city.building_a1)  # not the branch's territory
    with pytest.raises(ValidationFailed) as exc:
        plan(
            life,
            "group_meeting",
            org=life.branch,
            actor=cast.community_secretary,
            chair=people.m_wang,  # another branch's member
            recorder=life.full[4],
            planned_at=None,
            title="会" * 101,
            agenda=[s.AgendaIn(title="", ticket=in_grid_a), s.AgendaIn(title="  ")],
        )
    assert refused(exc) == {
        "kind": ["本组织不召开这类会议。"],
        "planned_at": ["请填写会议时间。"],
        "title": ["会议名称不能超过 100 个字。"],
        "agenda": ["第 1 项议程：这张工单不在本组织的区域内。", "第 2 项议程：请填写议题。"],
    }
    with pytest.raises(ValidationFailed) as exc:
        plan(life, chair=people.m_wang, recorder=life.full[4])
    message = "须为应参加本次会议的党员或本组织的书记、委员。"
    assert refused(exc) == {"chair": ["主持人" + message], "recorder": ["记录人" + message]}
    # A ticket the secretary (a grid worker of grid B) cannot see reads as not there.
    with pytest.raises(ValidationFailed) as exc:
        plan(life, agenda=[s.AgendaIn(title="x", ticket=in_grid_a)])
    assert refused(exc) == {"agenda": ["第 1 项议程：没有这张工单。"]}
    assert not Meeting.objects.exists()
    assert not Notice.objects.filter(kind__startswith="party.").exists()


def test_cancel_needs_a_reason_and_a_planned_meeting(life: Any, cast: Any) -> None:
    meeting = plan(life)
    with pytest.raises(ValidationFailed) as exc:
        s.meeting_cancel(actor=life.chair_user, meeting=meeting, reason=" ")
    assert refused(exc) == {"reason": ["请填写取消原因。"]}
    with pytest.raises(Forbidden):
        s.meeting_cancel(actor=cast.outsider, meeting=meeting, reason="下雨")
    s.meeting_cancel(actor=life.chair_user, meeting=meeting, reason="书记出差，改期召开")
    meeting.refresh_from_db()
    assert (meeting.state, meeting.cancel_reason) == (MeetingState.CANCELLED, "书记出差，改期召开")
    assert Notice.objects.filter(kind="party.meeting_cancelled").count() == 1
    with pytest.raises(Conflict):
        s.meeting_cancel(actor=life.chair_user, meeting=meeting, reason="再取消")
    held = plan(life)
    record(life, held)
    with pytest.raises(Conflict):
        s.meeting_cancel(actor=life.chair_user, meeting=held, reason="已经开了")


# --- record ------------------------------------------------------------------------------------


def test_it_records_a_committee_meeting(life: Any) -> None:
    meeting = plan(life)
    saved = record(life, meeting, place="党群服务中心", items=[item(motion((3, 0, 0)))])
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.RECORDED
    assert (meeting.version, meeting.covers) == (1, date(2026, 11, 1))
    assert meeting.held_at == NOW - timedelta(hours=1)
    assert (saved.expected, saved.present, saved.voting_expected, saved.voting_present) == (
        3,
        3,
        3,
        3,
    )
    assert saved.quorum_met
    resolution = Resolution.objects.get(record=saved)
    assert (resolution.passed, resolution.outcome, resolution.item.title) == (
        True,
        "",
        "研究加装电梯",
    )
    # The secretary is asked to confirm (the recorder filled it in).
    assert Notice.objects.filter(recipient=life.chair_user, kind="party.meeting_to_confirm")
    assert AuditEntry.objects.filter(action="party.meeting_record").count() == 1


def test_a_general_meeting_without_quorum_keeps_its_resolution_as_not_passed(
    life: Any,
) -> None:
    meeting = plan(life, "general_meeting")
    # 8 full members, 4 of them absent: 4 of 8 with a vote present, exactly half.
    saved = record(
        life,
        meeting,
        attendance=roll(meeting, absent=life.full[4:]),
        items=[item(motion((4, 0, 0)))],
    )
    assert (saved.expected, saved.present, saved.voting_expected, saved.voting_present) == (
        9,
        5,
        8,
        4,
    )
    assert not saved.quorum_met
    resolution = Resolution.objects.get(record=saved)
    assert not resolution.passed
    assert resolution.outcome == "未达到法定人数：有表决权的应到 8 人，实到 4 人，未过半数。"


def test_a_general_meeting_motion_passes_with_more_than_half_of_those_expected(
    life: Any,
) -> None:
    meeting = plan(life, "general_meeting")
    saved = record(
        life,
        meeting,
        attendance=roll(meeting, excused=life.full[5:]),  # 5 of 8 with a vote present
        items=[item(motion((4, 1, 0), "甲"), motion((5, 0, 0), "乙"))],
    )
    assert saved.quorum_met
    outcomes = [(r.text, r.passed, r.outcome) for r in saved.resolutions.order_by("order")]
    assert outcomes == [
        ("甲", False, "赞成 4 票，未超过应到有表决权人数 8 的半数。"),
        ("乙", True, ""),
    ]
    reasons = set(Attendance.objects.filter(record=saved).values_list("status", "reason"))
    assert reasons == {("present", ""), ("excused", "出差")}


def test_votes_beyond_those_present_are_refused_and_nothing_is_written(life: Any) -> None:
    meeting = plan(life)
    with pytest.raises(ValidationFailed) as exc:
        record(
            life,
            meeting,
            attendance=roll(meeting, absent=[life.third]),
            items=[item(motion((2, 1, 0)))],
        )
    assert refused(exc) == {"votes": ["表决票数超过实到有表决权人数。"]}
    with pytest.raises(ValidationFailed) as exc:
        record(life, meeting, items=[item(s.ResolutionIn(text="同意", votes_for=3))])
    assert refused(exc) == {"votes": ["赞成、反对、弃权票数须同时填写，或都不填。"]}
    meeting.refresh_from_db()
    assert (meeting.state, meeting.version) == (MeetingState.PLANNED, 0)
    assert not MeetingRecord.objects.exists()
    assert not Notice.objects.filter(kind="party.meeting_to_confirm").exists()


def test_a_meeting_in_the_future_cannot_be_recorded_as_held(life: Any) -> None:
    meeting = plan(life)
    for held_at in (datetime(2026, 12, 1, 9, 0, tzinfo=LOCAL), NOW + timedelta(minutes=5)):
        with pytest.raises(ValidationFailed) as exc:
            record(life, meeting, held_at=held_at)
        assert refused(exc) == {"held_at": ["会议还没开，不能记录为已召开。"]}
    assert not MeetingRecord.objects.exists()


def test_attendance_lists_everyone_expected_exactly_once(life: Any, people: Any) -> None:
    meeting = plan(life)
    rows = roll(meeting)
    with pytest.raises(ValidationFailed) as exc:
        record(
            life,
            meeting,
            attendance=[
                *rows[:2],
                rows[0],
                s.AttendanceIn(member=people.m_wang, status="present"),
            ],
        )
    assert refused(exc) == {
        "attendance": [
            f"{rows[0].member.name} 重复填写了出席情况。",
            "王建国 不是应参加本次会议的党员，可填入列席人员。",
            f"请为每位应到党员填写出席情况，还缺：{rows[2].member.name}。",
        ]
    }
    with pytest.raises(ValidationFailed) as exc:
        record(
            life,
            meeting,
            attendance=[
                *rows[:2],
                s.AttendanceIn(member=rows[2].member, status="excused", reason=" "),
            ],
        )
    assert refused(exc) == {"attendance": [f"{rows[2].member.name} 请假，请填写原因。"]}
    with pytest.raises(ValidationFailed) as exc:
        record(life, meeting, attendance=roll(meeting, absent=[life.secretary]))
    assert refused(exc) == {"chair": ["主持人应为出席。"]}
    assert not MeetingRecord.objects.exists()


def test_a_talk_is_between_two_members_both_present(life: Any) -> None:
    meeting = plan(life, "heart_to_heart", chair=life.secretary, recorder=life.full[3])
    pair = [life.secretary, life.full[3]]
    with pytest.raises(ValidationFailed) as exc:
        record(
            life,
            meeting,
            recorder=life.full[3],
            attendance=[s.AttendanceIn(member=m, status="present") for m in [*pair, life.third]],
        )
    assert refused(exc) == {"attendance": ["谈心谈话须填写本支部的两名党员，且两人都出席。"]}
    saved = record(
        life,
        meeting,
        recorder=life.full[3],
        attendance=[s.AttendanceIn(member=m, status="present") for m in pair],
    )
    assert (saved.expected, saved.present) == (2, 2)
    assert Meeting.objects.get(pk=meeting.pk).covers == date(2026, 1, 1)


def test_who_may_record(life: Any, cast: Any) -> None:
    meeting = plan(life)
    with pytest.raises(Forbidden):
        record(life, meeting, actor=cast.outsider)
    with pytest.raises(Forbidden):
        record(life, meeting, actor=cast.grid_worker_a)
    record(life, meeting, actor=cast.community_staff)
    assert MeetingRecord.objects.count() == 1


def test_recording_again_before_confirmation_rewrites_the_same_version(
    life: Any, locked: list[MeetingRecord]
) -> None:
    meeting = plan(life)
    first = record(life, meeting, items=[item(motion((3, 0, 0)))])
    s.meeting_confirm(actor=life.chair_user, meeting=meeting)
    again = record(
        life,
        meeting,
        attendance=roll(meeting, absent=[life.third]),
        items=[item(title="换个议题")],
    )
    assert again.pk == first.pk
    assert MeetingRecord.objects.count() == 1
    again.refresh_from_db()
    assert (again.version, again.present, again.chair_confirmed_at) == (1, 2, None)
    assert list(again.items.values_list("title", flat=True)) == ["换个议题"]
    assert not Resolution.objects.exists()
    assert Attendance.objects.filter(record=again).count() == 3
    assert locked == []


def test_a_make_up_meeting_counts_for_an_earlier_period(life: Any) -> None:
    meeting = plan(life)
    held_at = datetime(2026, 11, 10, 9, 0, tzinfo=LOCAL)
    for covers, message in [
        (date(2026, 10, 15), "计入周期须填该周期的第一天，如 2026-11-01。"),
        (date(2026, 12, 1), "不能计入召开时间以后的周期。"),
        (date(2025, 10, 1), "补开的会议最多计入 12 个月以前的周期。"),
    ]:
        with pytest.raises(ValidationFailed) as exc:
            record(life, meeting, held_at=held_at, covers=covers)
        assert refused(exc) == {"covers": [message]}
    record(life, meeting, held_at=held_at, covers=date(2025, 11, 1))
    assert Meeting.objects.get(pk=meeting.pk).covers == date(2025, 11, 1)
    general = plan(life, "general_meeting")
    record(life, general, held_at=held_at, attendance=roll(general))
    assert Meeting.objects.get(pk=general.pk).covers == date(2026, 10, 1)


# --- confirm and correct -----------------------------------------------------------------------


def test_chair_and_recorder_confirm_and_the_record_locks(
    life: Any, cast: Any, locked: list[MeetingRecord]
) -> None:
    meeting = plan(life)
    with pytest.raises(Conflict):
        s.meeting_confirm(actor=life.chair_user, meeting=meeting)  # nothing recorded yet
    record(life, meeting)
    with pytest.raises(Forbidden) as exc:
        s.meeting_confirm(actor=cast.community_secretary, meeting=meeting)
    assert exc.value.message == "只有主持人和记录人可以确认会议记录。"
    first = s.meeting_confirm(actor=life.chair_user, meeting=meeting)
    assert first.chair_confirmed_at == NOW and first.locked_at is None
    with pytest.raises(Conflict):
        s.meeting_confirm(actor=life.chair_user, meeting=meeting)
    assert Meeting.objects.get(pk=meeting.pk).state == MeetingState.RECORDED
    done = s.meeting_confirm(actor=life.recorder_user, meeting=meeting)
    assert done.locked_at == NOW
    assert Meeting.objects.get(pk=meeting.pk).state == MeetingState.CONFIRMED
    assert locked == [done]
    with pytest.raises(Conflict):
        s.meeting_confirm(actor=life.recorder_user, meeting=meeting)
    with pytest.raises(Conflict):
        record(life, meeting)  # locked: a change is a correction
    assert AuditEntry.objects.filter(action="party.meeting_confirm").count() == 2


def test_one_person_chairing_and_recording_confirms_once(
    life: Any, locked: list[MeetingRecord]
) -> None:
    meeting = plan(life, "party_lecture", recorder=life.secretary)
    record(life, meeting, actor=life.chair_user, recorder=life.secretary)
    done = s.meeting_confirm(actor=life.chair_user, meeting=meeting)
    assert done.chair_confirmed_at == done.recorder_confirmed_at == done.locked_at == NOW
    assert len(locked) == 1
    with pytest.raises(Conflict):
        s.meeting_confirm(actor=life.chair_user, meeting=meeting)


def test_a_correction_is_a_new_version_and_the_old_one_stays(
    life: Any, clock: Any, locked: list[MeetingRecord]
) -> None:
    meeting = plan(life)
    first = record(life, meeting, items=[item(motion((3, 0, 0)))])
    with pytest.raises(Conflict):
        record(life, meeting, correct="记错了")  # not confirmed yet: simply record again
    confirm_both(life, meeting)
    before = (
        list(Attendance.objects.filter(record=first).values_list("member_id", "status")),
        list(Resolution.objects.filter(record=first).values_list("text", "votes_for", "passed")),
    )
    with pytest.raises(ValidationFailed) as exc:
        record(life, meeting, correct="  ")
    assert refused(exc) == {"reason": ["请填写更正原因。"]}
    clock.shift(timedelta(hours=2))
    second = record(
        life,
        meeting,
        correct="吴委员实际请假",
        attendance=roll(meeting, excused=[life.third]),
        items=[item(motion((2, 0, 0)))],
    )
    assert (second.version, second.correction_reason, second.present) == (2, "吴委员实际请假", 2)
    meeting.refresh_from_db()
    assert (meeting.state, meeting.version) == (MeetingState.RECORDED, 2)
    first.refresh_from_db()
    assert first.locked_at == NOW
    assert (
        list(Attendance.objects.filter(record=first).values_list("member_id", "status")),
        list(Resolution.objects.filter(record=first).values_list("text", "votes_for", "passed")),
    ) == before
    assert AuditEntry.objects.filter(action="party.meeting_correct").count() == 1
    relocked = confirm_both(life, meeting)
    assert relocked.pk == second.pk and relocked.locked_at is not None
    assert Meeting.objects.get(pk=meeting.pk).state == MeetingState.CONFIRMED
    assert [r.version for r in locked] == [1, 2]


# --- follow-up tasks ---------------------------------------------------------------------------


def test_follow_up_tasks_carry_the_ticket_and_are_tracked_to_done(
    life: Any, cast: Any, people: Any, locked: list[MeetingRecord]
) -> None:
    ticket = ticket_in_grid_b(cast, people)
    meeting = plan(life, agenda=[s.AgendaIn(title="", ticket=ticket)])
    agenda_item = meeting.agenda.get()
    record(life, meeting, items=[item(motion((3, 0, 0)), agenda_item=agenda_item)])
    owner = life.recorder
    due = date(2026, 11, 30)
    with pytest.raises(Conflict):
        s.followup_create(actor=life.chair_user, meeting=meeting, title="清运", owner=owner,
                          due_on=due)  # fmt: skip
    confirm_both(life, meeting)
    resolution = Resolution.objects.get()
    with pytest.raises(ValidationFailed) as exc:
        s.followup_create(
            actor=life.chair_user,
            meeting=meeting,
            title="",
            owner=people.m_wang,
            due_on=date(2026, 11, 17),
        )
    assert refused(exc) == {
        "title": ["请填写任务。"],
        "owner": ["负责人须为本支部党员。"],
        "due_on": ["完成期限不能早于今天。"],
    }
    with pytest.raises(Forbidden):
        s.followup_create(actor=cast.outsider, meeting=meeting, title="x", owner=owner, due_on=due)
    task = s.followup_create(
        actor=life.chair_user,
        meeting=meeting,
        title="联系物业每日清运",
        owner=owner,
        due_on=due,
        resolution=resolution,
    )
    assert (task.ticket_id, task.whistle_id, task.state) == (ticket.pk, None, FollowUpState.OPEN)
    assert Notice.objects.filter(recipient=life.recorder_user, kind="party.followup_assigned")
    with pytest.raises(Forbidden):
        s.followup_done(actor=cast.grid_worker_a, followup=task)
    done = s.followup_done(actor=life.recorder_user, followup=task, note="已落实")
    assert (done.state, done.done_note, done.done_at) == (FollowUpState.DONE, "已落实", NOW)
    with pytest.raises(Conflict):
        s.followup_done(actor=life.chair_user, followup=task)
    assert AuditEntry.objects.filter(action__startswith="party.followup_").count() == 2
    # The ticket shows the branch took it up, on the agenda and as a task.
    taken = taken_up_for_ticket(ticket)
    assert [i.meeting.org.name for i in taken.items] == ["东一社区B网格党支部"]
    assert [f.pk for f in taken.followups] == [task.pk]
    assert FollowUp.objects.count() == 1


def test_a_resolution_of_another_record_is_refused(life: Any, locked: list[Any]) -> None:
    other = plan(life)
    record(life, other, items=[item(motion())])
    meeting = plan(life)
    record(life, meeting)
    confirm_both(life, meeting)
    with pytest.raises(ValidationFailed) as exc:
        s.followup_create(
            actor=life.chair_user,
            meeting=meeting,
            title="x",
            owner=life.third,
            due_on=date(2026, 11, 18),
            resolution=Resolution.objects.get(record__meeting=other),
        )
    assert refused(exc) == {"resolution": ["不是本次会议记录中的决议。"]}


# --- reads and the ticket's side -----------------------------------------------------------------


def test_agenda_items_link_tickets_and_a_cancelled_meeting_drops_out(
    life: Any, cast: Any, people: Any
) -> None:
    ticket = ticket_in_grid_b(cast, people)
    kept = plan(life, agenda=[s.AgendaIn(title="垃圾清运", ticket=ticket)])
    dropped = plan(life, agenda=[s.AgendaIn(title="垃圾清运", ticket=ticket)])
    s.meeting_cancel(actor=life.chair_user, meeting=dropped, reason="合并召开")
    taken = taken_up_for_ticket(ticket)
    assert [(i.meeting_id, i.title) for i in taken.items] == [(kept.pk, "垃圾清运")]
    assert taken
    assert not taken_up_for_ticket(ticket_in_grid_b(cast, people))


def test_another_street_sees_nothing(life: Any, cast: Any) -> None:
    meeting = plan(life)
    assert list(meetings_for(cast.outsider)) == []
    with pytest.raises(NotFound):
        meeting_detail(cast.outsider, meeting.pk)
    assert [m.pk for m in meetings_for(cast.street_leader)] == [meeting.pk]
    assert [m.pk for m in meetings_for(life.recorder_user)] == [meeting.pk]  # as a member


def test_the_points_ledger_follows_the_locked_record(life: Any) -> None:
    from django.db.models import Sum

    from grassroots.party.models import PointEntry

    def total(member: PartyMember) -> int:
        found = PointEntry.objects.filter(member=member).aggregate(n=Sum("points"))["n"]
        return int(found or 0)

    meeting = plan(life)
    record(life, meeting)
    assert not PointEntry.objects.exists()  # nothing before both have confirmed
    confirm_both(life, meeting)
    assert (total(life.secretary), total(life.third)) == (2, 2)
    record(life, meeting, correct="吴委员未到", attendance=roll(meeting, absent=[life.third]))
    assert total(life.third) == 2  # the correction counts once it is confirmed
    confirm_both(life, meeting)
    assert (total(life.secretary), total(life.third)) == (2, -2)
