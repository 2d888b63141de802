"""Hand-written SQL for the few single-row statements on the hottest paths.

Building a statement through the ORM costs 0.3–0.5 ms of CPU (compiling it, then making model
instances of the rows); the statement itself costs PostgreSQL about a tenth of that. Filing a
request and appending to the audit chain run on every submission and every audited change, and
the lists read the names of their rows' areas on every page, so their lookups by a key, the
chain head's lock and their one-column updates are written as SQL where they are used, and run
through these helpers. Each is one table and one indexed key, the same text on SQLite and
PostgreSQL. Two more build their statement from the model once per process and then reuse it:
`insert`, for the rows every filing appends (the ticket, its first event, the notice, the audit
entry), and `by_pk`, for the signed-in user every request reads. On PostgreSQL each connection
prepares all of these statements once (settings: DB_PREPARED_STATEMENTS), so the planner's
work is done once too; the ORM's statements are planned for their own parameters. Everything
else stays in the ORM.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.db.models.signals import post_save, pre_save


def locks_rows() -> bool:
    """Whether `SELECT … FOR UPDATE` exists here (SQLite's write transaction already
    serialises writers, and has no such clause)."""
    return bool(connection.features.has_select_for_update)


@functools.cache
def _preparing_cursor() -> type[Any]:
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):  # type: ignore[misc, valid-type]
        # Parameters apart from the text, and the statement prepared at its first run.
        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            return super().execute(query, params, prepare=True, **kwargs)  # type: ignore[misc]

    return PreparingCursor


def _cursor() -> Any:
    """A cursor that prepares what it runs, on PostgreSQL with prepared statements on
    (settings: DB_PREPARED_STATEMENTS); elsewhere Django's own. It is wrapped as Django wraps
    its cursors, so errors are the same. Where queries are logged (DEBUG, the tests' query
    counts) Django's own cursor runs them: psycopg keeps no text of a prepared statement's
    run for the log."""
    if (
        connection.vendor != "postgresql"
        or connection.settings_dict["OPTIONS"].get("prepare_threshold") is None
        or connection.queries_logged
    ):
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        # Django's own wrapping of a new cursor (BaseDatabaseWrapper._prepare_cursor).
        return connection._prepare_cursor(_preparing_cursor()(connection.connection))  # type: ignore[attr-defined]


def fetch_one(sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
    with _cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return tuple(row) if row is not None else None


def fetch_all(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with _cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


def in_list(values: Sequence[Any]) -> str:
    """The placeholders of `IN (…)` for `values` (never empty: callers skip an empty list)."""
    return ", ".join(["%s"] * len(values))


def execute(sql: str, params: Sequence[Any] = ()) -> int:
    """Run one statement; the number of rows it changed."""
    with _cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def _names(meta: Any, fields: Sequence[Any]) -> tuple[str, str, str]:
    """The quoted table, primary-key column and column list (names from the model only)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    return quote(meta.db_table), quote(str(meta.pk.column)), columns


_INSERTS: dict[tuple[type[models.Model], bool, str], tuple[str, list[models.Field[Any, Any]]]] = {}


def _insert_statement(
    model: type[models.Model], with_pk: bool
) -> tuple[str, list[models.Field[Any, Any]]]:
    key = (model, with_pk, connection.vendor)
    found = _INSERTS.get(key)
    if found is None:
        meta = model._meta
        pk = meta.pk
        assert pk is not None
        fields = [
            f
            for f in meta.local_concrete_fields
            if not getattr(f, "generated", False) and (with_pk or f is not pk)
        ]
        table, key_column, columns = _names(meta, fields)
        statement = (
            f"INSERT INTO {table} ({columns}) VALUES ({in_list(fields)}) RETURNING {key_column}"  # noqa: S608
        )
        found = _INSERTS[key] = (statement, fields)
    return found


def insert(obj: models.Model, then: tuple[str, Sequence[Any]] | None = None) -> None:
    """INSERT a new row as `obj.save(force_insert=True)` would, with the statement built once
    per model instead of compiled on every call: each field's `pre_save` and database value
    are Django's own, and the primary key comes back into `obj`.

    `then` is a statement that changes exactly one row, run after the insert; on PostgreSQL
    both go in one round trip (the insert as a data-modifying WITH).

    For append-only rows on hot paths (a ticket and its first event, a notice, an audit
    entry). It skips `save()` and sends no signals, so a model with save signals is refused
    rather than quietly left without them; a `save()` override must not add to an insert."""
    model = type(obj)
    if pre_save.has_listeners(model) or post_save.has_listeners(model):
        raise TypeError(f"{model.__name__} has save signals: save it through the ORM")
    if not obj._state.adding:
        raise TypeError(f"{model.__name__} {obj.pk} is already saved")
    statement, fields = _insert_statement(model, obj.pk is not None)
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    if then is not None and connection.vendor == "postgresql":
        key_column = _names(model._meta, ())[1]
        statement = f"WITH inserted AS ({statement}) {then[0]} RETURNING (SELECT {key_column} FROM inserted)"  # noqa: E501, S608
        params += list(then[1])
        then = None
    row = fetch_one(statement, params)
    if row is None or (then is not None and execute(*then) != 1):
        raise RuntimeError(f"{model.__name__}: the statement after the insert changed no row")
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = connection.alias


def next_id(model: type[models.Model]) -> int | None:
    """The next value of the primary key's sequence on PostgreSQL, for a row whose other
    columns are made from its id (a ticket's number): the row goes in whole, once, instead of
    being inserted and then updated. None on SQLite, which has no sequences."""
    if connection.vendor != "postgresql":
        return None
    meta = model._meta
    assert meta.pk is not None
    row = fetch_one(
        "SELECT nextval(pg_get_serial_sequence(%s, %s))", [meta.db_table, meta.pk.column]
    )
    assert row is not None
    return int(row[0])


Converters = list[tuple[Any, list[Any]]]
_SELECTS: dict[tuple[type[models.Model], str], tuple[str, list[str], Converters]] = {}


def by_pk(model: type[models.Model], pk: Any) -> Any:
    """The row of `model` with primary key `pk` as an instance (None when there is none), as
    `model._default_manager.filter(pk=pk).first()` gives it, with the statement built once per
    model. Values pass through the same converters the ORM applies (decryption, SQLite's
    dates). For the lookups every request makes, such as its signed-in user."""
    key = (model, connection.vendor)
    found = _SELECTS.get(key)
    if found is None:
        meta = model._meta
        assert meta.pk is not None
        fields = list(meta.concrete_fields)
        table, key_column, columns = _names(meta, fields)
        statement = f"SELECT {columns} FROM {table} WHERE {key_column} = %s"  # noqa: S608
        converters = []
        for f in fields:
            column = f.get_col(meta.db_table)
            converters.append(
                (column, connection.ops.get_db_converters(column) + f.get_db_converters(connection))
            )
        found = _SELECTS[key] = (statement, [f.attname for f in fields], converters)
    statement, names, converters = found
    row = fetch_one(statement, [model._meta.pk.to_python(pk)])  # type: ignore[union-attr]
    if row is None:
        return None
    values = []
    for value, (column, funcs) in zip(row, converters, strict=True):
        for func in funcs:
            value = func(value, column, connection)
        values.append(value)
    return model.from_db(connection.alias, names, values)
