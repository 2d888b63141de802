"""One exception family for the whole platform.

Services raise these; the API turns them into one error shape,
`{"error": {"code": …, "message": …, "fields": {…}}}`, and forms into field errors.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status = 400
    code = "invalid"
    default_message = _("请求无法完成。")

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: dict[str, list[str]] | None = None,
        code: str | None = None,
    ) -> None:
        self.message = str(message if message is not None else self.default_message)
        self.fields = {k: [str(m) for m in v] for k, v in (fields or {}).items()}
        if code:
            self.code = code
        super().__init__(self.message)

    def as_dict(self) -> dict[str, object]:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


class ValidationFailed(DomainError):
    status = 400
    code = "validation_failed"
    default_message = _("提交的内容有误，请检查后再试。")


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"
    default_message = _("请先登录。")


class Forbidden(DomainError, PermissionDenied):
    status = 403
    code = "forbidden"
    default_message = _("您没有权限进行此操作。")


class NotFound(DomainError, Http404):
    """Also an Http404, so a view that lets it through renders the 404 page."""

    status = 404
    code = "not_found"
    default_message = _("未找到该内容。")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = _("内容已被他人修改，请刷新后再试。")


class Locked(DomainError):
    status = 429
    code = "locked"
    default_message = _("登录失败次数过多，账号已暂时锁定。")


def from_django_validation(exc: Exception) -> ValidationFailed:
    """Turn Django's ValidationError (from full_clean) into ours, keeping field messages."""
    from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

    assert isinstance(exc, ValidationError)
    if hasattr(exc, "error_dict"):
        fields = {
            ("__all__" if k == NON_FIELD_ERRORS else k): [str(m) for e in v for m in e.messages]
            for k, v in exc.error_dict.items()
        }
        return ValidationFailed(fields=fields)
    return ValidationFailed(" ".join(exc.messages))


def field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(fields={field: [message]})


def clean_text(value: str | None, field: str, *, required: bool, limit: int, label: str) -> str:
    """A text input stripped; "请填写…" when required and empty, "…不能超过 N 个字" when long."""
    text = (value or "").strip()
    if required and not text:
        raise field_error(field, str(_("请填写%(label)s。")) % {"label": label})
    if len(text) > limit:
        raise field_error(
            field, str(_("%(label)s不能超过 %(n)d 个字。")) % {"label": label, "n": limit}
        )
    return text
