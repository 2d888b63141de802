"""The standard cast (STYLE.md §11) on a small two-street city.

示范区 (district)
├── 东街道 (street S1)            ── dept_district: 区城管委 (district), dept_s1: 东街道执法队
│   ├── 东一社区 (community C1)
│   │   ├── grid A ── building A1
│   │   └── grid B
│   └── 东二社区 (community C2) ── grid C2
└── 西街道 (street S2)            ── dept_s2: 西街道执法队
    └── 西一社区 (community W1) ── grid W
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from grassroots.accounts.models import Role, User
from grassroots.accounts.services import token_issue, user_create
from grassroots.accounts.sms import OutboxSmsBackend
from grassroots.territory.models import Area, AreaKind, Department
from grassroots.territory.services import area_create, department_create

PASSWORD = "test2026pass"


def pytest_configure(config: pytest.Config) -> None:
    """The English catalog is compiled from its .po (as `make` does), so plain `pytest` works."""
    from scripts.compile_messages import compile_all

    compile_all()


@dataclass
class City:
    district: Area
    s1: Area
    s2: Area
    c1: Area
    c2: Area
    w1: Area
    grid_a: Area
    grid_b: Area
    grid_c2: Area
    grid_w: Area
    building_a1: Area
    dept_district: Department
    dept_s1: Department
    dept_s2: Department


def polygon(x: float, y: float, size: float = 0.01) -> dict[str, Any]:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def city(db: Any) -> City:
    def add(parent: Area | None, kind: str, code: str, name: str, **kw: Any) -> Area:
        return area_create(actor=None, parent=parent, kind=kind, code=code, name=name, **kw)

    district = add(None, AreaKind.DISTRICT, "D", "示范区")
    s1 = add(district, AreaKind.STREET, "S1", "东街道")
    s2 = add(district, AreaKind.STREET, "S2", "西街道")
    c1 = add(s1, AreaKind.COMMUNITY, "S1C1", "东一社区", boundary=polygon(116.30, 39.90, 0.02))
    c2 = add(s1, AreaKind.COMMUNITY, "S1C2", "东二社区")
    w1 = add(s2, AreaKind.COMMUNITY, "S2C1", "西一社区")
    grid_a = add(c1, AreaKind.GRID, "S1C1GA", "东一社区A网格", boundary=polygon(116.30, 39.90))
    grid_b = add(c1, AreaKind.GRID, "S1C1GB", "东一社区B网格")
    grid_c2 = add(c2, AreaKind.GRID, "S1C2GA", "东二社区网格")
    grid_w = add(w1, AreaKind.GRID, "S2C1GA", "西一社区网格")
    building_a1 = add(grid_a, AreaKind.BUILDING, "S1C1GAB1", "东一1号楼")
    return City(
        district=district,
        s1=s1,
        s2=s2,
        c1=c1,
        c2=c2,
        w1=w1,
        grid_a=grid_a,
        grid_b=grid_b,
        grid_c2=grid_c2,
        grid_w=grid_w,
        building_a1=building_a1,
        dept_district=department_create(actor=None, area=district, code="DCGW", name="区城管委"),
        dept_s1=department_create(actor=None, area=s1, code="S1ZF", name="东街道执法队"),
        dept_s2=department_create(actor=None, area=s2, code="S2ZF", name="西街道执法队"),
    )


def make_user(
    role: str,
    username: str,
    *,
    areas: list[Area] | None = None,
    departments: list[Department] | None = None,
    mobile: str = "",
    email: str = "",
) -> User:
    return user_create(
        actor=None,
        role=role,
        username=username,
        name=username,
        password=PASSWORD,
        mobile=mobile,
        email=email,
        scope_areas=areas or [],
        scope_departments=departments or [],
    )


@dataclass
class Cast:
    resident: User
    grid_worker_a: User
    grid_worker_b: User
    building_head: User
    community_staff: User
    community_secretary: User
    street_dispatcher: User
    street_leader: User
    department_officer: User
    member_unit_contact: User
    outsider: User
    system_admin: User
    security_admin: User
    audit_admin: User


@pytest.fixture
def cast(city: City) -> Cast:
    return Cast(
        resident=make_user(Role.RESIDENT, "", mobile="13800138000"),
        grid_worker_a=make_user(
            Role.GRID_WORKER, "grid_a", areas=[city.grid_a], mobile="13900000001"
        ),
        grid_worker_b=make_user(Role.GRID_WORKER, "grid_b", areas=[city.grid_b]),
        building_head=make_user(Role.BUILDING_HEAD, "building_head", areas=[city.building_a1]),
        community_staff=make_user(Role.COMMUNITY_STAFF, "c1_staff", areas=[city.c1]),
        community_secretary=make_user(Role.COMMUNITY_SECRETARY, "c1_secretary", areas=[city.c1]),
        street_dispatcher=make_user(Role.STREET_DISPATCHER, "s1_dispatcher", areas=[city.s1]),
        street_leader=make_user(Role.STREET_LEADER, "s1_leader", areas=[city.s1]),
        department_officer=make_user(
            Role.DEPARTMENT_OFFICER, "officer", departments=[city.dept_district]
        ),
        member_unit_contact=make_user(Role.MEMBER_UNIT_CONTACT, "unit_contact", areas=[city.c2]),
        outsider=make_user(Role.STREET_DISPATCHER, "s2_dispatcher", areas=[city.s2]),
        system_admin=make_user(Role.SYSTEM_ADMIN, "sysadmin", areas=[city.district]),
        security_admin=make_user(Role.SECURITY_ADMIN, "secadmin", email="sec@example.org"),
        audit_admin=make_user(Role.AUDIT_ADMIN, "auditor"),
    )


def login_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def login() -> Any:
    return login_client


@pytest.fixture
def bearer() -> Any:
    """Headers carrying a fresh API token of `user`."""

    def make(user: User) -> dict[str, str]:
        _token, raw = token_issue(user=user, name="test")
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return make


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    """Counters kept in the cache (SMS limits) start at zero in every test."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _sms_outbox() -> Any:
    OutboxSmsBackend.outbox.clear()
    yield OutboxSmsBackend.outbox
    OutboxSmsBackend.outbox.clear()


@pytest.fixture
def sms_outbox() -> list[tuple[str, str]]:
    return OutboxSmsBackend.outbox
