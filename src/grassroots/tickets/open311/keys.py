"""Open311 API keys: issued to a client organisation by the security admin (shown once, stored
as SHA-256), revoked, rate-limited per minute, every change audited."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.accounts.models import Role, User
from grassroots.accounts.services import user_create
from grassroots.core.audit import audit_log
from grassroots.core.errors import Conflict, clean_text, field_error
from grassroots.territory.models import Area, AreaKind

from ..models import Open311Client

KEY_PREFIX = "o311_"
MAX_RATE_LIMIT = 10_000


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def client_issue(
    *,
    actor: Any,
    name: str,
    contact: str = "",
    streets: Iterable[Area] = (),
    rate_limit: int = 60,
    request: HttpRequest | None = None,
) -> tuple[Open311Client, str]:
    """A client organisation and its key; the raw key is returned once and never stored."""
    name = clean_text(name, "name", required=True, limit=100, label=_("对接单位"))
    contact = clean_text(contact, "contact", required=False, limit=100, label=_("联系人及电话"))
    streets = list(streets)
    if any(s.kind not in (AreaKind.STREET, AreaKind.TOWNSHIP) for s in streets):
        raise field_error("streets", _("对接范围只能选街道或乡镇。"))
    if not 1 <= int(rate_limit) <= MAX_RATE_LIMIT:
        raise field_error(
            "rate_limit", _("每分钟请求上限须在 1 至 %(n)d 之间。") % {"n": MAX_RATE_LIMIT}
        )
    prefix = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        # The account its requests are filed under: no password, never signs in.
        account = user_create(
            actor=actor,
            username=f"open311-{prefix}",
            name=name,
            role=Role.INTEGRATION,
            scope_areas=streets,
            request=request,
        )
        client = Open311Client.objects.create(
            name=name,
            contact=contact,
            prefix=prefix,
            digest=_digest(raw),
            account=account,
            rate_limit=int(rate_limit),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        client.streets.set(streets)
        audit_log(
            action="tickets.open311_client_issue",
            actor=actor,
            obj=client,
            request=request,
            data={"name": name, "prefix": prefix, "streets": [s.code for s in streets]},
        )
    return client, raw


def client_revoke(
    *, actor: Any, client: Open311Client, request: HttpRequest | None = None
) -> Open311Client:
    with transaction.atomic():
        changed = Open311Client.objects.filter(pk=client.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), is_active=False
        )
        if not changed:
            raise Conflict(_("该密钥已吊销。"))
        client.refresh_from_db()
        if client.account_id is not None:
            User.objects.filter(pk=client.account_id).update(is_active=False)
        audit_log(
            action="tickets.open311_client_revoke",
            actor=actor,
            obj=client,
            request=request,
            data={"name": client.name, "prefix": client.prefix},
        )
    return client


def client_sync(
    *, actor: Any, client: Open311Client, changed: list[str], request: HttpRequest | None = None
) -> None:
    """After the security admin edited a client: its account follows its streets and state."""
    account = client.account
    if account is not None:
        account.scope_areas.set(client.streets.all())
        if account.is_active != client.is_usable:
            User.objects.filter(pk=account.pk).update(is_active=client.is_usable)
    audit_log(
        action="tickets.open311_client_change",
        actor=actor,
        obj=client,
        request=request,
        data={
            "name": client.name,
            "changed": changed,
            "streets": [s.code for s in client.streets.all()],
            "is_active": client.is_active,
        },
    )


def client_for_key(raw: str) -> Open311Client | None:
    """The usable client holding this key, or None. Marks it used (at most once a minute)."""
    raw = (raw or "").strip()
    if not raw.startswith(KEY_PREFIX) or len(raw) > 200:
        return None
    client = (
        Open311Client.objects.usable()
        .select_related("account")
        .filter(digest=_digest(raw), account__is_active=True)
        .first()
    )
    if client is None:
        return None
    now = timezone.now()
    if client.last_used_at is None or (now - client.last_used_at).total_seconds() > 60:
        Open311Client.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now
    return client


def within_rate(client: Open311Client) -> bool:
    """Counts one request of the client in this minute; False once past its limit."""
    minute = timezone.now().strftime("%Y%m%d%H%M")
    key = f"open311:rate:{client.pk}:{minute}"
    if cache.add(key, 1, timeout=120):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=120)
            count = 1
    return count <= client.rate_limit
