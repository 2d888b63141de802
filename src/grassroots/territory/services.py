"""Every change to the territory goes through here (admin, seed, API)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.core.audit import audit_log
from grassroots.core.errors import ValidationFailed, from_django_validation
from grassroots.core.memo import Memo
from grassroots.core.personal import digests, mask_id_number, mask_mobile
from grassroots.core.validators import birth_year_from_id, validate_id_number, validate_mobile

from .models import (
    STREET_KINDS,
    Area,
    AreaKind,
    Department,
    Household,
    Resident,
    ResidentMove,
    ResidentTag,
    ResidentTagKind,
)

TREE_FIELDS = ["path", "depth", "numchild"]


def area_create(
    *,
    actor: Any,
    parent: Area | None,
    kind: str,
    code: str,
    name: str,
    boundary: dict[str, Any] | None = None,
) -> Area:
    """A new node under `parent` (or a new district); refuses a kind that cannot sit there."""
    area = Area(kind=kind, code=code, name=name, boundary=boundary)
    area._parent = parent  # type: ignore[attr-defined]  # read by Area.clean before placement
    try:
        area.full_clean(exclude=TREE_FIELDS)
    except ValidationError as exc:
        raise from_django_validation(exc) from exc
    with transaction.atomic():
        if parent is None:
            area = Area.objects.add_root(instance=area)
        else:
            area = Area.objects.add_child(parent, instance=area)
        audit_log(
            action="territory.area_create",
            actor=actor,
            obj=area,
            data={"kind": kind, "code": code, "name": name},
        )
    return area


def department_create(*, actor: Any, area: Area, code: str, name: str) -> Department:
    department = Department(area=area, code=code, name=name)
    try:
        department.full_clean()
    except ValidationError as exc:
        raise from_django_validation(exc) from exc
    with transaction.atomic():
        department.save()
        audit_log(
            action="territory.department_create",
            actor=actor,
            obj=department,
            data={"code": code, "name": name, "area": area.code},
        )
    return department


def _load_streets() -> dict[str, Area]:
    return {a.path: a for a in Area.objects.filter(kind__in=STREET_KINDS)}


# The streets and townships by path: few, and all but never changed. Every filing, whistle,
# household and party organisation asks for its street.
streets: Memo[dict[str, Area]] = Memo("territory:streets:version", _load_streets)


@receiver([post_save, post_delete], sender=Area)
def forget_streets(instance: Area, **kwargs: object) -> None:
    # Any change at a street's level: a street added, renamed, removed or made something else.
    if len(instance.path) <= 2 * Area.steplen:
        streets.forget()


def street_of(area: Area) -> Area | None:
    """The street (or township) an area lies in, or None for the district itself (a copy:
    the memo's rows are shared)."""
    if area.kind in STREET_KINDS:
        return area
    if area.depth < 2:
        return None
    path = area.path[: 2 * Area.steplen]
    known = streets.get().get(path)
    return copy.copy(known) if known is not None else Area.objects.get(path=path)


def household_create(*, actor: Any, building: Area, unit: str, room: str) -> Household:
    """A household in a building; unit and room are unique within the building."""
    errors: dict[str, list[str]] = {}
    unit, room = unit.strip(), room.strip()
    if building.kind != AreaKind.BUILDING:
        errors["building"] = [_("住户只能登记在楼栋下。")]
    if not room:
        errors["room"] = [_("请填写房号。")]
    elif Household.objects.filter(building=building, unit=unit, room=room).exists():
        errors["room"] = [_("该楼栋已有这个单元和房号。")]
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        household = Household.objects.create(
            building=building,
            unit=unit,
            room=room,
            area_path=building.path,
            street=street_of(building),
        )
        audit_log(
            action="territory.household_create",
            actor=actor,
            obj=household,
            data={"building": building.code, "unit": unit, "room": room},
        )
    return household


def check_resident_fields(
    *,
    name: str,
    mobile: str,
    id_number: str,
    birth_year: int | None,
    exclude_pk: int | None = None,
) -> dict[str, list[str]]:
    """Field errors for a resident's identity, shared by the form, the API and the import."""
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("请填写姓名。")]
    if mobile:
        try:
            validate_mobile(mobile)
        except ValidationError as exc:
            errors["mobile"] = list(exc.messages)
    if id_number:
        try:
            validate_id_number(id_number)
        except ValidationError as exc:
            errors["id_number"] = list(exc.messages)
        else:
            taken = Resident.objects.filter(id_number_digest__in=digests(id_number))
            if exclude_pk:
                taken = taken.exclude(pk=exclude_pk)
            if taken.exists():
                errors["id_number"] = [_("该身份证号已登记。")]
    if birth_year is not None and not (1900 <= birth_year <= timezone.localdate().year):
        errors["birth_year"] = [_("出生年份不正确。")]
    return errors


def resident_create(
    *,
    actor: Any,
    household: Household | None,
    name: str,
    mobile: str = "",
    id_number: str = "",
    gender: str = "",
    birth_year: int | None = None,
    tags: Iterable[str] = (),
    user: Any = None,
) -> Resident:
    """A resident registered in a household; the move-in is the first line of their history."""
    id_number = id_number.strip().upper()
    if id_number and birth_year is None:
        try:
            validate_id_number(id_number)
        except ValidationError:
            pass  # reported with the other field errors just below
        else:
            birth_year = birth_year_from_id(id_number)
    errors = check_resident_fields(
        name=name, mobile=mobile.strip(), id_number=id_number, birth_year=birth_year
    )
    bad_tags = [t for t in tags if t not in ResidentTagKind.values]
    if bad_tags:
        errors["tags"] = [_("未知的标签：%(tags)s") % {"tags": "、".join(bad_tags)}]
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        resident = Resident.objects.create(
            name=name.strip(),
            mobile=mobile.strip(),
            id_number=id_number,
            gender=gender,
            birth_year=birth_year,
            household=household,
            user=user,
            area_path=household.area_path if household else "",
            street_id=household.street_id if household else None,
        )
        ResidentTag.objects.bulk_create([ResidentTag(resident=resident, kind=t) for t in set(tags)])
        if household is not None:
            ResidentMove.objects.create(
                resident=resident,
                to_household=household,
                moved_at=timezone.now(),
                reason=_("登记入住"),
                actor=actor if getattr(actor, "pk", None) else None,
            )
        audit_log(
            action="territory.resident_create",
            actor=actor,
            obj=resident,
            data={
                "household": household.pk if household else None,
                "mobile": mask_mobile(resident.mobile),
                "id_number": mask_id_number(resident.id_number),
            },
        )
    return resident


def resident_move(
    *, actor: Any, resident: Resident, to_household: Household | None, reason: str = ""
) -> Resident:
    """Move a resident to another household (or out of the district, with None); the old
    household stays in the history."""
    if to_household is not None and to_household.pk == resident.household_id:
        raise ValidationFailed(fields={"household": [_("已经住在这一户。")]})
    with transaction.atomic():
        before = resident.household
        resident.household = to_household
        resident.area_path = to_household.area_path if to_household else ""
        resident.street_id = to_household.street_id if to_household else None
        resident.save(update_fields=["household", "area_path", "street", "updated_at"])
        ResidentMove.objects.create(
            resident=resident,
            from_household=before,
            to_household=to_household,
            moved_at=timezone.now(),
            reason=reason.strip()[:200],
            actor=actor if getattr(actor, "pk", None) else None,
        )
        audit_log(
            action="territory.resident_move",
            actor=actor,
            obj=resident,
            data={
                "from": before.pk if before else None,
                "to": to_household.pk if to_household else None,
            },
        )
    return resident
