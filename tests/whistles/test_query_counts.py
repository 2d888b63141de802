"""The league table (吹哨报到 · 部门排名) costs the same number of queries for a few departments
and whistles or for many, for a street leader (with the street's own line) and for a
department. (The board, the inbox, the flags, the detail and the API lists are measured in
test_pages.py, test_api.py and test_scope.py.)"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from grassroots.territory.services import department_create
from grassroots.whistles import services as ws
from grassroots.whistles.models import Summons
from grassroots.whistles.sweep import sweep_whistles

LOCAL = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 24, 10, 0, tzinfo=LOCAL)  # a Tuesday
LEAGUE = "/workbench/whistles/league/"


def measure(client: Client) -> tuple[int, str]:
    """The queries of the page, after a first request that writes the session."""
    client.get(LEAGUE)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LEAGUE)
    assert response.status_code == 200, (response.status_code, response.content[:300])
    return len(ctx.captured_queries), response.content.decode()


def whistles(cast: Any, city: Any, blow: Any, departments: list[Any], n: int, at: datetime) -> None:
    """n emergency whistles summoning the district's 城管委 and `departments`: 城管委 reports
    in, the others miss the deadline and are flagged by the sweep."""
    with time_machine.travel(at, tick=False):
        for _ in range(n):
            whistle = blow(departments=[city.dept_district.pk, *(d.pk for d in departments)])
            summons = Summons.objects.select_related("whistle", "department").get(
                whistle=whistle, department=city.dept_district
            )
            ws.summons_report_in(
                actor=cast.department_officer, summons=summons, mode="on_site", commitment="马上到"
            )
    sweep_whistles(now=at + timedelta(minutes=31))


@pytest.mark.parametrize("who", ["street_leader", "department_officer"])
def test_the_league_costs_the_same_for_more_departments_and_whistles(
    cast: Any, city: Any, login: Any, blow: Any, who: str
) -> None:
    with time_machine.travel(START + timedelta(hours=3), tick=False):
        client = login(getattr(cast, who))
        whistles(cast, city, blow, [city.dept_s1], 1, START)
        few, html = measure(client)
        assert "区城管委" in html
        more = [
            department_create(actor=None, area=city.s1, code=f"S1Q{i}", name=f"东街道Q{i}科")
            for i in range(8)
        ]
        whistles(cast, city, blow, [city.dept_s1, *more], 3, START + timedelta(hours=1))
        many, html = measure(client)
    if who == "street_leader":
        assert "东街道Q7科" in html and "东街道执法队" in html and "本街道吹哨情况" in html
    else:
        assert "区城管委" in html and "东街道Q7科" not in html
    # A street leader also reads the street's own line (whistles by kind, their ratings).
    assert many == few <= (16 if who == "street_leader" else 13)
