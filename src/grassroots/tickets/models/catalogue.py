"""The request catalogue (派单目录): categories of requests and their time limits (SLA policies).

Tickets themselves come later; a ticket will name a leaf category, which says who handles it by
default and how fast (DOMAIN.md §2).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager

from grassroots.core.models import TimeStampedModel
from grassroots.core.scoping import under
from grassroots.territory.models import AreaKind, Department


class SlaUnit(models.TextChoices):
    """The units of `grassroots.core.worktime.deadline` (same values)."""

    HOURS = "hours", _("小时")
    DAYS = "days", _("自然日")
    WORKING_DAYS = "working_days", _("工作日")


# Lower bounds in hours, only to catch a respond limit set longer than the resolve limit: a day
# or a working day counted from the next day never ends less than 24 hours after the start.
MIN_HOURS = {SlaUnit.HOURS: 1, SlaUnit.DAYS: 24, SlaUnit.WORKING_DAYS: 24}

UNIT_ERRORS = {"invalid_choice": _("时限单位须为小时、自然日或工作日。")}
POSITIVE = [MinValueValidator(1, message=_("时限须为正整数。"))]


def validate_warn_share(value: float) -> None:
    if not 0 < value < 1:
        raise ValidationError(_("预警比例须大于 0 且小于 1，如 0.8。"), code="warn_share")


class SlaPolicy(TimeStampedModel):
    """How fast requests of a category are answered: respond (contact the requester) and
    resolve within an amount of hours, days or working days; a warning is due once `warn_share`
    of the time has passed. Values are configuration (DOMAIN.md §2), edited by the system admin.
    """

    name = models.CharField(
        _("名称"), max_length=50, unique=True, error_messages={"unique": _("已有同名的时限标准。")}
    )
    respond_amount = models.PositiveSmallIntegerField(_("响应时限"), validators=POSITIVE)
    respond_unit = models.CharField(
        _("响应时限单位"),
        max_length=12,
        choices=SlaUnit.choices,
        default=SlaUnit.HOURS,
        error_messages=UNIT_ERRORS,
    )
    resolve_amount = models.PositiveSmallIntegerField(_("办结时限"), validators=POSITIVE)
    resolve_unit = models.CharField(
        _("办结时限单位"),
        max_length=12,
        choices=SlaUnit.choices,
        default=SlaUnit.DAYS,
        error_messages=UNIT_ERRORS,
    )
    warn_share = models.FloatField(
        _("预警比例"),
        default=0.8,
        validators=[validate_warn_share],
        help_text=_("时限过去这一比例时发出预警，如 0.8。"),
    )
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("时限标准")
        verbose_name_plural = _("时限标准")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(respond_amount__gte=1),
                name="slapolicy_respond_positive",
                violation_error_message=_("时限须为正整数。"),
            ),
            models.CheckConstraint(
                condition=Q(resolve_amount__gte=1),
                name="slapolicy_resolve_positive",
                violation_error_message=_("时限须为正整数。"),
            ),
            models.CheckConstraint(
                condition=Q(warn_share__gt=0, warn_share__lt=1),
                name="slapolicy_warn_share_range",
                violation_error_message=_("预警比例须大于 0 且小于 1，如 0.8。"),
            ),
            models.CheckConstraint(
                condition=Q(respond_unit__in=SlaUnit.values, resolve_unit__in=SlaUnit.values),
                name="slapolicy_units_known",
                violation_error_message=_("时限单位须为小时、自然日或工作日。"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def respond_label(self) -> str:
        return f"{self.respond_amount} {SlaUnit(self.respond_unit).label}"

    @property
    def resolve_label(self) -> str:
        return f"{self.resolve_amount} {SlaUnit(self.resolve_unit).label}"

    def clean(self) -> None:
        super().clean()
        units = SlaUnit.values
        if (
            self.respond_unit in units
            and self.resolve_unit in units
            and self.respond_amount
            and self.resolve_amount
        ):
            same_unit = self.respond_unit == self.resolve_unit
            longer = (
                self.respond_amount > self.resolve_amount
                if same_unit
                else self.respond_amount * MIN_HOURS[SlaUnit(self.respond_unit)]
                > self.resolve_amount * MIN_HOURS[SlaUnit(self.resolve_unit)]
            )
            if longer:
                raise ValidationError({"respond_amount": _("响应时限不能长于办结时限。")})


class HandlingLevel(models.TextChoices):
    """Who handles a category's requests by default (the dispatcher may choose otherwise)."""

    GRID = "grid", _("网格")
    COMMUNITY = "community", _("社区")
    STREET = "street", _("街道")
    DEPARTMENT = "department", _("职能部门")


