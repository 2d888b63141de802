"""Writing the plan: all or nothing, into an empty database. Upper tree nodes, party
organisations above the groups, committees, member units and accounts go through their
services (each audited); buildings, party groups, households, residents, members and links,
which are many, are bulk-inserted in batches from the validated plan, with one summary audit
row for them all."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import islice
from typing import TypeVar

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.accounts.models import Role, User
from grassroots.accounts.services import user_create
from grassroots.alliance.models import MemberUnit
from grassroots.alliance.services import member_unit_create
from grassroots.core.audit import audit_log
from grassroots.party.models import HouseholdLink, OrgKind, PartyMember, PartyOrg
from grassroots.party.services import party_org_create, party_org_set_committee

from ..models import Area, AreaKind, Department, Household, Resident, ResidentMove, ResidentTag
from ..services import TREE_FIELDS, area_create, department_create
from .plan import AreaPlan, OrgPlan, Plan, plan_problems

DEMO_PASSWORD = "grassroots2026"  # noqa: S105  (demo data, printed on purpose)
BATCH = 2000
T = TypeVar("T")


def _batches(items: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def load_plan(plan: Plan) -> dict[str, int]:
    """Write a plan into an empty database, all or nothing; returns the row counts."""
    problems = plan_problems(plan)
    if problems:
        raise ValueError("the demo plan breaks the rules: " + "; ".join(problems[:5]))
    with transaction.atomic():
        areas = _write_areas(plan)
        depts = {
            d.code: department_create(actor=None, area=areas[d.area], code=d.code, name=d.name)
            for d in plan.departments
        }
        users = {
            a.login: user_create(
                actor=None,
                role=a.role,
                name=a.name,
                mobile=a.mobile,
                username="" if a.role == Role.RESIDENT else a.login,
                scope_areas=[areas[c] for c in a.areas],
                scope_departments=[depts[c] for c in a.departments],
            )
            for a in plan.accounts
        }
        # One hash for every account: the demo password is printed for all to see anyway,
        # and PBKDF2 is slow on purpose (hashing it per account took most of the load).
        for user in users.values():
            validate_password(DEMO_PASSWORD, user)
        User.objects.filter(pk__in=[u.pk for u in users.values()]).update(
            password=make_password(DEMO_PASSWORD)
        )
        units = {
            u.key: member_unit_create(
                actor=None,
                name=u.name,
                kind=u.kind,
                area=areas[u.area],
                address=u.address,
                contact_name=u.contact_name,
                contact_mobile=u.contact_mobile,
            )
            for u in plan.units
        }
        households = _write_households(plan, areas)
        residents = _write_residents(plan, households, users)
        orgs = _write_orgs(plan, areas, units)
        members = _write_members(plan, orgs, residents, users)
        for c in plan.committees:
            party_org_set_committee(
                actor=None,
                org=orgs[c.org],
                secretary=members[c.secretary],
                committee=[members[i] for i in c.committee],
            )
        for chunk in _batches(plan.links):
            HouseholdLink.objects.bulk_create(
                [HouseholdLink(member=members[m], household_id=households[h]) for m, h in chunk]
            )
        counts = {
            "areas": Area.objects.count(),
            "departments": Department.objects.count(),
            "accounts": User.objects.count(),
            "member_units": MemberUnit.objects.count(),
            "households": Household.objects.count(),
            "residents": Resident.objects.count(),
            "resident_tags": ResidentTag.objects.count(),
            "party_orgs": PartyOrg.objects.count(),
            "members": PartyMember.objects.count(),
            "links": HouseholdLink.objects.count(),
        }
        # One row for the whole load: the many bulk rows are the demo, not anyone's act.
        audit_log(
            action="territory.demo_city_load",
            data={"size": plan.size, "seed": plan.seed, **counts},
        )
    return counts


def _write_areas(plan: Plan) -> dict[str, Area]:
    leaves: dict[str, list[AreaPlan]] = {}
    areas: dict[str, Area] = {}
    for a in plan.areas:
        if a.kind == AreaKind.BUILDING and a.parent:
            leaves.setdefault(a.parent, []).append(a)
            continue
        areas[a.code] = area_create(
            actor=None,
            parent=areas[a.parent] if a.parent else None,
            kind=a.kind,
            code=a.code,
            name=a.name,
            boundary=a.boundary,
        )
    areas = {a.code: a for a in Area.objects.all()}  # sorted insertion may move siblings
    # Buildings are most of the tree: they go in bulk, after the validation area_create runs
    # (codes are unique by plan_problems), with the paths treebeard gives children added in
    # `node_order_by` order. Audit rows per node would cost more than the rest of the load on
    # PostgreSQL: every row updates the chain head, whose dead versions pile up until commit.
    buildings = []
    for code, children in leaves.items():
        grid = areas[code]
        if grid.numchild:
            raise ValueError(f"{grid.code} already has children")
        for step, a in enumerate(sorted(children, key=lambda a: a.code), start=1):
            node = Area(
                kind=a.kind,
                code=a.code,
                name=a.name,
                boundary=a.boundary,
                path=Area._get_path(grid.path, grid.depth + 1, step),
                depth=grid.depth + 1,
            )
            node._parent = grid  # type: ignore[attr-defined]  # read by Area.clean
            node.full_clean(exclude=TREE_FIELDS, validate_unique=False)
            buildings.append(node)
        grid.numchild = len(children)
    for chunk in _batches(buildings):
        Area.objects.bulk_create(chunk)
    Area.objects.bulk_update([areas[code] for code in leaves], ["numchild"], batch_size=BATCH)
    return {a.code: a for a in Area.objects.all()}


def _write_households(plan: Plan, areas: dict[str, Area]) -> list[int]:
    street = {code: areas[code[:9]] for code in {h.building for h in plan.households}}
    ids: list[int] = []
    for chunk in _batches(plan.households):
        rows = Household.objects.bulk_create(
            [
                Household(
                    building=areas[h.building],
                    unit=h.unit,
                    room=h.room,
                    area_path=areas[h.building].path,
                    street=street[h.building],
                )
                for h in chunk
            ]
        )
        ids += [row.pk for row in rows]
    return ids


def _write_residents(plan: Plan, households: list[int], users: dict[str, User]) -> list[int]:
    path_street = dict(Household.objects.values_list("pk", "area_path").iterator())
    street_of = dict(Household.objects.values_list("pk", "street_id").iterator())
    now = timezone.now()
    reason = _("登记入住")
    ids: list[int] = []
    for chunk in _batches(plan.residents):
        rows = Resident.objects.bulk_create(
            [
                Resident(
                    name=p.name,
                    mobile=p.mobile,
                    id_number=p.id_number,
                    gender=p.gender,
                    birth_year=p.birth_year,
                    household_id=households[p.household],
                    area_path=path_street[households[p.household]],
                    street_id=street_of[households[p.household]],
                    user=users[p.account] if p.account else None,
                )
                for p in chunk
            ]
        )
        ResidentTag.objects.bulk_create(
            [
                ResidentTag(resident=row, kind=t)
                for row, p in zip(rows, chunk, strict=True)
                for t in p.tags
            ]
        )
        ResidentMove.objects.bulk_create(
            [
                ResidentMove(
                    resident=row, to_household_id=row.household_id, moved_at=now, reason=reason
                )
                for row in rows
            ]
        )
        ids += [row.pk for row in rows]
    return ids


def _write_orgs(
    plan: Plan, areas: dict[str, Area], units: dict[str, MemberUnit]
) -> dict[str, PartyOrg]:
    groups: dict[str, list[OrgPlan]] = {}
    orgs: dict[str, PartyOrg] = {}
    for o in plan.orgs:
        if o.kind == OrgKind.GROUP and o.parent:
            groups.setdefault(o.parent, []).append(o)
            continue
        orgs[o.key] = party_org_create(
            actor=None,
            parent=orgs[o.parent] if o.parent else None,
            kind=o.kind,
            name=o.name,
            setting=o.setting,
            area=areas[o.area] if o.area else None,
            member_unit=units[o.unit] if o.unit else None,
            covered_units=o.covered_units,
            term_start=o.term_start,
            term_end=o.term_end,
        )
    # Sorted insertion (by kind and name) moves siblings created earlier: read paths back.
    fresh = PartyOrg.objects.in_bulk([o.pk for o in orgs.values()])
    orgs = {key: fresh[o.pk] for key, o in orgs.items()}
    # Party groups, the leaves, go in bulk like the buildings they lead (plan_problems has
    # checked what party_org_create checks for them).
    rows = []
    for key, children in groups.items():
        branch = orgs[key]
        if branch.numchild:
            raise ValueError(f"{branch.name} already has children")
        for step, o in enumerate(sorted(children, key=lambda o: (o.kind, o.name)), start=1):
            area = areas[o.area or ""]
            rows.append(
                PartyOrg(
                    kind=o.kind,
                    name=o.name,
                    area=area,
                    area_path=area.path,
                    street=areas[area.code[:9]],
                    path=PartyOrg._get_path(branch.path, branch.depth + 1, step),
                    depth=branch.depth + 1,
                )
            )
            orgs[o.key] = rows[-1]
        branch.numchild = len(children)
    for chunk in _batches(rows):
        PartyOrg.objects.bulk_create(chunk)
    PartyOrg.objects.bulk_update([orgs[k] for k in groups], ["numchild"], batch_size=BATCH)
    return orgs


def _write_members(
    plan: Plan, orgs: dict[str, PartyOrg], residents: list[int], users: dict[str, User]
) -> list[PartyMember]:
    now = timezone.now()
    out: list[PartyMember] = []
    for chunk in _batches(plan.members):
        out += PartyMember.objects.bulk_create(
            [
                PartyMember(
                    name=m.name,
                    status=m.status,
                    joined_on=m.joined_on,
                    branch=orgs[m.branch],
                    group=orgs[m.group] if m.group else None,
                    resident_id=residents[m.resident] if m.resident is not None else None,
                    user=users[m.account] if m.account else None,
                    commitment=m.commitment,
                    community_registered=m.community_registered,
                    serves_as_policy_relay="policy_relay" in m.roles,
                    serves_as_mediator="mediator" in m.roles,
                    serves_as_helper="helper" in m.roles,
                    shows_identity=m.shows_identity,
                    shows_identity_since=now if m.shows_identity else None,
                    street_id=orgs[m.branch].street_id,
                )
                for m in chunk
            ]
        )
    return out
