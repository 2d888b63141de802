"""The supervision side of 吹哨报到: the list of shirking flags (推诿扯皮) a street leader
reviews, and a department's monthly measures (双考核). Registered before the whistles router,
so `/whistles/flags` is not read as a whistle number."""

from typing import Any, Literal

from ninja import Query, Router
from pydantic import Field

from grassroots.accounts.typing import AuthedRequest
from grassroots.core.api import ErrorOut, InputSchema
from grassroots.core.errors import NotFound
from grassroots.core.pages import PageQuery, keyset_page
from grassroots.core.scoping import get_visible
from grassroots.territory.models import Department
from grassroots.tickets.rates import parse_month

from . import services
from .api import ACTION_ERRORS, READ_ERRORS, _reader, _unit
from .measures import department_measures
from .models import Flag
from .schemas import DepartmentMeasuresOut, FlagClearIn, FlagOut, FlagPageOut
from .selectors import flags_for

router = Router(tags=["whistles"])


class FlagFilter(InputSchema, PageQuery):
    state: Literal["open", "cleared", "all"] = Field(
        default="open", description="open 待处理 / cleared 已核查 / all 全部"
    )


def _flag(flag: Flag) -> dict[str, Any]:
    summons = flag.summons
    return {
        "id": flag.pk,
        "kind": flag.kind,
        "kind_label": flag.get_kind_display(),
        "state": flag.state,
        "state_label": flag.get_state_display(),
        "department": _unit(flag.department) if flag.department is not None else None,
        "whistle": summons.whistle.number if summons is not None else None,
        "ticket": flag.ticket.number if flag.ticket is not None else None,
        "street": _unit(flag.street),
        "detail": flag.detail,
        "data": flag.data,
        "created_at": flag.created_at,
        "cleared_at": flag.cleared_at,
        "cleared_by": flag.cleared_by.display_name if flag.cleared_by is not None else None,
        "clear_note": flag.clear_note,
    }


@router.get(
    "/whistles/flags",
    response={200: FlagPageOut, **READ_ERRORS},
    summary="推诿扯皮记录（督办清单）",
    description="报到超时、超时未报到、未经确认撤离和工单来回推诿的记录，从新到旧，游标分页。"
    "街道领导看到本街道的，职能部门看到本部门的；由街道领导核查。其他人看到的是空列表，"
    "不在吹哨报到范围内的角色 403。",
)
def flag_list(request: AuthedRequest, filters: Query[FlagFilter]) -> dict[str, Any]:
    user = _reader(request)
    state = "" if filters.state == "all" else filters.state
    rows = flags_for(user, state=state).select_related("cleared_by")
    found, cursor = keyset_page(rows, filters.cursor, filters.limit)
    return {"items": [_flag(f) for f in found], "next_cursor": cursor}


@router.post(
    "/whistles/flags/{flag_id}/clear",
    response={200: FlagOut, **ACTION_ERRORS},
    summary="核查推诿扯皮记录",
    description="街道领导核查本街道的一条记录，写明查明的情况和处理；已核查的再次核查为 409。"
    "其他人 403；看不到的记录 404。",
)
def flag_clear(request: AuthedRequest, flag_id: int, payload: FlagClearIn) -> dict[str, Any]:
    user = _reader(request)
    flag = Flag.objects.visible_to(user).filter(pk=flag_id).first()
    if flag is None:
        raise NotFound()
    services.flag_clear(actor=user, flag=flag, note=payload.note, request=request)
    found = Flag.objects.select_related(
        "department", "summons__whistle", "ticket", "street", "cleared_by"
    ).get(pk=flag.pk)
    return _flag(found)


class MeasuresQuery(InputSchema):
    month: str = Field(
        default="",
        description="月份 YYYY-MM（北京时间），默认本月",
        json_schema_extra={"maxLength": 7},
    )


@router.get(
    "/departments/{department_id}/measures",
    response={200: DepartmentMeasuresOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut,
              404: ErrorOut},
    summary="职能部门的吹哨报到指标",
    description="一个部门某月的指标：收到的召集、按时报到率、平均报到用时、解决占比、吹哨方评价"
    "和推诿扯皮记录数（召集按发出的月份计，北京时间）。街道、社区工作人员可查服务本辖区的部门，"
    "职能部门可查本部门；看不到的部门 404，其他角色 403。",
)  # fmt: skip
def department_measures_view(
    request: AuthedRequest, department_id: int, filters: Query[MeasuresQuery]
) -> dict[str, Any]:
    user = _reader(request)
    department = get_visible(Department.objects, user, pk=department_id)
    month = parse_month(filters.month)
    return department_measures([department], month)[0].as_dict()
