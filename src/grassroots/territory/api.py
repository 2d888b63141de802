from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from pydantic import Field

from grassroots.accounts.models import Role
from grassroots.core.api import InputSchema, LimitOffset, errors
from grassroots.core.errors import ValidationFailed
from grassroots.core.scoping import get_visible, scope_of, under_paths
from grassroots.party.selectors import links_for

from .models import (
    SENSITIVE_TAGS,
    Area,
    AreaKind,
    Department,
    Household,
    Resident,
    ResidentTagKind,
)
from .schemas import (
    AreaOut,
    AreaTreeNodeOut,
    DepartmentOut,
    HouseholdDetailOut,
    HouseholdOut,
    ResidentDetailOut,
    ResidentOut,
)
from .selectors import area_tree, areas_for, departments_for, households_for, residents_for

router = Router(tags=["territory"])


class AreaFilter(InputSchema):
    parent: int | None = Field(default=None, description="只列出该节点的下一级")
    kind: AreaKind | None = None


@router.get(
    "/areas",
    response={200: list[AreaOut], **errors(400, 401, 404)},
    summary="我可见的辖区",
    description="调用者管辖范围内的辖区（区、街道、社区/村、网格、楼栋），按树的顺序排列；"
    "可只列出某个节点的下一级（`parent`，看不到的节点 404）或某一层级（`kind`）。"
    "按 `limit`（每页条数，最多 500）和 `offset`（跳过的条数）分页，`count` 为总数。",
)
@paginate(LimitOffset)
def area_list(request: HttpRequest, filters: Query[AreaFilter]) -> QuerySet[Area]:
    parent = get_visible(Area.objects, request.user, pk=filters.parent) if filters.parent else None
    return areas_for(request.user, parent=parent, kind=filters.kind)


@router.get(
    "/areas/{area_id}",
    response={200: AreaOut, **errors(400, 401, 404)},
    summary="辖区详情",
    description="一个辖区，含上级 id、是否有下级和边界（GeoJSON）。看不到的辖区 404。",
)
def area_detail(request: HttpRequest, area_id: int) -> Area:
    return get_visible(areas_for(request.user), request.user, pk=area_id)


@router.get(
    "/departments",
    response={200: list[DepartmentOut], **errors(400, 401)},
    summary="我可见的职能部门",
    description="调用者可见的职能部门，按编码排列。"
    "按 `limit`（每页条数，最多 500）和 `offset`（跳过的条数）分页，`count` 为总数。",
)
@paginate(LimitOffset)
def department_list(request: HttpRequest) -> QuerySet[Department]:
    return departments_for(request.user)


@router.get(
    "/departments/{department_id}",
    response={200: DepartmentOut, **errors(400, 401, 404)},
    summary="职能部门详情",
    description="一个职能部门。看不到的部门 404。",
)
def department_detail(request: HttpRequest, department_id: int) -> Department:
    return get_visible(Department.objects, request.user, pk=department_id)


@router.get(
    "/areas/{area_id}/tree",
    response={200: list[AreaTreeNodeOut], **errors(400, 401, 404)},
    summary="辖区下级树（含住户数、居民数）",
    description="返回所查询辖区及其下级的扁平列表，按树的顺序排列（上级在前），"
    "可用 `parent_id` 与 `depth` 还原层级。看不到的辖区 404。",
)
def area_subtree(request: HttpRequest, area_id: int) -> list[dict[str, Any]]:
    root = get_visible(Area.objects, request.user, pk=area_id)
    return [
        {
            "id": node.area.pk,
            "code": node.area.code,
            "name": node.area.name,
            "kind": node.area.kind,
            "kind_label": node.area.get_kind_display(),
            "depth": node.depth,
            "parent_id": node.area.parent_pk,
            "households": node.households,
            "residents": node.residents,
        }
        for node in area_tree(request.user, root)
    ]


# --- households and residents ------------------------------------------------------------------


class HouseholdFilter(InputSchema):
    area: int | None = Field(default=None, description="辖区 id：只列出该辖区及其下级的住户")
    building: int | None = Field(default=None, description="楼栋 id：只列出该楼栋的住户")


