from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grassroots.core.models import TimeStampedModel
from grassroots.core.personal import DigestField, EncryptedField, mask_mobile
from grassroots.core.scoping import Scope, ScopedQuerySet, under_paths
from grassroots.territory.models import Area


class MemberUnitKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    SCHOOL = "school", _("学校")
    HOSPITAL = "hospital", _("医院")
    AGENCY = "agency", _("机关事业单位")
    SOCIAL_ORG = "social_org", _("社会组织")
    OTHER = "other", _("其他")


class MemberUnitQuerySet(ScopedQuerySet["MemberUnit"]):
    def scope_q(self, user: Any, scope: Scope) -> Q | None:
        return under_paths("area__path", scope.area_paths)


class MemberUnit(TimeStampedModel):
    """A unit stationed in the area (驻区单位): enterprise, school, hospital, agency…"""

    name = models.CharField(_("单位名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=12, choices=MemberUnitKind.choices)
    area = models.ForeignKey(
        Area,
        verbose_name=_("所在社区或街道"),
        on_delete=models.PROTECT,
        related_name="member_units",
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_mobile = EncryptedField(_("联系电话"), kind="mobile")
    contact_mobile_digest = DigestField(source="contact_mobile")

    objects = MemberUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("驻区单位")
        verbose_name_plural = _("驻区单位")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["area", "name"], name="member_unit_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def contact_mobile_masked(self) -> str:
        return mask_mobile(self.contact_mobile)
