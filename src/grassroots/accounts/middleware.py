"""Staff session rules: 30 idle minutes end the session; TOTP when enrolled or required."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

SEEN_KEY = "_last_seen"
# Paths a staff user may reach before passing the second factor.
OPEN_PREFIXES = ("/accounts/2fa/", "/accounts/logout/", "/static/", "/i18n/", "/api/")


def needs_second_factor(request: HttpRequest) -> bool:
    """A staff user who has not passed TOTP yet but must: enrolled, or required by setting.
    Answered once per request (the middleware and the API both ask)."""
    cached = getattr(request, "_needs_second_factor", None)
    if cached is not None:
        return bool(cached)
    user = request.user
    # is_verified() is put on the user by django-otp's OTPMiddleware.
    if not user.is_authenticated or not user.is_staff_role or user.is_verified():  # type: ignore[attr-defined]
        result = False
    else:
        from django_otp import user_has_device

        result = settings.STAFF_2FA_REQUIRED or user_has_device(user, confirmed=True)
    request._needs_second_factor = result  # type: ignore[attr-defined]
    return result


class StaffSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.is_staff_role and hasattr(request, "session"):
            now = int(time.time())
            last = request.session.get(SEEN_KEY)
            if last is not None and now - last > settings.STAFF_IDLE_TIMEOUT_SECONDS:
                request.logout_reason = "idle"  # type: ignore[attr-defined]
                logout(request)
                if not request.path.startswith("/api/"):
                    messages.info(request, _("您已超过 30 分钟未操作，请重新登录。"))
                    return redirect_to_login(request.get_full_path())
            else:
                # Write the session at most once a minute, not on every request.
                if last is None or now - last > 60:
                    request.session[SEEN_KEY] = now
                if needs_second_factor(request) and not request.path.startswith(OPEN_PREFIXES):
                    return redirect("accounts:otp")
        return self.get_response(request)
