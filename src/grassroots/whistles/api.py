"""The 吹哨报到 API: blow, read, report in, act, release, withdraw, confirm, rate (双考核), the
supervision list of shirking flags, and a department's monthly measures.

Every endpoint is an adapter (DESIGN.md rule 1): the role gate of the app (roles outside
`WHISTLE_READER_ROLES` get 403, and only whistlers blow), then the whistle through the caller's
scope (`find_whistle`: invisible is 404), then one service, which judges side and state (403,
400, 409). A summons is addressed by its department's id, as the desk pages do.
"""

from typing import TYPE_CHECKING, Annotated, Any, get_origin

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from pydantic import Field

from grassroots.accounts.models import DEPARTMENT_ROLES, User
from grassroots.accounts.typing import AuthedRequest
from grassroots.core.api import ErrorOut, InputSchema, Number
from grassroots.core.errors import Forbidden, NotFound, ValidationFailed
from grassroots.core.pages import PageQuery, keyset_page
from grassroots.tickets.api import JsonOrForm, JsonOrFormModel
from grassroots.tickets.models import Ticket
from grassroots.tickets.photos import CleanPhoto, clean_photos
from grassroots.tickets.schemas import multipart_body
from grassroots.tickets.services import find_ticket

from . import services
from .models import (
    Summons,
    SummonsState,
    Whistle,
    WhistleEvent,
    WhistleEventKind,
    WhistleKind,
    WhistlePhoto,
    WhistleState,
)
from .rules import answers_for, is_whistler_side
from .schemas import (
    ConfirmIn,
    ReleaseIn,
    ReportInIn,
    WhistleActionIn,
    WhistleDetailOut,
    WhistleIn,
    WhistlePageOut,
    WhistleRatingIn,
    WithdrawIn,
)
from .selectors import (
    available_actions,
    find_summons,
    find_whistle,
    timeline,
    whistles_for,
)

if TYPE_CHECKING:
    from ninja import NinjaAPI

router = Router(tags=["whistles"])

MAX_LIMIT: int = settings.NINJA_PAGINATION_MAX_LIMIT
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


# ---------------------------------------------------------------------------------------------
# who may come in at all


def _reader(request: AuthedRequest) -> User:
    """Street and community staff and the departments read and act; residents, grid workers,
    allied units and the three administrators get 403 whatever they ask for (nothing leaks)."""
    user = request.user
    if not user.has_perm("whistles.view_whistle"):
        raise Forbidden(_("吹哨报到只对街道、社区和职能部门的工作人员开放。"))
    return user


# ---------------------------------------------------------------------------------------------
# a body read from JSON or from a form with photos (a list field from its repeated inputs);
# no body reads as an empty one, so a missing field is named


class _JsonOrFormModel(JsonOrFormModel):
    @classmethod
    def get_request_data(
        cls, request: HttpRequest, api: "NinjaAPI", path_params: dict[str, Any]
    ) -> dict[str, Any] | None:
        data = super().get_request_data(request, api, path_params)
        name = cls.__read_from_single_attr__
        if data is None:  # no body at all: every field as not given
            return {name: {}}
        if request.content_type not in FORM_TYPES:
            return data
        schema: Any = cls.model_fields[name].annotation
        for key, field in schema.model_fields.items():
            if get_origin(field.annotation) is list and key in request.POST:
                data[name][key] = [v for v in request.POST.getlist(key) if v != ""]
        return data


class _JsonOrForm(JsonOrForm):  # type: ignore[misc]
    _model = _JsonOrFormModel


def _json_or_form(description: str) -> Any:
    return _JsonOrForm(..., description=description)


def _photos(request: HttpRequest) -> list[CleanPhoto]:
    uploads = request.FILES.getlist("photos")
    return clean_photos(uploads) if uploads else []


# ---------------------------------------------------------------------------------------------
# the whistle as the caller sees it

