from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from grassroots.accounts.models import ApiToken
from grassroots.core.models import AuditEntry
from tests.conftest import PASSWORD


def test_home_sends_each_user_to_their_layout(cast: Any, login: Any) -> None:
    assert Client().get("/")["Location"] == "/accounts/login/"
    assert login(cast.resident).get("/")["Location"] == "/m/"
    assert login(cast.grid_worker_a).get("/")["Location"] == "/workbench/"
    assert login(cast.audit_admin).get("/")["Location"] == "/workbench/"


@pytest.mark.parametrize(
    "path",
    [
        "/m/",
        "/m/report/",
        "/m/me/",
        "/workbench/",
        "/workbench/areas/",
        "/workbench/departments/",
        "/accounts/security/",
    ],
)
def test_pages_need_login(db: Any, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


# /m/report/ is the tickets app's 上报 form, open to grid workers too (巡查上报): its own tests
# are in tests/tickets/test_phone_pages.py.
@pytest.mark.parametrize("path", ["/m/", "/m/me/"])
def test_resident_pages(
    cast: Any, login: Any, path: str, django_assert_max_num_queries: Any
) -> None:
    client = login(cast.resident)
    client.get("/m/")
    # session, user, the unread-message count in the tab bar, (我的) the member lookup
    with django_assert_max_num_queries(4):
        page = client.get(path)
    html = page.content.decode()
    assert page.status_code == 200 and "首页" in html and "上报" in html and "我的" in html
    assert "13800138000" not in html
    assert login(cast.grid_worker_a).get(path).status_code == 403


def test_me_page_masks_the_mobile(cast: Any, login: Any) -> None:
    assert "138****8000" in login(cast.resident).get("/m/me/").content.decode()


@pytest.mark.parametrize("path", ["/workbench/", "/workbench/areas/", "/workbench/departments/"])
def test_workbench_pages_are_for_staff(
    cast: Any, login: Any, path: str, django_assert_max_num_queries: Any
) -> None:
    client = login(cast.community_secretary)
    client.get("/workbench/")
    with django_assert_max_num_queries(9):
        page = client.get(path)
    html = page.content.decode()
    assert page.status_code == 200
    assert "c1_secretary · 社区书记" in html and "管辖：东一社区" in html
    assert login(cast.resident).get(path).status_code == 403


def test_navigation_follows_the_role(cast: Any, login: Any) -> None:
    staff = login(cast.street_dispatcher).get("/workbench/").content.decode()
    assert "/workbench/areas/" in staff and "/admin/" not in staff
    auditor = login(cast.audit_admin).get("/workbench/").content.decode()
    assert "/admin/" in auditor and "/workbench/areas/" not in auditor


def test_area_page_shows_the_scope_and_searches(cast: Any, login: Any) -> None:
    client = login(cast.street_dispatcher)
    html = client.get("/workbench/areas/").content.decode()
    assert "东一社区A网格" in html and "西一社区" not in html
    found = client.get("/workbench/areas/?q=B网格").content.decode()
    assert "东一社区B网格" in found and "东一社区" in found and "东二社区网格" not in found
    none = client.get("/workbench/areas/?q=西一").content.decode()
    assert "没有找到辖区" in none


def test_errors_are_chinese_pages(cast: Any, login: Any) -> None:
    missing = Client().get("/no-such-page/")
    assert missing.status_code == 404 and "页面不存在" in missing.content.decode()
    forbidden = login(cast.resident).get("/workbench/")
    assert forbidden.status_code == 403 and "没有权限" in forbidden.content.decode()


def test_english_is_available(cast: Any, login: Any) -> None:
    client = login(cast.community_secretary)
    client.post("/i18n/setlang/", {"language": "en", "next": "/workbench/"})
    html = client.get("/workbench/").content.decode()
    assert "Workbench" in html and "Community secretary" in html


def change_password(client: Client, old: str, new: str, again: str | None = None) -> Any:
    return client.post(
        "/accounts/security/",
        {
            "form": "password",
            "old_password": old,
            "new_password": new,
            "new_password2": new if again is None else again,
        },
    )


def test_security_page_password_change(cast: Any, login: Any) -> None:
    client = login(cast.resident)
    assert (
        "两次输入的新密码不一致" in change_password(client, "nope", "abc", "abd").content.decode()
    )
    assert "原密码不正确" in change_password(client, "nope", "newpass2026").content.decode()
    assert "字母和数字" in change_password(client, PASSWORD, "abcdefgh").content.decode()
    assert change_password(client, PASSWORD, "newpass2026").status_code == 302
    cast.resident.refresh_from_db()
    assert cast.resident.check_password("newpass2026")
    assert client.get("/m/").status_code == 200  # still signed in
    assert AuditEntry.objects.filter(action="accounts.password_change").count() == 1


def test_staff_issue_and_revoke_tokens_on_the_security_page(cast: Any, login: Any) -> None:
    client = login(cast.street_dispatcher)
    empty = client.post("/accounts/security/", {"form": "token", "name": ""})
    assert "这个字段是必填项" in empty.content.decode()
    page = client.post("/accounts/security/", {"form": "token", "name": "12345 对接"})
    html = page.content.decode()
    token = ApiToken.objects.get(user=cast.street_dispatcher)
    assert f"gr_{token.prefix}_" in html and token.name == "12345 对接"
    client.post("/accounts/security/", {"form": "revoke", "token": token.pk})
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    # A resident has no tokens section and cannot create one.
    resident = login(cast.resident)
    resident.post("/accounts/security/", {"form": "token", "name": "x"})
    assert not ApiToken.objects.filter(user=cast.resident).exists()


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_staff_enrol_and_then_must_pass_totp(cast: Any, client: Client) -> None:
    client.post("/accounts/login/", {"username": "c1_staff", "password": PASSWORD})
    enrol = client.get("/accounts/2fa/")
    assert "绑定手机验证器" in enrol.content.decode() and "<svg" in enrol.content.decode()
    device = TOTPDevice.objects.get(user=cast.community_staff)
    wrong = client.post("/accounts/2fa/", {"otp_token": "12345"})
    assert "6 位数字" in wrong.content.decode()
    assert client.post("/accounts/2fa/", {"otp_token": _code(device)}).status_code == 302
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    client.post("/accounts/logout/")
    # Enrolled: the password alone no longer opens the workbench or the API.
    client.post("/accounts/login/", {"username": "c1_staff", "password": PASSWORD})
    assert client.get("/workbench/")["Location"] == "/accounts/2fa/"
    assert client.get("/api/v1/me").status_code == 401
    assert "二次验证" in client.get("/accounts/2fa/").content.decode()
    device.refresh_from_db()
    device.last_t = -1
    device.save()
    assert client.post("/accounts/2fa/", {"otp_token": _code(device)}).status_code == 302
    assert client.get("/workbench/").status_code == 200
    assert client.get("/api/v1/me").status_code == 200


def test_totp_can_be_made_mandatory(cast: Any, client: Client, settings: Any) -> None:
    settings.STAFF_2FA_REQUIRED = True
    client.post("/accounts/login/", {"username": "s1_leader", "password": PASSWORD})
    assert client.get("/workbench/")["Location"] == "/accounts/2fa/"
    # Residents are not asked.
    resident = Client()
    resident.post("/accounts/login/", {"username": "13800138000", "password": PASSWORD})
    assert resident.get("/m/").status_code == 200


def chinese_left(client: Client, path: str) -> list[str]:
    """Chinese text on an English page, but for the site name and the language switch."""
    import re

    html = client.get(path).content.decode()
    html = html.replace("党建引领基层治理平台", "").replace("简体中文", "")
    return re.findall(r"[\u4e00-\u9fff]+", html)


def in_english(client: Client) -> Client:
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/login/sms/", "/no-such-page/"])
def test_english_pages_have_no_chinese_left(db: Any, path: str) -> None:
    assert chinese_left(in_english(Client()), path) == []


@pytest.mark.parametrize("path", ["/workbench/", "/accounts/security/"])
def test_english_workbench_has_no_chinese_left(cast: Any, login: Any, path: str) -> None:
    assert chinese_left(in_english(login(cast.audit_admin)), path) == []
