"""Workbench pages for people and party: the organisation and area trees, an organisation, a
member, a grid (or building) and an area with its grid map, read through selectors that start
from what the user may see (another scope's object is a 404). The member page also keeps the
member's household links (党员联系户) through the link services."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from grassroots.accounts.typing import AuthedRequest
from grassroots.core.errors import ValidationFailed
from grassroots.core.personal import mask_mobile
from grassroots.core.scoping import get_visible, prefixes, under
from grassroots.territory.models import Area, AreaKind, Household
from grassroots.territory.selectors import area_tree, households_for
from grassroots.web.views import scoped_staff_only

from .models import HouseholdLink, OrgKind, PartyMember, PartyOrg
from .selectors import (
    OrgNode,
    area_children_measures,
    grid_overview,
    group_member_counts,
    links_for,
    members_for,
    org_tree,
    orgs_for,
)
from .services import household_link_create, household_link_delete, org_findings

T = TypeVar("T")
QUERY_MAX = 50
MEMBERS_PER_PAGE = 50
# A branch leads a grid (160–255 households in practice, DOMAIN.md §4); a branch without
# territory takes its parent's, which can be a whole community. The choice list stops here.
LINK_CHOICES_MAX = 500


@dataclass
class TreeItem(Generic[T]):
    node: T
    children: list[TreeItem[T]] = field(default_factory=list)


def nest(nodes: Sequence[T], path: Callable[[T], str]) -> list[TreeItem[T]]:
    """A flat list in tree-path order as nested items (a path's prefix is its ancestor)."""
    roots: list[TreeItem[T]] = []
    stack: list[tuple[str, TreeItem[T]]] = []
    for node in nodes:
        item = TreeItem(node)
        here = path(node)
        while stack and not here.startswith(stack[-1][0]):
            stack.pop()
        (stack[-1][1].children if stack else roots).append(item)
        stack.append((here, item))
    return roots


@dataclass
class AreaRow:
    """An area tree node as the overview shows it: a grid also says how many buildings."""

    area: Area
    depth: int
    households: int
    residents: int
    buildings: int = 0


@dataclass
class OrgRow:
    """A party tree node as the pages show it. Members are rolled up for a branch and what is
    above it; a group (党小组) counts the members placed in it."""

    org: PartyOrg
    depth: int
    members: int
    full_members: int | None


def org_rows(nodes: Sequence[OrgNode], groups: dict[int, int]) -> list[OrgRow]:
    return [
        OrgRow(n.org, n.depth, groups.get(n.org.pk, 0), None)
        if n.org.kind == OrgKind.GROUP
        else OrgRow(n.org, n.depth, n.members, n.full_members)
        for n in nodes
    ]


def trail(user: Any, area: Area) -> list[Area]:
    """The visible areas above `area`, top first (a breadcrumb), in one query."""
    above = prefixes(area.path)[:-1]
    return list(Area.objects.visible_to(user).filter(path__in=above).order_by("path"))


@login_required
def overview(request: AuthedRequest) -> HttpResponse:
    """组织与辖区: the party tree next to the area tree, both filtered by one search box."""
    scoped_staff_only(request)
    q = request.GET.get("q", "").strip()[:QUERY_MAX]
    orgs = org_rows(org_tree(request.user, query=q), group_member_counts(request.user))
    nodes = area_tree(request.user, query=q)
    # Buildings are listed on their grid's page; here a grid shows how many it has. A
    # building head's own building is the top of their tree, so it stays.
    buildings = Counter(
        n.area.path[: -Area.steplen] for n in nodes if n.area.kind == AreaKind.BUILDING
    )
    areas = [
        AreaRow(n.area, n.depth, n.households, n.residents, buildings.get(n.area.path, 0))
        for n in nodes
        if n.area.kind != AreaKind.BUILDING or n.depth == 0
    ]
    context = {
        "q": q,
        "org_items": nest(orgs, lambda n: n.org.path),
        "area_items": nest(areas, lambda n: n.area.path),
        "open_all": bool(q),
    }
    htmx = getattr(request, "htmx", None)
    # The search box swaps only the trees; a history restore needs the whole page.
    fragment = htmx is not None and bool(htmx) and not htmx.history_restore_request
    response = render(request, "party/_trees.html" if fragment else "party/overview.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
def org_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    scoped_staff_only(request)
    org: PartyOrg = get_visible(orgs_for(request.user), request.user, pk=pk)
    findings = org_findings(org)
    if org.kind == OrgKind.GROUP:
        listed = members_for(request.user).filter(group=org)
    else:
        listed = members_for(request.user, branch=org)
    members = Paginator(listed, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    tree = org_rows(org_tree(request.user, root=org), group_member_counts(request.user, root=org))
    children = [n for n in tree if n.org.depth == org.depth + 1]
    return render(
        request,
        "party/org.html",
        {
            "org": org,
            "committee": list(org.committee.order_by("name")),
            "errors": [f for f in findings if f.is_error],
            "warnings": [f for f in findings if not f.is_error],
            "members": members,
            "children": children,
            "rolled": tree[0] if tree and tree[0].org.pk == org.pk else None,
            "trail": trail(request.user, org.area) if org.area else [],
        },
    )


def _member(request: AuthedRequest, pk: int) -> PartyMember:
    """The member the user may see, with all of their links counted (the per-member limit
    counts every link, also those to households outside this user's scope)."""
    per_member = HouseholdLink.objects.filter(member=OuterRef("pk")).values("member")
    member: PartyMember = get_visible(
        PartyMember.objects.select_related(
            "branch", "group", "user", "resident__household__building"
        )
        .defer("resident__id_number")
        .annotate(
            links_total=Coalesce(
                Subquery(per_member.annotate(n=Count("id")).values("n")[:1]), Value(0)
            )
        ),
        request.user,
        pk=pk,
    )
    return member


def link_choices(user: Any, member: PartyMember) -> QuerySet[Household]:
    """The households `user` may link `member` to: visible to the user, in the territory of
    the member's branch (a branch without territory carries its parent's area_path), and not
    linked to the member yet. (A selector; it would live in party/selectors.py.)"""
    return (
        households_for(user)
        .filter(under("area_path", member.branch.area_path))
        .exclude(member_links__member=member)
    )


class LinkAddForm(forms.Form):
    household = forms.IntegerField(
        label=gettext_lazy("添加联系户"),
        error_messages={
            "required": gettext_lazy("请选择要联系的住户。"),
            "invalid": gettext_lazy("请选择要联系的住户。"),
        },
    )


def _links_card(
    request: AuthedRequest,
    member: PartyMember,
    *,
    form: LinkAddForm | None = None,
    notice: str = "",
) -> dict[str, Any]:
    """What the 联系户 card (party/_links.html) shows: the visible links, the count against
    the limit and, for those who keep links, the households that can be added."""
    user = request.user
    links = list(links_for(user, member=member))
    total: int = member.links_total  # type: ignore[attr-defined]
    limit: int = settings.HOUSEHOLD_LINK_LIMIT
    can_manage = user.has_perm("party.manage_link")
    choices: list[Household] = []
    if can_manage:
        choices = list(link_choices(user, member)[: LINK_CHOICES_MAX + 1])
    return {
        "member": member,
        "links": links,
        "links_total": total,
        "links_hidden": max(total - len(links), 0),
        "link_limit": limit,
        "links_full": total >= limit,
        "can_manage_links": can_manage,
        "choices": choices[:LINK_CHOICES_MAX],
        "choices_cut": len(choices) > LINK_CHOICES_MAX,
        "link_form": form or LinkAddForm(),
        "link_notice": notice,
    }


def _member_page(
    request: AuthedRequest, member: PartyMember, *, status: int = 200, **card: Any
) -> HttpResponse:
    mobile = (
        member.resident.mobile if member.resident else (member.user.mobile if member.user else "")
    )
    return render(
        request,
        "party/member.html",
        {"mobile_masked": mask_mobile(mobile), **_links_card(request, member, **card)},
        status=status,
    )


@login_required
def member_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    scoped_staff_only(request)
    return _member_page(request, _member(request, pk))


def _may_keep_links(request: AuthedRequest) -> None:
    """Staff of the territory with party.manage_link. Checked before any object is fetched:
    the permission depends on the role only, so a 403 says nothing about the objects."""
    scoped_staff_only(request)
    if not request.user.has_perm("party.manage_link"):
        raise PermissionDenied


def _is_htmx(request: AuthedRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _links_changed(request: AuthedRequest, pk: int, notice: str) -> HttpResponse:
    """After a change: HTMX gets the card again (member re-read for the new count); a plain
    form post is redirected back to the page (post/redirect/get)."""
    if _is_htmx(request):
        member = _member(request, pk)
        return render(request, "party/_links.html", _links_card(request, member, notice=notice))
    messages.success(request, notice)
    return redirect("party:member", pk=pk)


@login_required
@require_POST
def link_add(request: AuthedRequest, pk: int) -> HttpResponse:
    """添加联系户. A household the user cannot see is a 404, as everywhere; one they can see
    outside the branch's territory is a field error, since the choice list never offers it."""
    _may_keep_links(request)
    member = _member(request, pk)
    form = LinkAddForm(request.POST)
    if form.is_valid():
        household: Household = get_visible(
            Household.objects.select_related("building"),
            request.user,
            pk=form.cleaned_data["household"],
        )
        if not household.area_path.startswith(member.branch.area_path):
            form.add_error("household", _("只能联系本支部辖区内的住户。"))
        else:
            try:
                household_link_create(actor=request.user, member=member, household=household)
            except ValidationFailed as exc:
                for name, errors in exc.fields.items():
                    form.add_error(name if name in form.fields else None, errors)
                if not exc.fields:
                    form.add_error(None, exc.message)
            else:
                return _links_changed(
                    request, pk, _("已添加联系户：%(household)s") % {"household": household}
                )
    # Nothing changed; the card (or the page) comes back with the messages under the form.
    if _is_htmx(request):
        return render(
            request, "party/_links.html", _links_card(request, member, form=form), status=400
        )
    return _member_page(request, member, status=400, form=form)


@login_required
@require_POST
def link_remove(request: AuthedRequest, pk: int, link_pk: int) -> HttpResponse:
    """解除联系. The link is fetched through the member and the user's scope (a link to a
    household the user cannot see is a 404)."""
    _may_keep_links(request)
    member = _member(request, pk)
    link: HouseholdLink = get_visible(
        links_for(request.user, member=member), request.user, pk=link_pk
    )
    household = str(link.household)
    household_link_delete(actor=request.user, link=link)
    return _links_changed(
        request, pk, _("已解除与 %(household)s 的联系。") % {"household": household}
    )


@login_required
def area_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """A grid or building: its people and coverage; a community or above: its grid map."""
    scoped_staff_only(request)
    area: Area = get_visible(Area.objects, request.user, pk=pk)
    if area.kind in (AreaKind.GRID, AreaKind.BUILDING):
        return render(
            request,
            "party/grid.html",
            {"grid": grid_overview(request.user, area), "trail": trail(request.user, area)},
        )
    children = area_children_measures(request.user, area)
    return render(
        request,
        "party/area.html",
        {
            "area": area,
            "children": children,
            "unmapped": [c for c in children if not c.has_boundary],
            "map_data": map_data(area, children) if any(c.has_boundary for c in children) else None,
            "orgs": list(PartyOrg.objects.visible_to(request.user).filter(area=area)),
            "trail": trail(request.user, area),
        },
    )


def map_data(area: Area, children: list[Any]) -> dict[str, Any]:
    """What the grid map draws (web/static/web/gridmap.js): the children's GeoJSON boundaries
    as one FeatureCollection and a row of measures per child, matched by a unique key."""
    features = []
    rows = []
    for child in children:
        key = child.area.code
        url = reverse("party:area", args=[child.area.pk])
        row = {
            "key": key,
            "name": child.area.name,
            "url": url,
            "households": child.households,
            "residents": child.residents,
            "share": round(child.share * 100),
        }
        rows.append(row)
        if child.has_boundary:
            features.append(
                {
                    "type": "Feature",
                    "properties": {"key": key, "name": child.area.name},
                    "geometry": child.area.boundary,
                }
            )
    return {
        "map": f"area-{area.pk}",
        "geojson": {"type": "FeatureCollection", "features": features},
        "rows": rows,
        "measures": {
            "households": {"label": _("住户"), "unit": _("户")},
            "residents": {"label": _("居民"), "unit": _("人")},
            "share": {"label": _("联系户覆盖率"), "unit": "%"},
        },
    }
