"""Deadlines on the Chinese working-day calendar, across the 2026 holidays and 调休 days."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from grassroots.core.models import CalendarDay
from grassroots.core.worktime import deadline, deadline_info

BJ = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, h: int = 10, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=BJ)


def end_of(y: int, m: int, d: int) -> datetime:
    """24:00 of that day, as the first instant of the next."""
    from datetime import timedelta

    return datetime(y, m, d, tzinfo=BJ) + timedelta(days=1)


def test_hours_are_calendar_time(db: Any) -> None:
    assert deadline(at(2026, 9, 30, 23), 2, "hours") == at(2026, 10, 1, 1)
    assert deadline(at(2026, 10, 1, 9), 24, "hours") == at(2026, 10, 2, 9)


def test_aware_in_and_aware_out_whatever_the_zone(db: Any) -> None:
    utc = datetime(2026, 11, 27, 17, 0, tzinfo=ZoneInfo("UTC"))  # 01:00 on the 28th in Beijing
    # The start day is the Beijing date (Saturday 28th); next working day is Monday 30th.
    assert deadline(utc, 1, "working_days") == end_of(2026, 11, 30)
    with pytest.raises(ValueError):
        deadline(datetime(2026, 11, 27, 10), 1, "hours")  # naive
    with pytest.raises(ValueError):
        deadline(at(2026, 11, 27), 1, "weeks")
    with pytest.raises(ValueError):
        deadline(at(2026, 11, 27), 0, "days")


@pytest.mark.parametrize(
    "start,amount,expected",
    [
        # An ordinary week: Friday + 1 working day = Monday 24:00.
        (at(2026, 11, 27), 1, end_of(2026, 11, 30)),
        # National Day: 30 Sep + 1 → Oct 1–7 are off → Thursday 8 Oct.
        (at(2026, 9, 30), 1, end_of(2026, 10, 8)),
        # Counting through the holiday and the 调休 Saturday 10 Oct (a working day).
        (at(2026, 9, 30), 3, end_of(2026, 10, 10)),
        (at(2026, 9, 30), 5, end_of(2026, 10, 13)),
        # Started on a holiday: the holiday itself never counts.
        (at(2026, 10, 3), 1, end_of(2026, 10, 8)),
        # Spring Festival: 13 Feb + 1 → Saturday 14 Feb is a 调休 working day.
        (at(2026, 2, 13), 1, end_of(2026, 2, 14)),
        (at(2026, 2, 13), 2, end_of(2026, 2, 24)),
        # 5 working days from 23 Feb: 24, 25, 26, 27 and the 调休 Saturday 28 Feb.
        (at(2026, 2, 23), 5, end_of(2026, 2, 28)),
    ],
)
def test_working_days(db: Any, start: datetime, amount: int, expected: datetime) -> None:
    assert deadline(start, amount, "working_days") == expected


@pytest.mark.parametrize(
    "start,amount,expected",
    [
        # 7 days from Friday 20 Nov: the 27th, a Friday, a working day.
        (at(2026, 11, 20), 7, end_of(2026, 11, 27)),
        # 7 days from Sunday 22 Nov end on Sunday 29th: moved to Monday 30th.
        (at(2026, 11, 22), 7, end_of(2026, 11, 30)),
        # 7 days from 26 Sep end on 3 Oct, inside National Day: moved to Thursday 8 Oct.
        (at(2026, 9, 26), 7, end_of(2026, 10, 8)),
        # Ending on the 调休 Saturday 10 Oct: a working day, so it stands.
        (at(2026, 10, 3), 7, end_of(2026, 10, 10)),
        # 15 days from 8 Feb end on 23 Feb, the last Spring Festival day: moved to 24 Feb.
        (at(2026, 2, 8), 15, end_of(2026, 2, 24)),
        # Ending on the 调休 Saturday 28 Feb stands.
        (at(2026, 2, 21), 7, end_of(2026, 2, 28)),
    ],
)
def test_calendar_days_end_on_a_working_day(
    db: Any, start: datetime, amount: int, expected: datetime
) -> None:
    assert deadline(start, amount, "days") == expected


def test_administrators_override_the_library(db: Any) -> None:
    # Make Monday 30 Nov a holiday and Sunday 29 Nov a working day.
    CalendarDay.objects.create(day=date(2026, 11, 30), is_working_day=False, note="测试假日")
    CalendarDay.objects.create(day=date(2026, 11, 29), is_working_day=True, note="调休上班")
    assert deadline(at(2026, 11, 27), 1, "working_days") == end_of(2026, 11, 29)
    assert deadline(at(2026, 11, 27), 2, "working_days") == end_of(2026, 12, 1)
    assert deadline(at(2026, 11, 23), 7, "days") == end_of(2026, 12, 1)


def test_an_unknown_year_uses_monday_to_friday_and_says_so(db: Any) -> None:
    info = deadline_info(at(2027, 1, 1), 1, "working_days")  # 2027: not in the library
    assert info.at == end_of(2027, 1, 4) and info.provisional  # Friday → Monday
    known = deadline_info(at(2026, 11, 27), 1, "working_days")
    assert not known.provisional
    # Entered by an administrator, the year is no longer provisional for those days.
    for day in (date(2027, 1, 2), date(2027, 1, 3), date(2027, 1, 4)):
        CalendarDay.objects.create(day=day, is_working_day=day.day == 4)
    info = deadline_info(at(2027, 1, 1), 1, "working_days")
    assert info.at == end_of(2027, 1, 4) and not info.provisional


def test_the_corrections_are_read_once_and_forgotten_on_change(
    db: Any, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        deadline(at(2026, 9, 30), 15, "working_days")
    with django_assert_num_queries(0):
        deadline(at(2026, 9, 30), 15, "working_days")
        deadline(at(2026, 9, 30), 15, "hours")
    before = deadline(at(2026, 11, 26), 1, "working_days")
    assert before == end_of(2026, 11, 27)
    day = CalendarDay.objects.create(day=date(2026, 11, 27), is_working_day=False, note="测试")
    assert deadline(at(2026, 11, 26), 1, "working_days") == end_of(2026, 11, 30)
    day.delete()
    assert deadline(at(2026, 11, 26), 1, "working_days") == before


def test_the_calendar_is_edited_by_the_system_admin_only(cast: Any, login: Any) -> None:
    from grassroots.core.models import AuditEntry

    assert login(cast.audit_admin).get("/admin/core/calendarday/").status_code == 403
    assert login(cast.security_admin).get("/admin/core/calendarday/").status_code == 403
    client = login(cast.system_admin)
    assert client.get("/admin/core/calendarday/").status_code == 200
    response = client.post(
        "/admin/core/calendarday/add/", {"day": "2027-01-01", "is_working_day": "", "note": "元旦"}
    )
    assert response.status_code == 302
    assert CalendarDay.objects.get(day=date(2027, 1, 1)).note == "元旦"
    assert AuditEntry.objects.filter(action="core.calendar_day_create").exists()
