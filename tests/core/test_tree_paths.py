from __future__ import annotations

import random
from typing import Any

import pytest
from django.db import connection

from grassroots.core.scoping import (
    PATH_ALPHABET,
    path_end,
    prefixes,
    roll_up,
    under,
    under_paths,
    with_ancestors,
)
from grassroots.territory.models import Area
from grassroots.tickets.models import Ticket


def test_prefixes_run_from_the_root() -> None:
    assert prefixes("000100020003") == ["0001", "00010002", "000100020003"]
    assert prefixes("") == []


def test_with_ancestors_keeps_the_chain_to_the_root() -> None:
    assert with_ancestors(["000100020003", "00010005"]) == {
        "0001",
        "00010002",
        "000100020003",
        "00010005",
    }


def test_roll_up_adds_counts_to_every_node_above() -> None:
    totals = roll_up([("000100020003", 2), ("00010002", 1), ("00010005", 4)])
    assert totals == {"0001": 7, "00010002": 3, "000100020003": 2, "00010005": 4}


def test_path_end_is_the_first_path_after_the_subtree() -> None:
    assert path_end("00010001") == "00010002"
    assert path_end("00010009") == "0001000A"
    assert path_end("0001000Z") == "0001001"
    assert path_end("000ZZZZZ") == "001"
    assert path_end("ZZZZ") is None
    assert path_end("") is None


def test_every_path_under_a_node_and_no_other_lies_in_its_range() -> None:
    rng = random.Random(8)
    paths = {"".join(rng.choice(PATH_ALPHABET[:3] + PATH_ALPHABET[-2:]) for _ in range(4 * k))
             for k in (1, 2, 3) for _ in range(300)}  # fmt: skip
    for node in rng.sample(sorted(paths), 60):
        end = path_end(node)
        in_range = {p for p in paths if node <= p and (end is None or p < end)}
        assert in_range == {p for p in paths if p.startswith(node)}, node


@pytest.mark.django_db
def test_under_selects_what_startswith_selects(city: Any) -> None:
    for area in Area.objects.all():
        assert set(Area.objects.filter(under("path", area.path))) == set(
            Area.objects.filter(path__startswith=area.path)
        ), area.path
    assert under_paths("area_path", []) is None


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_a_scoped_list_can_use_the_path_index_on_postgresql(city: Any) -> None:
    """A LIKE prefix cannot use a btree index unless the collation is C (C.UTF-8 is not, on
    PostgreSQL 15); the range can, on any collation. With sequential scans priced out, the
    planner shows which one it can use."""
    qs = Ticket.objects.filter(under("handler_path", city.c1.path))
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    conditions = [line for line in plan.splitlines() if "Index Cond" in line]
    assert any("handler_path" in line for line in conditions), plan
