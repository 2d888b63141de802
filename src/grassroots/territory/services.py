"""Every change to the territory goes through here (admin, seed, API)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from grassroots.core.audit import audit_log
from grassroots.core.errors import from_django_validation

from .models import Area, Department

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
