"""The OpenAPI document at /api/v1/openapi.json is valid and complete (issue 6, item 3): every
operation says what it does, what it answers, and which errors it may answer, each in the one
error shape."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from openapi_spec_validator import validate

CJK = re.compile(r"[\u4e00-\u9fff]")
SAFE_METHODS = {"get", "head", "options"}
ERROR_STATUSES = {"400", "401", "403", "404", "409", "429"}
ERROR_OUT = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    response = Client().get("/api/v1/openapi.json")  # served without touching the database
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def operations(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method in {"get", "put", "post", "delete", "patch", "head", "options"}:
                yield f"{method.upper()} {path}", op


def parameters(op: dict[str, Any], where: str) -> list[dict[str, Any]]:
    return [p for p in op.get("parameters", []) if p["in"] == where]


def test_the_document_is_valid_openapi(schema: dict[str, Any]) -> None:
    validate(schema)  # raises on the first violation of the OpenAPI 3.1 specification
    assert schema["openapi"].startswith("3.")
    assert len(list(operations(schema))) > 40


def test_every_operation_says_in_chinese_what_it_does(schema: dict[str, Any]) -> None:
    missing = [
        label
        for label, op in operations(schema)
        if not CJK.search(op.get("summary", "")) or not CJK.search(op.get("description", ""))
    ]
    assert missing == []


def test_every_operation_declares_its_answer_and_inputs(schema: dict[str, Any]) -> None:
    problems = []
    for label, op in operations(schema):
        ok = [s for s in op["responses"] if s.startswith("2")]
        if not ok or not all(
            op["responses"][s]["content"]["application/json"]["schema"] for s in ok
        ):
            problems.append(f"{label}: no 2xx answer with a schema")
        for parameter in op.get("parameters", []):
            if not parameter.get("schema"):
                problems.append(f"{label}: parameter {parameter['name']} has no schema")
        for media_type, content in op.get("requestBody", {}).get("content", {}).items():
            if not content.get("schema"):
                problems.append(f"{label}: body {media_type} has no schema")
    assert problems == []


def expected_errors(schema: dict[str, Any], op: dict[str, Any], method: str) -> set[str]:
    """The errors an operation can answer, from what it takes and who may call it."""
    wanted = set()
    security = op.get("security", schema.get("security", []))
    if security:
        wanted.add("401")  # no token, or an unknown, revoked or expired one
        # A browser's session is CSRF-checked on every unsafe request.
        if method not in SAFE_METHODS and any("BrowserSession" in s for s in security):
            wanted.add("403")
    path = parameters(op, "path")
    if path:
        wanted.add("404")  # nothing there, or nothing the caller may see
    typed_path = [p for p in path if p["schema"].get("type") != "string"]
    if "requestBody" in op or parameters(op, "query") or typed_path:
        wanted.add("400")  # a body, a query parameter or an id that does not parse
    return wanted


def test_every_operation_declares_the_errors_it_can_answer(schema: dict[str, Any]) -> None:
    problems = []
    for label, op in operations(schema):
        method = label.split()[0].lower()
        declared = set(op["responses"])
        missing = expected_errors(schema, op, method) - declared
        if missing:
            problems.append(f"{label}: {sorted(missing)} not declared")
        unknown = {s for s in declared if not s.startswith("2")} - ERROR_STATUSES
        if unknown:
            problems.append(f"{label}: {sorted(unknown)} is not one of the platform's errors")
    assert problems == []


def test_every_error_answer_has_the_one_error_shape(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    assert components["ErrorOut"]["properties"] == {
        "error": {"$ref": "#/components/schemas/ErrorBody"}
    }
    assert components["ErrorOut"]["required"] == ["error"]
    body = components["ErrorBody"]
    assert {name: p["type"] for name, p in body["properties"].items()} == {
        "code": "string",
        "message": "string",
        "fields": "object",
    }
    assert body["properties"]["fields"]["additionalProperties"] == {
        "type": "array",
        "items": {"type": "string"},
    }
    assert sorted(body["required"]) == ["code", "fields", "message"]
    wrong = [
        f"{label} {status}"
        for label, op in operations(schema)
        for status, answer in op["responses"].items()
        if status >= "400" and answer.get("content") != ERROR_OUT
    ]
    assert wrong == []


def test_the_lists_and_ids_document_their_bounds(schema: dict[str, Any]) -> None:
    """What a client may send is what the server accepts: the pages' limit and offset, and
    ids as integers."""
    for label, op in operations(schema):
        query = {p["name"]: p["schema"] for p in parameters(op, "query")}
        if "offset" in query:
            assert (query["offset"]["minimum"], query["offset"]["maximum"]) == (0, 10**9), label
            assert (query["limit"]["minimum"], query["limit"]["maximum"]) == (1, 500), label
        for parameter in parameters(op, "path"):
            if parameter["name"].endswith("_id") or parameter["name"] == "department":
                assert parameter["schema"]["type"] == "integer", label