SUMMONSES = Prefetch(
    "summonses",
    queryset=Summons.objects.select_related(
        "department", "reported_by", "rating", "whistle_rating"
    ).order_by("id"),
)


def _with_summonses(rows: QuerySet[Whistle]) -> QuerySet[Whistle]:
    # The selector's rows, their summonses read with their ratings in the same one query.
    return rows.prefetch_related(None).prefetch_related(SUMMONSES)


def _reload(whistle: Whistle) -> Whistle:
    # Not through the caller's scope: whoever just acted is shown the result.
    return _with_summonses(
        Whistle.objects.select_related("area", "street", "whistler", "ticket")
    ).get(pk=whistle.pk)


def _unit(obj: Any) -> dict[str, Any]:
    return {"id": obj.pk, "code": obj.code, "name": obj.name}


def _photo(photo: WhistlePhoto) -> dict[str, Any]:
    return {
        "id": photo.pk,
        "url": reverse("whistles:photo", args=[photo.pk]),
        "content_type": photo.content_type,
        "width": photo.width,
        "height": photo.height,
    }


def _summons_out(summons: Summons) -> dict[str, Any]:
    # An absent reverse one-to-one raises RelatedObjectDoesNotExist, an AttributeError.
    rating = getattr(summons, "rating", None)
    answer = getattr(summons, "whistle_rating", None)
    reporter = summons.reported_by
    return {
        "department": _unit(summons.department),
        "state": summons.state,
        "state_label": summons.get_state_display(),
        "created_at": summons.created_at,
        "report_by": summons.report_by,
        "reported_at": summons.reported_at,
        "reported_by": reporter.display_name if reporter is not None else None,
        "report_mode": summons.report_mode or None,
        "report_mode_label": summons.get_report_mode_display() if summons.report_mode else None,
        "commitment": summons.commitment,
        "on_time": summons.on_time,
        "minutes_to_report": summons.minutes_to_report,
        "is_late": summons.state == SummonsState.SUMMONED and summons.report_by < timezone.now(),
        "closed_at": summons.closed_at,
        "close_note": summons.close_note,
        "rating": (
            {
                "timeliness": rating.timeliness,
                "attitude": rating.attitude,
                "result": rating.result,
                "average": rating.average,
                "comment": rating.comment,
                "created_at": rating.created_at,
            }
            if rating is not None
            else None
        ),
        "whistle_rating": (
            {
                "necessary": answer.necessary,
                "comment": answer.comment,
                "created_at": answer.created_at,
            }
            if answer is not None
            else None
        ),
    }


def _row(whistle: Whistle) -> dict[str, Any]:
    return {
        "number": whistle.number,
        "kind": whistle.kind,
        "kind_label": whistle.get_kind_display(),
        "reason": whistle.reason,
        "reason_label": whistle.get_reason_display(),
        "title": whistle.title,
        "address": whistle.address,
        "state": whistle.state,
        "state_label": whistle.get_state_display(),
        "area": _unit(whistle.area),
        "street": _unit(whistle.street),
        "whistler": whistle.whistler.display_name,
        "ticket": whistle.ticket.number if whistle.ticket is not None else None,
        "created_at": whistle.created_at,
        "solved_at": whistle.solved_at,
        "summonses": [_summons_out(s) for s in whistle.summonses.all()],
    }


def _event(event: WhistleEvent) -> dict[str, Any]:
    summons = event.summons
    return {
        "id": event.pk,
        "kind": event.kind,
        "label": event.get_kind_display(),
        "actor_label": event.actor_label,
        "note": event.note,
        "data": event.data,
        "at": event.created_at,
        "department": _unit(summons.department) if summons is not None else None,
        "photos": [_photo(p) for p in event.photos.all()],
    }


