"""The compliance calendar (issue 7 item 4): periods, per-kind status over a whole year with
missing and late meetings, talks counted by pairs, theme days, exactly the kinds each
organisation holds, a bounded number of queries, and the reminder sweep (idempotent)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grassroots.accounts.models import User
from grassroots.core.errors import ValidationFailed
from grassroots.core.models import AuditEntry
from grassroots.notices.models import Notice
from grassroots.party import compliance as cc
from grassroots.party.compliance import (
    Status,
    compliance_for,
    remind_compliance,
    talk_pairs,
)
from grassroots.party.life_rules import holds
from grassroots.party.models import (
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingKind,
    MeetingRecord,
    MeetingState,
    OrgKind,
    PartyMember,
    PartyOrg,
    ReminderSent,
)
from grassroots.party.periods import Span, parse_period, periods, span_of
from grassroots.party.services import party_org_create

# --- helpers, shared by the API and page tests ---------------------------------------------------


def local(text: str) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(text))


def meeting(
    org: PartyOrg,
    kind: str,
    *,
    held: str | None = None,
    covers: date | None = None,
    state: str = MeetingState.CONFIRMED,
    planned: str | None = None,
    present: Sequence[PartyMember] = (),
    title: str = "",
) -> Meeting:
    """A meeting written straight to the database, as the meeting services leave it: held_at
    and covers copied from the record, version 1 for a recorded one; with `present`, a record
    whose attendance lists them present."""
    the_kind = MeetingKind.objects.get(code=kind)
    held_at = local(held) if held else None
    if covers is None and held_at is not None:
        covers = span_of(the_kind.period, timezone.localtime(held_at).date()).start
    recorded = state in (MeetingState.CONFIRMED, MeetingState.RECORDED)
    m = Meeting.objects.create(
        org=org,
        kind=the_kind,
        title=title or f"{the_kind.name} {held or planned}",
        planned_at=local(planned) if planned else held_at,
        state=state,
        held_at=held_at if recorded else None,
        covers=covers if recorded or planned is None else None,
        version=1 if recorded else 0,
        area_path=org.area_path,
        street_id=org.street_id,
    )
    if present:
        # Whoever wrote the record: a member with an account, else the first account.
        user = next((p.user for p in present if p.user), None) or User.objects.order_by("pk")[0]
        record = MeetingRecord.objects.create(
            meeting=m,
            version=1,
            held_at=held_at or m.planned_at,
            chair=present[0],
            recorder=present[-1],
            created_by=user,
            expected=len(present),
            present=len(present),
        )
        Attendance.objects.bulk_create(
            Attendance(record=record, member=p, status=AttendanceStatus.PRESENT) for p in present
        )
    return m


def statuses(row: Any) -> list[str]:
    return [c.status for c in row.cells]


# --- periods -------------------------------------------------------------------------------------


def test_it_splits_a_year_into_periods() -> None:
    months = periods("month", 2024)
    assert len(months) == 12
    assert months[1] == Span("month", date(2024, 2, 1), date(2024, 2, 29))  # leap year
    assert [m.key for m in months[:2]] == ["2024-01", "2024-02"]
    quarters = periods("quarter", 2026)
    assert [(q.start, q.end) for q in quarters] == [
        (date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 7, 1), date(2026, 9, 30)),
        (date(2026, 10, 1), date(2026, 12, 31)),
    ]
    assert [q.key for q in quarters] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert [q.label for q in quarters][2] == "第3季度"
    assert periods("year", 2026) == [Span("year", date(2026, 1, 1), date(2026, 12, 31))]
    assert span_of("quarter", date(2026, 8, 31)).key == "2026-Q3"
    assert span_of("month", date(2026, 12, 31)).end == date(2026, 12, 31)


@pytest.mark.parametrize(
    "text,start,end",
    [
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        (" 2026-12 ", date(2026, 12, 1), date(2026, 12, 31)),
    ],
)
def test_it_parses_a_period(text: str, start: date, end: date) -> None:
    span = parse_period(text)
    assert (span.start, span.end) == (start, end)


@pytest.mark.parametrize(
    "text,message",
    [
        ("2026-13", "月份须在 01 到 12 之间。"),
        ("2026-00", "月份须在 01 到 12 之间。"),
        ("2026-Q5", "期间格式应为 2026、2026-Q3 或 2026-07。"),
        ("2026-7", "期间格式应为 2026、2026-Q3 或 2026-07。"),
        ("26", "期间格式应为 2026、2026-Q3 或 2026-07。"),
        ("", "期间格式应为 2026、2026-Q3 或 2026-07。"),
        ("二〇二六", "期间格式应为 2026、2026-Q3 或 2026-07。"),
        ("1999", "年份须在 2000 到 2100 之间。"),
    ],
)
def test_it_refuses_a_bad_period(text: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_period(text)
    assert caught.value.fields == {"period": [message]}


# --- which kinds ---------------------------------------------------------------------------------


def test_each_org_holds_exactly_its_kinds(life: Any, people: Any, cast: Any) -> None:
    result = compliance_for(cast.community_secretary, 2026, date(2026, 5, 20))
    kinds = {o.org.name: [r.kind.code for r in o.rows] for o in result.orgs}
    assert kinds == {
        "东一社区A网格党支部": [  # secretary only: no committee meeting
            "general_meeting",
            "party_lecture",
            "theme_day",
            "org_life_review",
            "member_appraisal",
            "heart_to_heart",
        ],
        "东一1号楼党小组": ["group_meeting"],
        "东一社区B网格党支部": [
            "general_meeting",
            "committee_meeting",
            "party_lecture",
            "theme_day",
            "org_life_review",
            "member_appraisal",
            "heart_to_heart",
        ],
        "东一2号楼党小组": ["group_meeting"],
    }
    # The same answer as life_rules.holds, organisation by organisation.
    for item in result.orgs:
        expected = [k.code for k in result.kinds if holds(k, item.org)]
        assert [r.kind.code for r in item.rows] == expected
    # The committee (东一社区党委) holds nothing itself and is not listed.
    assert people.cc1.pk not in {o.org.pk for o in result.orgs}


def test_a_kind_not_required_is_left_out(life: Any, cast: Any) -> None:
    MeetingKind.objects.filter(code="party_lecture").update(required=False)
    result = compliance_for(cast.community_secretary, 2026, date(2026, 5, 20))
    assert "party_lecture" not in {r.kind.code for o in result.orgs for r in o.rows}


# --- a whole year --------------------------------------------------------------------------------


@pytest.fixture
def year_2025(life: Any, people: Any) -> Any:
    """东一社区B网格党支部's 2025, seen from 2026-01-20."""
    branch = life.branch
    PartyOrg.objects.filter(pk=branch.pk).update(theme_day=15)
    branch.refresh_from_db()
    # 支委会: January to October on time, November missing, December made up in January.
    for month in range(1, 11):
        meeting(branch, "committee_meeting", held=f"2025-{month:02d}-10 09:00")
    meeting(branch, "committee_meeting", held="2026-01-08 09:00", covers=date(2025, 12, 1))
    # Not counted: cancelled, planned only, recorded but not confirmed, another year.
    meeting(branch, "committee_meeting", held="2025-11-10 09:00", state=MeetingState.RECORDED)
    meeting(branch, "committee_meeting", planned="2025-11-20 09:00", state=MeetingState.CANCELLED)
    meeting(branch, "committee_meeting", held="2024-11-10 09:00")
    # 党员大会: Q1 and Q2 on time, Q3 made up in October, Q4 missing.
    meeting(branch, "general_meeting", held="2025-03-28 14:00")
    meeting(branch, "general_meeting", held="2025-06-30 23:30")  # the last evening counts
    meeting(branch, "general_meeting", held="2025-10-20 14:00", covers=date(2025, 7, 1))
    # 主题党日 (fixed on the 15th): January on the day, February on the 20th, then nothing.
    meeting(branch, "theme_day", held="2025-01-15 09:00")
    meeting(branch, "theme_day", held="2025-02-20 09:00")
    # 组织生活会 in December; no 党课 and no 民主评议 at all.
    meeting(branch, "org_life_review", held="2025-12-18 14:00")
    # 谈心谈话: the secretary with both committee members, two members with a committee member.
    sec, rec, third = life.secretary, life.recorder, life.third
    others = life.full[3:]
    meeting(branch, "heart_to_heart", held="2025-03-01 10:00", present=[sec, rec])
    meeting(branch, "heart_to_heart", held="2025-04-01 10:00", present=[sec, third])
    meeting(branch, "heart_to_heart", held="2025-05-01 10:00", present=[rec, others[0]])
    meeting(branch, "heart_to_heart", held="2025-06-01 10:00", present=[third, others[1]])
    # Two plain members talking together do not meet the rule.
    meeting(branch, "heart_to_heart", held="2025-06-02 10:00", present=[others[2], others[3]])
    # 党小组会: every month.
    for month in range(1, 13):
        meeting(life.group, "group_meeting", held=f"2025-{month:02d}-05 19:00")
    return life


