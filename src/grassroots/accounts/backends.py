"""Login backends. None of them grants permissions: those come only from rules.py."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from grassroots.core.personal import digests

from .models import Role, User
from .validators import is_mobile


class NoPermissionsMixin:
    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return False

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return False


class StaffUsernameBackend(NoPermissionsMixin, ModelBackend):
    """Staff: username and password. A mobile-shaped login is left to the resident backend."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or not password or is_mobile(username):
            return None
        try:
            user = User.objects.get(username__iexact=username.strip())
        except User.DoesNotExist:
            User().set_password(password)  # same cost as a real check: no user enumeration by time
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


class ResidentMobileBackend(NoPermissionsMixin, ModelBackend):
    """Residents: mobile number and password, found by the number's keyed digest."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or not password or not is_mobile(username):
            return None
        user = User.objects.filter(
            role=Role.RESIDENT, mobile_digest__in=digests(username.strip())
        ).first()
        if user is None:
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


class SmsCodeBackend(NoPermissionsMixin, ModelBackend):
    """Residents: mobile number and a one-time code sent by SMS."""

    def authenticate(  # type: ignore[override]  # a code, not a password
        self,
        request: HttpRequest | None,
        mobile: str | None = None,
        code: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not mobile or not code or not is_mobile(mobile):
            return None
        from .services import sms_code_check

        user = sms_code_check(mobile=mobile.strip(), code=code.strip())
        if user is not None and self.user_can_authenticate(user):
            return user
        return None
