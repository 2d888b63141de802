"""The requests API (接诉即办) and the catalogue it files under.

Every endpoint is an adapter (DESIGN.md rule 1): parse, fetch the ticket through the caller's
scope (`find_ticket`: invisible is 404), call one service, answer the ticket as the caller sees
it. Lists page by keyset on (created_at, id), so page 1000 costs what page 1 does.
"""

from datetime import date, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.errors import HttpError
from ninja.params.models import Body, BodyModel, Header
from pydantic import Field

from grassroots.accounts.models import Role
from grassroots.accounts.typing import AuthedRequest
from grassroots.core.api import ErrorOut, HeaderText, InputSchema, Number, errors
from grassroots.core.errors import NotFound, ValidationFailed
from grassroots.core.pages import PageQuery
from grassroots.territory.models import Area, Department

from . import services
from .models import (
    Category,
    Channel,
    EventKind,
    Extension,
    Ticket,
    TicketPhoto,
    TicketState,
)
from .schemas import (
    ERRORS,
    AnswerIn,
    ApproveExtensionIn,
    CategoryOut,
    DispatchIn,
    ExtendIn,
    MergeIn,
    RejectIn,
    ReopenIn,
    ResolveIn,
    RespondIn,
    ReturnIn,
    ReviewIn,
    SuperviseIn,
    TicketDetailOut,
    TicketIn,
    TicketPageOut,
    label,
    multipart_body,
)
from .selectors import (
    DETAIL_RELATED,
    LIST_MAX_LIMIT,
    NOTE_HIDDEN_FROM_RESIDENT,
    TicketFilters,
    available_actions,
    category_tree,
    pending_extension,
    resident_sees,
    sees_contact,
    shown,
    ticket_page,
    ticket_to_show,
    timeline_and_photos,
    unit_name,
)

if TYPE_CHECKING:
    from ninja import NinjaAPI

router = Router(tags=["tickets"])


class CategoryFilter(InputSchema):
    q: str = Field(
        default="",
        max_length=50,
        description="按名称、关键词、编码或拼音首字母（如 ljqy）筛选；保留匹配项的上级",
    )


@router.get(
    "/categories",
    response={200: list[CategoryOut], **errors(400, 401)},
    summary="诉求类别（派单目录）",
    description="启用的类别，扁平列表，按树的顺序排列（上级在前）；末级类别带处理层级和时限标准。"
    "每个分组下至少有一个可选的末级类别。",
)
def category_list(request: HttpRequest, filters: Query[CategoryFilter]) -> list[Category]:
    return category_tree(query=filters.q)


# ---------------------------------------------------------------------------------------------
# a body read from JSON or from a form with photos


class JsonOrFormModel(BodyModel):
    """The body as JSON, or as a form (multipart/form-data, photos in `photos`): one schema
    validates both, so a field error reads the same whichever the client sent."""

    @classmethod
    def get_request_data(
        cls, request: HttpRequest, api: "NinjaAPI", path_params: dict[str, Any]
    ) -> dict[str, Any] | None:
        if request.content_type not in ("multipart/form-data", "application/x-www-form-urlencoded"):
            return super().get_request_data(request, api, path_params)
        try:
            form = request.POST
        except MultiPartParserError as exc:
            raise HttpError(400, "Cannot parse request body") from exc
        name = cls.__read_from_single_attr__
        schema: Any = cls.model_fields[name].annotation
        texts = {key for key, field in schema.model_fields.items() if field.annotation is str}
        # An empty input of a form means "not given", unless the field is text.
        return {name: {key: value for key, value in form.items() if value != "" or key in texts}}


class JsonOrForm(Body):  # type: ignore[misc]
    _model = JsonOrFormModel

    @classmethod
    def _param_source(cls) -> str:
        return "body"


def json_or_form(description: str) -> Any:
    return JsonOrForm(..., description=description)


