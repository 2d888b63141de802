from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Notice


def inbox(user: Any) -> QuerySet[Notice]:
    """The user's own messages, newest first: a user never sees another's inbox."""
    return Notice.objects.filter(recipient=user).order_by("-created_at", "-id")


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notice.objects.filter(recipient=user, read_at__isnull=True).count()
