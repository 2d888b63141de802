"""The periodic sweep of 吹哨报到: the reminder at half time, the escalation when the deadline
passes (event, no-show flag, who is told), idempotence, and ping-pong flags on tickets."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from grassroots.notices.models import Notice
from grassroots.tickets import services as t
from grassroots.tickets.models import Ticket
from grassroots.whistles import services as w
from grassroots.whistles import sweep as sweep_module
from grassroots.whistles.models import (
    Flag,
    FlagKind,
    FlagState,
    Summons,
    SummonsState,
    Whistle,
    WhistleEvent,
)
from grassroots.whistles.sweep import sweep_whistles
from grassroots.whistles.tasks import sweep_whistle_clocks

LOCAL = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 24, 10, 0, tzinfo=LOCAL)  # a Tuesday
pytestmark = pytest.mark.django_db

NOTHING = {"reminded": 0, "escalated": 0, "ping_pong": 0}


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def summons_of(whistle: Whistle, department: Any) -> Summons:
    return Summons.objects.select_related("whistle", "department").get(
        whistle=whistle, department=department
    )


def report(officer: Any, whistle: Whistle, department: Any, minutes: float) -> None:
    with time_machine.travel(at(minutes), tick=False):
        w.summons_report_in(
            actor=officer,
            summons=summons_of(whistle, department),
            mode="on_site",
            commitment="马上到",
        )


def state() -> dict[str, Any]:
    """Everything the sweep may write, to show that a second run writes nothing."""
    return {
        "events": list(WhistleEvent.objects.order_by("id").values_list("id", "kind")),
        "flags": list(Flag.objects.order_by("id").values_list("id", "kind", "summons_id")),
        "notices": Notice.objects.count(),
        "summonses": list(
            Summons.objects.order_by("id").values_list("id", "state", "reminded_at", "escalated_at")
        ),
    }


@pytest.fixture
def whistle(blow: Any, cast: Any, officer_s1: Any, department_head: Any) -> Whistle:
    """An emergency whistle of 东一社区 (its secretary blew it) at START: 区城管委 and
    东街道执法队 must report in by START + 30 minutes; the reminder is at + 15."""
    with time_machine.travel(START, tick=False):
        made = blow(actor=cast.community_secretary)
    Notice.objects.all().delete()  # the summons messages: not the sweep's
    return made  # type: ignore[no-any-return]


@pytest.fixture
def sweep(django_capture_on_commit_callbacks: Any) -> Any:
    """Runs the sweep at `now` as the worker would: its SMS go out after commit."""

    def run(now: datetime) -> dict[str, int]:
        with django_capture_on_commit_callbacks(execute=True):
            return sweep_whistles(now)

    return run


# --------------------------------------------------------------------------------------------
# reminders


def test_the_reminder_comes_at_half_time_once(
    whistle: Whistle, cast: Any, city: Any, officer_s1: Any, sweep: Any, sms_outbox: Any
) -> None:
    sent = sms_outbox
    assert sweep(at(14.9)) == NOTHING
    assert sweep(at(15)) == {**NOTHING, "reminded": 2}
    for summons in Summons.objects.filter(whistle=whistle):
        assert summons.reminded_at == at(15) and summons.escalated_at is None
        assert summons.state == SummonsState.SUMMONED
    events = whistle.events.filter(kind="reminded")
    assert events.count() == 2
    assert {e.summons.department for e in events} == {city.dept_district, city.dept_s1}
    assert all(
        e.actor is None and e.actor_label == "系统" and e.created_at == at(15) for e in events
    )
    reminded = Notice.objects.filter(title__contains="报到提醒")
    assert set(reminded.values_list("recipient__username", flat=True)) == {"officer", "s1_officer"}
    assert all(whistle.number in n.title for n in reminded)
    assert [m for m, _text in sent] == ["13900000021"]  # the officer with a mobile
    # A second run, and a third later on, remind nobody again.
    before = state()
    assert sweep(at(15)) == NOTHING
    assert sweep(at(20)) == NOTHING
    assert state() == before
    assert len(sent) == 1


def test_a_department_that_reported_early_is_not_reminded(
    whistle: Whistle, cast: Any, city: Any, officer_s1: Any
) -> None:
    report(officer_s1, whistle, city.dept_s1, minutes=5)
    assert sweep_whistles(at(15)) == {**NOTHING, "reminded": 1}
    assert summons_of(whistle, city.dept_s1).reminded_at is None
    assert not Notice.objects.filter(recipient=officer_s1, title__contains="报到提醒").exists()


def test_a_missed_reminder_is_not_sent_late(whistle: Whistle, city: Any) -> None:
    """The sweep did not run between half time and the deadline: past the deadline the
    summons is escalated, never reminded."""
    assert sweep_whistles(at(40)) == {**NOTHING, "escalated": 2}
    assert not Notice.objects.filter(title__contains="报到提醒").exists()
    assert not whistle.events.filter(kind="reminded").exists()
    assert all(s.reminded_at is None for s in Summons.objects.all())


def test_summonses_past_their_deadline_do_not_starve_new_reminders(
    blow: Any, cast: Any, city: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(sweep_module, "BATCH", 2)  # stands for 500 at city scale
    with time_machine.travel(START, tick=False):
        blow()  # two summonses nobody answers, and the sweep missed the half time
    assert sweep_whistles(at(40))["escalated"] == 2
    with time_machine.travel(at(40), tick=False):
        fresh = blow()
    assert sweep_whistles(at(55))["reminded"] == 2
    assert all(s.reminded_at == at(55) for s in Summons.objects.filter(whistle=fresh))


# --------------------------------------------------------------------------------------------
# escalation


def test_escalation_after_the_deadline(
    whistle: Whistle,
    cast: Any,
    city: Any,
    officer_s1: Any,
    department_head: Any,
    sweep: Any,
    sms_outbox: Any,
) -> None:
    sent = sms_outbox
    assert sweep(at(15))["reminded"] == 2
    report(officer_s1, whistle, city.dept_s1, minutes=25)  # 东街道执法队 comes in time
    Notice.objects.all().delete()
    sent.clear()
    assert sweep(at(30)) == NOTHING  # the deadline itself is still in time
    assert sweep(at(31)) == {**NOTHING, "escalated": 1}
    absent = summons_of(whistle, city.dept_district)
    assert absent.escalated_at == at(31) and absent.state == SummonsState.SUMMONED
    event = whistle.events.get(kind="escalated")
    assert event.summons == absent and event.created_at == at(31) and event.actor is None
    # The row is the summons' (it names the department); its note says which deadline passed.
    assert event.note == "报到时限 11-24 10:30 已过，仍未报到。"
    flag = Flag.objects.get()
    assert (flag.kind, flag.state, flag.summons, flag.department) == (
        FlagKind.NO_SHOW,
        FlagState.OPEN,
        absent,
        city.dept_district,
    )
    assert (flag.area_path, flag.street, flag.created_at) == (city.c1.path, city.s1, at(31))
    assert "区城管委" in flag.detail and "11-24 10:30" in flag.detail
    # The department's head, the street's leader and the whistler are told; the head by SMS.
    told = Notice.objects.filter(title__contains="超时未报到")
    assert set(told.values_list("recipient__username", flat=True)) == {
        "dcgw_head",
        "s1_leader",
        "c1_secretary",
    }
    assert all("区城管委" in n.title and whistle.number in n.body for n in told)
    assert [m for m, _text in sent] == ["13900000022"]
    assert "区城管委" in sent[0][1]
    # The department that reported in is neither escalated nor flagged.
    came = summons_of(whistle, city.dept_s1)
    assert came.escalated_at is None and came.state == SummonsState.REPORTED
    assert not whistle.events.filter(kind="escalated", summons=came).exists()
    # Running again (now, or an hour later) changes nothing.
    before = state()
    assert sweep(at(31)) == NOTHING
    assert sweep(at(90)) == NOTHING
    assert state() == before
    assert len(sent) == 1


def test_a_late_report_in_after_escalation_keeps_both_flags(
    whistle: Whistle, cast: Any, city: Any
) -> None:
    sweep_whistles(at(31))
    report(cast.department_officer, whistle, city.dept_district, minutes=50)
    kinds = sorted(
        Flag.objects.filter(summons__department=city.dept_district).values_list("kind", flat=True)
    )
    assert kinds == ["late_report_in", "no_show"]
    assert Flag.objects.get(kind="late_report_in").data == {"late_minutes": 20}
    assert sweep_whistles(at(60)) == NOTHING


def test_closed_summonses_are_left_alone(whistle: Whistle, cast: Any, city: Any) -> None:
    with time_machine.travel(at(10), tick=False):
        w.summons_release(
            actor=cast.street_leader, summons=summons_of(whistle, city.dept_s1), note="不用来了"
        )
        w.whistle_confirm(actor=cast.community_secretary, whistle=whistle)
    assert sweep_whistles(at(15)) == NOTHING
    assert sweep_whistles(at(31)) == NOTHING
    assert not Flag.objects.exists()


def test_the_sweep_task_runs_in_the_worker(whistle: Whistle) -> None:
    with time_machine.travel(at(45), tick=False):
        result = sweep_whistle_clocks.call_local()
    assert result == {**NOTHING, "escalated": 2}
    with time_machine.travel(at(50), tick=False):
        assert sweep_whistle_clocks.call_local() == NOTHING


# --------------------------------------------------------------------------------------------
# ping-pong


@pytest.fixture
def desk(cast: Any) -> Any:
    """The street's dispatch desk and the handlers, all at START (within the return window)."""

    def dispatch(ticket: Ticket, to: Any) -> None:
        with time_machine.travel(START, tick=False):
            t.ticket_dispatch(actor=cast.street_dispatcher, ticket=ticket, to=to)

    def send_back(ticket: Ticket, by: Any) -> None:
        with time_machine.travel(START + timedelta(minutes=5), tick=False):
            t.ticket_return(actor=by, ticket=ticket, reason="不属于我们的职责")

    class Desk:
        pass

    d = Desk()
    d.dispatch = dispatch  # type: ignore[attr-defined]
    d.send_back = send_back  # type: ignore[attr-defined]
    return d