# ---------------------------------------------------------------------------------------------
# the ticket as the caller sees it


class TicketView:
    """A ticket as one caller sees it: the row, plus what depends on who is asking."""

    def __init__(
        self,
        ticket: Ticket,
        *,
        contact: dict[str, Any] | None,
        photos: list[dict[str, Any]],
        timeline: list[dict[str, Any]],
        actions: list[str],
        pending_extension: Extension | None,
    ) -> None:
        self.ticket = ticket
        self.contact = contact
        self.photos = photos
        self.timeline = timeline
        self.actions = actions
        self.pending_extension = pending_extension

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ticket, name)


def _photo(photo: TicketPhoto) -> dict[str, Any]:
    return {
        "id": photo.pk,
        "url": reverse("tickets:photo", args=[photo.pk]),
        "content_type": photo.content_type,
        "width": photo.width,
        "height": photo.height,
    }


def _view(user: Any, ticket: Ticket) -> TicketView:
    """Timeline with all the photos (two queries), pending extension and actions: a fixed
    number of queries whatever the length of the timeline. A ticket just filed
    (`ticket.filed`) is shown from what the filing wrote, with no query."""
    shows_contact = sees_contact(user, ticket)
    requester = ticket.requester_id
    # A resident reads what the phone page shows them: not the units' internal traffic.
    for_resident = user.role == Role.RESIDENT
    filed = ticket.filed
    if filed:
        rows, photos = [filed[0]], filed[1]
    else:
        rows, photos = timeline_and_photos(ticket)
    events = []
    for event in rows:
        if for_resident and not resident_sees(event):
            continue
        # An anonymous requester's name must not reach the handlers through the timeline.
        hidden = requester is not None and event.actor_id == requester and not shows_contact
        events.append(
            {
                "id": event.pk,
                "kind": event.kind,
                "kind_label": label(EventKind, event.kind),
                "actor": _("诉求人") if hidden else event.actor_label,
                "unit": unit_name(event),
                "note": ""
                if for_resident and event.kind in NOTE_HIDDEN_FROM_RESIDENT
                else event.note,
                "data": event.data,
                "created_at": event.created_at,
                # A submission's photos belong to the ticket, not to its first event.
                "photos": [] if filed else [_photo(p) for p in event.photo_list],  # type: ignore[attr-defined]
            }
        )
    contact = (
        {"name": ticket.contact_name, "mobile": ticket.contact_mobile_masked or None}
        if shows_contact
        else None
    )
    pending = None if filed else pending_extension(ticket)
    return TicketView(
        ticket,
        contact=contact,
        photos=[_photo(p) for p in photos],
        timeline=events,
        actions=available_actions(user, ticket, extension_pending=pending is not None),
        pending_extension=pending,
    )


def _reload(ticket: Ticket) -> Ticket:
    # Not through the caller's scope: whoever just filed or moved the ticket is shown the
    # result even if it has now left their view (a department returning it, a hotline seat
    # filing for another street).
    return shown(Ticket.objects.all(), DETAIL_RELATED).get(pk=ticket.pk)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------------
# file a request


def _channel(request: AuthedRequest) -> str:
    if getattr(request, "auth_via_token", False):  # set by core.api.BearerToken
        return Channel.API
    role = request.user.role
    if role == Role.RESIDENT:
        return Channel.RESIDENT_APP
    if role in (Role.GRID_WORKER, Role.BUILDING_HEAD):
        return Channel.GRID_PATROL
    return Channel.HOTLINE


