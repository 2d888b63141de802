"""/api/v1/ for organisational life: the compliance calendar (合规日历)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from grassroots.core.api import InputSchema, errors

from .compliance import (
    Cell,
    KindRow,
    OrgCompliance,
    compliance_for,
    org_seen_by,
)
from .models import MeetingKind, Period
from .periods import Span, parse_period, span_of

router = Router(tags=["org-life"])


class ComplianceQuery(InputSchema):
    org: int | None = Field(
        default=None,
        description="党组织 id：该组织及其下级的支部和党小组；不填则为调用者能看到的全部",
    )
    period: str | None = Field(
        default=None,
        max_length=7,
        description="期间：`2026`（全年）、`2026-Q3`（季度）或 `2026-07`（月份）；不填为今年",
    )


class ComplianceKindOut(Schema):
    code: str
    name: str
    held_by: str = Field(description="branch / committee / group / pair")
    period: str = Field(description="month / quarter / year")
    times: int = Field(description="每个周期至少召开的次数（谈心谈话按人对计算）")


class ComplianceCellOut(Schema):
    period: str = Field(description="周期：2026、2026-Q3 或 2026-07")
    label: str
    start: date
    end: date
    status: str = Field(
        description="held 按时召开 / late 逾期补开 / missing 未召开 / due 本期待开 / "
        "planned 已计划 / upcoming 未到期"
    )
    status_label: str
    need: int = Field(description="本周期应开次数；谈心谈话为应谈的人对数")
    done: int = Field(description="已确认并计入本周期的次数（含补开）；谈心谈话为已谈人对数")
    late: int = Field(description="其中在周期结束后补开的")
    days_left: int | None = Field(description="当前周期还剩几天；不是当前周期为空")
    planned_on: date | None = Field(description="已计划的会议日期")
    note: str


class ComplianceRowOut(Schema):
    kind: str = Field(description="会议类型代码")
    done: int = Field(description="所选期间内按时或补开的周期数")
    counted: int = Field(description="所选期间内已结束或已开过的周期数")
    late: int
    missing: int
    cells: list[ComplianceCellOut]


class ComplianceOrgOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    parent_id: int | None = Field(description="上级组织（也在结果中时）")
    theme_day: int | None = Field(description="主题党日固定在每月几号")
    behind: list[str] = Field(description="所选期间内有未召开或逾期补开的会议类型代码")
    kinds: list[ComplianceRowOut] = Field(description="本组织要开的会议类型，每类的各个周期")


class ComplianceOut(Schema):
    period: str
    start: date
    end: date
    today: date
    kinds: list[ComplianceKindOut]
    orgs: list[ComplianceOrgOut]


def _cell(cell: Cell) -> dict[str, Any]:
    return {
        "period": cell.span.key,
        "label": cell.span.label,
        "start": cell.span.start,
        "end": cell.span.end,
        "status": cell.status,
        "status_label": cell.status_label,
        "need": cell.need,
        "done": cell.done,
        "late": cell.late,
        "days_left": cell.days_left,
        "planned_on": cell.planned_on,
        "note": cell.note,
    }


def _row(row: KindRow, span: Span) -> dict[str, Any]:
    inside = KindRow(kind=row.kind, cells=[c for c in row.cells if c.span.overlaps(span)])
    return {
        "kind": row.kind.code,
        "done": inside.done,
        "counted": inside.counted,
        "late": inside.late,
        "missing": inside.missing,
        "cells": [_cell(c) for c in inside.cells],
    }


def _org(item: OrgCompliance, span: Span, parents: dict[str, int]) -> dict[str, Any]:
    org = item.org
    rows = [_row(r, span) for r in item.rows]
    return {
        "id": org.pk,
        "name": org.name,
        "kind": org.kind,
        "kind_label": org.get_kind_display(),
        "parent_id": parents.get(org.path[: -org.steplen]),
        "theme_day": org.theme_day,
        "behind": [r["kind"] for r in rows if r["late"] or r["missing"]],
        "kinds": rows,
    }


def _kind(kind: MeetingKind) -> dict[str, Any]:
    return {
        "code": kind.code,
        "name": kind.name,
        "held_by": kind.held_by,
        "period": kind.period,
        "times": kind.times,
    }


@router.get(
    "/compliance",
    response={200: ComplianceOut, **errors(400, 401, 404)},
    summary="组织生活合规日历",
    description="支部和党小组按月、季度、年度应开的会议（三会一课、主题党日、组织生活会、"
    "民主评议、谈心谈话）是否按时召开：held 按时召开、late 逾期补开、missing 未召开、"
    "due 本期待开（附剩余天数）、planned 已计划、upcoming 未到期。只统计已确认的会议记录；"
    "补开的会议计入它补的那个周期，显示为逾期补开。"
    "`org` 为党组织 id（该组织及其下级的支部和党小组，看不到的组织 404）；不填则为调用者"
    "能看到的全部。`period` 为 `2026`、`2026-Q3` 或 `2026-07`，不填为今年，格式不对 400；"
    "返回与该期间重叠的各个周期（如查询某月时，也返回该月所在季度和年度的格子）。"
    "社区、街道党务工作人员看到本辖区；党员看到本人所在支部和党小组；"
    "没有党务范围的居民、部门工作人员得到空结果。",
)
def compliance(request: HttpRequest, filters: Query[ComplianceQuery]) -> dict[str, Any]:
    user = request.user
    today = timezone.localdate()
    span = (
        parse_period(filters.period) if filters.period is not None else span_of(Period.YEAR, today)
    )
    root = org_seen_by(user, filters.org) if filters.org is not None else None
    result = compliance_for(user, span.start.year, today, root=root)
    parents = {o.org.path: o.org.pk for o in result.orgs}
    return {
        "period": span.key,
        "start": span.start,
        "end": span.end,
        "today": today,
        "kinds": [_kind(k) for k in result.kinds],
        "orgs": [_org(o, span, parents) for o in result.orgs],
    }
