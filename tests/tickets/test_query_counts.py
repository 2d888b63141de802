"""Ticket lists cost the same number of queries for a few rows or for many: the Excel export of
the filtered list and the 三率 page (the units one level down and the departments). Measured
with a few rows, then again with many more; the counts must be equal.

(The desk, the list, the detail, the phone lists, the API and Open311 are measured in their own
files.)"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from grassroots.territory.models import AreaKind
from grassroots.territory.services import area_create, department_create
from grassroots.tickets import services as s
from grassroots.tickets.rates import snapshot_month
from tests.helpers import queries_of_get
from tests.io.conftest import sheet_rows

LOCAL = ZoneInfo("Asia/Shanghai")
EXPORT = "/workbench/tickets/export/"
RATES = "/workbench/tickets/rates/"


measure = queries_of_get


# --- the export ------------------------------------------------------------------------------


def tickets(cast: Any, city: Any, submit: Any, advance: Any, n: int) -> None:
    """n tickets in each shape the export reads differently: new, anonymous, with a grid, with
    a department, returned, resolved."""
    for i in range(n):
        submit(description=f"新的 {i}")
        submit(description=f"匿名 {i}", anonymous=True)
        advance(submit(description=f"网格 {i}"), "in_progress")
        advance(submit(description=f"部门 {i}", category="0604"), "accepted", to=city.dept_district)
        returned = advance(submit(description=f"退回 {i}"), "dispatched")
        s.ticket_return(actor=cast.grid_worker_a, ticket=returned, reason="不属于本网格。")
        advance(submit(description=f"办结 {i}"), "resolved")


def test_the_export_costs_the_same_for_more_tickets(
    cast: Any, city: Any, login: Any, submit: Any, advance: Any
) -> None:
    client = login(cast.street_dispatcher)
    tickets(cast, city, submit, advance, 1)
    few, response = measure(client, EXPORT)
    assert len(sheet_rows(response.content)) == 1 + 6
    tickets(cast, city, submit, advance, 4)
    many, response = measure(client, EXPORT)
    rows = sheet_rows(response.content)[1:]
    assert len(rows) == 30
    assert {r[9] for r in rows} >= {"东一社区A网格", "区城管委"}  # 承办单位
    assert "保密" in {r[19] for r in rows}  # the anonymous requests' contact
    # session, user, two-factor, the catalogue (the filter form), scope (2), count, rows, and
    # the audit entry (a savepoint, the chain head, the row, the head again, the release)
    assert many == few <= 13


# --- the rates page --------------------------------------------------------------------------


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL)  # type: ignore[misc]


def units(city: Any, n: int, start: int) -> None:
    """n communities of 东街道 with a grid each, and n departments of the district."""
    for i in range(start, start + n):
        community = area_create(
            actor=None, parent=city.s1, kind=AreaKind.COMMUNITY, code=f"S1Q{i:02d}",
            name=f"东Q{i}社区",
        )  # fmt: skip
        area_create(
            actor=None, parent=community, kind=AreaKind.GRID, code=f"S1Q{i:02d}G", name="网格"
        )
        department_create(actor=None, area=city.district, code=f"DQ{i:02d}", name=f"区Q{i}局")


@pytest.mark.parametrize("month", ["2026-11", "2026-10"])  # live, and from the snapshot
def test_the_rates_page_costs_the_same_for_more_units(
    cast: Any, city: Any, login: Any, submit: Any, advance: Any, month: str
) -> None:
    with time_machine.travel(local(2026, 10, 20, 10, 0), tick=False):
        advance(submit(), "closed")
        advance(submit(), "closed", to=city.dept_district)
    client = login(cast.street_leader)
    with time_machine.travel(local(2026, 11, 20, 12, 0), tick=False):
        units(city, 1, start=0)
        snapshot_month(date(2026, 10, 1))
        few, response = measure(client, RATES, {"month": month})
        units(city, 8, start=1)
        snapshot_month(date(2026, 10, 1))
        many, response = measure(client, RATES, {"month": month})
    html = response.content.decode()
    assert "东Q8社区" in html and "区Q8局" in html and "东一社区" in html
    assert many == few <= 13
