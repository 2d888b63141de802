"""The JSON API's shared parts: authentication, the one error shape and how every operation
declares it, and the pages of the plain lists."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from ninja import NinjaAPI, Schema
from ninja.conf import settings as ninja_settings
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import LimitOffsetPagination
from ninja.security import HttpBearer, SessionAuth
from pydantic import AfterValidator, Field, field_validator
from pydantic_core import PydanticCustomError

from .errors import DomainError, NotFound

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


# --- what comes in ------------------------------------------------------------------------------
# PostgreSQL can neither store nor compare text holding the NUL character: psycopg refuses it with
# a DataError, a 500 (SQLite takes it). Django's form fields refuse it; so does the API, here.

NUL = "\x00"


def _refuse_nul(value: Any) -> Any:
    texts = value if isinstance(value, list) else [value]
    if any(isinstance(text, str) and NUL in text for text in texts):
        raise PydanticCustomError("string_nul", "Null characters are not allowed.")
    return value


class InputSchema(Schema):
    """A body or a set of query parameters of the API: no text in it holds a NUL character
    (a field error, on either database)."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return _refuse_nul(value)


def _known_number(number: str) -> str:
    if NUL in number:
        # Not a ValueError: pydantic lets it through, and it is answered as an unknown number.
        raise NotFound()
    return number


# A ticket's or a whistle's number in a path: one holding a NUL names nothing (404), as an unknown
# number does, instead of reaching the database.
Number = Annotated[str, AfterValidator(_known_number)]
# Text in a header.
HeaderText = Annotated[str, AfterValidator(_refuse_nul)]


# An offset past a 64-bit integer makes the database refuse the query (a 500); no list here
# comes near this many rows.
MAX_OFFSET = 1_000_000_000


class LimitOffset(LimitOffsetPagination):
    """Ninja's limit/offset pages with the offset bounded (a 400 past MAX_OFFSET)."""

    class Input(Schema):
        limit: int = Field(
            ninja_settings.PAGINATION_PER_PAGE,
            ge=1,
            le=ninja_settings.PAGINATION_MAX_LIMIT,
            description="每页条数",
        )
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="跳过的条数")


# --- what goes out: the one error shape ---------------------------------------------------------


class ErrorBody(Schema):
    code: str = Field(description="validation_failed / wrong_state / not_authenticated / …")
    message: str
    fields: dict[str, list[str]] = Field(description="字段级错误：字段名 → 错误说明")


class ErrorOut(Schema):
    """The platform's one error shape: every 4xx answer of the API has it."""

    error: ErrorBody


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The error answers an operation declares, all in the one shape. What each means here:
    400 a parameter or the body is invalid (field errors), 401 no valid session or token,
    403 the caller's role may not (or a browser's CSRF check failed), 404 not found or not
    visible to the caller, 409 the state changed meanwhile or it was already done, 429 too many
    attempts."""
    return dict.fromkeys(statuses, ErrorOut)


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
    "list_type": _lazy("须为列表。"),
    "too_short": _lazy("项数过少。"),
    "too_long": _lazy("项数过多。"),
    "int_parsing_size": _lazy("数值过大。"),
    "int_from_float": _lazy("须为整数。"),
    "finite_number": _lazy("须为有限的数字。"),
    "greater_than": _lazy("须大于 %(gt)s。"),
    "greater_than_equal": _lazy("不能小于 %(ge)s。"),
    "less_than": _lazy("须小于 %(lt)s。"),
    "less_than_equal": _lazy("不能大于 %(le)s。"),
    "string_unicode": _lazy("须为有效的文字。"),
    "string_pattern_mismatch": _lazy("格式不正确。"),
    "datetime_parsing": _lazy("须为日期时间，如 2026-11-27T09:30:00+08:00。"),
    "datetime_type": _lazy("须为日期时间，如 2026-11-27T09:30:00+08:00。"),
    "datetime_from_date_parsing": _lazy("须为日期时间，如 2026-11-27T09:30:00+08:00。"),
    "dict_type": _lazy("格式不正确。"),
    "model_type": _lazy("格式不正确。"),
    "json_type": _lazy("请求内容不是有效的 JSON。"),
    "extra_forbidden": _lazy("不接受此项。"),
    "string_nul": _lazy("含有无效的字符。"),
}

# Where a parameter comes from, and the name every body parameter has here (`payload`): neither
# names a field.
NOT_FIELDS = frozenset({"body", "query", "path", "header", "cookie", "form", "file", "payload"})


def error_field(loc: Any) -> str:
    """The field an error of pydantic's is about: the first name in its location, so that an
    error inside a list item or a union member is reported on the field (`departments`, not
    `0`; `ticket`, not `str`)."""
    for part in loc or ():
        if isinstance(part, str) and part not in NOT_FIELDS:
            return part
    return "__all__"


def error_message(err: dict[str, Any]) -> str:
    """Pydantic's error in the platform's words, with its limit (`不能大于 500。`)."""
    kind = str(err.get("type", ""))
    context = err.get("ctx") or {}
    known = PYDANTIC_MESSAGES.get(kind)
    if known is not None:
        text = str(known)
        try:
            return text % context if "%(" in text else text
        except (KeyError, TypeError, ValueError):  # pydantic always gives the limit; just in case
            return text
    if kind == "value_error" and context.get("error"):
        return str(context["error"])  # a validator's own (Chinese) text, without "Value error, "
    return str(err.get("msg") or _("格式不正确。"))


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return api.create_response(request, exc.as_dict(), status=exc.status)

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for err in exc.errors:
            messages = fields.setdefault(error_field(err.get("loc")), [])
            message = error_message(err)
            if message not in messages:  # two items of one list wrong the same way: said once
                messages.append(message)
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
