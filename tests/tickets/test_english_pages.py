"""The request pages in English: no Chinese left but the data (place, unit and category names)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from grassroots.territory.models import Area, Department
from grassroots.tickets.models import Category


def chinese_left(client: Client, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.content.decode()
    data = [
        "党建引领基层治理平台",
        "简体中文",
        *Area.objects.values_list("name", flat=True),
        *Department.objects.values_list("name", flat=True),
        *Category.objects.values_list("name", flat=True),
        *(word for c in Category.objects.all() for word in c.keyword_list),  # search words
    ]
    for name in sorted(data, key=len, reverse=True):
        html = html.replace(name, "")
    return re.findall(r"[\u4e00-\u9fff]+", html)


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("street_dispatcher", "/workbench/tickets/"),
        ("street_dispatcher", "/workbench/tickets/all/"),
        ("street_leader", "/workbench/tickets/rates/"),
        ("grid_worker_a", "/m/queue/"),
        ("resident", "/m/requests/"),
        ("resident", "/m/report/"),
    ],
)
def test_request_pages_in_english(cast: Any, people: Any, login: Any, who: str, path: str) -> None:
    client = login(getattr(cast, who))
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert chinese_left(client, path) == []