@router.post(
    "/tickets",
    response={
        201: TicketDetailOut,
        200: TicketDetailOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
    },
    summary="提交诉求",
    description="JSON，或 multipart/form-data（字段相同，照片放在 `photos`，最多 9 张）。"
    "来源按调用方确定：令牌客户端为“接口”，居民为“居民端”，网格员和楼栋长为“网格巡查”，"
    "其他工作人员为“热线坐席”（可填写来电群众的联系人和电话）。"
    "带 `Idempotency-Key` 请求头时，同一用户重复使用同一个键只返回第一次提交的工单（200），"
    "不会重复创建。",
    openapi_extra=multipart_body(TicketIn),
)
def ticket_create(
    request: AuthedRequest,
    payload: Annotated[TicketIn, json_or_form("诉求内容")],
    idempotency_key: Annotated[
        HeaderText,
        Header(
            "",
            alias="Idempotency-Key",
            description="幂等键（不超过 80 个字符），如客户端生成的 UUID",
        ),
    ] = "",
) -> Status[TicketView]:
    ticket, created = services.ticket_submit(
        actor=request.user,
        category=payload.category,
        description=payload.description,
        address=payload.address,
        channel=_channel(request),
        request_type=payload.request_type,
        urgency=payload.urgency,
        building=payload.building or None,
        lat=payload.lat,
        lon=payload.lon,
        anonymous=payload.anonymous,
        contact_name=payload.contact_name,
        contact_mobile=payload.contact_mobile,
        photos=request.FILES.getlist("photos"),
        idempotency_key=idempotency_key,
        request=request,
    )
    return Status(
        201 if created else 200, _view(request.user, ticket if created else _reload(ticket))
    )


# ---------------------------------------------------------------------------------------------
# list, detail

MAX_LIMIT = LIST_MAX_LIMIT
FIRST_DAY, LAST_DAY = date.min + timedelta(days=1), date.max - timedelta(days=1)


class TicketFilter(InputSchema, PageQuery):
    state: TicketState | None = None
    category: str = Field(default="", description="类别编码：该类别及其下级")
    unit: str = Field(default="", description="承办单位：辖区编码（含下级）或职能部门编码")
    overdue: bool | None = Field(default=None, description="true 只看超期，false 排除超期")
    supervised: bool | None = Field(
        default=None, description="true 只看被督办且未办结的，false 只看未被督办的"
    )
    # A day's start in Beijing, in UTC, and the day after `created_before`, must still be dates:
    # on the first and the last day of the calendar they overflowed (a 500).
    created_after: date | None = Field(
        default=None, ge=FIRST_DAY, le=LAST_DAY, description="提交日期不早于（含当天）"
    )
    created_before: date | None = Field(
        default=None, ge=FIRST_DAY, le=LAST_DAY, description="提交日期不晚于（含当天）"
    )
    limit: int = Field(
        default=50, description="每页条数", json_schema_extra={"minimum": 1, "maximum": MAX_LIMIT}
    )


@router.get(
    "/tickets",
    response={200: TicketPageOut, 400: ErrorOut, 401: ErrorOut},
    summary="我可见的工单",
    description="按提交时间从新到旧；游标分页：把返回的 `next_cursor` 作为下一次请求的 `cursor`，"
    "直到它为空。居民只看到自己的诉求；工作人员看到辖区内的，或派给本单位的。",
)
def ticket_list(request: AuthedRequest, filters: Query[TicketFilter]) -> dict[str, Any]:
    wanted = TicketFilters(
        state=filters.state.value if filters.state else "",
        category=filters.category.strip(),
        unit=filters.unit.strip(),
        overdue=filters.overdue,
        supervised=filters.supervised,
        created_after=filters.created_after,
        created_before=filters.created_before,
    )
    rows, cursor = ticket_page(request.user, wanted, filters.cursor, filters.limit)
    return {"items": rows, "next_cursor": cursor}


DETAIL_ERRORS = {401: ErrorOut, 404: ErrorOut}


@router.get(
    "/tickets/{number}",
    response={200: TicketDetailOut, **DETAIL_ERRORS},
    summary="工单详情",
    description="含两个时限、办理记录（时间线）、照片和调用者现在可以进行的操作。"
    "诉求人的联系方式只对本人、以及在未要求保密时对工作人员显示，手机号总是脱敏的。",
)
def ticket_detail(request: AuthedRequest, number: Number) -> TicketView:
    return _view(request.user, ticket_to_show(request.user, number))


