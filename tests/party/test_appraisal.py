"""Member appraisal (民主评议党员): the services and the results selector, on the `life`
fixture (grid B's branch: 8 full members and one probationary; 孙书记, 周记录, 吴委员 and 卫五
in the building group). Ballot secrecy is checked on every table a ballot writes to."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grassroots.accounts.models import Role, User
from grassroots.core.errors import Conflict, Forbidden, ValidationFailed
from grassroots.core.models import AuditEntry
from grassroots.notices.models import Notice
from grassroots.party.models import (
    Appraisal,
    AppraisalStage,
    Assessment,
    BallotCast,
    BallotTally,
    Grade,
    PartyMember,
    PeerReview,
    SelfAssessment,
)
from grassroots.party.services import member_create
from grassroots.party.services.appraisal import (
    appraisal_advance,
    appraisal_open,
    appraisal_progress,
    appraisal_results,
    appraisal_state,
    assessment_set,
    ballot_cast,
    branch_members,
    majority_of,
    peer_review_submit,
    runnable_branches,
    self_assessment_submit,
)
from grassroots.territory.models import Resident
from tests.conftest import make_user

GRADES = set(Grade.values)


# --- helpers (the API and page tests use them too) ----------------------------------------------


def this_year() -> int:
    return timezone.localdate().year


def account(member: PartyMember, mobile: str) -> User:
    """A resident account for a member who is a resident."""
    user = make_user(Role.RESIDENT, "", mobile=mobile)
    assert member.resident_id is not None
    Resident.objects.filter(pk=member.resident_id).update(user=user)
    return user


def voters(life: Any) -> dict[str, User]:
    """Accounts for three more members: 吴委员 (in the group), 郑一 (in no group), 蒋预备."""
    return {
        "third": account(life.third, "13700000101"),
        "zheng": account(life.full[3], "13700000102"),
        "probationary": account(life.probationary, "13700000103"),
    }


def opened(life: Any, year: int | None = None) -> Appraisal:
    return appraisal_open(actor=life.chair_user, org=life.branch, year=year or this_year())


def move_to(appraisal: Appraisal, actor: Any, stage: str) -> Appraisal:
    order = [s.value for s in AppraisalStage]
    while appraisal.stage != stage:
        following = order[order.index(appraisal.stage) + 1]
        appraisal = appraisal_advance(actor=actor, appraisal=appraisal, to_stage=following)
    return appraisal


def ballot_of(members: Any, grade: str = "qualified", **by_id: str) -> dict[int, str]:
    grades = {m.pk: grade for m in members}
    grades.update({int(k): v for k, v in by_id.items()})
    return grades


def counters(appraisal: Appraisal) -> dict[tuple[int, str], int]:
    return {
        (t.member_id, t.grade): t.count for t in BallotTally.objects.filter(appraisal=appraisal)
    }


def assert_secret(appraisal: Appraisal) -> None:
    """No row a ballot wrote holds a voter together with a grade: the has-voted flag has only
    the appraisal and the voter; the counters only member, grade and a count; the audit
    records of ballots hold no grade and no member."""
    assert {f.name for f in BallotCast._meta.concrete_fields} == {"id", "appraisal", "voter"}
    assert {f.name for f in BallotTally._meta.concrete_fields} == {
        "id",
        "appraisal",
        "member",
        "grade",
        "count",
    }
    for row in BallotCast.objects.filter(appraisal=appraisal).values():
        assert set(row) == {"id", "appraisal_id", "voter_id"}
        assert not GRADES & {str(v) for v in row.values()}
    entries = AuditEntry.objects.filter(action="party.appraisal_ballot")
    for entry in entries:
        assert json.loads(entry.data) == {}
        assert not [g for g in GRADES if g in entry.data]
        assert entry.object_id == str(appraisal.pk)
    # Notices of a ballot: none at all.
    assert not Notice.objects.filter(body__contains="优秀").exists()


def expect_fields(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, list[str]]:
    return exc.value.fields


# --- open -------------------------------------------------------------------------------------


def test_it_opens_an_appraisal_and_tells_the_members_with_accounts(life: Any) -> None:
    more = voters(life)
    appraisal = opened(life)
    assert appraisal.stage == AppraisalStage.SELF
    assert appraisal.area_path == life.branch.area_path
    assert appraisal.street_id == life.branch.street_id
    assert appraisal.opened_by == life.chair_user
    told = set(Notice.objects.filter(kind="party.appraisal").values_list("recipient", flat=True))
    assert told == {
        life.chair_user.pk,
        life.recorder_user.pk,
        *(u.pk for u in more.values()),
    }
    notice = Notice.objects.filter(recipient=more["zheng"]).get()
    assert notice.url == f"/workbench/party/appraisals/{appraisal.pk}/me/"
    entry = AuditEntry.objects.filter(action="party.appraisal_open").get()
    assert json.loads(entry.data) == {"org": life.branch.pk, "year": this_year()}


def test_it_opens_for_party_staff_of_the_territory(life: Any, cast: Any) -> None:
    appraisal = appraisal_open(actor=cast.community_secretary, org=life.branch, year=this_year())
    assert appraisal.opened_by == cast.community_secretary


@pytest.mark.parametrize("who", ["outsider", "grid_worker_a", "resident"])
def test_it_refuses_to_open_for_those_who_do_not_run_the_branch(
    life: Any, cast: Any, who: str
) -> None:
    with pytest.raises(Forbidden):
        appraisal_open(actor=getattr(cast, who), org=life.branch, year=this_year())
    assert not Appraisal.objects.exists()


def test_it_refuses_to_open_for_a_plain_member(life: Any) -> None:
    more = voters(life)
    with pytest.raises(Forbidden):
        appraisal_open(actor=more["zheng"], org=life.branch, year=this_year())


def test_it_opens_once_a_year(life: Any) -> None:
    opened(life)
    with pytest.raises(Conflict) as exc:
        opened(life)
    assert "已经开始" in exc.value.message
    assert Appraisal.objects.count() == 1
    opened(life, this_year() - 1)  # last year's is another one
    assert Appraisal.objects.count() == 2


def test_it_refuses_a_future_year_a_group_and_an_empty_branch(life: Any, people: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        opened(life, this_year() + 1)
    assert expect_fields(exc) == {"year": ["不能为以后的年度开展民主评议。"]}
    with pytest.raises(ValidationFailed) as exc:
        appraisal_open(actor=life.chair_user, org=life.group, year=this_year())
    assert expect_fields(exc) == {"org": ["民主评议党员由党支部开展，请选择一个党支部。"]}
    assert not Appraisal.objects.exists()
    assert not Notice.objects.exists()


# --- advance ---------------------------------------------------------------------------------


def test_it_advances_one_stage_at_a_time(life: Any) -> None:
    appraisal = opened(life)
    for wrong in ["ballot", "assessment", "done", "self"]:
        with pytest.raises(ValidationFailed) as exc:
            appraisal_advance(actor=life.chair_user, appraisal=appraisal, to_stage=wrong)
        assert expect_fields(exc) == {"to_stage": ["只能按顺序进入下一阶段“党员互评”。"]}
    with pytest.raises(ValidationFailed):
        appraisal_advance(actor=life.chair_user, appraisal=appraisal, to_stage="later")
    appraisal.refresh_from_db()
    assert appraisal.stage == "self"
    appraisal_advance(actor=life.chair_user, appraisal=appraisal, to_stage="peer")
    appraisal.refresh_from_db()
    assert appraisal.stage == "peer"
    entry = AuditEntry.objects.filter(action="party.appraisal_advance").get()
    assert json.loads(entry.data) == {"from": "self", "to": "peer"}


def test_a_stale_advance_is_a_conflict(life: Any) -> None:
    appraisal = opened(life)
    stale = Appraisal.objects.get(pk=appraisal.pk)
    appraisal_advance(actor=life.chair_user, appraisal=appraisal, to_stage="peer")
    with pytest.raises(Conflict):
        appraisal_advance(actor=life.recorder_user, appraisal=stale, to_stage="peer")
    assert Appraisal.objects.get(pk=appraisal.pk).stage == "peer"
    assert AuditEntry.objects.filter(action="party.appraisal_advance").count() == 1


def test_only_those_who_run_it_advance(life: Any, cast: Any) -> None:
    more = voters(life)
    appraisal = opened(life)
    for user in (more["zheng"], cast.outsider):
        with pytest.raises(Forbidden):
            appraisal_advance(actor=user, appraisal=appraisal, to_stage="peer")
    # A committee member and the community's party staff may.
    appraisal_advance(actor=life.recorder_user, appraisal=appraisal, to_stage="peer")
    appraisal_advance(actor=cast.community_staff, appraisal=appraisal, to_stage="ballot")


def test_it_closes_only_with_every_member_assessed(life: Any) -> None:
    appraisal = move_to(opened(life), life.chair_user, "assessment")
    for member in life.members[:-2]:
        assessment_set(
            actor=life.chair_user,
            appraisal=appraisal,
            member=member,
            grade="qualified",
            reason="按时参加组织生活。",
        )
    with pytest.raises(ValidationFailed) as exc:
        appraisal_advance(actor=life.chair_user, appraisal=appraisal, to_stage="done")
    (message,) = expect_fields(exc)["to_stage"]
    assert message.startswith("还有党员没有评定：")
    assert {"卫五", "蒋预备"} == set(message.removeprefix("还有党员没有评定：")[:-1].split("、"))
    assert Appraisal.objects.get(pk=appraisal.pk).closed_at is None
    for member in life.members[-2:]:
        assessment_set(
            actor=life.chair_user, appraisal=appraisal, member=member, grade="qualified",
            reason="表现良好。",
        )  # fmt: skip
    appraisal_advance(actor=life.chair_user, appraisal=appraisal, to_stage="done")
    appraisal.refresh_from_db()
    assert appraisal.stage == "done" and appraisal.closed_at is not None
    with pytest.raises(ValidationFailed) as done:
        appraisal_advance(actor=life.chair_user, appraisal=appraisal, to_stage="done")
    assert done.value.code == "wrong_state"


# --- self-assessment and peer comments ----------------------------------------------------------


def test_a_member_writes_and_rewrites_a_self_assessment(life: Any) -> None:
    more = voters(life)
    appraisal = opened(life)
    self_assessment_submit(actor=more["zheng"], appraisal=appraisal, text="  按时交纳党费。 ")
    self_assessment_submit(
        actor=more["zheng"], appraisal=appraisal, text="按时交纳党费，参加志愿服务。"
    )
    row = SelfAssessment.objects.get()
    assert (row.member, row.text) == (life.full[3], "按时交纳党费，参加志愿服务。")
    # The probationary member writes one too: everyone is appraised.
    self_assessment_submit(actor=more["probationary"], appraisal=appraisal, text="努力学习。")
    assert SelfAssessment.objects.count() == 2


def test_a_self_assessment_is_checked(life: Any, cast: Any) -> None:
    more = voters(life)
    appraisal = opened(life)
    with pytest.raises(ValidationFailed) as exc:
        self_assessment_submit(actor=more["zheng"], appraisal=appraisal, text="   ")
    assert expect_fields(exc) == {"text": ["请填写个人自评。"]}
    with pytest.raises(ValidationFailed) as exc:
        self_assessment_submit(actor=more["zheng"], appraisal=appraisal, text="字" * 2001)
    assert expect_fields(exc) == {"text": ["个人自评不能超过 2000 个字。"]}
    self_assessment_submit(actor=more["zheng"], appraisal=appraisal, text="字" * 2000)
    # Staff who are not members of the branch write none.
    with pytest.raises(Forbidden):
        self_assessment_submit(actor=cast.community_secretary, appraisal=appraisal, text="好")
    appraisal_advance(actor=life.chair_user, appraisal=appraisal, to_stage="peer")
    with pytest.raises(ValidationFailed) as late:
        self_assessment_submit(actor=more["zheng"], appraisal=appraisal, text="补写")
    assert late.value.code == "wrong_state"
    assert late.value.fields == {"stage": ["此操作在“个人自评”阶段进行。"]}
    assert SelfAssessment.objects.get().text == "字" * 2000


def test_peer_comments_stay_inside_the_group(life: Any) -> None:
    more = voters(life)
    appraisal = move_to(opened(life), life.chair_user, "peer")
    # 吴委员 is in the group: comments on the group's members only, never on himself.
    peer_review_submit(
        actor=more["third"], appraisal=appraisal, about=life.secretary, text="带头作用好。"
    )
    peer_review_submit(
        actor=more["third"],
        appraisal=appraisal,
        about=life.secretary,
        text="带头作用好，常下网格。",
    )
    with pytest.raises(ValidationFailed) as exc:
        peer_review_submit(actor=more["third"], appraisal=appraisal, about=life.full[3], text="好")
    assert expect_fields(exc) == {"about": ["只能评议本党小组的党员。"]}
    with pytest.raises(ValidationFailed) as exc:
        peer_review_submit(actor=more["third"], appraisal=appraisal, about=life.third, text="好")
    assert expect_fields(exc) == {"about": ["互评是对其他党员的评议，不能评议自己。"]}
    # 郑一 is in no group: comments on anyone of the branch.
    peer_review_submit(
        actor=more["zheng"], appraisal=appraisal, about=life.secretary, text="热心。"
    )
    with pytest.raises(ValidationFailed) as exc:
        peer_review_submit(actor=more["zheng"], appraisal=appraisal, about=life.third, text="")
    assert expect_fields(exc) == {"text": ["请填写互评意见。"]}
    rows = {(r.by_id, r.about_id): r.text for r in PeerReview.objects.all()}
    assert rows == {
        (life.third.pk, life.secretary.pk): "带头作用好，常下网格。",
        (life.full[3].pk, life.secretary.pk): "热心。",
    }


def test_peer_comments_only_in_their_stage_and_branch(life: Any, people: Any) -> None:
    more = voters(life)
    appraisal = opened(life)
    with pytest.raises(ValidationFailed) as exc:
        peer_review_submit(
            actor=more["zheng"], appraisal=appraisal, about=life.secretary, text="好"
        )
    assert exc.value.code == "wrong_state"
    appraisal_advance(actor=life.chair_user, appraisal=appraisal, to_stage="peer")
    with pytest.raises(ValidationFailed) as exc:
        peer_review_submit(actor=more["zheng"], appraisal=appraisal, about=people.m_wang, text="好")
    assert expect_fields(exc) == {"about": ["请选择本支部的党员。"]}
    assert not PeerReview.objects.exists()


# --- the ballot -------------------------------------------------------------------------------


def test_a_ballot_counts_and_leaves_no_link_to_the_voter(life: Any) -> None:
    more = voters(life)
    appraisal = move_to(opened(life), life.chair_user, "ballot")
    members = life.members
    # Every counter exists, at zero, before anyone votes.
    assert counters(appraisal) == {(m.pk, g): 0 for m in members for g in GRADES}
    ballot_cast(
        actor=more["zheng"],
        appraisal=appraisal,
        grades=ballot_of(members, **{str(life.secretary.pk): "excellent"}),
    )
    ballot_cast(
        actor=life.chair_user,
        appraisal=appraisal,
        grades=ballot_of(members, **{str(life.probationary.pk): "basic"}),
    )
    found = counters(appraisal)
    assert found[(life.secretary.pk, "excellent")] == 1
    assert found[(life.secretary.pk, "qualified")] == 1
    assert found[(life.probationary.pk, "basic")] == 1
    assert found[(life.probationary.pk, "qualified")] == 1
    assert found[(life.third.pk, "qualified")] == 2
    assert sum(found.values()) == 2 * len(members)
    assert set(BallotCast.objects.values_list("voter", flat=True)) == {
        life.full[3].pk,
        life.secretary.pk,
    }
    assert_secret(appraisal)
    assert AuditEntry.objects.filter(action="party.appraisal_ballot").count() == 2


def test_a_second_ballot_is_refused_and_changes_nothing(life: Any) -> None:
    more = voters(life)
    appraisal = move_to(opened(life), life.chair_user, "ballot")
    ballot_cast(actor=more["zheng"], appraisal=appraisal, grades=ballot_of(life.members))
    before = counters(appraisal)
    with pytest.raises(Conflict) as exc:
        ballot_cast(
            actor=more["zheng"], appraisal=appraisal, grades=ballot_of(life.members, "excellent")
        )
    assert exc.value.message == "您已投过票。"
    assert exc.value.code == "already_voted"
    assert counters(appraisal) == before
    assert BallotCast.objects.count() == 1
    assert AuditEntry.objects.filter(action="party.appraisal_ballot").count() == 1


def test_a_probationary_member_does_not_vote(life: Any) -> None:
    more = voters(life)
    appraisal = move_to(opened(life), life.chair_user, "ballot")
    with pytest.raises(Forbidden) as exc:
        ballot_cast(actor=more["probationary"], appraisal=appraisal, grades=ballot_of(life.members))
    assert exc.value.message == "预备党员没有表决权，不参加民主测评投票。"
    assert not BallotCast.objects.exists()
    assert not BallotTally.objects.filter(count__gt=0).exists()


def test_a_ballot_names_every_member_of_the_branch_and_no_one_else(
    life: Any, people: Any, cast: Any
) -> None:
    more = voters(life)
    appraisal = move_to(opened(life), life.chair_user, "ballot")
    partial = ballot_of(life.members[:-2])
    with pytest.raises(ValidationFailed) as exc:
        ballot_cast(actor=more["zheng"], appraisal=appraisal, grades=partial)
    fields = expect_fields(exc)
    (message,) = fields["grades"]
    assert message.startswith("请为每一位党员选择等次，还没有选：")
    assert "卫五" in message and "蒋预备" in message and "郑一" not in message
    assert fields[f"grades.{life.probationary.pk}"] == ["请选择等次。"]
    wrong = ballot_of(life.members, **{str(life.third.pk): "best"})
    with pytest.raises(ValidationFailed) as exc:
        ballot_cast(actor=more["zheng"], appraisal=appraisal, grades=wrong)
    assert expect_fields(exc) == {f"grades.{life.third.pk}": ["不是可选的等次。"]}
    stranger = {**ballot_of(life.members), people.m_wang.pk: "excellent"}
    with pytest.raises(ValidationFailed) as exc:
        ballot_cast(actor=more["zheng"], appraisal=appraisal, grades=stranger)
    assert expect_fields(exc) == {"grades": ["选票中有不是本支部党员的人。"]}
    # Staff of the territory who are not members do not vote.
    with pytest.raises(Forbidden):
        ballot_cast(
            actor=cast.community_secretary, appraisal=appraisal, grades=ballot_of(life.members)
        )
    assert not BallotCast.objects.exists()
    assert not BallotTally.objects.filter(count__gt=0).exists()
    assert not AuditEntry.objects.filter(action="party.appraisal_ballot").exists()


def test_ballots_only_in_the_ballot_stage(life: Any) -> None:
    more = voters(life)
    appraisal = move_to(opened(life), life.chair_user, "peer")
    with pytest.raises(ValidationFailed) as exc:
        ballot_cast(actor=more["zheng"], appraisal=appraisal, grades=ballot_of(life.members))
    assert exc.value.code == "wrong_state"
    move_to(appraisal, life.chair_user, "assessment")
    with pytest.raises(ValidationFailed):
        ballot_cast(actor=more["zheng"], appraisal=appraisal, grades=ballot_of(life.members))
    assert not BallotCast.objects.exists()


def test_a_member_who_joined_during_the_ballot_is_counted_from_then(life: Any) -> None:
    more = voters(life)
    appraisal = move_to(opened(life), life.chair_user, "ballot")
    ballot_cast(actor=more["zheng"], appraisal=appraisal, grades=ballot_of(life.members))
    newcomer = member_create(
        actor=None,
        name="新来",
        status="full",
        joined_on=life.secretary.joined_on,
        branch=life.branch,
        user=make_user(Role.GRID_WORKER, "newcomer", areas=[life.branch.area]),
    )
    with pytest.raises(ValidationFailed):  # the ballot now names the newcomer too
        ballot_cast(actor=more["third"], appraisal=appraisal, grades=ballot_of(life.members))
    ballot_cast(
        actor=more["third"], appraisal=appraisal, grades=ballot_of([*life.members, newcomer])
    )
    found = counters(appraisal)
    assert found[(newcomer.pk, "qualified")] == 1
    assert found[(life.secretary.pk, "qualified")] == 2


# --- the committee's assessment and the results -------------------------------------------------


def test_an_assessment_needs_a_reason_said_plainly_when_it_differs(life: Any) -> None:
    more = voters(life)
    appraisal = move_to(opened(life), life.chair_user, "ballot")
    for user in (more["zheng"], more["third"], life.chair_user):
        ballot_cast(actor=user, appraisal=appraisal, grades=ballot_of(life.members, "excellent"))
    move_to(appraisal, life.chair_user, "assessment")
    with pytest.raises(ValidationFailed) as exc:
        assessment_set(
            actor=life.chair_user, appraisal=appraisal, member=life.third, grade="qualified",
            reason=" ",
        )  # fmt: skip
    assert expect_fields(exc) == {
        "reason": ["评定等次与民主测评的多数意见（优秀）不同，请写明理由。"]
    }
    with pytest.raises(ValidationFailed) as exc:
        assessment_set(
            actor=life.chair_user, appraisal=appraisal, member=life.third, grade="excellent",
            reason="",
        )  # fmt: skip
    assert expect_fields(exc) == {
        "reason": ["请填写评定理由；评定等次与民主测评多数意见不同时尤其需要写明。"]
    }
    with pytest.raises(ValidationFailed) as exc:
        assessment_set(
            actor=life.chair_user, appraisal=appraisal, member=life.third, grade="top",
            reason="字" * 501,
        )  # fmt: skip
    assert expect_fields(exc) == {
        "grade": ["请选择评定等次。"],
        "reason": ["评定理由不能超过 500 个字。"],
    }
    assert not Assessment.objects.exists()
    assessment_set(
        actor=life.chair_user, appraisal=appraisal, member=life.third, grade="qualified",
        reason="测评优秀，但全年两次无故缺席党员大会。",
    )  # fmt: skip
    assessment_set(
        actor=life.recorder_user, appraisal=appraisal, member=life.third, grade="excellent",
        reason="经支委会讨论，改为优秀。",
    )  # fmt: skip
    row = Assessment.objects.get()
    assert (row.grade, row.assessed_by) == ("excellent", life.recorder_user)
    entry = AuditEntry.objects.filter(action="party.appraisal_assess").order_by("seq").last()
    assert entry is not None
    assert json.loads(entry.data) == {"member": life.third.pk, "grade": "excellent"}


def test_only_those_who_run_it_assess_and_only_in_its_stage(life: Any, cast: Any) -> None:
    more = voters(life)
    appraisal = move_to(opened(life), life.chair_user, "ballot")
    with pytest.raises(ValidationFailed) as exc:
        assessment_set(
            actor=life.chair_user, appraisal=appraisal, member=life.third, grade="qualified",
            reason="好",
        )  # fmt: skip
    assert exc.value.code == "wrong_state"
    move_to(appraisal, life.chair_user, "assessment")
    for user in (more["zheng"], cast.outsider):
        with pytest.raises(Forbidden):
            assessment_set(
                actor=user, appraisal=appraisal, member=life.third, grade="qualified",
                reason="好",
            )  # fmt: skip
    assert not Assessment.objects.exists()


def test_majority_is_more_than_half() -> None:
    assert majority_of({}) is None
    assert majority_of({"excellent": 2, "qualified": 2}) is None  # exactly half: no majority
    assert majority_of({"excellent": 3, "qualified": 2}) == "excellent"
    assert majority_of({"excellent": 0, "basic": 1}) == "basic"


def test_the_whole_flow_with_results(life: Any, django_assert_max_num_queries: Any) -> None:
    more = voters(life)
    appraisal = opened(life)
    self_assessment_submit(actor=more["third"], appraisal=appraisal, text="认真履行委员职责。")
    self_assessment_submit(actor=life.recorder_user, appraisal=appraisal, text="记录及时。")
    move_to(appraisal, life.chair_user, "peer")
    peer_review_submit(
        actor=life.recorder_user, appraisal=appraisal, about=life.third, text="工作踏实。"
    )
    peer_review_submit(actor=life.chair_user, appraisal=appraisal, about=life.third, text="负责。")
    move_to(appraisal, life.chair_user, "ballot")
    for user, grade in [
        (more["third"], "qualified"),
        (more["zheng"], "excellent"),
        (life.chair_user, "excellent"),
        (life.recorder_user, "excellent"),
    ]:
        ballot_cast(
            actor=user, appraisal=appraisal,
            grades=ballot_of(life.members, **{str(life.third.pk): grade}),
        )  # fmt: skip
    members = list(branch_members(life.branch))
    progress = appraisal_progress(appraisal, members)
    assert (progress.members, progress.voters, progress.ballots_cast) == (9, 8, 4)
    assert progress.turnout == 0.5 and progress.turnout_percent == 50
    assert (progress.self_assessed, progress.peer_reviews) == (2, 2)
    move_to(appraisal, life.chair_user, "assessment")
    with django_assert_max_num_queries(4):
        results = {r.member.pk: r for r in appraisal_results(appraisal, members)}
    third = results[life.third.pk]
    assert third.tallies == {"excellent": 3, "qualified": 1, "basic": 0, "unqualified": 0}
    assert third.majority == "excellent" and third.majority_label == "优秀"
    assert third.self_assessment == "认真履行委员职责。"
    assert {(p.by.name, p.text) for p in third.peers} == {
        ("周记录", "工作踏实。"),
        ("孙书记", "负责。"),
    }
    assert results[life.probationary.pk].majority == "qualified"
    for member in members:
        assessment_set(
            actor=life.chair_user, appraisal=appraisal, member=member,
            grade=results[member.pk].majority or "qualified", reason="与测评一致。",
        )  # fmt: skip
    appraisal_advance(actor=life.chair_user, appraisal=appraisal, to_stage="done")
    # The member sees their own assessment once it is done; never anyone's ballot.
    state = appraisal_state(more["zheng"], Appraisal.objects.get(pk=appraisal.pk))
    assert state.me is not None and state.me.has_voted and state.me.assessment is not None
    assert state.me.assessment.grade == "qualified"
    assert state.results is None and state.progress is None
    assert_secret(appraisal)
    done = Notice.objects.filter(recipient=more["zheng"], title__contains="已完成")
    assert done.count() == 1


def test_the_counters_change_in_one_statement_over_every_cell(life: Any) -> None:
    """A ballot writes every counter row of the appraisal (+0 where it was not chosen), in
    one UPDATE: the rows it changed cannot be told apart from the others, not even by the
    row versions PostgreSQL keeps."""
    more = voters(life)
    appraisal = move_to(opened(life), life.chair_user, "ballot")
    with CaptureQueriesContext(connection) as ctx:
        ballot_cast(actor=more["zheng"], appraisal=appraisal, grades=ballot_of(life.members))
    updates = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith("UPDATE") and "ballottally" in q["sql"]
    ]
    assert len(updates) == 1
    assert "member_id" not in updates[0].rsplit(" WHERE ", 1)[1]


def test_runnable_branches(life: Any, cast: Any, people: Any) -> None:
    more = voters(life)
    assert list(runnable_branches(life.chair_user)) == [life.branch]
    assert list(runnable_branches(life.recorder_user)) == [life.branch]
    assert list(runnable_branches(more["zheng"])) == []
    assert set(runnable_branches(cast.community_secretary)) == {people.branch_a, life.branch}
    assert list(runnable_branches(cast.outsider)) == [people.branch_w]
    assert list(runnable_branches(cast.department_officer)) == []