def _detail(user: User, whistle: Whistle) -> dict[str, Any]:
    """The timeline (two queries) and the caller's actions (one): a fixed number of queries
    whatever the number of departments and the length of the timeline."""
    events = timeline(whistle)
    found = available_actions(whistle, user)
    department_of = {s.pk: s.department_id for s in whistle.summonses.all()}

    def departments(ids: tuple[int, ...]) -> list[int]:
        return [department_of[i] for i in ids]

    return {
        **_row(whistle),
        "description": whistle.description,
        "solved_note": whistle.solved_note,
        "photos": [
            _photo(p) for e in events if e.kind == WhistleEventKind.BLOWN for p in e.photos.all()
        ],
        "timeline": [_event(e) for e in events],
        "actions": {
            "confirm": found.confirm,
            "release": departments(found.release),
            "rate_department": departments(found.rate_department),
            "report_in": departments(found.report_in),
            "act": departments(found.act),
            "withdraw": departments(found.withdraw),
            "rate_whistle": departments(found.rate_whistle),
        },
    }


def _answer(user: User, whistle: Whistle) -> dict[str, Any]:
    return _detail(user, _reload(whistle))


# ---------------------------------------------------------------------------------------------
# blow

BLOW_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
READ_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut}
DETAIL_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
ACTION_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def _ticket(user: User, number: str) -> Ticket | None:
    """The ticket a whistle hangs off: one the whistler can see. An unknown number and one out
    of sight read the same (a field error), so a ticket's existence does not leak."""
    number = number.strip()
    if not number:
        return None
    try:
        return find_ticket(user, number)
    except NotFound as exc:
        raise ValidationFailed(fields={"ticket": [_("没有这张工单。")]}) from exc


@router.post(
    "/whistles",
    response={201: WhistleDetailOut, **BLOW_ERRORS},
    summary="吹哨",
    description="街道领导或社区书记（以本人所在的街道或社区）吹哨，召集一个或几个职能部门；"
    "每个部门的报到时限按哨类计算（应急哨 30 分钟、攻坚哨 24 小时、日常哨 2 个工作日，可配置），"
    "部门工作人员随即收到通知。可关联一张本人可见、未办结的工单（`ticket`，看不到的工单为该字段的"
    "错误）。JSON，或 multipart/form-data（字段相同，`departments` 重复填写，照片放在 `photos`，"
    "最多 9 张）。其他角色 403。",
    openapi_extra=multipart_body(WhistleIn),
)
def whistle_blow(
    request: AuthedRequest, payload: Annotated[WhistleIn, _json_or_form("吹哨内容")]
) -> Status[dict[str, Any]]:
    user = request.user
    if not user.has_perm("whistles.blow_whistle"):
        raise Forbidden(_("只有街道领导或社区书记可以吹哨。"))
    ticket = _ticket(user, payload.ticket)
    whistle = services.whistle_blow(
        actor=user,
        kind=payload.kind.value,
        reason=payload.reason.value,
        description=payload.description,
        address=payload.address,
        departments=payload.departments,
        title=payload.title,
        ticket=ticket,
        photos=_photos(request),
        request=request,
    )
    return Status(201, _answer(user, whistle))


# ---------------------------------------------------------------------------------------------
# read


class WhistleFilter(InputSchema, PageQuery):
    state: WhistleState | None = Field(default=None, description="open 进行中 / solved 已解决")
    kind: WhistleKind | None = Field(default=None, description="哨类")
    ticket: str = Field(default="", description="关联的工单号")


@router.get(
    "/whistles",
    response={200: WhistlePageOut, **READ_ERRORS},
    summary="我可见的吹哨",
    description="按吹哨时间从新到旧，含各部门的召集状态；游标分页：把返回的 `next_cursor` 作为"
    "下一次请求的 `cursor`，直到它为空。街道、社区工作人员看到本辖区吹的哨；职能部门只看到召集了"
    "本部门的哨。其他角色 403。",
)
def whistle_list(request: AuthedRequest, filters: Query[WhistleFilter]) -> dict[str, Any]:
    user = _reader(request)
    rows = _with_summonses(whistles_for(user))
    if filters.state is not None:
        rows = rows.filter(state=filters.state)
    if filters.kind is not None:
        rows = rows.filter(kind=filters.kind)
    if filters.ticket.strip():
        rows = rows.filter(ticket__number=filters.ticket.strip())
    found, cursor = keyset_page(rows, filters.cursor, filters.limit)
    return {"items": [_row(w) for w in found], "next_cursor": cursor}


