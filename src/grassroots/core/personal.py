"""Personal data at rest: encrypted, found by a keyed digest, shown masked.

`FIELD_ENCRYPTION_KEYS` is a list of Fernet keys; the first encrypts and keys the digest, every
key decrypts. An `EncryptedField` holds the plaintext in Python and the Fernet token in the
database; a `DigestField` next to it holds HMAC-SHA256(key, normalised value) so that an exact
lookup (login by mobile, find a resident by ID number) is an indexed equality. After a new key is
put first, lookups try the digests of every key until `rotate_field_key` has re-encrypted and
re-keyed every row.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


def _keys() -> tuple[str, ...]:
    return tuple(k.strip() for k in settings.FIELD_ENCRYPTION_KEYS if k.strip())


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be comma-separated Fernet keys "
            "(32 url-safe base64-encoded bytes each)"
        ) from exc


def _digest_key(key: str) -> bytes:
    # A separate key for the digest, derived from the encryption key, so that the digest
    # never doubles as key material for the cipher.
    return hmac.new(base64.urlsafe_b64decode(key), b"grassroots-digest-v1", hashlib.sha256).digest()


def normalise(value: str) -> str:
    return re.sub(r"[\s\-]", "", value).upper()


def encrypt(value: str) -> str:
    return _fernet(_keys()).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(_keys()).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A personal field cannot be decrypted with any key in FIELD_ENCRYPTION_KEY"
        ) from exc


def digest(value: str, key: str | None = None) -> str:
    key = key or _keys()[0]
    return hmac.new(_digest_key(key), normalise(value).encode(), hashlib.sha256).hexdigest()


def digests(value: str) -> list[str]:
    """Every digest the value may be stored under (one per configured key)."""
    return [digest(value, k) for k in _keys()]


def mask_mobile(value: str) -> str:
    """138****5678; shorter numbers keep only their last two digits."""
    if not value:
        return ""
    if len(value) >= 11:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    return "*" * max(len(value) - 2, 0) + value[-2:]


def mask_id_number(value: str) -> str:
    """110101********1234 (18 digits: keep the region code and the last four)."""
    if not value:
        return ""
    if len(value) >= 15:
        return value[:6] + "*" * (len(value) - 10) + value[-4:]
    return "*" * max(len(value) - 4, 0) + value[-4:]


MASKERS = {"mobile": mask_mobile, "id_number": mask_id_number}


class EncryptedField(models.TextField):
    """Plaintext in Python, a Fernet token in the database. Not searchable: pair it with a
    DigestField."""

    def __init__(self, *args: Any, kind: str = "mobile", **kwargs: Any) -> None:
        self.kind = kind
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["kind"] = self.kind
        return name, path, args, kwargs

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str:
        if not value:
            return ""
        return decrypt(value)

    def get_prep_value(self, value: Any) -> str:
        value = super().get_prep_value(value)
        if not value:
            return ""
        return encrypt(str(value))

    def mask(self, value: str) -> str:
        return MASKERS[self.kind](value)


class DigestField(models.CharField):
    """The keyed digest of another field, computed at save time from that field's value."""

    def __init__(self, *args: Any, source: str, **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = getattr(model_instance, self.source) or ""
        result = digest(value) if value else ""
        setattr(model_instance, self.attname, result)
        return result


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedField]]:
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedField):
                found.append((model, field))
    return found


def digest_fields(model: type[models.Model]) -> list[DigestField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, DigestField)]
