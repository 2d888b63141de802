from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from grassroots.core.models import TimeStampedModel
from grassroots.core.scoping import Scope, ScopedQuerySet, under_paths


class AreaKind(models.TextChoices):
    DISTRICT = "district", _("区")
    STREET = "street", _("街道")
    TOWNSHIP = "township", _("乡镇")
    COMMUNITY = "community", _("社区")
    VILLAGE = "village", _("村")
    GRID = "grid", _("网格")
    BUILDING = "building", _("楼栋")


# Which kinds may sit directly under which (None: a root).
PARENT_KINDS: dict[str, set[str | None]] = {
    AreaKind.DISTRICT: {None},
    AreaKind.STREET: {AreaKind.DISTRICT},
    AreaKind.TOWNSHIP: {AreaKind.DISTRICT},
    AreaKind.COMMUNITY: {AreaKind.STREET, AreaKind.TOWNSHIP},
    AreaKind.VILLAGE: {AreaKind.STREET, AreaKind.TOWNSHIP},
    AreaKind.GRID: {AreaKind.COMMUNITY, AreaKind.VILLAGE},
    AreaKind.BUILDING: {AreaKind.GRID},
}


class AreaQuerySet(MP_NodeQuerySet, ScopedQuerySet["Area"]):
    def scope_q(self, user: Any, scope: Scope) -> Q | None:
        paths = list(scope.area_paths)
        if scope.department_ids:
            # Department staff read the territory their departments serve.
            paths += list(
                Department.objects.filter(id__in=scope.department_ids).values_list(
                    "area__path", flat=True
                )
            )
        return under_paths("path", tuple(paths))


class AreaManager(MP_NodeManager.from_queryset(AreaQuerySet)):  # type: ignore[misc]
    def get_queryset(self) -> AreaQuerySet:
        return AreaQuerySet(self.model, using=self._db).order_by("path")


def validate_boundary(value: Any) -> None:
    """A GeoJSON Polygon or MultiPolygon in WGS-84 longitude/latitude that is a valid shape."""
    if value in (None, ""):
        return
    from shapely.geometry import shape

    if not isinstance(value, dict) or value.get("type") not in {"Polygon", "MultiPolygon"}:
        raise ValidationError(
            _("边界须为 GeoJSON 的 Polygon 或 MultiPolygon。"), code="geojson_type"
        )
    try:
        geom = shape(value)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise ValidationError(_("边界坐标格式不正确。"), code="geojson_coords") from exc
    if geom.is_empty or not geom.is_valid:
        raise ValidationError(_("边界图形无效（自相交或点数不足）。"), code="geojson_invalid")
    minx, miny, maxx, maxy = geom.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise ValidationError(
            _("边界坐标须为经纬度（经度 ±180，纬度 ±90）。"), code="geojson_range"
        )


class Area(MP_Node, TimeStampedModel):
    """A node of the territory: district → street/township → community/village → grid → building."""

    kind = models.CharField(_("层级"), max_length=12, choices=AreaKind.choices)
    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    boundary = models.JSONField(
        _("边界（GeoJSON）"), null=True, blank=True, validators=[validate_boundary]
    )

    node_order_by = ["code"]
    objects = AreaManager()

    class Meta:
        verbose_name = _("辖区")
        verbose_name_plural = _("辖区")
        indexes = [models.Index(fields=["kind", "path"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        # A node being placed or moved carries its new parent in `_parent` (set by the service
        # or the admin form); otherwise the parent is the one in the tree.
        if hasattr(self, "_parent"):
            parent = self._parent
        else:
            parent = Area.objects.get_parent(self) if self.path and self.depth > 1 else None
        parent_kind = parent.kind if parent else None
        allowed = PARENT_KINDS.get(self.kind, set())
        if parent_kind not in allowed:
            raise ValidationError(
                {
                    "kind": _("“%(kind)s”不能设在“%(parent)s”之下。")
                    % {
                        "kind": self.get_kind_display(),
                        "parent": AreaKind(parent_kind).label if parent_kind else _("顶层"),
                    }
                }
            )


class DepartmentQuerySet(ScopedQuerySet["Department"]):
    def scope_q(self, user: Any, scope: Scope) -> Q | None:
        q = Q(id__in=scope.department_ids) if scope.department_ids else None
        inside = under_paths("area__path", scope.area_paths)
        if inside is not None:
            # Departments serving the user's areas: those of the district or street above
            # them, and those attached inside them.
            near = Q(area__path__in=scope.ancestor_paths()) | inside
            q = near if q is None else q | near
        return q


class Department(TimeStampedModel):
    """A functional department (职能部门) of the district or of a street."""

    name = models.CharField(_("名称"), max_length=100)
    code = models.CharField(_("编码"), max_length=32, unique=True)
    area = models.ForeignKey(
        Area, verbose_name=_("所属区或街道"), on_delete=models.PROTECT, related_name="departments"
    )
    is_active = models.BooleanField(_("启用"), default=True)

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("职能部门")
        verbose_name_plural = _("职能部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.area_id and self.area.kind not in {
            AreaKind.DISTRICT,
            AreaKind.STREET,
            AreaKind.TOWNSHIP,
        }:
            raise ValidationError({"area": _("职能部门只能设在区或街道（乡镇）。")})
