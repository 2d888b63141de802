"""Reads of the party tree, members and household links; each starts from visible_to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

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
        qs = qs.filter(path__startswith=root.path)
    orgs = list(qs)
    if not orgs:
        return []
    totals: dict[str, list[int]] = {}
    step = PartyOrg.steplen
    for org in orgs:
        for end in range(step, len(org.path) + 1, step):
            entry = totals.setdefault(org.path[:end], [0, 0])
            entry[0] += org.members_total
            entry[1] += org.members_full
    top = min(o.depth for o in orgs)
    nodes = [
        OrgNode(
            org=o, depth=o.depth - top, members=totals[o.path][0], full_members=totals[o.path][1]
        )
        for o in orgs
    ]
    if query:
        keep = [n.org.path for n in nodes if matches(n.org.name, query)]
        nodes = [n for n in nodes if any(p.startswith(n.org.path) for p in keep)]
    return nodes


def members_for(
    user: Any, *, branch: PartyOrg | None = None, area: Area | None = None
) -> QuerySet[PartyMember]:
    qs = PartyMember.objects.visible_to(user).select_related(
        "branch", "group", "resident__household__building"
    )
    if branch is not None:
        qs = qs.filter(branch__path__startswith=branch.path)
    if area is not None:
        qs = qs.filter(branch__area_path__startswith=area.path)
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
        .filter(path__startswith=area.path, kind=AreaKind.BUILDING)
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
