"""/api/v1/ for organisational life: member appraisal (民主评议党员).

Adapters (DESIGN.md rule 1): the appraisal through the caller's scope (invisible is 404), then
one service, which judges the role (403), the stage (400 `wrong_state`) and races (409). The
ballot answers only that the caller has voted: nothing the API returns links a voter to a
grade, and the counters are shown only to those who run the appraisal, from the assessment
stage on.
"""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from grassroots.accounts.typing import AuthedRequest
from grassroots.core.api import LimitOffset, errors
from grassroots.core.errors import NotFound, field_error
from grassroots.core.scoping import get_visible

from .appraisal_schemas import (
    AppraisalAdvanceIn,
    AppraisalAssessmentIn,
    AppraisalBallotIn,
    AppraisalDetailOut,
    AppraisalFilter,
    AppraisalOpenIn,
    AppraisalOut,
    AppraisalPeerIn,
    AppraisalSelfIn,
)
from .life_rules import member_of
from .models import Appraisal, Assessment, PartyMember, PartyOrg
from .services import appraisal as services
from .services.appraisal import AppraisalState, appraisal_state

router = Router(tags=["org-life"])


def _appraisals(user: Any) -> QuerySet[Appraisal]:
    return Appraisal.objects.visible_to(user).select_related("org")


def _find(request: AuthedRequest, appraisal_id: int) -> Appraisal:
    appraisal: Appraisal = get_visible(_appraisals(request.user), request.user, pk=appraisal_id)
    return appraisal


def _org(request: AuthedRequest, org_id: int) -> PartyOrg:
    """A branch the caller may see: in their territory, or their own branch (a member who
    leads it may have no territory at all)."""
    user = request.user
    org = PartyOrg.objects.visible_to(user).filter(pk=org_id).first()
    if org is None:
        member = member_of(user)
        if member is not None and member.branch_id == org_id:
            org = member.branch
    if org is None:
        raise NotFound()
    return org


def _member_of_branch(appraisal: Appraisal, member_id: int, name: str) -> PartyMember:
    member = PartyMember.objects.filter(pk=member_id, branch_id=appraisal.org_id).first()
    if member is None:
        raise field_error(name, _("请选择本支部的党员。"))
    return member


def _row(appraisal: Appraisal) -> dict[str, Any]:
    return {
        "id": appraisal.pk,
        "org": {"id": appraisal.org_id, "name": appraisal.org.name},
        "year": appraisal.year,
        "stage": appraisal.stage,
        "stage_label": appraisal.get_stage_display(),
        "opened_at": appraisal.opened_at,
        "closed_at": appraisal.closed_at,
    }


def _assessment(row: Assessment | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "grade": row.grade,
        "grade_label": row.get_grade_display(),
        "reason": row.reason,
        "assessed_at": row.assessed_at,
    }


def _detail(state: AppraisalState) -> dict[str, Any]:
    appraisal = state.appraisal
    me = state.me
    progress = state.progress
    return {
        **_row(appraisal),
        "may_run": state.may_run,
        "next_stage": state.next_stage,
        "members": [
            {
                "id": m.pk,
                "name": m.name,
                "status": m.status,
                "status_label": m.get_status_display(),
                "group_id": m.group_id,
                "self_assessed": (m.pk in state.self_ids) if state.may_run else None,
            }
            for m in state.members
        ],
        "progress": None
        if progress is None
        else {
            "members": progress.members,
            "voters": progress.voters,
            "self_assessed": progress.self_assessed,
            "peer_reviews": progress.peer_reviews,
            "ballots_cast": progress.ballots_cast,
            "turnout": round(progress.turnout, 4),
            "assessed": progress.assessed,
        },
        "me": None
        if me is None
        else {
            "member_id": me.member.pk,
            "may_vote": me.may_vote,
            "has_voted": me.has_voted,
            "self_assessment": me.self_assessment,
            "peer_targets": [m.pk for m in me.peer_targets],
            "peer_reviews": [
                {"about": about, "text": text} for about, text in sorted(me.my_reviews.items())
            ],
            "assessment": _assessment(me.assessment),
        },
        "results": None
        if state.results is None
        else [
            {
                "member_id": r.member.pk,
                "tallies": r.tallies,
                "majority": r.majority,
                "self_assessment": r.self_assessment,
                "peer_reviews": [
                    {"by": {"id": p.by.pk, "name": p.by.name}, "text": p.text} for p in r.peers
                ],
                "assessment": _assessment(r.assessment),
            }
            for r in state.results
        ],
    }


def _answer(request: AuthedRequest, appraisal: Appraisal) -> dict[str, Any]:
    # Read again: whoever just acted is shown the appraisal as it now is.
    fresh = Appraisal.objects.select_related("org").get(pk=appraisal.pk)
    return _detail(appraisal_state(request.user, fresh))


LIST_ERRORS = errors(400, 401)
DETAIL_ERRORS = errors(400, 401, 404)
ACTION_ERRORS = errors(400, 401, 403, 404, 409)


@router.get(
    "/appraisals",
    response={200: list[AppraisalOut], **LIST_ERRORS},
    summary="我可见的民主评议",
    description="调用者可见的民主评议党员：辖区内党支部的，以及本人所在支部的；"
    "可按党支部（`org`）和年度（`year`）筛选，按年度从新到旧。"
    "按 `limit`（每页条数，最多 500）和 `offset`（跳过的条数）分页，`count` 为总数。",
)
@paginate(LimitOffset)
def appraisal_list(request: AuthedRequest, filters: Query[AppraisalFilter]) -> QuerySet[Appraisal]:
    rows = _appraisals(request.user).order_by("-year", "org__path", "pk")
    if filters.org is not None:
        rows = rows.filter(org_id=filters.org)
    if filters.year is not None:
        rows = rows.filter(year=filters.year)
    return rows