# Registered before /whistles/{number}: URL patterns match in order, and "flags" is not a number.


@router.get(
    "/whistles/{number}",
    response={200: WhistleDetailOut, **DETAIL_ERRORS},
    summary="吹哨详情",
    description="含各部门的召集（报到时限、报到人、方式、承诺、是否按时、结束情况和评价）、"
    "各部门共同的处置记录（时间线），以及调用者现在可以进行的操作（按部门 id 列出）。"
    "看不到的吹哨 404（职能部门只看到召集了本部门的）。",
)
def whistle_detail(request: AuthedRequest, number: Number) -> dict[str, Any]:
    user = _reader(request)
    whistle = _with_summonses(whistles_for(user)).filter(number=number.strip()).first()
    if whistle is None:
        raise NotFound()
    return _detail(user, whistle)


# ---------------------------------------------------------------------------------------------
# the department's side: report in, act, withdraw


def _find_summons(user: User, number: str, department: int) -> Summons:
    return find_summons(user, find_whistle(user, number), department)


SUMMONS_PATH = "/whistles/{number}/summons/{department}"


@router.post(
    f"{SUMMONS_PATH}/report-in",
    response={200: WhistleDetailOut, **ACTION_ERRORS},
    summary="报到",
    description="被召集部门的工作人员报到：到现场或远程对接，以及承诺事项。超过报到时限才报到的"
    "记为报到超时。只能为本人所在的部门报到（其他部门 403）；已报到、已放行或已结束的召集为 400"
    "（`wrong_state`）。`department` 为部门 id。",
)
def report_in(
    request: AuthedRequest, number: Number, department: int, payload: ReportInIn
) -> dict[str, Any]:
    user = _reader(request)
    summons = _find_summons(user, number, department)
    services.summons_report_in(
        actor=user,
        summons=summons,
        mode=payload.mode.value,
        commitment=payload.commitment,
        request=request,
    )
    return _answer(user, summons.whistle)


@router.post(
    f"{SUMMONS_PATH}/actions",
    response={200: WhistleDetailOut, **ACTION_ERRORS},
    summary="记录处置情况",
    description="已报到的部门在共同的时间线上记录做了什么，可附照片（multipart/form-data，"
    "照片放在 `photos`，最多 9 张）。未报到或召集已结束为 400（`wrong_state`）。",
    openapi_extra=multipart_body(WhistleActionIn),
)
def summons_action(
    request: AuthedRequest,
    number: Number,
    department: int,
    payload: Annotated[WhistleActionIn, _json_or_form("处置情况")],
) -> dict[str, Any]:
    user = _reader(request)
    summons = _find_summons(user, number, department)
    if not answers_for(user, summons):  # before the photos are read: 403, not a photo error
        raise Forbidden(_("只有被召集部门的工作人员可以办理。"))
    services.summons_action(
        actor=user, summons=summons, note=payload.note, photos=_photos(request), request=request
    )
    return _answer(user, summons.whistle)


@router.post(
    f"{SUMMONS_PATH}/withdraw",
    response={200: WhistleDetailOut, **ACTION_ERRORS},
    summary="撤离（未经确认）",
    description="部门在吹哨方确认解决或放行之前离开：写明原因。“事不完、人不撤”——这会记入"
    "本部门的推诿扯皮记录（未经确认撤离），由街道领导核查。",
)
def summons_withdraw(
    request: AuthedRequest, number: Number, department: int, payload: WithdrawIn
) -> dict[str, Any]:
    user = _reader(request)
    summons = _find_summons(user, number, department)
    services.summons_withdraw(actor=user, summons=summons, note=payload.note, request=request)
    return _answer(user, summons.whistle)


