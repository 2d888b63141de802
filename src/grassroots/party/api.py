from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Length, Substr
from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate
from pydantic import Field

from grassroots.core.api import InputSchema, LimitOffset, errors
from grassroots.core.scoping import get_visible, under
from grassroots.territory.models import Area

from .models import MemberStatus, OrgKind, PartyMember, PartyOrg
from .schemas import MemberOut, PartyOrgDetailOut, PartyOrgOut
from .selectors import members_for, orgs_for
from .services import org_findings

router = Router(tags=["party"])


def _orgs(request: HttpRequest) -> QuerySet[PartyOrg]:
    """orgs_for with each organisation's parent id, in the same query (could move to
    party/selectors.py as areas_for does for areas)."""
    parent_pk = PartyOrg.objects.filter(
        path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - PartyOrg.steplen)
    ).values("pk")[:1]
    return orgs_for(request.user).annotate(parent_pk=Subquery(parent_pk))


class PartyOrgFilter(InputSchema):
    area: int | None = Field(default=None, description="辖区 id：只列出该辖区及其下级的党组织")
    parent: int | None = Field(default=None, description="党组织 id：只列出它的下一级")
    kind: OrgKind | None = None


@router.get(
    "/party-orgs",
    response={200: list[PartyOrgOut], **errors(400, 401, 404)},
    summary="我可见的党组织",
    description="调用者可见的党组织（党工委、党委、总支、支部、党小组），按树的顺序排列；"
    "可按辖区（`area`，含下级）、上级组织（`parent`，只列下一级）或类型（`kind`）筛选，"
    "看不到的辖区或组织 404。"
    "按 `limit`（每页条数，最多 500）和 `offset`（跳过的条数）分页，`count` 为总数。",
)
@paginate(LimitOffset)
def party_org_list(request: HttpRequest, filters: Query[PartyOrgFilter]) -> QuerySet[PartyOrg]:
    user = request.user
    qs = _orgs(request)
    if filters.area:
        area = get_visible(Area.objects, user, pk=filters.area)
        qs = qs.filter(under("area_path", area.path))
    if filters.parent:
        parent = get_visible(PartyOrg.objects, user, pk=filters.parent)
        qs = qs.filter(under("path", parent.path), depth=parent.depth + 1)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return qs


@router.get(
    "/party-orgs/{org_id}",
    response={200: PartyOrgDetailOut, **errors(400, 401, 404)},
    summary="党组织详情",
    description="一个党组织：书记、委员、任期，以及按《支部工作条例》检查的结果。"
    "看不到的组织 404。",
)
def party_org_detail(request: HttpRequest, org_id: int) -> PartyOrg:
    org: PartyOrg = get_visible(
        _orgs(request).prefetch_related("committee"), request.user, pk=org_id
    )
    org.findings = org_findings(org)  # type: ignore[attr-defined]
    return org


class MemberFilter(InputSchema):
    branch: int | None = Field(
        default=None, description="党组织 id：该组织及其下级的党员；党小组则为小组成员"
    )
    area: int | None = Field(default=None, description="辖区 id：组织关系在该辖区及其下级的党员")
    status: MemberStatus | None = None


@router.get(
    "/members",
    response={200: list[MemberOut], **errors(400, 401, 404)},
    summary="我可见的党员",
    description="调用者可见的党员；可按党组织（`branch`，含下级；党小组则为小组成员）、辖区"
    "（`area`，含下级）或状态（`status`）筛选，看不到的组织或辖区 404。"
    "按 `limit`（每页条数，最多 500）和 `offset`（跳过的条数）分页，`count` 为总数。",
)
@paginate(LimitOffset)
def member_list(request: HttpRequest, filters: Query[MemberFilter]) -> QuerySet[PartyMember]:
    user = request.user
    org = get_visible(PartyOrg.objects, user, pk=filters.branch) if filters.branch else None
    area = get_visible(Area.objects, user, pk=filters.area) if filters.area else None
    if org is not None and org.kind == OrgKind.GROUP:
        # A group holds no memberships (they sit in its branch): list the group's members.
        qs = members_for(user, area=area).filter(group=org)
    else:
        qs = members_for(user, branch=org, area=area)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs


@router.get(
    "/members/{member_id}",
    response={200: MemberOut, **errors(400, 401, 404)},
    summary="党员详情",
    description="一名党员。看不到的党员 404。",
)
def member_detail(request: HttpRequest, member_id: int) -> PartyMember:
    return get_visible(members_for(request.user), request.user, pk=member_id)
