from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Length, Substr

from .models import Area, Department


def areas_for(user: Any, *, parent: Area | None = None, kind: str | None = None) -> QuerySet[Area]:
    """The areas the user may see, with each one's parent id, in tree order."""
    qs = Area.objects.visible_to(user)
    if parent is not None:
        qs = qs.filter(path__startswith=parent.path, depth=parent.depth + 1)
    if kind:
        qs = qs.filter(kind=kind)
    parent_pk = Area.objects.filter(
        path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Area.steplen)
    ).values("pk")[:1]
    return qs.annotate(parent_pk=Subquery(parent_pk)).order_by("path")


def departments_for(user: Any) -> QuerySet[Department]:
    return Department.objects.visible_to(user).order_by("code")
