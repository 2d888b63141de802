"""吹哨报到 through its services: every transition and every refusal, what each writes (the
joint timeline, the audit chain, the ticket's timeline) and who is told."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from grassroots.accounts.models import Role
from grassroots.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from grassroots.core.models import AuditEntry
from grassroots.notices.models import Notice
from grassroots.tickets.models import EventKind, TicketEvent
from grassroots.whistles import services as w
from grassroots.whistles.models import (
    DepartmentRating,
    Flag,
    FlagKind,
    FlagState,
    Summons,
    SummonsState,
    Whistle,
    WhistleEvent,
    WhistleRating,
    WhistleState,
)
from grassroots.whistles.selectors import find_summons, find_whistle
from tests.conftest import make_user

LOCAL = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 24, 10, 0, tzinfo=LOCAL)  # a Tuesday
pytestmark = pytest.mark.django_db


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def summons_of(whistle: Whistle, department: Any) -> Summons:
    """A fresh copy of one summons with its whistle loaded, as the services expect."""
    return Summons.objects.select_related("whistle", "department").get(
        whistle=whistle, department=department
    )


def fields_of(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, list[str]]:
    return exc.value.fields


def trail(whistle: Whistle) -> tuple[list[str], list[str], list[str]]:
    """What a whistle has left behind: its timeline kinds, its audit actions and the whistle
    rows mirrored on its ticket's timeline (by the whistle event they mirror)."""
    events = list(whistle.events.order_by("id").values_list("kind", flat=True))
    audits = list(
        AuditEntry.objects.filter(object_type="whistles.whistle", object_id=str(whistle.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    mirrored = [
        data["whistle_event"]
        for data in TicketEvent.objects.filter(ticket_id=whistle.ticket_id, kind=EventKind.WHISTLE)
        .order_by("id")
        .values_list("data", flat=True)
    ]
    return events, audits, mirrored


def assert_recorded(
    whistle: Whistle, before: tuple[list[str], list[str], list[str]], kind: str, action: str
) -> None:
    events, audits, mirrored = trail(whistle)
    assert events == [*before[0], kind]
    assert audits == [*before[1], f"whistles.{action}"]
    if whistle.ticket_id is not None:
        assert mirrored == [*before[2], kind]
    else:
        assert mirrored == []


def assert_nothing_recorded(
    whistle: Whistle, before: tuple[list[str], list[str], list[str]]
) -> None:
    assert trail(whistle) == before


def counts() -> dict[str, int]:
    return {
        "whistles": Whistle.objects.count(),
        "summonses": Summons.objects.count(),
        "events": WhistleEvent.objects.count(),
        "ticket_events": TicketEvent.objects.filter(kind=EventKind.WHISTLE).count(),
        "audit": AuditEntry.objects.filter(action__startswith="whistles.").count(),
        "notices": Notice.objects.filter(kind="whistles").count(),
        "flags": Flag.objects.count(),
    }


@pytest.fixture
def on_ticket(submit: Any, blow: Any, clock: Any) -> Whistle:
    """An emergency whistle on a resident's ticket (building A1), summoning 区城管委 and
    东街道执法队."""
    return blow(ticket=submit())


@pytest.fixture
def alone(blow: Any, clock: Any) -> Whistle:
    return blow()


def report(officer: Any, whistle: Whistle, department: Any, **kw: Any) -> Summons:
    kw.setdefault("mode", "on_site")
    kw.setdefault("commitment", "30 分钟内到场抢修。")
    return w.summons_report_in(actor=officer, summons=summons_of(whistle, department), **kw)


# --------------------------------------------------------------------------------------------
# blowing


def test_blow_on_a_ticket_summons_every_department(
    on_ticket: Whistle, cast: Any, city: Any
) -> None:
    whistle = Whistle.objects.get(pk=on_ticket.pk)
    ticket = whistle.ticket
    assert ticket is not None
    assert whistle.number == f"WS-20261124-{whistle.pk:06d}"
    assert whistle.kind == "emergency" and whistle.reason == "emergency"
    assert whistle.state == WhistleState.OPEN
    assert (whistle.area, whistle.area_path, whistle.street) == (city.s1, city.s1.path, city.s1)
    assert whistle.whistler == cast.street_leader
    assert whistle.title == ticket.category.name[:30]  # no title given: the ticket's category
    assert whistle.created_at == START
    summonses = list(whistle.summonses.order_by("id"))
    assert [s.department for s in summonses] == [city.dept_district, city.dept_s1]
    for summons in summonses:
        assert summons.state == SummonsState.SUMMONED
        assert summons.street == city.s1
        assert summons.created_at == START
        assert summons.report_by == START + timedelta(minutes=30)
        assert summons.remind_at == START + timedelta(minutes=15)
        assert summons.reported_at is None and summons.closed_at is None
    events, audits, mirrored = trail(whistle)
    assert events == ["blown", "summoned", "summoned"]
    assert audits == ["whistles.blow"]
    assert mirrored == ["blown", "summoned", "summoned"]
    audit = AuditEntry.objects.get(action="whistles.blow")
    assert audit.actor == cast.street_leader and audit.street_id == city.s1.pk
    assert ticket.number in audit.data and "DCGW" in audit.data and "S1ZF" in audit.data
    # The ticket's timeline names the department each summons went to.
    summoned = TicketEvent.objects.filter(
        ticket=ticket, kind=EventKind.WHISTLE, data__whistle_event="summoned"
    )
    assert {e.unit_department for e in summoned} == {city.dept_district, city.dept_s1}
    assert all(e.data["whistle"] == whistle.number for e in summoned)


def test_blow_standing_alone(alone: Whistle, city: Any) -> None:
    assert alone.ticket is None
    assert alone.title == "东一1号楼下水管爆裂，路面积水。"  # the description, up to 30 characters
    events, audits, mirrored = trail(alone)
    assert (events, audits, mirrored) == (["blown", "summoned", "summoned"], ["whistles.blow"], [])
    assert alone.summonses.count() == 2


def test_blow_keeps_a_given_title_and_trims_text(blow: Any, clock: Any) -> None:
    whistle = blow(title="  管道抢修  ", description="  爆管  ", address="  东一1号楼  ")
    assert (whistle.title, whistle.description, whistle.address) == (
        "管道抢修",
        "爆管",
        "东一1号楼",
    )


def test_the_number_is_the_local_date(blow: Any) -> None:
    # 00:30 on Nov 25 in Beijing is still Nov 24 in UTC.
    with time_machine.travel(datetime(2026, 11, 25, 0, 30, tzinfo=LOCAL), tick=False):
        whistle = blow()
    assert whistle.number == f"WS-20261125-{whistle.pk:06d}"


def test_a_community_secretary_blows_for_the_community(
    blow: Any, cast: Any, city: Any, submit: Any, clock: Any
) -> None:
    whistle = blow(actor=cast.community_secretary, ticket=submit())
    assert whistle.area == city.c1 and whistle.area_path == city.c1.path
    assert whistle.street == city.s1
    assert whistle.whistler == cast.community_secretary
    assert {s.street_id for s in whistle.summonses.all()} == {city.s1.pk}
    alone = blow(actor=cast.community_secretary, departments=[city.dept_s1.pk])
    assert alone.area == city.c1


@pytest.mark.parametrize(
    "who",
    [
        "resident",
        "grid_worker_a",
        "building_head",
        "community_staff",
        "street_dispatcher",
        "department_officer",
        "member_unit_contact",
        "system_admin",
        "security_admin",
        "audit_admin",
    ],
)
def test_only_whistler_roles_may_blow(blow: Any, cast: Any, who: str) -> None:
    before = counts()
    with pytest.raises(Forbidden):
        blow(actor=getattr(cast, who))
    assert counts() == before


def test_a_department_head_may_not_blow(blow: Any, department_head: Any) -> None:
    with pytest.raises(Forbidden):
        blow(actor=department_head)
    assert not Whistle.objects.exists()


def test_a_whistler_without_a_unit_may_not_blow(blow: Any, city: Any) -> None:
    leader = make_user(Role.STREET_LEADER, "nowhere_leader")
    with pytest.raises(Forbidden):
        blow(actor=leader)
    assert not Whistle.objects.exists()


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"kind": "loud"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"reason": "boredom"}, "reason"),
        ({"description": ""}, "description"),
        ({"description": "   "}, "description"),
        ({"description": "字" * 2001}, "description"),
        ({"address": ""}, "address"),
        ({"address": "路" * 201}, "address"),
        ({"title": "题" * 101}, "title"),
        ({"departments": []}, "departments"),
        ({"departments": ["abc"]}, "departments"),
        ({"departments": [999999]}, "departments"),
    ],
)
def test_blow_refuses_bad_input_and_creates_nothing(
    blow: Any, kw: dict[str, Any], field: str
) -> None:
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        blow(**kw)
    assert field in fields_of(exc), fields_of(exc)
    assert all(isinstance(m, str) and m for m in fields_of(exc)[field])
    assert counts() == before


