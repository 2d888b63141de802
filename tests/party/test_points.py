"""The points ledger (党员积分): entries come from facts only — a locked meeting record's
attendance, a ticket a member resolved and that closed — or from a manual adjustment with a
reason; the ledger is append-only, so a correction appends the difference."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections
from django.utils import timezone

from grassroots.accounts.models import Role
from grassroots.core.errors import Forbidden, ValidationFailed
from grassroots.core.models import AuditEntry
from grassroots.notices.models import Notice
from grassroots.party.models import (
    Attendance,
    Meeting,
    MeetingRecord,
    MeetingState,
    PartyMember,
    PointEntry,
    PointRule,
)
from grassroots.party.models.points import AppendOnly
from grassroots.party.services.points import (
    credit_closed_tickets,
    entry_source,
    ledger,
    points_adjust,
    points_for_record,
    points_for_records,
    points_summary,
    points_total,
)
from grassroots.party.tasks import credit_ticket_points
from grassroots.tickets import services as ts
from grassroots.tickets.models import EventKind, Ticket, TicketEvent, TicketState
from tests.conftest import flushable_audit_log, make_user
from tests.tickets.conftest import ORDINARY, catalogue  # noqa: F401 - the seeded catalogue

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module", autouse=True)
def _audit_log_survives_flush() -> Iterator[None]:
    """The concurrency test below is transactional: see tests.conftest.flushable_audit_log."""
    with flushable_audit_log():
        yield


HELD = datetime(2026, 11, 10, 9, 30, tzinfo=SHANGHAI)


# --- making facts with the ORM (independent of the meeting services) ---------------------------


def make_meeting(life: Any, kind: str = "committee_meeting", when: datetime = HELD) -> Meeting:
    return Meeting.objects.create(
        org=life.branch,
        kind=life.kinds[kind],
        title=f"{when.year}年{when.month}月{life.kinds[kind].name}",
        planned_at=when,
        held_at=when,
        state=MeetingState.CONFIRMED,
        version=1,
        area_path=life.branch.area_path,
        street=life.branch.street,
    )


def lock(
    life: Any,
    meeting: Meeting,
    statuses: dict[PartyMember, str],
    *,
    version: int = 1,
    locked: bool = True,
) -> MeetingRecord:
    """A record version of `meeting` with its attendance, locked as meeting_confirm would."""
    record = MeetingRecord.objects.create(
        meeting=meeting,
        version=version,
        held_at=meeting.held_at or meeting.planned_at,
        chair=life.secretary,
        recorder=life.recorder,
        created_by=life.chair_user,
        correction_reason="记错了出席情况" if version > 1 else "",
        locked_at=timezone.now() if locked else None,
    )
    Attendance.objects.bulk_create(
        Attendance(record=record, member=member, status=status, reason="出差")
        for member, status in statuses.items()
    )
    return record


def ledger_of(member: PartyMember) -> list[tuple[int, str | None, str]]:
    return [
        (e.points, e.rule.code if e.rule else None, e.reason)
        for e in PointEntry.objects.filter(member=member).order_by("id")
    ]


def rows() -> list[tuple[Any, ...]]:
    """Every entry exactly as stored (to show that nothing already there ever changes)."""
    return list(
        PointEntry.objects.order_by("id").values_list(
            "id", "member_id", "points", "rule_id", "reason", "meeting_id", "record_id"
        )
    )


def resolved_ticket(cast: Any, city: Any, handler: Any = None, to: Any = None) -> Ticket:
    """A ticket dispatched to grid B and resolved by its grid worker (a member), as the cast
    would do it through the ticket services; not reviewed yet."""
    ticket, _created = ts.ticket_submit(
        actor=cast.resident,
        category=ORDINARY,
        description="楼下垃圾桶满了，三天没人清运。",
        address="东一2号楼下",
        building=city.building_a1,
    )
    ts.ticket_dispatch(actor=cast.street_dispatcher, ticket=ticket, to=to or city.grid_b)
    handler = handler or cast.grid_worker_b
    ts.ticket_accept(actor=handler, ticket=ticket)
    ts.ticket_respond(actor=handler, ticket=ticket, method="phone", note="已电话联系")
    ts.ticket_resolve(actor=handler, ticket=ticket, result="已清运。")
    ticket.refresh_from_db()
    return ticket


def review(cast: Any, ticket: Ticket, *, solved: bool = True) -> Ticket:
    ts.ticket_review(
        actor=cast.resident,
        ticket=ticket,
        contacted=True,
        solved=solved,
        satisfaction="satisfied" if solved else "unsatisfied",
    )
    ticket.refresh_from_db()
    return ticket


def closed_ticket(cast: Any, city: Any, **kw: Any) -> Ticket:
    ticket = review(cast, resolved_ticket(cast, city, **kw))
    assert ticket.state == TicketState.CLOSED
    return ticket


# --- meetings ----------------------------------------------------------------------------------


def test_it_credits_a_locked_record_from_its_attendance(life: Any) -> None:
    meeting = make_meeting(life)
    record = lock(
        life,
        meeting,
        {life.secretary: "present", life.recorder: "absent", life.third: "excused"},
    )

    assert points_for_record(record) == 2

    assert ledger_of(life.secretary) == [(2, "meeting_present", "出席 支委会（2026年11月）")]
    assert ledger_of(life.recorder) == [(-2, "meeting_absent", "无故缺席 支委会（2026年11月）")]
    assert ledger_of(life.third) == []  # excused (请假): nothing either way
    entry = PointEntry.objects.get(member=life.secretary)
    assert (entry.meeting, entry.record, entry.ticket, entry.actor) == (meeting, record, None, None)
    assert entry.street_id == life.secretary.street_id == life.branch.street_id


def test_it_is_idempotent(life: Any) -> None:
    record = lock(life, make_meeting(life), {life.secretary: "present", life.recorder: "absent"})
    assert points_for_record(record) == 2
    before = rows()

    assert points_for_record(record) == 0
    assert points_for_record(MeetingRecord.objects.get(pk=record.pk)) == 0
    assert rows() == before


def test_a_correction_appends_the_reversal_and_the_new_entry(life: Any) -> None:
    meeting = make_meeting(life)
    first = lock(life, meeting, {life.secretary: "present", life.recorder: "absent"})
    points_for_record(first)
    before = rows()

    # Version 2: the secretary was in fact absent; the recorder had asked for leave.
    second = lock(life, meeting, {life.secretary: "absent", life.recorder: "excused"}, version=2)
    assert points_for_record(second) == 3

    assert rows()[: len(before)] == before  # nothing already there changed
    assert ledger_of(life.secretary) == [
        (2, "meeting_present", "出席 支委会（2026年11月）"),
        (-2, "meeting_present", "更正：撤销“出席 支委会（2026年11月）”"),
        (-2, "meeting_absent", "更正：无故缺席 支委会（2026年11月）"),
    ]
    assert ledger_of(life.recorder) == [
        (-2, "meeting_absent", "无故缺席 支委会（2026年11月）"),
        (2, "meeting_absent", "更正：撤销“无故缺席 支委会（2026年11月）”"),
    ]
    assert points_total(life.secretary) == -2
    assert points_total(life.recorder) == 0
    assert set(PointEntry.objects.filter(record=second).values_list("meeting", flat=True)) == {
        meeting.pk
    }
    # Idempotent for the new version too; the old version, replaced, is left alone.
    assert points_for_record(second) == 0
    assert points_for_record(first) == 0


def test_a_member_dropped_by_a_correction_is_reversed(life: Any) -> None:
    meeting = make_meeting(life)
    points_for_record(lock(life, meeting, {life.secretary: "present", life.third: "present"}))
    points_for_record(lock(life, meeting, {life.secretary: "present"}, version=2))
    assert points_total(life.secretary) == 2
    assert ledger_of(life.secretary) == [(2, "meeting_present", "出席 支委会（2026年11月）")]
    assert points_total(life.third) == 0


def test_an_inactive_rule_gives_nothing(life: Any) -> None:
    PointRule.objects.filter(code="meeting_present").update(active=False)
    record = lock(life, make_meeting(life), {life.secretary: "present", life.recorder: "absent"})
    assert points_for_record(record) == 1
    assert ledger_of(life.secretary) == []
    assert ledger_of(life.recorder) == [(-2, "meeting_absent", "无故缺席 支委会（2026年11月）")]


def test_a_fact_keeps_what_it_earned_when_its_rule_changes_later(life: Any) -> None:
    meeting = make_meeting(life)
    points_for_record(lock(life, meeting, {life.secretary: "present", life.recorder: "present"}))
    PointRule.objects.filter(code="meeting_present").update(points=5)
    PointRule.objects.filter(code="meeting_absent").update(active=False)
    # A correction that changes only the recorder: the secretary's +2 stands (no re-rating),
    # the recorder's is reversed, and the absence earns nothing under a rule switched off.
    second = lock(life, meeting, {life.secretary: "present", life.recorder: "absent"}, version=2)
    assert points_for_record(second) == 1
    assert points_total(life.secretary) == 2
    assert ledger_of(life.recorder)[-1] == (
        -2,
        "meeting_present",
        "更正：撤销“出席 支委会（2026年11月）”",
    )
    assert points_total(life.recorder) == 0


@pytest.mark.parametrize("kind", ["heart_to_heart", "not_required"])
def test_talks_and_kinds_off_the_calendar_give_nothing(life: Any, kind: str) -> None:
    if kind == "not_required":
        life.kinds["party_lecture"].required = False
        life.kinds["party_lecture"].save()
        kind = "party_lecture"
    record = lock(life, make_meeting(life, kind), {life.secretary: "present"})
    assert points_for_record(record) == 0
    assert not PointEntry.objects.exists()


def test_an_unlocked_record_gives_nothing(life: Any) -> None:
    record = lock(life, make_meeting(life), {life.secretary: "present"}, locked=False)
    assert points_for_record(record) == 0
    assert not PointEntry.objects.exists()


def test_every_required_kind_counts(life: Any) -> None:
    for i, code in enumerate(["general_meeting", "group_meeting", "theme_day", "party_lecture"]):
        when = HELD + timedelta(days=i)
        points_for_record(lock(life, make_meeting(life, code, when), {life.secretary: "present"}))
    assert points_total(life.secretary) == 8


def test_the_query_count_does_not_grow_with_attendance(
    life: Any, django_assert_max_num_queries: Any
) -> None:
    small = lock(life, make_meeting(life), {life.secretary: "present"})
    big = lock(
        life,
        make_meeting(life, "general_meeting"),
        {m: "present" if i % 3 else "absent" for i, m in enumerate(life.members)},
    )
    # savepoint, meeting (locked), kind, newer versions, rules, attendance, held, streets,
    # insert, release
    with django_assert_max_num_queries(10):
        assert points_for_record(small) == 1
    with django_assert_max_num_queries(10):
        assert points_for_record(big) == 9


def test_many_records_at_once_give_what_one_at_a_time_gives(
    life: Any, django_assert_max_num_queries: Any
) -> None:
    """The demo's year of history goes through `points_for_records`: the same entries as one
    record at a time, in a fixed number of queries, and a replaced or repeated record is not
    counted twice."""
    months = [HELD - timedelta(days=31 * i) for i in range(6)]
    records = [
        lock(life, make_meeting(life, when=when), {life.secretary: "present", life.third: "absent"})
        for when in months
    ]
    corrected = make_meeting(life, "general_meeting")
    old = lock(life, corrected, {life.secretary: "present"})
    new = lock(life, corrected, {life.secretary: "absent"}, version=2)
    unlocked = lock(life, make_meeting(life, when=HELD - timedelta(days=400)), {}, locked=False)

    with django_assert_max_num_queries(10):
        appended = points_for_records([*records, records[0], old, new, unlocked])

    assert appended == 6 * 2 + 1  # six meetings for two members; the correction's fact only
    assert points_total(life.secretary) == 6 * 2 - 2
    assert points_total(life.third) == 6 * -2
    assert all(points_for_record(r) == 0 for r in [*records, old, new])


@pytest.mark.django_db(transaction=True)
def test_two_confirmations_at_once_append_once(life: Any) -> None:
    """Two connections bring the ledger in line for the same record at the same moment: the
    meeting row's lock makes the second wait and then find nothing to append (PostgreSQL)."""
    if connection.vendor != "postgresql":
        pytest.skip("true concurrency needs PostgreSQL (SQLite serialises every writer)")
    record = lock(life, make_meeting(life), {m: "present" for m in life.members})
    barrier = threading.Barrier(2)
    appended: list[int] = []

    def attempt() -> None:
        try:
            copy = MeetingRecord.objects.get(pk=record.pk)
            barrier.wait(timeout=10)
            appended.append(points_for_record(copy))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(appended) == [0, 9]
    assert PointEntry.objects.count() == 9