# ---------------------------------------------------------------------------------------------
# actions: one endpoint each, so that each documents its own body. The ticket is fetched through
# the caller's scope first (404), then the service judges role and state (403, 400, 409).


def _answer(request: AuthedRequest, ticket: Ticket) -> TicketView:
    return _view(request.user, _reload(ticket))


def _unit(code: str) -> Area | Department:
    code = code.strip()
    unit: Area | Department | None = Area.objects.filter(code=code).first() if code else None
    if unit is None and code:
        unit = Department.objects.filter(code=code).first()
    if unit is None:
        message = _("没有这个承办单位。") if code else _("请选择承办单位。")
        raise ValidationFailed(fields={"to": [message]})
    return unit


def _other_ticket(user: Any, number: str) -> Ticket:
    number = number.strip()
    found = Ticket.objects.visible_to(user).filter(number=number).first() if number else None
    if found is None:
        message = _("没有这张工单。") if number else _("请填写要并入的工单号。")
        raise ValidationFailed(fields={"into": [message]})
    return found


def action(path: str, summary: str, description: str, **extra: Any) -> Any:
    return router.post(
        f"/tickets/{{number}}/{path}",
        response={200: TicketDetailOut, **ERRORS},
        summary=summary,
        description=description,
        **extra,
    )


@action(
    "dispatch",
    "派单",
    "把待派单（含被退回）的工单派给网格、社区（村）、街道（乡镇）或职能部门，"
    "响应和办结时限从此刻起算。仅本辖区的派单人员。",
)
def dispatch(request: AuthedRequest, number: Number, payload: DispatchIn) -> TicketView:
    ticket = services.find_ticket(request.user, number)
    to = _unit(payload.to)
    services.ticket_dispatch(
        actor=request.user, ticket=ticket, to=to, note=payload.note, request=request
    )
    return _answer(request, ticket)


@action(
    "reject", "不予受理", "不属于受理范围的诉求：说明理由和建议的办理渠道。仅本辖区的派单人员。"
)
def reject(request: AuthedRequest, number: Number, payload: RejectIn) -> TicketView:
    ticket = services.find_ticket(request.user, number)
    services.ticket_reject(
        actor=request.user,
        ticket=ticket,
        reason=payload.reason,
        redirect=payload.redirect,
        request=request,
    )
    return _answer(request, ticket)


@action("merge", "合并重复工单", "把重复的诉求并入正在办理的工单，其诉求人随之关注那张工单。")
def merge(request: AuthedRequest, number: Number, payload: MergeIn) -> TicketView:
    ticket = services.find_ticket(request.user, number)
    into = _other_ticket(request.user, payload.into)
    services.ticket_merge(
        actor=request.user, ticket=ticket, into=into, note=payload.note, request=request
    )
    return _answer(request, ticket)


@action("accept", "签收", "承办单位签收；响应时限自派单起已在计时。")
def accept(request: AuthedRequest, number: Number) -> TicketView:
    ticket = services.find_ticket(request.user, number)
    services.ticket_accept(actor=request.user, ticket=ticket, request=request)
    return _answer(request, ticket)


@action("respond", "登记联系诉求人", "承办人员已联系诉求人（方式与情况）；未签收的同时签收。")
def respond(request: AuthedRequest, number: Number, payload: RespondIn) -> TicketView:
    ticket = services.find_ticket(request.user, number)
    services.ticket_respond(
        actor=request.user,
        ticket=ticket,
        method=payload.method.value,
        note=payload.note,
        request=request,
    )
    return _answer(request, ticket)


@action("return", "退单", "不属于本单位办理：说明理由，退回派单人员（计入本单位的退单次数）。")
def return_(request: AuthedRequest, number: Number, payload: ReturnIn) -> TicketView:
    ticket = services.find_ticket(request.user, number)
    services.ticket_return(
        actor=request.user, ticket=ticket, reason=payload.reason, request=request
    )
    return _answer(request, ticket)


