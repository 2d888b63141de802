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

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from grassroots.accounts.models import Role, User
from grassroots.accounts.services import token_issue, user_create
from grassroots.accounts.sms import OutboxSmsBackend
from grassroots.party.models import PartyMember, PartyOrg
from grassroots.territory.models import Area, AreaKind, Department, Household, Resident
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


def id_number(seed: int, born: str = "19500101") -> str:
    """A valid 18-digit ID number (GB 11643 check character) for test data."""
    from grassroots.core.validators import id_check_char

    first17 = f"110101{born}{seed % 1000:03d}"
    return first17 + id_check_char(first17)


@dataclass
class People:
    building_b1: Area
    building_w1: Area
    hh_a1_101: Household
    hh_a1_102: Household
    hh_b1_201: Household
    hh_w1_301: Household
    wang: Resident  # a1_101, elderly living alone + veteran, a full member showing identity
    li: Resident  # a1_102, full member, not showing identity
    zhao: Resident  # b1_201, probationary member of branch A
    west: Resident  # w1_301, in the other street
    me: Resident  # a1_101, the resident account of the cast
    swc: PartyOrg  # 东街道党工委
    cc1: PartyOrg  # 东一社区党委
    branch_a: PartyOrg  # grid A branch: 3 full members + 1 probationary
    group_a1: PartyOrg  # building A1 group
    branch_b: PartyOrg  # grid B branch, no members yet
    swc2: PartyOrg  # 西街道党工委
    branch_w: PartyOrg
    m_wang: PartyMember
    m_li: PartyMember
    m_staff: PartyMember  # the grid worker of grid A, a staff member
    m_new: PartyMember  # probationary
    m_west: PartyMember


