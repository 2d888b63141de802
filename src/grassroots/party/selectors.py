"""Reads of the party tree, members and household links; each starts from visible_to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from grassroots.core.scoping import roll_up, under, with_ancestors
from grassroots.core.text import matches
from grassroots.territory.models import Area, AreaKind, Household

from .models import HouseholdLink, MemberStatus, PartyMember, PartyOrg


def _count(qs: QuerySet[Any]) -> Any:
    return Coalesce(Subquery(qs.values("n")[:1]), Value(0))


def orgs_for(user: Any) -> QuerySet[PartyOrg]:
    """Visible organisations in tree order, each with its own members counted (full, all) —
    subqueries, not one query per row."""
    per_branch = PartyMember.objects.filter(branch=OuterRef("pk")).values("branch")
    return (
        PartyOrg.objects.visible_to(user)
        .select_related("area", "secretary")
        .annotate(
            members_total=_count(per_branch.annotate(n=Count("id"))),
            members_full=_count(
                per_branch.filter(status=MemberStatus.FULL).annotate(n=Count("id"))
            ),
        )
        .order_by("path")
    )


@dataclass
class OrgNode:
    org: PartyOrg
    depth: int
    members: int  # in this organisation and everything under it
    full_members: int


def org_tree(user: Any, *, query: str = "", root: PartyOrg | None = None) -> list[OrgNode]:
    """The visible party tree with members rolled up per node, in one query; a query keeps
    the nodes whose name matches (also by pinyin initials) and the nodes above them."""
    qs = orgs_for(user)
    if root is not None:
        qs = qs.filter(under("path", root.path))
    orgs = list(qs)
    if not orgs:
        return []
    total = roll_up((o.path, o.members_total) for o in orgs)
    full = roll_up((o.path, o.members_full) for o in orgs)
    top = min(o.depth for o in orgs)
    nodes = [
        OrgNode(org=o, depth=o.depth - top, members=total[o.path], full_members=full[o.path])
        for o in orgs
    ]
    if query:
        keep = with_ancestors(n.org.path for n in nodes if matches(n.org.name, query))
        nodes = [n for n in nodes if n.org.path in keep]
    return nodes


def members_for(
    user: Any, *, branch: PartyOrg | None = None, area: Area | None = None
) -> QuerySet[PartyMember]:
    qs = PartyMember.objects.visible_to(user).select_related(
        "branch", "group", "resident__household__building"
    )
    if branch is not None:
        qs = qs.filter(under("branch__path", branch.path))
    if area is not None:
        qs = qs.filter(under("branch__area_path", area.path))
    return qs.order_by("branch__path", "name", "id")


@dataclass
class BuildingCoverage:
    building: Area
    households: int
    linked: int

    @property
    def unlinked(self) -> int:
        return self.households - self.linked

    @property
    def share(self) -> float:
        return self.linked / self.households if self.households else 0.0


@dataclass
class Coverage:
    buildings: list[BuildingCoverage] = field(default_factory=list)

    @property
    def households(self) -> int:
        return sum(b.households for b in self.buildings)

    @property
    def linked(self) -> int:
        return sum(b.linked for b in self.buildings)

    @property
    def share(self) -> float:
        return self.linked / self.households if self.households else 0.0


def coverage(user: Any, area: Area) -> Coverage:
    """党员联系户 coverage under an area (a grid, usually): per building, households with and
    without a linked member. Two queries."""
    buildings = list(
        Area.objects.visible_to(user)
        .filter(under("path", area.path), kind=AreaKind.BUILDING)
        .order_by("path")
    )
    counts: dict[int, tuple[int, int]] = {
        row["building"]: (row["n"], row["linked"])
        for row in Household.objects.filter(building__in=buildings)
        .values("building")
        .annotate(
            n=Count("id", distinct=True),
            linked=Count("id", filter=Q(member_links__isnull=False), distinct=True),
        )
    }
    return Coverage([BuildingCoverage(b, *counts.get(b.pk, (0, 0))) for b in buildings])


def building_members_shown(building: Area) -> QuerySet[PartyMember]:
    """The members living in a building who consented to show themselves (亮身份)."""
    return (
        PartyMember.objects.filter(shows_identity=True, resident__household__building=building)
        .select_related("resident")
        .order_by("name")
    )


def links_for(user: Any, *, member: PartyMember | None = None) -> QuerySet[HouseholdLink]:
    qs = HouseholdLink.objects.visible_to(user).select_related("member", "household__building")
    if member is not None:
        qs = qs.filter(member=member)
    return qs.order_by("household__area_path", "household__room")


# --- pages: the grid page and the area map ------------------------------------------------------


@dataclass
class ResidentRow:
    resident: Any  # territory.Resident
    tags: list[Any]  # the tags this viewer may see
    mobile_masked: str


@dataclass
class HouseholdRow:
    household: Household
    residents: list[ResidentRow]
    links: list[HouseholdLink]


@dataclass
class BuildingRow:
    building: Area
    coverage: BuildingCoverage
    households: list[HouseholdRow]
    heads: list[Any]  # building heads (accounts.User)
    orgs: list[PartyOrg]  # the party group(s) set up on the building

    @property
    def residents(self) -> int:
        return sum(len(h.residents) for h in self.households)

    @property
    def unlinked(self) -> list[HouseholdRow]:
        return [h for h in self.households if not h.links]


@dataclass
class GridOverview:
    area: Area  # a grid, or a single building
    buildings: list[BuildingRow]
    workers: list[Any]  # grid workers of the grid (accounts.User)
    orgs: list[PartyOrg]  # the party organisation(s) leading the area itself
    coverage: Coverage

    @property
    def households(self) -> int:
        return sum(len(b.households) for b in self.buildings)

    @property
    def residents(self) -> int:
        return sum(b.residents for b in self.buildings)


def grid_overview(user: Any, area: Area) -> GridOverview:
    """Everything the grid page shows for a grid (or one building) the user may see: its
    buildings with households, residents (masked mobile, the tags this user may see) and
    linked members, coverage per building, the grid workers, building heads and party
    organisations. A fixed number of queries, whatever the size of the grid."""
    from grassroots.accounts.models import Role
    from grassroots.core.personal import mask_mobile
    from grassroots.territory.selectors import (
        area_staff,
        households_for,
        residents_for,
        visible_tags,
    )

    cover = coverage(user, area)
    per_building: dict[int, list[HouseholdRow]] = {b.building.pk: [] for b in cover.buildings}
    rows: dict[int, HouseholdRow] = {}
    for household in households_for(user, area=area):
        row = HouseholdRow(household, [], [])
        rows[household.pk] = row
        per_building.setdefault(household.building_id, []).append(row)
    # ID numbers are never shown here: not even decrypted.
    for resident in residents_for(user, area=area).defer("id_number"):
        if resident.household_id in rows:
            rows[resident.household_id].residents.append(
                ResidentRow(resident, visible_tags(user, resident), mask_mobile(resident.mobile))
            )
    for link in links_for(user).filter(under("household__area_path", area.path)):
        if link.household_id in rows:
            rows[link.household_id].links.append(link)
    grid_path = area.path if area.kind == AreaKind.GRID else area.path[: -Area.steplen]
    staff = area_staff(
        [grid_path, *(b.building.path for b in cover.buildings)],
        roles=(Role.GRID_WORKER, Role.BUILDING_HEAD),
        viewer=user,
    )
    orgs: dict[int, list[PartyOrg]] = {}
    for org in (
        PartyOrg.objects.visible_to(user)
        .filter(under("area__path", area.path))
        .select_related("secretary")
        .order_by("path")
    ):
        orgs.setdefault(org.area_id or 0, []).append(org)
    return GridOverview(
        area=area,
        buildings=[
            BuildingRow(
                building=b.building,
                coverage=b,
                households=per_building.get(b.building.pk, []),
                heads=[u for u in staff.get(b.building.path, []) if u.role == Role.BUILDING_HEAD],
                orgs=orgs.get(b.building.pk, []),
            )
            for b in cover.buildings
        ],
        workers=[u for u in staff.get(grid_path, []) if u.role == Role.GRID_WORKER],
        orgs=orgs.get(area.pk, []) if area.kind != AreaKind.BUILDING else [],
        coverage=cover,
    )


@dataclass
class ChildMeasure:
    area: Area
    households: int
    residents: int
    linked: int

    @property
    def share(self) -> float:
        return self.linked / self.households if self.households else 0.0

    @property
    def has_boundary(self) -> bool:
        return bool(self.area.boundary)


def area_children_measures(user: Any, area: Area) -> list[ChildMeasure]:
    """The visible areas right under `area` (a community's grids, a street's communities) with
    households, residents and 党员联系户 coverage rolled up: what the grid map colours by.
    Five queries, whatever the number of children and buildings."""
    from grassroots.territory.selectors import area_tree

    children = [n for n in area_tree(user, area) if n.area.depth == area.depth + 1]
    linked: dict[str, int] = {}
    for b in coverage(user, area).buildings:
        key = b.building.path[: len(area.path) + Area.steplen]
        linked[key] = linked.get(key, 0) + b.linked
    return [
        ChildMeasure(n.area, n.households, n.residents, linked.get(n.area.path, 0))
        for n in children
    ]


def group_member_counts(user: Any, *, root: PartyOrg | None = None) -> dict[int, int]:
    """Members per party group (党小组), by group id. A member's organisation is their branch,
    so the branch counts of org_tree leave groups at zero; this is who is in each group."""
    qs = PartyMember.objects.visible_to(user).filter(group__isnull=False)
    if root is not None:
        qs = qs.filter(under("group__path", root.path))
    return dict(qs.values("group").annotate(n=Count("id")).values_list("group", "n"))