def test_a_whole_year_with_missing_and_late_meetings(year_2025: Any, cast: Any) -> None:
    life = year_2025
    result = compliance_for(cast.community_secretary, 2025, date(2026, 1, 20))
    branch = result.of(life.branch)
    assert branch is not None

    committee = branch.row("committee_meeting")
    assert statuses(committee) == ["held"] * 10 + ["missing", "late"]
    assert (committee.done, committee.counted, committee.late, committee.missing) == (11, 12, 1, 1)
    december = committee.cells[11]
    assert (december.done, december.late, december.need) == (1, 1, 1)

    general = branch.row("general_meeting")
    assert statuses(general) == ["held", "held", "late", "missing"]

    assert statuses(branch.row("party_lecture")) == ["missing"] * 4
    assert statuses(branch.row("member_appraisal")) == ["missing"]
    assert statuses(branch.row("org_life_review")) == ["held"]

    theme = branch.row("theme_day")
    assert statuses(theme) == ["held", "held"] + ["missing"] * 10
    assert not theme.cells[0].off_day
    assert theme.cells[1].off_day
    assert theme.cells[1].note == "20 日召开，不在固定的 15 日，照常计入。"

    talks = branch.row("heart_to_heart")
    (year,) = talks.cells
    # 8 people besides the secretary: 2 committee members talked with the secretary, 2 of the
    # 6 others with a committee member.
    assert (year.status, year.done, year.need) == ("missing", 4, 8)
    assert year.note == "已谈 4/8 对。"

    group = result.of(life.group)
    assert group is not None
    assert statuses(group.row("group_meeting")) == ["held"] * 12
    assert not group.behind
    assert [r.kind.code for r in branch.behind] == [
        "general_meeting",
        "committee_meeting",
        "party_lecture",
        "theme_day",
        "member_appraisal",
        "heart_to_heart",
    ]