# --- append-only -------------------------------------------------------------------------------


def test_entries_are_never_changed_or_deleted(life: Any) -> None:
    points_for_record(lock(life, make_meeting(life), {life.secretary: "present"}))
    entry = PointEntry.objects.get()
    entry.points = 50
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    assert PointEntry.objects.get().points == 2


# --- tickets -----------------------------------------------------------------------------------


def test_a_closed_ticket_is_credited_once_to_the_member_who_resolved_it(
    life: Any, cast: Any, city: Any
) -> None:
    ticket = closed_ticket(cast, city)

    assert credit_closed_tickets() == 1
    entry = PointEntry.objects.get()
    assert (entry.member, entry.points, entry.rule.code if entry.rule else None) == (
        life.secretary,
        3,
        "ticket_resolved",
    )
    assert (entry.ticket, entry.meeting, entry.actor) == (ticket, None, None)
    assert entry.reason == f"办结工单 {ticket.number}"
    assert entry.street_id == life.secretary.street_id

    assert credit_closed_tickets() == 0  # idempotent
    assert credit_ticket_points() == 0  # the hourly sweep looks at the last week
    assert PointEntry.objects.count() == 1


def test_only_closed_tickets_count(life: Any, cast: Any, city: Any) -> None:
    resolved = resolved_ticket(cast, city)  # resolved, not reviewed yet
    reopened = review(cast, resolved_ticket(cast, city), solved=False)  # back to the handler
    assert reopened.state == TicketState.DISPATCHED
    # A rejected ticket, even with a (made-up) 办结 by the member on its timeline.
    rejected, _created = ts.ticket_submit(
        actor=cast.resident,
        category=ORDINARY,
        description="这不是本平台受理的事项，请走司法途径。",
        address="东一2号楼",
        building=city.building_a1,
    )
    ts.ticket_reject(actor=cast.street_dispatcher, ticket=rejected, reason="属于司法途径")
    TicketEvent.objects.create(
        ticket=rejected, street=rejected.street, kind=EventKind.RESOLVED, actor=life.chair_user
    )
    assert credit_closed_tickets() == 0
    assert resolved.state == TicketState.RESOLVED
    assert not PointEntry.objects.exists()


