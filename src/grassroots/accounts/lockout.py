"""django-axes hooks: what a login attempt is counted under, and what a locked client is told."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.core.personal import digest

from .validators import is_mobile


def key_for(login: str) -> str:
    """Staff usernames case-insensitively; mobile numbers by digest, never in clear."""
    login = (login or "").strip()
    if is_mobile(login):
        return "m:" + digest(login)
    return login.lower()


def username_key(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    credentials = credentials or {}
    raw = credentials.get("username") or credentials.get("mobile")
    if raw is None and request is not None and request.method == "POST":
        raw = request.POST.get("username") or request.POST.get("mobile")
    return key_for(str(raw or ""))


def unlock_at(key: str) -> datetime | None:
    cool_off = get_cool_off()
    last = (
        AccessAttempt.objects.filter(username=key)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    if last is None or cool_off is None:
        return None
    return last + cool_off


def locked_message(when: datetime | None) -> str:
    if when is None:
        return _("登录失败次数过多，账号已暂时锁定，请稍后再试。")
    return _("登录失败次数过多，账号已锁定，将于 %(time)s 解锁。") % {
        "time": timezone.localtime(when).strftime("%Y-%m-%d %H:%M")
    }


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    when = unlock_at(username_key(request, credentials))
    message = locked_message(when)
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "error": {
                    "code": "locked",
                    "message": message,
                    "fields": {},
                    "unlock_at": when.isoformat() if when else None,
                }
            },
            status=429,
        )
    return render(request, "accounts/locked.html", {"message": message}, status=429)