def test_the_year_rolls_up_per_community_and_street(year_2025: Any, cast: Any) -> None:
    result = compliance_for(cast.street_leader, 2025, date(2026, 1, 20))
    [community] = result.communities
    assert community.org is not None and community.org.name == "东一社区党委"
    assert community.branches == 2
    assert community.behind == 2  # branch A held nothing at all
    committee_kind = MeetingKind.objects.get(code="committee_meeting")
    totals = community.totals[committee_kind.pk]
    assert (totals.done, totals.counted, totals.late, totals.missing) == (11, 12, 1, 1)
    [street] = result.streets
    assert street.org is not None and street.org.name == "东街道党工委"
    assert street.branches == 2


def test_the_current_year_shows_what_is_due_and_planned(life: Any, cast: Any) -> None:
    branch = life.branch
    for month in range(1, 5):
        meeting(branch, "committee_meeting", held=f"2026-{month:02d}-12 09:00")
    meeting(branch, "general_meeting", held="2026-03-12 09:00")
    meeting(branch, "general_meeting", planned="2026-06-18 14:00", state=MeetingState.PLANNED)
    today = date(2026, 5, 20)
    result = compliance_for(cast.community_secretary, 2026, today)
    item = result.of(branch)
    assert item is not None
    committee = item.row("committee_meeting")
    assert statuses(committee) == ["held"] * 4 + ["due"] + ["upcoming"] * 7
    assert committee.cells[4].days_left == 11
    assert (committee.done, committee.counted) == (4, 4)
    general = item.row("general_meeting")
    assert statuses(general) == ["held", "planned", "upcoming", "upcoming"]
    assert general.cells[1].planned_on == date(2026, 6, 18)
    assert general.cells[1].days_left == 41
    # Behind on what nobody held in the first months: the lecture (Q1) and the theme days.
    assert [r.kind.code for r in item.behind] == ["party_lecture", "theme_day"]
    due = [(row.kind.code, cell.days_left) for row, cell in item.due]
    assert due[0] == ("committee_meeting", 11)
    assert ("general_meeting", 41) in due
    assert ("org_life_review", 225) in due


