"""Every state change of 吹哨报到.

Each service validates (field-level Chinese messages), then in one transaction changes the
whistle or the summons by a conditional update on its current state (a stale or racing second
action gets a Conflict), appends a timeline row (and one on the ticket the whistle hangs off),
writes the audit row, and leaves the messages to `whistles.notify`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.accounts.models import Role
from grassroots.core.audit import audit_log
from grassroots.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from grassroots.core.scoping import scope_of
from grassroots.core.worktime import Deadline, deadline_info
from grassroots.territory.models import Area, AreaKind, Department
from grassroots.tickets.models import CLOSED_STATES, EventKind, Ticket, TicketEvent
from grassroots.tickets.photos import CleanPhoto

from . import notify
from .models import (
    OPEN_SUMMONS,
    DepartmentRating,
    Flag,
    FlagKind,
    FlagState,
    ReportMode,
    Summons,
    SummonsState,
    Whistle,
    WhistleEvent,
    WhistleEventKind,
    WhistleKind,
    WhistlePhoto,
    WhistleRating,
    WhistleReason,
    WhistleState,
)
from .rules import WHISTLER_ROLES, answers_for, is_whistler_side

DESCRIPTION_MAX = 2000
TITLE_MAX = 100
ADDRESS_MAX = 200
NOTE_MAX = 1000
COMMITMENT_MAX = 500
MAX_DEPARTMENTS = 10
WHISTLER_AREA_KINDS = (AreaKind.STREET, AreaKind.TOWNSHIP, AreaKind.COMMUNITY, AreaKind.VILLAGE)


# ---------------------------------------------------------------------------------------------
# helpers


def _now() -> datetime:
    return timezone.now()


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(fields={field: [message]})


def _text(value: str | None, field: str, *, required: bool, limit: int, label: str) -> str:
    text = (value or "").strip()
    if required and not text:
        raise _fail(field, _("请填写%(label)s。") % {"label": label})
    if len(text) > limit:
        raise _fail(field, _("%(label)s不能超过 %(n)d 个字。") % {"label": label, "n": limit})
    return text


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
    for photo in photos:
        row = WhistlePhoto(
            whistle=whistle,
            event=event,
            content_type=photo.content_type,
            size=photo.size,
            width=photo.width,
            height=photo.height,
            sha256=photo.sha256,
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        row.image.save("photo", photo.content, save=False)
        row.save()


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
    if area.kind in (AreaKind.STREET, AreaKind.TOWNSHIP):
        return area
    street = Area.objects.filter(path=area.path[: 2 * Area.steplen]).first()
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


# ---------------------------------------------------------------------------------------------
# blowing


def _whistler_area(actor: Any, ticket: Ticket | None) -> Area:
    """The unit that blows: the actor's street or community (the one covering the ticket)."""
    areas = [a for a in actor.scope_areas.all() if a.kind in WHISTLER_AREA_KINDS]
    if ticket is not None:
        areas = [a for a in areas if ticket.area_path.startswith(a.path)]
        if not areas:
            raise NotFound()
    if not areas:
        raise Forbidden(_("您的账号没有所属街道或社区，不能吹哨。"))
    return max(areas, key=lambda a: len(a.path))  # the most precise unit


def _summonable(actor: Any, street: Area, ids: Sequence[Any]) -> list[Department]:
    """The departments a whistle may call: active ones of the district or of its street."""
    if not ids:
        raise _fail("departments", _("请至少选择一个要召集的部门。"))
    try:
        wanted = list(dict.fromkeys(int(i) for i in ids))
    except (TypeError, ValueError) as exc:
        raise _fail("departments", _("部门选择有误。")) from exc
    if len(wanted) > MAX_DEPARTMENTS:
        raise _fail("departments", _("一次最多召集 %(n)d 个部门。") % {"n": MAX_DEPARTMENTS})
    district_path = street.path[: Area.steplen]
    found = {
        d.pk: d
        for d in Department.objects.filter(
            pk__in=wanted, is_active=True, area__path__in=[district_path, street.path]
        ).select_related("area")
    }
    missing = [i for i in wanted if i not in found]
    if missing:
        raise _fail("departments", _("所选部门不存在、已停用或不在本区。"))
    return [found[i] for i in wanted]


