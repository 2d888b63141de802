"""Schema steps shared by the apps' migrations."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def drop_pattern_indexes(table: str, *columns: str) -> migrations.RunPython:
    """Drop the `varchar_pattern_ops` twin Django makes on PostgreSQL beside the index of an
    indexed or unique text column. The twin serves only `LIKE 'x%'` under a collation other
    than C; the columns given here are looked up by equality (or `icontains`, which no btree
    serves), and every insert writes every index. Nothing to do on SQLite. Reversible."""

    def forward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        with schema_editor.connection.cursor() as cursor:
            for column in columns:
                cursor.execute(
                    "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
                    [table, f"%({column} varchar_pattern_ops)"],
                )
                for (name,) in cursor.fetchall():
                    schema_editor.execute(f"DROP INDEX IF EXISTS {quote(name)}")

    def backward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        model = next(m for m in apps.get_models() if m._meta.db_table == table)
        for column in columns:
            field = next(f for f in model._meta.local_fields if f.column == column)
            statement = schema_editor._create_like_index_sql(model, field)
            if statement is not None:
                schema_editor.execute(statement)

    return migrations.RunPython(forward, backward, elidable=False)