def test_branch_a_is_behind_since_january(people: Any, cast: Any) -> None:
    result = compliance_for(cast.community_secretary, 2026, date(2026, 5, 20))
    branch = result.of(people.branch_a)
    assert branch is not None
    theme = branch.row("theme_day")
    assert statuses(theme) == ["missing"] * 4 + ["due"] + ["upcoming"] * 7
    # No fixed day set: no note about it.
    assert theme.cells[4].note == ""
    assert (theme.done, theme.counted, theme.missing) == (0, 4, 4)


def test_a_meeting_held_twice_a_period_counts_when_the_kind_asks_for_two(
    life: Any, cast: Any
) -> None:
    MeetingKind.objects.filter(code="committee_meeting").update(times=2)
    meeting(life.branch, "committee_meeting", held="2026-01-05 09:00")
    meeting(life.branch, "committee_meeting", held="2026-01-25 09:00")
    meeting(life.branch, "committee_meeting", held="2026-02-05 09:00")
    result = compliance_for(cast.community_secretary, 2026, date(2026, 3, 2))
    committee = result.of(life.branch).row("committee_meeting")  # type: ignore[union-attr]
    assert statuses(committee)[:3] == ["held", "missing", "due"]
    assert (committee.cells[1].done, committee.cells[1].need) == (1, 2)


def test_only_the_current_version_of_a_talk_counts(life: Any, cast: Any) -> None:
    m = meeting(
        life.branch, "heart_to_heart", held="2026-02-01 10:00", present=[life.secretary, life.third]
    )
    # The correction (version 2) says the secretary talked with the recorder instead.
    Meeting.objects.filter(pk=m.pk).update(version=2)
    record = MeetingRecord.objects.create(
        meeting=m,
        version=2,
        held_at=m.held_at,
        chair=life.secretary,
        recorder=life.recorder,
        created_by=life.chair_user,
        correction_reason="记错了谈话对象",
    )
    for member in (life.secretary, life.recorder):
        Attendance.objects.create(record=record, member=member, status=AttendanceStatus.PRESENT)
    result = compliance_for(cast.community_secretary, 2026, date(2026, 3, 1))
    (cell,) = result.of(life.branch).row("heart_to_heart").cells  # type: ignore[union-attr]
    assert (cell.done, cell.need, cell.status) == (1, 8, "due")


def test_talk_pairs_by_the_rule() -> None:
    org = PartyOrg(secretary_id=1)
    committee = {1, 2, 3}
    members = {1, 2, 3, 4, 5}

    def met(*pairs: tuple[int, int]) -> set[frozenset[int]]:
        return {frozenset(p) for p in pairs}

    assert talk_pairs(org, committee, members, set()) == (0, 4)
    # Committee member 2 with member 4 does not replace the secretary's talk with 2.
    assert talk_pairs(org, committee, members, met((2, 4))) == (1, 4)
    assert talk_pairs(org, committee, members, met((1, 2), (1, 3), (2, 4), (3, 5))) == (4, 4)
    # Without a committee, every member talks with the secretary.
    assert talk_pairs(org, set(), {1, 4, 5}, met((1, 4))) == (1, 2)


