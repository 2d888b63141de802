from datetime import datetime
from typing import Any, Literal

from django.db.models import Choices
from ninja import Schema
from pydantic import Field

from grassroots.core.api import InputSchema, errors

from .models import (
    DESCRIPTION_MAX,
    OPEN_STATES,
    Channel,
    EventKind,
    HandlingLevel,
    RequestType,
    RespondMethod,
    Satisfaction,
    SlaUnit,
    TicketState,
    Urgency,
)
from .photos import MAX_PHOTOS
from .selectors import listed_name

_LABELS: dict[type[Choices], dict[Any, Any]] = {}


def label(choices: type[Choices], value: Any) -> str:
    """What `get_FOO_display()` answers for a field with these choices: the value's label in
    the active language, or the value itself when it has none. Django builds the whole
    translated list on every call (a lookup of each label); this translates one."""
    labels = _LABELS.get(choices)
    if labels is None:
        labels = _LABELS[choices] = dict(choices.choices)
    return str(labels.get(value, value))


class SlaPolicyOut(Schema):
    id: int
    name: str
    respond_amount: int
    respond_unit: str = Field(description="hours / days / working_days")
    respond_unit_label: str
    resolve_amount: int
    resolve_unit: str = Field(description="hours / days / working_days")
    resolve_unit_label: str
    warn_share: float = Field(description="时限过去这一比例时预警，如 0.8")

    @staticmethod
    def resolve_respond_unit_label(obj: Any) -> str:
        return str(SlaUnit(obj.respond_unit).label)

    @staticmethod
    def resolve_resolve_unit_label(obj: Any) -> str:
        return str(SlaUnit(obj.resolve_unit).label)


class CategoryOut(Schema):
    """One node of the catalogue. The list is flat, in tree order (a node comes before
    everything under it), so `parent_id` and `depth` are enough to nest it."""

    id: int
    code: str
    name: str
    description: str
    depth: int = Field(description="层级，顶层为 1")
    parent_id: int | None
    is_leaf: bool = Field(description="末级类别：上报时选择的是末级类别")
    handling_level: str | None = Field(description="grid / community / street / department")
    handling_level_label: str | None
    keywords: list[str]
    sla_policy: SlaPolicyOut | None = Field(description="末级类别的时限标准")

    @staticmethod
    def resolve_parent_id(obj: Any) -> int | None:
        return getattr(obj, "parent_pk", None)

    @staticmethod
    def resolve_is_leaf(obj: Any) -> bool:
        return not obj.numchild

    @staticmethod
    def resolve_handling_level(obj: Any) -> str | None:
        return obj.handling_level or None

    @staticmethod
    def resolve_handling_level_label(obj: Any) -> str | None:
        return str(HandlingLevel(obj.handling_level).label) if obj.handling_level else None

    @staticmethod
    def resolve_keywords(obj: Any) -> list[str]:
        return list(obj.keyword_list)

    @staticmethod
    def resolve_sla_policy(obj: Any) -> Any:
        return obj.sla_policy if not obj.numchild else None


# ---------------------------------------------------------------------------------------------
# requests (工单)


ERRORS = errors(400, 401, 403, 404, 409)

ActionSlug = Literal[
    "dispatch",
    "reject",
    "merge",
    "approve-extension",
    "accept",
    "respond",
    "return",
    "extend",
    "answer-supervision",
    "resolve",
    "review",
    "reopen",
    "supervise",
]

PHOTOS_FIELD = {
    "photos": {
        "type": "array",
        "items": {"type": "string", "format": "binary"},
        "maxItems": MAX_PHOTOS,
        "description": "照片（JPG、PNG 或 WebP，按内容检查），每张不超过 10 MB，最多 9 张；"
        "位置等元数据会被去除",
    }
}


def multipart_body(schema: type[Schema]) -> dict[str, Any]:
    """`openapi_extra` for an endpoint that takes its body as JSON or as multipart/form-data with
    photos: the same fields either way, plus the files in `photos`."""
    properties = {"type": "object", "properties": PHOTOS_FIELD}
    ref = {"$ref": f"#/components/schemas/{schema.__name__}"}
    return {
        "requestBody": {
            "content": {"multipart/form-data": {"schema": {"allOf": [ref, properties]}}}
        }
    }


def _limit(n: int) -> dict[str, Any]:
    # Documented only: the services check lengths and answer with a Chinese message.
    return {"maxLength": n}


