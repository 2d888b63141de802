from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from grassroots.core.audit import audit_log
from grassroots.core.errors import ValidationFailed
from grassroots.core.personal import mask_mobile
from grassroots.core.validators import is_mobile
from grassroots.territory.models import Area, AreaKind

from .models import MemberUnit, MemberUnitKind


def member_unit_create(
    *,
    actor: Any,
    name: str,
    kind: str,
    area: Area,
    address: str = "",
    contact_name: str = "",
    contact_mobile: str = "",
) -> MemberUnit:
    """A unit stationed in a community or street (驻区单位)."""
    errors: dict[str, list[str]] = {}
    name = name.strip()
    if not name:
        errors["name"] = [_("请填写单位名称。")]
    elif MemberUnit.objects.filter(area=area, name=name).exists():
        errors["name"] = [_("该区域已有同名单位。")]
    if kind not in MemberUnitKind.values:
        errors["kind"] = [_("不是可选的单位类型。")]
    if area.kind not in (AreaKind.STREET, AreaKind.TOWNSHIP, AreaKind.COMMUNITY, AreaKind.VILLAGE):
        errors["area"] = [_("驻区单位应登记在街道或社区。")]
    if contact_mobile and not is_mobile(contact_mobile):
        errors["contact_mobile"] = [_("请输入 11 位手机号码。")]
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        unit = MemberUnit.objects.create(
            name=name,
            kind=kind,
            area=area,
            address=address.strip(),
            contact_name=contact_name.strip(),
            contact_mobile=contact_mobile.strip(),
        )
        audit_log(
            action="alliance.member_unit_create",
            actor=actor,
            obj=unit,
            data={"name": name, "contact_mobile": mask_mobile(unit.contact_mobile)},
        )
    return unit