def _households(request: HttpRequest, area: Area | None = None) -> QuerySet[Household]:
    """households_for with each household's residents counted. A subquery rather than a join
    with GROUP BY, so that the page's total count stays a plain indexed count."""
    residents = (
        Resident.objects.filter(household=OuterRef("pk"))
        .values("household")
        .annotate(n=Count("id"))
        .values("n")
    )
    return households_for(request.user, area=area).annotate(
        residents_count=Coalesce(Subquery(residents[:1]), Value(0))
    )


@router.get(
    "/households",
    response={200: list[HouseholdOut], **errors(400, 401, 404)},
    summary="我可见的住户",
    description="调用者管辖范围内的住户，含居民人数；可按辖区（`area`，含下级）或楼栋（`building`）"
    "筛选，看不到的辖区或楼栋 404，`building` 不是楼栋为 400。"
    "按 `limit`（每页条数，最多 500）和 `offset`（跳过的条数）分页，`count` 为总数。",
)
@paginate(LimitOffset)
def household_list(request: HttpRequest, filters: Query[HouseholdFilter]) -> QuerySet[Household]:
    area = get_visible(Area.objects, request.user, pk=filters.area) if filters.area else None
    qs = _households(request, area)
    if filters.building:
        building = get_visible(Area.objects, request.user, pk=filters.building)
        if building.kind != AreaKind.BUILDING:
            raise ValidationFailed(fields={"building": [_("请选择楼栋。")]})
        qs = qs.filter(building=building)
    return qs


@router.get(
    "/households/{household_id}",
    response={200: HouseholdDetailOut, **errors(400, 401, 404)},
    summary="住户详情",
    description="一户：所在楼栋、居民人数和联系这户的党员。看不到的住户 404。",
)
def household_detail(request: HttpRequest, household_id: int) -> Household:
    household: Household = get_visible(_households(request), request.user, pk=household_id)
    household.linked_members = [  # type: ignore[attr-defined]
        link.member for link in links_for(request.user).filter(household=household)
    ]
    return household


class ResidentFilter(InputSchema):
    area: int | None = Field(default=None, description="辖区 id：只列出该辖区及其下级的居民")
    household: int | None = Field(default=None, description="住户 id")
    tag: ResidentTagKind | None = Field(
        default=None, description="标签；敏感标签只筛出您有权查看该标签的居民"
    )


def _may_see_tag(user: Any, tag: str) -> Q:
    """Residents on whom `user` may see `tag`: the query form of
    selectors.can_see_sensitive_tags, so that filtering by a sensitive tag tells no more than
    the tags shown. (Could move to territory/selectors.py as a `tag` argument of residents_for.)
    """
    if tag not in SENSITIVE_TAGS:
        return Q()
    if getattr(user, "role", None) not in (Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY):
        return Q(pk__in=[])
    community = 3 * Area.steplen
    inside = under_paths("area_path", [p for p in scope_of(user).area_paths if len(p) <= community])
    return Q(pk__in=[]) if inside is None else inside


@router.get(
    "/residents",
    response={200: list[ResidentOut], **errors(400, 401, 404)},
    summary="我可见的居民",
    description="调用者管辖范围内的居民，证件号和手机号脱敏；可按辖区（`area`，含下级）、住户"
    "（`household`）或标签（`tag`）筛选，看不到的辖区或住户 404。"
    "敏感标签只对本社区的工作人员显示，按敏感标签筛选也只筛出这些居民。"
    "按 `limit`（每页条数，最多 500）和 `offset`（跳过的条数）分页，`count` 为总数。",
)
@paginate(LimitOffset)
def resident_list(request: HttpRequest, filters: Query[ResidentFilter]) -> QuerySet[Resident]:
    user = request.user
    area = get_visible(Area.objects, user, pk=filters.area) if filters.area else None
    household = (
        get_visible(Household.objects, user, pk=filters.household) if filters.household else None
    )
    qs = residents_for(user, area=area, household=household)
    if filters.tag:
        qs = qs.filter(_may_see_tag(user, filters.tag), tags__kind=filters.tag)
    return qs


@router.get(
    "/residents/{resident_id}",
    response={200: ResidentDetailOut, **errors(400, 401, 404)},
    summary="居民详情",
    description="一位居民，证件号和手机号脱敏，敏感标签只对本社区的工作人员显示。"
    "看不到的居民 404。",
)
def resident_detail(request: HttpRequest, resident_id: int) -> Resident:
    return get_visible(residents_for(request.user), request.user, pk=resident_id)