def test_blow_refuses_a_department_of_another_street(blow: Any, city: Any) -> None:
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        blow(departments=[city.dept_district.pk, city.dept_s2.pk])
    assert "departments" in fields_of(exc)
    assert counts() == before


def test_a_community_may_not_summon_another_streets_department(
    blow: Any, cast: Any, city: Any
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        blow(actor=cast.community_secretary, departments=[city.dept_s2.pk])
    assert "departments" in fields_of(exc)
    assert not Whistle.objects.exists()


def test_blow_refuses_an_inactive_department(blow: Any, city: Any) -> None:
    city.dept_s1.is_active = False
    city.dept_s1.save()
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        blow()
    assert "departments" in fields_of(exc)
    assert counts() == before


def test_blow_refuses_more_than_ten_departments(blow: Any, city: Any) -> None:
    from grassroots.territory.services import department_create

    many = [
        department_create(actor=None, area=city.district, code=f"X{i}", name=f"部门{i}").pk
        for i in range(11)
    ]
    with pytest.raises(ValidationFailed) as exc:
        blow(departments=many)
    assert "departments" in fields_of(exc)
    assert not Whistle.objects.exists()


def test_the_same_department_twice_is_summoned_once(blow: Any, city: Any) -> None:
    whistle = blow(departments=[city.dept_s1.pk, str(city.dept_s1.pk)])
    assert list(whistle.summonses.values_list("department_id", flat=True)) == [city.dept_s1.pk]


def test_blow_reports_every_bad_field_at_once(blow: Any, submit: Any, advance: Any) -> None:
    closed = advance(submit(), "closed")
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        blow(kind="x", reason="y", description="", address=" ", departments=[], ticket=closed)
    assert set(fields_of(exc)) >= {
        "kind",
        "reason",
        "description",
        "address",
        "departments",
        "ticket",
    }
    assert counts() == before


def test_blow_refuses_a_closed_ticket(blow: Any, submit: Any, advance: Any) -> None:
    closed = advance(submit(), "closed")
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        blow(ticket=closed)
    assert set(fields_of(exc)) == {"ticket"}
    assert counts() == before


def test_a_ticket_outside_the_whistlers_scope_is_not_found(
    blow: Any, submit: Any, cast: Any, people: Any
) -> None:
    west = submit(building=people.building_w1)
    before = counts()
    with pytest.raises(NotFound):
        blow(ticket=west)  # the street leader of S1, a ticket in S2
    with pytest.raises(NotFound):
        blow(actor=cast.community_secretary, ticket=west)
    with pytest.raises(NotFound):  # even with bad fields besides: existence does not leak
        blow(ticket=west, kind="x", description="")
    assert counts() == before


def test_a_community_secretary_cannot_whistle_on_the_next_communitys_ticket(
    blow: Any, submit: Any, cast: Any, city: Any
) -> None:
    from grassroots.territory.services import area_create

    building_c2 = area_create(
        actor=None, parent=city.grid_c2, kind="building", code="S1C2GAB1", name="东二1号楼"
    )
    ticket = submit(building=building_c2)
    with pytest.raises(NotFound):
        blow(actor=cast.community_secretary, ticket=ticket)
    # The street leader covers both communities.
    assert blow(ticket=ticket).area == city.s1


def test_summons_reaches_the_officers_inbox_and_phone(
    blow: Any,
    cast: Any,
    city: Any,
    officer_s1: Any,
    department_head: Any,
    sms_outbox: Any,
    django_capture_on_commit_callbacks: Any,
    clock: Any,
) -> None:
    make_user(
        Role.DEPARTMENT_OFFICER, "dcgw_2", departments=[city.dept_district], mobile="13900000031"
    )
    with django_capture_on_commit_callbacks(execute=True):
        whistle = blow()
    summoned = Notice.objects.filter(kind="whistles")
    assert set(summoned.values_list("recipient__username", flat=True)) == {
        "officer",  # 区城管委, no mobile
        "dcgw_2",  # 区城管委
        "s1_officer",  # 东街道执法队
    }
    assert all(n.url == f"/workbench/whistles/{whistle.number}/" for n in summoned)
    mine = summoned.get(recipient=officer_s1)
    assert "东街道执法队" in mine.title and "应急哨" in mine.title
    assert "10:30" in mine.body  # the report-in deadline
    # One SMS per officer with a mobile; the head is not summoned, the officer without a
    # mobile only gets the inbox message.
    assert sorted(m for m, _text in sms_outbox) == ["13900000021", "13900000031"]
    assert all(whistle.number in text and "10:30" in text for _m, text in sms_outbox)


def test_a_rolled_back_blow_tells_nobody(
    blow: Any, officer_s1: Any, sms_outbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        blow()
        raise RuntimeError("the caller fails after blowing")
    assert callbacks == []
    assert sms_outbox == []
    assert not Notice.objects.exists()
    assert not Whistle.objects.exists() and not Summons.objects.exists()


def test_an_inactive_officer_is_not_told(
    blow: Any, officer_s1: Any, sms_outbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    officer_s1.is_active = False
    officer_s1.save()
    with django_capture_on_commit_callbacks(execute=True):
        blow()
    assert not Notice.objects.filter(recipient=officer_s1).exists()
    assert sms_outbox == []


# --------------------------------------------------------------------------------------------
# report-in


def test_report_in(on_ticket: Whistle, cast: Any, city: Any, clock: Any) -> None:
    clock.shift(timedelta(minutes=12))
    before = trail(on_ticket)
    summons = report(
        cast.department_officer,
        on_ticket,
        city.dept_district,
        mode="remote",
        commitment="  远程调度抢修队。 ",
    )
    assert_recorded(on_ticket, before, "reported_in", "report_in")
    summons.refresh_from_db()
    assert summons.state == SummonsState.REPORTED
    assert summons.reported_at == START + timedelta(minutes=12)
    assert summons.reported_by == cast.department_officer
    assert (summons.report_mode, summons.commitment) == ("remote", "远程调度抢修队。")
    assert summons.on_time is True and summons.minutes_to_report == 12
    event = on_ticket.events.get(kind="reported_in")
    assert event.actor == cast.department_officer and event.summons == summons
    assert event.data == {"mode": "remote", "late": False}
    assert "远程调度抢修队" in event.note
    assert not Flag.objects.exists()
    # The whistler hears of it.
    told = Notice.objects.get(recipient=cast.street_leader, kind="whistles")
    assert "区城管委" in told.title and "远程调度抢修队" in told.body
    whistle = Whistle.objects.get(pk=on_ticket.pk)
    assert whistle.updated_at == START + timedelta(minutes=12)


def test_a_department_head_may_report_in(alone: Whistle, department_head: Any, city: Any) -> None:
    summons = report(department_head, alone, city.dept_district)
    assert summons.state == SummonsState.REPORTED and summons.reported_by == department_head


@pytest.mark.parametrize(
    "who",
    [
        "street_leader",
        "street_dispatcher",
        "community_secretary",
        "grid_worker_a",
        "resident",
        "system_admin",
    ],
)
def test_only_the_summoned_department_reports_in(
    alone: Whistle, cast: Any, city: Any, who: str
) -> None:
    before = trail(alone)
    with pytest.raises(Forbidden):
        report(getattr(cast, who), alone, city.dept_district)
    assert_nothing_recorded(alone, before)


def test_a_department_cannot_report_in_for_another(
    alone: Whistle, officer_s1: Any, cast: Any, city: Any
) -> None:
    before = trail(alone)
    with pytest.raises(Forbidden):
        report(officer_s1, alone, city.dept_district)
    with pytest.raises(Forbidden):
        report(cast.department_officer, alone, city.dept_s1)
    assert_nothing_recorded(alone, before)
    assert summons_of(alone, city.dept_district).state == SummonsState.SUMMONED


@pytest.mark.parametrize(
    ("kw", "fields"),
    [
        ({"mode": "carrier_pigeon"}, {"mode"}),
        ({"mode": ""}, {"mode"}),
        ({"commitment": ""}, {"commitment"}),
        ({"commitment": "   "}, {"commitment"}),
        ({"commitment": "诺" * 501}, {"commitment"}),
        ({"mode": "x", "commitment": ""}, {"mode", "commitment"}),
    ],
)
def test_report_in_refuses_bad_input(
    alone: Whistle, cast: Any, city: Any, kw: dict[str, Any], fields: set[str]
) -> None:
    before = trail(alone)
    with pytest.raises(ValidationFailed) as exc:
        report(cast.department_officer, alone, city.dept_district, **kw)
    assert set(fields_of(exc)) == fields
    assert_nothing_recorded(alone, before)
    assert summons_of(alone, city.dept_district).state == SummonsState.SUMMONED


def test_report_in_twice_is_refused(alone: Whistle, cast: Any, city: Any) -> None:
    report(cast.department_officer, alone, city.dept_district)
    before = trail(alone)
    with pytest.raises(ValidationFailed) as exc:
        report(cast.department_officer, alone, city.dept_district)
    assert exc.value.code == "wrong_state"
    assert_nothing_recorded(alone, before)


def test_a_stale_copy_cannot_report_in_twice(alone: Whistle, cast: Any, city: Any) -> None:
    stale = summons_of(alone, city.dept_district)
    report(cast.department_officer, alone, city.dept_district)
    before = trail(alone)
    with pytest.raises(Conflict):
        w.summons_report_in(
            actor=cast.department_officer, summons=stale, mode="on_site", commitment="再报一次"
        )
    assert_nothing_recorded(alone, before)


def test_report_in_after_release_or_withdraw_is_refused(
    alone: Whistle, cast: Any, city: Any, officer_s1: Any
) -> None:
    w.summons_release(
        actor=cast.street_leader,
        summons=summons_of(alone, city.dept_district),
        note="不需要城管委了",
    )
    w.summons_withdraw(actor=officer_s1, summons=summons_of(alone, city.dept_s1), note="人手不够")
    before = trail(alone)
    with pytest.raises(ValidationFailed) as exc:
        report(cast.department_officer, alone, city.dept_district)
    assert exc.value.code == "wrong_state" and "已放行" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        report(officer_s1, alone, city.dept_s1)
    assert exc.value.code == "wrong_state"
    assert_nothing_recorded(alone, before)


def test_report_in_after_confirmation_is_refused(alone: Whistle, cast: Any, city: Any) -> None:
    w.whistle_confirm(actor=cast.street_leader, whistle=alone)
    with pytest.raises(ValidationFailed) as exc:
        report(cast.department_officer, alone, city.dept_district)
    assert exc.value.code == "wrong_state"


def test_a_late_report_in_is_flagged_with_the_minutes(
    on_ticket: Whistle, cast: Any, city: Any, clock: Any
) -> None:
    clock.shift(timedelta(minutes=45, seconds=30))  # the deadline was at +30 minutes
    summons = report(cast.department_officer, on_ticket, city.dept_district)
    assert summons.on_time is False
    event = on_ticket.events.get(kind="reported_in")
    assert event.data == {"mode": "on_site", "late": True}
    flag = Flag.objects.get()
    assert flag.kind == FlagKind.LATE_REPORT_IN and flag.state == FlagState.OPEN
    assert flag.summons == summons and flag.department == city.dept_district
    assert flag.ticket is None
    assert (flag.area_path, flag.street) == (on_ticket.area_path, city.s1)
    assert flag.data == {"late_minutes": 15}
    assert "15" in flag.detail and "区城管委" in flag.detail and on_ticket.number in flag.detail
    assert flag.created_at == START + timedelta(minutes=45, seconds=30)


def test_a_report_in_exactly_at_the_deadline_is_on_time(
    alone: Whistle, cast: Any, city: Any, clock: Any
) -> None:
    clock.shift(timedelta(minutes=30))
    summons = report(cast.department_officer, alone, city.dept_district)
    assert summons.on_time is True
    assert not Flag.objects.exists()


# --------------------------------------------------------------------------------------------
# actions


def test_action_after_report_in(on_ticket: Whistle, cast: Any, city: Any, clock: Any) -> None:
    report(cast.department_officer, on_ticket, city.dept_district)
    clock.shift(timedelta(minutes=20))
    before = trail(on_ticket)
    event = w.summons_action(
        actor=cast.department_officer,
        summons=summons_of(on_ticket, city.dept_district),
        note="已关闭阀门，抽水中。",
    )
    assert_recorded(on_ticket, before, "action", "action")
    assert event.note == "已关闭阀门，抽水中。" and event.actor == cast.department_officer
    assert event.created_at == START + timedelta(minutes=20)
    assert Notice.objects.filter(recipient=cast.street_leader, body="已关闭阀门，抽水中。").exists()
    mirrored = TicketEvent.objects.filter(kind=EventKind.WHISTLE).order_by("id").last()
    assert mirrored is not None and "已关闭阀门" in mirrored.note and "区城管委" in mirrored.note


def test_action_before_report_in_is_refused(alone: Whistle, cast: Any, city: Any) -> None:
    before = trail(alone)
    with pytest.raises(ValidationFailed) as exc:
        w.summons_action(
            actor=cast.department_officer,
            summons=summons_of(alone, city.dept_district),
            note="先干着",
        )
    assert exc.value.code == "wrong_state"
    assert_nothing_recorded(alone, before)


def test_action_refusals(alone: Whistle, cast: Any, city: Any, officer_s1: Any) -> None:
    report(cast.department_officer, alone, city.dept_district)
    summons = summons_of(alone, city.dept_district)
    before = trail(alone)
    with pytest.raises(Forbidden):
        w.summons_action(actor=officer_s1, summons=summons, note="替别人记")
    with pytest.raises(Forbidden):
        w.summons_action(actor=cast.street_leader, summons=summons, note="领导记")
    with pytest.raises(ValidationFailed) as exc:
        w.summons_action(actor=cast.department_officer, summons=summons, note="  ")
    assert set(fields_of(exc)) == {"note"}
    assert_nothing_recorded(alone, before)


def test_action_after_close_is_refused(alone: Whistle, cast: Any, city: Any) -> None:
    report(cast.department_officer, alone, city.dept_district)
    w.whistle_confirm(actor=cast.street_leader, whistle=alone)
    before = trail(alone)
    with pytest.raises(ValidationFailed) as exc:
        w.summons_action(
            actor=cast.department_officer,
            summons=summons_of(alone, city.dept_district),
            note="补记",
        )
    assert exc.value.code == "wrong_state"
    stale = summons_of(alone, city.dept_s1)
    assert stale.state == SummonsState.RELEASED
    assert_nothing_recorded(alone, before)


def test_a_stale_copy_cannot_act_on_a_released_summons(
    alone: Whistle, cast: Any, city: Any
) -> None:
    report(cast.department_officer, alone, city.dept_district)
    stale = summons_of(alone, city.dept_district)
    w.summons_release(
        actor=cast.street_leader, summons=summons_of(alone, city.dept_district), note="可以撤了"
    )
    before = trail(alone)
    with pytest.raises(Conflict):
        w.summons_action(actor=cast.department_officer, summons=stale, note="还在干")
    assert_nothing_recorded(alone, before)


# --------------------------------------------------------------------------------------------
# withdraw


@pytest.mark.parametrize("reported", [False, True])
def test_withdraw_is_recorded_and_flagged(
    on_ticket: Whistle, cast: Any, city: Any, clock: Any, reported: bool
) -> None:
    if reported:
        report(cast.department_officer, on_ticket, city.dept_district)
    clock.shift(timedelta(minutes=10))
    before = trail(on_ticket)
    summons = w.summons_withdraw(
        actor=cast.department_officer,
        summons=summons_of(on_ticket, city.dept_district),
        note="另有急事",
    )
    assert_recorded(on_ticket, before, "withdrawn", "withdraw")
    summons.refresh_from_db()
    assert summons.state == SummonsState.WITHDRAWN
    assert summons.closed_at == START + timedelta(minutes=10)
    assert summons.close_note == "另有急事"
    flag = Flag.objects.get()
    assert flag.kind == FlagKind.WITHDRAWN and flag.summons == summons
    assert flag.department == city.dept_district and flag.street == city.s1
    assert "另有急事" in flag.detail and on_ticket.number in flag.detail
    assert Notice.objects.filter(
        recipient=cast.street_leader, title__contains="未经确认撤离"
    ).exists()
    # The whistle stays open: the other department is still summoned.
    assert Whistle.objects.get(pk=on_ticket.pk).state == WhistleState.OPEN


def test_withdraw_refusals(alone: Whistle, cast: Any, city: Any, officer_s1: Any) -> None:
    summons = summons_of(alone, city.dept_district)
    before = trail(alone)
    for stranger in (officer_s1, cast.street_leader, cast.community_secretary):
        with pytest.raises(Forbidden):
            w.summons_withdraw(actor=stranger, summons=summons, note="走了")
    with pytest.raises(ValidationFailed) as exc:
        w.summons_withdraw(actor=cast.department_officer, summons=summons, note="")
    assert set(fields_of(exc)) == {"note"}
    assert_nothing_recorded(alone, before)
    w.summons_withdraw(actor=cast.department_officer, summons=summons, note="走了")
    before = trail(alone)
    with pytest.raises(ValidationFailed) as exc:
        w.summons_withdraw(
            actor=cast.department_officer,
            summons=summons_of(alone, city.dept_district),
            note="再走",
        )
    assert exc.value.code == "wrong_state"
    assert_nothing_recorded(alone, before)
    assert Flag.objects.count() == 1


# --------------------------------------------------------------------------------------------
# release


def test_release_by_the_whistler(on_ticket: Whistle, cast: Any, city: Any, clock: Any) -> None:
    report(cast.department_officer, on_ticket, city.dept_district)
    clock.shift(timedelta(hours=1))
    before = trail(on_ticket)
    summons = w.summons_release(
        actor=cast.street_leader,
        summons=summons_of(on_ticket, city.dept_district),
        note="城管委部分已完成",
    )
    assert_recorded(on_ticket, before, "released", "release")
    summons.refresh_from_db()
    assert summons.state == SummonsState.RELEASED
    assert (summons.closed_at, summons.close_note) == (
        START + timedelta(hours=1),
        "城管委部分已完成",
    )
    assert Notice.objects.filter(
        recipient=cast.department_officer, title__contains="已放行"
    ).exists()
    assert not Flag.objects.exists()  # releasing is the whistler's call, not shirking
    # One department released does not close the whistle.
    assert Whistle.objects.get(pk=on_ticket.pk).state == WhistleState.OPEN


def test_release_of_a_summons_not_yet_reported(alone: Whistle, cast: Any, city: Any) -> None:
    summons = w.summons_release(
        actor=cast.street_leader, summons=summons_of(alone, city.dept_s1), note="叫错了部门"
    )
    assert summons.state == SummonsState.RELEASED
    assert not Flag.objects.exists()


def test_release_is_the_whistler_sides_only(
    alone: Whistle, cast: Any, city: Any, officer_s1: Any, department_head: Any
) -> None:
    s2_leader = make_user(Role.STREET_LEADER, "s2_leader", areas=[city.s2])
    summons = summons_of(alone, city.dept_district)
    before = trail(alone)
    for stranger in (
        cast.department_officer,
        department_head,
        officer_s1,
        cast.street_dispatcher,  # in the street, but does not blow
        cast.community_secretary,  # a community cannot release its street's whistle
        cast.community_staff,
        s2_leader,
    ):
        with pytest.raises(Forbidden):
            w.summons_release(actor=stranger, summons=summons, note="放行")
    with pytest.raises(ValidationFailed) as exc:
        w.summons_release(actor=cast.street_leader, summons=summons, note=" ")
    assert set(fields_of(exc)) == {"note"}
    assert_nothing_recorded(alone, before)


def test_the_street_leader_releases_a_communitys_whistle(
    blow: Any, cast: Any, city: Any, clock: Any
) -> None:
    whistle = blow(actor=cast.community_secretary)
    c2_secretary = make_user(Role.COMMUNITY_SECRETARY, "c2_secretary", areas=[city.c2])
    with pytest.raises(Forbidden):
        w.summons_release(
            actor=c2_secretary, summons=summons_of(whistle, city.dept_s1), note="放行"
        )
    released = w.summons_release(
        actor=cast.street_leader, summons=summons_of(whistle, city.dept_s1), note="街道放行"
    )
    assert released.state == SummonsState.RELEASED
    assert (
        w.summons_release(
            actor=cast.community_secretary,
            summons=summons_of(whistle, city.dept_district),
            note="社区放行",
        ).state
        == SummonsState.RELEASED
    )


def test_release_twice_or_after_confirmation_is_refused(
    alone: Whistle, cast: Any, city: Any
) -> None:
    w.summons_release(actor=cast.street_leader, summons=summons_of(alone, city.dept_s1), note="好")
    with pytest.raises(ValidationFailed) as exc:
        w.summons_release(
            actor=cast.street_leader, summons=summons_of(alone, city.dept_s1), note="再放"
        )
    assert exc.value.code == "wrong_state"
    w.whistle_confirm(actor=cast.street_leader, whistle=alone)
    before = trail(alone)
    with pytest.raises(ValidationFailed) as exc:
        w.summons_release(
            actor=cast.street_leader, summons=summons_of(alone, city.dept_district), note="放"
        )
    assert exc.value.code == "wrong_state"
    assert_nothing_recorded(alone, before)


# --------------------------------------------------------------------------------------------
# confirm


def test_confirm_closes_every_open_summons(
    on_ticket: Whistle, cast: Any, city: Any, officer_s1: Any, clock: Any
) -> None:
    report(cast.department_officer, on_ticket, city.dept_district)
    clock.shift(timedelta(minutes=20))  # 东街道执法队 never came, but its deadline has not passed
    before = trail(on_ticket)
    whistle = w.whistle_confirm(actor=cast.street_leader, whistle=on_ticket, note="积水已排干")
    assert_recorded(on_ticket, before, "confirmed", "confirm")
    whistle.refresh_from_db()
    at = START + timedelta(minutes=20)
    assert (whistle.state, whistle.solved_at, whistle.solved_note) == ("solved", at, "积水已排干")
    came = summons_of(whistle, city.dept_district)
    assert (came.state, came.closed_at, came.close_note) == ("confirmed", at, "积水已排干")
    absent = summons_of(whistle, city.dept_s1)
    assert (absent.state, absent.closed_at) == ("released", at)
    assert absent.close_note
    assert not Flag.objects.exists()  # released before its deadline: not a no-show
    told = Notice.objects.filter(title__contains="问题已解决")
    assert set(told.values_list("recipient", flat=True)) == {
        cast.department_officer.pk,
        officer_s1.pk,
    }
    # The ticket is not closed by the whistle: it resolves through its own review.
    assert whistle.ticket is not None
    whistle.ticket.refresh_from_db()
    assert whistle.ticket.state == "submitted"


def test_confirm_past_the_deadline_flags_the_no_show(
    alone: Whistle, cast: Any, city: Any, clock: Any
) -> None:
    report(cast.department_officer, alone, city.dept_district)
    clock.shift(timedelta(minutes=31))
    w.whistle_confirm(actor=cast.street_leader, whistle=alone)
    absent = summons_of(alone, city.dept_s1)
    assert absent.state == SummonsState.RELEASED
    flag = Flag.objects.get()
    assert flag.kind == FlagKind.NO_SHOW and flag.summons == absent
    assert flag.department == city.dept_s1 and flag.street == city.s1
    assert "东街道执法队" in flag.detail and alone.number in flag.detail
    assert "11-24 10:30" in flag.detail  # the deadline, local time


def test_confirm_after_the_sweep_flagged_the_no_show_raises_no_second_flag(
    alone: Whistle, cast: Any, city: Any, clock: Any
) -> None:
    from grassroots.whistles.sweep import sweep_whistles

    clock.shift(timedelta(minutes=31))
    assert sweep_whistles()["escalated"] == 2
    w.whistle_confirm(actor=cast.street_leader, whistle=alone)
    assert Flag.objects.filter(kind=FlagKind.NO_SHOW).count() == 2


def test_confirm_refusals(alone: Whistle, cast: Any, city: Any, department_head: Any) -> None:
    before = trail(alone)
    for stranger in (
        cast.department_officer,
        department_head,
        cast.street_dispatcher,
        cast.community_secretary,
        cast.resident,
    ):
        with pytest.raises(Forbidden):
            w.whistle_confirm(actor=stranger, whistle=alone)
    with pytest.raises(ValidationFailed) as exc:
        w.whistle_confirm(actor=cast.street_leader, whistle=alone, note="注" * 1001)
    assert set(fields_of(exc)) == {"note"}
    assert_nothing_recorded(alone, before)
    stale = Whistle.objects.get(pk=alone.pk)
    w.whistle_confirm(actor=cast.street_leader, whistle=alone)
    before = trail(alone)
    with pytest.raises(ValidationFailed) as exc:
        w.whistle_confirm(actor=cast.street_leader, whistle=alone)
    assert exc.value.code == "wrong_state"
    with pytest.raises(Conflict):  # a copy read before the first confirmation
        w.whistle_confirm(actor=cast.street_leader, whistle=stale)
    assert_nothing_recorded(alone, before)


def test_confirm_after_every_department_left(alone: Whistle, cast: Any, city: Any) -> None:
    for department in (city.dept_district, city.dept_s1):
        w.summons_release(
            actor=cast.street_leader, summons=summons_of(alone, department), note="放行"
        )
    whistle = w.whistle_confirm(actor=cast.street_leader, whistle=alone)
    assert whistle.state == WhistleState.SOLVED
    assert set(alone.summonses.values_list("state", flat=True)) == {"released"}


# --------------------------------------------------------------------------------------------
# the whistler rates a department


def test_department_rate(on_ticket: Whistle, cast: Any, city: Any) -> None:
    report(cast.department_officer, on_ticket, city.dept_district)
    before = trail(on_ticket)
    rating = w.department_rate(
        actor=cast.street_leader,
        summons=summons_of(on_ticket, city.dept_district),
        timeliness=5,
        attitude="4",
        result=" 3 ",
        comment="到得快",
    )
    assert_recorded(on_ticket, before, "rated_department", "rate_department")
    rating.refresh_from_db()
    assert (rating.timeliness, rating.attitude, rating.result) == (5, 4, 3)
    assert rating.average == 4.0
    assert rating.department == city.dept_district and rating.street == city.s1
    assert rating.rated_by == cast.street_leader and rating.comment == "到得快"
    event = on_ticket.events.get(kind="rated_department")
    assert event.data == {"timeliness": 5, "attitude": 4, "result": 3}


@pytest.mark.parametrize("bad", [0, 6, -1, "abc", "", None, True, False, 3.5, "4.0", "五"])
def test_department_rate_refuses_a_score_outside_1_to_5(
    alone: Whistle, cast: Any, city: Any, bad: Any
) -> None:
    report(cast.department_officer, alone, city.dept_district)
    before = trail(alone)
    with pytest.raises(ValidationFailed) as exc:
        w.department_rate(
            actor=cast.street_leader,
            summons=summons_of(alone, city.dept_district),
            timeliness=bad,
            attitude=3,
            result=3,
        )
    assert set(fields_of(exc)) == {"timeliness"}
    assert_nothing_recorded(alone, before)
    assert not DepartmentRating.objects.exists()


def test_department_rate_reports_every_bad_score(alone: Whistle, cast: Any, city: Any) -> None:
    report(cast.department_officer, alone, city.dept_district)
    with pytest.raises(ValidationFailed) as exc:
        w.department_rate(
            actor=cast.street_leader,
            summons=summons_of(alone, city.dept_district),
            timeliness=0,
            attitude=6,
            result="abc",
            comment="评" * 1001,
        )
    assert set(fields_of(exc)) == {"timeliness", "attitude", "result", "comment"}


def test_department_rate_before_report_in_is_refused(alone: Whistle, cast: Any, city: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        w.department_rate(
            actor=cast.street_leader,
            summons=summons_of(alone, city.dept_s1),
            timeliness=1,
            attitude=1,
            result=1,
        )
    assert exc.value.code == "wrong_state"
    assert not DepartmentRating.objects.exists()


def test_department_rate_after_release_without_report_in(
    alone: Whistle, cast: Any, city: Any
) -> None:
    w.summons_release(
        actor=cast.street_leader, summons=summons_of(alone, city.dept_s1), note="没来"
    )
    rating = w.department_rate(
        actor=cast.street_leader,
        summons=summons_of(alone, city.dept_s1),
        timeliness=1,
        attitude=1,
        result=1,
    )
    assert rating.average == 1.0


def test_department_rate_twice_is_a_conflict(alone: Whistle, cast: Any, city: Any) -> None:
    report(cast.department_officer, alone, city.dept_district)
    kw = {"timeliness": 4, "attitude": 4, "result": 4}
    w.department_rate(actor=cast.street_leader, summons=summons_of(alone, city.dept_district), **kw)
    before = trail(alone)
    with pytest.raises(Conflict) as exc:
        w.department_rate(
            actor=cast.street_leader, summons=summons_of(alone, city.dept_district), **kw
        )
    assert exc.value.code == "already_rated"
    assert_nothing_recorded(alone, before)
    assert DepartmentRating.objects.count() == 1


def test_only_the_whistler_side_rates_a_department(
    alone: Whistle, cast: Any, city: Any, officer_s1: Any
) -> None:
    report(cast.department_officer, alone, city.dept_district)
    for stranger in (
        cast.department_officer,
        officer_s1,
        cast.street_dispatcher,
        cast.community_secretary,
    ):
        with pytest.raises(Forbidden):
            w.department_rate(
                actor=stranger,
                summons=summons_of(alone, city.dept_district),
                timeliness=5,
                attitude=5,
                result=5,
            )
    assert not DepartmentRating.objects.exists()


# --------------------------------------------------------------------------------------------
# a department rates the whistle


def test_whistle_rate(on_ticket: Whistle, cast: Any, city: Any, officer_s1: Any) -> None:
    before = trail(on_ticket)
    rating = w.whistle_rate(
        actor=cast.department_officer,
        summons=summons_of(on_ticket, city.dept_district),
        necessary=True,
    )
    assert_recorded(on_ticket, before, "rated_whistle", "rate_whistle")
    assert (rating.necessary, rating.comment, rating.whistle_id) == (True, "", on_ticket.pk)
    assert rating.street == city.s1 and rating.rated_by == cast.department_officer
    assert on_ticket.events.get(kind="rated_whistle").data == {"necessary": True}
    other = w.whistle_rate(
        actor=officer_s1,
        summons=summons_of(on_ticket, city.dept_s1),
        necessary=False,
        comment="本可自行处理",
    )
    assert (other.necessary, other.comment) == (False, "本可自行处理")
    assert WhistleRating.objects.count() == 2


def test_whistle_rate_refusals(alone: Whistle, cast: Any, city: Any, officer_s1: Any) -> None:
    summons = summons_of(alone, city.dept_district)
    before = trail(alone)
    with pytest.raises(ValidationFailed) as exc:
        w.whistle_rate(actor=cast.department_officer, summons=summons, necessary=None)
    assert set(fields_of(exc)) == {"necessary"}
    for empty in ("", "   "):
        with pytest.raises(ValidationFailed) as exc:
            w.whistle_rate(
                actor=cast.department_officer, summons=summons, necessary=False, comment=empty
            )
        assert set(fields_of(exc)) == {"comment"}
    for stranger in (officer_s1, cast.street_leader, cast.community_secretary):
        with pytest.raises(Forbidden):
            w.whistle_rate(actor=stranger, summons=summons, necessary=True)
    assert_nothing_recorded(alone, before)
    w.whistle_rate(actor=cast.department_officer, summons=summons, necessary=True)
    before = trail(alone)
    with pytest.raises(Conflict) as conflict:
        w.whistle_rate(
            actor=cast.department_officer,
            summons=summons_of(alone, city.dept_district),
            necessary=False,
            comment="改主意了",
        )
    assert conflict.value.code == "already_rated"
    assert_nothing_recorded(alone, before)
    assert WhistleRating.objects.count() == 1


# --------------------------------------------------------------------------------------------
# flags are cleared by the street leader


def test_flag_clear(alone: Whistle, cast: Any, city: Any, officer_s1: Any) -> None:
    w.summons_withdraw(actor=officer_s1, summons=summons_of(alone, city.dept_s1), note="走了")
    flag = Flag.objects.get()
    s2_leader = make_user(Role.STREET_LEADER, "s2_leader", areas=[city.s2])
    for stranger in (officer_s1, cast.street_dispatcher, cast.community_secretary, s2_leader):
        with pytest.raises(Forbidden):
            w.flag_clear(actor=stranger, flag=flag, note="查过了")
    with pytest.raises(ValidationFailed) as exc:
        w.flag_clear(actor=cast.street_leader, flag=flag, note="")
    assert set(fields_of(exc)) == {"note"}
    cleared = w.flag_clear(actor=cast.street_leader, flag=flag, note="部门另有紧急任务，属实")
    cleared.refresh_from_db()
    assert cleared.state == FlagState.CLEARED and cleared.cleared_by == cast.street_leader
    assert cleared.clear_note == "部门另有紧急任务，属实"
    assert AuditEntry.objects.filter(action="whistles.flag_clear", object_id=str(flag.pk)).exists()
    with pytest.raises(Conflict):
        w.flag_clear(actor=cast.street_leader, flag=flag, note="再查")


# --------------------------------------------------------------------------------------------
# the whole story on one ticket, and the timeline's guarantees


def test_the_whole_story_lands_on_the_tickets_timeline(
    on_ticket: Whistle, cast: Any, city: Any, officer_s1: Any
) -> None:
    report(cast.department_officer, on_ticket, city.dept_district)
    w.summons_action(
        actor=cast.department_officer,
        summons=summons_of(on_ticket, city.dept_district),
        note="抽水",
    )
    w.summons_withdraw(actor=officer_s1, summons=summons_of(on_ticket, city.dept_s1), note="走")
    w.whistle_rate(actor=officer_s1, summons=summons_of(on_ticket, city.dept_s1), necessary=True)
    w.whistle_confirm(actor=cast.street_leader, whistle=on_ticket, note="好了")
    w.department_rate(
        actor=cast.street_leader,
        summons=summons_of(on_ticket, city.dept_district),
        timeliness=5,
        attitude=5,
        result=5,
    )
    events, audits, mirrored = trail(on_ticket)
    assert (
        events
        == mirrored
        == [
            "blown",
            "summoned",
            "summoned",
            "reported_in",
            "action",
            "withdrawn",
            "rated_whistle",
            "confirmed",
            "rated_department",
        ]
    )
    assert audits == [
        "whistles.blow",
        "whistles.report_in",
        "whistles.action",
        "whistles.withdraw",
        "whistles.rate_whistle",
        "whistles.confirm",
        "whistles.rate_department",
    ]


def test_the_timeline_is_append_only(alone: Whistle) -> None:
    event = alone.events.first()
    assert event is not None
    with pytest.raises(TypeError):
        WhistleEvent.objects.filter(pk=event.pk).update(note="改写")
    with pytest.raises(TypeError):
        WhistleEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()


def test_the_department_side_works_through_the_selectors(
    alone: Whistle, cast: Any, city: Any, officer_s1: Any
) -> None:
    """The pages fetch a summons through `find_whistle` + `find_summons`; the services accept
    what they return."""
    whistle = find_whistle(cast.department_officer, alone.number)
    summons = find_summons(cast.department_officer, whistle, city.dept_district.pk)
    w.summons_report_in(
        actor=cast.department_officer, summons=summons, mode="on_site", commitment="马上到"
    )
    with pytest.raises(NotFound):
        find_whistle(cast.outsider, alone.number)
    leader_view = find_whistle(cast.street_leader, alone.number)
    w.summons_release(
        actor=cast.street_leader,
        summons=find_summons(cast.street_leader, leader_view, city.dept_s1.pk),
        note="不用来了",
    )
    assert summons_of(alone, city.dept_s1).state == SummonsState.RELEASED


# --------------------------------------------------------------------------------------------
# photos


def test_photos_of_the_scene_and_of_an_action(blow: Any, cast: Any, city: Any, clock: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from grassroots.tickets.photos import clean_photos
    from grassroots.whistles.models import WhistlePhoto
    from tests.tickets.conftest import png_bytes

    def photos(n: int) -> Any:
        return clean_photos(
            [SimpleUploadedFile(f"p{i}.png", png_bytes(), "image/png") for i in range(n)]
        )

    whistle = blow(photos=photos(2))
    blown = whistle.events.get(kind="blown")
    assert list(WhistlePhoto.objects.values_list("event_id", flat=True)) == [blown.pk, blown.pk]
    report(cast.department_officer, whistle, city.dept_district)
    event = w.summons_action(
        actor=cast.department_officer,
        summons=summons_of(whistle, city.dept_district),
        note="现场照片",
        photos=photos(1),
    )
    photo = WhistlePhoto.objects.get(event=event)
    assert (photo.whistle, photo.uploaded_by, photo.content_type) == (
        whistle,
        cast.department_officer,
        "image/png",
    )
    assert photo.image.name.startswith("whistles/2026/11/")
