from __future__ import annotations

import io
from typing import Any

from django.core.management import call_command
from django.test import Client
from huey.contrib.djhuey import HUEY

from grassroots.accounts.models import Role, User
from grassroots.core.tasks import nightly_audit_verification
from grassroots.territory.management.commands.demo_city import ACCOUNTS, DEMO_PASSWORD
from grassroots.territory.models import Area, Department


def test_demo_city_loads_once_and_every_account_logs_in(db: Any) -> None:
    out = io.StringIO()
    call_command("demo_city", stdout=out)
    text = out.getvalue()
    assert "demo city loaded" in text and "gridworker" in text and DEMO_PASSWORD in text
    assert Area.objects.filter(kind="community").count() == 2
    assert Area.objects.filter(kind="grid").count() == 4
    assert Department.objects.count() == 2
    assert {u.role for u in User.objects.all()} == set(Role)
    for _role, login, *_rest in ACCOUNTS:
        client = Client()
        response = client.post("/accounts/login/", {"username": login, "password": DEMO_PASSWORD})
        assert response.status_code == 302, login
        token = client.post(
            "/api/v1/auth/token",
            {"username": login, "password": DEMO_PASSWORD},
            content_type="application/json",
        )
        assert token.status_code == 201, login
    again = io.StringIO()
    call_command("demo_city", stdout=again)
    assert "already has data" in again.getvalue()
    assert Area.objects.filter(kind="community").count() == 2


def test_the_worker_runs_the_nightly_check(db: Any) -> None:
    assert HUEY.immediate  # tests run tasks inline; production uses SQLite or Redis queues
    result = nightly_audit_verification.call_local()
    assert result is None
    periodic = {t.__name__ for t in HUEY._registry._periodic_tasks}
    assert any("nightly_audit_verification" in name for name in periodic)
