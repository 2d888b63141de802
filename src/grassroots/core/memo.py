"""Small reference data kept in each process, as fresh as the shared cache says.

A `Memo` holds what `load` read (the catalogue's leaves, the streets). `forget()`, called from
a signal or a service, drops it in this process at once and again at the commit, and drops its
version in the shared cache (Redis in production) at both moments too. Another process looks
at that version at most once a `check` interval (a second), so it sees a change within a second
of its commit, and a hit costs nothing most of the time. After `seconds` the rows are read
again whatever the version says: that bounds how long a change that sends no signal (a bulk
update) goes unseen.

Between `forget()` and the end of its transaction the memo holds nothing: it reads the rows on
every look (the transaction sees its own change), because the change may still be rolled back.
"""

from __future__ import annotations

import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")

_MEMOS: weakref.WeakSet[Memo[object]] = weakref.WeakSet()


def drop_all_here() -> None:
    """Drop what every memo holds in this process. For the tests: each starts from the
    database as it is."""
    for memo in list(_MEMOS):
        memo._held = None
        memo._pending = False


@dataclass
class _Held(Generic[T]):
    version: str
    loaded: float
    checked: float
    value: T


class Memo(Generic[T]):
    def __init__(
        self, key: str, load: Callable[[], T], seconds: float = 60, check: float = 1
    ) -> None:
        self.key = key
        self.load = load
        self.seconds = seconds
        self.check = check
        self._held: _Held[T] | None = None
        self._pending = False  # forgotten by a transaction that has not ended yet
        _MEMOS.add(self)  # type: ignore[arg-type]

    def get(self) -> T:
        if self._pending:
            if transaction.get_connection().in_atomic_block:
                return self.load()  # a change not committed yet: read it, hold nothing
            # The transaction ended without committing (a commit would have settled it).
            self._pending = False
            self._held = None
        now = time.monotonic()
        held = self._held
        fresh = held is not None and now - held.loaded < self.seconds
        if held is not None and fresh and now - held.checked < self.check:
            return held.value
        version = self._version()
        if held is not None and fresh and version == held.version:
            held.checked = now
            return held.value
        # Read after the version: a change committed meanwhile drops the version again, so
        # the next look reads once more.
        value = self.load()
        self._held = _Held(version, now, now, value) if version is not None else None
        return value

    def _version(self) -> str | None:
        version: str | None = cache.get(self.key)
        if version is None:
            cache.add(self.key, uuid.uuid4().hex, None)  # add: another process may be first
            version = cache.get(self.key)
        return version

    def forget(self) -> None:
        """Read again here at once, on every look until the transaction ends (it sees its own
        change, which may still be rolled back), and everywhere after the commit (another
        process may have read the old rows in between)."""
        self._drop()
        self._pending = True
        transaction.on_commit(self._settle)

    def _settle(self) -> None:
        self._pending = False
        self._drop()

    def _drop(self) -> None:
        self._held = None  # one assignment: safe beside the worker's threads
        cache.delete(self.key)