def whistle_blow(
    *,
    actor: Any,
    kind: str,
    reason: str,
    description: str,
    address: str,
    departments: Sequence[Any],
    title: str = "",
    ticket: Ticket | None = None,
    photos: Sequence[CleanPhoto] = (),
    request: HttpRequest | None = None,
) -> Whistle:
    """吹哨: summon one or more departments, each with a report-in deadline from the kind."""
    if actor.role not in WHISTLER_ROLES:
        raise Forbidden(_("只有街道领导或社区书记可以吹哨。"))
    errors: dict[str, list[str]] = {}

    def check(fn: Any) -> Any:
        try:
            return fn()
        except ValidationFailed as exc:
            for field, messages in exc.fields.items():
                errors.setdefault(field, []).extend(messages)
            return None

    if kind not in WhistleKind.values:
        errors["kind"] = [_("请选择哨类：日常哨、攻坚哨或应急哨。")]
    if reason not in WhistleReason.values:
        errors["reason"] = [_("请选择吹哨事由。")]
    description = check(
        lambda: _text(description, "description", required=True, limit=DESCRIPTION_MAX,
                      label=_("情况说明"))
    )  # fmt: skip
    address = check(
        lambda: _text(address, "address", required=True, limit=ADDRESS_MAX, label=_("地点"))
    )
    title = check(lambda: _text(title, "title", required=False, limit=TITLE_MAX, label=_("事项")))
    if ticket is not None and ticket.state in CLOSED_STATES:
        errors.setdefault("ticket", []).append(_("工单已办结或关闭，不能再为它吹哨。"))
    area = _whistler_area(actor, ticket)
    street = _street_of(area)
    chosen = check(lambda: _summonable(actor, street, departments))
    if errors:
        raise ValidationFailed(fields=errors)
    now = _now()
    if not title:
        title = (ticket.category.name if ticket is not None else description)[:30]
    with transaction.atomic():
        whistle = Whistle.objects.create(
            kind=kind,
            reason=reason,
            title=title,
            description=description,
            address=address,
            ticket=ticket,
            area=area,
            area_path=area.path,
            street=street,
            whistler=actor,
            created_at=now,
            updated_at=now,
        )
        whistle.number = f"WS-{timezone.localtime(now):%Y%m%d}-{whistle.pk:06d}"
        Whistle.objects.filter(pk=whistle.pk).update(number=whistle.number)
        due = report_in_deadline_info(kind, now)
        report_by = due.at
        summonses = Summons.objects.bulk_create(
            [
                Summons(
                    whistle=whistle,
                    department=d,
                    street=street,
                    created_at=now,
                    report_by=report_by,
                    deadline_provisional=due.provisional,
                    remind_at=now + (report_by - now) / 2,
                )
                for d in chosen
            ]
        )
        if not all(s.pk for s in summonses):  # SQLite before 3.35 returns no ids
            summonses = list(whistle.summonses.select_related("department"))
        blown = _event(
            whistle,
            WhistleEventKind.BLOWN,
            actor,
            f"{whistle.get_kind_display()} · {whistle.get_reason_display()}",
            at=now,
        )
        _save_photos(whistle, photos, actor, blown)
        for summons in summonses:
            _event(whistle, WhistleEventKind.SUMMONED, actor, summons=summons, at=now)
        _audit(
            "blow", actor, whistle, request,
            kind=kind, ticket=ticket.number if ticket else "",
            departments=[d.code for d in chosen],
        )  # fmt: skip
        notify.summoned(whistle, summonses)
    return whistle


# ---------------------------------------------------------------------------------------------
# the department's side


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


# ---------------------------------------------------------------------------------------------
# the whistler's side


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


def no_show_detail(summons: Summons) -> str:
    return _("%(dept)s 未在报到时限（%(at)s）前报到 %(whistle)s。") % {
        "dept": summons.department,
        "at": timezone.localtime(summons.report_by).strftime("%m-%d %H:%M"),
        "whistle": summons.whistle.number,
    }


# ---------------------------------------------------------------------------------------------
# supervision


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
