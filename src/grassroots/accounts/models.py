from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import (  # type: ignore[attr-defined]
    AbstractUser,
    UserManager,
    _user_has_module_perms,
    _user_has_perm,
)
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grassroots.core.personal import DigestField, EncryptedField, mask_mobile
from grassroots.core.scoping import Scope, ScopedQuerySet, under_paths
from grassroots.territory.models import Area, AreaKind, Department


class Role(models.TextChoices):
    RESIDENT = "resident", _("居民")
    GRID_WORKER = "grid_worker", _("网格员")
    BUILDING_HEAD = "building_head", _("楼栋长")
    COMMUNITY_STAFF = "community_staff", _("社区工作者")
    COMMUNITY_SECRETARY = "community_secretary", _("社区书记")
    STREET_DISPATCHER = "street_dispatcher", _("街道派单员")
    STREET_LEADER = "street_leader", _("街道领导")
    DEPARTMENT_OFFICER = "department_officer", _("部门工作人员")
    DEPARTMENT_HEAD = "department_head", _("部门负责人")
    # The account an outside system (an Open311 client) files requests under; never signs in.
    INTEGRATION = "integration", _("对接系统")
    MEMBER_UNIT_CONTACT = "member_unit_contact", _("驻区单位联络人")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")


# 三员分立: each administrator role is an account of its own and does one job.
ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
STAFF_ROLES = frozenset(set(Role) - {Role.RESIDENT})
PHONE_ROLES = frozenset({Role.RESIDENT, Role.GRID_WORKER, Role.BUILDING_HEAD})

# Which scope nodes each role may hold. Empty: the role holds no scope.
SCOPE_AREA_KINDS: dict[str, frozenset[str]] = {
    Role.GRID_WORKER: frozenset({AreaKind.GRID}),
    Role.BUILDING_HEAD: frozenset({AreaKind.BUILDING}),
    Role.COMMUNITY_STAFF: frozenset({AreaKind.COMMUNITY, AreaKind.VILLAGE}),
    Role.COMMUNITY_SECRETARY: frozenset({AreaKind.COMMUNITY, AreaKind.VILLAGE}),
    Role.STREET_DISPATCHER: frozenset({AreaKind.STREET, AreaKind.TOWNSHIP}),
    Role.STREET_LEADER: frozenset({AreaKind.STREET, AreaKind.TOWNSHIP}),
    Role.MEMBER_UNIT_CONTACT: frozenset({AreaKind.COMMUNITY, AreaKind.VILLAGE}),
    Role.INTEGRATION: frozenset({AreaKind.STREET, AreaKind.TOWNSHIP}),
    Role.SYSTEM_ADMIN: frozenset({AreaKind.DISTRICT}),
}
# A department's staff: officers do the work, the head is told when they are late (吹哨报到).
DEPARTMENT_ROLES = frozenset({Role.DEPARTMENT_OFFICER, Role.DEPARTMENT_HEAD})
SCOPE_DEPARTMENT_ROLES = DEPARTMENT_ROLES


class UserQuerySet(ScopedQuerySet["User"]):
    business_data = False  # base data / accounts

    def scope_q(self, user: Any, scope: Scope) -> Q | None:
        """Staff see the accounts whose scope lies inside theirs; everyone sees themself."""
        own = Q(pk=user.pk)
        if user.role == Role.SECURITY_ADMIN:
            return Q()  # manages every account (roles, locks), not business data
        inside = under_paths("scope_areas__path", scope.area_paths)
        if scope.department_ids:
            dept = Q(scope_departments__in=scope.department_ids)
            inside = dept if inside is None else inside | dept
        if inside is None:
            return own
        # A subquery, not a join: joining the M2M tables would repeat users.
        return own | Q(pk__in=User.objects.filter(inside).values("pk"))


class ScopedUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    """Staff log in with their username, residents with their mobile number."""

    name = models.CharField(_("姓名"), max_length=50, blank=True)
    role = models.CharField(_("角色"), max_length=24, choices=Role.choices, default=Role.RESIDENT)
    mobile = EncryptedField(_("手机号"), kind="mobile")
    mobile_digest = DigestField(source="mobile")
    scope_areas = models.ManyToManyField(
        Area, verbose_name=_("管辖区域"), blank=True, related_name="scoped_users"
    )
    scope_departments = models.ManyToManyField(
        Department, verbose_name=_("所属部门"), blank=True, related_name="scoped_users"
    )

    objects: ClassVar[ScopedUserManager] = ScopedUserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.UniqueConstraint(
                fields=["mobile_digest"],
                condition=Q(role="resident") & ~Q(mobile_digest=""),
                name="resident_mobile_unique",
            ),
        ]
        permissions = [
            ("reveal_personal", _("可以查看完整个人信息")),
        ]

    def __str__(self) -> str:
        return self.name or self.username

    # Permissions come only from rules.py: no superuser shortcut, so 三员分立 cannot be
    # bypassed by an is_superuser flag set in the database.
    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return self.is_active and _user_has_perm(self, perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        """An app shows in the admin when any of its models may be viewed or changed (the
        rules are per model; no permission is named after a whole app)."""
        if not self.is_active:
            return False
        if _user_has_module_perms(self, app_label):
            return True
        from django.apps import apps

        try:
            config = apps.get_app_config(app_label)
        except LookupError:
            return False
        return any(
            self.has_perm(f"{app_label}.{action}_{model._meta.model_name}")
            for model in config.get_models()
            for action in ("view", "change")
        )

    @property
    def display_name(self) -> str:
        return self.name or self.username

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_admin_role(self) -> bool:
        return self.role in ADMIN_ROLES

    @property
    def holds_scope(self) -> bool:
        """Whether the role can hold scope nodes at all (a resident's scope is always empty)."""
        return bool(SCOPE_AREA_KINDS.get(self.role)) or self.role in SCOPE_DEPARTMENT_ROLES

    @property
    def mobile_masked(self) -> str:
        return mask_mobile(self.mobile)


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now, user__is_active=True)


class ApiToken(models.Model):
    """A bearer token for a machine client. Only its SHA-256 is stored; it is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=80)
    prefix = models.CharField(_("前缀"), max_length=16, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class SmsCode(models.Model):
    """A one-time login code sent to a mobile number; stored as a digest, tried at most 5 times."""

    mobile_digest = models.CharField(max_length=64, db_index=True)
    code_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")

    def __str__(self) -> str:
        return f"SmsCode #{self.pk}"
