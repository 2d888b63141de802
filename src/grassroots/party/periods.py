"""The periods of organisational life: a kind's month, quarter or year as local dates, and
the period parameter of the compliance API (`2026`, `2026-Q3`, `2026-07`)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from grassroots.core.errors import ValidationFailed

from .models import Period

FIRST_YEAR = 2000
LAST_YEAR = 2100


# --- periods ------------------------------------------------------------------------------------

# How many months a period spans; the rest span the year.
MONTHS: dict[str, int] = {Period.MONTH: 1, Period.QUARTER: 3}


@dataclass(frozen=True)
class Span:
    """One period of a kind: a month, a quarter or a year, with local first and last days."""

    period: str
    start: date
    end: date

    @property
    def key(self) -> str:
        if self.period == Period.MONTH:
            return f"{self.start.year}-{self.start.month:02d}"
        if self.period == Period.QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    @property
    def label(self) -> str:
        if self.period == Period.MONTH:
            return _("%(month)d月") % {"month": self.start.month}
        if self.period == Period.QUARTER:
            return _("第%(quarter)d季度") % {"quarter": (self.start.month - 1) // 3 + 1}
        return _("%(year)d年") % {"year": self.start.year}

    @property
    def months(self) -> int:
        """How many months it spans (the width of its cell in a month grid)."""
        return MONTHS.get(self.period, 12)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def overlaps(self, other: Span) -> bool:
        return self.start <= other.end and other.start <= self.end


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def span_of(period: str, day: date) -> Span:
    """The period of a kind that holds `day`."""
    if period == Period.MONTH:
        return Span(period, date(day.year, day.month, 1), _month_end(day.year, day.month))
    if period == Period.QUARTER:
        first = (day.month - 1) // 3 * 3 + 1
        return Span(period, date(day.year, first, 1), _month_end(day.year, first + 2))
    return Span(period, date(day.year, 1, 1), date(day.year, 12, 31))


def periods(period: str, year: int) -> list[Span]:
    """The periods of a year, in order: 12 months, 4 quarters or the year."""
    step = MONTHS.get(period, 12)
    return [span_of(period, date(year, month, 1)) for month in range(1, 13, step)]


PERIOD_PATTERN = re.compile(r"^(\d{4})(?:-(?:[Qq]([1-4])|(\d{2})))?$")


def parse_period(text: str, *, field_name: str = "period") -> Span:
    """`2026`, `2026-Q3` or `2026-07` as a span; anything else is a field error."""
    match = PERIOD_PATTERN.match(text.strip())
    problem = _("期间格式应为 2026、2026-Q3 或 2026-07。")
    if match is None:
        raise ValidationFailed(fields={field_name: [problem]})
    year = int(match.group(1))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        message = _("年份须在 %(first)d 到 %(last)d 之间。") % {
            "first": FIRST_YEAR,
            "last": LAST_YEAR,
        }
        raise ValidationFailed(fields={field_name: [message]})
    if match.group(2):
        return span_of(Period.QUARTER, date(year, (int(match.group(2)) - 1) * 3 + 1, 1))
    if match.group(3):
        month = int(match.group(3))
        if not 1 <= month <= 12:
            raise ValidationFailed(fields={field_name: [_("月份须在 01 到 12 之间。")]})
        return span_of(Period.MONTH, date(year, month, 1))
    return span_of(Period.YEAR, date(year, 1, 1))