class TicketIn(InputSchema):
    category: str = Field(description="末级诉求类别的编码（见 GET /categories），如 0101")
    description: str = Field(description="诉求内容", json_schema_extra=_limit(DESCRIPTION_MAX))
    address: str = Field(
        default="",
        description="问题所在地址；选了楼栋时可不填（默认为楼栋名）",
        json_schema_extra=_limit(200),
    )
    lat: float | None = Field(default=None, description="纬度（须与经度同时提供）")
    lon: float | None = Field(default=None, description="经度")
    building: str | None = Field(
        default=None, description="楼栋编码；不填则按坐标定位到网格，再不行则用居民的住址"
    )
    urgency: Urgency = Urgency.NORMAL
    request_type: RequestType = RequestType.HELP
    anonymous: bool = Field(default=False, description="对办理人员保密诉求人的姓名和电话")
    contact_name: str = Field(
        default="",
        description="联系人姓名（工作人员代来电群众录入时填写；居民本人提交时取账号信息）",
        json_schema_extra=_limit(50),
    )
    contact_mobile: str = Field(default="", description="联系人 11 位手机号（同上）")


class DispatchIn(InputSchema):
    to: str = Field(description="承办单位：网格、社区（村）、街道（乡镇）的辖区编码或职能部门编码")
    note: str = Field(default="", description="派单说明", json_schema_extra=_limit(2000))


class RespondIn(InputSchema):
    method: RespondMethod = Field(description="联系诉求人的方式")
    note: str = Field(default="", description="联系情况", json_schema_extra=_limit(2000))


class ReturnIn(InputSchema):
    reason: str = Field(
        description="退单理由（派单后 2 个工作日内可退）", json_schema_extra=_limit(500)
    )


class ExtendIn(InputSchema):
    reason: str = Field(description="延期理由", json_schema_extra=_limit(500))
    working_days: int = Field(
        description="延期的工作日数", json_schema_extra={"minimum": 1, "maximum": 10}
    )


class ApproveExtensionIn(InputSchema):
    approve: bool = Field(description="true 同意，false 不同意")
    note: str = Field(
        default="", description="审批意见（不同意时必填）", json_schema_extra=_limit(500)
    )


class ResolveIn(InputSchema):
    result: str = Field(description="办理结果", json_schema_extra=_limit(2000))


class ReviewIn(InputSchema):
    contacted: bool | None = Field(default=None, description="办理人员是否联系过诉求人")
    solved: bool | None = Field(default=None, description="问题是否解决；否则退回原单位重办")
    satisfaction: Satisfaction | None = Field(default=None, description="满意度")
    comment: str = Field(default="", description="评价", json_schema_extra=_limit(500))
    valid: bool = Field(
        default=True,
        description="回访人员未能联系到诉求人时填 false：工单结案，不计入三率"
        "（诉求人本人的评价总是有效）",
    )


class ReopenIn(InputSchema):
    reason: str = Field(description="重办理由", json_schema_extra=_limit(500))


class RejectIn(InputSchema):
    reason: str = Field(description="不予受理的理由", json_schema_extra=_limit(500))
    redirect: str = Field(default="", description="建议的办理渠道", json_schema_extra=_limit(200))


class MergeIn(InputSchema):
    into: str = Field(description="并入的工单号（本辖区内、未合并、未被不予受理）")
    note: str = Field(default="", description="说明", json_schema_extra=_limit(2000))


class SuperviseIn(InputSchema):
    note: str = Field(description="督办意见", json_schema_extra=_limit(500))


class AnswerIn(InputSchema):
    note: str = Field(description="回复内容：正在做什么、何时办结", json_schema_extra=_limit(2000))


class NamedRef(Schema):
    code: str
    name: str


class HandlerOut(Schema):
    kind: Literal["area", "department"]
    code: str
    name: str


