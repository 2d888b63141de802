"""Hand-written SQL for the few single-row statements on the hottest paths.

Building a statement through the ORM costs 0.3–0.5 ms of CPU (compiling it, then making model
instances of the rows); the statement itself costs PostgreSQL about a tenth of that. Filing a
request and appending to the audit chain run on every submission and every audited change, and
the lists read the names of their rows' areas on every page, so their lookups by a key, the
chain head's lock and their one-column updates are written as SQL where they are used, and run
through these helpers. Each is one table and one indexed key, the same text on SQLite and
PostgreSQL. Everything else stays in the ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection


def locks_rows() -> bool:
    """Whether `SELECT … FOR UPDATE` exists here (SQLite's write transaction already
    serialises writers, and has no such clause)."""
    return bool(connection.features.has_select_for_update)


def fetch_one(sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return tuple(row) if row is not None else None


def fetch_all(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


def in_list(values: Sequence[Any]) -> str:
    """The placeholders of `IN (…)` for `values` (never empty: callers skip an empty list)."""
    return ", ".join(["%s"] * len(values))


def execute(sql: str, params: Sequence[Any] = ()) -> int:
    """Run one statement; the number of rows it changed."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)
