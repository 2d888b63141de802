from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from grassroots.core.validators import is_mobile, validate_mobile

__all__ = ["LettersAndDigitsValidator", "is_mobile", "validate_mobile"]


class LettersAndDigitsValidator:
    """等保: a password mixes letters and digits."""

    def validate(self, password: str, user: Any = None) -> None:
        if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
            raise ValidationError(_("密码须同时包含字母和数字。"), code="password_letters_digits")

    def get_help_text(self) -> str:
        return _("密码须同时包含字母和数字。")