@router.post(
    "/appraisals",
    response={201: AppraisalDetailOut, **ACTION_ERRORS},
    summary="开展民主评议",
    description="为一个党支部开展某一年度的民主评议党员，从“个人自评”阶段开始，并通知有账号的"
    "党员。支部书记、委员或所在辖区的党务工作人员可以开展（其他人 403）；每个支部每年一次"
    "（已开展 409）；不能为以后的年度开展（400）。看不到的支部 404。",
)
def appraisal_open(request: AuthedRequest, payload: AppraisalOpenIn) -> Status[dict[str, Any]]:
    org = _org(request, payload.org)
    appraisal = services.appraisal_open(actor=request.user, org=org, year=payload.year)
    return Status(201, _answer(request, appraisal))


@router.get(
    "/appraisals/{appraisal_id}",
    response={200: AppraisalDetailOut, **DETAIL_ERRORS},
    summary="民主评议详情",
    description="阶段和参加评议的党员。组织评议的人（支部书记、委员、辖区党务工作人员）还能看到"
    "进度（谁已自评、投票率），从“组织评定”阶段起能看到每名党员的票数、多数意见、自评和互评；"
    "本支部党员看到本人的自评、互评意见和是否已投票（从不显示投了什么）。看不到的 404。",
)
def appraisal_detail(request: AuthedRequest, appraisal_id: int) -> dict[str, Any]:
    return _detail(appraisal_state(request.user, _find(request, appraisal_id)))


@router.post(
    "/appraisals/{appraisal_id}/advance",
    response={200: AppraisalDetailOut, **ACTION_ERRORS},
    summary="进入下一阶段",
    description="按顺序进入下一阶段：个人自评 → 党员互评 → 民主测评 → 组织评定 → 已完成；"
    "跳过或倒退为 400。进入“已完成”须每名党员都已评定（否则 400，列出未评定的党员）。"
    "两人同时推进时后到的 409。只有组织评议的人可以推进（403）。",
)
def appraisal_advance(
    request: AuthedRequest, appraisal_id: int, payload: AppraisalAdvanceIn
) -> dict[str, Any]:
    appraisal = _find(request, appraisal_id)
    services.appraisal_advance(
        actor=request.user, appraisal=appraisal, to_stage=payload.to_stage.value
    )
    return _answer(request, appraisal)


@router.post(
    "/appraisals/{appraisal_id}/self",
    response={200: AppraisalDetailOut, **ACTION_ERRORS},
    summary="填写个人自评",
    description="本支部党员本人填写个人自评（不超过 2000 字），“个人自评”阶段内可以修改。"
    "不是本支部党员 403；其他阶段 400（`wrong_state`）。",
)
def self_assessment(
    request: AuthedRequest, appraisal_id: int, payload: AppraisalSelfIn
) -> dict[str, Any]:
    appraisal = _find(request, appraisal_id)
    services.self_assessment_submit(actor=request.user, appraisal=appraisal, text=payload.text)
    return _answer(request, appraisal)


@router.post(
    "/appraisals/{appraisal_id}/peer",
    response={200: AppraisalDetailOut, **ACTION_ERRORS},
    summary="写互评意见",
    description="本支部党员对本党小组的另一名党员（未编入党小组的，对本支部的党员）写出署名的"
    "互评意见（不超过 500 字）；每人对每人一条，“党员互评”阶段内可以修改。不能评议自己（400）。",
)
def peer_review(
    request: AuthedRequest, appraisal_id: int, payload: AppraisalPeerIn
) -> dict[str, Any]:
    appraisal = _find(request, appraisal_id)
    about = _member_of_branch(appraisal, payload.about, "about")
    services.peer_review_submit(
        actor=request.user, appraisal=appraisal, about=about, text=payload.text
    )
    return _answer(request, appraisal)


@router.post(
    "/appraisals/{appraisal_id}/ballots",
    response={200: AppraisalDetailOut, **ACTION_ERRORS},
    summary="民主测评投票",
    description="本支部正式党员投一张不记名选票：为本支部每一位党员（含本人）选择等次"
    '（`{"grades": {"<党员 id>": "excellent", …}}`）。系统只记录“已投票”，并把选票计入各等次的'
    "票数，不保存谁投了什么。缺少党员或有非本支部党员为 400；预备党员 403；"
    "再次投票 409（`already_voted`），什么也不改变。",
)
def ballot(request: AuthedRequest, appraisal_id: int, payload: AppraisalBallotIn) -> dict[str, Any]:
    appraisal = _find(request, appraisal_id)
    grades = {member_id: grade.value for member_id, grade in payload.grades.items()}
    services.ballot_cast(actor=request.user, appraisal=appraisal, grades=grades)
    return _answer(request, appraisal)


@router.post(
    "/appraisals/{appraisal_id}/assessments",
    response={200: AppraisalDetailOut, **ACTION_ERRORS},
    summary="组织评定",
    description="支部委员会评定一名党员的等次并写明理由（必填，不超过 500 字；与民主测评多数意见"
    "不同时尤须写明）；“组织评定”阶段内可以修改。只有组织评议的人可以评定（403）。",
)
def assessment(
    request: AuthedRequest, appraisal_id: int, payload: AppraisalAssessmentIn
) -> dict[str, Any]:
    appraisal = _find(request, appraisal_id)
    member = _member_of_branch(appraisal, payload.member, "member")
    services.assessment_set(
        actor=request.user,
        appraisal=appraisal,
        member=member,
        grade=payload.grade.value,
        reason=payload.reason,
    )
    return _answer(request, appraisal)
