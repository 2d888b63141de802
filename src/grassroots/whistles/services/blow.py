"""吹哨: a whistler summons departments, each with a report-in deadline from the kind."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.core.errors import Forbidden, NotFound, ValidationFailed
from grassroots.territory.models import Area, Department
from grassroots.tickets.models import CLOSED_STATES, Ticket
from grassroots.tickets.photos import CleanPhoto

from .. import notify
from ..models import (
    Summons,
    Whistle,
    WhistleEventKind,
    WhistleKind,
    WhistleReason,
)
from ..rules import WHISTLER_ROLES
from .common import (
    ADDRESS_MAX,
    DESCRIPTION_MAX,
    MAX_DEPARTMENTS,
    TITLE_MAX,
    WHISTLER_AREA_KINDS,
    _audit,
    _event,
    _fail,
    _now,
    _save_photos,
    _street_of,
    _text,
    report_in_deadline_info,
)


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
