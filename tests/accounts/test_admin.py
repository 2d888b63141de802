"""三员分立: the system admin manages base data, the security admin accounts and locks, the
audit admin reads and exports the audit log; none can do the others' work."""

from __future__ import annotations

from typing import Any

import pytest

from grassroots.accounts.models import Role, User
from grassroots.accounts.services import user_set_role
from grassroots.core.errors import Forbidden, ValidationFailed
from grassroots.core.models import AuditEntry

PAGES = {
    "area": "/admin/territory/area/",
    "department": "/admin/territory/department/",
    "user": "/admin/accounts/user/",
    "audit": "/admin/core/auditentry/",
    "lockouts": "/admin/axes/accessattempt/",
}
ALLOWED = {
    "system_admin": {"area", "department"},
    "security_admin": {"user", "lockouts"},
    "audit_admin": {"audit"},
}


@pytest.mark.parametrize("who", sorted(ALLOWED))
@pytest.mark.parametrize("page", sorted(PAGES))
def test_each_admin_reaches_only_its_pages(cast: Any, login: Any, who: str, page: str) -> None:
    response = login(getattr(cast, who)).get(PAGES[page])
    assert response.status_code == (200 if page in ALLOWED[who] else 403)


@pytest.mark.parametrize("who", ["community_secretary", "street_leader", "resident"])
def test_business_users_have_no_admin(cast: Any, login: Any, who: str) -> None:
    response = login(getattr(cast, who)).get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_superuser_flag_grants_nothing(cast: Any, login: Any) -> None:
    User.objects.filter(pk=cast.audit_admin.pk).update(is_superuser=True)
    client = login(User.objects.get(pk=cast.audit_admin.pk))
    assert client.get(PAGES["user"]).status_code == 403
    assert client.get(PAGES["area"]).status_code == 403


def test_audit_rows_cannot_be_changed_or_deleted_in_admin(cast: Any, login: Any) -> None:
    entry = AuditEntry.objects.order_by("seq").first()
    client = login(cast.audit_admin)
    page = client.get(f"/admin/core/auditentry/{entry.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert (
        client.post(f"/admin/core/auditentry/{entry.pk}/change/", {"action": "x"}).status_code
        == 403
    )
    assert (
        client.post(f"/admin/core/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert client.get("/admin/core/auditentry/add/").status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).action == entry.action


def test_the_audit_admin_exports_csv(cast: Any, login: Any) -> None:
    client = login(cast.audit_admin)
    ids = list(AuditEntry.objects.values_list("pk", flat=True)[:3])
    response = client.post(
        "/admin/core/auditentry/", {"action": "export_csv", "_selected_action": ids}
    )
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[0].startswith("seq,created_at,actor")
    assert len(body.splitlines()) == 4
    assert AuditEntry.objects.filter(action="audit.export", actor=cast.audit_admin).exists()


def test_only_the_security_admin_changes_roles(cast: Any, city: Any) -> None:
    user_set_role(
        actor=cast.security_admin,
        user=cast.grid_worker_b,
        role=Role.COMMUNITY_STAFF,
        scope_areas=[city.c1],
    )
    assert User.objects.get(pk=cast.grid_worker_b.pk).role == Role.COMMUNITY_STAFF
    entry = AuditEntry.objects.filter(action="accounts.role_change").get()
    assert entry.actor_id == cast.security_admin.pk and '"to":"community_staff"' in entry.data
    for who in ("system_admin", "audit_admin", "street_leader"):
        with pytest.raises(Forbidden):
            user_set_role(actor=getattr(cast, who), user=cast.grid_worker_a, role=Role.AUDIT_ADMIN)


def test_nobody_changes_their_own_role(cast: Any) -> None:
    with pytest.raises(Forbidden):
        user_set_role(actor=cast.security_admin, user=cast.security_admin, role=Role.AUDIT_ADMIN)


def test_scope_must_fit_the_role(cast: Any, city: Any) -> None:
    with pytest.raises(ValidationFailed) as info:
        user_set_role(
            actor=cast.security_admin,
            user=cast.grid_worker_b,
            role=Role.GRID_WORKER,
            scope_areas=[city.s1],
            scope_departments=[city.dept_s1],
        )
    assert "不能管辖" in info.value.fields["scope_areas"][0]
    assert "部门工作人员" in info.value.fields["scope_departments"][0]


def test_the_security_admin_creates_accounts_in_admin(cast: Any, city: Any, login: Any) -> None:
    client = login(cast.security_admin)
    bad = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "newgrid",
            "name": "新网格员",
            "role": "grid_worker",
            "is_active": "on",
            "scope_areas": [city.s1.pk],
            "mobile": "123",
            "password": "short",
        },
    )
    assert bad.status_code == 200
    page = bad.content.decode()
    assert "不能管辖" in page and "11 位手机号码" in page
    assert not User.objects.filter(username="newgrid").exists()
    ok = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "newgrid",
            "name": "新网格员",
            "role": "grid_worker",
            "is_active": "on",
            "scope_areas": [city.grid_b.pk],
            "mobile": "13700001111",
            "password": "newgrid2026",
        },
    )
    assert ok.status_code == 302
    user = User.objects.get(username="newgrid")
    assert user.mobile == "13700001111" and user.check_password("newgrid2026")
    assert AuditEntry.objects.filter(
        action="accounts.user_create", actor=cast.security_admin, object_id=str(user.pk)
    ).exists()
    listing = client.get("/admin/accounts/user/").content.decode()
    assert "137****1111" in listing and "13700001111" not in listing


def test_the_system_admin_edits_the_tree_in_admin(cast: Any, city: Any, login: Any) -> None:
    client = login(cast.system_admin)
    wrong = client.post(
        "/admin/territory/area/add/",
        {
            "kind": "building",
            "code": "NEWB",
            "name": "新楼",
            "treebeard_position": "sorted-child",
            "treebeard_ref_node": city.c1.pk,
            "boundary": "",
        },
    )
    assert wrong.status_code == 200 and "不能设在" in wrong.content.decode()
    ok = client.post(
        "/admin/territory/area/add/",
        {
            "kind": "building",
            "code": "NEWB",
            "name": "新楼",
            "treebeard_position": "sorted-child",
            "treebeard_ref_node": city.grid_b.pk,
            "boundary": "",
        },
    )
    assert ok.status_code == 302
    from grassroots.territory.models import Area

    assert Area.objects.get_parent(Area.objects.get(code="NEWB")) == city.grid_b
    assert AuditEntry.objects.filter(
        action="territory.area_create", actor=cast.system_admin
    ).exists()
