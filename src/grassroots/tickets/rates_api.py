"""GET /api/v1/rates: the 三率 of one unit and of the units one level below it, for a month."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from grassroots.accounts.models import Role
from grassroots.core.api import ErrorOut, InputSchema
from grassroots.core.errors import Forbidden
from grassroots.territory.models import Area, AreaKind

from .rates import UnitRates, by_composite, parse_month, rated_children, rates_for, rates_unit

router = Router(tags=["tickets"])

# Who reads 三率 through the API: the staff of handling units, each for the units in their own
# territory or department. Residents, building heads, allied-unit contacts and the three
# administrators get 403: the endpoint is not theirs at all (nothing about a unit leaks).
RATES_API_ROLES = frozenset(
    {
        Role.GRID_WORKER,
        Role.COMMUNITY_STAFF,
        Role.COMMUNITY_SECRETARY,
        Role.STREET_DISPATCHER,
        Role.STREET_LEADER,
        Role.DEPARTMENT_OFFICER,
        Role.DEPARTMENT_HEAD,
    }
)


class RatesQuery(InputSchema):
    unit: str = Field(
        default="",
        max_length=32,
        description="区域编码（区、街道、社区/村、网格）或职能部门编码；默认为本人管辖的最上级单位",
    )
    month: str = Field(default="", max_length=7, description="月份 YYYY-MM（北京时间），默认本月")


class UnitRatesOut(Schema):
    unit_type: Literal["area", "department"]
    code: str
    name: str
    kind: str = Field(description="district / street / township / community / village / grid "
                      "/ department")  # fmt: skip
    kind_label: str
    valid: int = Field(description="有效回访数（未被后续回访取代）")
    contacted: int
    solved: int
    satisfied: int
    basically_satisfied: int
    unsatisfied: int
    responded_on_time: int
    resolved_on_time: int
    returns: int = Field(description="当月退单次数")
    reopens: int = Field(description="当月重办次数")
    response_rate: float | None = Field(description="响应率 = 联系 / 有效回访；无有效回访时为 null")
    resolution_rate: float | None = Field(description="解决率 = 解决 / 有效回访")
    satisfaction_rate: float | None = Field(
        description="满意率 = (满意 + 权重×基本满意) / 有效回访"
    )
    composite: float | None = Field(description="综合得分 = 三率的加权和（权重可配置）")
    on_time_response_share: float | None = Field(description="按时响应占比")
    on_time_resolution_share: float | None = Field(description="按时办结占比")

    @staticmethod
    def resolve_unit_type(obj: UnitRates) -> str:
        return "department" if obj.is_department else "area"

    @staticmethod
    def resolve_kind_label(obj: UnitRates) -> str:
        if isinstance(obj.unit, Area):
            return str(AreaKind(obj.unit.kind).label)
        return _("职能部门")


class RatesOut(Schema):
    month: str = Field(description="YYYY-MM")
    source: Literal["live", "snapshot"] = Field(
        description="live：由回访实时计算（本月，或该月尚无快照）；snapshot：月度快照"
    )
    unit: UnitRatesOut
    children: list[UnitRatesOut] = Field(
        description="下一级单位（区的街道、街道的社区/村、社区的网格），按综合得分从高到低"
    )


@router.get(
    "/rates",
    response={200: RatesOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="三率（响应率、解决率、满意率）",
    description="一个单位某月的三率及综合得分，以及其下一级单位的三率（排名）。"
    "区域单位含其下级承办的工单；按当月（北京时间）有效回访计算。"
    "仅网格员、社区、街道和职能部门工作人员可用（其他角色 403）；"
    "管辖范围外的单位为 404。",
)
def rates(request: HttpRequest, filters: Query[RatesQuery]) -> dict[str, Any]:
    user = request.user
    if getattr(user, "role", None) not in RATES_API_ROLES:
        raise Forbidden()
    month = parse_month(filters.month)
    unit = rates_unit(user, filters.unit)
    children = rated_children(unit)
    if isinstance(unit, Area):
        found = rates_for(month=month, areas=[unit, *children])
    else:
        found = rates_for(month=month, departments=[unit])
    own, rest = found[0], found[1:]
    return {
        "month": f"{month:%Y-%m}",
        "source": "snapshot" if own.computed_at is not None else "live",
        "unit": own,
        "children": by_composite(rest),
    }
