from __future__ import annotations

from base64 import b32encode
from io import BytesIO

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from grassroots.core.audit import audit_log
from grassroots.core.errors import DomainError
from grassroots.core.models import AuditOutcome

from . import services
from .forms import LoginForm, OtpForm, PasswordChangeForm, SmsLoginForm, TokenForm
from .middleware import SEEN_KEY
from .models import ApiToken, User
from .typing import AuthedRequest

WRONG_CREDENTIALS = _("账号或密码不正确。")


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _start_session(request: HttpRequest, user: User) -> HttpResponse:
    login(request, user)
    if user.is_staff_role:
        request.session.set_expiry(0)  # ends with the browser; idle limit in the middleware
        import time

        request.session[SEEN_KEY] = int(time.time())
    else:
        request.session.set_expiry(settings.RESIDENT_SESSION_SECONDS)
    return redirect(_next_url(request) or resolve_url(settings.LOGIN_REDIRECT_URL))


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
        )
        if user is not None:
            return _start_session(request, user)
        form.add_error(None, WRONG_CREDENTIALS)
    return render(
        request,
        "accounts/login.html",
        {"form": form, "sms_form": SmsLoginForm(), "next": _next_url(request)},
    )


@require_http_methods(["GET", "POST"])
def sms_login_view(request: HttpRequest) -> HttpResponse:
    form = SmsLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        request.login_channel = "sms"  # type: ignore[attr-defined]
        user = authenticate(
            request, mobile=form.cleaned_data["mobile"], code=form.cleaned_data["code"]
        )
        if user is not None:
            return _start_session(request, user)
        form.add_error("code", _("验证码不正确或已过期。"))
    return render(
        request,
        "accounts/login.html",
        {"form": LoginForm(), "sms_form": form, "tab": "sms", "next": _next_url(request)},
    )


@require_POST
def sms_code_view(request: HttpRequest) -> HttpResponse:
    """HTMX: send a login code; answers with a one-line status under the field."""
    try:
        services.sms_code_send(mobile=request.POST.get("mobile", ""), request=request)
    except DomainError as exc:
        message = "；".join(m for msgs in exc.fields.values() for m in msgs) or exc.message
        return render(request, "accounts/_sms_status.html", {"error": message}, status=400)
    return render(
        request,
        "accounts/_sms_status.html",
        {"ok": _("如该手机号已注册，验证码已发送，5 分钟内有效。")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def otp_view(request: AuthedRequest) -> HttpResponse:
    """The second factor: verify with an enrolled device, or enrol one first."""
    user = request.user
    enrolled = user_has_device(user, confirmed=True)
    if enrolled:
        device = TOTPDevice.objects.devices_for_user(user, confirmed=True).first()
    else:
        device = TOTPDevice.objects.filter(
            user=user, confirmed=False
        ).first() or TOTPDevice.objects.create(user=user, name=_("手机验证器"), confirmed=False)
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["otp_token"]):
            if not device.confirmed:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                audit_log(action="auth.otp_enrol", actor=user, obj=user, request=request)
            otp_login(request, device)
            audit_log(action="auth.otp_verify", actor=user, obj=user, request=request)
            return redirect(_next_url(request) or resolve_url(settings.LOGIN_REDIRECT_URL))
        audit_log(
            action="auth.otp_verify",
            actor=user,
            obj=user,
            request=request,
            outcome=AuditOutcome.FAILURE,
        )
        form.add_error("otp_token", _("验证码不正确，请核对手机时间后重试。"))
    context = {"form": form, "enrolled": enrolled}
    if not enrolled:
        import qrcode
        import qrcode.image.svg

        image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
        buffer = BytesIO()
        image.save(buffer)
        context["qr_svg"] = buffer.getvalue().decode()
        context["secret"] = b32encode(device.bin_key).decode()
    return render(request, "accounts/otp.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def security_view(request: AuthedRequest) -> HttpResponse:
    """账号与安全: password, two-factor status and (for staff) API tokens."""
    user = request.user
    password_form = PasswordChangeForm(
        request.POST if request.POST.get("form") == "password" else None
    )
    token_form = TokenForm(request.POST if request.POST.get("form") == "token" else None)
    new_token = None
    if request.method == "POST":
        try:
            if request.POST.get("form") == "password" and password_form.is_valid():
                services.password_change(
                    user=user,
                    old=password_form.cleaned_data["old_password"],
                    new=password_form.cleaned_data["new_password"],
                    request=request,
                )
                update_session_auth_hash(request, user)
                messages.success(request, _("密码已修改。"))
                return redirect("accounts:security")
            if request.POST.get("form") == "token" and user.is_staff_role and token_form.is_valid():
                _token, new_token = services.token_issue(
                    user=user, name=token_form.cleaned_data["name"], request=request
                )
                token_form = TokenForm()
            if request.POST.get("form") == "revoke" and user.is_staff_role:
                token_id = request.POST.get("token", "")
                token = (
                    ApiToken.objects.filter(user=user, pk=int(token_id)).first()
                    if token_id.isdigit()
                    else None
                )
                if token is not None:
                    services.token_revoke(actor=user, token=token, request=request)
                    messages.success(request, _("令牌已吊销。"))
                return redirect("accounts:security")
        except DomainError as exc:
            for field, errors in exc.fields.items():
                for error in errors:
                    password_form.add_error(field if field in password_form.fields else None, error)
    return render(
        request,
        "accounts/security.html",
        {
            "password_form": password_form,
            "token_form": token_form,
            "new_token": new_token,
            "tokens": user.api_tokens.all()[:50] if user.is_staff_role else [],
            "otp_enrolled": user_has_device(user, confirmed=True),
            "base_template": "web/workbench.html" if user.is_staff_role else "web/resident.html",
            "tab": "me",
        },
    )
