"""Putting messages in inboxes and marking them read.

Marking read is not audited: it changes nothing but the reader's own inbox.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.core import sql
from grassroots.core.errors import ValidationFailed

from .models import Notice


def is_local_path(url: str) -> bool:
    return url == "" or (url.startswith("/") and not url.startswith("//") and "\\" not in url)


def notify(
    *, recipients: Iterable[Any], title: str, body: str = "", url: str = "", kind: str = ""
) -> list[Notice]:
    """A message to each recipient's inbox, written with the caller's transaction (so a
    rolled-back change sends nothing). One insert for all recipients."""
    if not is_local_path(url):
        raise ValidationFailed(fields={"url": [_("链接须为本平台内的地址。")]})
    notices = [
        Notice(recipient=user, kind=kind[:40], title=title[:100], body=body, url=url)
        for user in {u.pk: u for u in recipients if u is not None and u.is_active}.values()
    ]
    if len(notices) == 1:  # most notices: one requester told of their own request
        sql.insert(notices[0])
        return notices
    return Notice.objects.bulk_create(notices)


def notice_mark_read(*, user: Any, notice: Notice) -> Notice:
    if notice.read_at is None:
        Notice.objects.filter(pk=notice.pk, recipient=user, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        notice.refresh_from_db(fields=["read_at"])
    return notice


def notices_mark_all_read(*, user: Any) -> int:
    with transaction.atomic():
        return Notice.objects.filter(recipient=user, read_at__isnull=True).update(
            read_at=timezone.now()
        )
