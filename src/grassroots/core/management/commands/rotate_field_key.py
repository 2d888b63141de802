from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from grassroots.core.audit import audit_log
from grassroots.core.personal import _fernet, _keys, digest, digest_fields, encrypted_fields


class Command(BaseCommand):
    help = (
        "Re-encrypt every personal field with the first key in FIELD_ENCRYPTION_KEY and recompute "
        "its lookup digest. Put the new key first, keep the old ones after it, run this, then "
        "remove the old keys."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        fernet = _fernet(_keys())
        total = 0
        for model, field in encrypted_fields():
            digests = [d for d in digest_fields(model) if d.source == field.name]
            last_pk = None
            while True:
                with transaction.atomic():
                    qs = model._default_manager.order_by("pk")
                    if last_pk is not None:
                        qs = qs.filter(pk__gt=last_pk)
                    pks = list(qs.values_list("pk", flat=True)[: options["batch"]])
                    if not pks:
                        break
                    self._rotate_batch(model, field, digests, pks, fernet)
                    last_pk = pks[-1]
                    total += len(pks)
        audit_log(action="personal.key_rotate", data={"rows": total, "keys": len(_keys())})
        self.stdout.write(self.style.SUCCESS(f"re-encrypted {total} rows with the current key"))

    def _rotate_batch(
        self, model: Any, field: Any, digests: list[Any], pks: list[Any], fernet: Any
    ) -> None:
        # Raw SQL on the stored tokens: a row is re-keyed without save(), so no auto_now
        # timestamp or other side effect changes.
        table = model._meta.db_table
        column = field.column
        pk_column = model._meta.pk.column
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            placeholders = ",".join(["%s"] * len(pks))
            cursor.execute(
                f"SELECT {qn(pk_column)}, {qn(column)} FROM {qn(table)} "  # noqa: S608
                f"WHERE {qn(pk_column)} IN ({placeholders})",
                pks,
            )
            for pk, token in cursor.fetchall():
                if not token:
                    continue
                plain = fernet.decrypt(token.encode()).decode()
                sets = [f"{qn(column)} = %s"]
                values: list[Any] = [fernet.rotate(token.encode()).decode()]
                for d in digests:
                    sets.append(f"{qn(d.column)} = %s")
                    values.append(digest(plain))
                cursor.execute(
                    f"UPDATE {qn(table)} SET {', '.join(sets)} WHERE {qn(pk_column)} = %s",  # noqa: S608
                    [*values, pk],
                )
