from __future__ import annotations

import io
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from grassroots.accounts.models import Role, User
from grassroots.accounts.services import personal_reveal
from grassroots.core.errors import Forbidden, NotFound
from grassroots.core.models import AuditEntry
from grassroots.core.personal import digest, mask_id_number, mask_mobile


def stored(user: User) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT mobile, mobile_digest FROM accounts_user WHERE id = %s", [user.pk])
        return cursor.fetchone()


def test_it_masks_mobile_and_id_numbers() -> None:
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_id_number("110101199003071234") == "110101********1234"
    assert mask_id_number("11010119900307123X") == "110101********123X"
    assert mask_mobile("") == "" and mask_id_number("") == ""
    assert mask_mobile("12345") == "***45"


def test_it_encrypts_at_rest_and_finds_by_digest(cast: Any) -> None:
    token, key = stored(cast.resident)
    assert "13800138000" not in token and token.startswith("gAAAA")
    assert key == digest("13800138000") and len(key) == 64
    assert User.objects.get(mobile_digest=digest("138 0013 8000")).pk == cast.resident.pk
    assert User.objects.get(pk=cast.resident.pk).mobile == "13800138000"


def test_the_same_number_encrypts_differently_each_time(cast: Any) -> None:
    other = User.objects.create(username="x", role=Role.GRID_WORKER, mobile="13800138000")
    assert stored(other)[0] != stored(cast.resident)[0]
    assert stored(other)[1] == stored(cast.resident)[1]


def test_reveal_needs_permission_and_is_audited(cast: Any) -> None:
    before = AuditEntry.objects.count()
    value = personal_reveal(
        actor=cast.community_secretary, target=cast.grid_worker_a, field="mobile"
    )
    assert value == "13900000001"
    entry = AuditEntry.objects.order_by("-seq").first()
    assert AuditEntry.objects.count() == before + 1
    assert entry.action == "personal.reveal" and entry.actor_id == cast.community_secretary.pk
    assert "13900000001" not in entry.data and "139****0001" in entry.data


def test_reveal_of_someone_out_of_scope_is_not_found(cast: Any) -> None:
    with pytest.raises(NotFound):
        personal_reveal(actor=cast.outsider, target=cast.grid_worker_a, field="mobile")


@pytest.mark.parametrize("who", ["audit_admin", "system_admin", "member_unit_contact"])
def test_reveal_is_refused_without_the_permission(cast: Any, city: Any, who: str) -> None:
    # A grid worker inside the member-unit contact's community, so scope alone would allow it.
    target = User.objects.create(username="c2_grid", role=Role.GRID_WORKER, mobile="13700000000")
    target.scope_areas.set([city.grid_c2])
    with pytest.raises((Forbidden, NotFound)):
        personal_reveal(actor=getattr(cast, who), target=target, field="mobile")
    assert not AuditEntry.objects.filter(action="personal.reveal").exists()


def test_key_rotation_reencrypts_without_loss(cast: Any, settings: Any) -> None:
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    new = Fernet.generate_key().decode()
    before = {u.pk: u.mobile for u in User.objects.all()}
    old_tokens = {u.pk: stored(u)[0] for u in User.objects.exclude(mobile_digest="")}
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    # Between the key change and the rotation, lookups still work through the old digest.
    from grassroots.core.personal import digests

    assert User.objects.filter(mobile_digest__in=digests("13800138000")).exists()
    out = io.StringIO()
    call_command("rotate_field_key", "--batch", "3", stdout=out)
    assert f"re-encrypted {len(before)} rows" in out.getvalue()
    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key is gone
    after = {u.pk: u.mobile for u in User.objects.all()}
    assert after == before
    for pk, token in old_tokens.items():
        assert stored(User(pk=pk))[0] != token
    assert User.objects.get(mobile_digest=digest("13800138000")).pk == cast.resident.pk
    assert AuditEntry.objects.filter(action="personal.key_rotate").exists()