def test_a_talk_made_up_next_year_is_late(life: Any, cast: Any) -> None:
    present = [life.secretary, life.recorder]
    meeting(
        life.branch,
        "heart_to_heart",
        held="2026-01-10 10:00",
        covers=date(2025, 1, 1),
        present=present,
    )
    result = compliance_for(cast.community_secretary, 2025, date(2026, 2, 1))
    (cell,) = result.of(life.branch).row("heart_to_heart").cells  # type: ignore[union-attr]
    assert (cell.done, cell.late, cell.status) == (1, 1, "missing")  # still 1 of 8


# --- scope ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who,names",
    [
        ("community_secretary", {"东一社区A网格党支部", "东一1号楼党小组", "东一社区B网格党支部"}),
        ("street_leader", {"东一社区A网格党支部", "东一1号楼党小组", "东一社区B网格党支部"}),
        ("outsider", {"西一社区网格党支部"}),
        ("grid_worker_a", {"东一社区A网格党支部", "东一1号楼党小组"}),
        ("department_officer", set()),
        ("resident", set()),
        ("system_admin", set()),
    ],
)
def test_it_is_scoped(people: Any, cast: Any, who: str, names: set[str]) -> None:
    result = compliance_for(getattr(cast, who), 2026, date(2026, 5, 20))
    assert {o.org.name for o in result.orgs} == names


def test_a_member_sees_their_own_branch_and_group(
    life: Any, people: Any, make_member_user: Any
) -> None:
    user = make_member_user(people.m_wang)
    result = compliance_for(user, 2026, date(2026, 5, 20))
    assert {o.org.name for o in result.orgs} == {"东一社区A网格党支部", "东一1号楼党小组"}


@pytest.fixture
def make_member_user() -> Any:
    """A resident account for a member who is a resident (their phone login)."""
    from grassroots.accounts.models import Role
    from grassroots.territory.models import Resident
    from tests.conftest import make_user

    def make(member: PartyMember) -> Any:
        user = make_user(Role.RESIDENT, "", mobile=f"1360000{member.pk:04d}")
        Resident.objects.filter(pk=member.resident_id).update(user=user)
        return user

    return make


# --- bounded queries -----------------------------------------------------------------------------


def grow(people: Any, life: Any, n: int) -> None:
    """n more branches (each with a committee and a group) and their meetings in community C1."""
    for i in range(n):
        branch = party_org_create(
            actor=None, parent=people.cc1, kind=OrgKind.BRANCH, name=f"东一第{i}支部"
        )
        group = party_org_create(actor=None, parent=branch, kind=OrgKind.GROUP, name=f"第{i}小组")
        branch.committee.add(life.third)
        for month in range(1, 5):
            meeting(branch, "committee_meeting", held=f"2026-{month:02d}-09 09:00")
            meeting(group, "group_meeting", held=f"2026-{month:02d}-09 19:00")
        meeting(branch, "general_meeting", planned="2026-06-01 09:00", state=MeetingState.PLANNED)
        meeting(
            life.branch,
            "heart_to_heart",
            held=f"2026-02-{i + 1:02d} 10:00",
            present=[life.secretary, life.full[3 + i % 5]],
        )


