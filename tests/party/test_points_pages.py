"""Points pages: 我的积分 on the phone (a grid worker's or a resident's account), one member's
ledger on the workbench with the adjustment form; and no entry for signing in, reading or
clicking anywhere."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.test import Client

from grassroots.accounts.models import Role
from grassroots.party.models import PointEntry
from grassroots.party.services import member_create
from grassroots.party.services.points import (
    credit_closed_tickets,
    points_adjust,
    points_for_record,
)
from tests.conftest import PASSWORD, make_user
from tests.party.test_points import HELD, closed_ticket, lock, make_meeting
from tests.tickets.conftest import catalogue  # noqa: F401 - the seeded catalogue

MINE = "/workbench/party/points/mine/"


def member_url(member: Any) -> str:
    return f"/workbench/party/points/members/{member.pk}/"


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def facts(life: Any, cast: Any, city: Any) -> dict[str, Any]:
    meeting = make_meeting(life)
    points_for_record(lock(life, meeting, {life.secretary: "present", life.recorder: "absent"}))
    ticket = closed_ticket(cast, city)
    credit_closed_tickets()
    points_adjust(
        actor=cast.community_secretary, member=life.secretary, points=-1, reason="材料迟交"
    )
    return {"meeting": meeting, "ticket": ticket}


# --- 我的积分 ----------------------------------------------------------------------------------


def test_a_grid_worker_sees_their_points_and_sources(
    life: Any, facts: dict[str, Any], login: Any
) -> None:
    response = login(life.chair_user).get(MINE)
    assert response.status_code == 200
    page = text(response)
    assert 'data-testid="total">4<' in page
    assert 'data-testid="this-year">4<' in page
    assert "参加组织生活 <strong>+2</strong>" in page
    assert "办结群众诉求 <strong>+3</strong>" in page
    assert "人工调整 <strong>-1</strong>" in page
    meeting, ticket = facts["meeting"], facts["ticket"]
    assert "出席 支委会（2026年11月）" in page
    meeting_link = f'<a href="/workbench/party/meetings/{meeting.pk}/">2026年11月支委会</a>'
    assert f"会议：{meeting_link} · 2026-11-10" in page
    # On a phone, the grid worker's ticket link goes to the phone's handling page.
    ticket_link = f'<a href="/m/queue/{ticket.number}/">{ticket.number}</a>'
    assert (
        f'办结群众诉求</div> <div class="pts-source" data-testid="source">工单：{ticket_link}'
        in page
    )
    assert "人工调整：材料迟交（c1_secretary）" in page
    assert page.count('data-testid="entry"') == 3
    assert 'class="tabbar"' in page  # the phone layout
    assert "登录、浏览和点击不计分" in page


def test_a_resident_member_sees_their_points(people: Any, cast: Any, login: Any, life: Any) -> None:
    me = member_create(
        actor=None,
        name="张阿姨",
        status="full",
        joined_on=date(2010, 7, 1),
        branch=people.branch_a,
        resident=people.me,
    )
    points_adjust(actor=cast.community_secretary, member=me, points=2, reason="带头清理楼道")
    response = login(cast.resident).get(MINE)
    assert response.status_code == 200
    page = text(response)
    assert 'data-testid="total">2<' in page
    assert "人工调整：带头清理楼道（c1_secretary）" in page
    assert "东一社区A网格党支部" in page


def test_an_empty_ledger_says_how_points_come(life: Any, login: Any) -> None:
    page = text(login(life.recorder_user).get(MINE))
    assert 'data-testid="total">0<' in page
    assert "还没有积分记录" in page


@pytest.mark.parametrize("who", ["resident", "street_leader", "department_officer"])
def test_someone_who_is_not_a_member_is_told_politely(
    cast: Any, login: Any, people: Any, who: str
) -> None:
    response = login(getattr(cast, who)).get(MINE)
    assert response.status_code == 200
    page = text(response)
    assert 'data-testid="not-member"' in page
    assert "党员积分只对党员开放" in page


def test_mine_needs_signing_in(client: Client) -> None:
    response = client.get(MINE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_mine_pages_through_a_long_ledger(life: Any, cast: Any, login: Any) -> None:
    for i in range(35):
        points_adjust(
            actor=cast.community_secretary, member=life.secretary, points=1, reason=f"第{i}次"
        )
    client = login(life.chair_user)
    first = text(client.get(MINE))
    assert first.count('data-testid="entry"') == 30
    cursor = re.search(r'href="\?cursor=([^"]+)"', first)
    assert cursor is not None
    second = text(client.get(MINE + "?cursor=" + cursor.group(1)))
    assert second.count('data-testid="entry"') == 5
    assert "更早的记录" not in second
    # A cursor that does not read starts over rather than failing.
    assert text(client.get(MINE + "?cursor=junk")).count('data-testid="entry"') == 30


def test_mine_costs_the_same_for_a_long_ledger(
    life: Any, cast: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    client = login(life.chair_user)
    client.get(MINE)
    # session, user, TOTP check, member, summary (2), page, unread count
    with django_assert_max_num_queries(9):
        assert client.get(MINE).status_code == 200
    for i in range(4):
        meeting = make_meeting(life, when=HELD.replace(month=1 + i))
        points_for_record(lock(life, meeting, {life.secretary: "present"}))
    for i in range(20):
        points_adjust(
            actor=cast.community_secretary, member=life.secretary, points=1, reason=f"第{i}次"
        )
    with django_assert_max_num_queries(9):
        assert text(client.get(MINE)).count('data-testid="entry"') == 24


# --- one member's ledger on the workbench -------------------------------------------------------


def test_the_community_secretary_sees_a_ledger_and_the_form(
    life: Any, cast: Any, facts: dict[str, Any], login: Any
) -> None:
    response = login(cast.community_secretary).get(member_url(life.secretary))
    assert response.status_code == 200
    page = text(response)
    assert "孙书记的积分" in page
    assert 'data-testid="total">4<' in page
    assert f'href="/workbench/tickets/{facts["ticket"].number}/"' in page  # the desk's page
    assert f'href="/workbench/party/meetings/{facts["meeting"].pk}/"' in page
    assert 'data-testid="adjust"' in page
    assert 'class="sidenav"' in page  # the workbench layout


def test_an_adjustment_from_the_page(life: Any, cast: Any, login: Any) -> None:
    client = login(cast.community_secretary)
    response = client.post(
        member_url(life.third), {"points": "-3", "reason": " 无故不参加志愿服务 "}
    )
    assert response.status_code == 302
    assert response["Location"] == member_url(life.third)
    entry = PointEntry.objects.get()
    assert (entry.member, entry.points, entry.reason, entry.actor) == (
        life.third,
        -3,
        "无故不参加志愿服务",
        cast.community_secretary,
    )
    page = text(client.get(response["Location"]))
    assert "已为 吴委员 调整 -3 分。" in page
    assert "人工调整：无故不参加志愿服务（c1_secretary）" in page


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"points": "0", "reason": "原因"}, "points", "调整分值不能为 0。"),
        ({"points": "51", "reason": "原因"}, "points", "每次调整不能超过 ±50 分。"),
        ({"points": "1.5", "reason": "原因"}, "points", "请填写整数分值。"),
        ({"points": "", "reason": "原因"}, "points", "请填写调整分值。"),
        ({"points": "5", "reason": "  "}, "reason", "请填写调整原因。"),
        ({"points": "5", "reason": "字" * 201}, "reason", "调整原因不能超过 200 个字。"),
    ],
)
def test_a_bad_adjustment_shows_the_error_and_changes_nothing(
    life: Any, cast: Any, login: Any, data: dict[str, str], field: str, message: str
) -> None:
    response = login(cast.community_secretary).post(member_url(life.third), data)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert message in text(response)
    assert not PointEntry.objects.exists()


def test_every_error_shows_at_once(life: Any, cast: Any, login: Any) -> None:
    client = login(cast.community_secretary)
    for points, message in [("0", "调整分值不能为 0。"), ("abc", "请填写整数分值。")]:
        response = client.post(member_url(life.third), {"points": points, "reason": ""})
        assert response.status_code == 400
        assert response.context["form"].errors == {
            "points": [message],
            "reason": ["请填写调整原因。"],
        }
    assert not PointEntry.objects.exists()


def test_one_who_sees_but_may_not_adjust_gets_no_form_and_403(
    life: Any, city: Any, login: Any
) -> None:
    grid_b2 = make_user(Role.GRID_WORKER, "grid_b2", areas=[city.grid_b])
    client = login(grid_b2)
    page = text(client.get(member_url(life.third)))
    assert 'data-testid="adjust"' not in page
    assert "人工调整由本支部书记、支委或辖区党务工作人员进行" in page
    assert client.post(member_url(life.third), {"points": "5", "reason": "原因"}).status_code == 403
    # One's own points: readable here, never adjustable by oneself.
    own = login(life.chair_user)
    assert 'data-testid="adjust"' not in text(own.get(member_url(life.secretary)))
    assert (
        own.post(member_url(life.secretary), {"points": "5", "reason": "原因"}).status_code == 403
    )
    assert not PointEntry.objects.exists()


def test_another_scopes_member_is_404(life: Any, people: Any, cast: Any, login: Any) -> None:
    assert login(cast.outsider).get(member_url(life.third)).status_code == 404
    assert login(cast.grid_worker_a).get(member_url(life.third)).status_code == 404
    assert login(cast.community_secretary).get(member_url(people.m_west)).status_code == 404
    response = login(cast.outsider).post(member_url(life.third), {"points": "5", "reason": "x"})
    assert response.status_code == 404
    assert not PointEntry.objects.exists()


def test_the_desk_page_is_for_staff(life: Any, cast: Any, login: Any, client: Client) -> None:
    assert login(cast.resident).get(member_url(life.third)).status_code == 403
    assert login(cast.system_admin).get(member_url(life.third)).status_code == 403
    response = client.get(member_url(life.third))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_desk_page_costs_the_same_for_a_long_ledger(
    life: Any, cast: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    client = login(cast.community_secretary)
    client.get(member_url(life.secretary))
    # session, user, TOTP check, scope (2), member, own membership, summary (2), page,
    # unread count, the scope's labels (2)
    bound = 13
    with django_assert_max_num_queries(bound):
        assert client.get(member_url(life.secretary)).status_code == 200
    for i in range(4):
        meeting = make_meeting(life, when=HELD.replace(month=1 + i))
        points_for_record(lock(life, meeting, {life.secretary: "present"}))
    for i in range(20):
        points_adjust(
            actor=cast.community_secretary, member=life.secretary, points=1, reason=f"第{i}次"
        )
    with django_assert_max_num_queries(bound):
        assert text(client.get(member_url(life.secretary))).count('data-testid="entry"') == 24


# --- nothing for signing in, reading or clicking ------------------------------------------------


def test_signing_in_reading_and_listing_add_no_entry(
    life: Any, cast: Any, facts: dict[str, Any], client: Client
) -> None:
    before = list(PointEntry.objects.order_by("id").values_list("id", "points"))
    response = client.post("/accounts/login/", {"username": "grid_b", "password": PASSWORD})
    assert response.status_code == 302
    for path in [
        "/",
        "/m/queue/",
        MINE,
        MINE + "?cursor=junk",
        member_url(life.secretary),
        member_url(life.third),
        "/workbench/party/",
        f"/workbench/party/members/{life.secretary.pk}/",
        "/api/v1/members",
        f"/api/v1/members/{life.secretary.pk}",
        f"/api/v1/members/{life.secretary.pk}/points",
        f"/api/v1/members/{life.secretary.pk}/points?limit=1",
        f"/workbench/tickets/{facts['ticket'].number}/",
        f"/m/queue/{facts['ticket'].number}/",
    ]:
        assert client.get(path).status_code < 500, path
    client.post("/accounts/logout/")
    client.post("/accounts/login/", {"username": "grid_b", "password": PASSWORD})
    assert list(PointEntry.objects.order_by("id").values_list("id", "points")) == before
    # And the sweeps, run again over the same facts, add nothing either.
    assert credit_closed_tickets() == 0
    assert list(PointEntry.objects.order_by("id").values_list("id", "points")) == before
