"""GeoReport v2 service requests: file one (with an api_key, through `ticket_submit` like
every other channel), read them back (no key needed; no personal data ever), and look a token
up. Times are ISO 8601 with the +08:00 offset."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from grassroots.core.errors import Forbidden, ValidationFailed
from grassroots.territory.models import Area, AreaKind

from ..locate import grid_at
from ..models import CLOSED_STATES, Channel, EventKind, Ticket, TicketEvent, TicketState
from ..services import ticket_submit
from . import render
from .views import Open311Error, jurisdiction, keyed_client, resource

WINDOW_DAYS = 90
MAX_RESULTS = 1000
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Our field names → the Open311 parameters a client sent.
PARAMETERS = {
    "category": "service_code",
    "lat": "lat",
    "lon": "long",
    "building": "address_id",
    "address": "address_string",
    "description": "description",
    "contact_name": "first_name",
    "contact_mobile": "phone",
    "photos": "media",
}
DONE_STATES = {*CLOSED_STATES, TicketState.RESOLVED}


def _local(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _float(params: QueryDict, name: str, low: float, high: float) -> float | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError as exc:
        raise Open311Error(400, _("%(name)s 须为数字。") % {"name": name}) from exc
    if not low <= value <= high:
        raise Open311Error(
            400,
            _("%(name)s 须在 %(low)s 到 %(high)s 之间。")
            % {"name": name, "low": low, "high": high},
        )
    return value


def _attributes(params: QueryDict) -> dict[str, Any]:
    """attribute[CODE]=v and attribute[CODE][]=v1&attribute[CODE][]=v2."""
    answers: dict[str, Any] = {}
    for key in params:
        if not key.startswith("attribute[") or "]" not in key:
            continue
        code = key[len("attribute[") : key.index("]")]
        if key.endswith("[]"):
            answers[code] = params.getlist(key)
        else:
            answers[code] = params.get(key, "")
    return answers


def _media_url(params: QueryDict) -> str:
    url = (params.get("media_url") or "").strip()
    if not url:
        return ""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 500:
        raise Open311Error(400, _("media_url 须为 http(s) 地址，且不超过 500 个字符。"))
    return url


def _errors(exc: ValidationFailed) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for field, messages in exc.fields.items():
        name = PARAMETERS.get(field, field)
        rows.extend({"code": 400, "description": f"{name}: {m}"} for m in messages)
    return rows or [{"code": 400, "description": exc.message}]


@require_http_methods(["GET", "HEAD", "POST"])
@resource
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    return _list(request, fmt)


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.content_type not in FORM_TYPES:
        raise Open311Error(400, _("请以 application/x-www-form-urlencoded 表单提交。"))
    params = request.POST
    client = keyed_client(request, required=True)
    street = jurisdiction(request)
    if not client.streets.filter(pk=street.pk).exists():
        raise Open311Error(403, _("该 api_key 不能向这个街道提交诉求。"))
    lat = _float(params, "lat", -90, 90)
    lon = _float(params, "long", -180, 180)
    if (lat is None) != (lon is None):
        raise Open311Error(400, _("lat 和 long 须同时提供。"))
    address = (params.get("address_string") or "").strip()
    address_id = (params.get("address_id") or "").strip()
    if lat is None and not address and not address_id:
        raise Open311Error(400, _("请提供位置：lat 和 long、address_string 或 address_id。"))
    if lat is not None and lon is not None:
        grid = grid_at(lat, lon)
        if grid is not None and not grid.path.startswith(street.path):
            raise Open311Error(400, _("该位置不在 jurisdiction_id 所指的街道内。"))
        if grid is not None and not address and not address_id:
            address = grid.name  # a point alone is a valid request: name where it falls
    if address_id:
        building = Area.objects.filter(code=address_id, kind=AreaKind.BUILDING).first()
        if building is None or not building.path.startswith(street.path):
            raise Open311Error(400, _("address_id 不是该街道的楼栋编码。"))
    # 姓在前: "王" + "小明".
    name = "".join((params.get(part) or "").strip() for part in ("last_name", "first_name"))
    token = uuid.uuid4().hex
    media_url = _media_url(params)
    try:
        ticket, _created = ticket_submit(
            actor=client.account,
            category=(params.get("service_code") or "").strip(),
            description=params.get("description") or "",
            address=address,
            channel=Channel.OPEN311,
            building=address_id or None,
            lat=lat,
            lon=lon,
            area=street,
            attributes=_attributes(params),
            extra={"media_url": media_url} if media_url else None,
            contact_name=name[:50],
            contact_mobile=(params.get("phone") or "").strip(),
            idempotency_key=token,
            request=request,
        )
    except ValidationFailed as exc:
        return render.respond(fmt, "errors", _errors(exc), 400)
    except Forbidden as exc:
        raise Open311Error(403, exc.message) from exc
    answer: dict[str, Any] = {
        "service_request_id": ticket.number,
        "token": token,
        "service_notice": _("已收到，街道派单后开始计时；可凭编号查询进展。"),
    }
    if params.get("account_id"):
        answer["account_id"] = str(params.get("account_id"))[:100]
    return render.respond(fmt, "service_requests", [answer], 201)


# ---------------------------------------------------------------------------------------------
# reading


def _moment(params: QueryDict, name: str) -> datetime | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Open311Error(
            400,
            _("%(name)s 须为带时区的 ISO 8601 时间，如 2026-12-01T00:00:00+08:00。")
            % {"name": name},
        ) from exc
    if moment.tzinfo is None:
        raise Open311Error(400, _("%(name)s 须带时区，如 +08:00。") % {"name": name})
    return moment


def _positive(params: QueryDict, name: str, default: int, high: int) -> int:
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= high:
        raise Open311Error(400, _("%(name)s 须为 1 到 %(n)d 的整数。") % {"name": name, "n": high})
    return int(raw)


def _notes(tickets: list[Ticket]) -> dict[int, str]:
    """Each done ticket's last word: its resolution, rejection or merger."""
    notes: dict[int, str] = {}
    done = [t.pk for t in tickets if t.state in DONE_STATES]
    for ticket_id, note in (
        TicketEvent.objects.filter(
            ticket_id__in=done,
            kind__in=[EventKind.RESOLVED, EventKind.REJECTED, EventKind.MERGED],
        )
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "note")
    ):
        notes[ticket_id] = note
    return notes


