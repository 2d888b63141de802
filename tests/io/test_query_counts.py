"""Exports cost the same number of queries for a few rows or for many: the households, party
members and member units the user may download from 数据导入导出. (The residents' export is
measured in test_export.py.) Each export is read through the page's POST, audit included."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from grassroots.alliance.services import member_unit_create
from grassroots.party.services import member_create
from grassroots.territory.services import household_create, resident_create
from tests.conftest import id_number
from tests.io.conftest import sheet_rows

URL = "/workbench/io/export/"
_seed = iter(range(500, 1_000))


def measure(client: Client, kind: str) -> tuple[int, list[list[Any]]]:
    """The queries of one export and the rows of its sheet (the header row dropped)."""
    client.get("/workbench/io/")  # the session is written once
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(f"{URL}{kind}/", {"reveal": "1"})
    assert response.status_code == 200, (response.status_code, response.content[:300])
    return len(ctx.captured_queries), sheet_rows(response.content)[1:]


def add_households(people: Any, city: Any, n: int) -> None:
    for _ in range(n):
        i = next(_seed)
        building = city.building_a1 if i % 2 else people.building_b1
        household = household_create(actor=None, building=building, unit="3", room=f"{i}")
        resident_create(actor=None, household=household, name=f"住{i}", id_number=id_number(i))


def add_members(people: Any, n: int) -> None:
    for _ in range(n):
        i = next(_seed)
        resident = resident_create(
            actor=None, household=people.hh_a1_102, name=f"党员{i}", id_number=id_number(i),
            mobile=f"137{i:08d}",
        )  # fmt: skip
        member_create(
            actor=None,
            name=f"党员{i}",
            status="full",
            joined_on=date(2010, 7, 1),
            branch=people.branch_a,
            group=people.group_a1 if i % 2 else None,
            resident=resident,
        )


def add_member_units(people: Any, city: Any, n: int) -> None:
    for _ in range(n):
        i = next(_seed)
        member_unit_create(
            actor=None, name=f"单位{i}", kind="enterprise", area=city.c1 if i % 2 else city.c2,
            contact_mobile=f"136{i:08d}",
        )  # fmt: skip


GROW = {
    "households": lambda people, city, n: add_households(people, city, n),
    "members": lambda people, city, n: add_members(people, n),
    "member_units": lambda people, city, n: add_member_units(people, city, n),
}


@pytest.mark.parametrize("kind", sorted(GROW))
def test_the_export_costs_the_same_for_more_rows(
    people: Any, city: Any, cast: Any, login: Any, kind: str
) -> None:
    client = login(cast.street_dispatcher)
    GROW[kind](people, city, 2)
    few, rows = measure(client, kind)
    before = len(rows)
    assert before >= 2
    GROW[kind](people, city, 15)
    many, rows = measure(client, kind)
    assert len(rows) == before + 15
    # session, user, two-factor, scope (2), the count, the rows, the audit entry and its chain
    assert many == few <= 12
