"""Who sees which whistles, summonses and flags: a department only what summoned it, a
territory only what was blown inside it, nobody else anything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from grassroots.accounts.models import Role
from grassroots.core.errors import NotFound
from grassroots.tickets import services as t
from grassroots.whistles import selectors
from grassroots.whistles import services as w
from grassroots.whistles.models import Flag, FlagKind, Summons, Whistle
from grassroots.whistles.sweep import sweep_whistles
from tests.conftest import make_user

LOCAL = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 24, 10, 0, tzinfo=LOCAL)  # a Tuesday
pytestmark = pytest.mark.django_db


@dataclass
class Whistles:
    both: Whistle  # S1's leader: 区城管委 + 东街道执法队
    district: Whistle  # S1's leader: 区城管委 only
    community: Whistle  # 东一社区's secretary: 东街道执法队 only
    west: Whistle  # S2's leader: 西街道执法队 + 区城管委


@pytest.fixture
def s2_leader(city: Any) -> Any:
    return make_user(Role.STREET_LEADER, "s2_leader", areas=[city.s2])


@pytest.fixture
def whistles(blow: Any, cast: Any, city: Any, s2_leader: Any) -> Whistles:
    with time_machine.travel(START, tick=False):
        return Whistles(
            both=blow(),
            district=blow(departments=[city.dept_district.pk]),
            community=blow(actor=cast.community_secretary, departments=[city.dept_s1.pk]),
            west=blow(actor=s2_leader, departments=[city.dept_s2.pk, city.dept_district.pk]),
        )


def seen(user: Any) -> set[str]:
    return set(Whistle.objects.visible_to(user).values_list("number", flat=True))


def numbers(*rows: Whistle) -> set[str]:
    return {r.number for r in rows if r.number}


# --------------------------------------------------------------------------------------------
# whistles


def test_a_department_sees_only_the_whistles_that_summoned_it(
    whistles: Whistles, cast: Any, officer_s1: Any, department_head: Any
) -> None:
    ws = whistles
    assert seen(cast.department_officer) == numbers(ws.both, ws.district, ws.west)
    assert seen(department_head) == numbers(ws.both, ws.district, ws.west)
    assert seen(officer_s1) == numbers(ws.both, ws.community)
    # 东街道执法队 cannot open a whistle that summoned only 区城管委.
    with pytest.raises(NotFound):
        selectors.find_whistle(officer_s1, ws.district.number)
    assert selectors.find_whistle(officer_s1, ws.both.number) == ws.both


def test_the_territory_sees_what_was_blown_inside_it(
    whistles: Whistles, cast: Any, s2_leader: Any
) -> None:
    ws = whistles
    s1_all = numbers(ws.both, ws.district, ws.community)
    assert seen(cast.street_leader) == s1_all
    assert seen(cast.street_dispatcher) == s1_all
    assert seen(cast.community_secretary) == numbers(ws.community)
    assert seen(cast.community_staff) == numbers(ws.community)
    assert seen(cast.outsider) == numbers(ws.west)  # S2's dispatcher: none of S1's
    assert seen(s2_leader) == numbers(ws.west)
    for number in s1_all:
        with pytest.raises(NotFound):
            selectors.find_whistle(cast.outsider, number)


@pytest.mark.parametrize(
    "who",
    [
        "resident",
        "grid_worker_a",
        "grid_worker_b",
        "building_head",
        "system_admin",
        "security_admin",
        "audit_admin",
    ],
)
def test_people_outside_see_no_whistle(whistles: Whistles, cast: Any, who: str) -> None:
    user = getattr(cast, who)
    assert seen(user) == set()
    assert not Summons.objects.visible_to(user).exists()
    assert not selectors.whistles_for(user).exists()
    assert not selectors.inbox(user).exists()
    with pytest.raises(NotFound):
        selectors.find_whistle(user, whistles.both.number)


def test_an_allied_unit_contact_sees_no_whistle(blow: Any, cast: Any, city: Any) -> None:
    c2_secretary = make_user(Role.COMMUNITY_SECRETARY, "c2_secretary", areas=[city.c2])
    with time_machine.travel(START, tick=False):
        blow(actor=c2_secretary, departments=[city.dept_s1.pk])
    assert seen(c2_secretary) != set()
    assert seen(cast.member_unit_contact) == set()  # the contact's scope is 东二社区
    assert not Summons.objects.visible_to(cast.member_unit_contact).exists()


def test_an_inactive_officer_sees_nothing(whistles: Whistles, cast: Any) -> None:
    cast.department_officer.is_active = False
    cast.department_officer.save()
    assert seen(cast.department_officer) == set()
    assert not selectors.inbox(cast.department_officer).exists()


# --------------------------------------------------------------------------------------------
# summonses and the inbox


def test_a_department_sees_only_its_own_summonses(
    whistles: Whistles, cast: Any, city: Any, officer_s1: Any, department_head: Any
) -> None:
    for user, department in (
        (cast.department_officer, city.dept_district),
        (department_head, city.dept_district),
        (officer_s1, city.dept_s1),
    ):
        visible = Summons.objects.visible_to(user)
        assert set(visible.values_list("department_id", flat=True)) == {department.pk}
        inbox = list(selectors.inbox(user))
        assert {s.department_id for s in inbox} == {department.pk}
        assert {s.pk for s in inbox} == set(visible.values_list("pk", flat=True))
    ws = whistles
    assert {s.whistle.number for s in selectors.inbox(cast.department_officer)} == numbers(
        ws.both, ws.district, ws.west
    )
    assert {s.whistle.number for s in selectors.inbox(officer_s1)} == numbers(ws.both, ws.community)


def test_the_territory_sees_every_summons_of_its_whistles(
    whistles: Whistles, cast: Any, city: Any
) -> None:
    ws = whistles
    s1 = Summons.objects.visible_to(cast.street_leader)
    assert set(s1.values_list("whistle_id", flat=True)) == {
        ws.both.pk,
        ws.district.pk,
        ws.community.pk,
    }
    assert s1.count() == 4
    c1 = Summons.objects.visible_to(cast.community_secretary)
    assert list(c1.values_list("whistle_id", flat=True)) == [ws.community.pk]
    assert set(Summons.objects.visible_to(cast.outsider).values_list("whistle_id", flat=True)) == {
        ws.west.pk
    }


def test_the_inbox_is_for_departments_only(whistles: Whistles, cast: Any) -> None:
    for user in (
        cast.street_leader,
        cast.street_dispatcher,
        cast.community_secretary,
        cast.outsider,
    ):
        assert not selectors.inbox(user).exists()


def test_find_summons_only_finds_a_summons_of_the_whistle(
    whistles: Whistles, cast: Any, city: Any
) -> None:
    whistle = selectors.find_whistle(cast.department_officer, whistles.district.number)
    assert selectors.find_summons(cast.department_officer, whistle, city.dept_district.pk)
    for bad in (city.dept_s1.pk, city.dept_s2.pk, "abc", None, 10**9):
        with pytest.raises(NotFound):
            selectors.find_summons(cast.department_officer, whistle, bad)


def test_the_inbox_puts_the_summonses_waiting_for_report_in_first(
    blow: Any, cast: Any, city: Any
) -> None:
    with time_machine.travel(START, tick=False):
        ended = blow(departments=[city.dept_district.pk])
        handling = blow(departments=[city.dept_district.pk])
        waiting_later = blow(kind="tough", departments=[city.dept_district.pk])
        waiting_soon = blow(departments=[city.dept_district.pk])

        def summons(whistle: Whistle) -> Summons:
            return Summons.objects.select_related("whistle", "department").get(whistle=whistle)

        for whistle in (ended, handling):
            w.summons_report_in(
                actor=cast.department_officer,
                summons=summons(whistle),
                mode="remote",
                commitment="处理中",
            )
        w.whistle_confirm(actor=cast.street_leader, whistle=ended)
    order = [s.whistle_id for s in selectors.inbox(cast.department_officer)]
    assert order == [waiting_soon.pk, waiting_later.pk, handling.pk, ended.pk]


# --------------------------------------------------------------------------------------------
# what each may do on a page


def test_available_actions_follow_the_side(
    whistles: Whistles, cast: Any, city: Any, officer_s1: Any
) -> None:
    ws = whistles
    whistle = selectors.find_whistle(cast.street_leader, ws.both.number)
    leader = selectors.available_actions(whistle, cast.street_leader)
    ids = {s.department_id: s.pk for s in whistle.summonses.all()}
    assert leader.confirm and set(leader.release) == set(ids.values())
    assert leader.rate_department == () and leader.report_in == ()
    officer = selectors.available_actions(
        selectors.find_whistle(cast.department_officer, ws.both.number), cast.department_officer
    )
    assert not officer.confirm and officer.release == ()
    assert officer.report_in == (ids[city.dept_district.pk],)
    assert officer.withdraw == (ids[city.dept_district.pk],)
    assert officer.rate_whistle == (ids[city.dept_district.pk],)
    # Community staff and the street's dispatcher read but do nothing.
    community = selectors.find_whistle(cast.community_staff, ws.community.number)
    assert selectors.available_actions(community, cast.community_staff) == selectors.Actions()
    assert selectors.available_actions(whistle, cast.street_dispatcher) == selectors.Actions()
    # The street leader acts on its community's whistle too; the community on its own.
    community_whistle = selectors.find_whistle(cast.street_leader, ws.community.number)
    assert selectors.available_actions(community_whistle, cast.street_leader).confirm
    assert selectors.available_actions(community_whistle, cast.community_secretary).confirm


# --------------------------------------------------------------------------------------------
# flags


@dataclass
class Flags:
    no_show: Flag  # 区城管委 on S1's whistle
    withdrawn: Flag  # 东街道执法队 left 东一社区's whistle
    west: Flag  # 西街道执法队 on S2's whistle
    ping_pong: Flag  # a ticket in building A1, returned by two grids


@pytest.fixture
def flags(whistles: Whistles, submit: Any, cast: Any, city: Any, officer_s1: Any) -> Flags:
    ws = whistles
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        w.summons_report_in(
            actor=cast.department_officer,
            summons=Summons.objects.select_related("whistle", "department").get(
                whistle=ws.both, department=city.dept_district
            ),
            mode="on_site",
            commitment="到",
        )
        w.summons_withdraw(
            actor=officer_s1,
            summons=Summons.objects.select_related("whistle", "department").get(
                whistle=ws.community
            ),
            note="人手不够",
        )
        officer_s2 = make_user(Role.DEPARTMENT_OFFICER, "s2_officer", departments=[city.dept_s2])
        for officer, whistle, department in (
            (officer_s1, ws.both, city.dept_s1),
            (officer_s2, ws.west, city.dept_s2),
        ):
            w.summons_report_in(
                actor=officer,
                summons=Summons.objects.select_related("whistle", "department").get(
                    whistle=whistle, department=department
                ),
                mode="remote",
                commitment="到",
            )
        ticket = submit()
        for grid, worker in ((city.grid_a, cast.grid_worker_a), (city.grid_b, cast.grid_worker_b)):
            t.ticket_dispatch(actor=cast.street_dispatcher, ticket=ticket, to=grid)
            t.ticket_return(actor=worker, ticket=ticket, reason="不归我们")
    # 区城管委 never came to the district-only whistle nor to S2's: escalated.
    counts = sweep_whistles(START + timedelta(minutes=31))
    assert counts == {"reminded": 0, "escalated": 2, "ping_pong": 1}
    return Flags(
        no_show=Flag.objects.get(kind=FlagKind.NO_SHOW, summons__whistle=ws.district),
        withdrawn=Flag.objects.get(kind=FlagKind.WITHDRAWN),
        west=Flag.objects.get(kind=FlagKind.NO_SHOW, summons__whistle=ws.west),
        ping_pong=Flag.objects.get(kind=FlagKind.PING_PONG),
    )


def flag_ids(user: Any) -> set[int]:
    return set(selectors.flags_for(user).values_list("pk", flat=True))


def ids(*rows: Flag) -> set[int]:
    return {r.pk for r in rows}


def test_the_street_leader_supervises_the_flags_of_the_street(
    flags: Flags, cast: Any, s2_leader: Any
) -> None:
    assert flag_ids(cast.street_leader) == ids(flags.no_show, flags.withdrawn, flags.ping_pong)
    # The west flag is 区城管委's, but raised in S2: S2's leader sees it, S1's does not.
    assert flag_ids(s2_leader) == ids(flags.west)


def test_a_department_sees_its_own_flags(
    flags: Flags, cast: Any, officer_s1: Any, department_head: Any
) -> None:
    assert flag_ids(cast.department_officer) == ids(flags.no_show, flags.west)
    assert flag_ids(department_head) == ids(flags.no_show, flags.west)
    assert flag_ids(officer_s1) == ids(flags.withdrawn)


@pytest.mark.parametrize(
    "who", ["resident", "system_admin", "security_admin", "audit_admin", "member_unit_contact"]
)
def test_outsiders_see_no_flag(flags: Flags, cast: Any, who: str) -> None:
    assert flag_ids(getattr(cast, who)) == set()


@pytest.mark.parametrize("who", ["grid_worker_a", "building_head"])
def test_flags_are_not_for_people_who_read_no_whistle(flags: Flags, cast: Any, who: str) -> None:
    assert flag_ids(getattr(cast, who)) == set()


@pytest.mark.parametrize("who", ["community_staff", "community_secretary", "street_dispatcher"])
def test_flags_are_the_street_leaders_and_the_departments_only(
    flags: Flags, cast: Any, who: str
) -> None:
    assert flag_ids(getattr(cast, who)) == set()


def test_flags_can_be_read_in_any_state(flags: Flags, cast: Any) -> None:
    w.flag_clear(actor=cast.street_leader, flag=flags.withdrawn, note="核实属实")
    assert flag_ids(cast.street_leader) == ids(flags.no_show, flags.ping_pong)
    everything = set(selectors.flags_for(cast.street_leader, state="").values_list("pk", flat=True))
    assert everything == ids(flags.no_show, flags.withdrawn, flags.ping_pong)


def test_lists_cost_the_same_for_any_number_of_rows(
    flags: Flags, cast: Any, django_assert_max_num_queries: Any
) -> None:
    from grassroots.accounts.models import User

    officer = User.objects.get(pk=cast.department_officer.pk)  # no scope cached yet
    with django_assert_max_num_queries(3):  # the scope (2), the rows with what they show
        rows = list(selectors.inbox(officer))
        assert [(s.whistle.area.name, s.whistle.whistler.username, s.department.code) for s in rows]
    leader = User.objects.get(pk=cast.street_leader.pk)
    with django_assert_max_num_queries(3):
        shown = [
            (f.department, f.summons and f.summons.whistle.number, f.ticket, f.street)
            for f in selectors.flags_for(leader)
        ]
        assert len(shown) == 3
    with django_assert_max_num_queries(4):  # + the summonses with their departments
        whistles = list(selectors.whistles_for(leader))
        assert [
            (x.area.name, x.whistler.username, [s.department.code for s in x.summonses.all()])
            for x in whistles
        ]