def _row(ticket: Ticket, notes: dict[int, str], readable: set[int]) -> dict[str, Any]:
    """A request as Open311 reads it: never the requester's name, phone or email; an
    anonymous request's description only to a key whose account may see the ticket."""
    handler = ticket.handler_department or ticket.handler_area
    description = ticket.description
    if ticket.anonymous and ticket.pk not in readable:
        description = ""
    return {
        "service_request_id": ticket.number,
        "status": "closed" if ticket.state in DONE_STATES else "open",
        "status_notes": notes.get(ticket.pk, ""),
        "service_name": ticket.category.name,
        "service_code": ticket.category.code,
        "description": description,
        "agency_responsible": str(handler) if handler is not None else "",
        "service_notice": "",
        "requested_datetime": _local(ticket.created_at),
        "updated_datetime": _local(ticket.updated_at),
        "expected_datetime": _local(ticket.resolve_by),
        "address": ticket.address,
        "address_id": ticket.building.code if ticket.building is not None else "",
        "zipcode": "",
        "lat": ticket.lat,
        "long": ticket.lon,
        "media_url": str(ticket.attributes.get("media_url", "")),
    }


def _answer(request: HttpRequest, fmt: str, tickets: list[Ticket], client: Any) -> HttpResponse:
    readable: set[int] = set()
    hidden = [t.pk for t in tickets if t.anonymous]
    if hidden and client is not None and client.account is not None:
        readable = set(
            Ticket.objects.visible_to(client.account)
            .filter(pk__in=hidden)
            .values_list("pk", flat=True)
        )
    notes = _notes(tickets)
    return render.respond(fmt, "service_requests", [_row(t, notes, readable) for t in tickets])


RELATED = ("category", "building", "handler_area", "handler_department")


def _list(request: HttpRequest, fmt: str) -> HttpResponse:
    params = request.GET
    client = keyed_client(request, required=False)
    street = jurisdiction(request)
    rows = Ticket.objects.filter(street=street).select_related(*RELATED)
    page_size = _positive(params, "page_size", MAX_RESULTS, MAX_RESULTS)
    page = _positive(params, "page", 1, 1_000_000)
    ids = [i.strip() for i in (params.get("service_request_id") or "").split(",") if i.strip()]
    if ids:
        # The ids override every other filter.
        if len(ids) > MAX_RESULTS:
            raise Open311Error(400, _("一次最多查询 %(n)d 个编号。") % {"n": MAX_RESULTS})
        rows = rows.filter(number__in=ids)
    else:
        codes = [c.strip() for c in (params.get("service_code") or "").split(",") if c.strip()]
        if codes:
            rows = rows.filter(category__code__in=codes)
        end = _moment(params, "end_date") or timezone.now()
        start = _moment(params, "start_date") or end - timedelta(days=WINDOW_DAYS)
        if start > end:
            raise Open311Error(400, _("start_date 不能晚于 end_date。"))
        if end - start > timedelta(days=WINDOW_DAYS):
            raise Open311Error(400, _("查询时间段不能超过 %(n)d 天。") % {"n": WINDOW_DAYS})
        rows = rows.filter(created_at__gte=start, created_at__lte=end)
        statuses = {s.strip() for s in (params.get("status") or "").split(",") if s.strip()}
        if statuses - {"open", "closed"}:
            raise Open311Error(400, _("status 须为 open 或 closed。"))
        if statuses == {"open"}:
            rows = rows.exclude(state__in=DONE_STATES)
        elif statuses == {"closed"}:
            rows = rows.filter(state__in=DONE_STATES)
    found = list(rows.order_by("-created_at", "-id")[(page - 1) * page_size : page * page_size])
    return _answer(request, fmt, found, client)


@require_http_methods(["GET", "HEAD"])
@resource
def request_detail(request: HttpRequest, fmt: str, number: str) -> HttpResponse:
    client = keyed_client(request, required=False)
    street = jurisdiction(request)
    ticket = Ticket.objects.filter(street=street, number=number).select_related(*RELATED).first()
    if ticket is None:
        raise Open311Error(404, _("没有这个 service_request_id。"))
    return _answer(request, fmt, [ticket], client)


@require_http_methods(["GET", "HEAD"])
@resource
def token(request: HttpRequest, fmt: str, value: str) -> HttpResponse:
    keyed_client(request, required=False)
    jurisdiction(request)
    ticket = (
        Ticket.objects.filter(channel=Channel.OPEN311, submit_key=value)
        .only("number", "submit_key")
        .first()
    )
    if ticket is None:
        raise Open311Error(404, _("没有这个 token。"))
    return render.respond(
        fmt, "service_requests", [{"service_request_id": ticket.number, "token": value}]
    )
