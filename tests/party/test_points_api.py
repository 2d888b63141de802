"""/api/v1/members/{id}/points: a member's ledger with the source of every entry, read by the
member and by the staff who see the member (anyone else 404); manual adjustments."""

from __future__ import annotations

import json
from typing import Any

import pytest

from grassroots.accounts.models import Role
from grassroots.core.models import AuditEntry
from grassroots.party.models import PointEntry
from grassroots.party.services.points import (
    credit_closed_tickets,
    points_adjust,
    points_for_record,
)
from tests.conftest import make_user
from tests.helpers import assert_masked, assert_not_found, fields, warm
from tests.party.test_points import HELD, closed_ticket, lock, make_meeting
from tests.tickets.conftest import catalogue  # noqa: F401 - the seeded catalogue


def url(member: Any) -> str:
    return f"/api/v1/members/{member.pk}/points"


@pytest.fixture
def facts(life: Any, cast: Any, city: Any) -> dict[str, Any]:
    """The secretary's ledger: a committee meeting (present), a resolved ticket, and an
    adjustment by the community secretary."""
    meeting = make_meeting(life)
    points_for_record(lock(life, meeting, {life.secretary: "present", life.recorder: "absent"}))
    ticket = closed_ticket(cast, city)
    credit_closed_tickets()
    adjustment = points_adjust(
        actor=cast.community_secretary, member=life.secretary, points=-1, reason="材料迟交"
    )
    return {"meeting": meeting, "ticket": ticket, "adjustment": adjustment}


# --- GET ---------------------------------------------------------------------------------------


def test_a_member_reads_their_own_points_with_sources(
    life: Any, cast: Any, facts: dict[str, Any], login: Any
) -> None:
    response = login(life.chair_user).get(url(life.secretary))
    assert response.status_code == 200, response.content
    body = response.json()
    meeting, ticket, adjustment = facts["meeting"], facts["ticket"], facts["adjustment"]
    assert body["member_id"] == life.secretary.pk
    assert body["member_name"] == "孙书记"
    assert (body["total"], body["this_year"]) == (4, 4)
    assert body["by_rule"] == [
        {"code": "meeting_present", "name": "参加组织生活", "points": 2},
        {"code": "ticket_resolved", "name": "办结群众诉求", "points": 3},
        {"code": None, "name": "人工调整", "points": -1},
    ]
    assert body["next_cursor"] is None
    entries = body["entries"]
    assert [e["points"] for e in entries] == [-1, 3, 2]  # newest first
    assert entries[0] == {
        "id": adjustment.pk,
        "points": -1,
        "rule": None,
        "rule_name": None,
        "reason": "材料迟交",
        "created_at": entries[0]["created_at"],
        "source": {
            "kind": "adjustment",
            "label": "人工调整：材料迟交（c1_secretary）",
            "url": "",
            "meeting": None,
            "ticket": None,
            "actor": "c1_secretary",
        },
    }
    assert entries[1]["rule"] == "ticket_resolved"
    assert entries[1]["reason"] == f"办结工单 {ticket.number}"
    assert entries[1]["source"] == {
        "kind": "ticket",
        "label": f"工单 {ticket.number}",
        "url": f"/workbench/tickets/{ticket.number}/",
        "meeting": None,
        "ticket": ticket.number,
        "actor": None,
    }
    assert entries[2]["rule_name"] == "参加组织生活"
    assert entries[2]["reason"] == "出席 支委会（2026年11月）"
    assert entries[2]["source"] == {
        "kind": "meeting",
        "label": "2026年11月支委会 · 支委会 · 2026-11-10",
        "url": f"/workbench/party/meetings/{meeting.pk}/",
        "meeting": {
            "id": meeting.pk,
            "title": "2026年11月支委会",
            "kind": "committee_meeting",
            "kind_label": "支委会",
            "held_on": "2026-11-10",
        },
        "ticket": None,
        "actor": None,
    }
    assert_masked(response.content)


@pytest.mark.parametrize("who", ["community_secretary", "street_leader", "grid_worker_b"])
def test_staff_in_scope_read_a_members_points(
    life: Any, cast: Any, facts: dict[str, Any], login: Any, who: str
) -> None:
    response = login(getattr(cast, who)).get(url(life.recorder))
    assert response.status_code == 200
    assert response.json()["total"] == -2


@pytest.mark.parametrize(
    "who", ["outsider", "grid_worker_a", "resident", "department_officer", "system_admin"]
)
def test_anyone_else_gets_404(life: Any, cast: Any, login: Any, who: str) -> None:
    assert_not_found(login(getattr(cast, who)).get(url(life.secretary)))


def test_another_streets_member_is_404(people: Any, cast: Any, login: Any, life: Any) -> None:
    assert_not_found(login(cast.community_secretary).get(url(people.m_west)))
    assert_not_found(login(cast.community_secretary).get("/api/v1/members/999999/points"))


def test_unauthenticated_is_401(life: Any, client: Any) -> None:
    response = client.get(url(life.secretary))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_bearer_token_reads_too(life: Any, cast: Any, bearer: Any, client: Any) -> None:
    response = client.get(url(life.secretary), **bearer(cast.community_secretary))
    assert response.status_code == 200


