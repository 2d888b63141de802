"""Assertions shared by the API tests."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import id_number

# Every full number the `people` and `cast` fixtures hold; none may appear in any response.
RAW_NUMBERS = [
    "13700000001",
    "13700000002",
    "13700000003",
    "13700000004",
    "13800138000",
    "13900000001",
    *(id_number(seed) for seed in range(1, 6)),
]


def assert_masked(content: bytes) -> None:
    text = content.decode()
    assert not [n for n in RAW_NUMBERS if n in text]


def warm(client: Client) -> Client:
    client.get("/api/v1/me")  # the first request writes the session
    return client


def fields(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    body = response.json()["error"]
    assert body["code"] == "validation_failed"
    return body["fields"]


def assert_not_found(response: Any) -> None:
    assert response.status_code == 404, response.content
    assert response.json() == {
        "error": {"code": "not_found", "message": "未找到该内容。", "fields": {}}
    }


def queries_of_get(
    client: Client, path: str, query: dict[str, str] | None = None, **extra: Any
) -> tuple[int, HttpResponse]:
    """The queries of one GET (after a first one that writes the session), and its answer,
    which must be a 200: for tests that compare a list's cost with few rows and with many."""
    client.get(path, query or {}, **extra)
    with CaptureQueriesContext(connection) as ctx:
        response: HttpResponse = client.get(path, query or {}, **extra)
    assert response.status_code == 200, (response.status_code, response.content[:300])
    return len(ctx.captured_queries), response