# ---------------------------------------------------------------------------------------------
# the whistler's side: release, confirm; and the two-way rating


@router.post(
    f"{SUMMONS_PATH}/release",
    response={200: WhistleDetailOut, **ACTION_ERRORS},
    summary="放行部门",
    description="吹哨方（吹哨人或本单位领导）让一个部门先行离开：它的事已办完，或召集错了。"
    "已结束的召集为 400（`wrong_state`）。",
)
def summons_release(
    request: AuthedRequest, number: Number, department: int, payload: ReleaseIn
) -> dict[str, Any]:
    user = _reader(request)
    summons = _find_summons(user, number, department)
    services.summons_release(actor=user, summons=summons, note=payload.note, request=request)
    return _answer(user, summons.whistle)


@router.post(
    "/whistles/{number}/confirm",
    response={200: WhistleDetailOut, **ACTION_ERRORS},
    summary="确认问题已解决",
    description="吹哨方确认问题已解决：仍在场的部门随之结束；从未报到的部门被放行，已过报到时限的"
    "记为超时未报到。已确认的为 400（`wrong_state`）。请求体可为 `{}`，或不带请求体。",
    openapi_extra={"requestBody": {"required": False}},
)
def whistle_confirm(
    request: AuthedRequest, number: Number, payload: Annotated[ConfirmIn, _json_or_form("确认说明")]
) -> dict[str, Any]:
    user = _reader(request)
    whistle = find_whistle(user, number)
    services.whistle_confirm(actor=user, whistle=whistle, note=payload.note, request=request)
    return _answer(user, whistle)


@router.post(
    "/whistles/{number}/ratings",
    response={200: WhistleDetailOut, **ACTION_ERRORS},
    summary="双向评价",
    description="吹哨方评价一个部门（`department` 必填，响应及时、工作态度、处置效果各 1–5 分，"
    "评语可选；部门报到后才能评价）；被召集部门的工作人员评价这次吹哨（`necessary` 是否确有"
    "必要，认为没有必要时须写明理由）。每个部门每次各评一次，重复评价为 409。其他人 403。",
)
def whistle_ratings(
    request: AuthedRequest, number: Number, payload: WhistleRatingIn
) -> dict[str, Any]:
    user = _reader(request)
    whistle = find_whistle(user, number)
    if is_whistler_side(user, whistle):
        if payload.department is None:
            raise ValidationFailed(fields={"department": [_("请选择要评价的部门。")]})
        summons = _rated_summons(user, whistle, payload.department)
        services.department_rate(
            actor=user,
            summons=summons,
            timeliness=payload.timeliness,
            attitude=payload.attitude,
            result=payload.result,
            comment=payload.comment,
            request=request,
        )
    elif user.role in DEPARTMENT_ROLES:
        if payload.department is not None:
            summons = _rated_summons(user, whistle, payload.department)
        else:
            mine = [s for s in whistle.summonses.all() if answers_for(user, s)]
            if not mine:
                raise Forbidden(_("只有被召集部门的工作人员可以办理。"))
            if len(mine) > 1:
                raise ValidationFailed(
                    fields={"department": [_("您属于几个被召集的部门，请选择以哪个部门评价。")]}
                )
            summons = find_summons(user, whistle, mine[0].department_id)
        services.whistle_rate(
            actor=user,
            summons=summons,
            necessary=payload.necessary,
            comment=payload.comment,
            request=request,
        )
    else:
        raise Forbidden(_("只有吹哨单位的领导或被召集部门的工作人员可以评价。"))
    return _answer(user, whistle)


def _rated_summons(user: User, whistle: Whistle, department: int) -> Summons:
    try:
        return find_summons(user, whistle, department)
    except NotFound as exc:
        raise ValidationFailed(fields={"department": [_("这次吹哨没有召集这个部门。")]}) from exc
