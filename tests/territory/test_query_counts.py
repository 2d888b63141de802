"""Lists of the territory API cost the same number of queries for a few rows or for many.
(Areas, the area tree, households and residents are measured in test_scope.py and
test_api_people.py; this file adds what was not.)"""

from __future__ import annotations

from typing import Any

from grassroots.territory.services import department_create
from tests.helpers import queries_of_get

measure = queries_of_get


def add_departments(city: Any, n: int, start: int) -> None:
    for i in range(start, start + n):
        department_create(
            actor=None, area=city.s1 if i % 2 else city.district, code=f"QC{i:02d}", name=f"部门{i}"
        )


def test_the_department_list_costs_the_same_for_more_departments(
    cast: Any, city: Any, login: Any
) -> None:
    client = login(cast.street_dispatcher)
    path = "/api/v1/departments?limit=100"
    few, response = measure(client, path)
    assert response.json()["count"] == 2  # the district's and the street's
    add_departments(city, 15, start=0)
    department_create(actor=None, area=city.s2, code="QCW", name="西街道的部门")
    many, response = measure(client, path)
    body = response.json()
    assert body["count"] == 17 and "QC14" in {d["code"] for d in body["items"]}
    assert "QCW" not in {d["code"] for d in body["items"]}
    # session, user, two-factor device, scope (2), count, page
    assert many == few <= 7