def test_a_ticket_resolved_by_a_non_member_gives_nothing(life: Any, cast: Any, city: Any) -> None:
    closed_ticket(cast, city, handler=cast.community_staff, to=city.c1)
    assert credit_closed_tickets() == 0
    assert not PointEntry.objects.exists()


def test_a_reopened_ticket_keeps_its_points_and_a_second_close_credits_nothing(
    life: Any, cast: Any, city: Any
) -> None:
    ticket = closed_ticket(cast, city)
    assert credit_ticket_points() == 1
    ts.ticket_reopen(actor=cast.resident, ticket=ticket, reason="垃圾又堆满了")
    ticket.refresh_from_db()
    assert ticket.state == TicketState.DISPATCHED
    assert credit_ticket_points() == 0
    assert points_total(life.secretary) == 3  # not taken back automatically

    handler = cast.grid_worker_b
    ts.ticket_accept(actor=handler, ticket=ticket)
    ts.ticket_respond(actor=handler, ticket=ticket, method="phone", note="再次联系")
    ts.ticket_resolve(actor=handler, ticket=ticket, result="再次清运。")
    review(cast, Ticket.objects.get(pk=ticket.pk))
    assert credit_ticket_points() == 0
    assert points_total(life.secretary) == 3


def test_the_sweep_looks_back_a_week_and_a_full_run_catches_up(
    life: Any, cast: Any, city: Any
) -> None:
    import time_machine

    with time_machine.travel(timezone.now() - timedelta(days=10)):
        closed_ticket(cast, city)
    assert credit_ticket_points() == 0  # closed ten days ago
    assert credit_closed_tickets(since=None) == 1


