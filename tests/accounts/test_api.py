from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from grassroots.accounts.models import ApiToken
from grassroots.core.models import AuditEntry
from tests.conftest import PASSWORD


def token_for(client: Client, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post(
        "/api/v1/auth/token",
        json.dumps({"username": username, "password": password, **extra}),
        content_type="application/json",
    )


# --- POST /auth/token -------------------------------------------------------------------------


def test_token_for_username_and_for_mobile(cast: Any, client: Client) -> None:
    for login in ("s1_dispatcher", "13800138000"):
        response = token_for(client, login)
        assert response.status_code == 201
        body = response.json()
        assert body["token"].startswith("gr_") and body["expires_at"]
    stored = ApiToken.objects.get(user=cast.resident)
    assert body["token"] not in (stored.digest, stored.prefix)  # only a digest is kept


def test_token_issue_query_count(
    cast: Any, client: Client, django_assert_max_num_queries: Any
) -> None:
    # lockout count, user, TOTP check, the token, and two audit rows (login, token issue)
    # of four statements each; savepoints count too.
    with django_assert_max_num_queries(16):
        assert token_for(client, "s1_dispatcher").status_code == 201


def test_token_request_validation(db: Any, client: Client) -> None:
    response = client.post(
        "/api/v1/auth/token", json.dumps({"username": "x"}), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"password": ["此项为必填项。"]}
    garbage = client.post("/api/v1/auth/token", "{not json", content_type="application/json")
    assert garbage.status_code == 400 and garbage.json()["error"]["code"] == "validation_failed"


def test_token_with_totp_enrolled_needs_the_code(cast: Any, client: Client) -> None:
    device = TOTPDevice.objects.create(user=cast.street_leader, name="phone", confirmed=True)
    missing = token_for(client, "s1_leader")
    assert missing.status_code == 401 and "otp" in missing.json()["error"]["message"]
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    assert token_for(client, "s1_leader", otp=code).status_code == 201


# --- Bearer tokens ------------------------------------------------------------------------------


def test_bearer_token_authenticates(cast: Any, bearer: Any) -> None:
    response = Client().get("/api/v1/me", **bearer(cast.grid_worker_a))
    assert response.status_code == 200
    assert response.json()["username"] == "grid_a"


@pytest.mark.parametrize(
    "header", ["Bearer nonsense", "Bearer gr_00000000_x", "Token abc", "Bearer "]
)
def test_malformed_or_unknown_tokens_are_401(db: Any, header: str) -> None:
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "not_authenticated",
            "message": "请先登录，或提供有效的令牌。",
            "fields": {},
        }
    }


