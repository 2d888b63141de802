from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class LettersAndDigitsValidator:
    """等保: a password mixes letters and digits."""

    def validate(self, password: str, user: Any = None) -> None:
        if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
            raise ValidationError(_("密码须同时包含字母和数字。"), code="password_letters_digits")

    def get_help_text(self) -> str:
        return _("密码须同时包含字母和数字。")


MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def is_mobile(value: str) -> bool:
    return bool(MOBILE_RE.match(value.strip()))


def validate_mobile(value: str) -> None:
    if not is_mobile(value):
        raise ValidationError(_("请输入 11 位手机号码。"), code="mobile")
