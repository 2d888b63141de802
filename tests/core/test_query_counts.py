"""The admin site's lists (管理后台: the audit log, accounts, API tokens, Open311 clients, areas,
departments, the catalogue) cost the same number of queries for a few rows or for many, for the
administrator each one belongs to. Measured with a few rows, then again with many more; the
counts must be equal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from grassroots.accounts.models import Role
from grassroots.accounts.services import token_issue
from grassroots.core.audit import audit_log
from grassroots.territory.models import AreaKind
from grassroots.territory.services import area_create, department_create
from grassroots.tickets.open311.keys import client_issue
from tests.conftest import make_user
from tests.tickets.conftest import catalogue  # noqa: F401  (the seeded catalogue)

_seed = iter(range(10, 1_000))


def measure(client: Client, path: str) -> tuple[int, str]:
    """The queries of one GET, after a first one that writes the session."""
    client.get(path)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, (response.status_code, response.content[:300])
    return len(ctx.captured_queries), response.content.decode()


def audit_entries(cast: Any, city: Any, n: int) -> str:
    for _ in range(n):
        i = next(_seed)
        audit_log(action=f"test.qc{i}", actor=cast.street_leader, data={"n": i})
    return f"test.qc{i}"


def users(cast: Any, city: Any, n: int) -> str:
    for _ in range(n):
        i = next(_seed)
        make_user(Role.GRID_WORKER, f"qc_grid{i}", areas=[city.grid_b], mobile=f"1370000{i:04d}")
    return f"qc_grid{i}"


def tokens(cast: Any, city: Any, n: int) -> str:
    for _ in range(n):
        i = next(_seed)
        token_issue(user=cast.street_dispatcher if i % 2 else cast.grid_worker_a, name=f"令牌{i}")
    return f"令牌{i}"


def clients(cast: Any, city: Any, n: int) -> str:
    for _ in range(n):
        i = next(_seed)
        client_issue(actor=cast.security_admin, name=f"热线{i}", streets=[city.s1, city.s2])
    return f"热线{i}"


def areas(cast: Any, city: Any, n: int) -> str:
    for _ in range(n):
        i = next(_seed)
        area_create(
            actor=None, parent=city.grid_b, kind=AreaKind.BUILDING, code=f"QCB{i}", name=f"楼{i}"
        )
    return f"楼{i}"


def departments(cast: Any, city: Any, n: int) -> str:
    for _ in range(n):
        i = next(_seed)
        area = city.s1 if i % 2 else city.district
        department_create(actor=None, area=area, code=f"QC{i}", name=f"部门{i}")
    return f"部门{i}"


Grow = Callable[[Any, Any, int], str]
LISTS: dict[str, tuple[str, str, Grow]] = {
    "audit log": ("/admin/core/auditentry/", "audit_admin", audit_entries),
    "users": ("/admin/accounts/user/", "security_admin", users),
    "api tokens": ("/admin/accounts/apitoken/", "security_admin", tokens),
    "open311 clients": ("/admin/tickets/open311client/", "security_admin", clients),
    # The tree shows its roots only, until filtered: the buildings, as a flat list.
    "areas": ("/admin/territory/area/?kind__exact=building", "system_admin", areas),
    "departments": ("/admin/territory/department/", "system_admin", departments),
}


@pytest.mark.parametrize("name", sorted(LISTS))
def test_an_admin_list_costs_the_same_for_more_rows(
    cast: Any, city: Any, login: Any, name: str
) -> None:
    path, who, grow = LISTS[name]
    client = login(getattr(cast, who))
    grow(cast, city, 2)
    few, _html = measure(client, path)
    last = grow(cast, city, 15)
    many, html = measure(client, path)
    assert last in html
    assert many == few <= 8  # session, user, two-factor, permissions, count(s), the page


def test_the_catalogue_in_admin_costs_a_fixed_number_of_queries(cast: Any, login: Any) -> None:
    """The seeded catalogue (over a hundred categories, a page of them), filtered so that the
    tree shows every node and not only the roots."""
    count, html = measure(login(cast.system_admin), "/admin/tickets/category/?is_active__exact=1")
    assert "垃圾清运不及时" in html and "道路破损" in html
    assert count <= 7


def test_the_audit_export_costs_the_same_for_more_rows(cast: Any, city: Any, login: Any) -> None:
    """导出审计日志（CSV）streams the selected rows."""
    from grassroots.core.models import AuditEntry

    client = login(cast.audit_admin)
    client.get("/admin/core/auditentry/")

    def export() -> tuple[int, list[str]]:
        ids = list(AuditEntry.objects.values_list("pk", flat=True))
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(
                "/admin/core/auditentry/", {"action": "export_csv", "_selected_action": ids}
            )
            lines = b"".join(response.streaming_content).decode().splitlines()
        assert response.status_code == 200
        return len(ctx.captured_queries), lines

    audit_entries(cast, city, 2)
    few, lines = export()
    before = len(lines)
    last = audit_entries(cast, city, 30)
    many, lines = export()
    assert len(lines) == before + 1 + 30 and last in lines[-1]  # with the export's own row
    assert many == few <= 11  # the admin's own, the audit entry of the export, the rows
