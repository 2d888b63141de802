"""Every change to accounts, tokens and codes; each one audited."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.core.audit import audit_log, client_ip
from grassroots.core.errors import Forbidden, NotFound, ValidationFailed
from grassroots.core.personal import MASKERS, digest, digests
from grassroots.core.scoping import get_visible
from grassroots.territory.models import Area, Department

from .lockout import key_for
from .models import (
    ADMIN_ROLES,
    SCOPE_AREA_KINDS,
    SCOPE_DEPARTMENT_ROLES,
    ApiToken,
    Role,
    SmsCode,
    User,
)
from .sms import send_sms
from .validators import is_mobile

TOKEN_PREFIX = "gr_"  # noqa: S105  (a visible prefix, not a secret)


def _check_scope(
    role: str, areas: Iterable[Area], departments: Iterable[Department]
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    kinds = SCOPE_AREA_KINDS.get(role, frozenset())
    for area in areas:
        if area.kind not in kinds:
            errors.setdefault("scope_areas", []).append(
                _("“%(role)s”不能管辖“%(area)s”（%(kind)s）。")
                % {"role": Role(role).label, "area": area.name, "kind": area.get_kind_display()}
            )
    if list(departments) and role not in SCOPE_DEPARTMENT_ROLES:
        errors.setdefault("scope_departments", []).append(_("只有部门工作人员可以归属职能部门。"))
    return errors


def user_create(
    *,
    actor: Any,
    username: str = "",
    name: str,
    role: str,
    password: str | None = None,
    mobile: str = "",
    scope_areas: Iterable[Area] = (),
    scope_departments: Iterable[Department] = (),
    email: str = "",
    request: HttpRequest | None = None,
) -> User:
    """A new account whose scope fits its role; residents get an internal username."""
    scope_areas, scope_departments = list(scope_areas), list(scope_departments)
    errors = _check_scope(role, scope_areas, scope_departments)
    if role == Role.RESIDENT:
        if not is_mobile(mobile):
            errors.setdefault("mobile", []).append(_("请输入 11 位手机号码。"))
        elif User.objects.filter(role=Role.RESIDENT, mobile_digest__in=digests(mobile)).exists():
            errors.setdefault("mobile", []).append(_("该手机号已注册。"))
        username = username or "r" + secrets.token_hex(6)
    else:
        if mobile and not is_mobile(mobile):
            errors.setdefault("mobile", []).append(_("请输入 11 位手机号码。"))
        if not username:
            errors.setdefault("username", []).append(_("请填写用户名。"))
        elif is_mobile(username):
            errors.setdefault("username", []).append(_("用户名不能是手机号。"))
        elif User.objects.filter(username__iexact=username).exists():
            errors.setdefault("username", []).append(_("该用户名已被使用。"))
    user = User(
        username=username,
        name=name,
        role=role,
        mobile=mobile,
        email=email,
        is_staff=role in ADMIN_ROLES,
    )
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors.setdefault("password", []).extend(exc.messages)
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        user.scope_areas.set(scope_areas)
        user.scope_departments.set(scope_departments)
        audit_log(
            action="accounts.user_create",
            actor=actor,
            obj=user,
            request=request,
            data={
                "username": username,
                "role": role,
                "mobile": user.mobile_masked,
                "scope_areas": [a.code for a in scope_areas],
                "scope_departments": [d.code for d in scope_departments],
            },
        )
    return user


def user_set_role(
    *,
    actor: User,
    user: User,
    role: str,
    scope_areas: Iterable[Area] = (),
    scope_departments: Iterable[Department] = (),
    request: HttpRequest | None = None,
) -> User:
    """The security admin changes a role and scope; nobody changes their own (三员分立)."""
    if not actor.has_perm("accounts.change_user"):
        raise Forbidden()
    if actor.pk == user.pk:
        raise Forbidden(_("不能修改自己的角色。"))
    scope_areas, scope_departments = list(scope_areas), list(scope_departments)
    errors = _check_scope(role, scope_areas, scope_departments)
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        before = user.role
        user.role = role
        user.is_staff = role in ADMIN_ROLES
        user.save(update_fields=["role", "is_staff"])
        user.scope_areas.set(scope_areas)
        user.scope_departments.set(scope_departments)
        audit_log(
            action="accounts.role_change",
            actor=actor,
            obj=user,
            request=request,
            data={
                "from": before,
                "to": role,
                "scope_areas": [a.code for a in scope_areas],
                "scope_departments": [d.code for d in scope_departments],
            },
        )
    return user


def user_unlock(*, actor: User, user: User, request: HttpRequest | None = None) -> int:
    """Lift a login lockout now instead of waiting for it to expire."""
    if not actor.has_perm("axes.delete_accessattempt"):
        raise Forbidden()
    keys = [key_for(user.username)]
    if user.mobile:
        keys.append(key_for(user.mobile))
    with transaction.atomic():
        count, _ = AccessAttempt.objects.filter(username__in=keys).delete()
        audit_log(
            action="accounts.unlock",
            actor=actor,
            obj=user,
            request=request,
            data={"attempts_cleared": count},
        )
    return count


def password_change(*, user: User, old: str, new: str, request: HttpRequest | None = None) -> None:
    if not user.check_password(old):
        raise ValidationFailed(fields={"old_password": [_("原密码不正确。")]})
    try:
        validate_password(new, user)
    except ValidationError as exc:
        raise ValidationFailed(fields={"new_password": list(exc.messages)}) from exc
    with transaction.atomic():
        user.set_password(new)
        user.save(update_fields=["password"])
        audit_log(action="accounts.password_change", actor=user, obj=user, request=request)


# --- API tokens -----------------------------------------------------------------------------


def _token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_issue(
    *, user: User, name: str, request: HttpRequest | None = None
) -> tuple[ApiToken, str]:
    """A new bearer token; the raw value is returned once and never stored."""
    name = (name or "").strip()[:80] or _("接口令牌")
    secret = secrets.token_urlsafe(32)
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}{prefix}_{secret}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=prefix,
            digest=_token_digest(raw),
            expires_at=timezone.now() + timedelta(days=settings.API_TOKEN_TTL_DAYS),
        )
        audit_log(
            action="accounts.token_issue",
            actor=user,
            obj=token,
            request=request,
            data={"name": name, "prefix": prefix},
        )
    return token, raw


def token_revoke(*, actor: User, token: ApiToken, request: HttpRequest | None = None) -> ApiToken:
    if token.user_id != actor.pk and not actor.has_perm("accounts.change_apitoken"):
        raise NotFound()
    with transaction.atomic():
        changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if changed:
            audit_log(
                action="accounts.token_revoke",
                actor=actor,
                obj=token,
                request=request,
                data={"prefix": token.prefix},
            )
    token.refresh_from_db()
    return token


def token_authenticate(raw: str) -> User | None:
    """The user behind a bearer token, or None for an unknown, revoked or expired one."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 128:
        return None
    token = (
        ApiToken.objects.usable().select_related("user").filter(digest=_token_digest(raw)).first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Record use at most once a minute: a busy client must not write on every request.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# --- SMS login codes ------------------------------------------------------------------------

SMS_RESEND_SECONDS = 60
SMS_DAILY_LIMIT = 10
SMS_MAX_ATTEMPTS = 5
SMS_PER_ADDRESS_HOURLY = 20  # codes one client address may ask for in an hour (SMS bombing)


def _code_digest(mobile: str, code: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"{mobile}:{code}".encode(), hashlib.sha256
    ).hexdigest()


def sms_code_send(*, mobile: str, request: HttpRequest | None = None) -> None:
    """Send a 6-digit login code. The answer is the same whether the number is registered or
    not, so the form cannot be used to find out who lives here."""
    mobile = mobile.strip()
    if not is_mobile(mobile):
        raise ValidationFailed(fields={"mobile": [_("请输入 11 位手机号码。")]})
    key = digest(mobile)
    now = timezone.now()
    recent = SmsCode.objects.filter(mobile_digest=key, created_at__gt=now - timedelta(days=1))
    if recent.filter(created_at__gt=now - timedelta(seconds=SMS_RESEND_SECONDS)).exists():
        raise ValidationFailed(fields={"mobile": [_("验证码已发送，请 1 分钟后再试。")]})
    if recent.count() >= SMS_DAILY_LIMIT:
        raise ValidationFailed(fields={"mobile": [_("今日发送次数已达上限，请明天再试。")]})
    address_key = f"sms-code-ip:{client_ip(request)}"
    cache.add(address_key, 0, timeout=3600)
    if cache.incr(address_key) > SMS_PER_ADDRESS_HOURLY:
        raise ValidationFailed(fields={"mobile": [_("请求过于频繁，请稍后再试。")]})
    registered = User.objects.filter(
        role=Role.RESIDENT, mobile_digest__in=digests(mobile), is_active=True
    ).exists()
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        SmsCode.objects.create(
            mobile_digest=key,
            code_digest=_code_digest(mobile, code),
            expires_at=now + timedelta(seconds=settings.SMS_CODE_TTL_SECONDS),
        )
        audit_log(
            action="accounts.sms_code_send",
            request=request,
            data={"mobile": MASKERS["mobile"](mobile), "registered": registered},
        )
        if registered:
            transaction.on_commit(
                lambda: send_sms(
                    mobile,
                    _("您的登录验证码是 %(code)s，%(minutes)s 分钟内有效。请勿告诉他人。")
                    % {"code": code, "minutes": settings.SMS_CODE_TTL_SECONDS // 60},
                )
            )


def sms_code_check(*, mobile: str, code: str) -> User | None:
    """The resident if `code` is the live code for `mobile`; each code is tried at most 5 times
    and works once."""
    now = timezone.now()
    with transaction.atomic():
        latest = (
            SmsCode.objects.select_for_update()
            .filter(mobile_digest=digest(mobile), used_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        if latest is None or latest.attempts >= SMS_MAX_ATTEMPTS:
            return None
        if not hmac.compare_digest(latest.code_digest, _code_digest(mobile, code)):
            SmsCode.objects.filter(pk=latest.pk).update(attempts=latest.attempts + 1)
            return None
        SmsCode.objects.filter(pk=latest.pk).update(used_at=now)
    return User.objects.filter(role=Role.RESIDENT, mobile_digest__in=digests(mobile)).first()


# --- personal data ----------------------------------------------------------------------------


def personal_reveal(
    *, actor: User, target: User, field: str, request: HttpRequest | None = None
) -> str:
    """The full value of a personal field, for a permitted user who can see the account; audited."""
    if field not in MASKERS or not hasattr(target, field):
        raise ValidationFailed(fields={"field": [_("该字段不可查看。")]})
    target = get_visible(User.objects, actor, pk=target.pk) if actor.pk != target.pk else target
    if actor.pk != target.pk and not actor.has_perm("accounts.reveal_personal", target):
        raise Forbidden(_("您没有查看完整个人信息的权限。"))
    value = str(getattr(target, field))
    audit_log(
        action="personal.reveal",
        actor=actor,
        obj=target,
        request=request,
        data={"field": field, "masked": MASKERS[field](value)},
    )
    return value