def test_an_inactive_ticket_rule_gives_nothing(life: Any, cast: Any, city: Any) -> None:
    PointRule.objects.filter(code="ticket_resolved").update(active=False)
    closed_ticket(cast, city)
    assert credit_closed_tickets() == 0


def test_the_ticket_sweep_works_in_bounded_batches(
    life: Any, cast: Any, city: Any, django_assert_max_num_queries: Any
) -> None:
    # The rule, then per batch: candidates, savepoint, members (locked), ledger again,
    # insert, release; and the query that finds no more.
    first = closed_ticket(cast, city)
    with django_assert_max_num_queries(1 + 6):
        assert credit_closed_tickets() == 1
    tickets = [closed_ticket(cast, city) for _ in range(5)]
    with django_assert_max_num_queries(1 + 6):
        assert credit_closed_tickets() == 5
    more = [closed_ticket(cast, city) for _ in range(5)]
    with django_assert_max_num_queries(1 + 3 * 6):  # batches of 2: 2 + 2 + 1
        assert credit_closed_tickets(batch=2) == 5
    credited = {t.pk for t in [first, *tickets, *more]}
    assert set(PointEntry.objects.values_list("ticket_id", flat=True)) == credited
    with django_assert_max_num_queries(2):
        assert credit_closed_tickets(batch=2) == 0


