"""Login backends. None of them grants permissions: those come only from rules.py."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from grassroots.core import sql
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


class Backend(NoPermissionsMixin, ModelBackend):
    """What every login backend here shares: no permissions, and the signed-in user of every
    request read with one prepared statement (the ORM compiled a query for it each time)."""

    def get_user(self, user_id: Any) -> User | None:
        user = sql.by_pk(User, user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class PasswordBackend(Backend):
    """A login name and a password; subclasses say which names they take and how to find
    the account."""

    def find_user(self, login: str) -> User | None:
        raise NotImplementedError

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or not password:
            return None
        user = self.find_user(username.strip())
        if user is None:
            User().set_password(password)  # same cost as a real check: no user enumeration by time
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


class StaffUsernameBackend(PasswordBackend):
    """Staff: username and password. A mobile-shaped login is left to the resident backend."""

    def find_user(self, login: str) -> User | None:
        if is_mobile(login):
            return None
        return User.objects.filter(username__iexact=login).first()


class ResidentMobileBackend(PasswordBackend):
    """Residents: mobile number and password, found by the number's keyed digest."""

    def find_user(self, login: str) -> User | None:
        if not is_mobile(login):
            return None
        return User.objects.filter(role=Role.RESIDENT, mobile_digest__in=digests(login)).first()


class SmsCodeBackend(Backend):
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