def test_revoked_and_expired_tokens_stop_working(cast: Any, bearer: Any) -> None:
    headers = bearer(cast.community_staff)
    token = ApiToken.objects.get(user=cast.community_staff)
    client = Client()
    assert client.get("/api/v1/me", **headers).status_code == 200
    revoked = client.delete(f"/api/v1/auth/tokens/{token.pk}", **headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client.get("/api/v1/me", **headers).status_code == 401
    headers = bearer(cast.community_staff)
    ApiToken.objects.filter(revoked_at__isnull=True).update(expires_at=timezone.now())
    assert client.get("/api/v1/me", **headers).status_code == 401


def test_tokens_of_inactive_users_stop_working(cast: Any, bearer: Any) -> None:
    headers = bearer(cast.community_staff)
    cast.community_staff.is_active = False
    cast.community_staff.save()
    assert Client().get("/api/v1/me", **headers).status_code == 401


def test_another_users_token_cannot_be_revoked(cast: Any, bearer: Any) -> None:
    bearer(cast.community_staff)
    theirs = ApiToken.objects.get(user=cast.community_staff)
    response = Client().delete(f"/api/v1/auth/tokens/{theirs.pk}", **bearer(cast.outsider))
    assert response.status_code == 404
    assert ApiToken.objects.get(pk=theirs.pk).revoked_at is None


def test_token_list_shows_only_mine(
    cast: Any, bearer: Any, django_assert_max_num_queries: Any
) -> None:
    bearer(cast.outsider)
    headers = bearer(cast.community_staff)
    with django_assert_max_num_queries(3):
        response = Client().get("/api/v1/auth/tokens", **headers)
    assert [t["name"] for t in response.json()] == ["test"]
    assert "digest" not in response.json()[0]


# --- Session auth and CSRF ----------------------------------------------------------------------


def test_browser_session_needs_csrf_for_writes(cast: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.street_dispatcher)
    assert client.get("/api/v1/me").status_code == 200
    response = client.post(
        f"/api/v1/users/{cast.grid_worker_a.pk}/reveal",
        json.dumps({"field": "mobile"}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action="personal.reveal").exists()


# --- GET /me ------------------------------------------------------------------------------------


def test_me_shows_role_scope_and_masked_mobile(
    cast: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    client = login(cast.grid_worker_a)
    # session, user, TOTP device check, two scope prefetches, and the first request's
    # session write (savepoint, update, release).
    with django_assert_max_num_queries(8):
        body = client.get("/api/v1/me").json()
    assert body["role"] == "grid_worker" and body["roles"] == ["grid_worker"]
    assert body["role_label"] == "网格员"
    assert body["mobile"] == "139****0001"
    assert [a["code"] for a in body["scope_areas"]] == ["S1C1GA"]
    assert body["scope_departments"] == []


def test_me_needs_authentication(db: Any) -> None:
    response = Client().get("/api/v1/me")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"


# --- POST /users/{id}/reveal --------------------------------------------------------------------


def test_reveal_returns_the_number_and_audits(
    cast: Any, bearer: Any, django_assert_max_num_queries: Any
) -> None:
    headers = bearer(cast.community_secretary)
    with django_assert_max_num_queries(12):
        response = Client().post(
            f"/api/v1/users/{cast.grid_worker_a.pk}/reveal",
            json.dumps({"field": "mobile"}),
            content_type="application/json",
            **headers,
        )
    assert response.status_code == 200 and response.json()["value"] == "13900000001"
    assert (
        AuditEntry.objects.filter(action="personal.reveal", actor=cast.community_secretary).count()
        == 1
    )


def test_reveal_validation(cast: Any, bearer: Any) -> None:
    response = Client().post(
        f"/api/v1/users/{cast.grid_worker_a.pk}/reveal",
        json.dumps({"field": "password"}),
        content_type="application/json",
        **bearer(cast.community_secretary),
    )
    assert response.status_code == 400 and "field" in response.json()["error"]["fields"]


def test_reveal_out_of_scope_is_404(cast: Any, bearer: Any) -> None:
    response = Client().post(
        f"/api/v1/users/{cast.grid_worker_a.pk}/reveal",
        json.dumps({"field": "mobile"}),
        content_type="application/json",
        **bearer(cast.outsider),
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_reveal_without_permission_is_403(cast: Any, bearer: Any) -> None:
    response = Client().post(
        f"/api/v1/users/{cast.grid_worker_a.pk}/reveal",
        json.dumps({"field": "mobile"}),
        content_type="application/json",
        **bearer(cast.system_admin),
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


def test_reveal_unauthenticated(cast: Any) -> None:
    response = Client().post(
        f"/api/v1/users/{cast.grid_worker_a.pk}/reveal",
        json.dumps({"field": "mobile"}),
        content_type="application/json",
    )
    assert response.status_code == 401


# --- OpenAPI ------------------------------------------------------------------------------------


def test_openapi_schema_and_offline_docs(db: Any) -> None:
    client = Client()
    schema = client.get("/api/v1/openapi.json").json()
    assert {
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/areas",
        "/api/v1/areas/{area_id}",
        "/api/v1/departments",
        "/api/v1/users/{user_id}/reveal",
    } <= set(schema["paths"])
    docs = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