# --- manual adjustments ------------------------------------------------------------------------


def test_an_adjustment_is_appended_told_and_audited(life: Any, cast: Any) -> None:
    entry = points_adjust(
        actor=life.chair_user, member=life.recorder, points=5, reason="组织志愿服务表现突出"
    )
    assert (entry.member, entry.points, entry.rule, entry.actor) == (
        life.recorder,
        5,
        None,
        life.chair_user,
    )
    assert entry.reason == "组织志愿服务表现突出"
    assert entry.street_id == life.recorder.street_id
    audit = AuditEntry.objects.get(action="party.points_adjust")
    assert audit.actor == life.chair_user
    assert json.loads(audit.data) == {"member": life.recorder.pk, "points": 5}
    assert audit.object_id == str(entry.pk)
    notice = Notice.objects.get(recipient=life.recorder_user)
    assert notice.url == "/workbench/party/points/mine/"
    assert "+5" in notice.body
    source = entry_source(ledger(life.recorder).get())
    assert (source.kind, source.url) == ("adjustment", "")
    assert source.label == "人工调整：组织志愿服务表现突出（grid_b）"


def test_party_staff_of_the_territory_may_adjust(life: Any, cast: Any) -> None:
    points_adjust(actor=cast.community_secretary, member=life.third, points=-3, reason="扣分")
    points_adjust(actor=cast.street_leader, member=life.third, points=1, reason="加分")
    assert points_total(life.third) == -2


