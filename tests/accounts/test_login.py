from __future__ import annotations

import json
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from grassroots.core.models import AuditEntry
from tests.conftest import PASSWORD

WRONG = "账号或密码不正确。"


def post_token(client: Client, username: str, password: str, **extra: Any) -> Any:
    return client.post(
        "/api/v1/auth/token",
        json.dumps({"username": username, "password": password, **extra}),
        content_type="application/json",
    )


def test_staff_log_in_with_username(cast: Any, client: Client) -> None:
    response = client.post("/accounts/login/", {"username": "S1_Dispatcher", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/", follow=True).redirect_chain[-1][0] == "/workbench/"
    entry = AuditEntry.objects.filter(action="auth.login").order_by("-seq").first()
    assert entry.outcome == "success" and entry.actor_id == cast.street_dispatcher.pk


def test_residents_log_in_with_their_mobile(cast: Any, client: Client) -> None:
    response = client.post("/accounts/login/", {"username": "13800138000", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/", follow=True).redirect_chain[-1][0] == "/m/"


def test_login_goes_to_a_safe_next_only(cast: Any, client: Client) -> None:
    ok = client.post(
        "/accounts/login/?next=/workbench/areas/",
        {"username": "s1_dispatcher", "password": PASSWORD},
    )
    assert ok["Location"] == "/workbench/areas/"
    client.logout()
    evil = client.post(
        "/accounts/login/?next=https://evil.example/",
        {"username": "s1_dispatcher", "password": PASSWORD},
    )
    assert evil["Location"] == "/"


@pytest.mark.parametrize(
    "username,password",
    [
        ("s1_dispatcher", "wrong-password1"),
        ("nobody", PASSWORD),
        ("13800138000", "wrong-password1"),
        ("13999999999", PASSWORD),
    ],
)
def test_wrong_credentials_never_say_which_part(
    cast: Any, client: Client, username: str, password: str
) -> None:
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 200
    assert WRONG in response.content.decode()
    assert "_auth_user_id" not in client.session
    failure = AuditEntry.objects.filter(action="auth.login", outcome="failure").get()
    assert failure.actor_id is None
    assert "13800138000" not in failure.actor_label  # a mobile is logged masked


def test_an_empty_form_gets_field_errors(db: Any, client: Client) -> None:
    response = client.post("/accounts/login/", {"username": "", "password": ""})
    assert response.status_code == 200
    assert response.content.decode().count("这个字段是必填项。") == 2


def test_five_failures_lock_the_account_for_30_minutes(cast: Any, client: Client) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(4):
            assert (
                WRONG
                in client.post(
                    "/accounts/login/", {"username": "s1_dispatcher", "password": "bad-pass1"}
                ).content.decode()
            )
        fifth = client.post(
            "/accounts/login/", {"username": "s1_dispatcher", "password": "bad-pass1"}
        )
        assert fifth.status_code == 429
        page = fifth.content.decode()
        unlock = timezone.localtime(start + timezone.timedelta(minutes=30)).strftime(
            "%Y-%m-%d %H:%M"
        )
        assert "账号已锁定" in page and unlock in page
        # Even the right password is refused while locked.
        right = client.post("/accounts/login/", {"username": "s1_dispatcher", "password": PASSWORD})
        assert right.status_code == 429 and "_auth_user_id" not in client.session
        # Another account is not affected.
        other = client.post("/accounts/login/", {"username": "c1_staff", "password": PASSWORD})
        assert other.status_code == 302
    client.logout()
    with time_machine.travel(start + timezone.timedelta(minutes=31), tick=False):
        again = client.post("/accounts/login/", {"username": "s1_dispatcher", "password": PASSWORD})
        assert again.status_code == 302


def test_lockout_counts_api_failures_and_tells_when_it_unlocks(cast: Any, client: Client) -> None:
    for _ in range(4):
        response = post_token(client, "13800138000", "bad-pass1")
        assert response.status_code == 401
        assert response.json()["error"] == {
            "code": "not_authenticated",
            "message": WRONG,
            "fields": {},
        }
    fifth = post_token(client, "13800138000", "bad-pass1")
    assert fifth.status_code == 429
    locked = post_token(client, "13800138000", PASSWORD)
    assert locked.status_code == 429
    body = locked.json()["error"]
    assert body["code"] == "locked" and "解锁" in body["message"] and body["unlock_at"]
    # The lock is stored under the number's digest, never the number.
    from axes.models import AccessAttempt

    assert not AccessAttempt.objects.filter(username__contains="13800138000").exists()
    assert "13800138000" not in "".join(AccessAttempt.objects.values_list("post_data", flat=True))


def test_the_security_admin_can_unlock(cast: Any, client: Client) -> None:
    from grassroots.accounts.services import user_unlock

    for _ in range(5):
        client.post("/accounts/login/", {"username": "c1_staff", "password": "bad-pass1"})
    assert (
        client.post("/accounts/login/", {"username": "c1_staff", "password": PASSWORD}).status_code
        == 429
    )
    assert user_unlock(actor=cast.security_admin, user=cast.community_staff) >= 1
    assert (
        client.post("/accounts/login/", {"username": "c1_staff", "password": PASSWORD}).status_code
        == 302
    )


def test_sms_code_login(
    cast: Any, client: Client, sms_outbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post("/accounts/sms-code/", {"mobile": "13800138000"})
    assert sent.status_code == 200 and "验证码已发送" in sent.content.decode()
    ((mobile, text),) = sms_outbox
    code = re.search(r"\d{6}", text).group()
    assert mobile == "13800138000"
    wrong = client.post(
        "/accounts/login/sms/",
        {"mobile": "13800138000", "code": "000000" if code != "000000" else "111111"},
    )
    assert "验证码不正确或已过期" in wrong.content.decode()
    ok = client.post("/accounts/login/sms/", {"mobile": "13800138000", "code": code})
    assert ok.status_code == 302
    client.logout()
    reused = client.post("/accounts/login/sms/", {"mobile": "13800138000", "code": code})
    assert reused.status_code == 200  # a code works once


def test_sms_codes_are_rate_limited_and_do_not_reveal_registration(
    cast: Any, client: Client, sms_outbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        unknown = client.post("/accounts/sms-code/", {"mobile": "13999999999"})
    assert unknown.status_code == 200 and sms_outbox == []  # same answer, nothing sent
    again = client.post("/accounts/sms-code/", {"mobile": "13999999999"})
    assert again.status_code == 400 and "1 分钟后再试" in again.content.decode()
    bad = client.post("/accounts/sms-code/", {"mobile": "12345"})
    assert bad.status_code == 400 and "11 位手机号码" in bad.content.decode()


def test_sms_code_allows_five_tries(
    cast: Any, client: Client, sms_outbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/sms-code/", {"mobile": "13800138000"})
    code = re.search(r"\d{6}", sms_outbox[0][1]).group()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        client.post("/accounts/login/sms/", {"mobile": "13800138000", "code": wrong})
    # The fifth failure locks the account (axes) and the code is spent.
    client.post("/accounts/login/sms/", {"mobile": "13800138000", "code": wrong})
    late = client.post("/accounts/login/sms/", {"mobile": "13800138000", "code": code})
    assert "_auth_user_id" not in client.session and late.status_code in (200, 429)


def test_staff_sessions_end_after_30_idle_minutes(cast: Any, client: Client) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.post("/accounts/login/", {"username": "c1_staff", "password": PASSWORD})
    with time_machine.travel(start + timezone.timedelta(minutes=29), tick=False):
        assert client.get("/workbench/").status_code == 200
    with time_machine.travel(start + timezone.timedelta(minutes=58), tick=False):
        assert client.get("/workbench/").status_code == 200  # activity keeps it alive
    with time_machine.travel(start + timezone.timedelta(minutes=90), tick=False):
        response = client.get("/workbench/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert AuditEntry.objects.filter(action="auth.logout", data__contains="idle").exists()


def test_resident_sessions_last(cast: Any, client: Client) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.post("/accounts/login/", {"username": "13800138000", "password": PASSWORD})
    with time_machine.travel(start + timezone.timedelta(days=3), tick=False):
        assert client.get("/m/").status_code == 200


def test_logout_is_post_only_and_audited(cast: Any, login: Any) -> None:
    client = login(cast.community_staff)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert AuditEntry.objects.filter(action="auth.logout", actor=cast.community_staff).exists()


def test_one_address_cannot_send_codes_to_many_numbers(db: Any, client: Client) -> None:
    answers = [
        client.post("/accounts/sms-code/", {"mobile": f"139{i:08d}"}).status_code for i in range(21)
    ]
    assert answers[:20] == [200] * 20
    assert answers[20] == 400
    assert (
        "请求过于频繁"
        in client.post("/accounts/sms-code/", {"mobile": "13712345678"}).content.decode()
    )
