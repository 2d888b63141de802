"""Lists of organisational life cost the same number of queries for a few rows or for many:
the appraisals (API and page), the meetings page with what waits for the user, and the agenda
candidates (API and the plan page). Measured with a few rows, then again with many more; the
counts must be equal, so a query per row shows as a difference.

(The party trees, organisations, members, links, areas and units are measured in
test_pages.py and test_api.py; meetings in the API and their detail in test_meetings_api.py;
compliance and points in their own files.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine

from grassroots.party.services.appraisal import appraisal_open
from grassroots.tickets.models import Ticket
from tests.helpers import queries_of_get
from tests.party.conftest import Life
from tests.party.test_appraisal import this_year
from tests.party.test_meetings_services import NOW, plan, record, ticket_in_grid_b
from tests.tickets.conftest import catalogue  # noqa: F401  (the seeded catalogue)

MEETINGS = "/workbench/party/meetings/"
APPRAISALS_API = "/api/v1/appraisals?limit=100"
APPRAISALS_PAGE = "/workbench/party/appraisals/"


@pytest.fixture(autouse=True)
def clock() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


measure = queries_of_get


# --- appraisals ------------------------------------------------------------------------------


def open_years(actor: Any, org: Any, years: range) -> None:
    for year in years:
        appraisal_open(actor=actor, org=org, year=year)


@pytest.mark.parametrize("path", [APPRAISALS_API, APPRAISALS_PAGE])
def test_the_appraisals_cost_the_same_for_more_years_and_branches(
    life: Life, people: Any, cast: Any, login: Any, path: str
) -> None:
    client = login(cast.community_secretary)  # sees both branches of 东一社区
    year = this_year()
    open_years(cast.community_secretary, life.branch, range(year - 1, year + 1))
    few, response = measure(client, path)
    open_years(cast.community_secretary, life.branch, range(year - 8, year - 1))
    open_years(cast.community_secretary, people.branch_a, range(year - 6, year + 1))
    many, response = measure(client, path)
    if path == APPRAISALS_API:
        body = response.json()
        assert body["count"] == 16
        assert {row["org"]["name"] for row in body["items"]} == {
            "东一社区A网格党支部",
            "东一社区B网格党支部",
        }
    else:
        html = response.content.decode()
        assert html.count("东一社区A网格党支部") >= 7 and str(year - 8) in html
    assert many == few <= (7 if path == APPRAISALS_API else 12)


# --- meetings --------------------------------------------------------------------------------


def meetings(life: Life, n: int, start: int) -> None:
    """n committee meetings planned and n group meetings recorded (waiting for the recorder's
    and the chair's confirmation), one day apart."""
    for i in range(start, start + n):
        plan(life, planned_at=NOW - timedelta(days=i, hours=2), title=f"支委会{i}")
        held = NOW - timedelta(days=i, hours=5)
        group = plan(life, "group_meeting", planned_at=held, title=f"小组会{i}")
        record(life, group, held_at=held)


@pytest.mark.parametrize("who", ["recorder_user", "community_secretary"])
def test_the_meeting_list_costs_the_same_for_more_meetings(
    life: Life, cast: Any, login: Any, who: str
) -> None:
    user = getattr(life, who, None) or getattr(cast, who)
    client = login(user)
    meetings(life, 1, start=1)
    few, response = measure(client, MEETINGS)
    assert "支委会1" in response.content.decode()
    meetings(life, 8, start=2)
    many, response = measure(client, MEETINGS)
    html = response.content.decode()
    assert "支委会9" in html and "小组会9" in html
    # The recorder also gets the meetings waiting for them (to record, to confirm).
    assert many == few <= (19 if who == "recorder_user" else 13)


# --- agenda candidates -----------------------------------------------------------------------


def candidates(cast: Any, people: Any, city: Any, n: int) -> None:
    """A hotspot (three requests of a kind), and n overdue tickets, n reopened ones and n
    open whistles in grid B."""
    from grassroots.whistles.services import whistle_blow

    category = ["0101", "0102", "0103", "0201"][Ticket.objects.count() % 4]
    for _ in range(3):
        ticket_in_grid_b(cast, people, category=category)
    for _ in range(n):
        late = ticket_in_grid_b(cast, people, category="0501")
        Ticket.objects.filter(pk=late.pk).update(
            state="dispatched", resolve_by=NOW - timedelta(hours=1)
        )
        again = ticket_in_grid_b(cast, people, category="0501")
        Ticket.objects.filter(pk=again.pk).update(state="in_progress", reopen_count=1)
        whistle_blow(
            actor=cast.community_secretary,
            kind="routine",
            reason="beyond_street",
            description="2号楼下水管漏水。",
            address="东一2号楼",
            departments=[city.dept_s1.pk],
            ticket=ticket_in_grid_b(cast, people, category="0501"),
        )


@pytest.mark.parametrize("where", ["api", "page"])
def test_the_agenda_candidates_cost_the_same_for_more_of_them(
    life: Life, people: Any, cast: Any, city: Any, login: Any, where: str
) -> None:
    client = login(cast.community_secretary)  # reads whistles too
    path = (
        f"/api/v1/meetings/candidates?org={life.branch.pk}"
        if where == "api"
        else f"{MEETINGS}new/?org={life.branch.pk}"
    )
    candidates(cast, people, city, 1)
    few, response = measure(client, path)
    candidates(cast, people, city, 6)
    many, response = measure(client, path)
    if where == "api":
        body = response.json()
        assert len(body["hotspots"]) == 3  # two kinds, and the overdue and reopened ones
        assert (len(body["overdue"]), len(body["reopened"]), len(body["whistles"])) == (7, 7, 7)
    else:
        assert response.content.decode().count('data-testid="pick"') == 3 + 7 + 7 + 7
    assert many == few <= (12 if where == "api" else 20)
