"""The tamper-evident audit log: append and verify.

Appending locks the chain head row (`SELECT … FOR UPDATE` on PostgreSQL; SQLite's IMMEDIATE
transactions already serialise writers), so rows get consecutive `seq` numbers and each row's
`prev_hash` is the hash of the row before it, even with many writers. The lock is held until the
caller's transaction commits: call `audit_log` as the last write of a service.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from . import sql
from .models import AuditChainHead, AuditEntry, AuditOutcome

GENESIS = "0" * 64
HEAD = "SELECT seq, hash FROM core_auditchainhead WHERE id = 1"
HEAD_LOCKED = "SELECT seq, hash FROM core_auditchainhead WHERE id = 1 FOR UPDATE"
HEAD_MOVE = "UPDATE core_auditchainhead SET seq = %s, hash = %s WHERE id = 1"


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(entry: AuditEntry) -> str:
    body = canonical(
        {
            "seq": entry.seq,
            "created_at": entry.created_at.isoformat(),
            "actor_id": entry.actor_id,
            "actor_label": entry.actor_label,
            "action": entry.action,
            "outcome": entry.outcome,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "street_id": entry.street_id,
            "ip": entry.ip,
            "data": entry.data,
            "prev_hash": entry.prev_hash,
        }
    )
    return hashlib.sha256(body.encode()).hexdigest()


def client_ip(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR", ""))[:45]


def audit_log(
    *,
    action: str,
    actor: Any = None,
    obj: models.Model | None = None,
    outcome: str = AuditOutcome.SUCCESS,
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    street_id: int | None = None,
    actor_label: str = "",
) -> AuditEntry:
    """Append one row to the chain. Never holds personal data in clear: pass masked values.

    Inside the caller's transaction no savepoint is made: an append that fails fails the
    caller's change, which is what the log promises."""
    with transaction.atomic(savepoint=False):
        head = sql.fetch_one(HEAD_LOCKED if sql.locks_rows() else HEAD)
        if head is None:
            raise AuditChainHead.DoesNotExist("the audit chain head (id=1) is missing")
        head_seq, head_hash = head
        user = actor if getattr(actor, "is_authenticated", False) else None
        entry = AuditEntry(
            seq=head_seq + 1,
            created_at=timezone.now(),
            actor=user,
            actor_label=(actor_label or (user.get_username() if user else ""))[:150],
            action=action,
            outcome=outcome,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            street_id=street_id if street_id is not None else getattr(obj, "street_id", None),
            ip=client_ip(request),
            data=canonical(data or {}),
            prev_hash=head_hash,
        )
        entry.hash = entry_hash(entry)
        sql.insert(entry, then=(HEAD_MOVE, [entry.seq, entry.hash]))  # one round trip on PG
    return entry


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    entry_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"row seq={self.seq}" + (f" (id={self.entry_id})" if self.entry_id else "")
        return f"{where}: {self.reason}"


def _rows(batch: int = 2000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        chunk = list(AuditEntry.objects.filter(seq__gt=last).order_by("seq")[:batch])
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].seq


def verify_chain() -> tuple[int, ChainBreak | None]:
    """Walk the chain in order; return (rows checked, the first break or None)."""
    expected_seq = 1
    prev = GENESIS
    checked = 0
    for entry in _rows():
        if entry.seq != expected_seq:
            return checked, ChainBreak(
                expected_seq,
                None,
                f"missing: rows {expected_seq}..{entry.seq - 1} were deleted before id={entry.id}",
            )
        if entry.prev_hash != prev:
            return checked, ChainBreak(
                entry.seq,
                entry.id,
                "chain broken: prev_hash does not match the row before it "
                "(a row was inserted, deleted or moved here)",
            )
        if entry_hash(entry) != entry.hash:
            return checked, ChainBreak(
                entry.seq, entry.id, "edited: content does not match its hash"
            )
        prev = entry.hash
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and (head.seq != checked or head.hash != prev):
        return checked, ChainBreak(
            checked + 1,
            None,
            f"missing: the chain ends at seq={checked} but {head.seq} rows were written "
            "(rows at the end were deleted)",
        )
    return checked, None


def export_rows(qs: models.QuerySet[AuditEntry]) -> Iterator[list[str]]:
    yield [
        "seq",
        "created_at",
        "actor",
        "action",
        "outcome",
        "object_type",
        "object_id",
        "street_id",
        "ip",
        "data",
        "prev_hash",
        "hash",
    ]
    for e in qs.order_by("seq").iterator(chunk_size=2000):
        yield [
            str(e.seq),
            timezone.localtime(e.created_at).isoformat(),
            e.actor_label,
            e.action,
            e.outcome,
            e.object_type,
            e.object_id,
            "" if e.street_id is None else str(e.street_id),
            e.ip,
            e.data,
            e.prev_hash,
            e.hash,
        ]
