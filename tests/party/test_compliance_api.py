"""GET /api/v1/compliance: one organisation and those under it, or the caller's whole scope,
for a year, a quarter or a month — scoped, validated, and bounded in queries."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine

from grassroots.party.models import MeetingState, PartyOrg
from tests.helpers import assert_not_found, fields
from tests.party.test_compliance import grow, meeting

TODAY = "2026-05-20 10:00 +0800"


@pytest.fixture
def spring(life: Any) -> Any:
    """Branch B's committee met in January to March on time, April's was made up in May."""
    PartyOrg.objects.filter(pk=life.branch.pk).update(theme_day=15)
    for month in (1, 2, 3):
        meeting(life.branch, "committee_meeting", held=f"2026-{month:02d}-10 09:00")
    meeting(life.branch, "committee_meeting", held="2026-05-06 09:00", covers=date(2026, 4, 1))
    meeting(life.branch, "theme_day", held="2026-04-18 09:00")
    meeting(
        life.branch,
        "general_meeting",
        planned="2026-06-18 14:00",
        state=MeetingState.PLANNED,
    )
    return life


def cells(body: dict[str, Any], org: PartyOrg, kind: str) -> dict[str, Any]:
    [item] = [o for o in body["orgs"] if o["id"] == org.pk]
    [row] = [k for k in item["kinds"] if k["kind"] == kind]
    return row


@time_machine.travel(TODAY, tick=False)
def test_a_quarter_of_one_branch(spring: Any, cast: Any, login: Any) -> None:
    life = spring
    response = login(cast.community_secretary).get(
        "/api/v1/compliance", {"org": life.branch.pk, "period": "2026-Q2"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["period"], body["start"], body["end"], body["today"]) == (
        "2026-Q2",
        "2026-04-01",
        "2026-06-30",
        "2026-05-20",
    )
    assert [k["code"] for k in body["kinds"]] == [
        "general_meeting",
        "committee_meeting",
        "group_meeting",
        "party_lecture",
        "theme_day",
        "org_life_review",
        "member_appraisal",
        "heart_to_heart",
    ]
    # The branch and its group; nothing above or beside it.
    assert [o["name"] for o in body["orgs"]] == ["东一社区B网格党支部", "东一2号楼党小组"]
    branch, group = body["orgs"]
    assert branch["parent_id"] is None and group["parent_id"] == life.branch.pk
    assert branch["theme_day"] == 15
    assert branch["behind"] == ["committee_meeting"]  # April's was made up late
    committee = cells(body, life.branch, "committee_meeting")
    assert [c["period"] for c in committee["cells"]] == ["2026-04", "2026-05", "2026-06"]
    assert [c["status"] for c in committee["cells"]] == ["late", "due", "upcoming"]
    assert (committee["done"], committee["counted"], committee["late"], committee["missing"]) == (
        1,
        1,
        1,
        0,
    )
    april = committee["cells"][0]
    assert april == {
        "period": "2026-04",
        "label": "4月",
        "start": "2026-04-01",
        "end": "2026-04-30",
        "status": "late",
        "status_label": "逾期补开",
        "need": 1,
        "done": 1,
        "late": 1,
        "days_left": None,
        "planned_on": None,
        "note": "",
    }
    assert committee["cells"][1]["days_left"] == 11
    theme = cells(body, life.branch, "theme_day")
    assert theme["cells"][0]["note"] == "18 日召开，不在固定的 15 日，照常计入。"
    assert theme["cells"][0]["status"] == "held"
    general = cells(body, life.branch, "general_meeting")
    assert general["cells"] == [
        {
            "period": "2026-Q2",
            "label": "第2季度",
            "start": "2026-04-01",
            "end": "2026-06-30",
            "status": "planned",
            "status_label": "已计划",
            "need": 1,
            "done": 0,
            "late": 0,
            "days_left": 41,
            "planned_on": "2026-06-18",
            "note": "",
        }
    ]
    # A yearly kind overlaps the quarter: its one cell is there.
    assert [c["period"] for c in cells(body, life.branch, "org_life_review")["cells"]] == ["2026"]
    talks = cells(body, life.branch, "heart_to_heart")["cells"][0]
    assert (talks["need"], talks["done"], talks["note"]) == (8, 0, "已谈 0/8 对。")
    assert [k["kind"] for k in group["kinds"]] == ["group_meeting"]


@time_machine.travel(TODAY, tick=False)
def test_a_month_and_a_year(spring: Any, cast: Any, login: Any) -> None:
    client = login(cast.community_secretary)
    month = client.get("/api/v1/compliance", {"org": spring.branch.pk, "period": "2026-03"})
    committee = cells(month.json(), spring.branch, "committee_meeting")
    assert [c["status"] for c in committee["cells"]] == ["held"]
    general = cells(month.json(), spring.branch, "general_meeting")
    assert [c["period"] for c in general["cells"]] == ["2026-Q1"]
    assert general["missing"] == 1
    year = client.get("/api/v1/compliance", {"org": spring.branch.pk}).json()
    assert year["period"] == "2026"
    assert len(cells(year, spring.branch, "committee_meeting")["cells"]) == 12


@time_machine.travel(TODAY, tick=False)
def test_the_whole_scope_without_org(spring: Any, people: Any, cast: Any, login: Any) -> None:
    body = login(cast.street_dispatcher).get("/api/v1/compliance").json()
    assert [o["name"] for o in body["orgs"]] == [
        "东一社区A网格党支部",
        "东一1号楼党小组",
        "东一社区B网格党支部",
        "东一2号楼党小组",
    ]
    body = login(cast.outsider).get("/api/v1/compliance").json()
    assert [o["name"] for o in body["orgs"]] == ["西一社区网格党支部"]
    # A committee as `org`: the branches and groups under it.
    body = login(cast.street_leader).get("/api/v1/compliance", {"org": people.cc1.pk}).json()
    assert len(body["orgs"]) == 4


@time_machine.travel(TODAY, tick=False)
def test_with_a_token(spring: Any, cast: Any, bearer: Any, client: Any) -> None:
    response = client.get(
        "/api/v1/compliance", {"period": "2026"}, **bearer(cast.community_secretary)
    )
    assert response.status_code == 200
    assert len(response.json()["orgs"]) == 4


@pytest.mark.parametrize(
    "period,message",
    [
        ("2026-13", "月份须在 01 到 12 之间。"),
        ("2026-Q0", "期间格式应为 2026、2026-Q3 或 2026-07。"),
        ("2026/05", "期间格式应为 2026、2026-Q3 或 2026-07。"),
        ("", "期间格式应为 2026、2026-Q3 或 2026-07。"),
        ("0999", "年份须在 2000 到 2100 之间。"),
        ("2026-Q1x", "内容过长。"),
        ("20\x0026", "含有无效的字符。"),
    ],
)
def test_a_bad_period_is_a_field_error(
    life: Any, cast: Any, login: Any, period: str, message: str
) -> None:
    response = login(cast.community_secretary).get("/api/v1/compliance", {"period": period})
    assert fields(response) == {"period": [message]}


def test_a_bad_org_is_a_field_error(life: Any, cast: Any, login: Any) -> None:
    response = login(cast.community_secretary).get("/api/v1/compliance", {"org": "abc"})
    assert fields(response) == {"org": ["须为整数。"]}


def test_unauthenticated(client: Any) -> None:
    response = client.get("/api/v1/compliance")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_another_streets_org_is_not_found(life: Any, people: Any, cast: Any, login: Any) -> None:
    assert_not_found(login(cast.outsider).get("/api/v1/compliance", {"org": life.branch.pk}))
    assert_not_found(
        login(cast.community_secretary).get("/api/v1/compliance", {"org": people.branch_w.pk})
    )
    assert_not_found(login(cast.community_secretary).get("/api/v1/compliance", {"org": 999999}))
    # A grid worker of grid A sees neither grid B's branch nor its calendar.
    assert_not_found(login(cast.grid_worker_a).get("/api/v1/compliance", {"org": life.branch.pk}))


@pytest.mark.parametrize("who", ["resident", "department_officer", "member_unit_contact"])
def test_no_party_scope_is_an_empty_answer(life: Any, cast: Any, login: Any, who: str) -> None:
    response = login(getattr(cast, who)).get("/api/v1/compliance")
    assert response.status_code == 200
    assert response.json()["orgs"] == []


def test_a_member_sees_their_own_branch(life: Any, cast: Any, login: Any) -> None:
    # The recorder is a building head of building B1 and a member of branch B.
    body = login(life.recorder_user).get("/api/v1/compliance").json()
    assert [o["name"] for o in body["orgs"]] == ["东一社区B网格党支部", "东一2号楼党小组"]
    response = login(life.recorder_user).get("/api/v1/compliance", {"org": life.branch.pk})
    assert response.status_code == 200


@time_machine.travel(TODAY, tick=False)
def test_the_queries_do_not_grow(
    life: Any, people: Any, cast: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    client = login(cast.street_leader)
    client.get("/api/v1/compliance")
    grow(people, life, 2)
    with django_assert_max_num_queries(14) as small:
        assert client.get("/api/v1/compliance").status_code == 200
    grow(people, life, 6)
    with django_assert_max_num_queries(len(small)) as large:
        body = client.get("/api/v1/compliance").json()
    assert len(body["orgs"]) == 4 + 2 * 8
    assert len(large) == len(small)
