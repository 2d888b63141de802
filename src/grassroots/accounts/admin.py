from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.password_validation import validate_password
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from grassroots.core.audit import audit_log

from . import services
from .models import ADMIN_ROLES, ApiToken, Role, User
from .typing import AuthedRequest
from .validators import is_mobile


class UserForm(forms.ModelForm):
    """The security admin's form: role, scope, lock state. Never business data."""

    mobile = forms.CharField(
        label=_("手机号"), required=False, max_length=11, help_text=_("留空表示不修改。")
    )
    password = forms.CharField(
        label=_("初始密码"),
        required=False,
        widget=forms.PasswordInput,
        help_text=_("新建账号时填写；至少 8 位，含字母和数字。"),
    )

    class Meta:
        model = User
        fields = [
            "username",
            "name",
            "role",
            "is_active",
            "email",
            "scope_areas",
            "scope_departments",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial["mobile"] = ""
        if self.instance.pk and self.instance.mobile:
            self.fields["mobile"].help_text = _("当前：%(masked)s。留空表示不修改。") % {
                "masked": self.instance.mobile_masked
            }

    def clean_mobile(self) -> str:
        value = self.cleaned_data.get("mobile", "").strip()
        if value and not is_mobile(value):
            raise forms.ValidationError(_("请输入 11 位手机号码。"))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role = data.get("role")
        if role:
            errors = services._check_scope(
                role, data.get("scope_areas") or [], data.get("scope_departments") or []
            )
            for field, messages_ in errors.items():
                for message in messages_:
                    self.add_error(field, message)
        if not self.instance.pk and data.get("password"):
            try:
                validate_password(data["password"], self.instance)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    form = UserForm
    list_display = ["username", "name", "role", "is_active", "masked_mobile", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "name"]
    filter_horizontal = ["scope_areas", "scope_departments"]
    actions = ["unlock", "reset_otp"]

    @admin.display(description=_("手机号"))
    def masked_mobile(self, obj: User) -> str:
        return obj.mobile_masked

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # accounts are disabled, never deleted: the audit log points at them

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and obj.pk == request.user.pk:
            return ["role", "is_active", "scope_areas", "scope_departments"]
        return []

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if form.cleaned_data.get("mobile"):
            obj.mobile = form.cleaned_data["mobile"]
        if not change:
            if form.cleaned_data.get("password"):
                obj.set_password(form.cleaned_data["password"])
            else:
                obj.set_unusable_password()
        obj.is_staff = obj.role in ADMIN_ROLES
        super().save_model(request, obj, form, change)
        audit_log(
            action="accounts.user_change" if change else "accounts.user_create",
            actor=request.user,
            obj=obj,
            request=request,
            data={
                "changed": sorted(form.changed_data) if change else [],
                "role": obj.role,
                "is_active": obj.is_active,
                "mobile": obj.mobile_masked,
            },
        )

    @admin.action(description=_("解除登录锁定"), permissions=["change"])
    def unlock(self, request: AuthedRequest, queryset: QuerySet[User]) -> None:
        cleared = 0
        for user in queryset:
            cleared += services.user_unlock(actor=request.user, user=user, request=request)
        self.message_user(
            request, _("已解除锁定，清除 %(n)s 条失败记录。") % {"n": cleared}, messages.SUCCESS
        )

    @admin.action(description=_("重置二次验证（需重新绑定验证器）"), permissions=["change"])
    def reset_otp(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            count, _detail = TOTPDevice.objects.filter(user=user).delete()
            audit_log(
                action="accounts.otp_reset",
                actor=request.user,
                obj=user,
                request=request,
                data={"devices": count},
            )
        self.message_user(request, _("已重置。"), messages.SUCCESS)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "user",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = [
        "user",
        "name",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    exclude = ["digest"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("吊销所选令牌"), permissions=["change"])
    def revoke(self, request: AuthedRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            services.token_revoke(actor=request.user, token=token, request=request)
        self.message_user(request, _("已吊销。"), messages.SUCCESS)


__all__ = ["ApiTokenAdmin", "Role", "UserAdmin"]
