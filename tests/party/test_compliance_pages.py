"""The compliance overview for the community and street committees, and a branch's home."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from grassroots.party.models import FollowUp, MeetingState, PartyOrg
from tests.party.test_compliance import grow, meeting

TODAY = "2026-05-20 10:00 +0800"
OVERVIEW = "/workbench/party/life/"


def home(org: PartyOrg) -> str:
    return f"/workbench/party/life/orgs/{org.pk}/"


def test_the_routes() -> None:
    assert reverse("party:life") == OVERVIEW
    assert reverse("party:branch_home", args=[7]) == "/workbench/party/life/orgs/7/"


@pytest.fixture
def spring(life: Any) -> Any:
    """Branch B up to date this year for its committee; branch A has held nothing."""
    for month in range(1, 6):
        meeting(life.branch, "committee_meeting", held=f"2026-{month:02d}-10 09:00")
        meeting(life.branch, "theme_day", held=f"2026-{month:02d}-15 09:00")
    meeting(life.branch, "general_meeting", held="2026-03-12 09:00")
    meeting(life.branch, "party_lecture", held="2026-03-19 09:00")
    meeting(life.branch, "general_meeting", held="2026-04-12 09:00")
    for month in (1, 3, 4):
        meeting(life.group, "group_meeting", held=f"2026-{month:02d}-05 19:00")
    meeting(life.group, "group_meeting", held="2026-03-30 19:00", covers=date(2026, 2, 1))
    return life


# --- the overview --------------------------------------------------------------------------------


@time_machine.travel(TODAY, tick=False)
def test_the_overview_of_a_community(spring: Any, people: Any, cast: Any, login: Any) -> None:
    response = login(cast.community_secretary).get(OVERVIEW)
    assert response.status_code == 200
    page = response.content.decode()
    assert "2026 年组织生活合规" in page
    rows = response.context["groups"][0].rows
    assert [r.item.org.name for r in rows] == [
        "东一社区A网格党支部",
        "东一1号楼党小组",
        "东一社区B网格党支部",
        "东一2号楼党小组",
    ]
    branch_b = rows[2]
    committee = next(c for c in branch_b.cells if c and c.kind.code == "committee_meeting")
    assert (committee.done, committee.counted, committee.tone) == (5, 5, "held")
    assert f'data-org="{spring.branch.pk}"' in page
    assert "5/5" in page
    assert "缺4" in page  # branch A's theme days, January to April
    assert "西一社区网格党支部" not in page
    assert "按时召开" in page and "逾期补开" in page  # the legend
    assert response.context["behind_count"] == 2  # branch A; branch B's group made up February


@time_machine.travel(TODAY, tick=False)
def test_only_those_behind(spring: Any, cast: Any, login: Any) -> None:
    from grassroots.party.models import Meeting
    from tests.party.test_compliance import local

    client = login(cast.community_secretary)

    def shown() -> list[str]:
        response = client.get(OVERVIEW, {"behind": "1"})
        assert response.status_code == 200
        return [r.item.org.name for g in response.context["groups"] for r in g.rows]

    # Branch B is behind through its group (February made up in March): both are shown.
    assert shown() == [
        "东一社区A网格党支部",
        "东一1号楼党小组",
        "东一社区B网格党支部",
        "东一2号楼党小组",
    ]
    Meeting.objects.filter(org=spring.group, covers=date(2026, 2, 1)).update(
        held_at=local("2026-02-20 19:00")
    )
    assert shown() == ["东一社区A网格党支部", "东一1号楼党小组"]


@time_machine.travel("2026-01-20 10:00 +0800", tick=False)
def test_nobody_behind_yet(life: Any, cast: Any, login: Any) -> None:
    response = login(cast.community_secretary).get(OVERVIEW, {"behind": "1"})
    assert response.context["groups"] == []
    assert "没有落后的支部。" in response.content.decode()


@time_machine.travel(TODAY, tick=False)
def test_the_street_sees_the_rollup(spring: Any, people: Any, cast: Any, login: Any) -> None:
    from grassroots.party.services import party_org_create
    from grassroots.territory.models import Area

    c2 = Area.objects.get(code="S1C2")
    cc2 = party_org_create(
        actor=None, parent=people.swc, kind="community_committee", name="东二社区党委", area=c2
    )
    party_org_create(actor=None, parent=cc2, kind="branch", name="东二社区第一支部")
    response = login(cast.street_leader).get(OVERVIEW)
    assert response.status_code == 200
    page = response.content.decode()
    assert "按社区汇总" in page
    assert [g.rollup.org.name for g in response.context["groups"]] == [
        "东一社区党委",
        "东二社区党委",
    ]
    assert [s.org.name for s in response.context["streets"]] == ["东街道党工委"]
    assert response.context["branch_count"] == 3


@pytest.mark.parametrize(
    "year,shown", [("2025", 2025), ("abc", 2026), ("1999", 2026), ("2031", 2026)]
)
@time_machine.travel(TODAY, tick=False)
def test_the_year_parameter(life: Any, cast: Any, login: Any, year: str, shown: int) -> None:
    response = login(cast.community_secretary).get(OVERVIEW, {"year": year})
    assert response.status_code == 200
    assert response.context["year"] == shown


@pytest.mark.parametrize(
    "who", ["grid_worker_b", "building_head", "department_officer", "resident", "system_admin"]
)
def test_the_overview_is_for_party_staff(life: Any, cast: Any, login: Any, who: str) -> None:
    assert login(getattr(cast, who)).get(OVERVIEW).status_code == 403


def test_the_overview_needs_a_login(client: Any) -> None:
    response = client.get(OVERVIEW)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@time_machine.travel(TODAY, tick=False)
def test_another_street_sees_only_its_own(spring: Any, cast: Any, login: Any) -> None:
    response = login(cast.outsider).get(OVERVIEW)
    page = response.content.decode()
    assert "西一社区网格党支部" in page
    assert "东一社区B网格党支部" not in page


@time_machine.travel(TODAY, tick=False)
def test_the_overview_queries_do_not_grow(
    life: Any, people: Any, cast: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    client = login(cast.street_leader)
    client.get(OVERVIEW)
    grow(people, life, 2)
    with django_assert_max_num_queries(20) as small:
        assert client.get(OVERVIEW).status_code == 200
    grow(people, life, 6)
    with django_assert_max_num_queries(len(small)) as large:
        response = client.get(OVERVIEW)
    assert response.context["branch_count"] == 2 + 8
    assert len(large) == len(small)


# --- the branch home -----------------------------------------------------------------------------


@time_machine.travel(TODAY, tick=False)
def test_the_branch_home(spring: Any, cast: Any, login: Any) -> None:
    life = spring
    PartyOrg.objects.filter(pk=life.branch.pk).update(theme_day=15)
    soon = meeting(
        life.branch,
        "general_meeting",
        planned="2026-06-18 14:00",
        state=MeetingState.PLANNED,
        title="第二季度党员大会",
    )
    later = meeting(
        life.group, "group_meeting", planned="2026-05-28 19:00", state=MeetingState.PLANNED
    )
    meeting(life.branch, "party_lecture", planned="2026-05-01 09:00", state=MeetingState.CANCELLED)
    FollowUp.objects.create(
        meeting=soon,
        title="协调修补2号楼屋顶",
        owner=life.recorder,
        due_on=date(2026, 5, 10),
        created_by=life.chair_user,
    )
    FollowUp.objects.create(
        meeting=soon,
        title="走访独居老人",
        owner=life.third,
        due_on=date(2026, 6, 10),
        created_by=life.chair_user,
    )
    FollowUp.objects.create(
        meeting=soon,
        title="已办完的事",
        owner=life.third,
        due_on=date(2026, 4, 10),
        state="done",
        created_by=life.chair_user,
    )
    response = login(life.chair_user).get(home(life.branch))
    assert response.status_code == 200
    page = response.content.decode()
    assert "东一社区B网格党支部" in page
    assert "每月 15 日" in page
    assert f'href="/workbench/party/meetings/new/?org={life.branch.pk}"' in page
    assert "计划会议" in page
    # Next meetings, soonest first, linked to the meeting page; the cancelled one is not there.
    assert [m.pk for m in response.context["meetings"]] == [later.pk, soon.pk]
    assert f'href="/workbench/party/meetings/{soon.pk}/"' in page
    # What is due: the current periods not held yet, with days left.
    due = [(o.name, row.kind.code, cell.days_left) for o, row, cell in response.context["due"]]
    assert ("东一2号楼党小组", "group_meeting", 11) in due
    assert ("东一社区B网格党支部", "party_lecture", 41) in due
    assert all(code != "committee_meeting" for _o, code, _d in due)  # May's is held
    assert "还剩 11 天" in page
    # The calendar: the branch's kinds and the group's, with February made up late.
    grid = [(g.org.name, g.row.kind.code) for g in response.context["grid"]]
    assert grid[0] == ("东一社区B网格党支部", "general_meeting")
    assert grid[-1] == ("东一2号楼党小组", "group_meeting")
    assert 'data-period="2026-02" data-status="late"' in page
    assert 'data-period="2026-05" data-status="held"' in page
    # Open follow-up tasks, the overdue one marked; the done one not listed.
    assert [t.title for t in response.context["follow_ups"]] == [
        "协调修补2号楼屋顶",
        "走访独居老人",
    ]
    assert page.count('data-testid="overdue"') == 1
    assert "已办完的事" not in page


@time_machine.travel(TODAY, tick=False)
def test_a_theme_day_on_another_day_says_so(life: Any, login: Any) -> None:
    PartyOrg.objects.filter(pk=life.branch.pk).update(theme_day=15)
    meeting(life.branch, "theme_day", held="2026-03-20 09:00")
    page = login(life.chair_user).get(home(life.branch)).content.decode()
    assert page.count('data-testid="off-day"') == 1
    assert "20 日召开，不在固定的 15 日，照常计入。" in page


@pytest.mark.parametrize("who", ["community_secretary", "community_staff", "street_leader"])
def test_the_party_staff_above_may_read_it(life: Any, cast: Any, login: Any, who: str) -> None:
    response = login(getattr(cast, who)).get(home(life.branch))
    assert response.status_code == 200
    assert "计划会议" in response.content.decode()


def test_a_member_may_read_it_without_planning(life: Any, people: Any, login: Any) -> None:
    from tests.conftest import make_user

    # A member of branch A who is a grid worker (grid A): their own branch, not branch B.
    response = login(people.m_staff.user).get(home(people.branch_a))
    assert response.status_code == 200
    assert "计划会议" not in response.content.decode()
    assert login(people.m_staff.user).get(home(life.branch)).status_code == 404
    # A resident member on their phone login: their branch and their group.
    from grassroots.accounts.models import Role
    from grassroots.territory.models import Resident

    user = make_user(Role.RESIDENT, "", mobile="13600000001")
    Resident.objects.filter(pk=people.m_wang.resident_id).update(user=user)
    assert login(user).get(home(people.branch_a)).status_code == 200
    assert login(user).get(home(people.group_a1)).status_code == 200
    assert login(user).get(home(life.branch)).status_code == 404


@pytest.mark.parametrize(
    "who", ["outsider", "grid_worker_a", "building_head", "department_officer"]
)
def test_another_scope_is_not_found(life: Any, cast: Any, login: Any, who: str) -> None:
    assert login(getattr(cast, who)).get(home(life.branch)).status_code == 404


def test_only_branches_and_groups_have_a_home(
    life: Any, people: Any, cast: Any, login: Any
) -> None:
    client = login(cast.community_secretary)
    assert client.get(home(people.cc1)).status_code == 404
    assert client.get("/workbench/party/life/orgs/999999/").status_code == 404
    assert client.get(home(life.group)).status_code == 200


def test_the_branch_home_needs_a_login(life: Any, client: Any) -> None:
    response = client.get(home(life.branch))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@time_machine.travel(TODAY, tick=False)
def test_the_branch_home_queries_do_not_grow(
    spring: Any, cast: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    life = spring
    client = login(life.chair_user)
    client.get(home(life.branch))
    with django_assert_max_num_queries(24) as small:
        assert client.get(home(life.branch)).status_code == 200
    for day in range(1, 9):
        m = meeting(
            life.branch, "party_lecture", planned=f"2026-06-{day:02d} 09:00", state="planned"
        )
        FollowUp.objects.create(
            meeting=m,
            title=f"任务{day}",
            owner=life.third,
            due_on=date(2026, 5, day),
            created_by=life.chair_user,
        )
        meeting(life.branch, "heart_to_heart", held=f"2026-02-{day:02d} 10:00")
    with django_assert_max_num_queries(len(small)) as large:
        response = client.get(home(life.branch))
    assert len(response.context["follow_ups"]) == 8
    assert len(large) == len(small)


def test_a_secretary_without_territory_sees_all_the_branchs_groups(people: Any, login: Any) -> None:
    from grassroots.accounts.models import Role
    from grassroots.party.services import party_org_create, party_org_set_committee
    from grassroots.territory.models import Resident
    from tests.conftest import make_user

    party_org_set_committee(actor=None, org=people.branch_a, secretary=people.m_wang, committee=[])
    other = party_org_create(
        actor=None, parent=people.branch_a, kind="group", name="东一3号楼党小组"
    )
    user = make_user(Role.RESIDENT, "", mobile="13600000002")
    Resident.objects.filter(pk=people.m_wang.resident_id).update(user=user)
    response = login(user).get(home(people.branch_a))
    assert response.status_code == 200
    assert "计划会议" in response.content.decode()  # the secretary runs the branch
    shown = {g.org.name for g in response.context["grid"]}
    assert shown == {"东一社区A网格党支部", "东一1号楼党小组", other.name}
