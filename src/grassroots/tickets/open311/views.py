"""The GeoReport v2 resources. Each view answers in the format of its URL suffix (.json or
.xml); errors follow the spec (`errors/error{code, description}`) with HTTP 400, 403, 404 or
429. Reads need no key (as the spec has it) but never carry personal data; a read that
brings a key is checked and counted against the client's rate limit."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from grassroots.territory.models import Area, AreaKind

from ..models import Category, CategoryAttribute
from ..selectors import category_tree, is_selectable
from . import render
from .keys import client_for_key, within_rate

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When the catalogue of services last changed in a way clients should notice (discovery).
CHANGESET = "2026-12-02T00:00:00+08:00"


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def resource(view: Any) -> Any:
    """Turns an Open311Error into the spec's error body, in the URL's format."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
        try:
            _refuse_nul(request)
            return view(request, *args, fmt=fmt, **kwargs)  # type: ignore[no-any-return]
        except Open311Error as exc:
            return render.error(fmt, exc.status, exc.description)

    return csrf_exempt(wrapper)


def _refuse_nul(request: HttpRequest) -> None:
    """A NUL character cannot be stored (PostgreSQL refuses it): a 400, not a 500."""
    params = request.POST if request.method == "POST" else request.GET
    for key, values in params.lists():
        if "\x00" in key or any("\x00" in v for v in values):
            raise Open311Error(400, _("%(name)s 含有无效的字符。") % {"name": key.strip("\x00")})


def jurisdiction(request: HttpRequest) -> Area:
    """The street a request concerns: `jurisdiction_id` is a street's code. Without one, the
    server's only street — and a 400 once it serves several."""
    params = request.POST if request.method == "POST" else request.GET
    code = (params.get("jurisdiction_id") or "").strip()
    streets = Area.objects.filter(kind__in=[AreaKind.STREET, AreaKind.TOWNSHIP])
    if code:
        street = streets.filter(code=code).first()
        if street is None:
            raise Open311Error(404, _("没有这个 jurisdiction_id（街道编码）。"))
        return street
    found = list(streets.order_by("code")[:2])
    if len(found) == 1:
        return found[0]
    raise Open311Error(400, _("本平台服务多个街道，请提供 jurisdiction_id（街道编码）。"))


def keyed_client(request: HttpRequest, *, required: bool) -> Any:
    """The client holding `api_key` (403 when missing or wrong if required; 429 past its
    rate limit)."""
    params = request.POST if request.method == "POST" else request.GET
    raw = params.get("api_key", "")
    if not raw:
        if required:
            raise Open311Error(403, _("缺少 api_key。"))
        return None
    client = client_for_key(raw)
    if client is None:
        raise Open311Error(403, _("api_key 无效或已吊销。"))
    if not within_rate(client):
        raise Open311Error(429, _("请求过于频繁，请稍后再试。"))
    return client


# ---------------------------------------------------------------------------------------------
# discovery and services


@require_http_methods(["GET", "HEAD"])
@resource
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    keyed_client(request, required=False)
    base = request.build_absolute_uri(reverse("open311:root"))
    return render.respond(
        fmt,
        "discovery",
        {
            "changeset": CHANGESET,
            "contact": settings.OPEN311_CONTACT,
            "key_service": settings.OPEN311_KEY_SERVICE,
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": base.rstrip("/"),
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": list(render.FORMATS.values()),
                }
            ],
        },
    )


def _leaves() -> list[Category]:
    """The catalogue's selectable leaves, in tree order, with their group's name."""
    rows = category_tree()
    names = {c.path: c.name for c in rows}
    leaves = [c for c in rows if is_selectable(c)]
    for leaf in leaves:
        leaf.group_name = names.get(leaf.path[: -Category.steplen], "")  # type: ignore[attr-defined]
    return leaves


@require_http_methods(["GET", "HEAD"])
@resource
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    keyed_client(request, required=False)
    jurisdiction(request)
    leaves = _leaves()
    asked = set(
        CategoryAttribute.objects.filter(category__in=leaves).values_list("category_id", flat=True)
    )
    return render.respond(
        fmt,
        "services",
        [
            {
                "service_code": c.code,
                "service_name": c.name,
                "description": c.description,
                "metadata": c.pk in asked,
                "type": "realtime",
                "keywords": ",".join(c.keyword_list),
                "group": c.group_name,  # type: ignore[attr-defined]
            }
            for c in leaves
        ],
    )


@require_http_methods(["GET", "HEAD"])
@resource
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    keyed_client(request, required=False)
    jurisdiction(request)
    leaf = next((c for c in _leaves() if c.code == code), None)
    if leaf is None:
        raise Open311Error(404, _("没有这个 service_code。"))
    return render.respond(
        fmt,
        "service_definition",
        {
            "service_code": leaf.code,
            "attributes": [
                {
                    "variable": a.variable,
                    "code": a.code,
                    "datatype": a.datatype,
                    "required": a.required,
                    "datatype_description": a.datatype_description,
                    "order": a.order,
                    "description": a.description,
                    "values": [{"key": str(v["key"]), "name": str(v["name"])} for v in a.values],
                }
                for a in leaf.attributes.order_by("order", "id")
            ],
        },
    )
