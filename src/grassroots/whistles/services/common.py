"""Shared parts of the 吹哨报到 services: validation helpers, deadlines, the timeline row (and
its mirror on the ticket), audit rows, photos, the conditional summons move and flags."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.core.audit import audit_log
from grassroots.core.errors import Conflict, ValidationFailed, clean_text, field_error
from grassroots.core.worktime import Deadline, deadline_info
from grassroots.territory.models import Area, AreaKind, Department
from grassroots.territory.services import street_of
from grassroots.tickets.models import EventKind, Ticket, TicketEvent
from grassroots.tickets.photos import CleanPhoto, store_photos

from ..models import (
    Flag,
    Summons,
    Whistle,
    WhistleEvent,
    WhistleEventKind,
    WhistleKind,
    WhistlePhoto,
)

DESCRIPTION_MAX = 2000
TITLE_MAX = 100
ADDRESS_MAX = 200
NOTE_MAX = 1000
COMMITMENT_MAX = 500
MAX_DEPARTMENTS = 10
WHISTLER_AREA_KINDS = (AreaKind.STREET, AreaKind.TOWNSHIP, AreaKind.COMMUNITY, AreaKind.VILLAGE)

# ---------------------------------------------------------------------------------------------
# helpers


# Shared with the other service modules of this app.
_fail = field_error
_text = clean_text


def _now() -> datetime:
    return timezone.now()


def report_in_deadline_info(kind: str, start: datetime) -> Deadline:
    """The report-in deadline of a summons made at `start` (settings: WHISTLE_*), and whether
    it is provisional (a working-day count in a year the calendar does not know yet)."""
    if kind == WhistleKind.EMERGENCY:
        return Deadline(start + timedelta(minutes=settings.WHISTLE_EMERGENCY_MINUTES))
    if kind == WhistleKind.TOUGH:
        return deadline_info(start, settings.WHISTLE_TOUGH_HOURS, "hours")
    return deadline_info(start, settings.WHISTLE_ROUTINE_WORKING_DAYS, "working_days")


def report_in_deadline(kind: str, start: datetime) -> datetime:
    return report_in_deadline_info(kind, start).at


def _actor_label(actor: Any) -> str:
    if getattr(actor, "is_authenticated", False):
        return str(actor.display_name)[:100]
    return _("系统")


def _event(
    whistle: Whistle,
    kind: str,
    actor: Any,
    note: str = "",
    *,
    summons: Summons | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> WhistleEvent:
    """A row on the whistle's timeline, mirrored on the ticket's when it hangs off one."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    at = at or _now()
    row = WhistleEvent.objects.create(
        whistle=whistle,
        summons=summons,
        street_id=whistle.street_id,
        kind=kind,
        actor=user,
        actor_label=_actor_label(actor),
        created_at=at,
        note=note,
        data=data or {},
    )
    if whistle.ticket_id is not None:
        TicketEvent.objects.create(**ticket_event_fields(whistle, row))
    return row


def ticket_event_fields(whistle: Whistle, event: WhistleEvent) -> dict[str, Any]:
    """The ticket's timeline row that mirrors a whistle's: "报到（区城管委）：到现场：…"."""
    department = event.summons.department if event.summons is not None else None
    what = WhistleEventKind(event.kind).label
    return {
        "ticket_id": whistle.ticket_id,
        "street_id": whistle.street_id,
        "kind": EventKind.WHISTLE,
        "actor": event.actor,
        "actor_label": event.actor_label,
        "created_at": event.created_at,
        "note": f"{what}{f'（{department}）' if department else ''}"
        f"{'：' + event.note if event.note else ''}",
        "unit_department": department,
        "data": {"whistle": whistle.number, "whistle_event": event.kind},
    }


def _audit(
    action: str, actor: Any, whistle: Whistle, request: HttpRequest | None, **data: Any
) -> None:
    audit_log(
        action=f"whistles.{action}",
        actor=actor,
        obj=whistle,
        request=request,
        street_id=whistle.street_id,
        data={"number": whistle.number, **data},
    )


def _save_photos(
    whistle: Whistle, photos: Sequence[CleanPhoto], actor: Any, event: WhistleEvent
) -> None:
    store_photos(WhistlePhoto, photos, actor, whistle=whistle, event=event)


def _move_summons(summons: Summons, from_states: Iterable[str], **changes: Any) -> None:
    updated = Summons.objects.filter(pk=summons.pk, state__in=list(from_states)).update(**changes)
    if updated != 1:
        raise Conflict(_("该召集已被他人处理，请刷新后再试。"))
    for field, value in changes.items():
        setattr(summons, field, value)


def _summons_state_error(summons: Summons, action: str) -> ValidationFailed:
    return ValidationFailed(
        _("该召集当前为“%(state)s”，不能%(action)s。")
        % {"state": summons.get_state_display(), "action": action},
        code="wrong_state",
        fields={"state": [_("当前状态不允许此操作。")]},
    )


def _street_of(area: Area) -> Area:
    street = street_of(area)
    if street is None:
        raise _fail("area", _("该单位不属于任何街道。"))
    return street


def raise_flag(
    kind: str,
    *,
    detail: str,
    summons: Summons | None = None,
    ticket: Ticket | None = None,
    department: Department | None = None,
    area_path: str,
    street_id: int,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Flag | None:
    """One flag per (kind, summons) and per (kind, ticket): a second call raises nothing."""
    lookup: dict[str, Any] = {"kind": kind}
    if summons is not None:
        lookup["summons"] = summons
    if ticket is not None:
        lookup["ticket"] = ticket
    if Flag.objects.filter(**lookup).exists():
        return None
    try:
        with transaction.atomic():
            return Flag.objects.create(
                **lookup,
                department=department or getattr(summons, "department", None),
                area_path=area_path,
                street_id=street_id,
                detail=detail,
                data=data or {},
                created_at=at or _now(),
            )
    except IntegrityError:  # a concurrent sweep raised it first
        return None


def escalation_note(summons: Summons) -> str:
    """The timeline's line when a summons passes its deadline (the row names the department)."""
    when = timezone.localtime(summons.report_by).strftime("%m-%d %H:%M")
    return _("报到时限 %(at)s 已过，仍未报到。") % {"at": when}


def no_show_detail(summons: Summons) -> str:
    return _("%(dept)s 未在报到时限（%(at)s）前报到 %(whistle)s。") % {
        "dept": summons.department,
        "at": timezone.localtime(summons.report_by).strftime("%m-%d %H:%M"),
        "whistle": summons.whistle.number,
    }
