"""Open311 GeoReport v2: the extra questions a category asks (service definitions), and the
client organisations that file and read requests with an API key."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grassroots.territory.models import Area

from .catalogue import Category


class AttributeType(models.TextChoices):
    """GeoReport v2 datatypes of a service attribute."""

    STRING = "string", _("短文本")
    NUMBER = "number", _("数字")
    DATETIME = "datetime", _("日期时间")
    TEXT = "text", _("长文本")
    SINGLE = "singlevaluelist", _("单选")
    MULTI = "multivaluelist", _("多选")


LIST_TYPES = (AttributeType.SINGLE, AttributeType.MULTI)
CODE_VALIDATOR = RegexValidator(r"^[0-9A-Za-z_-]+$", _("编码只能包含字母、数字、短横线和下划线。"))


def validate_values(value: Any) -> None:
    """`values` is a list of {"key": …, "name": …} with distinct, non-empty keys."""
    if not isinstance(value, list):
        raise ValidationError(_("选项须为列表。"))
    keys = []
    for item in value:
        if (
            not isinstance(item, dict)
            or set(item) != {"key", "name"}
            or not str(item["key"]).strip()
            or not str(item["name"]).strip()
        ):
            raise ValidationError(_("每个选项须有 key 和 name，且都不能为空。"))
        keys.append(str(item["key"]))
    if len(keys) != len(set(keys)):
        raise ValidationError(_("选项的 key 不能重复。"))


class CategoryAttribute(models.Model):
    """A question a leaf category asks when a request is filed (Open311 `attribute`)."""

    category = models.ForeignKey(
        Category, verbose_name=_("类别"), on_delete=models.CASCADE, related_name="attributes"
    )
    code = models.CharField(
        _("编码"),
        max_length=40,
        validators=[
            RegexValidator(r"^[0-9A-Za-z_-]+$", _("编码只能包含字母、数字、短横线和下划线。"))
        ],
    )
    datatype = models.CharField(_("类型"), max_length=16, choices=AttributeType.choices)
    required = models.BooleanField(_("必填"), default=False)
    # `variable`: false for an informational line the client shows and does not ask.
    variable = models.BooleanField(_("需要填写"), default=True)
    description = models.CharField(_("问题"), max_length=200)
    datatype_description = models.CharField(_("填写说明"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=1)
    values = models.JSONField(
        _("选项"), default=list, blank=True, validators=[validate_values],
        help_text=_('单选、多选的选项，如 [{"key": "1", "name": "一楼"}]。'),
    )  # fmt: skip

    class Meta:
        verbose_name = _("类别补充问题")
        verbose_name_plural = _("类别补充问题")
        ordering = ["category", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="one_attribute_code"),
        ]

    def __str__(self) -> str:
        return f"{self.category.code}/{self.code}"

    def clean(self) -> None:
        super().clean()
        if self.datatype in LIST_TYPES and not self.values:
            raise ValidationError({"values": _("单选、多选须至少有一个选项。")})
        if self.datatype not in LIST_TYPES and self.values:
            raise ValidationError({"values": _("只有单选、多选可以设置选项。")})
        if self.category_id and not self.category.is_leaf():
            raise ValidationError({"category": _("只有末级类别可以设置补充问题。")})


class Open311ClientQuerySet(models.QuerySet["Open311Client"]):
    def usable(self) -> Open311ClientQuerySet:
        return self.filter(is_active=True, revoked_at__isnull=True)


class Open311Client(models.Model):
    """A client organisation (a hotline system, a civic app) with an Open311 API key. Only the
    key's SHA-256 is stored; the key is shown once, when issued."""

    name = models.CharField(_("对接单位"), max_length=100)
    contact = models.CharField(_("联系人及电话"), max_length=100, blank=True)
    prefix = models.CharField(_("密钥前缀"), max_length=16, db_index=True, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    # The streets (jurisdictions) it may file into and whose anonymous requests it may read.
    streets = models.ManyToManyField(
        Area, verbose_name=_("对接街道"), related_name="open311_clients", blank=True,
        limit_choices_to=Q(kind__in=["street", "township"]),
    )  # fmt: skip
    # The account its requests are filed under (role 对接系统, scoped to its streets): what it
    # may read is what that account may see.
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="open311_client", editable=False,
    )  # fmt: skip
    rate_limit = models.PositiveIntegerField(
        _("每分钟请求上限"), default=60, help_text=_("超过后返回 429，下一分钟恢复。")
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", editable=False,
    )  # fmt: skip
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True, editable=False)

    objects = Open311ClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("Open311 对接单位")
        verbose_name_plural = _("Open311 对接单位")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.is_active and self.revoked_at is None
