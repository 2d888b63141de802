from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from grassroots.core.models import TimeStampedModel
from grassroots.core.personal import DigestField, EncryptedField
from grassroots.core.scoping import Scope, ScopedQuerySet, under_paths


class AreaKind(models.TextChoices):
    DISTRICT = "district", _("区")
    STREET = "street", _("街道")
    TOWNSHIP = "township", _("乡镇")
    COMMUNITY = "community", _("社区")
    VILLAGE = "village", _("村")
    GRID = "grid", _("网格")
    BUILDING = "building", _("楼栋")


STREET_KINDS = (AreaKind.STREET, AreaKind.TOWNSHIP)

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
    business_data = False  # base data / accounts

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
    business_data = False  # base data / accounts

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


class HouseholdQuerySet(ScopedQuerySet["Household"]):
    def scope_q(self, user: Any, scope: Scope) -> Q | None:
        return under_paths("area_path", scope.area_paths)


class Household(TimeStampedModel):
    """A dwelling: a room in a unit of a building. Residents live in households."""

    building = models.ForeignKey(
        Area, verbose_name=_("楼栋"), on_delete=models.PROTECT, related_name="households"
    )
    unit = models.CharField(_("单元"), max_length=20, blank=True)
    room = models.CharField(_("房号"), max_length=20)
    # The building's tree path and street, copied at creation: scope filters are one indexed
    # prefix match with no join, and the street is the distribution key (DESIGN rule 10).
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    street = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", null=True, editable=False
    )

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("住户")
        verbose_name_plural = _("住户")
        ordering = ["area_path", "unit", "room"]
        constraints = [
            models.UniqueConstraint(fields=["building", "unit", "room"], name="household_unique")
        ]

    def __str__(self) -> str:
        unit = _("%(unit)s单元") % {"unit": self.unit} if self.unit else ""
        return f"{self.building.name} {unit}{self.room}"

    @property
    def label(self) -> str:
        return f"{self.unit}-{self.room}" if self.unit else self.room


class Gender(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class ResidentTagKind(models.TextChoices):
    ELDERLY_ALONE = "elderly_alone", _("独居老人")
    DISABLED = "disabled", _("残疾人")
    LOW_INCOME = "low_income", _("低保/低收入")
    VETERAN = "veteran", _("退役军人")
    LEFT_BEHIND_CHILD = "left_behind_child", _("留守儿童")


# Tags that say something about a person's health, income or family: shown only to the staff
# of the resident's own community (PIPL: sensitive personal information).
SENSITIVE_TAGS = frozenset(
    {
        ResidentTagKind.ELDERLY_ALONE,
        ResidentTagKind.DISABLED,
        ResidentTagKind.LOW_INCOME,
        ResidentTagKind.LEFT_BEHIND_CHILD,
    }
)


class ResidentQuerySet(ScopedQuerySet["Resident"]):
    def scope_q(self, user: Any, scope: Scope) -> Q | None:
        q = under_paths("area_path", scope.area_paths)
        own = Q(user_id=user.pk)
        return own if q is None else q | own


class Resident(TimeStampedModel):
    """A person who lives in the district, known to the community."""

    name = models.CharField(_("姓名"), max_length=50)
    mobile = EncryptedField(_("手机号"), kind="mobile")
    mobile_digest = DigestField(source="mobile")
    id_number = EncryptedField(_("身份证号"), kind="id_number")
    id_number_digest = DigestField(source="id_number")
    gender = models.CharField(_("性别"), max_length=6, choices=Gender.choices, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("出生年份"), null=True, blank=True)
    household = models.ForeignKey(
        Household,
        verbose_name=_("住户"),
        on_delete=models.PROTECT,
        related_name="residents",
        null=True,
        blank=True,
    )
    area_path = models.CharField(max_length=255, db_index=True, editable=False, blank=True)
    street = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", null=True, editable=False
    )
    user = models.OneToOneField(
        "accounts.User",
        verbose_name=_("登录账号"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resident",
    )

    objects = ResidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        ordering = ["area_path", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_digest"],
                condition=~Q(id_number_digest=""),
                name="resident_id_number_unique",
            ),
            models.CheckConstraint(
                condition=Q(birth_year__isnull=True) | Q(birth_year__gte=1900),
                name="resident_birth_year_sane",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ResidentTag(models.Model):
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="tags")
    kind = models.CharField(_("标签"), max_length=24, choices=ResidentTagKind.choices)

    class Meta:
        verbose_name = _("居民标签")
        verbose_name_plural = _("居民标签")
        constraints = [
            models.UniqueConstraint(fields=["resident", "kind"], name="resident_tag_unique")
        ]

    def __str__(self) -> str:
        return str(self.get_kind_display())

    @property
    def is_sensitive(self) -> bool:
        return self.kind in SENSITIVE_TAGS


class ResidentMove(models.Model):
    """A resident moving in, between households, or out: the history is kept."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="moves")
    from_household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    moved_at = models.DateTimeField(_("搬迁时间"), db_index=True)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("居民迁移记录")
        verbose_name_plural = _("居民迁移记录")
        ordering = ["-moved_at"]

    def __str__(self) -> str:
        return f"{self.resident_id}: {self.from_household_id} → {self.to_household_id}"
