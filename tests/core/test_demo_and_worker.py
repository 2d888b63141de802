"""The demo city (territory/demo/ and `manage.py demo_city`) and the background worker."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date
from itertools import combinations
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from shapely.geometry import shape

from grassroots.accounts.models import Role, User
from grassroots.core.audit import verify_chain
from grassroots.core.models import AuditEntry
from grassroots.core.personal import digests
from grassroots.core.tasks import nightly_audit_verification
from grassroots.core.validators import id_check_char, is_mobile, validate_id_number
from grassroots.party.models import (
    BRANCH_KINDS,
    HouseholdLink,
    MemberStatus,
    OrgKind,
    OrgSetting,
    PartyMember,
    PartyOrg,
)
from grassroots.party.rules_check import COMMITTEE_THRESHOLD
from grassroots.party.selectors import building_members_shown
from grassroots.party.services import member_counts, org_findings, party_org_create
from grassroots.territory.demo import (
    DEFAULT_SEED,
    DEMO_PASSWORD,
    SIZES,
    build_plan,
    load_plan,
    plan_problems,
)
from grassroots.territory.models import Area, AreaKind, Department, Resident, ResidentTag
from grassroots.territory.services import area_create

DAY = date(2026, 6, 1)


@pytest.fixture(scope="module")
def small_plan() -> Any:
    return build_plan("small", DEFAULT_SEED, today=DAY)


def test_it_draws_the_same_city_from_the_same_seed(small_plan: Any) -> None:
    assert build_plan("small", DEFAULT_SEED, today=DAY) == small_plan
    other = build_plan("small", DEFAULT_SEED + 1, today=DAY)
    assert [p.name for p in other.residents[:50]] != [p.name for p in small_plan.residents[:50]]
    # The territory and the accounts do not depend on the seed: the README's scopes hold.
    assert other.areas == small_plan.areas and other.accounts == small_plan.accounts
    with pytest.raises(ValueError, match="unknown size"):
        build_plan("huge")


def test_the_small_plan_has_the_expected_size_and_keeps_every_rule(small_plan: Any) -> None:
    plan = small_plan
    assert plan_problems(plan) == []
    kinds = Counter(a.kind for a in plan.areas)
    assert kinds == {
        AreaKind.DISTRICT: 1,
        AreaKind.STREET: 1,
        AreaKind.COMMUNITY: 3,
        AreaKind.VILLAGE: 1,
        AreaKind.GRID: 12,
        AreaKind.BUILDING: 60,
    }
    assert 1_800 <= len(plan.residents) <= 2_300
    assert 700 <= len(plan.households) <= 1_100
    assert 120 <= len(plan.members) <= 190
    probationary = sum(m.status == MemberStatus.PROBATIONARY for m in plan.members)
    assert 0 < probationary < 0.15 * len(plan.members)
    shares = Counter(t for p in plan.residents for t in p.tags)
    n = len(plan.residents)
    for tag, (low, high) in {
        "elderly_alone": (0.02, 0.045),
        "disabled": (0.01, 0.035),
        "low_income": (0.01, 0.035),
        "veteran": (0.01, 0.035),
        "left_behind_child": (0.004, 0.02),
    }.items():
        assert low <= shares[tag] / n <= high, tag


def test_every_person_has_a_valid_id_number_and_a_unique_mobile(small_plan: Any) -> None:
    ids = [p.id_number for p in small_plan.residents]
    assert len(set(ids)) == len(ids)
    for p in small_plan.residents:
        validate_id_number(p.id_number)
        assert id_check_char(p.id_number[:17]) == p.id_number[17]
        assert int(p.id_number[6:10]) == p.birth_year
        assert (int(p.id_number[16]) % 2 == 1) == (p.gender == "male")
    mobiles = [p.mobile for p in small_plan.residents if p.mobile]
    assert len(set(mobiles)) == len(mobiles) > 0.7 * len(small_plan.residents)
    assert all(is_mobile(m) for m in mobiles)
    units = [u.contact_mobile for u in small_plan.units]
    assert all(is_mobile(m) for m in units) and not set(units) & set(mobiles)


def test_the_party_tree_follows_the_branch_rules(small_plan: Any) -> None:
    plan = small_plan
    kinds = Counter(o.kind for o in plan.orgs)
    assert kinds[OrgKind.STREET_WORKING_COMMITTEE] == 1
    assert kinds[OrgKind.COMMUNITY_COMMITTEE] == 3 and kinds[OrgKind.VILLAGE_COMMITTEE] == 1
    assert kinds[OrgKind.JOINT_BRANCH] >= 1 and kinds[OrgKind.GROUP] >= 1
    grids = {a.code for a in plan.areas if a.kind == AreaKind.GRID}
    assert grids <= {o.area for o in plan.orgs if o.kind == OrgKind.BRANCH}
    assert any(o.setting == OrgSetting.MEMBER_UNIT and o.unit for o in plan.orgs)
    assert any(o.setting == OrgSetting.COOPERATIVE for o in plan.orgs)
    full = Counter(m.branch for m in plan.members if m.status == MemberStatus.FULL)
    committees = {c.org: c for c in plan.committees}
    for org in (o for o in plan.orgs if o.kind in BRANCH_KINDS):
        assert full[org.key] >= 3, org.name
        if full[org.key] >= COMMITTEE_THRESHOLD:
            assert 3 <= len(committees[org.key].committee) <= 5, org.name
        for i in committees[org.key].committee:
            assert plan.members[i].branch == org.key
    assert any(full[k] >= COMMITTEE_THRESHOLD for k in full)
    assert any(full[k] < COMMITTEE_THRESHOLD for k in full)
    for org in plan.orgs:
        if org.kind in (OrgKind.COMMUNITY_COMMITTEE, OrgKind.VILLAGE_COMMITTEE):
            assert org.term_end and org.term_start
            assert (org.term_end - org.term_start).days in (1825, 1826)
    per_member = Counter(m for m, _h in plan.links)
    assert max(per_member.values()) <= settings.HOUSEHOLD_LINK_LIMIT
    households = [h for _m, h in plan.links]
    assert len(set(households)) == len(households)  # one member per household
    shown = [m for m in plan.members if m.shows_identity]
    assert 0.2 * len(plan.members) < len(shown) < 0.7 * len(plan.members)
    assert all(m.commitment and m.roles for m in shown)


def test_the_map_tiles_every_community_and_grid_without_overlap(small_plan: Any) -> None:
    children: dict[str, list[Any]] = {}
    shapes = {a.code: shape(a.boundary) for a in small_plan.areas if a.boundary}
    for a in small_plan.areas:
        if a.kind in (AreaKind.COMMUNITY, AreaKind.VILLAGE, AreaKind.GRID):
            children.setdefault(a.parent, []).append(shapes[a.code])
    assert len(children) == 5  # the street and its four communities and villages
    for parent, parts in children.items():
        for one, two in combinations(parts, 2):
            assert one.intersection(two).area < 1e-12
        assert abs(sum(p.area for p in parts) - shapes[parent].area) < 1e-9
    minx, miny, maxx, maxy = shapes["110199"].bounds
    assert (minx, miny, maxx, maxy) == (116.3, 39.85, 116.5, 40.0)


def test_the_bigger_sizes_are_big_enough() -> None:
    medium = build_plan("medium", DEFAULT_SEED, today=DAY)
    assert plan_problems(medium) == []
    assert 15_000 <= len(medium.residents) <= 25_000
    assert any(a.login == "dispatcher2" for a in medium.accounts)
    large = SIZES["large"]
    # Drawing the large plan takes seconds: check its shape, not its people.
    assert large.streets * (large.communities + large.villages) >= 100
    flats = large.buildings * 2 * 6 * 2  # middle of the units and floors ranges
    assert large.streets * large.communities * large.grids * flats * large.occupancy > 120_000


def test_a_plan_that_breaks_a_rule_is_refused_whole(db: Any) -> None:
    plan = build_plan("tiny", DEFAULT_SEED)
    branch = next(o.key for o in plan.orgs if o.kind == OrgKind.BRANCH)
    for m in plan.members:
        if m.branch == branch:
            m.status = MemberStatus.PROBATIONARY
    plan.residents[0].id_number = plan.residents[0].id_number[:17] + "?"
    problems = plan_problems(plan)
    assert any("正式党员不足 3 人" in p for p in problems)
    assert any("resident 0" in p for p in problems)
    with pytest.raises(ValueError, match="breaks the rules"):
        load_plan(plan)
    assert not Area.objects.exists() and not User.objects.exists()


def test_the_demo_city_loads_once_with_its_whole_cast(db: Any) -> None:
    out = io.StringIO()
    call_command("demo_city", stdout=out)
    text = out.getvalue()
    assert "demo city loaded (small, seed 2026)" in text and "用时 time:" in text
    plan = build_plan("small", DEFAULT_SEED, today=timezone.localdate())
    assert f"居民 residents: {len(plan.residents):,}" in text
    assert Area.objects.filter(kind=AreaKind.GRID).count() == 12
    assert Department.objects.count() >= 2
    assert Resident.objects.count() == len(plan.residents)
    assert sorted(Resident.objects.values_list("name", flat=True)) == sorted(
        p.name for p in plan.residents
    )
    assert ResidentTag.objects.count() == sum(len(p.tags) for p in plan.residents)
    assert HouseholdLink.objects.count() == len(plan.links)
    # Bulk inserts still went through the fields: digests filled, values encrypted.
    assert not Resident.objects.filter(id_number_digest="").exists()
    with_mobile = sum(1 for p in plan.residents if p.mobile)
    assert Resident.objects.exclude(mobile_digest="").count() == with_mobile
    me = Resident.objects.get(id_number_digest__in=digests(plan.residents[0].id_number))
    assert me.name == plan.residents[0].name and me.area_path and me.street_id
    assert Area.objects.find_problems() == ([], [], [], [], []) == PartyOrg.objects.find_problems()
    for org in PartyOrg.objects.select_related("area"):
        errors = [f.message for f in org_findings(org) if f.is_error]
        assert errors == [], (org.name, errors)
        if org.kind in BRANCH_KINDS and member_counts(org)[0] >= COMMITTEE_THRESHOLD:
            assert 3 <= org.committee.count() <= 5 and org.secretary_id
    for member in PartyMember.objects.filter(group__isnull=False).select_related("group"):
        assert member.group.path.startswith(PartyOrg.objects.get(pk=member.branch_id).path)
    # Buildings and party groups were bulk-inserted: the services still add to those trees.
    grid = Area.objects.get(code="110199001001G01")
    building = area_create(
        actor=None, parent=grid, kind=AreaKind.BUILDING, code=grid.code + "B99", name="新楼"
    )
    assert Area.objects.get_parent(building) == grid
    assert Area.objects.get_prev_sibling(building).code.endswith("B05")
    branch = PartyOrg.objects.get(area=grid, kind=OrgKind.BRANCH)
    party_org_create(
        actor=None, parent=branch, kind=OrgKind.GROUP, name="新楼党小组", area=building
    )
    assert Area.objects.find_problems() == ([], [], [], [], []) == PartyOrg.objects.find_problems()
    # The cast: residents live in the demo, staff members sit in their branches.
    for login in ("13800138000", "13800138001"):
        resident = Resident.objects.select_related("household__building").get(
            user__mobile_digest__in=digests(login)
        )
        assert building_members_shown(resident.household.building).exists()
    secretary = PartyMember.objects.get(user__username="secretary")
    assert PartyOrg.objects.get(name="幸福社区党委").secretary == secretary
    assert PartyOrg.objects.get(name="和平街道党工委").secretary.user.username == "leader"
    assert (
        PartyOrg.objects.get(name="幸福社区第一网格党支部").secretary.user.username == "gridworker"
    )
    assert PartyMember.objects.filter(user__username="gridworker").exists()
    # One audit row for the bulk part, and the chain holds.
    assert AuditEntry.objects.filter(action="territory.demo_city_load").count() == 1
    assert not AuditEntry.objects.filter(action="territory.resident_create").exists()
    assert verify_chain()[1] is None

    logins = [a.login for a in plan.accounts]
    # Every role a person holds; 对接系统 accounts come with an Open311 key, not with the demo.
    assert {u.role for u in User.objects.all()} == set(Role) - {Role.INTEGRATION}
    for login in logins:
        assert login in text
        client = Client()
        response = client.post("/accounts/login/", {"username": login, "password": DEMO_PASSWORD})
        assert response.status_code == 302, login
        token = client.post(
            "/api/v1/auth/token",
            {"username": login, "password": DEMO_PASSWORD},
            content_type="application/json",
        )
        assert token.status_code == 201, login

    again = io.StringIO()
    call_command("demo_city", stdout=again)
    assert "already has data" in again.getvalue()
    assert all(login in again.getvalue() for login in logins)
    assert Resident.objects.count() == len(plan.residents)


def test_the_command_refuses_an_unknown_size_and_can_stay_quiet(db: Any) -> None:
    with pytest.raises(CommandError):
        call_command("demo_city", "--size", "huge", stdout=io.StringIO())
    out = io.StringIO()
    call_command("demo_city", "--size", "tiny", "--seed", "5", "--quiet-accounts", stdout=out)
    assert "demo city loaded (tiny, seed 5)" in out.getvalue()
    assert DEMO_PASSWORD not in out.getvalue()


def test_a_database_with_other_data_is_left_alone(db: Any) -> None:
    area_create(actor=None, parent=None, kind=AreaKind.DISTRICT, code="X", name="别的区")
    out = io.StringIO()
    call_command("demo_city", stdout=out)
    # Nothing loaded, and no demo passwords for accounts this database does not hold.
    assert "already has data" in out.getvalue() and "gridworker" not in out.getvalue()
    assert Area.objects.count() == 1 and not User.objects.exists()


def test_the_worker_runs_the_nightly_check(db: Any) -> None:
    assert HUEY.immediate  # tests run tasks inline; production uses SQLite or Redis queues
    result = nightly_audit_verification.call_local()
    assert result is None
    periodic = {t.__name__ for t in HUEY._registry._periodic_tasks}
    assert any("nightly_audit_verification" in name for name in periodic)