@pytest.mark.parametrize(
    "points,reason,errors",
    [
        (0, "有原因", {"points": ["调整分值不能为 0。"]}),
        (51, "有原因", {"points": ["每次调整不能超过 ±50 分。"]}),
        (-51, "有原因", {"points": ["每次调整不能超过 ±50 分。"]}),
        ("5", "有原因", {"points": ["请填写整数分值。"]}),
        (True, "有原因", {"points": ["请填写整数分值。"]}),
        (5, "   ", {"reason": ["请填写调整原因。"]}),
        (5, "长" * 201, {"reason": ["调整原因不能超过 200 个字。"]}),
        (0, "", {"points": ["调整分值不能为 0。"], "reason": ["请填写调整原因。"]}),
    ],
)
def test_a_bad_adjustment_changes_nothing(
    life: Any, points: Any, reason: str, errors: dict[str, list[str]]
) -> None:
    with pytest.raises(ValidationFailed) as failed:
        points_adjust(actor=life.chair_user, member=life.recorder, points=points, reason=reason)
    assert failed.value.fields == errors
    assert not PointEntry.objects.exists()
    assert not AuditEntry.objects.filter(action="party.points_adjust").exists()
    assert not Notice.objects.filter(kind="party.points_adjust").exists()


def test_the_boundaries_are_allowed(life: Any) -> None:
    points_adjust(actor=life.chair_user, member=life.recorder, points=50, reason="上限")
    points_adjust(actor=life.chair_user, member=life.recorder, points=-50, reason="下限")
    assert points_total(life.recorder) == 0
    assert PointEntry.objects.count() == 2


def test_who_may_not_adjust(life: Any, cast: Any, city: Any, people: Any) -> None:
    grid_b2 = make_user(Role.GRID_WORKER, "grid_b2", areas=[city.grid_b])  # sees, does not run
    for actor, member in [
        (life.chair_user, life.secretary),  # one's own points
        (grid_b2, life.third),
        (cast.grid_worker_a, life.third),
        (cast.outsider, life.third),
        (cast.resident, life.third),
        (life.recorder_user, people.m_wang),  # committee of another branch
    ]:
        with pytest.raises(Forbidden):
            points_adjust(actor=actor, member=member, points=1, reason="试试")
    assert not PointEntry.objects.exists()


# --- reads -------------------------------------------------------------------------------------


def test_the_summary_totals_by_rule_and_year(life: Any, cast: Any, city: Any) -> None:
    import time_machine

    with time_machine.travel(datetime(2025, 12, 1, 10, tzinfo=SHANGHAI)):
        points_adjust(actor=life.recorder_user, member=life.secretary, points=4, reason="去年")
    with time_machine.travel(datetime(2026, 11, 20, 10, tzinfo=SHANGHAI)):
        points_for_record(lock(life, make_meeting(life), {life.secretary: "present"}))
        summary = points_summary(life.secretary)
    assert (summary.total, summary.this_year) == (6, 2)
    assert [(r.code, r.name, r.points) for r in summary.by_rule] == [
        ("meeting_present", "参加组织生活", 2),
        (None, "人工调整", 4),
    ]
    assert points_total(life.secretary) == 6
    assert points_total(life.third) == 0


def test_sources_name_the_meeting_and_the_ticket(life: Any, cast: Any, city: Any) -> None:
    meeting = make_meeting(life)
    points_for_record(lock(life, meeting, {life.secretary: "present"}))
    ticket = closed_ticket(cast, city)
    credit_closed_tickets()
    by_kind = {}
    for entry in ledger(life.secretary):
        by_kind[entry.ticket_id is not None] = entry
    meeting_source = entry_source(by_kind[False])
    assert meeting_source.kind == "meeting"
    assert meeting_source.url == f"/workbench/party/meetings/{meeting.pk}/"
    assert meeting_source.label == "2026年11月支委会 · 支委会 · 2026-11-10"
    ticket_source = entry_source(by_kind[True])
    assert (ticket_source.kind, ticket_source.ticket) == ("ticket", ticket.number)
    assert ticket_source.url == f"/workbench/tickets/{ticket.number}/"
    assert entry_source(by_kind[True], phone=True).url == f"/m/queue/{ticket.number}/"
