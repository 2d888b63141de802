"""Whistle fixtures on the standard city: the ticket fixtures, a second department officer
(东街道执法队), a department head (区城管委), and `blow` to raise a whistle through the service."""

from __future__ import annotations

from typing import Any

import pytest

from grassroots.accounts.models import Role
from tests.conftest import make_user
from tests.tickets.conftest import (  # noqa: F401  (fixtures used by the whistle tests)
    CONSULT,
    DEPARTMENT_LEAF,
    ORDINARY,
    advance,
    catalogue,
    png_bytes,
    submit,
)


@pytest.fixture
def officer_s1(city: Any) -> Any:
    """An officer of 东街道执法队 (the street's own department)."""
    return make_user(
        Role.DEPARTMENT_OFFICER, "s1_officer", departments=[city.dept_s1], mobile="13900000021"
    )


@pytest.fixture
def department_head(city: Any) -> Any:
    """The head of 区城管委, told when its officers miss a deadline."""
    return make_user(
        Role.DEPARTMENT_HEAD, "dcgw_head", departments=[city.dept_district], mobile="13900000022"
    )


@pytest.fixture
def blow(cast: Any, city: Any) -> Any:
    """Blows a whistle through the service: by the street leader, an emergency summoning the
    district's 城管委 and the street's 执法队, unless told otherwise."""
    from grassroots.whistles.services import whistle_blow

    def make(actor: Any = None, **kw: Any) -> Any:
        kw.setdefault("kind", "emergency")
        kw.setdefault("reason", "emergency")
        kw.setdefault("description", "东一1号楼下水管爆裂，路面积水。")
        kw.setdefault("address", "东一1号楼下")
        kw.setdefault("departments", [city.dept_district.pk, city.dept_s1.pk])
        return whistle_blow(actor=actor or cast.street_leader, **kw)

    return make
