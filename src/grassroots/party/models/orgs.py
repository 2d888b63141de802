from __future__ import annotations

from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from grassroots.core.models import TimeStampedModel
from grassroots.core.scoping import Scope, ScopedQuerySet, under_paths
from grassroots.territory.models import Area, AreaKind, Household, Resident


class OrgKind(models.TextChoices):
    STREET_WORKING_COMMITTEE = "street_working_committee", _("街道党工委")
    COMMUNITY_COMMITTEE = "community_committee", _("社区党委")
    VILLAGE_COMMITTEE = "village_committee", _("村党委")
    GENERAL_BRANCH = "general_branch", _("党总支")
    BRANCH = "branch", _("党支部")
    JOINT_BRANCH = "joint_branch", _("联合党支部")
    GROUP = "group", _("党小组")


BRANCH_KINDS = frozenset({OrgKind.BRANCH, OrgKind.JOINT_BRANCH})
COMMITTEE_KINDS = frozenset(
    {OrgKind.STREET_WORKING_COMMITTEE, OrgKind.COMMUNITY_COMMITTEE, OrgKind.VILLAGE_COMMITTEE}
)

# Which kinds may sit directly under which (None: a root of the tree).
ORG_PARENT_KINDS: dict[str, frozenset[str | None]] = {
    OrgKind.STREET_WORKING_COMMITTEE: frozenset({None}),
    OrgKind.COMMUNITY_COMMITTEE: frozenset({OrgKind.STREET_WORKING_COMMITTEE}),
    OrgKind.VILLAGE_COMMITTEE: frozenset({OrgKind.STREET_WORKING_COMMITTEE}),
    OrgKind.GENERAL_BRANCH: frozenset(
        {OrgKind.STREET_WORKING_COMMITTEE, OrgKind.COMMUNITY_COMMITTEE, OrgKind.VILLAGE_COMMITTEE}
    ),
    OrgKind.BRANCH: frozenset(
        {
            OrgKind.STREET_WORKING_COMMITTEE,
            OrgKind.COMMUNITY_COMMITTEE,
            OrgKind.VILLAGE_COMMITTEE,
            OrgKind.GENERAL_BRANCH,
        }
    ),
    OrgKind.JOINT_BRANCH: frozenset(
        {
            OrgKind.STREET_WORKING_COMMITTEE,
            OrgKind.COMMUNITY_COMMITTEE,
            OrgKind.VILLAGE_COMMITTEE,
            OrgKind.GENERAL_BRANCH,
        }
    ),
    OrgKind.GROUP: frozenset({OrgKind.BRANCH, OrgKind.JOINT_BRANCH}),
}

# The territory an organisation of each kind leads, when it is set up on the territory.
LED_AREA_KINDS: dict[str, frozenset[str]] = {
    OrgKind.STREET_WORKING_COMMITTEE: frozenset({AreaKind.STREET, AreaKind.TOWNSHIP}),
    OrgKind.COMMUNITY_COMMITTEE: frozenset({AreaKind.COMMUNITY}),
    OrgKind.VILLAGE_COMMITTEE: frozenset({AreaKind.VILLAGE}),
    OrgKind.GENERAL_BRANCH: frozenset({AreaKind.COMMUNITY, AreaKind.VILLAGE}),
    OrgKind.BRANCH: frozenset({AreaKind.GRID}),
    OrgKind.JOINT_BRANCH: frozenset({AreaKind.GRID}),
    OrgKind.GROUP: frozenset({AreaKind.BUILDING}),
}


class OrgSetting(models.TextChoices):
    """Where an organisation is set up: on the territory, or along other lines (no territory)."""

    TERRITORIAL = "territorial", _("按区域设置")
    INDUSTRY_CHAIN = "industry_chain", _("建在产业链上")
    COOPERATIVE = "cooperative", _("建在合作社")
    MEMBER_UNIT = "member_unit", _("建在驻区单位")


class PartyOrgQuerySet(MP_NodeQuerySet, ScopedQuerySet["PartyOrg"]):
    def scope_q(self, user: Any, scope: Scope) -> Q | None:
        return under_paths("area_path", scope.area_paths)


class PartyOrgManager(MP_NodeManager.from_queryset(PartyOrgQuerySet)):  # type: ignore[misc]
    def get_queryset(self) -> PartyOrgQuerySet:
        return PartyOrgQuerySet(self.model, using=self._db).order_by("path")


