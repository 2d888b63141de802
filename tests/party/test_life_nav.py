"""Where organisational life sits in the workbench navigation: 组织生活 for the party workers
(lit on its pages, while 组织与辖区 is not), 我的组织生活 for members on patrol."""

from __future__ import annotations

import re
from typing import Any

import pytest


def lit(html: str) -> list[str]:
    nav = html.split('class="sidenav"')[1].split("</nav>")[0]
    return re.findall(r'<a href="[^"]*" class="on">([^<]+)</a>', nav)


@pytest.mark.parametrize(
    "url", ["/workbench/party/life/", "/workbench/party/meetings/", "/workbench/party/appraisals/"]
)
def test_the_party_workers_find_organisational_life(cast: Any, login: Any, url: str) -> None:
    html = login(cast.community_secretary).get(url).content.decode()
    assert 'href="/workbench/party/life/"' in html
    assert lit(html) == ["组织生活"]


def test_the_organisation_pages_light_their_own_entry(people: Any, cast: Any, login: Any) -> None:
    html = login(cast.community_secretary).get(f"/workbench/party/orgs/{people.branch_a.pk}/")
    assert lit(html.content.decode()) == ["组织与辖区"]


def test_a_grid_worker_has_my_organisational_life(life: Any, login: Any) -> None:
    client = login(life.chair_user)  # a grid worker, the branch's secretary
    html = client.get("/workbench/").content.decode()
    assert 'href="/workbench/party/meetings/"' in html and "我的组织生活" in html
    assert 'href="/workbench/party/life/"' not in html


def test_a_party_worker_without_branches_gets_a_polite_page(cast: Any, login: Any) -> None:
    html = login(cast.community_secretary).get("/workbench/party/appraisals/").content.decode()
    assert 'data-testid="no-branches"' in html and 'data-testid="open-form"' not in html