class TicketOut(Schema):
    """A ticket in a list: no personal data."""

    number: str
    state: TicketState
    state_label: str
    channel: Channel
    channel_label: str
    request_type: RequestType
    request_type_label: str
    urgency: Urgency
    urgency_label: str
    category: NamedRef
    description: str
    address: str
    area: NamedRef = Field(description="问题所在的最小已知区域（楼栋、网格、社区或街道）")
    street: NamedRef
    handler: HandlerOut | None = Field(description="承办单位；未派单时为空")
    created_at: datetime
    respond_by: datetime | None = Field(description="响应时限（派单时开始计时）")
    resolve_by: datetime | None = Field(description="办结时限")
    deadline_provisional: bool = Field(description="时限所在年份的节假日尚未公布，按周一至周五暂计")
    is_overdue: bool
    is_warning: bool = Field(description="已过预警时间、尚未超期")
    supervised: bool = Field(description="被督办且尚未办结")

    @staticmethod
    def resolve_state_label(obj: Any) -> str:
        return label(TicketState, obj.state)

    @staticmethod
    def resolve_channel_label(obj: Any) -> str:
        return label(Channel, obj.channel)

    @staticmethod
    def resolve_request_type_label(obj: Any) -> str:
        return label(RequestType, obj.request_type)

    @staticmethod
    def resolve_urgency_label(obj: Any) -> str:
        return label(Urgency, obj.urgency)

    # A list row carries its joined rows' code and name as columns (selectors.with_names);
    # a detail has the related objects.
    @staticmethod
    def resolve_category(obj: Any) -> dict[str, str]:
        return listed_name(obj, "category")

    @staticmethod
    def resolve_area(obj: Any) -> dict[str, str]:
        return listed_name(obj, "area")

    @staticmethod
    def resolve_street(obj: Any) -> dict[str, str]:
        return listed_name(obj, "street")

    @staticmethod
    def resolve_handler(obj: Any) -> dict[str, str] | None:
        if obj.handler_area_id is not None:
            return {"kind": "area", **listed_name(obj, "handler_area")}
        if obj.handler_department_id is not None:
            return {"kind": "department", **listed_name(obj, "handler_department")}
        return None

    @staticmethod
    def resolve_is_overdue(obj: Any) -> bool:
        return bool(obj.is_overdue())

    @staticmethod
    def resolve_is_warning(obj: Any) -> bool:
        return bool(obj.is_warning())

    @staticmethod
    def resolve_supervised(obj: Any) -> bool:
        return obj.supervised_at is not None and obj.state in OPEN_STATES


class TicketPageOut(Schema):
    items: list[TicketOut]
    next_cursor: str | None = Field(description="下一页的游标；没有更多时为空")


class PhotoOut(Schema):
    id: int
    url: str = Field(description="照片地址（仅能看到该工单的用户可以打开）")
    content_type: str
    width: int
    height: int


class EventOut(Schema):
    id: int
    kind: EventKind
    kind_label: str
    actor: str = Field(description="操作人；对办理人员保密的诉求人显示为“诉求人”")
    unit: str | None = Field(description="涉及的承办单位")
    note: str
    data: dict[str, Any] = Field(description="事项的附加信息，如派往的单位、联系方式、延期天数")
    created_at: datetime
    photos: list[PhotoOut]


class ContactOut(Schema):
    name: str
    mobile: str | None = Field(description="脱敏的手机号，如 138****8000")


class SupervisionOut(Schema):
    at: datetime
    note: str
    answered_at: datetime | None


class ExtensionOut(Schema):
    working_days: int
    reason: str
    requested_at: datetime


class TicketDetailOut(TicketOut):
    """One ticket as the caller sees it: the timeline, the photos, the actions the caller may
    take now, and the requester's contact only where the caller may see it (masked)."""

    lat: float | None
    lon: float | None
    building: NamedRef | None
    anonymous: bool = Field(description="诉求人要求对办理人员保密")
    contact: ContactOut | None = Field(
        description="诉求人联系方式：诉求人本人可见，工作人员在未要求保密时可见；否则为空"
    )
    dispatched_at: datetime | None
    accepted_at: datetime | None
    responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    warn_at: datetime | None
    return_count: int
    reopen_count: int
    supervision: SupervisionOut | None
    merged_into: str | None = Field(description="并入的工单号")
    pending_extension: ExtensionOut | None = Field(description="待审批的延期申请")
    photos: list[PhotoOut] = Field(description="提交时的照片")
    timeline: list[EventOut]
    actions: list[ActionSlug] = Field(
        description="调用者现在可以进行的操作（POST /tickets/{number}/{action}）"
    )

    @staticmethod
    def resolve_supervision(obj: Any) -> dict[str, Any] | None:
        if obj.supervised_at is None:
            return None
        return {
            "at": obj.supervised_at,
            "note": obj.supervision_note,
            "answered_at": obj.supervision_answered_at,
        }

    @staticmethod
    def resolve_merged_into(obj: Any) -> str | None:
        return obj.merged_into.number if obj.merged_into_id else None
