"""The branch rules of 《中国共产党支部工作条例（试行）》 (DOMAIN.md §4) as findings.

A finding is an error (the change is refused) or a warning (shown on the organisation's page
and in reminders). The same checks run for the admin, the API, the import and the demo seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.utils.translation import gettext as _

from grassroots.territory.models import AreaKind

from .models import BRANCH_KINDS, OrgKind

MIN_FULL_MEMBERS = 3
MAX_JOINT_UNITS = 5
COMMITTEE_THRESHOLD = 7  # full members from which a branch elects a committee
COMMITTEE_USUAL = (3, 5)
COMMITTEE_MAX = 7
USUAL_MAX_MEMBERS = 50


@dataclass(frozen=True)
class Finding:
    level: str  # "error" or "warning"
    field: str
    message: str

    @property
    def is_error(self) -> bool:
        return self.level == "error"


def term_years(kind: str, area_kind: str | None) -> int:
    """Committees of villages and communities serve 5 years, all others 3."""
    if kind in (OrgKind.COMMUNITY_COMMITTEE, OrgKind.VILLAGE_COMMITTEE):
        return 5
    if area_kind in (AreaKind.COMMUNITY, AreaKind.VILLAGE, AreaKind.GRID, AreaKind.BUILDING):
        return 5
    return 3


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def structure_findings(*, kind: str, covered_units: int) -> list[Finding]:
    if kind == OrgKind.JOINT_BRANCH and covered_units > MAX_JOINT_UNITS:
        return [Finding("error", "covered_units", _("联合党支部覆盖的单位一般不超过 5 个。"))]
    if kind == OrgKind.JOINT_BRANCH and covered_units < 2:
        return [Finding("error", "covered_units", _("联合党支部应覆盖 2 个以上单位。"))]
    if kind == OrgKind.BRANCH and covered_units != 1:
        return [Finding("error", "covered_units", _("覆盖多个单位的应设为联合党支部。"))]
    return []


def term_findings(
    *,
    kind: str,
    area_kind: str | None,
    term_start: date | None,
    term_end: date | None,
    today: date,
) -> list[Finding]:
    if term_start is None or term_end is None:
        return []
    years = term_years(kind, area_kind)
    found = []
    if term_end <= term_start:
        found.append(Finding("error", "term_end", _("任期结束应晚于开始。")))
    elif term_end > add_years(term_start, years):
        found.append(
            Finding("error", "term_end", _("本届任期不能超过 %(years)s 年。") % {"years": years})
        )
    if today <= term_end <= today + timedelta(days=settings.TERM_REMINDER_DAYS):
        found.append(
            Finding(
                "warning",
                "term_end",
                _("本届任期将于 %(day)s 届满，请做好换届准备。") % {"day": term_end},
            )
        )
    elif term_end < today:
        found.append(
            Finding(
                "warning",
                "term_end",
                _("本届任期已于 %(day)s 届满，请尽快换届。") % {"day": term_end},
            )
        )
    return found


def membership_findings(*, kind: str, full: int, total: int, committee: int) -> list[Finding]:
    """Findings on a branch's membership and committee size."""
    if kind not in BRANCH_KINDS:
        return []
    found = []
    if full < MIN_FULL_MEMBERS:
        found.append(
            Finding(
                "error",
                "members",
                _(
                    "正式党员不足 3 人，不能单独成立支部；"
                    "可与邻近单位成立联合党支部（不超过 5 个单位）。"
                ),
            )
        )
    if full >= COMMITTEE_THRESHOLD:
        if committee < COMMITTEE_USUAL[0] or committee > COMMITTEE_MAX:
            found.append(
                Finding(
                    "error",
                    "committee",
                    _("正式党员 7 人以上的支部应设支部委员会，委员 3 至 5 人，最多不超过 7 人。"),
                )
            )
        elif committee > COMMITTEE_USUAL[1]:
            found.append(Finding("warning", "committee", _("支部委员一般为 3 至 5 人。")))
    elif committee > 0:
        found.append(
            Finding(
                "warning",
                "committee",
                _("正式党员不足 7 人的支部不设委员会，设书记 1 名，必要时设副书记。"),
            )
        )
    if total > USUAL_MAX_MEMBERS:
        found.append(Finding("warning", "members", _("党员超过 50 人，一般应分设党支部。")))
    return found