KEYWORD_SEPARATORS = re.compile(r"[,，、;；\s]+")


def split_keywords(text: str) -> list[str]:
    """'燃气、煤气,漏气' → ['燃气', '煤气', '漏气'] (order kept, duplicates dropped)."""
    seen: dict[str, None] = {}
    for word in KEYWORD_SEPARATORS.split(text or ""):
        if word:
            seen.setdefault(word, None)
    return list(seen)


class CategoryManager(MP_NodeManager):  # type: ignore[misc]
    """Treebeard's manager: every query in tree order (by path)."""


class Category(MP_Node, TimeStampedModel):
    """A node of the catalogue. Leaves are what a request is filed under: each active leaf names
    its default handling level and its SLA policy; inner nodes only group (their level and
    policy, if any, are not used)."""

    code = models.CharField(
        _("编码"),
        max_length=32,
        unique=True,
        validators=[
            RegexValidator(
                r"^[0-9A-Za-z_-]+$", message=_("编码只能包含字母、数字、短横线和下划线。")
            )
        ],
        error_messages={"unique": _("该编码已被其他类别使用。")},
        help_text=_("如 05、0503；上报时用编码指明类别。"),
    )
    name = models.CharField(_("名称"), max_length=50)
    description = models.TextField(_("说明"), blank=True)
    keywords = models.CharField(
        _("关键词"), max_length=200, blank=True, help_text=_("用顿号或逗号分隔，用于搜索。")
    )
    is_active = models.BooleanField(
        _("启用"),
        default=True,
        help_text=_("停用后居民不能再选择，停用分组时其下类别一并隐藏。"),
    )
    handling_level = models.CharField(
        _("处理层级"),
        max_length=12,
        choices=HandlingLevel.choices,
        blank=True,
        error_messages={"invalid_choice": _("处理层级须为网格、社区、街道或职能部门。")},
        help_text=_("末级类别必填。"),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("默认职能部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("处理层级为职能部门时，派单时默认选中的部门。"),
    )
    sla_policy = models.ForeignKey(
        SlaPolicy,
        verbose_name=_("时限标准"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="categories",
        help_text=_("末级类别必填。"),
    )

    node_order_by = ["code"]
    objects = CategoryManager()

    class Meta:
        verbose_name = _("诉求类别")
        verbose_name_plural = _("诉求类别")
        constraints = [
            models.CheckConstraint(
                condition=Q(department__isnull=True) | Q(handling_level="department"),
                name="category_department_needs_department_level",
                violation_error_message=_("只有由职能部门处理的类别才能指定默认部门。"),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def keyword_list(self) -> list[str]:
        return split_keywords(self.keywords)

    def _placement_parent(self) -> Category | None:
        # A node being placed or moved carries its new parent in `_parent` (set by the service
        # or the admin form); otherwise the parent is the one in the tree.
        if hasattr(self, "_parent"):
            parent: Category | None = self._parent
            return parent
        if self.path and self.depth > 1:
            return Category.objects.get(path=self.path[: -self.steplen])
        return None

    def clean(self) -> None:
        super().clean()
        errors: dict[str, Any] = {}
        # A new node is a leaf; so is a node without children. Only active leaves are offered
        # to residents, so only they must be complete (a new group can be created inactive and
        # switched on once its leaves are in).
        if self.is_active and not self.numchild:
            if not self.handling_level:
                errors["handling_level"] = _("末级类别须选择处理层级。")
            if self.sla_policy_id is None:
                errors["sla_policy"] = _("末级类别须选择时限标准。")
        department = self.department if self.department_id is not None else None
        if department is not None:
            if self.handling_level != HandlingLevel.DEPARTMENT:
                errors["department"] = _("只有由职能部门处理的类别才能指定默认部门。")
            elif not department.is_active:
                errors["department"] = _("该职能部门已停用。")
            elif department.area.kind != AreaKind.DISTRICT:
                # The catalogue serves the whole district; a street's own department is reached
                # by dispatching to that street.
                errors["department"] = _("默认部门须为区级职能部门。")
        if self.name:
            parent = self._placement_parent()
            siblings = (
                Category.objects.filter(under("path", parent.path), depth=parent.depth + 1)
                if parent is not None
                else Category.objects.filter(depth=1)
            )
            if siblings.filter(name=self.name).exclude(pk=self.pk).exists():
                errors["name"] = _("同一分组下已有同名类别。")
        if errors:
            raise ValidationError(errors)
