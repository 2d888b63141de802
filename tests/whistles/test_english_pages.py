"""The whistle pages in English: no Chinese left but the data (names of places, units, people,
and what the users typed)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from grassroots.accounts.models import User
from grassroots.territory.models import Area, Department
from grassroots.whistles import services as ws
from grassroots.whistles.models import Flag, Whistle
from grassroots.whistles.selectors import find_summons
from grassroots.whistles.sweep import sweep_whistles

pytestmark = pytest.mark.django_db


def chinese_left(client: Client, path: str, typed: list[str]) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.content.decode()
    data = [
        "党建引领基层治理平台",
        "简体中文",
        *Area.objects.values_list("name", flat=True),
        *Department.objects.values_list("name", flat=True),
        *(u.display_name for u in User.objects.all()),
        *typed,
    ]
    for name in sorted(data, key=len, reverse=True):
        html = html.replace(name, "")
    return re.findall(r"[\u4e00-\u9fff]+", html)


@pytest.fixture
def lived(cast: Any, city: Any, blow: Any) -> Whistle:
    """A whistle with a report-in, an action, a rating, a no-show flag."""
    from datetime import timedelta

    from django.utils import timezone

    whistle = blow()
    summons = find_summons(cast.department_officer, whistle, city.dept_district.pk)
    ws.summons_report_in(
        actor=cast.department_officer, summons=summons, mode="on_site", commitment="马上到"
    )
    ws.summons_action(actor=cast.department_officer, summons=summons, note="已处置")
    sweep_whistles(timezone.now() + timedelta(hours=1))
    return whistle


TYPED = ["东一1号楼下水管爆裂，路面积水。", "东一1号楼下", "马上到", "已处置"]


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("street_leader", "/workbench/whistles/"),
        ("street_leader", "/workbench/whistles/new/"),
        ("street_leader", "/workbench/whistles/flags/"),
        ("street_leader", "/workbench/whistles/league/"),
        ("street_leader", "detail"),
        ("department_officer", "/workbench/whistles/inbox/"),
        ("department_officer", "detail"),
    ],
)
def test_whistle_pages_in_english(
    cast: Any, login: Any, lived: Whistle, who: str, path: str
) -> None:
    client = login(getattr(cast, who))
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    if path == "detail":
        path = f"/workbench/whistles/{lived.number}/"
    typed = [
        *TYPED,
        lived.title,
        *lived.events.values_list("note", flat=True),
        *Flag.objects.values_list("detail", flat=True),
    ]
    assert chinese_left(client, path, typed) == []
