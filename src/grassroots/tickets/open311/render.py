"""GeoReport v2 bodies in JSON and XML. A resource is built once as plain data (lists and
dicts), then written in the format the URL asks for: the XML element names follow the spec
(a list's items are named by `ITEM_NAMES`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpResponse, JsonResponse

# The element name of one item of a list, by the list's element name.
ITEM_NAMES = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
    "service_requests": "request",
}
FORMATS = {"json": "application/json", "xml": "text/xml"}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else str(value)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list):
        name = ITEM_NAMES.get(element.tag, "item")
        for item in value:
            _fill(ET.SubElement(element, name), item)
    else:
        element.text = _text(value)


def to_xml(root: str, value: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, value)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8")


def respond(fmt: str, root: str, value: Any, status: int = 200) -> HttpResponse:
    """`value` as JSON (a list or an object, as the spec has it) or as XML under `root`."""
    if fmt == "xml":
        return HttpResponse(to_xml(root, value), content_type="text/xml; charset=utf-8",
                            status=status)  # fmt: skip
    return JsonResponse(value, safe=False, status=status, json_dumps_params={"ensure_ascii": False})


def error(fmt: str, status: int, description: str) -> HttpResponse:
    """The spec's error body: a list of {code, description} (`<errors><error>` in XML)."""
    return respond(fmt, "errors", [{"code": status, "description": description}], status)