def queries_for(user: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        result = compliance_for(user, 2026, date(2026, 5, 20))
    assert result.orgs
    return len(ctx.captured_queries)


def test_the_queries_do_not_grow_with_branches_and_meetings(
    life: Any, people: Any, cast: Any
) -> None:
    user = cast.street_leader
    grow(people, life, 2)
    queries_for(user)  # the user's scope is read once, then kept on the user
    small = queries_for(user)
    grow(people, life, 6)
    assert queries_for(user) == small
    assert small <= 12


# --- reminders -----------------------------------------------------------------------------------


def reminders() -> list[tuple[str, str]]:
    return sorted(
        (n.recipient.username, n.title)
        for n in Notice.objects.filter(kind="party.compliance_reminder").select_related("recipient")
    )


def test_the_sweep_reminds_once_before_a_period_ends(life: Any, people: Any, cast: Any) -> None:
    # 2026-05-25: May ends in 6 days; the monthly kinds remind 7 days ahead, the quarterly
    # 15 and the yearly 30 or 45, so only the monthly kinds are due for a reminder today.
    today = date(2026, 5, 25)
    meeting(life.branch, "committee_meeting", held="2026-05-12 09:00")  # held: no reminder
    meeting(life.group, "group_meeting", planned="2026-05-28 19:00", state=MeetingState.PLANNED)
    assert remind_compliance(today) == 5
    kinds = sorted(
        (r.org.name, r.kind.code, r.period_start)
        for r in ReminderSent.objects.select_related("org", "kind")
    )
    may = date(2026, 5, 1)
    assert kinds == [
        ("东一1号楼党小组", "group_meeting", may),
        ("东一2号楼党小组", "group_meeting", may),
        ("东一社区A网格党支部", "theme_day", may),
        ("东一社区B网格党支部", "theme_day", may),
        ("西一社区网格党支部", "theme_day", may),
    ]
    got = reminders()
    # Branch B's secretary (grid_b) for the branch and for its group without a head; the
    # community's secretary and staff for all four of C1; nobody above 西一 has an account.
    assert got == sorted(
        [
            ("grid_b", "【组织生活提醒】东一2号楼党小组党小组会"),
            ("grid_b", "【组织生活提醒】东一社区B网格党支部主题党日"),
            *(
                (name, f"【组织生活提醒】{org}")
                for name in ("c1_secretary", "c1_staff")
                for org in (
                    "东一1号楼党小组党小组会",
                    "东一2号楼党小组党小组会",
                    "东一社区A网格党支部主题党日",
                    "东一社区B网格党支部主题党日",
                )
            ),
        ]
    )
    notice = Notice.objects.filter(recipient=cast.grid_worker_b, title__contains="党小组会").get()
    assert notice.url == reverse("party:branch_home", args=[life.group.pk])
    assert "已计划在 2026-05-28 召开" in notice.body
    assert "还有 6 天" in notice.body
    assert AuditEntry.objects.filter(action="party.compliance_reminder").count() == 5

    # Twice: nothing more.
    assert remind_compliance(today) == 0
    assert remind_compliance(date(2026, 5, 31)) == 0
    assert reminders() == got
    assert AuditEntry.objects.filter(action="party.compliance_reminder").count() == 5


def test_the_sweep_waits_until_the_reminder_window(life: Any) -> None:
    assert remind_compliance(date(2026, 5, 23)) == 0  # 8 days left: not yet
    assert not ReminderSent.objects.exists()
    # Quarterly kinds: 15 days before the end of June.
    assert remind_compliance(date(2026, 6, 15)) > 0
    codes = set(ReminderSent.objects.values_list("kind__code", flat=True))
    assert codes == {"general_meeting", "party_lecture"}  # June has 15 days left


def test_two_sweeps_at_once_send_once(life: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers computed the same reminders; the second finds each row inserted and sends
    nothing (the unique row, not the pre-check, decides)."""
    original = cc._send_reminders

    def twice(owed: Any, today: date) -> int:
        return original(owed, today) + original(owed, today)

    monkeypatch.setattr(cc, "_send_reminders", twice)
    sent = remind_compliance(date(2026, 5, 25))
    assert sent == 6  # also branch B's committee meeting, not held here
    assert Notice.objects.filter(kind="party.compliance_reminder").count() == len(reminders())
    titles = [t for _u, t in reminders()]
    assert titles.count("【组织生活提醒】东一社区B网格党支部主题党日") == 3  # grid_b, c1 ×2


def test_talks_remind_with_pairs(life: Any) -> None:
    meeting(
        life.branch,
        "heart_to_heart",
        held="2026-03-01 10:00",
        present=[life.secretary, life.recorder],
    )
    remind_compliance(date(2026, 12, 5))
    notice = Notice.objects.filter(recipient=life.chair_user, title__contains="谈心谈话").get()
    assert "已完成 1/8 对" in notice.body


def test_the_periodic_task_runs_the_sweep(life: Any) -> None:
    import time_machine

    from grassroots.party.tasks import compliance_reminders

    with time_machine.travel("2026-05-25 08:10 +0800", tick=False):
        assert compliance_reminders.call_local() == 6


def test_held_status_labels() -> None:
    assert Status.HELD.label == "按时召开"
    assert Status.MISSING.label == "未召开"
