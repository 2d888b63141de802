"""Lists of the accounts app cost the same number of queries for a few rows or for many: the
API's token list and the tokens on 账号与安全. Measured with a few rows, then again with many
more; the counts must be equal (a query per row would show as a difference)."""

from __future__ import annotations

from typing import Any

from django.test import Client

from grassroots.accounts.services import token_issue
from tests.helpers import queries_of_get

FEW, MANY = 2, 15


measure = queries_of_get


def issue(user: Any, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        token_issue(user=user, name=f"令牌{i}")


def test_the_token_list_costs_the_same_for_more_tokens(cast: Any, bearer: Any) -> None:
    user = cast.community_staff
    headers = bearer(user)  # one token already: the one the client uses
    issue(user, FEW - 1)
    issue(cast.outsider, 3)
    client = Client()
    few, response = measure(client, "/api/v1/auth/tokens", **headers)
    assert len(response.json()) == FEW
    issue(user, MANY - FEW, start=FEW)
    many, response = measure(client, "/api/v1/auth/tokens", **headers)
    assert len(response.json()) == MANY
    assert {t["name"] for t in response.json()} >= {"test", "令牌0", f"令牌{MANY - 1}"}
    assert many == few <= 3  # the token with its user, the tokens


def test_the_security_page_costs_the_same_for_more_tokens(cast: Any, login: Any) -> None:
    user = cast.street_dispatcher
    issue(user, FEW)
    client = login(user)
    few, response = measure(client, "/accounts/security/")
    assert response.content.decode().count("令牌0") == 1
    issue(user, MANY - FEW, start=FEW)
    many, response = measure(client, "/accounts/security/")
    html = response.content.decode()
    assert all(f"令牌{i}<" in html for i in range(MANY))
    # session, user, two-factor devices (2), scope (2), unread messages, the tokens
    assert many == few <= 8
