"""`{{ ticket.resolve_by|deadline }}`: a deadline at local midnight reads as 24:00 of the day
before (民法典 第二百零三条: a period ends at 24:00 of its last day), not 00:00 of the next."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def deadline(value: datetime | None, form: str = "long") -> str:
    if value is None:
        return ""
    local = timezone.localtime(value)
    day = "%m-%d" if form == "short" else "%Y-%m-%d"
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return f"{local - timedelta(days=1):{day}} 24:00"
    return f"{local:{day} %H:%M}"