class PartyOrg(MP_Node, TimeStampedModel):
    """A party organisation: 党工委 → 社区党委/党总支 → 支部 → 党小组."""

    kind = models.CharField(_("类型"), max_length=28, choices=OrgKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    setting = models.CharField(
        _("设置方式"), max_length=16, choices=OrgSetting.choices, default=OrgSetting.TERRITORIAL
    )
    area = models.ForeignKey(
        Area,
        verbose_name=_("领导的区域"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="party_orgs",
    )
    member_unit = models.ForeignKey(
        "alliance.MemberUnit",
        verbose_name=_("所在驻区单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="party_orgs",
    )
    covered_units = models.PositiveSmallIntegerField(
        _("覆盖单位数"), default=1, help_text=_("联合党支部覆盖的单位数，不超过 5 个。")
    )
    secretary = models.ForeignKey(
        "PartyMember",
        verbose_name=_("书记"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    committee: models.ManyToManyField[PartyMember, Any] = models.ManyToManyField(
        "PartyMember", verbose_name=_("委员"), blank=True, related_name="committee_of"
    )
    term_start = models.DateField(_("本届任期开始"), null=True, blank=True)
    term_end = models.DateField(_("本届任期结束"), null=True, blank=True, db_index=True)
    # The term end the last reminder was sent for: the sweep reminds once per term.
    term_reminded_for = models.DateField(null=True, blank=True, editable=False)
    # 主题党日: the fixed day of the month a branch keeps (DOMAIN.md §4); none: not fixed yet.
    theme_day = models.PositiveSmallIntegerField(
        _("主题党日（每月几号）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("每月固定的一天，1 到 28 号。"),
    )
    # The Area path the organisation belongs to: the territory it leads, or else its parent's.
    # Copied so that scope filters need no join.
    area_path = models.CharField(max_length=255, db_index=True, editable=False, blank=True)
    street = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", null=True, editable=False
    )

    node_order_by = ["kind", "name"]
    objects = PartyOrgManager()

    class Meta:
        verbose_name = _("党组织")
        verbose_name_plural = _("党组织")
        constraints = [
            models.CheckConstraint(
                condition=Q(covered_units__gte=1), name="party_org_covers_a_unit"
            ),
            models.CheckConstraint(
                condition=Q(term_start__isnull=True)
                | Q(term_end__isnull=True)
                | Q(term_end__gt=models.F("term_start")),
                name="party_org_term_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_branch(self) -> bool:
        return self.kind in BRANCH_KINDS


class MemberStatus(models.TextChoices):
    FULL = "full", _("正式党员")
    PROBATIONARY = "probationary", _("预备党员")


def person_q(user: Any) -> Q:
    """The membership of the person signed in: by a staff account or by a resident's own."""
    return Q(user_id=user.pk) | Q(resident__user_id=user.pk)


class PartyMemberQuerySet(ScopedQuerySet["PartyMember"]):
    def of_user(self, user: Any) -> PartyMemberQuerySet:
        """The member the signed-in user is (none, or one: a person is a member once)."""
        return self.filter(person_q(user))

    def scope_q(self, user: Any, scope: Scope) -> Q | None:
        own = person_q(user)
        inside = under_paths("branch__area_path", scope.area_paths)
        return own if inside is None else own | inside


class PartyMember(TimeStampedModel):
    """A party member: a resident or a staff user, whose membership a branch holds."""

    resident = models.OneToOneField(
        Resident,
        verbose_name=_("居民"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="party_member",
    )
    user = models.OneToOneField(
        "accounts.User",
        verbose_name=_("工作人员账号"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="party_member",
    )
    name = models.CharField(_("姓名"), max_length=50)
    status = models.CharField(_("党员类别"), max_length=14, choices=MemberStatus.choices)
    joined_on = models.DateField(_("入党时间"))
    branch = models.ForeignKey(
        PartyOrg, verbose_name=_("所在支部"), on_delete=models.PROTECT, related_name="members"
    )
    group = models.ForeignKey(
        PartyOrg,
        verbose_name=_("所在党小组"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="group_members",
    )
    community_registered = models.BooleanField(_("在职党员到社区报到"), default=False)
    commitment = models.CharField(_("公开承诺"), max_length=200, blank=True)
    serves_as_policy_relay = models.BooleanField(_("政策传声筒"), default=False)
    serves_as_mediator = models.BooleanField(_("矛盾润滑剂"), default=False)
    serves_as_helper = models.BooleanField(_("服务贴心人"), default=False)
    shows_identity = models.BooleanField(
        _("同意亮身份"),
        default=False,
        help_text=_("本人同意后，楼栋居民可以看到姓名、承诺和服务角色。"),
    )
    shows_identity_since = models.DateTimeField(_("同意时间"), null=True, blank=True)
    street = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", null=True, editable=False
    )

    objects = PartyMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = _("党员")
        ordering = ["branch", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resident__isnull=False) | Q(user__isnull=False),
                name="party_member_is_a_person",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def account(self) -> Any:
        """The member's account: a staff account, or else the resident's own (or none)."""
        if self.user_id:
            return self.user
        if self.resident_id and self.resident is not None:
            return self.resident.user
        return None

    @property
    def service_roles(self) -> list[str]:
        labels = []
        for field in ("serves_as_policy_relay", "serves_as_mediator", "serves_as_helper"):
            if getattr(self, field):
                labels.append(str(self._meta.get_field(field).verbose_name))  # type: ignore[union-attr]
        return labels


class HouseholdLinkQuerySet(ScopedQuerySet["HouseholdLink"]):
    def scope_q(self, user: Any, scope: Scope) -> Q | None:
        return under_paths("household__area_path", scope.area_paths)


class HouseholdLink(models.Model):
    """党员联系户: a member keeps in touch with a household."""

    member = models.ForeignKey(
        PartyMember, verbose_name=_("党员"), on_delete=models.CASCADE, related_name="links"
    )
    household = models.ForeignKey(
        Household, verbose_name=_("住户"), on_delete=models.CASCADE, related_name="member_links"
    )
    created_at = models.DateTimeField(_("联系开始"), auto_now_add=True)

    objects = HouseholdLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("党员联系户")
        verbose_name_plural = _("党员联系户")
        constraints = [
            models.UniqueConstraint(fields=["member", "household"], name="household_link_unique")
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.household_id}"
