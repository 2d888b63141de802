"""The 三率 page (/workbench/tickets/rates/): a community's or a street's month — its own rates
and composite, the units below it ranked, and for a street the departments it works with."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from grassroots.accounts.models import Role
from grassroots.accounts.typing import AuthedRequest
from grassroots.core.errors import NotFound, ValidationFailed
from grassroots.core.scoping import scope_of
from grassroots.territory.models import Area, AreaKind, Department

from ..rates import (
    UnitRates,
    by_composite,
    current_month,
    parse_month,
    rated_children,
    rates_for,
    rates_unit,
    recent_months,
)

# Those assessed on and accountable for their territory's 三率 (DOMAIN.md §2: monthly ranking
# and 约谈 of the bottom streets). Grid workers and departments read their own through the API.
RATES_PAGE_ROLES = frozenset(
    {Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY, Role.STREET_DISPATCHER, Role.STREET_LEADER}
)
STREET_ROLES = frozenset({Role.STREET_DISPATCHER, Role.STREET_LEADER})


def _pct(value: float | None) -> float | None:
    return None if value is None else value * 100


@dataclass
class Row:
    """One unit's figures as the page shows them: percentages (0–100) or None."""

    rates: UnitRates
    rank: int | None = None

    @property
    def response(self) -> float | None:
        return _pct(self.rates.response_rate)

    @property
    def resolution(self) -> float | None:
        return _pct(self.rates.resolution_rate)

    @property
    def satisfaction(self) -> float | None:
        return _pct(self.rates.satisfaction_rate)

    @property
    def composite_pct(self) -> float | None:
        return _pct(self.rates.composite)

    @property
    def on_time_response(self) -> float | None:
        return _pct(self.rates.on_time_response_share)

    @property
    def on_time_resolution(self) -> float | None:
        return _pct(self.rates.on_time_resolution_share)


def _ranked(rows: list[UnitRates]) -> list[Row]:
    out = []
    for i, r in enumerate(by_composite(rows), start=1):
        out.append(Row(r, rank=i if r.composite is not None else None))
    return out


@login_required
def rates_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if user.role not in RATES_PAGE_ROLES:
        raise PermissionDenied
    errors: list[str] = []
    try:
        month = parse_month(request.GET.get("month", ""))
    except ValidationFailed as exc:
        errors = exc.fields.get("month", [])
        month = current_month()
    try:
        unit = rates_unit(user, request.GET.get("unit", "")[:32])
    except NotFound as exc:
        raise Http404 from exc
    if not isinstance(unit, Area):  # page users hold areas; a department code is not theirs
        raise Http404
    children = rated_children(unit)
    departments: list[Department] = []
    if user.role in STREET_ROLES and unit.kind in (AreaKind.STREET, AreaKind.TOWNSHIP):
        departments = list(
            Department.objects.visible_to(user).filter(is_active=True).order_by("code")
        )
    found = rates_for(month=month, areas=[unit, *children], departments=departments)
    own = Row(found[0])
    child_rows = _ranked(found[1 : 1 + len(children)])
    dept_rows = _ranked(found[1 + len(children) :])
    chart = [
        {"name": r.rates.name, "composite": round(r.composite_pct, 1)}
        for r in child_rows
        if r.composite_pct is not None
    ]
    tables = []
    if child_rows:
        tables.append(
            {
                "title": _("%(kind)s排名") % {"kind": _child_label(unit)},
                "note": "",
                "rows": child_rows,
                "testid": "children",
                "link": True,
            }
        )
    if dept_rows:
        tables.append(
            {
                "title": _("职能部门"),
                "note": _("部门三率按其承办的全部工单计算（全区）。"),
                "rows": dept_rows,
                "testid": "departments",
                "link": False,
            }
        )
    parent = None
    if unit.path not in scope_of(user).area_paths:
        # Drilled down from the user's own unit: the way back up (still inside the scope).
        parent = Area.objects.filter(path=unit.path[: -Area.steplen]).first()
    weights = [round(float(w) * 100) for w in settings.RATES_WEIGHTS]
    return render(
        request,
        "tickets/rates.html",
        {
            "unit": unit,
            "month": month,
            "months": recent_months(12),
            "month_errors": errors,
            "own": own,
            "tables": tables,
            "chart": chart,
            "chart_height": max(220, 34 * len(chart) + 40),
            "weights": weights,
            "basic_weight": round(float(settings.RATES_BASIC_WEIGHT) * 100),
            "snapshot_at": own.rates.computed_at,
            "parent": parent,
        },
    )


def _child_label(unit: Area) -> str:
    return {
        AreaKind.DISTRICT: _("街道（乡镇）"),
        AreaKind.STREET: _("社区（村）"),
        AreaKind.TOWNSHIP: _("社区（村）"),
        AreaKind.COMMUNITY: _("网格"),
        AreaKind.VILLAGE: _("网格"),
    }.get(AreaKind(unit.kind), "")
