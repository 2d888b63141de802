"""Schemas of the meetings API (三会一课 and the rest). Names start with Meeting… or say what
they are of: Ninja puts every schema of every router in one OpenAPI namespace."""

from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from grassroots.core.api import InputSchema

from .models import AttendanceStatus, MeetingState


def _limit(n: int) -> dict[str, Any]:
    # Documented only: the services check lengths and answer with a Chinese message.
    return {"maxLength": n}


# ---------------------------------------------------------------------------------------------
# queries and bodies


class MeetingFilter(InputSchema):
    org: int | None = Field(default=None, description="党组织 id：只列出该组织的会议")
    kind: str = Field(
        default="",
        description="会议类型代码：general_meeting 支部党员大会 / committee_meeting 支委会 / "
        "group_meeting 党小组会 / party_lecture 党课 / theme_day 主题党日 / org_life_review "
        "组织生活会 / member_appraisal 民主评议党员 / heart_to_heart 谈心谈话",
    )
    state: MeetingState | None = Field(
        default=None,
        description="planned 已计划 / recorded 待确认 / confirmed 已确认 / cancelled 已取消",
    )
    since: date | None = Field(
        default=None, alias="from", description="计划时间从这一天起（含），如 2026-01-01"
    )
    until: date | None = Field(
        default=None, alias="to", description="计划时间到这一天止（含），如 2026-12-31"
    )


class MeetingCandidatesFilter(InputSchema):
    org: int = Field(description="党组织 id")
    days: int = Field(default=30, ge=1, le=366, description="诉求热点统计最近多少天")
    min_count: int = Field(default=3, ge=2, le=1000, description="同类同区域至少多少件算热点")
    limit: int = Field(default=10, ge=1, le=50, description="每类最多列出几条")


class MeetingAgendaIn(InputSchema):
    title: str = Field(
        default="",
        description="议题；来自工单、吹哨或热点时可不填，自动生成",
        json_schema_extra=_limit(200),
    )
    ticket: str | int | None = Field(
        default=None,
        description="工单号（如 GR-20261127-000001）或工单 id：须本人可见、在本组织区域内",
    )
    whistle: str | int | None = Field(
        default=None, description="吹哨编号或 id：须本人可见、在本组织区域内"
    )
    hotspot_category: str | int | None = Field(
        default=None, description="诉求热点的类别代码（如 0101）或 id"
    )
    hotspot_area: int | None = Field(default=None, description="诉求热点的区域 id")
    hotspot_count: int | None = Field(default=None, ge=1, description="诉求热点的件数")


class MeetingPlanIn(InputSchema):
    org: int = Field(description="党组织 id")
    kind: str = Field(description="会议类型代码，如 committee_meeting")
    planned_at: datetime = Field(description="会议时间，如 2026-11-27T09:30:00+08:00")
    title: str = Field(
        default="", description="会议名称；不填为“日期+会议类型”", json_schema_extra=_limit(100)
    )
    place: str = Field(default="", description="地点", json_schema_extra=_limit(100))
    chair: int | None = Field(default=None, description="主持人（党员 id）")
    recorder: int | None = Field(default=None, description="记录人（党员 id）")
    agenda: list[MeetingAgendaIn] = Field(default=[], max_length=30, description="议程")


class MeetingAttendanceIn(InputSchema):
    member: int = Field(description="党员 id")
    status: AttendanceStatus = Field(description="present 出席 / excused 请假 / absent 无故缺席")
    reason: str = Field(
        default="", description="缺席原因（请假必填）", json_schema_extra=_limit(200)
    )


class MeetingResolutionIn(InputSchema):
    text: str = Field(description="决议内容", json_schema_extra=_limit(500))
    votes_for: int | None = Field(default=None, ge=0, le=32767, description="赞成票")
    votes_against: int | None = Field(default=None, ge=0, le=32767, description="反对票")
    votes_abstain: int | None = Field(default=None, ge=0, le=32767, description="弃权票")


class MeetingItemIn(InputSchema):
    title: str = Field(
        default="", description="议题；对应议程时可不填", json_schema_extra=_limit(200)
    )
    minutes: str = Field(default="", description="会议记录", json_schema_extra=_limit(10000))
    agenda_item: int | None = Field(default=None, description="对应的议程 id")
    resolutions: list[MeetingResolutionIn] = Field(default=[], max_length=20)


class MeetingRecordIn(InputSchema):
    held_at: datetime = Field(description="召开时间，不能晚于现在")
    chair: int = Field(description="主持人（党员 id）")
    recorder: int = Field(description="记录人（党员 id）")
    place: str = Field(default="", description="地点", json_schema_extra=_limit(100))
    guests: str = Field(default="", description="列席人员", json_schema_extra=_limit(500))
    remarks: str = Field(default="", description="备注", json_schema_extra=_limit(5000))
    covers: date | None = Field(
        default=None,
        description="计入周期（该月、季度或年度的第一天）；不填为召开时间所在的周期。"
        "补开的会议可填以前的周期，最多 12 个月以前",
    )
    attendance: list[MeetingAttendanceIn] = Field(
        max_length=1000, description="每位应到党员一条，不多不少；谈心谈话为两人"
    )
    items: list[MeetingItemIn] = Field(default=[], max_length=30, description="各议题的记录")


class MeetingCorrectionIn(MeetingRecordIn):
    reason: str = Field(description="更正原因", json_schema_extra=_limit(500))


class MeetingCancelIn(InputSchema):
    reason: str = Field(description="取消原因", json_schema_extra=_limit(200))


