"""What the appraisal API (民主评议党员) takes and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from grassroots.core.api import InputSchema

from .models import AppraisalStage, Grade
from .schemas import OrgRef

MAX_ID = 2_147_483_647  # ids in bodies and filters: a database integer

# --- in ------------------------------------------------------------------------------------------


class AppraisalFilter(InputSchema):
    org: int | None = Field(default=None, ge=1, le=MAX_ID, description="党支部 id")
    year: int | None = Field(default=None, ge=1, le=9999, description="年度")


class AppraisalOpenIn(InputSchema):
    org: int = Field(ge=1, le=MAX_ID, description="党支部 id")
    year: int = Field(ge=1, le=9999, description="年度，不能是以后的年度")


class AppraisalAdvanceIn(InputSchema):
    to_stage: AppraisalStage = Field(description="下一阶段：peer / ballot / assessment / done")


class AppraisalSelfIn(InputSchema):
    text: str = Field(default="", description="个人自评，不超过 2000 字")


class AppraisalPeerIn(InputSchema):
    about: int = Field(ge=1, le=MAX_ID, description="被评议党员的 id（本党小组的党员）")
    text: str = Field(default="", description="互评意见，不超过 500 字")


class AppraisalBallotIn(InputSchema):
    grades: dict[int, Grade] = Field(
        description='每一位本支部党员的等次：{"<党员 id>": "excellent" | "qualified" | '
        '"basic" | "unqualified", …}'
    )


class AppraisalAssessmentIn(InputSchema):
    member: int = Field(ge=1, le=MAX_ID, description="党员 id")
    grade: Grade = Field(description="评定等次")
    reason: str = Field(
        default="", description="评定理由，必填，不超过 500 字；与民主测评多数意见不同时尤须写明"
    )


# --- out -----------------------------------------------------------------------------------------


class AppraisalOut(Schema):
    id: int
    org: OrgRef
    year: int
    stage: str = Field(
        description="self 个人自评 / peer 党员互评 / ballot 民主测评 / "
        "assessment 组织评定 / done 已完成"
    )
    stage_label: str
    opened_at: datetime
    closed_at: datetime | None

    @staticmethod
    def resolve_stage_label(obj: Any) -> str:
        if isinstance(obj, dict):
            return str(obj["stage_label"])
        return str(obj.get_stage_display())


class AppraisalMemberOut(Schema):
    id: int
    name: str
    status: str = Field(description="full 正式党员 / probationary 预备党员（不投票）")
    status_label: str
    group_id: int | None
    self_assessed: bool | None = Field(description="是否已填写个人自评；只对组织评议的人给出")


class AppraisalProgressOut(Schema):
    members: int = Field(description="参加评议的党员数")
    voters: int = Field(description="有表决权的正式党员数")
    self_assessed: int
    peer_reviews: int
    ballots_cast: int = Field(description="已投票人数（不含选了什么）")
    turnout: float = Field(description="投票率：已投票人数 ÷ 正式党员数")
    assessed: int


class AppraisalMemberRef(Schema):
    id: int
    name: str


class AppraisalPeerOut(Schema):
    by: AppraisalMemberRef
    text: str


class AppraisalAssessmentOut(Schema):
    grade: str
    grade_label: str
    reason: str
    assessed_at: datetime


class AppraisalResultOut(Schema):
    member_id: int
    tallies: dict[str, int] = Field(description="各等次的票数：只有计数，没有选票")
    majority: str | None = Field(description="得票超过半数的等次；没有则为空")
    self_assessment: str | None
    peer_reviews: list[AppraisalPeerOut]
    assessment: AppraisalAssessmentOut | None


class AppraisalMyPeerOut(Schema):
    about: int
    text: str


class AppraisalMeOut(Schema):
    member_id: int
    may_vote: bool = Field(description="正式党员才有表决权")
    has_voted: bool = Field(description="是否已投票；选了什么不记录")
    self_assessment: str | None
    peer_targets: list[int] = Field(description="可以互评的党员 id（本党小组，未编组则本支部）")
    peer_reviews: list[AppraisalMyPeerOut]
    assessment: AppraisalAssessmentOut | None = Field(
        description="支部对本人的评定，评议完成后给出"
    )


class AppraisalDetailOut(AppraisalOut):
    may_run: bool = Field(description="调用者能否组织本次评议（推进阶段、评定）")
    next_stage: str | None
    members: list[AppraisalMemberOut]
    progress: AppraisalProgressOut | None = Field(description="进度；只对组织评议的人给出")
    me: AppraisalMeOut | None = Field(description="调用者是本支部党员时，本人的部分")
    results: list[AppraisalResultOut] | None = Field(
        description="每名党员的票数、多数意见、自评、互评和评定；只对组织评议的人、"
        "从组织评定阶段起给出"
    )