def test_a_ticket_returned_twice_is_flagged_once(
    submit: Any, desk: Any, cast: Any, city: Any
) -> None:
    ticket = submit()
    desk.dispatch(ticket, city.grid_a)
    desk.send_back(ticket, cast.grid_worker_a)
    assert sweep_whistles(at(10))["ping_pong"] == 0  # once is not ping-pong
    desk.dispatch(ticket, city.grid_b)
    desk.send_back(ticket, cast.grid_worker_b)
    assert sweep_whistles(at(10)) == {**NOTHING, "ping_pong": 1}
    flag = Flag.objects.get()
    assert (flag.kind, flag.ticket, flag.summons, flag.department) == (
        FlagKind.PING_PONG,
        ticket,
        None,
        None,
    )
    assert (flag.area_path, flag.street) == (ticket.area_path, city.s1)
    assert "东一社区A网格" in flag.detail and "东一社区B网格" in flag.detail
    assert ticket.number in flag.detail and "2" in flag.detail
    assert flag.data["number"] == ticket.number
    assert flag.data["returns"] == 2
    assert flag.data["units"] == ["东一社区A网格", "东一社区B网格"]
    before = state()
    assert sweep_whistles(at(10)) == NOTHING
    assert sweep_whistles(at(60)) == NOTHING
    assert state() == before


