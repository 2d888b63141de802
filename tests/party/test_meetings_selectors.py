"""Reads of organisational life: meetings as each user sees them, one meeting with its record
and versions (a fixed number of queries), the agenda candidates from governance work in the
branch's territory, and which meetings took a ticket or a whistle up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine

from grassroots.core.errors import NotFound, ValidationFailed
from grassroots.party.models import AgendaSource, MeetingState, OrgSetting
from grassroots.party.selectors_life import (
    agenda_candidates,
    find_followup,
    life_orgs_for,
    meeting_detail,
    meetings_for,
    record_version,
    taken_up_for_whistle,
)
from grassroots.party.services import meetings as s
from grassroots.party.services import party_org_create, points
from grassroots.tickets.models import Ticket
from tests.party.test_meetings_services import (
    NOW,
    confirm_both,
    item,
    motion,
    plan,
    record,
    roll,
    ticket_in,
    ticket_in_grid_b,
)
from tests.tickets.conftest import catalogue  # noqa: F401  (the seeded categories)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(points, "points_for_record", lambda record: None)
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


# --- meetings ----------------------------------------------------------------------------------


def test_meetings_for_filters_what_the_user_sees(life: Any, cast: Any) -> None:
    committee = plan(life, planned_at=NOW - timedelta(days=20))
    lecture = plan(life, "party_lecture", planned_at=NOW + timedelta(days=3))
    group = plan(life, "group_meeting", chair=None, recorder=None)
    s.meeting_cancel(actor=life.chair_user, meeting=lecture, reason="改期")
    user = cast.community_secretary

    def pks(**kw: Any) -> list[int]:
        return [m.pk for m in meetings_for(user, **kw)]

    assert pks() == [lecture.pk, group.pk, committee.pk]  # latest planned first
    assert pks(org=life.group) == [group.pk]
    assert pks(kind="committee_meeting") == [committee.pk]
    assert pks(kind=life.kinds["party_lecture"]) == [lecture.pk]
    assert pks(state=MeetingState.CANCELLED) == [lecture.pk]
    assert pks(since=date(2026, 11, 18)) == [lecture.pk, group.pk]
    assert pks(until=date(2026, 11, 18)) == [group.pk, committee.pk]
    assert pks(since=date(2026, 10, 29), until=date(2026, 10, 29)) == [committee.pk]
    assert list(meetings_for(cast.outsider)) == []
    assert list(meetings_for(cast.grid_worker_a)) == []  # grid A's worker, branch A's member


def test_a_member_without_territory_takes_part_in_their_branch_and_group(
    life: Any, cast: Any, people: Any
) -> None:
    # The recorder's account covers one building: the branch is not in it, but is theirs.
    orgs = set(life_orgs_for(life.recorder_user))
    assert {life.branch, life.group} <= orgs
    assert people.branch_a not in orgs
    assert {o.name for o in life_orgs_for(cast.outsider)} == {
        "西街道党工委",
        "西一社区党委",
        "西一社区网格党支部",
    }


def test_the_detail_holds_the_current_record_versions_and_tasks(
    life: Any, cast: Any, people: Any
) -> None:
    ticket = ticket_in_grid_b(cast, people)
    meeting = plan(life, agenda=[s.AgendaIn(title="", ticket=ticket)])
    agenda_item = meeting.agenda.get()
    record(life, meeting, items=[item(motion((3, 0, 0)), agenda_item=agenda_item)])
    confirm_both(life, meeting)
    record(
        life,
        meeting,
        correct="更正出席",
        attendance=roll(meeting, excused=[life.third]),
        items=[item(motion((2, 0, 0)), agenda_item=agenda_item)],
    )
    confirm_both(life, meeting)
    resolution = meeting.records.get(version=2).resolutions.get()
    task = s.followup_create(
        actor=life.chair_user,
        meeting=meeting,
        title="联系物业",
        owner=life.third,
        due_on=NOW.date() + timedelta(days=7),
        resolution=resolution,
    )
    found = meeting_detail(cast.community_secretary, meeting.pk)
    assert found.meeting == meeting
    assert [a.ticket for a in found.agenda] == [ticket]
    assert found.current is not None and found.current.version == 2
    assert [a.status for a in found.current.attendance.all()].count("excused") == 1
    assert [v.version for v in found.versions] == [1, 2]
    assert found.versions[0].locked_at is not None
    assert found.followups == [task]
    first = record_version(cast.community_secretary, meeting.pk, 1)
    assert (first.present, first.correction_reason) == (3, "")
    with pytest.raises(NotFound):
        record_version(cast.community_secretary, meeting.pk, 3)
    with pytest.raises(NotFound):
        record_version(cast.outsider, meeting.pk, 1)
    with pytest.raises(NotFound):
        meeting_detail(cast.outsider, meeting.pk)
    # The task's owner finds it; someone of another street does not.
    assert find_followup(cast.community_secretary, task.pk) == task
    with pytest.raises(NotFound):
        find_followup(cast.outsider, task.pk)
    with pytest.raises(NotFound):
        find_followup(cast.community_secretary, "x")


def test_the_detail_costs_the_same_whatever_its_size(
    life: Any, cast: Any, django_assert_max_num_queries: Any
) -> None:
    small = plan(life)
    record(life, small)
    big = plan(life, "general_meeting", agenda=[s.AgendaIn(title=f"议题{n}") for n in range(4)])
    record(
        life,
        big,
        attendance=roll(big, excused=life.full[6:]),
        items=[item(motion((5, 0, 0)), motion(), title=f"议题{n}") for n in range(4)],
    )
    confirm_both(life, big)
    for n in range(3):
        s.followup_create(
            actor=life.chair_user,
            meeting=big,
            title=f"任务{n}",
            owner=life.full[n],
            due_on=NOW.date(),
        )
    user = cast.community_secretary
    meeting_detail(user, small.pk)  # the user's scope, read once
    # meeting, agenda, versions, attendance, items, resolutions, follow-ups
    with django_assert_max_num_queries(7):
        meeting_detail(user, small.pk)
    with django_assert_max_num_queries(7):
        found = meeting_detail(user, big.pk)
    assert len(found.current.attendance.all()) == 9  # type: ignore[union-attr]


# --- agenda candidates -------------------------------------------------------------------------


def test_agenda_candidates_from_the_branch_territory(
    life: Any, cast: Any, people: Any, city: Any, clock: Any, django_assert_max_num_queries: Any
) -> None:
    from grassroots.whistles.services import whistle_blow

    # Four requests of one kind in building B1, two of another: one hotspot at 3.
    hot = [ticket_in_grid_b(cast, people) for _ in range(4)]
    for _ in range(2):
        ticket_in_grid_b(cast, people, category="0102")
    # Outside the territory, or too old, does not count.
    for _ in range(3):
        ticket_in(cast, city.building_a1)
    with time_machine.travel(NOW - timedelta(days=31), tick=False):
        old = [ticket_in_grid_b(cast, people, category="0102") for _ in range(2)]
    Ticket.objects.filter(pk=hot[0].pk).update(
        state="dispatched", resolve_by=NOW - timedelta(hours=1)
    )
    Ticket.objects.filter(pk=hot[1].pk).update(state="in_progress", reopen_count=1)
    Ticket.objects.filter(pk=old[0].pk).update(state="closed", reopen_count=2)
    whistle = whistle_blow(
        actor=cast.community_secretary,
        kind="routine",
        reason="beyond_street",
        description="2号楼下水管漏水。",
        address="东一2号楼",
        departments=[city.dept_s1.pk],
        ticket=hot[2],
    )
    with django_assert_max_num_queries(7):
        found = agenda_candidates(life.branch)
    assert [(h.category.code, h.area, h.count) for h in found.hotspots] == [
        ("0101", people.building_b1, 4)
    ]
    assert [t.pk for t in found.overdue] == [hot[0].pk]
    assert [t.pk for t in found.reopened] == [hot[1].pk]
    assert [w.pk for w in found.whistles] == [whistle.pk]
    assert not found.overdue[0].on_agenda
    # Two of a kind are not a hotspot; a lower bar makes them one.
    assert len(agenda_candidates(life.branch, min_count=2).hotspots) == 2
    # Taken up: marked as already on the agenda.
    plan(life, agenda=[s.AgendaIn(title="", ticket=hot[0])])
    assert agenda_candidates(life.branch).overdue[0].on_agenda
    # Flattened for a form: hotspots, then tickets, then whistles.
    picks = list(agenda_candidates(life.branch))
    assert [p.source for p in picks] == [
        AgendaSource.HOTSPOT,
        AgendaSource.TICKET,
        AgendaSource.TICKET,
        AgendaSource.WHISTLE,
    ]
    assert picks[0].title == "东一2号楼垃圾清运不及时诉求集中（4 件）"
    assert picks[1].on_agenda and picks[1].url.endswith(f"/{hot[0].number}/")
    assert set(picks[3].agenda) == {"whistle"}
    meeting = plan(
        life,
        actor=cast.community_secretary,
        agenda=[s.AgendaIn(title=p.title, **p.agenda) for p in picks],
    )
    assert meeting.agenda.count() == 4
    # The secretary's account (a grid worker) reads no whistles: none offered to them.
    mine = agenda_candidates(life.branch, user=life.chair_user)
    assert (len(mine.overdue), len(mine.whistles)) == (1, 0)
    # Another branch's territory holds none of these.
    elsewhere = agenda_candidates(people.branch_w)
    assert (elsewhere.hotspots, elsewhere.overdue, elsewhere.whistles) == ([], [], [])


def test_an_organisation_without_territory_has_no_candidates(
    life: Any, cast: Any, people: Any
) -> None:
    ticket_in_grid_b(cast, people)
    branch = party_org_create(
        actor=None,
        parent=people.cc1,
        kind="branch",
        name="产业链党支部",
        setting=OrgSetting.INDUSTRY_CHAIN,
    )
    branch.area_path = ""
    assert list(agenda_candidates(branch, min_count=1)) == []


def test_a_whistle_shows_the_meetings_that_took_it_up(
    life: Any, cast: Any, city: Any, people: Any
) -> None:
    from grassroots.whistles.services import whistle_blow

    on_ticket = whistle_blow(
        actor=cast.community_secretary,
        kind="routine",
        reason="beyond_street",
        description="2号楼下水管漏水。",
        address="东一2号楼",
        departments=[city.dept_s1.pk],
        ticket=ticket_in_grid_b(cast, people),
    )
    meeting = plan(
        life, actor=cast.community_secretary, agenda=[s.AgendaIn(title="", whistle=on_ticket)]
    )
    taken = taken_up_for_whistle(on_ticket)
    assert [(i.meeting, i.meeting.org, i.source) for i in taken.items] == [
        (meeting, life.branch, AgendaSource.WHISTLE)
    ]
    whistle = whistle_blow(
        actor=cast.community_secretary,
        kind="routine",
        reason="beyond_street",
        description="东一社区停车难。",
        address="东一社区",
        departments=[city.dept_s1.pk],
    )
    # A community's whistle without a ticket lies outside a grid branch's territory.
    with pytest.raises(ValidationFailed) as exc:
        plan(life, actor=cast.community_secretary, agenda=[s.AgendaIn(title="", whistle=whistle)])
    assert exc.value.fields == {"agenda": ["第 1 项议程：这次吹哨不在本组织的区域内。"]}
    assert not taken_up_for_whistle(whistle)