def test_entries_come_in_keyset_pages(
    life: Any, cast: Any, facts: dict[str, Any], login: Any
) -> None:
    client = login(life.chair_user)
    first = client.get(url(life.secretary) + "?limit=2").json()
    assert [e["points"] for e in first["entries"]] == [-1, 3]
    assert first["total"] == 4  # the totals cover the whole ledger on every page
    second = client.get(url(life.secretary) + f"?limit=2&cursor={first['next_cursor']}").json()
    assert [e["points"] for e in second["entries"]] == [2]
    assert second["next_cursor"] is None


def test_a_bad_cursor_or_limit_is_a_field_error(life: Any, login: Any) -> None:
    client = login(life.chair_user)
    assert fields(client.get(url(life.secretary) + "?cursor=nonsense")) == {
        "cursor": ["分页游标无效，请从第一页重新开始。"]
    }
    assert "limit" in fields(client.get(url(life.secretary) + "?limit=0"))


def test_reading_costs_the_same_for_a_long_ledger(
    life: Any, cast: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    points_adjust(actor=cast.community_secretary, member=life.secretary, points=1, reason="一")
    client = warm(login(cast.community_secretary))
    # session, user, TOTP check, scope (2), member, summary (2), page
    with django_assert_max_num_queries(9):
        assert len(client.get(url(life.secretary)).json()["entries"]) == 1
    for i in range(3):
        meeting = make_meeting(life, when=HELD.replace(month=1 + i))
        points_for_record(lock(life, meeting, {life.secretary: "present"}))
    credit_closed_tickets()
    for i in range(30):
        points_adjust(
            actor=cast.community_secretary, member=life.secretary, points=1, reason=f"第{i}次"
        )
    with django_assert_max_num_queries(9):
        body = client.get(url(life.secretary) + "?limit=50").json()
    assert len(body["entries"]) == 34
    assert {e["source"]["kind"] for e in body["entries"]} == {"meeting", "adjustment"}


# --- POST --------------------------------------------------------------------------------------


def test_the_community_secretary_adjusts(life: Any, cast: Any, login: Any) -> None:
    response = login(cast.community_secretary).post(
        url(life.third),
        {"points": 3, "reason": "  帮助困难群众  "},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    entry = PointEntry.objects.get()
    assert response.json() == {
        "id": entry.pk,
        "points": 3,
        "rule": None,
        "rule_name": None,
        "reason": "帮助困难群众",
        "created_at": response.json()["created_at"],
        "source": {
            "kind": "adjustment",
            "label": "人工调整：帮助困难群众（c1_secretary）",
            "url": "",
            "meeting": None,
            "ticket": None,
            "actor": "c1_secretary",
        },
    }
    audit = AuditEntry.objects.get(action="party.points_adjust")
    assert json.loads(audit.data) == {"member": life.third.pk, "points": 3}
    assert "帮助" not in audit.data  # the reason is in the ledger, not the audit log


@pytest.mark.parametrize(
    "body,errors",
    [
        ({"points": 0, "reason": "原因"}, {"points": ["调整分值不能为 0。"]}),
        ({"points": 60, "reason": "原因"}, {"points": ["每次调整不能超过 ±50 分。"]}),
        ({"points": -51, "reason": "原因"}, {"points": ["每次调整不能超过 ±50 分。"]}),
        ({"points": 5}, {"reason": ["请填写调整原因。"]}),
        ({"points": 5, "reason": "字" * 201}, {"reason": ["调整原因不能超过 200 个字。"]}),
        ({"points": "五", "reason": "原因"}, {"points": ["须为整数。"]}),
        ({"reason": "原因"}, {"points": ["此项为必填项。"]}),
    ],
)
def test_a_bad_adjustment_is_400_and_changes_nothing(
    life: Any, cast: Any, login: Any, body: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    response = login(cast.community_secretary).post(
        url(life.third), body, content_type="application/json"
    )
    assert fields(response) == errors
    assert not PointEntry.objects.exists()
    assert not AuditEntry.objects.filter(action="party.points_adjust").exists()


def test_one_who_sees_but_may_not_adjust_gets_403(
    life: Any, cast: Any, city: Any, login: Any
) -> None:
    grid_b2 = make_user(Role.GRID_WORKER, "grid_b2", areas=[city.grid_b])
    for actor, member in [(grid_b2, life.third), (life.chair_user, life.secretary)]:
        response = login(actor).post(
            url(member), {"points": 5, "reason": "原因"}, content_type="application/json"
        )
        assert response.status_code == 403, response.content
        assert response.json()["error"]["code"] == "forbidden"
    assert not PointEntry.objects.exists()


def test_adjusting_an_invisible_member_is_404(
    life: Any, people: Any, cast: Any, login: Any
) -> None:
    for actor, member in [(cast.outsider, life.third), (cast.community_secretary, people.m_west)]:
        assert_not_found(
            login(actor).post(
                url(member), {"points": 5, "reason": "原因"}, content_type="application/json"
            )
        )
    assert not PointEntry.objects.exists()


def test_adjusting_unauthenticated_is_401(life: Any, client: Any) -> None:
    response = client.post(
        url(life.third), {"points": 5, "reason": "原因"}, content_type="application/json"
    )
    assert response.status_code == 401
    assert not PointEntry.objects.exists()


def test_a_browser_session_needs_the_csrf_token(life: Any, cast: Any) -> None:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.community_secretary)
    response = client.post(
        url(life.third), {"points": 5, "reason": "原因"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert not PointEntry.objects.exists()
