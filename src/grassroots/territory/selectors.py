from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Length, Substr

from grassroots.core.scoping import roll_up, scope_of, under, under_paths, with_ancestors
from grassroots.core.text import matches

from .models import (
    SENSITIVE_TAGS,
    Area,
    Department,
    Household,
    Resident,
    ResidentTag,
    ResidentTagKind,
)


def areas_for(user: Any, *, parent: Area | None = None, kind: str | None = None) -> QuerySet[Area]:
    """The areas the user may see, with each one's parent id, in tree order."""
    qs = Area.objects.visible_to(user)
    if parent is not None:
        qs = qs.filter(under("path", parent.path), depth=parent.depth + 1)
    if kind:
        qs = qs.filter(kind=kind)
    parent_pk = Area.objects.filter(
        path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Area.steplen)
    ).values("pk")[:1]
    return qs.annotate(parent_pk=Subquery(parent_pk)).order_by("path")


def departments_for(user: Any) -> QuerySet[Department]:
    return Department.objects.visible_to(user).order_by("code")


def can_see_sensitive_tags(user: Any, resident: Resident) -> bool:
    """Sensitive tags (health, income, family) only for the staff of the resident's own
    community."""
    from grassroots.accounts.models import Role

    if getattr(user, "role", None) not in (Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY):
        return False
    community = resident.area_path[: 3 * Area.steplen]
    return len(community) == 3 * Area.steplen and any(
        community.startswith(p) or p.startswith(community)
        for p in scope_of(user).area_paths
        if len(p) <= 3 * Area.steplen
    )


TAG_ORDER = {kind: i for i, kind in enumerate(ResidentTagKind.values)}


def visible_tags(user: Any, resident: Resident) -> list[ResidentTag]:
    """The resident's tags this user may see (tags must be prefetched), in the order of
    ResidentTagKind, the same on every database."""
    sensitive_ok = can_see_sensitive_tags(user, resident)
    tags = [t for t in resident.tags.all() if sensitive_ok or t.kind not in SENSITIVE_TAGS]
    return sorted(tags, key=lambda t: TAG_ORDER.get(t.kind, len(TAG_ORDER)))


def households_for(user: Any, *, area: Area | None = None) -> QuerySet[Household]:
    qs = Household.objects.visible_to(user).select_related("building")
    if area is not None:
        qs = qs.filter(under("area_path", area.path))
    return qs.order_by("area_path", "unit", "room", "id")


def residents_for(
    user: Any, *, area: Area | None = None, household: Household | None = None
) -> QuerySet[Resident]:
    qs = (
        Resident.objects.visible_to(user)
        .select_related("household__building")
        .prefetch_related("tags")
    )
    if area is not None:
        qs = qs.filter(under("area_path", area.path))
    if household is not None:
        qs = qs.filter(household=household)
    return qs.order_by("area_path", "name", "id")


@dataclass
class AreaNode:
    area: Area
    depth: int
    households: int
    residents: int


def area_tree(user: Any, root: Area | None = None, *, query: str = "") -> list[AreaNode]:
    """The visible area tree (under `root`) with households and residents counted per node,
    in three queries whatever the size: areas, households by building, residents by building.
    A query keeps matching nodes (by name, code or pinyin initials) and their ancestors."""
    qs = areas_for(user)
    if root is not None:
        qs = qs.filter(under("path", root.path))
    areas = list(qs)
    if not areas:
        return []
    top = min(a.depth for a in areas)
    top_paths = tuple(a.path for a in areas if a.depth == top)
    households = roll_up(
        Household.objects.filter(under_paths("area_path", top_paths))
        .values("area_path")
        .annotate(n=Count("id"))
        .values_list("area_path", "n")
    )
    residents = roll_up(
        Resident.objects.filter(under_paths("area_path", top_paths))
        .values("area_path")
        .annotate(n=Count("id"))
        .values_list("area_path", "n")
    )
    nodes = [
        AreaNode(
            area=a,
            depth=a.depth - top,
            households=households.get(a.path, 0),
            residents=residents.get(a.path, 0),
        )
        for a in areas
    ]
    if query:
        keep = with_ancestors(
            n.area.path
            for n in nodes
            if matches(n.area.name, query) or query.lower() in n.area.code.lower()
        )
        nodes = [n for n in nodes if n.area.path in keep]
    return nodes


def area_staff(
    paths: list[str], *, roles: tuple[str, ...], viewer: Any = None
) -> dict[str, list[Any]]:
    """Active staff of the given roles whose scope is exactly one of `paths` (an Area path),
    keyed by that path, in one query. With a viewer, only the accounts the viewer may see."""
    from django.db.models import F

    # Imported here: accounts.models imports this app's models.
    from grassroots.accounts.models import User

    base = User.objects.visible_to(viewer) if viewer is not None else User.objects.all()
    found: dict[str, list[Any]] = {}
    rows = (
        base.filter(is_active=True, role__in=roles, scope_areas__path__in=paths)
        .annotate(scope_path=F("scope_areas__path"))
        .order_by("name", "username", "id")
    )
    for user in rows:
        found.setdefault(user.scope_path, []).append(user)
    return found


@dataclass
class BuildingContacts:
    """Whom a building's residents turn to: the grid workers of its grid, its building heads."""

    building: Area
    grid: Area | None
    grid_workers: list[Any]
    building_heads: list[Any]

    def find(self, kind: str, user_id: int) -> Any:
        people = {"grid_worker": self.grid_workers, "building_head": self.building_heads}
        return next((u for u in people.get(kind, []) if u.pk == user_id), None)


def building_contacts(building: Area) -> BuildingContacts:
    """The contacts of a building (not scoped to a viewer: the caller decides who may ask,
    e.g. a resident of the building). Two queries."""
    from grassroots.accounts.models import Role

    from .models import AreaKind

    grid_path = building.path[: -Area.steplen]
    grid = Area.objects.filter(path=grid_path, kind=AreaKind.GRID).first()
    staff = area_staff([grid_path, building.path], roles=(Role.GRID_WORKER, Role.BUILDING_HEAD))
    return BuildingContacts(
        building=building,
        grid=grid,
        grid_workers=[u for u in staff.get(grid_path, []) if u.role == Role.GRID_WORKER],
        building_heads=[u for u in staff.get(building.path, []) if u.role == Role.BUILDING_HEAD],
    )
