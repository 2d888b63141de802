"""Workbench lists of the web app cost the same number of queries for a few rows or for many:
辖区 (the area table, also when searched) and 职能部门."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from grassroots.territory.models import AreaKind
from grassroots.territory.services import area_create, department_create


def measure(client: Client, path: str) -> tuple[int, str]:
    """The queries of one GET, after a first one that writes the session."""
    client.get(path)
    with CaptureQueriesContext(connection) as ctx:
        response: HttpResponse = client.get(path)
    assert response.status_code == 200, (response.status_code, response.content[:300])
    return len(ctx.captured_queries), response.content.decode()


def add_areas(city: Any, n: int, start: int = 0) -> None:
    """A grid with one building, n times, in 东二社区."""
    for i in range(start, start + n):
        grid = area_create(
            actor=None, parent=city.c2, kind=AreaKind.GRID, code=f"QCG{i:02d}", name=f"加网格{i}"
        )
        area_create(
            actor=None, parent=grid, kind=AreaKind.BUILDING, code=f"QCB{i:02d}", name=f"加楼{i}"
        )


@pytest.mark.parametrize("query", ["", "?q=加"])
def test_the_area_table_costs_the_same_for_more_areas(
    cast: Any, city: Any, login: Any, query: str
) -> None:
    client = login(cast.street_dispatcher)
    add_areas(city, 1)
    few, html = measure(client, "/workbench/areas/" + query)
    assert "加楼0" in html
    add_areas(city, 11, start=1)
    many, html = measure(client, "/workbench/areas/" + query)
    assert "加网格11" in html and "加楼11" in html and "东二社区" in html
    # The layout's queries (session, user, two-factor, scope, unread messages) and the areas.
    assert many == few <= 9


def test_the_department_table_costs_the_same_for_more_departments(
    cast: Any, city: Any, login: Any
) -> None:
    client = login(cast.street_dispatcher)
    few, html = measure(client, "/workbench/departments/")
    assert "东街道执法队" in html and "区城管委" in html
    for i in range(15):
        department_create(
            actor=None, area=city.s1 if i % 2 else city.district, code=f"QC{i:02d}", name=f"部门{i}"
        )
    many, html = measure(client, "/workbench/departments/")
    assert "部门14" in html and html.count("东街道</td>") == 8
    assert many == few <= 9
