"""Monthly measures of 吹哨报到 against a fixture whose every number is worked out by hand
below, the monthly snapshot, and the league table.

The month is November 2026 (Asia/Shanghai). Departments: D = 区城管委 (DCGW, district),
S = 东街道执法队 (S1ZF, street S1), W = 西街道执法队 (S2ZF, street S2). All times local.

  W0  Oct 31 23:59  应急  S1  D: reports Nov 1 00:45 (46 min, deadline 00:29 → 16 min late,
                               a late_report_in flag raised Nov 1); stays reported.
                               D rates W0 "not necessary" (in November).
  W1  Nov 2 09:00   应急  S1  D: reports 09:12 (12 min, on time).
                               S: reports 09:50 (50 min, deadline 09:30 → late flag Nov 2).
                               Confirmed 11:00 → both confirmed.
                               Leader rates D 5/5/4, S 2/3/4. D: necessary; S: not necessary.
  W2  Nov 3 14:00   攻坚  S1  D: never reports (deadline Nov 4 14:00); the sweep at 14:05
                               escalates it (no_show flag Nov 4); released Nov 5 10:00;
                               the whistle confirmed 10:05. Leader rates D 1/1/1.
  W3  Nov 10 10:00  日常  S1  deadline: 2 working days → Nov 12 24:00.
                               D: reports Nov 11 10:00 (1440 min, on time), withdraws 15:00
                               (withdrawn flag Nov 11).
                               S: released Nov 10 12:00 before its deadline, never reported.
                               S rates W3 "necessary".
  W5  Nov 15 10:00  应急  S2  W: reports 10:05 (5 min); confirmed 10:30. Leader rates W
                               4/4/4; W: necessary.
  W6  Nov 20 10:00  应急  S1  S: reports 10:20 (20 min); still being handled.
  W4  Nov 30 11:50  应急  S1  D: summoned, deadline 12:20, not yet due at NOW = Nov 30 12:00.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from grassroots.accounts.models import Role
from grassroots.territory.services import department_create
from grassroots.whistles import services as w
from grassroots.whistles.measures import (
    department_measures,
    league,
    snapshot_month,
    snapshot_recent,
    street_measures,
)
from grassroots.whistles.models import Flag, MeasureSnapshot, Summons, Whistle
from grassroots.whistles.sweep import sweep_whistles
from tests.conftest import make_user

LOCAL = ZoneInfo("Asia/Shanghai")
NOVEMBER = date(2026, 11, 1)
OCTOBER = date(2026, 10, 1)
pytestmark = pytest.mark.django_db


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL)  # type: ignore[misc]


NOW = local(2026, 11, 30, 12, 0)


@dataclass
class Month:
    d: Any
    s: Any
    w: Any
    s2_leader: Any
    whistles: dict[str, Whistle]


def summons_of(whistle: Whistle, department: Any) -> Summons:
    return Summons.objects.select_related("whistle", "department").get(
        whistle=whistle, department=department
    )


@pytest.fixture
def month(blow: Any, cast: Any, city: Any, officer_s1: Any) -> Month:
    D, S, W = city.dept_district, city.dept_s1, city.dept_s2
    leader = cast.street_leader
    s2_leader = make_user(Role.STREET_LEADER, "s2_leader", areas=[city.s2])
    officer_w = make_user(Role.DEPARTMENT_OFFICER, "s2_officer", departments=[W])
    officer_d = cast.department_officer
    made: dict[str, Whistle] = {}

    def when(*args: int) -> Any:
        return time_machine.travel(local(*args), tick=False)

    def report(officer: Any, name: str, department: Any) -> None:
        w.summons_report_in(
            actor=officer,
            summons=summons_of(made[name], department),
            mode="on_site",
            commitment="到场处置",
        )

    def rate(name: str, department: Any, *scores: int) -> None:
        t, a, r = scores
        w.department_rate(
            actor=made[name].whistler,
            summons=summons_of(made[name], department),
            timeliness=t,
            attitude=a,
            result=r,
        )

    def necessary(officer: Any, name: str, department: Any, yes: bool) -> None:
        w.whistle_rate(
            actor=officer,
            summons=summons_of(made[name], department),
            necessary=yes,
            comment="" if yes else "本可自行处理",
        )

    with when(2026, 10, 31, 23, 59):
        made["W0"] = blow(departments=[D.pk])
    with when(2026, 11, 1, 0, 45):
        report(officer_d, "W0", D)
        necessary(officer_d, "W0", D, False)

    with when(2026, 11, 2, 9, 0):
        made["W1"] = blow(departments=[D.pk, S.pk])
    with when(2026, 11, 2, 9, 12):
        report(officer_d, "W1", D)
    with when(2026, 11, 2, 9, 50):
        report(officer_s1, "W1", S)
    with when(2026, 11, 2, 11, 0):
        w.whistle_confirm(actor=leader, whistle=made["W1"], note="已解决")
        rate("W1", D, 5, 5, 4)
        rate("W1", S, 2, 3, 4)
        necessary(officer_d, "W1", D, True)
        necessary(officer_s1, "W1", S, False)

    with when(2026, 11, 3, 14, 0):
        made["W2"] = blow(kind="tough", departments=[D.pk])
    assert sweep_whistles(local(2026, 11, 4, 14, 5))["escalated"] == 1
    with when(2026, 11, 5, 10, 0):
        w.summons_release(actor=leader, summons=summons_of(made["W2"], D), note="改由街道处理")
    with when(2026, 11, 5, 10, 5):
        w.whistle_confirm(actor=leader, whistle=Whistle.objects.get(pk=made["W2"].pk))
        rate("W2", D, 1, 1, 1)

    with when(2026, 11, 10, 10, 0):
        made["W3"] = blow(kind="routine", departments=[D.pk, S.pk])
    with when(2026, 11, 10, 12, 0):
        w.summons_release(actor=leader, summons=summons_of(made["W3"], S), note="不需要执法队")
        necessary(officer_s1, "W3", S, True)
    with when(2026, 11, 11, 10, 0):
        report(officer_d, "W3", D)
    with when(2026, 11, 11, 15, 0):
        w.summons_withdraw(actor=officer_d, summons=summons_of(made["W3"], D), note="另有任务")

    with when(2026, 11, 15, 10, 0):
        made["W5"] = blow(actor=s2_leader, departments=[W.pk])
    with when(2026, 11, 15, 10, 5):
        report(officer_w, "W5", W)
        necessary(officer_w, "W5", W, True)
    with when(2026, 11, 15, 10, 30):
        w.whistle_confirm(actor=s2_leader, whistle=made["W5"])
        rate("W5", W, 4, 4, 4)

    with when(2026, 11, 20, 10, 0):
        made["W6"] = blow(departments=[S.pk])
    with when(2026, 11, 20, 10, 20):
        report(officer_s1, "W6", S)

    with when(2026, 11, 30, 11, 50):
        made["W4"] = blow(departments=[D.pk])
    return Month(D, S, W, s2_leader, made)


def test_the_fixture_is_what_the_arithmetic_assumes(month: Month) -> None:
    made = month.whistles
    assert summons_of(made["W3"], month.d).report_by == local(2026, 11, 13)  # Nov 12 24:00
    assert summons_of(made["W2"], month.d).report_by == local(2026, 11, 4, 14, 0)
    flags = sorted(
        (f.department.code, f.kind, timezone_local(f.created_at))
        for f in Flag.objects.select_related("department")
    )
    assert flags == [
        ("DCGW", "late_report_in", local(2026, 11, 1, 0, 45)),
        ("DCGW", "no_show", local(2026, 11, 4, 14, 5)),
        ("DCGW", "withdrawn", local(2026, 11, 11, 15, 0)),
        ("S1ZF", "late_report_in", local(2026, 11, 2, 9, 50)),
    ]
    assert Flag.objects.get(kind="late_report_in", department=month.d).data == {
        "late_minutes": 16  # 00:45 − 00:29
    }


def timezone_local(at: datetime) -> datetime:
    return at.astimezone(LOCAL)


def test_department_measures_of_the_month(month: Month) -> None:
    d, s, w_ = department_measures([month.d, month.s, month.w], NOVEMBER, now=NOW)
    assert (d.department_id, d.code, d.name, d.month) == (month.d.pk, "DCGW", "区城管委", "2026-11")

    # D: received W1, W2, W3, W4 = 4 (W0 was made on Oct 31 at 23:59 local: October's).
    assert d.received == 4
    # reported: W1, W3 = 2; due: those 2 + W2 (deadline Nov 4, never reported) = 3;
    # W4's deadline (12:20) is after NOW, so not due yet.
    assert (d.reported, d.due) == (2, 3)
    # on time: W1 (09:12 ≤ 09:30), W3 (Nov 11 10:00 ≤ Nov 13 00:00) = 2 → 2/3 = 0.6667.
    assert d.on_time == 2 and d.on_time_rate == 0.6667
    # minutes to report in: (12 + 1440) / 2 = 726.0.
    assert d.minutes_to_report == 726.0
    # ended: W1 confirmed, W2 released, W3 withdrawn = 3 (W4 open); solved: W1 → 1/3.
    assert (d.ended, d.solved, d.solved_share) == (3, 1, 0.3333)
    # ratings: W1 5/5/4 and W2 1/1/1 → means 3, 3, 2.5 → (3 + 3 + 2.5) / 3 = 2.83.
    assert (d.ratings, d.rating) == (2, 2.83)
    # flags raised in November: W0's late report-in (Nov 1, though W0 is October's), W2's
    # no-show, W3's withdrawal = 3.
    assert d.flags == 3

    # S: received W1, W3, W6 = 3; reported W1, W6 = 2.
    assert (s.received, s.reported) == (3, 2)
    # on time: W6 only (W1 came at 09:50 > 09:30).
    assert s.on_time == 1
    # minutes: (50 + 20) / 2 = 35.0.
    assert s.minutes_to_report == 35.0
    # ended: W1 confirmed, W3 released = 2 (W6 still open); solved: W1 → 1/2.
    assert (s.ended, s.solved, s.solved_share) == (2, 1, 0.5)
    # rating: W1 2/3/4 → 3.0. Flags: W1's late report-in.
    assert (s.ratings, s.rating, s.flags) == (1, 3.0, 1)

    # W: one summons (W5), 5 minutes, on time, confirmed, rated 4/4/4, no flag.
    assert w_.as_dict() == {
        "department_id": month.w.pk,
        "code": "S2ZF",
        "name": "西街道执法队",
        "month": "2026-11",
        "received": 1,
        "due": 1,
        "on_time": 1,
        "reported": 1,
        "minutes_to_report": 5.0,
        "ended": 1,
        "solved": 1,
        "ratings": 1,
        "rating": 4.0,
        "flags": 0,
        "on_time_rate": 1.0,
        "solved_share": 1.0,
    }


def test_a_summons_released_before_its_deadline_is_never_due(month: Month) -> None:
    [s] = department_measures([month.s], NOVEMBER, now=NOW)
    # due: W1, W6 (reported). W3 was released on Nov 10 before its deadline (Nov 13): not due.
    assert s.due == 2
    # on time: W6 of W1, W6 → 1/2.
    assert s.on_time_rate == 0.5


def test_the_previous_month_holds_the_summons_made_at_2359(month: Month) -> None:
    [d] = department_measures([month.d], OCTOBER, now=NOW)
    # W0 only: made Oct 31 23:59 local (15:59 UTC), reported 46 minutes later, 16 late.
    assert (d.received, d.reported, d.due, d.on_time, d.on_time_rate) == (1, 1, 1, 0, 0.0)
    assert d.minutes_to_report == 46.0
    assert (d.ended, d.solved, d.solved_share) == (0, 0, None)  # still being handled
    assert (d.ratings, d.rating) == (0, None)
    assert d.flags == 0  # its flag was raised on Nov 1


def test_a_month_is_the_local_month(blow: Any, city: Any) -> None:
    # Dec 1 07:00 in Beijing is Nov 30 23:00 UTC: December's, not November's.
    with time_machine.travel(local(2026, 12, 1, 7, 0), tick=False):
        blow(departments=[city.dept_s1.pk])
    # Nov 1 00:00 in Beijing is Oct 31 16:00 UTC: November's.
    with time_machine.travel(local(2026, 11, 1, 0, 0), tick=False):
        blow(departments=[city.dept_s1.pk])
    now = local(2026, 12, 1, 8, 0)
    [nov] = department_measures([city.dept_s1], NOVEMBER, now=now)
    [dec] = department_measures([city.dept_s1], date(2026, 12, 1), now=now)
    [oct_] = department_measures([city.dept_s1], OCTOBER, now=now)
    assert (oct_.received, nov.received, dec.received) == (0, 1, 1)
    [s1_nov] = street_measures([city.s1], NOVEMBER)
    [s1_dec] = street_measures([city.s1], date(2026, 12, 1))
    assert (s1_nov.whistles, s1_dec.whistles) == (1, 1)


def test_a_department_never_summoned_has_no_rates(month: Month) -> None:
    quiet = department_create(actor=None, area=month.d.area, code="QUIET", name="区水务局")
    [row] = department_measures([quiet], NOVEMBER, now=NOW)
    assert row.as_dict() == {
        "department_id": quiet.pk,
        "code": "QUIET",
        "name": "区水务局",
        "month": "2026-11",
        "received": 0,
        "due": 0,
        "on_time": 0,
        "reported": 0,
        "minutes_to_report": None,
        "ended": 0,
        "solved": 0,
        "ratings": 0,
        "rating": None,
        "flags": 0,
        "on_time_rate": None,
        "solved_share": None,
    }


def test_street_measures_of_the_month(month: Month, city: Any) -> None:
    s1, s2 = street_measures([city.s1, city.s2], NOVEMBER)
    # S1 blew W1 (应急), W2 (攻坚), W3 (日常), W6 (应急), W4 (应急) in November; W0 is October's.
    assert (s1.street_id, s1.code, s1.name, s1.month) == (city.s1.pk, "S1", "东街道", "2026-11")
    assert s1.whistles == 5
    assert s1.by_kind == {"emergency": 3, "tough": 1, "routine": 1}
    # Rated by the departments: W1 by D (necessary) and S (not), W3 by S (necessary) = 2 of 3.
    # D's "not necessary" on W0 is October's whistle: not counted.
    assert (s1.rated, s1.necessary, s1.necessary_share) == (3, 2, 0.6667)
    assert s2.as_dict() == {
        "street_id": city.s2.pk,
        "code": "S2",
        "name": "西街道",
        "month": "2026-11",
        "whistles": 1,
        "by_kind": {"routine": 0, "tough": 0, "emergency": 1},
        "rated": 1,
        "necessary": 1,
        "necessary_share": 1.0,
    }
    [s1_october] = street_measures([city.s1], OCTOBER)
    assert s1_october.by_kind == {"emergency": 1, "tough": 0, "routine": 0}
    assert (s1_october.rated, s1_october.necessary, s1_october.necessary_share) == (1, 0, 0.0)


def test_the_league_puts_the_best_first_and_the_unsummoned_last(month: Month) -> None:
    quiet = department_create(actor=None, area=month.d.area, code="AAA", name="区水务局")
    with time_machine.travel(NOW, tick=False):
        rows = league([quiet, month.s, month.d, month.w], NOVEMBER)
    # W: on time 1.0; D: 0.6667; S: at most 0.5; the department nobody summoned comes last
    # although its code sorts first.
    assert [r.code for r in rows] == ["S2ZF", "DCGW", "S1ZF", "AAA"]


def test_the_league_prefers_the_solved_share_when_on_time_rates_tie(
    blow: Any, cast: Any, city: Any
) -> None:
    """Both came on time; the one whose summons ended in a solved problem ranks first, even
    when the other is rated better."""
    second = department_create(actor=None, area=city.district, code="DCGW2", name="区住建委")
    officer_2 = make_user(Role.DEPARTMENT_OFFICER, "jw_officer", departments=[second])
    with time_machine.travel(local(2026, 11, 24, 9, 0), tick=False):
        whistle = blow(departments=[city.dept_district.pk, second.pk])
        for officer, department in (
            (cast.department_officer, city.dept_district),
            (officer_2, second),
        ):
            w.summons_report_in(
                actor=officer,
                summons=summons_of(whistle, department),
                mode="remote",
                commitment="到",
            )
        w.summons_release(
            actor=cast.street_leader, summons=summons_of(whistle, second), note="放行"
        )
        w.whistle_confirm(actor=cast.street_leader, whistle=Whistle.objects.get(pk=whistle.pk))
        w.department_rate(
            actor=cast.street_leader,
            summons=summons_of(whistle, second),
            timeliness=5,
            attitude=5,
            result=5,
        )
        w.department_rate(
            actor=cast.street_leader,
            summons=summons_of(whistle, city.dept_district),
            timeliness=3,
            attitude=3,
            result=3,
        )
    with time_machine.travel(local(2026, 11, 24, 10, 0), tick=False):
        rows = league([second, city.dept_district], NOVEMBER)
    assert [(r.code, r.on_time_rate, r.solved_share, r.rating) for r in rows] == [
        ("DCGW", 1.0, 1.0, 3.0),
        ("DCGW2", 1.0, 0.0, 5.0),
    ]


def test_the_league_order_of_keys(monkeypatch: Any, city: Any) -> None:
    """On-time rate, then solved share, then rating, then fewer flags, then the code; the
    departments nobody summoned last. (The rows stand in for `department_measures`.)"""
    from grassroots.whistles import measures
    from grassroots.whistles.measures import DepartmentMeasures

    def row(code: str, **kw: Any) -> DepartmentMeasures:
        return DepartmentMeasures(0, code, code, "2026-11", **kw)

    rows = [
        row("Z-none"),
        row("A-none"),
        row("flags2", received=1, due=1, on_time=1, ended=1, solved=1, rating=4.0, flags=2),
        row("flags1", received=1, due=1, on_time=1, ended=1, solved=1, rating=4.0, flags=1),
        row("rated5", received=1, due=1, on_time=1, ended=1, solved=1, rating=5.0, flags=3),
        row("unrated", received=1, due=1, on_time=1, ended=1, solved=1, rating=None),
        row("unsolved", received=1, due=1, on_time=1, ended=1, solved=0, rating=5.0),
        row("late", received=1, due=1, on_time=0, ended=1, solved=1, rating=5.0),
        row("b-tie", received=1, due=1, on_time=1, ended=1, solved=1, rating=4.0, flags=1),
    ]
    monkeypatch.setattr(measures, "department_measures", lambda departments, month: rows)
    order = [r.code for r in league([], NOVEMBER)]
    assert order == [
        "rated5",
        "b-tie",
        "flags1",
        "flags2",
        "unrated",
        "unsolved",
        "late",
        "A-none",
        "Z-none",
    ]


def test_snapshot_month_writes_one_row_per_active_department_and_street(
    month: Month, city: Any
) -> None:
    retired = department_create(actor=None, area=city.district, code="OLD", name="已撤并部门")
    retired.is_active = False
    retired.save()
    at = local(2026, 12, 1, 1, 40)
    with time_machine.travel(at, tick=False):
        assert snapshot_month(NOVEMBER) == {"departments": 3, "streets": 2}
    rows = MeasureSnapshot.objects.filter(month=NOVEMBER)
    assert rows.count() == 5
    assert set(rows.exclude(department=None).values_list("department__code", flat=True)) == {
        "DCGW",
        "S1ZF",
        "S2ZF",
    }
    assert set(rows.exclude(street=None).values_list("street__code", flat=True)) == {"S1", "S2"}
    assert all(r.computed_at == at for r in rows)
    # The stored figures are the measures as computed at that moment: by Dec 1, W4's deadline
    # (Nov 30 12:20) has passed, so D has 4 due of which 2 on time.
    d = rows.get(department=month.d).data
    expected = department_measures([month.d], NOVEMBER, now=at)[0].as_dict()
    assert d == expected
    assert (d["received"], d["due"], d["on_time"], d["on_time_rate"]) == (4, 4, 2, 0.5)
    s1 = rows.get(street=city.s1).data
    assert s1["by_kind"] == {"emergency": 3, "tough": 1, "routine": 1}
    assert s1["necessary_share"] == 0.6667
    # Replacing is idempotent: the same rows again, one per unit.
    first = {(r.department_id, r.street_id): r.data for r in rows}
    with time_machine.travel(at + timedelta(hours=1), tick=False):
        assert snapshot_month(NOVEMBER) == {"departments": 3, "streets": 2}
    again = MeasureSnapshot.objects.filter(month=NOVEMBER)
    assert again.count() == 5
    assert {(r.department_id, r.street_id): r.data for r in again} == first
    # Other months are left alone.
    with time_machine.travel(at, tick=False):
        snapshot_month(OCTOBER)
    assert MeasureSnapshot.objects.filter(month=NOVEMBER).count() == 5
    assert MeasureSnapshot.objects.filter(month=OCTOBER).count() == 5


def test_snapshot_recent_covers_last_month_and_this_one(month: Month) -> None:
    with time_machine.travel(local(2026, 12, 1, 1, 40), tick=False):
        assert snapshot_recent() == {"departments": 6, "streets": 4}
    months = set(MeasureSnapshot.objects.values_list("month", flat=True))
    assert months == {NOVEMBER, date(2026, 12, 1)}
    december = MeasureSnapshot.objects.get(month=date(2026, 12, 1), department=month.d).data
    assert december["received"] == 0


def test_the_nightly_task_snapshots(month: Month) -> None:
    from grassroots.whistles.tasks import snapshot_whistle_measures

    with time_machine.travel(local(2026, 11, 30, 1, 40), tick=False):
        assert snapshot_whistle_measures.call_local() == {"departments": 6, "streets": 4}
    assert set(MeasureSnapshot.objects.values_list("month", flat=True)) == {OCTOBER, NOVEMBER}


def test_measures_cost_the_same_for_any_number_of_units(
    month: Month, city: Any, django_assert_max_num_queries: Any
) -> None:
    departments = [month.d, month.s, month.w]
    with django_assert_max_num_queries(5):  # grouped counts, minutes, ratings, flags
        department_measures(departments, NOVEMBER, now=NOW)
    with django_assert_max_num_queries(2):  # whistles by kind, ratings of the whistles
        street_measures([city.s1, city.s2], NOVEMBER)


def test_a_communitys_whistles_count_for_its_street(blow: Any, cast: Any, city: Any) -> None:
    with time_machine.travel(local(2026, 11, 24, 9, 0), tick=False):
        blow(actor=cast.community_secretary, kind="tough", departments=[city.dept_s1.pk])
    s1, s2 = street_measures([city.s1, city.s2], NOVEMBER)
    assert (s1.whistles, s1.by_kind["tough"], s2.whistles) == (1, 1, 0)
