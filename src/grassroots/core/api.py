"""The JSON API's shared parts: authentication and the one error shape."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, SessionAuth

from .errors import DomainError

log = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    """`Authorization: Bearer gr_…` for machine clients."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from grassroots.accounts.services import token_authenticate

        user = token_authenticate(token)
        if user is not None:
            request.user = user
            request.auth_via_token = True  # type: ignore[attr-defined]
        return user


class BrowserSession(SessionAuth):
    """The browser's session cookie, CSRF-checked; a staff session still waiting for its
    second factor does not count."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        from grassroots.accounts.middleware import needs_second_factor

        user = super().authenticate(request, key)
        if user is not None and needs_second_factor(request):
            return None
        return user


def error_body(
    code: str, message: str, fields: dict[str, list[str]] | None = None, **extra: Any
) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}, **extra}}


# Lazy: translated when an error is answered, in the language of that request.
PYDANTIC_MESSAGES = {
    "missing": _lazy("此项为必填项。"),
    "string_too_long": _lazy("内容过长。"),
    "string_too_short": _lazy("内容过短。"),
    "string_type": _lazy("须为文字。"),
    "int_parsing": _lazy("须为整数。"),
    "int_type": _lazy("须为整数。"),
    "bool_parsing": _lazy("须为是或否。"),
    "bool_type": _lazy("须为是或否。"),
    "float_parsing": _lazy("须为数字。"),
    "float_type": _lazy("须为数字。"),
    "date_parsing": _lazy("须为日期，如 2026-11-27。"),
    "date_type": _lazy("须为日期，如 2026-11-27。"),
    "date_from_datetime_parsing": _lazy("须为日期，如 2026-11-27。"),
    "date_from_datetime_inexact": _lazy("须为日期，如 2026-11-27。"),
    "json_invalid": _lazy("请求内容不是有效的 JSON。"),
    "model_attributes_type": _lazy("请求内容格式不正确。"),
    "enum": _lazy("不是可选的值。"),
    "literal_error": _lazy("不是可选的值。"),
}


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return api.create_response(request, exc.as_dict(), status=exc.status)

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for err in exc.errors:
            loc = [
                str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path")
            ]
            key = loc[-1] if loc else "__all__"
            known = PYDANTIC_MESSAGES.get(str(err.get("type", "")))
            message = str(known) if known is not None else str(err.get("msg", _("格式不正确。")))
            fields.setdefault(key, []).append(message)
        body = error_body("validation_failed", _("提交的内容有误，请检查后再试。"), fields)
        return api.create_response(request, body, status=400)

    @api.exception_handler(AuthenticationError)
    def not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(
            request, error_body("not_authenticated", _("请先登录，或提供有效的令牌。")), status=401
        )

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(
            request, error_body("not_found", _("未找到该内容。")), status=404
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # Ninja's own errors carry English text; answer in the platform's words.
        status = exc.status_code
        if status == 400:
            body = error_body("validation_failed", _("请求内容格式不正确。"))
        elif status == 403 and "csrf" in str(exc.message).lower():
            body = error_body("csrf_failed", _("CSRF 校验失败，请刷新页面后重试。"))
        elif status == 403:
            body = error_body("forbidden", _("您没有权限进行此操作。"))
        elif status == 429:
            body = error_body("throttled", _("请求过于频繁，请稍后再试。"))
        else:
            body = error_body("error", str(exc.message))
        return api.create_response(request, body, status=status)
