"""The plan: the whole demo city as plain data, the sizes it comes in, and `plan_problems`,
which checks a plan against the rules the services enforce before anything is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from grassroots.accounts.models import Role
from grassroots.core.validators import is_mobile, validate_id_number
from grassroots.party.models import LED_AREA_KINDS, ORG_PARENT_KINDS, MemberStatus, OrgSetting
from grassroots.party.rules_check import membership_findings, structure_findings, term_findings

from ..models import ResidentTagKind

DEFAULT_SEED = 2026


@dataclass(frozen=True)
class Profile:
    """How big the city is; every count is per parent node."""

    streets: int
    communities: int  # per street
    villages: int  # per street
    grids: int  # per community or village
    buildings: int  # per grid
    units: tuple[int, int]  # stairwells per apartment building
    floors: tuple[int, int]
    rooms_per_floor: int
    houses: tuple[int, int]  # households in a village row (a "building" of the village)
    occupancy: float  # share of households someone lives in


SIZES: dict[str, Profile] = {
    # For the test suite: every kind of node and organisation, a few hundred residents.
    "tiny": Profile(1, 2, 1, 2, 2, (1, 2), (4, 6), 2, (10, 20), 0.8),
    # `make run`: one street, about 2,000 residents.
    "small": Profile(1, 3, 1, 3, 5, (1, 2), (4, 6), 2, (10, 20), 0.8),
    "medium": Profile(3, 9, 1, 4, 5, (1, 2), (4, 6), 2, (10, 20), 0.8),
    # Benchmarks: 112 communities and villages, 784 grids of ~190 households (DOMAIN.md §4
    # quotes 160–255 per grid), about 350,000 residents.
    "large": Profile(8, 13, 1, 7, 8, (1, 3), (5, 7), 2, (20, 30), 0.9),
}


@dataclass(slots=True)
class AreaPlan:
    code: str
    name: str
    kind: str
    parent: str | None
    boundary: dict[str, Any] | None = None


@dataclass(slots=True)
class DepartmentPlan:
    code: str
    name: str
    area: str


@dataclass(slots=True)
class AccountPlan:
    role: str
    login: str
    name: str
    mobile: str
    areas: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    home: str = ""  # residents: the building they live in


@dataclass(slots=True)
class UnitPlan:
    key: str
    name: str
    kind: str
    area: str
    address: str
    contact_name: str
    contact_mobile: str


@dataclass(slots=True)
class HouseholdPlan:
    building: str
    unit: str
    room: str


@dataclass(slots=True)
class ResidentPlan:
    household: int
    name: str
    gender: str
    birth_year: int
    id_number: str
    mobile: str
    tags: tuple[str, ...] = ()
    account: str = ""  # login of the resident account that is this person


@dataclass(slots=True)
class OrgPlan:
    key: str
    parent: str | None
    kind: str
    name: str
    setting: str = OrgSetting.TERRITORIAL
    area: str | None = None
    unit: str | None = None
    covered_units: int = 1
    term_start: date | None = None
    term_end: date | None = None


@dataclass(slots=True)
class MemberPlan:
    name: str
    status: str
    joined_on: date
    branch: str
    resident: int | None = None  # index into Plan.residents
    account: str = ""  # or the login of a staff account
    group: str | None = None
    commitment: str = ""
    roles: tuple[str, ...] = ()
    shows_identity: bool = False
    community_registered: bool = False


@dataclass(slots=True)
class CommitteePlan:
    org: str
    secretary: int  # index into Plan.members
    committee: tuple[int, ...]


@dataclass
class Plan:
    size: str
    seed: int
    today: date
    areas: list[AreaPlan] = field(default_factory=list)
    departments: list[DepartmentPlan] = field(default_factory=list)
    accounts: list[AccountPlan] = field(default_factory=list)
    units: list[UnitPlan] = field(default_factory=list)
    households: list[HouseholdPlan] = field(default_factory=list)
    residents: list[ResidentPlan] = field(default_factory=list)
    orgs: list[OrgPlan] = field(default_factory=list)
    members: list[MemberPlan] = field(default_factory=list)
    committees: list[CommitteePlan] = field(default_factory=list)
    links: list[tuple[int, int]] = field(default_factory=list)  # (member, household) indices


# ---------------------------------------------------------------------------------------------
# The rules, checked on the plan before anything is written


def plan_problems(plan: Plan) -> list[str]:
    """What a service would refuse in this plan (empty when every row is valid)."""
    problems: list[str] = []
    seen_ids: set[str] = set()
    seen_mobiles: set[str] = {a.mobile for a in plan.accounts if a.role != Role.RESIDENT}
    for i, p in enumerate(plan.residents):
        try:
            validate_id_number(p.id_number)
        except ValidationError:
            problems.append(f"resident {i}: ID number {p.id_number} is invalid")
        if p.id_number in seen_ids:
            problems.append(f"resident {i}: ID number repeated")
        seen_ids.add(p.id_number)
        if int(p.id_number[6:10]) != p.birth_year:
            problems.append(f"resident {i}: birth year does not match the ID number")
        if (int(p.id_number[16]) % 2 == 1) != (p.gender == "male"):
            problems.append(f"resident {i}: gender does not match the ID number")
        if p.mobile and (not is_mobile(p.mobile) or p.mobile in seen_mobiles):
            problems.append(f"resident {i}: mobile {p.mobile} is invalid or repeated")
        seen_mobiles.add(p.mobile)
        if not p.name.strip() or any(t not in ResidentTagKind.values for t in p.tags):
            problems.append(f"resident {i}: no name or an unknown tag")
    rooms = {(h.building, h.unit, h.room) for h in plan.households}
    if len(rooms) != len(plan.households):
        problems.append("two households share a building, unit and room")
    full: dict[str, int] = {}
    total: dict[str, int] = {}
    for m in plan.members:
        total[m.branch] = total.get(m.branch, 0) + 1
        full[m.branch] = full.get(m.branch, 0) + (m.status == MemberStatus.FULL)
        if m.joined_on > plan.today:
            problems.append(f"member {m.name}: joined after today")
    committee = {c.org: len(set(c.committee)) for c in plan.committees}
    area_kind = {a.code: a.kind for a in plan.areas}
    if len(area_kind) != len(plan.areas):
        problems.append("two areas share a code")
    by_key = {o.key: o for o in plan.orgs}
    for org in plan.orgs:
        # What party_org_create checks, for the groups that are written in bulk.
        parent = by_key[org.parent] if org.parent else None
        if (parent.kind if parent else None) not in ORG_PARENT_KINDS[org.kind]:
            problems.append(f"{org.name}: cannot sit under {parent.name if parent else 'the top'}")
        if org.area and area_kind[org.area] not in LED_AREA_KINDS[org.kind]:
            problems.append(f"{org.name}: cannot lead {org.area}")
        if org.area and parent and parent.area and not org.area.startswith(parent.area):
            problems.append(f"{org.name}: leads an area outside its parent's")
        findings = (
            structure_findings(kind=org.kind, covered_units=org.covered_units)
            + term_findings(
                kind=org.kind,
                area_kind=area_kind.get(org.area or ""),
                term_start=org.term_start,
                term_end=org.term_end,
                today=plan.today,
            )
            + membership_findings(
                kind=org.kind,
                full=full.get(org.key, 0),
                total=total.get(org.key, 0),
                committee=committee.get(org.key, 0),
            )
        )
        problems += [f"{org.name}: {f.message}" for f in findings if f.is_error]
    per_member: dict[int, int] = {}
    for member, _household in plan.links:
        per_member[member] = per_member.get(member, 0) + 1
    if per_member and max(per_member.values()) > settings.HOUSEHOLD_LINK_LIMIT:
        problems.append("a member links more households than HOUSEHOLD_LINK_LIMIT")
    if len(set(plan.links)) != len(plan.links):
        problems.append("a household link is repeated")
    return problems
