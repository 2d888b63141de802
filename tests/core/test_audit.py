from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from grassroots.core.audit import audit_log, verify_chain
from grassroots.core.models import AppendOnlyError, AuditChainHead, AuditEntry
from grassroots.core.tasks import check_audit_chain


def write(n: int) -> list[AuditEntry]:
    return [audit_log(action="test.event", data={"n": i}) for i in range(n)]


def raw(sql: str, params: list[Any] | None = None) -> None:
    """Tamper as someone with the database owner's rights would: around the triggers."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER USER")
            cursor.execute(sql, params or [])
            cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER core_auditentry_no_update")
            cursor.execute("DROP TRIGGER core_auditentry_no_delete")
            cursor.execute(sql, params or [])
            cursor.execute(
                "CREATE TRIGGER core_auditentry_no_update BEFORE UPDATE ON core_auditentry "
                "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
            )
            cursor.execute(
                "CREATE TRIGGER core_auditentry_no_delete BEFORE DELETE ON core_auditentry "
                "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
            )


def verify_output() -> str:
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def test_it_chains_rows_in_order(db: Any) -> None:
    rows = write(3)
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
    assert verify_chain() == (3, None)
    assert "3 rows verified" in verify_output()


def test_it_names_an_edited_row(db: Any) -> None:
    rows = write(5)
    raw("UPDATE core_auditentry SET action = 'forged' WHERE id = %s", [rows[2].id])
    with pytest.raises(CommandError, match=rf"seq=3 \(id={rows[2].id}\): edited"):
        verify_output()


def test_it_names_a_deleted_row(db: Any) -> None:
    rows = write(5)
    raw("DELETE FROM core_auditentry WHERE id = %s", [rows[1].id])
    with pytest.raises(CommandError, match=r"seq=2.*missing.*rows 2\.\.2 were deleted"):
        verify_output()


def test_it_notices_rows_deleted_at_the_end(db: Any) -> None:
    rows = write(4)
    raw("DELETE FROM core_auditentry WHERE id = %s", [rows[3].id])
    with pytest.raises(CommandError, match=r"seq=4.*rows at the end were deleted"):
        verify_output()


def test_it_names_a_reordered_row(db: Any) -> None:
    rows = write(4)
    # Swap the positions of rows 2 and 3 (each keeps its own valid content and hash).
    raw("UPDATE core_auditentry SET seq = -1 WHERE id = %s", [rows[1].id])
    raw("UPDATE core_auditentry SET seq = 2 WHERE id = %s", [rows[2].id])
    raw("UPDATE core_auditentry SET seq = 3 WHERE id = %s", [rows[1].id])
    _checked, broken = verify_chain()
    assert broken is not None and broken.seq == 2 and broken.entry_id == rows[2].id
    assert "chain broken" in broken.reason


def test_it_names_an_inserted_row(db: Any) -> None:
    rows = write(3)
    # Move row 3 up one place and forge a row 3 in front of it, hashed like a real one.
    raw("UPDATE core_auditentry SET seq = 4 WHERE id = %s", [rows[2].id])
    forged = AuditEntry(
        seq=3,
        created_at=rows[2].created_at,
        action="forged",
        data="{}",
        prev_hash=rows[1].hash,
        outcome="success",
    )
    from grassroots.core.audit import entry_hash

    forged.hash = entry_hash(forged)
    forged.save(force_insert=True)
    AuditChainHead.objects.filter(id=1).update(seq=4)
    checked, broken = verify_chain()
    assert broken is not None and broken.seq == 4 and broken.entry_id == rows[2].id
    assert checked == 3


def test_the_database_refuses_update_and_delete(db: Any) -> None:
    entry = write(1)[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()


def test_the_model_refuses_save_and_delete(db: Any) -> None:
    entry = write(1)[0]
    entry.action = "forged"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()


def test_the_nightly_check_alerts_security_admins(cast: Any, mailoutbox: list[Any]) -> None:
    assert check_audit_chain() is None
    assert mailoutbox == []
    first = AuditEntry.objects.order_by("seq").first()
    raw("UPDATE core_auditentry SET actor_label = 'x' WHERE id = %s", [first.id])
    problem = check_audit_chain()
    assert problem is not None and "seq=1" in problem
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["sec@example.org"]
    assert "seq=1" in mailoutbox[0].body
    assert AuditEntry.objects.filter(action="audit.verify", outcome="failure").exists()