def test_a_ticket_passed_a_b_a_is_flagged(submit: Any, desk: Any, cast: Any, city: Any) -> None:
    """网格 → 区城管委 → 网格: each handed it back; the flag names both units."""
    ticket = submit()
    desk.dispatch(ticket, city.grid_a)
    desk.send_back(ticket, cast.grid_worker_a)
    desk.dispatch(ticket, city.dept_district)
    desk.send_back(ticket, cast.department_officer)
    desk.dispatch(ticket, city.grid_a)
    ticket.refresh_from_db()
    assert ticket.return_count == 2
    assert sweep_whistles(at(10))["ping_pong"] == 1
    flag = Flag.objects.get(kind=FlagKind.PING_PONG)
    assert flag.ticket == ticket
    assert "东一社区A网格" in flag.detail and "区城管委" in flag.detail
    assert set(flag.data["units"]) == {"东一社区A网格", "区城管委"}
    assert flag.data["number"] == ticket.number
    assert flag.department == city.dept_district  # the only department that handed it back
    assert sweep_whistles(at(20))["ping_pong"] == 0
    assert Flag.objects.count() == 1


def test_the_a_b_a_pattern_alone_is_explained(city: Any, submit: Any, desk: Any, cast: Any) -> None:
    """`ping_pong` names the two units a ticket went back and forth between, whatever its
    return count says (a unit handed over without a counted return)."""
    from grassroots.tickets.models import EventKind, TicketEvent

    ticket = submit()
    desk.dispatch(ticket, city.grid_a)
    desk.send_back(ticket, cast.grid_worker_a)
    desk.dispatch(ticket, city.dept_district)
    desk.send_back(ticket, cast.department_officer)
    desk.dispatch(ticket, city.grid_a)
    Ticket.objects.filter(pk=ticket.pk).update(return_count=0)
    ticket.refresh_from_db()
    events = list(
        TicketEvent.objects.filter(
            ticket=ticket, kind__in=[EventKind.DISPATCHED, EventKind.RETURNED]
        ).order_by("created_at", "id")
    )
    found = sweep_module.ping_pong(ticket, events)
    assert found is not None
    assert found["handovers"] == 2
    assert sorted(found["units"]) == sorted(["东一社区A网格", "区城管委"])
    assert ticket.number in found["detail"]


