"""Keyset pages for API lists, newest first on (created_at, id): page 1000 costs what page 1
does, and a row inserted meanwhile neither repeats nor skips a row. The cursor is opaque to
clients (the last row's time and id, base64)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field

from .errors import ValidationFailed

MAX_LIMIT: int = settings.NINJA_PAGINATION_MAX_LIMIT


class PageQuery(Schema):
    cursor: str = Field(default="", description="上一页返回的 next_cursor；不填为第一页")
    limit: int = Field(
        default=50, description="每页条数", json_schema_extra={"minimum": 1, "maximum": MAX_LIMIT}
    )


def encode_cursor(row: Any) -> str:
    raw = f"{row.created_at.isoformat()}|{row.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, pk = raw.split("|")
        created_at = datetime.fromisoformat(at)
        if created_at.tzinfo is None:
            raise ValueError(cursor)
        return created_at, int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValidationFailed(
            fields={"cursor": [_("分页游标无效，请从第一页重新开始。")]}
        ) from exc


def keyset_rows(rows: QuerySet[Any], cursor: str, limit: int) -> QuerySet[Any]:
    """The query of one page of `rows` (newest first) after `cursor`, with one row more than
    `limit` (is there a next page?)."""
    rows = rows.order_by("-created_at", "-id")
    if cursor:
        at, pk = decode_cursor(cursor)
        rows = rows.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk))
    return rows[: limit + 1]


def keyset_page(
    rows: QuerySet[Any], cursor: str, limit: int, *, max_limit: int = MAX_LIMIT
) -> tuple[list[Any], str | None]:
    """One page of `rows` (newest first) after `cursor`, and the cursor of the next page."""
    if not 1 <= limit <= max_limit:
        raise ValidationFailed(
            fields={"limit": [_("每页条数须在 1 至 %(n)d 之间。") % {"n": max_limit}]}
        )
    found = list(keyset_rows(rows, cursor, limit))
    more = len(found) > limit
    found = found[:limit]
    return found, encode_cursor(found[-1]) if more else None
