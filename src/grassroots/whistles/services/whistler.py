"""The whistler's side: release a department, confirm the problem solved, rate each
department; and the street leader's review of flags."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from grassroots.accounts.models import Role
from grassroots.core.audit import audit_log
from grassroots.core.errors import Conflict, Forbidden, ValidationFailed
from grassroots.core.scoping import scope_of

from .. import notify
from ..models import (
    OPEN_SUMMONS,
    DepartmentRating,
    Flag,
    FlagKind,
    FlagState,
    Summons,
    SummonsState,
    Whistle,
    WhistleEventKind,
    WhistleState,
)
from ..rules import is_whistler_side
from .common import (
    NOTE_MAX,
    _audit,
    _event,
    _move_summons,
    _now,
    _summons_state_error,
    _text,
    no_show_detail,
    raise_flag,
)


def _whistler_side(actor: Any, whistle: Whistle) -> None:
    if not is_whistler_side(actor, whistle):
        raise Forbidden(_("只有吹哨单位的领导可以办理。"))


def summons_release(
    *, actor: Any, summons: Summons, note: str, request: HttpRequest | None = None
) -> Summons:
    """放行: the whistler lets one department go (its part is done, or it was the wrong one)."""
    whistle = summons.whistle
    _whistler_side(actor, whistle)
    note = _text(note, "note", required=True, limit=NOTE_MAX, label=_("放行说明"))
    if summons.state not in OPEN_SUMMONS:
        raise _summons_state_error(summons, _("放行"))
    now = _now()
    with transaction.atomic():
        _move_summons(summons, OPEN_SUMMONS, state=SummonsState.RELEASED, closed_at=now,
                      close_note=note)  # fmt: skip
        _event(whistle, WhistleEventKind.RELEASED, actor, note, summons=summons, at=now)
        _audit("release", actor, whistle, request, department=summons.department.code)
        notify.released(summons, note)
    return summons


def whistle_confirm(
    *, actor: Any, whistle: Whistle, note: str = "", request: HttpRequest | None = None
) -> Whistle:
    """The whistler confirms the problem solved: every department still there is done. One
    that never reported in is released, and flagged if its deadline had passed."""
    _whistler_side(actor, whistle)
    note = _text(note, "note", required=False, limit=NOTE_MAX, label=_("确认说明"))
    if whistle.state != WhistleState.OPEN:
        raise ValidationFailed(
            _("这次吹哨已确认解决。"), code="wrong_state", fields={"state": [_("已解决。")]}
        )
    now = _now()
    with transaction.atomic():
        updated = Whistle.objects.filter(pk=whistle.pk, state=WhistleState.OPEN).update(
            state=WhistleState.SOLVED, solved_at=now, solved_note=note, updated_at=now
        )
        if updated != 1:
            raise Conflict(_("这次吹哨已被他人处理，请刷新后再试。"))
        whistle.state, whistle.solved_at, whistle.solved_note = WhistleState.SOLVED, now, note
        summonses = list(
            whistle.summonses.select_for_update(of=("self",))
            .select_related("department")
            .filter(state__in=OPEN_SUMMONS)
        )
        _event(whistle, WhistleEventKind.CONFIRMED, actor, note, at=now)
        for summons in summonses:
            if summons.state == SummonsState.REPORTED:
                _move_summons(summons, [SummonsState.REPORTED], state=SummonsState.CONFIRMED,
                              closed_at=now, close_note=note)  # fmt: skip
                continue
            _move_summons(summons, [SummonsState.SUMMONED], state=SummonsState.RELEASED,
                          closed_at=now, close_note=_("问题已解决，部门未报到。"))  # fmt: skip
            if summons.report_by < now:
                raise_flag(
                    FlagKind.NO_SHOW,
                    summons=summons,
                    area_path=whistle.area_path,
                    street_id=whistle.street_id,
                    detail=no_show_detail(summons),
                    at=now,
                )
        _audit("confirm", actor, whistle, request, departments=len(summonses))
        notify.confirmed(whistle, summonses)
    return whistle


def department_rate(
    *,
    actor: Any,
    summons: Summons,
    timeliness: Any,
    attitude: Any,
    result: Any,
    comment: str = "",
    request: HttpRequest | None = None,
) -> DepartmentRating:
    """The whistler rates one department's response, 1–5 on each of three counts, once the
    department has answered (reported in, or the summons ended)."""
    whistle = summons.whistle
    _whistler_side(actor, whistle)
    errors: dict[str, list[str]] = {}
    scores: dict[str, int] = {}
    for field, value in (("timeliness", timeliness), ("attitude", attitude), ("result", result)):
        try:
            score = int(value)
            if isinstance(value, bool) or str(score) != str(value).strip():
                raise ValueError
        except (TypeError, ValueError):
            errors[field] = [_("请打 1 到 5 分。")]
            continue
        if not 1 <= score <= 5:
            errors[field] = [_("评分须在 1 到 5 分之间。")]
        scores[field] = score
    try:
        comment = _text(comment, "comment", required=False, limit=NOTE_MAX, label=_("评语"))
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if errors:
        raise ValidationFailed(fields=errors)
    if summons.state == SummonsState.SUMMONED:
        raise ValidationFailed(
            _("部门尚未报到，暂不能评价；可先放行或等待报到。"), code="wrong_state",
            fields={"state": [_("尚未报到。")]},
        )  # fmt: skip
    with transaction.atomic():
        try:
            with transaction.atomic():
                rating = DepartmentRating.objects.create(
                    summons=summons, department_id=summons.department_id,
                    street_id=whistle.street_id, comment=comment, rated_by=actor, **scores,
                )  # fmt: skip
        except IntegrityError as exc:
            raise Conflict(_("已经评价过这个部门。"), code="already_rated") from exc
        _event(
            whistle, WhistleEventKind.RATED_DEPARTMENT, actor,
            _("及时 %(t)d · 态度 %(a)d · 效果 %(r)d") % {
                "t": scores["timeliness"], "a": scores["attitude"], "r": scores["result"]
            } + (f"：{comment}" if comment else ""),
            summons=summons, data=scores,
        )  # fmt: skip
        _audit("rate_department", actor, whistle, request,
               department=summons.department.code, **scores)  # fmt: skip
    return rating


def flag_clear(*, actor: Any, flag: Flag, note: str, request: HttpRequest | None = None) -> Flag:
    """A street leader records that a flag was looked into (核查), with what was found."""
    if actor.role != Role.STREET_LEADER or not any(
        flag.area_path.startswith(p) for p in scope_of(actor).area_paths
    ):
        raise Forbidden(_("只有街道领导可以核查推诿扯皮记录。"))
    note = _text(note, "note", required=True, limit=NOTE_MAX, label=_("核查说明"))
    now = _now()
    with transaction.atomic():
        updated = Flag.objects.filter(pk=flag.pk, state=FlagState.OPEN).update(
            state=FlagState.CLEARED, cleared_at=now, cleared_by=actor, clear_note=note
        )
        if updated != 1:
            raise Conflict(_("该记录已核查。"))
        flag.state, flag.cleared_at, flag.cleared_by, flag.clear_note = (
            FlagState.CLEARED, now, actor, note,
        )  # fmt: skip
        audit_log(
            action="whistles.flag_clear", actor=actor, obj=flag, request=request,
            street_id=flag.street_id, data={"kind": flag.kind},
        )  # fmt: skip
    return flag
