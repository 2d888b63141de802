from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import flushable_audit_log


@pytest.fixture(scope="package", autouse=True)
def _audit_log_survives_flush() -> Iterator[None]:
    with flushable_audit_log():
        yield
