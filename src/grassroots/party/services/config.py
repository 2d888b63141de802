"""The configuration of organisational life, changed by the system administrator: meeting
kinds (frequency, quorum and passing rules, reminder days) and point rules. The set of kinds
and rules is fixed by the code that reads them; only their values change, each change audited
with the values before and after."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest

from grassroots.core.audit import audit_log

from ..models import MeetingKind, PointRule

KIND_FIELDS = (
    "name",
    "period",
    "times",
    "required",
    "quorum",
    "passing",
    "remind_days",
    "order",
    "rule",
)
RULE_FIELDS = ("name", "points", "active", "note")


def _update(
    *,
    actor: Any,
    obj: Any,
    fields: tuple[str, ...],
    values: dict[str, Any],
    action: str,
    request: HttpRequest | None,
) -> Any:
    with transaction.atomic():
        current = type(obj).objects.select_for_update().get(pk=obj.pk)
        before = {f: getattr(current, f) for f in fields}
        for f in fields:
            if f in values:
                setattr(current, f, values[f])
        current.full_clean()
        current.save()
        after = {f: getattr(current, f) for f in fields}
        changed = {f: [before[f], after[f]] for f in fields if before[f] != after[f]}
        audit_log(
            action=action, actor=actor, obj=current, data={"changed": changed}, request=request
        )
    return current


def meeting_kind_update(
    *, actor: Any, kind: MeetingKind, values: dict[str, Any], request: HttpRequest | None = None
) -> MeetingKind:
    return _update(
        actor=actor,
        obj=kind,
        fields=KIND_FIELDS,
        values=values,
        action="party.meeting_kind_update",
        request=request,
    )


def point_rule_update(
    *, actor: Any, rule: PointRule, values: dict[str, Any], request: HttpRequest | None = None
) -> PointRule:
    return _update(
        actor=actor,
        obj=rule,
        fields=RULE_FIELDS,
        values=values,
        action="party.point_rule_update",
        request=request,
    )
