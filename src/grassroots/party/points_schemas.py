"""What /api/v1/members/{id}/points takes and answers."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Schema
from pydantic import Field

from grassroots.core.api import InputSchema


class PointRuleTotalOut(Schema):
    code: str | None = Field(description="规则代码；人工调整为空")
    name: str
    points: int


class PointMeetingOut(Schema):
    id: int
    title: str
    kind: str = Field(description="会议类型代码")
    kind_label: str
    held_on: date = Field(description="召开日期（未记录时为计划日期）")


class PointSourceOut(Schema):
    kind: str = Field(description="meeting：会议记录；ticket：办结的工单；adjustment：人工调整")
    label: str = Field(description="来源的文字说明")
    url: str = Field(description="来源页面的地址；人工调整为空")
    meeting: PointMeetingOut | None = None
    ticket: str | None = Field(default=None, description="工单号")
    actor: str | None = Field(default=None, description="人工调整的操作人")


class PointEntryOut(Schema):
    id: int
    points: int
    rule: str | None = Field(description="规则代码；人工调整为空")
    rule_name: str | None
    reason: str
    created_at: datetime = Field(description="记入时间")
    source: PointSourceOut


class PointsOut(Schema):
    member_id: int
    member_name: str
    total: int = Field(description="积分合计")
    this_year: int = Field(description="今年记入的积分")
    by_rule: list[PointRuleTotalOut] = Field(description="按规则合计")
    entries: list[PointEntryOut] = Field(description="积分记录，新的在前")
    next_cursor: str | None = Field(description="下一页的游标；没有下一页为空")


class PointsAdjustIn(InputSchema):
    points: int = Field(description="调整分值：非零整数，-50 到 50")
    reason: str = Field(default="", description="调整原因，必填，不超过 200 字")
