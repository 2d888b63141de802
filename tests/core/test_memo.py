"""The per-process memo: read once, read again when told or when its time is up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from grassroots.core import memo as memo_module
from grassroots.core.memo import Memo
from tests.conftest import flushable_audit_log


@pytest.fixture(scope="module", autouse=True)
def _audit_log_survives_flush() -> Iterator[None]:
    """The rollback test below is transactional: see tests.conftest.flushable_audit_log."""
    with flushable_audit_log():
        yield


def counting(value: Any = "v") -> tuple[Memo[Any], list[int]]:
    loads: list[int] = []

    def load() -> Any:
        loads.append(1)
        return f"{value}{len(loads)}"

    return Memo("test:memo:version", load, seconds=60), loads


@pytest.mark.django_db
def test_it_reads_once_and_again_when_forgotten(
    django_capture_on_commit_callbacks: Any,
) -> None:
    memo, loads = counting()
    assert memo.get() == "v1" and memo.get() == "v1" and len(loads) == 1
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        memo.forget()
        assert memo.get() == "v2"  # this transaction sees its own change at once,
        assert memo.get() == "v3"  # on every look, holding nothing it may roll back
    assert len(callbacks) == 1  # and the version is dropped again after the commit
    assert memo.get() == "v4" and memo.get() == "v4" and len(loads) == 4


@pytest.mark.django_db
def test_another_process_sees_the_change_within_a_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1000.0]
    monkeypatch.setattr(memo_module.time, "monotonic", lambda: now[0])
    first, _ = counting("a")
    second, loads = counting("b")
    assert first.get() == "a1" and second.get() == "b1"
    first.forget()  # the change happens in the first process
    now[0] += 0.5
    assert second.get() == "b1"  # not looked at the shared version yet
    now[0] += 0.6
    assert second.get() == "b2" and len(loads) == 2
    now[0] += 1.1
    assert second.get() == "b2" and len(loads) == 2  # the version has not moved since


def test_it_reads_again_when_the_cache_lost_the_version(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(memo_module.time, "monotonic", lambda: now[0])
    memo, loads = counting()
    memo.get()
    cache.clear()
    now[0] += 1.5
    memo.get()
    assert len(loads) == 2


def test_a_change_without_a_signal_is_seen_after_the_time_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1000.0]
    monkeypatch.setattr(memo_module.time, "monotonic", lambda: now[0])
    memo, loads = counting()
    memo.get()
    now[0] += 59
    memo.get()
    assert len(loads) == 1
    now[0] += 2
    assert memo.get() == "v2"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_is_not_held() -> None:
    from django.db import transaction

    from grassroots.tickets.models import Category
    from grassroots.tickets.services.catalogue import catalogue

    group = Category.objects.add_root(instance=Category(code="90", name="旧名称"))
    assert catalogue.get().names[group.pk][1] == "旧名称"

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        group.name = "新名称"
        group.save()  # the catalogue forgets
        assert catalogue.get().names[group.pk][1] == "新名称"  # the transaction sees its change
        raise Undo
    assert catalogue.get().names[group.pk][1] == "旧名称"  # and nobody keeps it after the rollback
