"""Report-in deadlines per whistle kind (settings WHISTLE_*; default 应急 30 minutes, 攻坚 24
hours, 日常 2 working days on the official calendar), and the reminder half-way."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from grassroots.core.models import CalendarDay
from grassroots.whistles.models import Summons, Whistle
from grassroots.whistles.services import report_in_deadline

LOCAL = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL)  # type: ignore[misc]


def blown_at(blow: Any, at: datetime, kind: str) -> Whistle:
    with time_machine.travel(at, tick=False):
        return blow(kind=kind)  # type: ignore[no-any-return]


def clocks(whistle: Whistle) -> set[tuple[datetime, datetime]]:
    """(report_by, remind_at) of every summons: the same for each department of a whistle."""
    return {(s.report_by, s.remind_at) for s in Summons.objects.filter(whistle=whistle)}


def test_emergency_is_thirty_minutes(blow: Any) -> None:
    start = local(2026, 11, 24, 10, 7, 30)
    whistle = blown_at(blow, start, "emergency")
    assert clocks(whistle) == {(local(2026, 11, 24, 10, 37, 30), local(2026, 11, 24, 10, 22, 30))}


def test_emergency_at_2350_runs_past_midnight(blow: Any) -> None:
    # 23:50 in Beijing is 15:50 UTC: the deadline is 00:20 local of the next day, not of the
    # UTC day, and nothing waits for working hours.
    whistle = blown_at(blow, local(2026, 11, 24, 23, 50), "emergency")
    assert clocks(whistle) == {(local(2026, 11, 25, 0, 20), local(2026, 11, 25, 0, 5))}
    assert whistle.number.startswith("WS-20261124-")


def test_emergency_on_a_holiday_night_is_still_thirty_minutes(blow: Any) -> None:
    whistle = blown_at(blow, local(2026, 10, 1, 23, 50), "emergency")  # 国庆
    assert clocks(whistle) == {(local(2026, 10, 2, 0, 20), local(2026, 10, 2, 0, 5))}


def test_tough_is_twenty_four_hours_even_over_a_holiday(blow: Any) -> None:
    whistle = blown_at(blow, local(2026, 9, 30, 16, 0), "tough")
    assert clocks(whistle) == {(local(2026, 10, 1, 16, 0), local(2026, 10, 1, 4, 0))}


def test_routine_friday_ends_tuesday_night(blow: Any) -> None:
    # Friday Nov 20, 2026: Monday 23 and Tuesday 24 are the two working days → 24:00 Tuesday.
    start = local(2026, 11, 20, 10, 0)
    whistle = blown_at(blow, start, "routine")
    report_by = local(2026, 11, 25)
    assert clocks(whistle) == {(report_by, start + (report_by - start) / 2)}
    assert report_by - start == timedelta(days=4, hours=14)
    assert start + (report_by - start) / 2 == local(2026, 11, 22, 17, 0)


def test_routine_before_national_day(blow: Any) -> None:
    """Blown on Wednesday Sep 30, 2026, the working day before 国庆 (Oct 1–7 off, per
    chinesecalendar): the two working days are Thursday Oct 8 and Friday Oct 9."""
    import chinese_calendar

    assert chinese_calendar.is_workday(local(2026, 9, 30).date())
    assert not any(chinese_calendar.is_workday(local(2026, 10, d).date()) for d in range(1, 8))
    start = local(2026, 9, 30, 15, 0)
    whistle = blown_at(blow, start, "routine")
    report_by = local(2026, 10, 10)  # 24:00 of Friday Oct 9
    assert clocks(whistle) == {(report_by, start + (report_by - start) / 2)}


def test_routine_late_at_night_counts_from_the_local_day(blow: Any) -> None:
    # 00:30 on Tuesday Nov 24 in Beijing is still Monday in UTC: the start day is the local
    # one (Tuesday), so Wednesday and Thursday are the two working days.
    whistle = blown_at(blow, local(2026, 11, 24, 0, 30), "routine")
    assert {r for r, _ in clocks(whistle)} == {local(2026, 11, 27)}


def test_routine_before_an_administrators_holiday(blow: Any) -> None:
    """A holiday the administrators entered (CalendarDay) wins over the library: with Monday
    Nov 23 off, a Friday whistle runs to the end of Wednesday."""
    CalendarDay.objects.create(day=local(2026, 11, 23).date(), is_working_day=False, note="假日")
    whistle = blown_at(blow, local(2026, 11, 20, 10, 0), "routine")
    assert {r for r, _ in clocks(whistle)} == {local(2026, 11, 26)}


def test_routine_over_an_adjusted_working_saturday(blow: Any) -> None:
    CalendarDay.objects.create(day=local(2026, 11, 21).date(), is_working_day=True, note="调休")
    whistle = blown_at(blow, local(2026, 11, 20, 10, 0), "routine")
    assert {r for r, _ in clocks(whistle)} == {local(2026, 11, 24)}  # Saturday 21, Monday 23


def test_routine_in_a_year_only_the_administrators_know(blow: Any) -> None:
    """2027 is past chinesecalendar's data; the administrators' table says Jan 1–3 are off."""
    for day in (1, 2, 3):
        CalendarDay.objects.create(day=local(2027, 1, day).date(), is_working_day=False)
    whistle = blown_at(blow, local(2026, 12, 31, 9, 0), "routine")
    assert {r for r, _ in clocks(whistle)} == {local(2027, 1, 6)}  # Monday 4, Tuesday 5


def test_settings_change_every_deadline(blow: Any, settings: Any) -> None:
    settings.WHISTLE_EMERGENCY_MINUTES = 15
    settings.WHISTLE_TOUGH_HOURS = 12
    settings.WHISTLE_ROUTINE_WORKING_DAYS = 3
    start = local(2026, 11, 20, 10, 0)  # Friday
    assert clocks(blown_at(blow, start, "emergency")) == {
        (start + timedelta(minutes=15), start + timedelta(minutes=7, seconds=30))
    }
    assert clocks(blown_at(blow, start, "tough")) == {
        (start + timedelta(hours=12), start + timedelta(hours=6))
    }
    routine = blown_at(blow, start, "routine")
    assert {r for r, _ in clocks(routine)} == {local(2026, 11, 26)}  # Mon, Tue, Wed


@pytest.mark.parametrize(
    ("kind", "start", "expected"),
    [
        ("emergency", local(2026, 11, 24, 23, 50), local(2026, 11, 25, 0, 20)),
        ("tough", local(2026, 11, 24, 23, 50), local(2026, 11, 25, 23, 50)),
        ("routine", local(2026, 11, 24, 23, 50), local(2026, 11, 27)),
        ("routine", local(2026, 9, 30, 8, 0), local(2026, 10, 10)),
        ("routine", local(2026, 10, 9, 8, 0), local(2026, 10, 13)),  # Sat Oct 10 is 调休 work
    ],
)
def test_report_in_deadline(kind: str, start: datetime, expected: datetime) -> None:
    assert report_in_deadline(kind, start) == expected
    # Aware in, the same instant whatever zone it is given in.
    assert report_in_deadline(kind, start.astimezone(ZoneInfo("UTC"))) == expected


def test_every_summons_of_a_whistle_shares_the_clock(blow: Any, city: Any) -> None:
    whistle = blown_at(blow, local(2026, 11, 24, 9, 0), "tough")
    rows = list(Summons.objects.filter(whistle=whistle))
    assert len(rows) == 2
    assert len(clocks(whistle)) == 1
    assert all(s.created_at == whistle.created_at == local(2026, 11, 24, 9, 0) for s in rows)
