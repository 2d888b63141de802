"""Schemas of the 吹哨报到 API. Names carry the app's words (Whistle…, Summons…, Flag…): Ninja
puts every schema of every router in one OpenAPI namespace."""

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field, field_validator

from grassroots.core.api import InputSchema

from .models import (
    FlagKind,
    FlagState,
    ReportMode,
    SummonsState,
    WhistleEventKind,
    WhistleKind,
    WhistleReason,
    WhistleState,
)
from .services import (
    ADDRESS_MAX,
    COMMITMENT_MAX,
    DESCRIPTION_MAX,
    MAX_DEPARTMENTS,
    NOTE_MAX,
    TITLE_MAX,
)


def _limit(n: int) -> dict[str, Any]:
    # Documented only: the services check lengths and answer with a Chinese message.
    return {"maxLength": n}


def _score() -> dict[str, Any]:
    return {"minimum": 1, "maximum": 5}


# ---------------------------------------------------------------------------------------------
# bodies


class WhistleIn(InputSchema):
    kind: WhistleKind = Field(description="哨类：routine 日常哨 / tough 攻坚哨 / emergency 应急哨")
    reason: WhistleReason = Field(
        description="吹哨事由：beyond_street 群众诉求街道解决不了 / enforcement 综合执法 / "
        "emergency 应急处置"
    )
    description: str = Field(description="情况说明", json_schema_extra=_limit(DESCRIPTION_MAX))
    address: str = Field(description="地点", json_schema_extra=_limit(ADDRESS_MAX))
    # Items are checked by the service, so that a bad one reads "部门选择有误" on this field
    # (pydantic would name the error after the item's index).
    departments: list[Any] = Field(
        description="召集的职能部门 id（见 GET /departments：本区的和本街道的启用部门），"
        f"至少 1 个，最多 {MAX_DEPARTMENTS} 个；表单提交时重复填写 `departments`",
        json_schema_extra={"items": {"type": "integer"}},
    )
    title: str = Field(
        default="",
        description="事项（不填则取关联工单的类别名，或情况说明的开头）",
        json_schema_extra=_limit(TITLE_MAX),
    )
    ticket: str = Field(
        default="",
        description="关联的工单号，如 GR-20261127-000001：须是本人可见、未办结的工单；"
        "看不到或不存在时为该字段的错误",
    )

    @field_validator("departments", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return value if isinstance(value, list) else [value]


class ReportInIn(InputSchema):
    mode: ReportMode = Field(description="报到方式：on_site 到现场 / remote 远程对接")
    commitment: str = Field(
        description="承诺事项：做什么、何时到位", json_schema_extra=_limit(COMMITMENT_MAX)
    )


class WhistleActionIn(InputSchema):
    note: str = Field(description="处置情况", json_schema_extra=_limit(NOTE_MAX))


class ReleaseIn(InputSchema):
    note: str = Field(
        description="放行说明：该部门的事已办完，或召集错了", json_schema_extra=_limit(NOTE_MAX)
    )


class WithdrawIn(InputSchema):
    note: str = Field(description="撤离原因", json_schema_extra=_limit(NOTE_MAX))


class ConfirmIn(InputSchema):
    note: str = Field(
        default="", description="确认说明（可不填）", json_schema_extra=_limit(NOTE_MAX)
    )


class WhistleRatingIn(InputSchema):
    """One body for both sides of 双考核: the whistler rates a department (department and the
    three scores), a summoned department rates the whistle (necessary)."""

    department: int | None = Field(
        default=None,
        description="吹哨方评价时必填：被评价部门的 id。部门评价吹哨时可不填"
        "（同一人属于几个被召集部门时须填写）",
    )
    timeliness: int | None = Field(
        default=None, description="吹哨方评价：响应及时（1–5 分）", json_schema_extra=_score()
    )
    attitude: int | None = Field(
        default=None, description="吹哨方评价：工作态度（1–5 分）", json_schema_extra=_score()
    )
    result: int | None = Field(
        default=None, description="吹哨方评价：处置效果（1–5 分）", json_schema_extra=_score()
    )
    necessary: bool | None = Field(
        default=None, description="部门评价：这次吹哨是否确有必要（必填）"
    )
    comment: str = Field(
        default="",
        description="评语；部门认为没有必要时必填",
        json_schema_extra=_limit(NOTE_MAX),
    )


class FlagClearIn(InputSchema):
    note: str = Field(description="核查说明：查明的情况和处理", json_schema_extra=_limit(NOTE_MAX))


# ---------------------------------------------------------------------------------------------
# answers


class WhistleUnitRef(Schema):
    id: int
    code: str
    name: str


class WhistlePhotoOut(Schema):
    id: int
    url: str = Field(description="照片地址（仅能看到该吹哨的用户可以打开）")
    content_type: str
    width: int
    height: int


class DepartmentRatingOut(Schema):
    timeliness: int
    attitude: int
    result: int
    average: float = Field(description="三项的平均分")
    comment: str
    created_at: datetime


class WhistleRatingOut(Schema):
    necessary: bool
    comment: str
    created_at: datetime


class SummonsOut(Schema):
    department: WhistleUnitRef
    state: SummonsState
    state_label: str
    created_at: datetime
    report_by: datetime = Field(description="报到时限")
    reported_at: datetime | None
    reported_by: str | None = Field(description="报到人")
    report_mode: ReportMode | None
    report_mode_label: str | None
    commitment: str
    on_time: bool | None = Field(description="是否按时报到；尚未报到为 null")
    minutes_to_report: int | None = Field(description="从召集到报到的分钟数")
    is_late: bool = Field(description="尚未报到且已过报到时限")
    closed_at: datetime | None
    close_note: str
    rating: DepartmentRatingOut | None = Field(description="吹哨方对该部门的评价")
    whistle_rating: WhistleRatingOut | None = Field(description="该部门对这次吹哨的评价")


class WhistleEventOut(Schema):
    id: int
    kind: WhistleEventKind
    label: str
    actor_label: str = Field(description="操作人；定时检查为“系统”")
    note: str
    data: dict[str, Any]
    at: datetime
    department: WhistleUnitRef | None = Field(description="涉及的部门")
    photos: list[WhistlePhotoOut]


class WhistleActionsOut(Schema):
    """What the caller may do now; the lists hold department ids for the summons URLs."""

    confirm: bool = Field(description="可确认问题已解决（POST /whistles/{number}/confirm）")
    release: list[int] = Field(description="可放行的部门")
    rate_department: list[int] = Field(description="可评价的部门")
    report_in: list[int] = Field(description="本人可为之报到的部门")
    act: list[int] = Field(description="本人可为之记录处置情况的部门")
    withdraw: list[int] = Field(description="本人所在、尚未结束召集的部门")
    rate_whistle: list[int] = Field(description="本人所在、尚未评价这次吹哨的部门")


class WhistleOut(Schema):
    number: str
    kind: WhistleKind
    kind_label: str
    reason: WhistleReason
    reason_label: str
    title: str
    address: str
    state: WhistleState
    state_label: str
    area: WhistleUnitRef = Field(description="吹哨单位（街道或社区）")
    street: WhistleUnitRef
    whistler: str = Field(description="吹哨人")
    ticket: str | None = Field(description="关联的工单号")
    created_at: datetime
    solved_at: datetime | None
    summonses: list[SummonsOut]


class WhistleDetailOut(WhistleOut):
    description: str
    solved_note: str
    photos: list[WhistlePhotoOut] = Field(description="吹哨时的照片")
    timeline: list[WhistleEventOut] = Field(description="各部门共同的处置记录，从早到晚")
    actions: WhistleActionsOut


class WhistlePageOut(Schema):
    items: list[WhistleOut]
    next_cursor: str | None = Field(description="下一页的游标；没有更多时为空")


class FlagOut(Schema):
    id: int
    kind: FlagKind
    kind_label: str
    state: FlagState
    state_label: str
    department: WhistleUnitRef | None
    whistle: str | None = Field(description="所在吹哨的编号")
    ticket: str | None = Field(description="来回推诿的工单号")
    street: WhistleUnitRef
    detail: str
    data: dict[str, Any]
    created_at: datetime
    cleared_at: datetime | None
    cleared_by: str | None
    clear_note: str


class FlagPageOut(Schema):
    items: list[FlagOut]
    next_cursor: str | None = Field(description="下一页的游标；没有更多时为空")


class DepartmentMeasuresOut(Schema):
    department_id: int
    code: str
    name: str
    month: str = Field(description="YYYY-MM")
    received: int = Field(description="当月收到的召集")
    due: int = Field(description="应已报到的召集（已报到，或已过报到时限）")
    on_time: int = Field(description="按时报到")
    reported: int = Field(description="已报到")
    on_time_rate: float | None = Field(description="按时报到率 = 按时报到 / 应已报到")
    minutes_to_report: float | None = Field(description="平均报到用时（分钟）")
    ended: int = Field(description="已结束的召集（确认解决、放行、撤离）")
    solved: int = Field(description="经吹哨方确认解决")
    solved_share: float | None = Field(description="解决占比 = 确认解决 / 已结束")
    ratings: int = Field(description="吹哨方评价数")
    rating: float | None = Field(description="吹哨方评价的平均分（1–5）")
    flags: int = Field(description="当月推诿扯皮记录")
