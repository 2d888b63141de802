from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate
from pydantic import Field

from grassroots.core.api import InputSchema, LimitOffset, errors
from grassroots.core.scoping import get_visible, under
from grassroots.party.models import PartyOrg
from grassroots.territory.models import Area

from .models import MemberUnit, MemberUnitKind
from .schemas import MemberUnitDetailOut, MemberUnitOut

router = Router(tags=["alliance"])


def _units_for(user: Any, *, area: Area | None = None) -> QuerySet[MemberUnit]:
    """The member units the user may see (could move to an alliance/selectors.py)."""
    qs = MemberUnit.objects.visible_to(user).select_related("area")
    if area is not None:
        qs = qs.filter(under("area__path", area.path))
    return qs.order_by("name", "id")


class MemberUnitFilter(InputSchema):
    area: int | None = Field(default=None, description="辖区 id：登记在该辖区及其下级的单位")
    kind: MemberUnitKind | None = None


@router.get(
    "/member-units",
    response={200: list[MemberUnitOut], **errors(400, 401, 404)},
    summary="我可见的驻区单位",
    description="调用者可见的驻区单位（区域化党建联盟的成员单位），按名称排列；可按辖区"
    "（`area`，含下级，看不到的辖区 404）或类型（`kind`）筛选。"
    "按 `limit`（每页条数，最多 500）和 `offset`（跳过的条数）分页，`count` 为总数。",
)
@paginate(LimitOffset)
def member_unit_list(
    request: HttpRequest, filters: Query[MemberUnitFilter]
) -> QuerySet[MemberUnit]:
    area = get_visible(Area.objects, request.user, pk=filters.area) if filters.area else None
    qs = _units_for(request.user, area=area)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return qs


@router.get(
    "/member-units/{unit_id}",
    response={200: MemberUnitDetailOut, **errors(400, 401, 404)},
    summary="驻区单位详情",
    description="一个驻区单位，含调用者可见的、属于它的党组织。看不到的单位 404。",
)
def member_unit_detail(request: HttpRequest, unit_id: int) -> MemberUnit:
    unit: MemberUnit = get_visible(_units_for(request.user), request.user, pk=unit_id)
    unit.visible_party_orgs = list(  # type: ignore[attr-defined]
        PartyOrg.objects.visible_to(request.user).filter(member_unit=unit).order_by("path")
    )
    return unit
