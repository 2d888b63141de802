"""The summoned department's side: report in, act, withdraw (flagged), rate the whistle."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from grassroots.core.errors import Conflict, Forbidden, ValidationFailed
from grassroots.tickets.photos import CleanPhoto

from .. import notify
from ..models import (
    OPEN_SUMMONS,
    FlagKind,
    ReportMode,
    Summons,
    SummonsState,
    Whistle,
    WhistleEvent,
    WhistleEventKind,
    WhistleRating,
)
from ..rules import answers_for
from .common import (
    COMMITMENT_MAX,
    NOTE_MAX,
    _audit,
    _event,
    _fail,
    _move_summons,
    _now,
    _save_photos,
    _summons_state_error,
    _text,
    raise_flag,
)


def _department_side(actor: Any, summons: Summons) -> None:
    if not answers_for(actor, summons):
        raise Forbidden(_("只有被召集部门的工作人员可以办理。"))


def summons_report_in(
    *,
    actor: Any,
    summons: Summons,
    mode: str,
    commitment: str,
    request: HttpRequest | None = None,
) -> Summons:
    """报到: who, when, on site or remote, and what the department commits to."""
    _department_side(actor, summons)
    errors: dict[str, list[str]] = {}
    if mode not in ReportMode.values:
        errors["mode"] = [_("请选择报到方式：到现场或远程对接。")]
    try:
        commitment = _text(commitment, "commitment", required=True, limit=COMMITMENT_MAX,
                           label=_("承诺事项"))  # fmt: skip
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if summons.state == SummonsState.REPORTED:
        raise ValidationFailed(
            _("本部门已经报到。"), code="wrong_state", fields={"state": [_("已报到。")]}
        )
    if summons.state != SummonsState.SUMMONED:
        raise _summons_state_error(summons, _("报到"))
    if errors:
        raise ValidationFailed(fields=errors)
    whistle = summons.whistle
    now = _now()
    with transaction.atomic():
        _move_summons(
            summons, [SummonsState.SUMMONED],
            state=SummonsState.REPORTED, reported_at=now, reported_by=actor,
            report_mode=mode, commitment=commitment,
        )  # fmt: skip
        late = now > summons.report_by
        _event(
            whistle, WhistleEventKind.REPORTED_IN, actor,
            f"{ReportMode(mode).label}：{commitment}", summons=summons,
            data={"mode": mode, "late": late}, at=now,
        )  # fmt: skip
        if late:
            minutes = int((now - summons.report_by).total_seconds() // 60)
            raise_flag(
                FlagKind.LATE_REPORT_IN,
                summons=summons,
                area_path=whistle.area_path,
                street_id=whistle.street_id,
                detail=_("%(dept)s 在 %(whistle)s 中超过报到时限 %(n)d 分钟才报到。")
                % {"dept": summons.department, "whistle": whistle.number, "n": minutes},
                data={"late_minutes": minutes},
                at=now,
            )
        _audit("report_in", actor, whistle, request, department=summons.department.code,
               mode=mode, late=late)  # fmt: skip
        Whistle.objects.filter(pk=whistle.pk).update(updated_at=now)
        notify.reported_in(summons)
    return summons


def summons_action(
    *,
    actor: Any,
    summons: Summons,
    note: str,
    photos: Sequence[CleanPhoto] = (),
    request: HttpRequest | None = None,
) -> WhistleEvent:
    """A department records what it did, on the whistle's shared timeline."""
    _department_side(actor, summons)
    note = _text(note, "note", required=True, limit=NOTE_MAX, label=_("处置情况"))
    if summons.state == SummonsState.SUMMONED:
        raise ValidationFailed(
            _("请先报到，再记录处置情况。"), code="wrong_state",
            fields={"state": [_("尚未报到。")]},
        )  # fmt: skip
    if summons.state != SummonsState.REPORTED:
        raise _summons_state_error(summons, _("记录处置情况"))
    whistle = summons.whistle
    with transaction.atomic():
        # Locks the summons against a concurrent release: an action lands on an open summons.
        if (
            not Summons.objects.select_for_update()
            .filter(pk=summons.pk, state=SummonsState.REPORTED)
            .exists()
        ):
            raise Conflict(_("该召集已被他人处理，请刷新后再试。"))
        event = _event(whistle, WhistleEventKind.ACTION, actor, note, summons=summons)
        _save_photos(whistle, photos, actor, event)
        Whistle.objects.filter(pk=whistle.pk).update(updated_at=event.created_at)
        _audit("action", actor, whistle, request, department=summons.department.code)
        notify.action(summons, note)
    return event


def summons_withdraw(
    *, actor: Any, summons: Summons, note: str, request: HttpRequest | None = None
) -> Summons:
    """The department leaves before the whistler confirms or releases it. Recorded, not
    prevented — and flagged, because "事不完、人不撤"."""
    _department_side(actor, summons)
    note = _text(note, "note", required=True, limit=NOTE_MAX, label=_("撤离原因"))
    if summons.state not in OPEN_SUMMONS:
        raise _summons_state_error(summons, _("撤离"))
    whistle = summons.whistle
    now = _now()
    with transaction.atomic():
        _move_summons(summons, OPEN_SUMMONS, state=SummonsState.WITHDRAWN, closed_at=now,
                      close_note=note)  # fmt: skip
        _event(whistle, WhistleEventKind.WITHDRAWN, actor, note, summons=summons, at=now)
        raise_flag(
            FlagKind.WITHDRAWN,
            summons=summons,
            area_path=whistle.area_path,
            street_id=whistle.street_id,
            detail=_("%(dept)s 未经吹哨方确认即撤离 %(whistle)s：%(note)s")
            % {"dept": summons.department, "whistle": whistle.number, "note": note},
            at=now,
        )
        _audit("withdraw", actor, whistle, request, department=summons.department.code)
        notify.withdrawn(summons, note)
    return summons


def whistle_rate(
    *,
    actor: Any,
    summons: Summons,
    necessary: bool | None,
    comment: str = "",
    request: HttpRequest | None = None,
) -> WhistleRating:
    """The summoned department's view of the whistle: was it necessary (once per summons)."""
    _department_side(actor, summons)
    if necessary is None:
        raise _fail("necessary", _("请选择这次吹哨是否确有必要。"))
    comment = _text(comment, "comment", required=not necessary, limit=NOTE_MAX,
                    label=_("说明"))  # fmt: skip
    whistle = summons.whistle
    with transaction.atomic():
        try:
            with transaction.atomic():
                rating = WhistleRating.objects.create(
                    summons=summons, whistle=whistle, street_id=whistle.street_id,
                    necessary=bool(necessary), comment=comment, rated_by=actor,
                )  # fmt: skip
        except IntegrityError as exc:
            raise Conflict(_("本部门已经评价过这次吹哨。"), code="already_rated") from exc
        _event(
            whistle, WhistleEventKind.RATED_WHISTLE, actor,
            (_("确有必要") if necessary else _("没有必要")) + (f"：{comment}" if comment else ""),
            summons=summons, data={"necessary": bool(necessary)},
        )  # fmt: skip
        _audit("rate_whistle", actor, whistle, request, department=summons.department.code,
               necessary=bool(necessary))  # fmt: skip
    return rating