def test_a_ticket_dispatched_once_and_resolved_is_not_flagged(submit: Any, advance: Any) -> None:
    with time_machine.travel(START, tick=False):
        advance(submit(), "resolved")
    assert sweep_whistles(at(10)) == NOTHING
    assert not Flag.objects.exists()


def test_a_ticket_returned_once_and_redispatched_is_not_flagged(
    submit: Any, desk: Any, cast: Any, city: Any
) -> None:
    ticket = submit()
    desk.dispatch(ticket, city.grid_a)
    desk.send_back(ticket, cast.grid_worker_a)
    desk.dispatch(ticket, city.grid_b)
    assert sweep_whistles(at(10)) == NOTHING


def test_old_handovers_are_not_looked_at_again(
    submit: Any, desk: Any, cast: Any, city: Any
) -> None:
    ticket = submit()
    for grid, worker in ((city.grid_a, cast.grid_worker_a), (city.grid_b, cast.grid_worker_b)):
        desk.dispatch(ticket, grid)
        desk.send_back(ticket, worker)
    # Three days later (past the look-back window) the sweep does not read the ticket again;
    # within the window it catches up with a missed run.
    assert sweep_whistles(START + timedelta(days=3))["ping_pong"] == 0
    assert sweep_whistles(START + timedelta(days=1))["ping_pong"] == 1


def test_the_department_that_took_the_ticket_is_not_blamed(
    submit: Any, desk: Any, cast: Any, city: Any
) -> None:
    ticket = submit()
    desk.dispatch(ticket, city.grid_a)
    desk.send_back(ticket, cast.grid_worker_a)
    desk.dispatch(ticket, city.grid_b)
    desk.send_back(ticket, cast.grid_worker_b)
    desk.dispatch(ticket, city.dept_district)  # 区城管委 takes it and handles it
    assert sweep_whistles(at(10))["ping_pong"] == 1
    flag = Flag.objects.get()
    assert flag.department is None