@action("extend", "申请延期", "承办单位申请延长办结时限（1 至 10 个工作日），由派单人员审批。")
def extend(request: AuthedRequest, number: Number, payload: ExtendIn) -> TicketView:
    ticket = services.find_ticket(request.user, number)
    services.ticket_request_extension(
        actor=request.user,
        ticket=ticket,
        reason=payload.reason,
        working_days=payload.working_days,
        request=request,
    )
    return _answer(request, ticket)


@action("approve-extension", "审批延期", "同意则办结时限顺延并告知诉求人；不同意须填写意见。")
def approve_extension(
    request: AuthedRequest, number: Number, payload: ApproveExtensionIn
) -> TicketView:
    ticket = services.find_ticket(request.user, number)
    services.ticket_decide_extension(
        actor=request.user,
        ticket=ticket,
        approve=payload.approve,
        note=payload.note,
        request=request,
    )
    return _answer(request, ticket)


@action(
    "resolve",
    "办结",
    "登记办理结果，可附照片（multipart/form-data，照片放在 `photos`，最多 9 张）；"
    "诉求人随后评价。须先登记联系诉求人。",
    openapi_extra=multipart_body(ResolveIn),
)
def resolve(
    request: AuthedRequest, number: Number, payload: Annotated[ResolveIn, json_or_form("办理结果")]
) -> TicketView:
    ticket = services.find_ticket(request.user, number)
    services.ticket_resolve(
        actor=request.user,
        ticket=ticket,
        result=payload.result,
        photos=request.FILES.getlist("photos"),
        request=request,
    )
    return _answer(request, ticket)


@action(
    "review", "回访评价", "诉求人本人或街道回访人员评价：已解决则结案，未解决则退回原单位重办。"
)
def review(request: AuthedRequest, number: Number, payload: ReviewIn) -> TicketView:
    ticket = services.find_ticket(request.user, number)
    services.ticket_review(
        actor=request.user,
        ticket=ticket,
        contacted=payload.contacted,
        solved=payload.solved,
        satisfaction=payload.satisfaction.value if payload.satisfaction else "",
        comment=payload.comment,
        valid=payload.valid,
        request=request,
    )
    return _answer(request, ticket)


@action(
    "reopen", "重办", "诉求人认为未解决，或派单人员核查不合格：退回原单位重新办理（计入重办次数）。"
)
def reopen(request: AuthedRequest, number: Number, payload: ReopenIn) -> TicketView:
    ticket = services.find_ticket(request.user, number)
    services.ticket_reopen(
        actor=request.user, ticket=ticket, reason=payload.reason, request=request
    )
    return _answer(request, ticket)


@action("supervise", "督办", "社区书记或街道领导督办本辖区未办结的工单，承办单位须回复。")
def supervise(request: AuthedRequest, number: Number, payload: SuperviseIn) -> TicketView:
    ticket = services.find_ticket(request.user, number)
    services.ticket_supervise(actor=request.user, ticket=ticket, note=payload.note, request=request)
    return _answer(request, ticket)


@action("answer-supervision", "回复督办", "承办单位回复督办意见：正在做什么、何时办结。")
def answer_supervision(request: AuthedRequest, number: Number, payload: AnswerIn) -> TicketView:
    ticket = services.find_ticket(request.user, number)
    services.ticket_answer_supervision(
        actor=request.user, ticket=ticket, note=payload.note, request=request
    )
    return _answer(request, ticket)


@router.post("/tickets/{number}/{name}", response={404: ErrorOut}, include_in_schema=False)
def unknown_action(request: AuthedRequest, number: Number, name: str) -> None:
    # Registered after every real action, and URL patterns match in order: anything else
    # is not an action.
    raise NotFound()
