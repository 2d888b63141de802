"""Validators for Chinese identifiers, shared by forms, services and imports."""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def is_mobile(value: str) -> bool:
    """A mainland China mobile number: 11 digits starting 13–19."""
    return bool(MOBILE_RE.match(value.strip()))


def validate_mobile(value: str) -> None:
    if not is_mobile(value):
        raise ValidationError(_("请输入 11 位手机号码。"), code="mobile")


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def validate_id_number(value: str) -> None:
    """A resident identity card number (GB 11643-1999): 17 digits, a birth date, a check
    character computed from the first 17 digits (mod 11)."""
    value = value.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise ValidationError(_("身份证号应为 18 位（最后一位可以是 X）。"), code="id_format")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise ValidationError(_("身份证号中的出生日期不正确。"), code="id_birth") from exc
    if born.year < 1900 or born > date.today():
        raise ValidationError(_("身份证号中的出生日期不正确。"), code="id_birth")
    if id_check_char(value[:17]) != value[17]:
        raise ValidationError(_("身份证号校验位不正确，请核对。"), code="id_check")


def birth_year_from_id(value: str) -> int:
    return int(value.strip()[6:10])
