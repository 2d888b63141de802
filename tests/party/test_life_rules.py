"""The shared rules of organisational life (DOMAIN.md §4): "more than half" with the edge
numbers (exactly half is not enough), quorum and passing for each rule kind, who is expected,
who votes, and who may run an organisation's meetings."""

from __future__ import annotations

from typing import Any

import pytest

from grassroots.accounts.models import Role
from grassroots.party.life_rules import (
    expected_members,
    has_vote,
    holds,
    leads,
    may_run,
    member_of,
    more_than_half,
    quorum_met,
    vote_outcome,
)
from grassroots.party.models import HeldBy, MeetingKind, PassingRule, QuorumRule
from tests.conftest import make_user


def kind(quorum: str = QuorumRule.NONE, passing: str = PassingRule.NONE) -> MeetingKind:
    return MeetingKind(code="k", name="会", held_by=HeldBy.BRANCH, quorum=quorum, passing=passing)


GENERAL = kind(QuorumRule.HALF_OF_VOTING, PassingRule.HALF_OF_EXPECTED)  # 支部党员大会
COMMITTEE = kind(QuorumRule.HALF_OF_EXPECTED, PassingRule.HALF_OF_EXPECTED)  # 支委会
GROUP = kind(QuorumRule.NONE, PassingRule.HALF_OF_PRESENT)  # 党小组会
LECTURE = kind()  # 党课: no quorum, no vote


@pytest.mark.parametrize(
    ("part", "whole", "passes"),
    [
        (4, 8, False),  # exactly half
        (5, 8, True),
        (4, 9, False),
        (5, 9, True),
        (1, 2, False),
        (2, 3, True),
        (1, 1, True),
        (0, 0, False),
        (0, 1, False),
    ],
)
def test_more_than_half_is_strict(part: int, whole: int, passes: bool) -> None:
    assert more_than_half(part, whole) is passes


def counts(expected: int, present: int, voting_expected: int, voting_present: int) -> Any:
    return {
        "expected": expected,
        "present": present,
        "voting_expected": voting_expected,
        "voting_present": voting_present,
    }


def test_the_general_meeting_counts_members_with_a_vote() -> None:
    # 8 full members and 1 probationary: 5 present of 9 with only 4 voting is not a quorum.
    assert not quorum_met(GENERAL, **counts(9, 5, 8, 4))
    assert quorum_met(GENERAL, **counts(9, 5, 8, 5))
    assert quorum_met(GENERAL, **counts(9, 5, 9, 5))  # 5 of 9
    assert not quorum_met(GENERAL, **counts(8, 4, 8, 4))  # 4 of 8: exactly half


def test_the_committee_counts_those_expected() -> None:
    assert quorum_met(COMMITTEE, **counts(3, 2, 3, 2))
    assert not quorum_met(COMMITTEE, **counts(4, 2, 4, 2))
    assert not quorum_met(COMMITTEE, **counts(3, 1, 3, 1))


def test_kinds_without_a_quorum_always_sit() -> None:
    assert quorum_met(LECTURE, **counts(9, 0, 8, 0))
    assert quorum_met(GROUP, **counts(4, 1, 4, 1))


def test_a_general_meeting_motion_needs_more_than_half_of_those_expected_to_vote() -> None:
    everyone = counts(9, 9, 8, 8)
    half = vote_outcome(GENERAL, **everyone, votes_for=4)
    assert (half.quorum_met, half.passed) == (True, False)
    assert half.reason == "赞成 4 票，未超过应到有表决权人数 8 的半数。"
    assert vote_outcome(GENERAL, **everyone, votes_for=5).passed
    # Present 5 of 8 voting: 5 for passes (more than half of the 8 expected), 4 does not.
    few = counts(9, 5, 8, 5)
    assert vote_outcome(GENERAL, **few, votes_for=5).passed
    assert not vote_outcome(GENERAL, **few, votes_for=4).passed


def test_a_group_motion_needs_more_than_half_of_those_present() -> None:
    assert vote_outcome(GROUP, **counts(4, 3, 4, 3), votes_for=2).passed
    outcome = vote_outcome(GROUP, **counts(4, 4, 4, 4), votes_for=2)
    assert not outcome.passed
    assert outcome.reason == "赞成 2 票，未超过实到有表决权人数 4 的半数。"


def test_without_quorum_a_resolution_does_not_pass_and_says_why() -> None:
    outcome = vote_outcome(GENERAL, **counts(8, 4, 8, 4), votes_for=4)
    assert (outcome.quorum_met, outcome.passed) == (False, False)
    assert outcome.reason == "未达到法定人数：有表决权的应到 8 人，实到 4 人，未过半数。"
    outcome = vote_outcome(COMMITTEE, **counts(3, 1, 3, 1), votes_for=None)
    assert not outcome.passed
    assert outcome.reason == "未达到法定人数：应到 3 人，实到 1 人，未过半数。"


def test_no_vote_or_no_passing_rule_passes() -> None:
    assert vote_outcome(LECTURE, **counts(9, 3, 8, 3), votes_for=0).passed
    assert vote_outcome(GENERAL, **counts(9, 9, 8, 8), votes_for=None).passed


# --- who holds, who is expected, who votes, who runs ---------------------------------------------


def test_who_holds_each_kind(life: Any, people: Any) -> None:
    kinds = life.kinds
    branch_kinds = [
        "general_meeting",
        "party_lecture",
        "theme_day",
        "org_life_review",
        "member_appraisal",
        "heart_to_heart",
    ]
    for code in branch_kinds:
        assert holds(kinds[code], life.branch), code
        assert not holds(kinds[code], life.group), code
        assert not holds(kinds[code], people.cc1), code  # a community committee: not a branch
    assert holds(kinds["committee_meeting"], life.branch)
    assert holds(kinds["group_meeting"], life.group)
    assert not holds(kinds["group_meeting"], life.branch)


def test_who_is_expected_and_who_votes(life: Any) -> None:
    kinds = life.kinds
    general = list(expected_members(kinds["general_meeting"], life.branch))
    assert len(general) == 9
    assert sum(has_vote(m) for m in general) == 8
    assert not has_vote(life.probationary)
    committee = set(expected_members(kinds["committee_meeting"], life.branch))
    assert committee == {life.secretary, life.recorder, life.third}
    assert expected_members(kinds["group_meeting"], life.group).count() == 4
    # A talk: anyone of the branch may take part.
    assert expected_members(kinds["heart_to_heart"], life.branch).count() == 9


def test_who_leads_and_runs(life: Any, cast: Any, people: Any) -> None:
    assert member_of(life.chair_user) == life.secretary
    assert member_of(cast.outsider) is None
    assert leads(life.third, life.branch)
    assert not leads(life.full[3], life.branch)
    assert not leads(None, life.branch)
    assert may_run(cast.street_leader, life.branch)
    assert not may_run(cast.outsider, life.branch)  # the other street's dispatcher
    assert not may_run(cast.grid_worker_a, people.branch_a)  # a member, not a leader
    assert may_run(life.recorder_user, life.group)  # the branch's committee runs its group
    plain = make_user(Role.GRID_WORKER, "plain_member")
    life.full[3].user = plain
    life.full[3].save(update_fields=["user"])
    assert not may_run(plain, life.branch)
    assert not may_run(plain, life.group)