@pytest.fixture
def people(city: City, cast: Cast) -> People:
    from datetime import date

    from grassroots.party.models import MemberStatus, OrgKind
    from grassroots.party.services import member_create, party_org_create
    from grassroots.territory.services import household_create, resident_create

    building_b1 = area_create(
        actor=None, parent=city.grid_b, kind=AreaKind.BUILDING, code="S1C1GBB1", name="东一2号楼"
    )
    building_w1 = area_create(
        actor=None, parent=city.grid_w, kind=AreaKind.BUILDING, code="S2C1GAB1", name="西一1号楼"
    )
    hh = {
        key: household_create(actor=None, building=building, unit=unit, room=room)
        for key, building, unit, room in [
            ("a1_101", city.building_a1, "1", "101"),
            ("a1_102", city.building_a1, "1", "102"),
            ("b1_201", building_b1, "2", "201"),
            ("w1_301", building_w1, "", "301"),
        ]
    }

    def resident(household: Household, name: str, seed: int, **kw: Any) -> Resident:
        return resident_create(
            actor=None, household=household, name=name, id_number=id_number(seed), **kw
        )

    wang = resident(
        hh["a1_101"],
        "王建国",
        1,
        mobile="13700000001",
        gender="male",
        tags=["elderly_alone", "veteran"],
    )
    li = resident(hh["a1_102"], "李秀英", 2, mobile="13700000002", gender="female")
    zhao = resident(hh["b1_201"], "赵明", 3, mobile="13700000003")
    west = resident(hh["w1_301"], "钱西", 4, mobile="13700000004", tags=["low_income"])
    me = resident(hh["a1_101"], "张阿姨", 5, mobile="13800138000", user=cast.resident)

    def org(parent: PartyOrg | None, kind: str, name: str, area: Area) -> PartyOrg:
        return party_org_create(actor=None, parent=parent, kind=kind, name=name, area=area)

    swc = org(None, OrgKind.STREET_WORKING_COMMITTEE, "东街道党工委", city.s1)
    cc1 = org(swc, OrgKind.COMMUNITY_COMMITTEE, "东一社区党委", city.c1)
    branch_a = org(cc1, OrgKind.BRANCH, "东一社区A网格党支部", city.grid_a)
    group_a1 = org(branch_a, OrgKind.GROUP, "东一1号楼党小组", city.building_a1)
    branch_b = org(cc1, OrgKind.BRANCH, "东一社区B网格党支部", city.grid_b)
    swc2 = org(None, OrgKind.STREET_WORKING_COMMITTEE, "西街道党工委", city.s2)
    cc_w = org(swc2, OrgKind.COMMUNITY_COMMITTEE, "西一社区党委", city.w1)
    branch_w = org(cc_w, OrgKind.BRANCH, "西一社区网格党支部", city.grid_w)

    def member(name: str, branch: PartyOrg, status: str = "full", **kw: Any) -> PartyMember:
        return member_create(
            actor=None, name=name, status=status, joined_on=date(2000, 7, 1), branch=branch, **kw
        )

    return People(
        building_b1=building_b1,
        building_w1=building_w1,
        hh_a1_101=hh["a1_101"],
        hh_a1_102=hh["a1_102"],
        hh_b1_201=hh["b1_201"],
        hh_w1_301=hh["w1_301"],
        wang=wang,
        li=li,
        zhao=zhao,
        west=west,
        me=me,
        swc=swc,
        cc1=cc1,
        branch_a=branch_a,
        group_a1=group_a1,
        branch_b=branch_b,
        swc2=swc2,
        branch_w=branch_w,
        m_wang=member(
            "王建国",
            branch_a,
            resident=wang,
            group=group_a1,
            shows_identity=True,
            commitment="有事找我，随叫随到",
            roles=["helper", "mediator"],
        ),
        m_li=member("李秀英", branch_a, resident=li, group=group_a1),
        m_staff=member("grid_a", branch_a, user=cast.grid_worker_a),
        m_new=member("赵明", branch_a, status=MemberStatus.PROBATIONARY, resident=zhao),
        m_west=member("钱西", branch_w, resident=west),
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
def _default_language() -> Any:
    """Every test starts in the default language: a request in English leaves English active
    in the test's thread (LocaleMiddleware activates and never resets), which would make the
    next test's messages depend on the order the tests ran in."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    """Counters kept in the cache (SMS limits) start at zero in every test."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    """After the fixtures, before the test: the memos (catalogue, streets) start empty and
    take the fixtures' rows as committed, as a running process finds its data. (The test's
    transaction never commits, so a memo would otherwise hold nothing after a fixture's
    change, and a value read by an earlier, rolled-back test would not survive either.)"""
    from grassroots.core.memo import drop_all_here

    drop_all_here()


@pytest.fixture(autouse=True)
def _sms_outbox() -> Any:
    OutboxSmsBackend.outbox.clear()
    yield OutboxSmsBackend.outbox
    OutboxSmsBackend.outbox.clear()


@pytest.fixture
def sms_outbox() -> list[tuple[str, str]]:
    return OutboxSmsBackend.outbox


@contextmanager
def flushable_audit_log() -> Iterator[None]:
    """Let transactional tests (a live server, real concurrency) empty the database.

    A live server sees only committed data, so these tests run as TransactionTestCase, which
    empties every table when a test ends ("flush"). The audit log refuses DELETE and TRUNCATE
    by trigger (core migration 0002), so the flush would fail. Around each flush the triggers
    are dropped and put back, and the chain head row the migration created is restored, all
    in one transaction: if anything fails the database is left as it was, triggers included.

    Used by package-scoped fixtures (tests/browser, tests/tickets/concurrency), so the patch
    is in place before a test's database fixture is set up and still there when its teardown
    flushes.
    """
    from django.core.management.commands import flush
    from django.db import connections, transaction

    from grassroots.core.models import AuditChainHead

    append_only = importlib.import_module("grassroots.core.migrations.0002_append_only")
    create = {"sqlite": append_only.SQLITE, "postgresql": append_only.POSTGRES}
    drop = {"sqlite": append_only.SQLITE_DROP, "postgresql": append_only.POSTGRES_DROP}
    original = flush.Command.handle

    def handle(self: Any, **options: Any) -> Any:
        database = options.get("database", "default")
        vendor = connections[database].vendor
        with transaction.atomic(using=database):
            with connections[database].cursor() as cursor:
                for sql in drop.get(vendor, []):
                    cursor.execute(sql)
            result = original(self, **options)
            with connections[database].cursor() as cursor:
                for sql in create.get(vendor, []):
                    cursor.execute(sql)
            AuditChainHead.objects.using(database).get_or_create(id=1)
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(flush.Command, "handle", handle)
        yield
