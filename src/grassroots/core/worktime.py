"""Deadlines on the official Chinese working-day calendar (民法典 第二百零一、二百零三条).

- `hours`: calendar time, start + N hours.
- `working_days`: the start day (Asia/Shanghai date) does not count; N working days are counted
  from the next day; the deadline is the end (24:00 local) of the last one.
- `days`: the start day does not count; the last day is the N-th day after it; when that day is
  not a working day the period ends on the next working day instead; deadline at its 24:00.

Which days are working days: the administrators' `CalendarDay` table first (it corrects the
library and covers years it does not know), then `chinesecalendar` (weekends and official
holidays off, 调休 weekend days on); for a year neither knows, Monday–Friday, and the deadline is
marked provisional so it can be shown as such and recomputed when the year is published.

The administrators' table is small (a few dozen rows a year) and read on every deadline, so it
is kept whole in the cache for a minute and dropped from it whenever a row is saved or deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import CalendarDay

LOCAL = ZoneInfo("Asia/Shanghai")
UNITS = ("hours", "days", "working_days")


@dataclass(frozen=True)
class Deadline:
    at: datetime
    provisional: bool = False


OVERRIDES_KEY = "worktime:overrides:v1"
OVERRIDES_SECONDS = 60


def overrides() -> dict[date, bool]:
    """Every administrator's correction, day → is a working day (one query a minute)."""
    cached: dict[date, bool] | None = cache.get(OVERRIDES_KEY)
    if cached is None:
        cached = dict(CalendarDay.objects.values_list("day", "is_working_day"))
        cache.set(OVERRIDES_KEY, cached, OVERRIDES_SECONDS)
    return cached


@receiver([post_save, post_delete], sender=CalendarDay)
def forget_overrides(**kwargs: object) -> None:
    cache.delete(OVERRIDES_KEY)


class WorkCalendar:
    """Working-day answers: the administrators' corrections, then the library, then Mon–Fri."""

    def __init__(self) -> None:
        self.overrides = overrides()
        self.provisional = False

    def is_working_day(self, day: date) -> bool:
        if day in self.overrides:
            return bool(self.overrides[day])
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            # A year the library does not know and the administrators have not entered.
            self.provisional = True
            return day.weekday() < 5


def _end_of(day: date) -> datetime:
    """24:00 local of `day`, i.e. the first instant of the next day."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=LOCAL)


def deadline_info(start: datetime, amount: int, unit: str) -> Deadline:
    """The deadline `amount` `unit`s after `start` (aware), and whether it is provisional."""
    if start.tzinfo is None:
        raise ValueError("start must be an aware datetime")
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
    if amount < 1:
        raise ValueError("amount must be at least 1")
    if unit == "hours":
        return Deadline(start + timedelta(hours=amount))
    first = start.astimezone(LOCAL).date()
    calendar = WorkCalendar()
    if unit == "working_days":
        day, counted = first, 0
        while counted < amount:
            day += timedelta(days=1)
            if calendar.is_working_day(day):
                counted += 1
    else:
        day = first + timedelta(days=amount)
        while not calendar.is_working_day(day):
            day += timedelta(days=1)
    return Deadline(_end_of(day), calendar.provisional)


def deadline(start: datetime, amount: int, unit: str) -> datetime:
    """The deadline `amount` `unit`s after `start`; aware in, aware out."""
    return deadline_info(start, amount, unit).at