class FollowUpIn(InputSchema):
    title: str = Field(description="任务", json_schema_extra=_limit(200))
    owner: int = Field(description="负责人（本支部党员 id）")
    due_on: date = Field(description="完成期限，不早于今天")
    resolution: int | None = Field(default=None, description="来自本次会议记录中的哪条决议（id）")


class FollowUpDoneIn(InputSchema):
    note: str = Field(default="", description="完成情况", json_schema_extra=_limit(500))


# ---------------------------------------------------------------------------------------------
# answers


class MeetingRef(Schema):
    id: int
    name: str


class MeetingKindRef(Schema):
    code: str
    name: str


class MeetingOut(Schema):
    id: int
    title: str
    org: MeetingRef
    kind: MeetingKindRef
    state: str
    state_label: str
    planned_at: datetime
    place: str
    chair: MeetingRef | None
    recorder: MeetingRef | None
    held_at: datetime | None = Field(description="召开时间（以当前记录为准）")
    covers: date | None = Field(description="计入周期的第一天；早于召开时间所在周期的为补开")
    version: int = Field(description="当前记录的版本，0 为尚未记录")
    cancel_reason: str

    @staticmethod
    def resolve_state_label(obj: Any) -> str:
        # A meeting from the list's page, or the detail already put in words.
        if isinstance(obj, dict):
            return str(obj["state_label"])
        return str(obj.get_state_display())


class MeetingPageOut(Schema):
    items: list[MeetingOut]
    count: int


class MeetingHotspotOut(Schema):
    category: dict[str, Any] = Field(description="{id, code, name}")
    area: MeetingRef
    count: int


class MeetingAgendaOut(Schema):
    id: int
    order: int
    title: str
    source: str = Field(
        description="manual 支部提出 / ticket 群众诉求 / hotspot 诉求热点 / whistle 吹哨事项"
    )
    source_label: str
    ticket: str | None = Field(description="工单号")
    whistle: str | None = Field(description="吹哨编号")
    hotspot: MeetingHotspotOut | None


class MeetingAttendanceOut(Schema):
    member: int
    name: str
    status: str
    status_label: str
    reason: str
    voting: bool = Field(description="有表决权（预备党员没有）")


class MeetingResolutionOut(Schema):
    id: int
    order: int
    text: str
    votes_for: int | None
    votes_against: int | None
    votes_abstain: int | None
    passed: bool
    outcome: str = Field(description="未通过时的原因（如未达到法定人数）")


class MeetingItemOut(Schema):
    id: int
    order: int
    title: str
    minutes: str
    agenda_item: int | None
    resolutions: list[MeetingResolutionOut]


class MeetingVersionOut(Schema):
    version: int
    created_at: datetime
    correction_reason: str
    chair_confirmed_at: datetime | None
    recorder_confirmed_at: datetime | None
    locked_at: datetime | None


class MeetingRecordOut(MeetingVersionOut):
    held_at: datetime
    place: str
    chair: MeetingRef
    recorder: MeetingRef
    guests: str
    remarks: str
    expected: int = Field(description="应到人数")
    present: int = Field(description="实到人数")
    voting_expected: int = Field(description="有表决权应到人数")
    voting_present: int = Field(description="有表决权实到人数")
    quorum_met: bool = Field(description="达到法定人数")
    attendance: list[MeetingAttendanceOut]
    items: list[MeetingItemOut]


class FollowUpOut(Schema):
    id: int
    meeting: int
    title: str
    owner: MeetingRef
    due_on: date
    state: str = Field(description="open 办理中 / done 已完成")
    state_label: str
    overdue: bool
    resolution: int | None
    ticket: str | None
    whistle: str | None
    done_at: datetime | None
    done_note: str


class MeetingAttachmentOut(Schema):
    id: int
    name: str = Field(description="上传时的文件名")
    content_type: str = Field(
        description="按内容识别的类型：image/jpeg、image/png、image/webp 或 application/pdf"
    )
    size: int = Field(description="字节数")
    url: str = Field(
        description="下载地址（凭登录会话或同一令牌访问，只有能看到这次会议的人可以下载；"
        "PDF 一律作为附件下载）"
    )
    uploaded_at: datetime


class MeetingDetailOut(MeetingOut):
    agenda: list[MeetingAgendaOut]
    record: MeetingRecordOut | None = Field(description="当前版本的会议记录")
    versions: list[MeetingVersionOut] = Field(description="各版本（更正时保留原版本）")
    followups: list[FollowUpOut]
    attachments: list[MeetingAttachmentOut] = Field(
        description="附件（图片或 PDF，如签字后的纪要扫描件），按上传先后"
    )


MEETING_ATTACHMENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "图片（JPG、PNG、WebP，重新编码并去除位置等元数据）"
                            "或 PDF，按内容检查，不超过 10 MB",
                        }
                    },
                    "required": ["file"],
                }
            }
        },
    }
}


class MeetingTicketOut(Schema):
    number: str | None
    category: str
    area: str
    state: str
    state_label: str
    created_at: datetime
    resolve_by: datetime | None
    reopen_count: int
    on_agenda: bool = Field(description="本组织已列入议程")


class MeetingWhistleOut(Schema):
    number: str | None
    title: str
    area: str
    ticket: str | None
    created_at: datetime
    on_agenda: bool = Field(description="本组织已列入议程")


class MeetingCandidatesOut(Schema):
    hotspots: list[MeetingHotspotOut] = Field(description="本组织区域内近期同类诉求集中之处")
    overdue: list[MeetingTicketOut] = Field(description="超期未办结的工单")
    reopened: list[MeetingTicketOut] = Field(description="重办过、尚未结案的工单")
    whistles: list[MeetingWhistleOut] = Field(description="进行中的吹哨")
