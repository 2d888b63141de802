"""Login audit.

Signals, against the house rule, because every way in — the login page, the SMS code, the
admin login, the token endpoint — goes through Django's `authenticate`/`login`, and these
signals are the one place all of them pass. Only the audit row is written here.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from grassroots.core.audit import audit_log
from grassroots.core.models import AuditOutcome
from grassroots.core.personal import mask_mobile

from .validators import is_mobile


def _login_label(credentials: dict[str, Any]) -> str:
    login = str(credentials.get("username") or credentials.get("mobile") or "")[:150]
    return mask_mobile(login) if is_mobile(login) else login


@receiver(user_logged_in)
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_log(
        action="auth.login",
        actor=user,
        obj=user,
        request=request,
        data={"channel": getattr(request, "login_channel", "web")},
    )


@receiver(user_login_failed)
def audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    audit_log(
        action="auth.login",
        outcome=AuditOutcome.FAILURE,
        request=request,
        actor_label=_login_label(credentials),
        data={
            "channel": getattr(request, "login_channel", "web"),
            "locked": bool(getattr(request, "axes_locked_out", False)),
        },
    )


@receiver(user_logged_out)
def audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_log(
            action="auth.logout",
            actor=user,
            obj=user,
            request=request,
            data={"reason": getattr(request, "logout_reason", "user")},
        )
