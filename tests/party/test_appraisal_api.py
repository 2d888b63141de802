"""The appraisal API (/api/v1/appraisals): scoped reads, who sees the counters and when,
every action with its standard errors, ballot secrecy in what the API answers."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.test import Client

from grassroots.core.models import AuditEntry
from grassroots.party.models import Appraisal, BallotCast, BallotTally, SelfAssessment
from grassroots.party.services import member_create
from grassroots.party.services.appraisal import ballot_cast
from grassroots.territory.services import resident_create
from tests.conftest import id_number
from tests.helpers import assert_not_found, fields
from tests.party.test_appraisal import (
    ballot_of,
    counters,
    move_to,
    opened,
    this_year,
    voters,
)

BASE = "/api/v1/appraisals"


def post(client: Client, path: str, body: Any) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def detail(client: Client, appraisal: Appraisal) -> dict[str, Any]:
    response = client.get(f"{BASE}/{appraisal.pk}")
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


# --- list --------------------------------------------------------------------------------------


def test_list_is_scoped_and_filtered(life: Any, cast: Any, people: Any, login: Any) -> None:
    more = voters(life)
    ours = opened(life)
    last = opened(life, this_year() - 1)
    from grassroots.party.services.appraisal import appraisal_open

    west = appraisal_open(actor=cast.outsider, org=people.branch_w, year=this_year())

    def ids(client: Client, query: str = "") -> list[int]:
        response = client.get(BASE + query)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["items"]]

    staff = login(cast.community_secretary)
    assert ids(staff) == [ours.pk, last.pk]
    assert ids(staff, f"?year={this_year() - 1}") == [last.pk]
    assert ids(staff, f"?org={people.branch_w.pk}") == []
    assert ids(login(cast.outsider)) == [west.pk]
    assert ids(login(more["zheng"])) == [ours.pk, last.pk]  # a member: their branch's
    assert ids(login(cast.resident)) == []
    row = login(more["zheng"]).get(BASE).json()["items"][0]
    assert row == {
        "id": ours.pk,
        "org": {"id": life.branch.pk, "name": "东一社区B网格党支部"},
        "year": this_year(),
        "stage": "self",
        "stage_label": "个人自评",
        "opened_at": row["opened_at"],
        "closed_at": None,
    }
    assert login(cast.community_secretary).get(BASE).json()["count"] == 2


def test_list_needs_a_sign_in(db: Any) -> None:
    response = Client().get(BASE)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


# --- open --------------------------------------------------------------------------------------


def test_open(life: Any, login: Any) -> None:
    response = post(login(life.chair_user), BASE, {"org": life.branch.pk, "year": this_year()})
    assert response.status_code == 201, response.content
    body = response.json()
    appraisal = Appraisal.objects.get()
    assert body["id"] == appraisal.pk and body["stage"] == "self"
    assert body["may_run"] is True and body["next_stage"] == "peer"
    assert len(body["members"]) == 9
    assert body["progress"]["members"] == 9 and body["progress"]["voters"] == 8
    assert body["me"]["member_id"] == life.secretary.pk
    assert body["results"] is None


def test_open_refusals(life: Any, cast: Any, people: Any, login: Any) -> None:
    more = voters(life)
    chair = login(life.chair_user)
    future = post(chair, BASE, {"org": life.branch.pk, "year": this_year() + 1})
    assert fields(future) == {"year": ["不能为以后的年度开展民主评议。"]}
    assert fields(post(chair, BASE, {"org": life.branch.pk})) == {"year": ["此项为必填项。"]}
    plain = post(login(more["zheng"]), BASE, {"org": life.branch.pk, "year": this_year()})
    assert plain.status_code == 403
    assert_not_found(post(login(cast.outsider), BASE, {"org": life.branch.pk, "year": this_year()}))
    assert_not_found(post(chair, BASE, {"org": people.branch_w.pk, "year": this_year()}))
    assert not Appraisal.objects.exists()
    assert post(chair, BASE, {"org": life.branch.pk, "year": this_year()}).status_code == 201
    again = post(chair, BASE, {"org": life.branch.pk, "year": this_year()})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"
    assert Appraisal.objects.count() == 1
    anonymous = post(Client(), BASE, {"org": life.branch.pk, "year": this_year()})
    assert anonymous.status_code == 401


# --- detail ------------------------------------------------------------------------------------


def test_detail_as_the_committee_and_as_a_member(life: Any, login: Any) -> None:
    more = voters(life)
    appraisal = opened(life)
    zheng = login(more["zheng"])
    assert post(zheng, f"{BASE}/{appraisal.pk}/self", {"text": "按时交纳党费。"}).status_code == 200
    runner = detail(login(life.chair_user), appraisal)
    assessed = {m["id"]: m["self_assessed"] for m in runner["members"]}
    assert assessed[life.full[3].pk] is True and assessed[life.third.pk] is False
    assert runner["progress"]["self_assessed"] == 1
    member = detail(zheng, appraisal)
    assert member["may_run"] is False
    assert member["progress"] is None and member["results"] is None
    assert {m["self_assessed"] for m in member["members"]} == {None}
    assert member["me"] == {
        "member_id": life.full[3].pk,
        "may_vote": True,
        "has_voted": False,
        "self_assessment": "按时交纳党费。",
        "peer_targets": member["me"]["peer_targets"],
        "peer_reviews": [],
        "assessment": None,
    }
    # 郑一 is in no group: everyone else of the branch.
    assert len(member["me"]["peer_targets"]) == 8
    # 吴委员 is in the group of four: the three others.
    third = detail(login(more["third"]), appraisal)["me"]["peer_targets"]
    assert set(third) == {life.secretary.pk, life.recorder.pk, life.full[7].pk}


def test_counters_only_to_those_who_run_it_from_the_assessment_stage(life: Any, login: Any) -> None:
    more = voters(life)
    appraisal = move_to(opened(life), life.chair_user, "ballot")
    for user in (more["zheng"], more["third"]):
        ballot_cast(actor=user, appraisal=appraisal, grades=ballot_of(life.members, "excellent"))
    chair = login(life.chair_user)
    during = detail(chair, appraisal)
    assert during["results"] is None
    assert during["progress"]["ballots_cast"] == 2 and during["progress"]["turnout"] == 0.25
    move_to(appraisal, life.chair_user, "assessment")
    after = detail(chair, appraisal)
    row = next(r for r in after["results"] if r["member_id"] == life.third.pk)
    assert row["tallies"] == {"excellent": 2, "qualified": 0, "basic": 0, "unqualified": 0}
    assert row["majority"] == "excellent"
    member = detail(login(more["zheng"]), appraisal)
    assert member["results"] is None and member["me"]["has_voted"] is True
    assert "excellent" not in json.dumps(member)  # nothing of any ballot reaches a member


def test_detail_of_another_scope_is_not_found(
    life: Any, cast: Any, people: Any, login: Any
) -> None:
    appraisal = opened(life)
    for user in (cast.outsider, cast.grid_worker_a, cast.resident):
        assert_not_found(login(user).get(f"{BASE}/{appraisal.pk}"))
    assert_not_found(login(life.chair_user).get(f"{BASE}/{appraisal.pk + 1000}"))
    assert Client().get(f"{BASE}/{appraisal.pk}").status_code == 401
    for action, body in [
        ("advance", {"to_stage": "peer"}),
        ("self", {"text": "好"}),
        ("peer", {"about": life.secretary.pk, "text": "好"}),
        ("ballots", {"grades": {}}),
        ("assessments", {"member": life.secretary.pk, "grade": "qualified", "reason": "好"}),
    ]:
        assert_not_found(post(login(cast.outsider), f"{BASE}/{appraisal.pk}/{action}", body))
        assert post(Client(), f"{BASE}/{appraisal.pk}/{action}", body).status_code == 401
    assert Appraisal.objects.get().stage == "self"


def grow(life: Any, n: int) -> None:
    for i in range(n):
        resident = resident_create(
            actor=None, household=None, name=f"党员{i}", id_number=id_number(500 + i)
        )
        member_create(
            actor=None, name=f"党员{i}", status="full", joined_on=date(2010, 7, 1),
            branch=life.branch, resident=resident, group=life.group if i % 2 else None,
        )  # fmt: skip


@pytest.mark.parametrize("stage", ["self", "assessment"])
def test_detail_queries_do_not_grow_with_members(
    life: Any, login: Any, django_assert_max_num_queries: Any, stage: str
) -> None:
    more = voters(life)
    appraisal = move_to(opened(life), life.chair_user, "peer")
    from grassroots.party.services.appraisal import peer_review_submit

    peer_review_submit(actor=more["zheng"], appraisal=appraisal, about=life.third, text="好。")
    if stage == "assessment":
        move_to(appraisal, life.chair_user, "ballot")
        ballot_cast(actor=more["zheng"], appraisal=appraisal, grades=ballot_of(life.members))
        move_to(appraisal, life.chair_user, "assessment")

    def count(client: Client) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.get(f"{BASE}/{appraisal.pk}")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{BASE}/{appraisal.pk}").status_code == 200
        return len(ctx.captured_queries)

    chair, member = login(life.chair_user), login(more["zheng"])
    before = (count(chair), count(member))
    grow(life, 6)
    assert (count(chair), count(member)) == before
    with django_assert_max_num_queries(20):
        chair.get(f"{BASE}/{appraisal.pk}")


# --- advance -----------------------------------------------------------------------------------


def test_advance(life: Any, login: Any) -> None:
    more = voters(life)
    appraisal = opened(life)
    chair = login(life.chair_user)
    path = f"{BASE}/{appraisal.pk}/advance"
    skip = post(chair, path, {"to_stage": "ballot"})
    assert fields(skip) == {"to_stage": ["只能按顺序进入下一阶段“党员互评”。"]}
    assert fields(post(chair, path, {"to_stage": "later"})) == {"to_stage": ["不是可选的值。"]}
    assert post(login(more["zheng"]), path, {"to_stage": "peer"}).status_code == 403
    response = post(chair, path, {"to_stage": "peer"})
    assert response.status_code == 200 and response.json()["stage"] == "peer"
    assert response.json()["next_stage"] == "ballot"
    move_to(Appraisal.objects.get(), life.chair_user, "assessment")
    done = post(chair, path, {"to_stage": "done"})
    (message,) = fields(done)["to_stage"]
    assert message.startswith("还有党员没有评定：")
    assert Appraisal.objects.get().stage == "assessment"


# --- the member's part -------------------------------------------------------------------------


def test_self_assessment(life: Any, cast: Any, login: Any) -> None:
    more = voters(life)
    appraisal = opened(life)
    path = f"{BASE}/{appraisal.pk}/self"
    zheng = login(more["zheng"])
    assert fields(post(zheng, path, {})) == {"text": ["请填写个人自评。"]}
    assert fields(post(zheng, path, {"text": "长" * 2001})) == {
        "text": ["个人自评不能超过 2000 个字。"]
    }
    assert fields(post(zheng, path, {"text": "a\x00b"})) == {"text": ["含有无效的字符。"]}
    assert post(login(cast.community_secretary), path, {"text": "好"}).status_code == 403
    assert not SelfAssessment.objects.exists()
    response = post(zheng, path, {"text": "积极参加志愿服务。"})
    assert response.json()["me"]["self_assessment"] == "积极参加志愿服务。"
    move_to(appraisal, life.chair_user, "peer")
    late = post(zheng, path, {"text": "补写"})
    assert late.status_code == 400 and late.json()["error"]["code"] == "wrong_state"


def test_peer_review(life: Any, people: Any, login: Any) -> None:
    more = voters(life)
    appraisal = move_to(opened(life), life.chair_user, "peer")
    path = f"{BASE}/{appraisal.pk}/peer"
    third = login(more["third"])
    response = post(third, path, {"about": life.secretary.pk, "text": "带头作用好。"})
    assert response.status_code == 200
    assert response.json()["me"]["peer_reviews"] == [
        {"about": life.secretary.pk, "text": "带头作用好。"}
    ]
    assert fields(post(third, path, {"about": life.third.pk, "text": "好"})) == {
        "about": ["互评是对其他党员的评议，不能评议自己。"]
    }
    assert fields(post(third, path, {"about": life.full[3].pk, "text": "好"})) == {
        "about": ["只能评议本党小组的党员。"]
    }
    assert fields(post(third, path, {"about": people.m_west.pk, "text": "好"})) == {
        "about": ["请选择本支部的党员。"]
    }
    assert fields(post(third, path, {"about": 0, "text": "好"})) == {"about": ["不能小于 1。"]}


def test_ballot(life: Any, login: Any) -> None:
    more = voters(life)
    appraisal = move_to(opened(life), life.chair_user, "ballot")
    path = f"{BASE}/{appraisal.pk}/ballots"
    zheng = login(more["zheng"])
    grades = {str(m.pk): "qualified" for m in life.members}
    grades[str(life.secretary.pk)] = "excellent"
    response = post(zheng, path, {"grades": grades})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["me"]["has_voted"] is True
    assert "excellent" not in response.content.decode()  # the answer holds no grade
    assert counters(appraisal)[(life.secretary.pk, "excellent")] == 1
    assert list(BallotCast.objects.values("appraisal", "voter")) == [
        {"appraisal": appraisal.pk, "voter": life.full[3].pk}
    ]
    entry = AuditEntry.objects.filter(action="party.appraisal_ballot").get()
    assert json.loads(entry.data) == {}


def test_a_second_ballot_is_a_conflict(life: Any, login: Any) -> None:
    more = voters(life)
    appraisal = move_to(opened(life), life.chair_user, "ballot")
    path = f"{BASE}/{appraisal.pk}/ballots"
    zheng = login(more["zheng"])
    grades = {str(m.pk): "qualified" for m in life.members}
    assert post(zheng, path, {"grades": grades}).status_code == 200
    before = counters(appraisal)
    again = post(zheng, path, {"grades": {k: "unqualified" for k in grades}})
    assert again.status_code == 409
    assert again.json()["error"] == {
        "code": "already_voted",
        "message": "您已投过票。",
        "fields": {},
    }
    assert counters(appraisal) == before
    assert BallotCast.objects.count() == 1


def test_ballot_refusals(life: Any, login: Any) -> None:
    more = voters(life)
    appraisal = move_to(opened(life), life.chair_user, "ballot")
    path = f"{BASE}/{appraisal.pk}/ballots"
    grades = {str(m.pk): "qualified" for m in life.members}
    probationary = post(login(more["probationary"]), path, {"grades": grades})
    assert probationary.status_code == 403
    assert probationary.json()["error"]["message"] == "预备党员没有表决权，不参加民主测评投票。"
    zheng = login(more["zheng"])
    partial = dict(grades)
    del partial[str(life.third.pk)]
    found = fields(post(zheng, path, {"grades": partial}))
    assert found[f"grades.{life.third.pk}"] == ["请选择等次。"]
    assert fields(post(zheng, path, {"grades": {**grades, str(life.third.pk): "best"}})) == {
        "grades": ["不是可选的值。"]
    }
    assert fields(post(zheng, path, {"grades": {"x": "qualified"}})) == {"grades": ["须为整数。"]}
    assert fields(post(zheng, path, {})) == {"grades": ["此项为必填项。"]}
    assert fields(post(zheng, path, {"grades": []})) == {"grades": ["格式不正确。"]}
    assert not BallotCast.objects.exists()
    assert not BallotTally.objects.filter(count__gt=0).exists()


def test_assessment(life: Any, login: Any) -> None:
    more = voters(life)
    appraisal = move_to(opened(life), life.chair_user, "assessment")
    path = f"{BASE}/{appraisal.pk}/assessments"
    chair = login(life.chair_user)
    body = {"member": life.third.pk, "grade": "qualified", "reason": ""}
    assert fields(post(chair, path, body)) == {
        "reason": ["请填写评定理由；评定等次与民主测评多数意见不同时尤其需要写明。"]
    }
    assert fields(post(chair, path, {**body, "grade": "good", "reason": "好"})) == {
        "grade": ["不是可选的值。"]
    }
    assert post(login(more["zheng"]), path, {**body, "reason": "好"}).status_code == 403
    response = post(chair, path, {**body, "reason": "按时参加组织生活。"})
    assert response.status_code == 200
    row = next(r for r in response.json()["results"] if r["member_id"] == life.third.pk)
    assert row["assessment"]["grade"] == "qualified"
    assert row["assessment"]["grade_label"] == "合格"
    assert row["assessment"]["reason"] == "按时参加组织生活。"
