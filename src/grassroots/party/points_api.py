"""/api/v1/ for organisational life: points (党员积分). A member's ledger is read by the member
and by the staff whose scope covers their branch (`PartyMember.objects.visible_to`; anyone
else gets 404); an adjustment goes through `points_adjust` (403 for those who may not)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from ninja import Query, Router, Status

from grassroots.accounts.typing import AuthedRequest
from grassroots.core.api import errors
from grassroots.core.pages import PageQuery, keyset_page
from grassroots.core.scoping import get_visible

from .models import PartyMember, PointEntry
from .points_schemas import PointEntryOut, PointsAdjustIn, PointsOut
from .services.points import entry_source, ledger, points_adjust, points_summary

router = Router(tags=["org-life"])


def entry_out(entry: PointEntry) -> dict[str, Any]:
    source = entry_source(entry)
    meeting = source.meeting
    return {
        "id": entry.pk,
        "points": entry.points,
        "rule": entry.rule.code if entry.rule else None,
        "rule_name": entry.rule.name if entry.rule else None,
        "reason": entry.reason,
        "created_at": entry.created_at,
        "source": {
            "kind": source.kind,
            "label": source.label,
            "url": source.url,
            "meeting": (
                {
                    "id": meeting.pk,
                    "title": meeting.title,
                    "kind": meeting.kind.code,
                    "kind_label": meeting.kind.name,
                    "held_on": timezone.localtime(meeting.held_at or meeting.planned_at).date(),
                }
                if meeting is not None
                else None
            ),
            "ticket": source.ticket,
            "actor": source.actor,
        },
    }


def _member(request: AuthedRequest, member_id: int) -> PartyMember:
    member: PartyMember = get_visible(
        PartyMember.objects.select_related("branch"), request.user, pk=member_id
    )
    return member


@router.get(
    "/members/{member_id}/points",
    response={200: PointsOut, **errors(400, 401, 404)},
    summary="党员积分",
    description="一名党员的积分：合计、今年记入的积分、按规则合计，以及积分记录（新的在前），"
    "每条记录注明来源（会议记录、办结的工单或人工调整的原因和操作人）。"
    "本人和辖区覆盖其支部的工作人员可以查看，其他人 404。"
    "按游标分页：`limit` 每页条数，`cursor` 填上一页返回的 `next_cursor`。",
)
def points_read(request: AuthedRequest, member_id: int, page: Query[PageQuery]) -> dict[str, Any]:
    member = _member(request, member_id)
    summary = points_summary(member)
    entries, next_cursor = keyset_page(ledger(member), page.cursor, page.limit)
    return {
        "member_id": member.pk,
        "member_name": member.name,
        "total": summary.total,
        "this_year": summary.this_year,
        "by_rule": [{"code": r.code, "name": r.name, "points": r.points} for r in summary.by_rule],
        "entries": [entry_out(e) for e in entries],
        "next_cursor": next_cursor,
    }


@router.post(
    "/members/{member_id}/points",
    response={201: PointEntryOut, **errors(400, 401, 403, 404)},
    summary="人工调整党员积分",
    description="本支部书记、支委或辖区覆盖其支部的党务工作人员人工调整积分：`points` 为非零"
    "整数，每次不超过 ±50 分；`reason` 必填，不超过 200 字。调整记入积分记录（不修改已有记录），"
    "通知本人并记入审计日志。不能调整本人的积分。看不到的党员 404，无权调整 403。",
)
def points_adjust_api(
    request: AuthedRequest, member_id: int, payload: PointsAdjustIn
) -> Status[dict[str, Any]]:
    member = _member(request, member_id)
    entry = points_adjust(
        actor=request.user,
        member=member,
        points=payload.points,
        reason=payload.reason,
        request=request,
    )
    return Status(201, entry_out(ledger(member).get(pk=entry.pk)))
