from __future__ import annotations

from typing import Any

from grassroots.party.life_rules import expected_members, holds, may_run


def test_the_life_fixture(life: Any, cast: Any, people: Any) -> None:
    kinds = life.kinds
    assert len(kinds) == 8
    assert list(expected_members(kinds["committee_meeting"], life.branch)) == sorted(
        [life.secretary, life.recorder, life.third], key=lambda m: (m.name, m.pk)
    )
    assert expected_members(kinds["general_meeting"], life.branch).count() == 9
    assert expected_members(kinds["group_meeting"], life.group).count() == 4
    assert holds(kinds["committee_meeting"], life.branch)
    assert not holds(kinds["committee_meeting"], people.branch_a)  # secretary only
    assert holds(kinds["group_meeting"], life.group)
    assert not holds(kinds["group_meeting"], life.branch)
    assert may_run(life.chair_user, life.branch)
    assert may_run(life.recorder_user, life.branch)
    assert may_run(cast.community_secretary, life.branch)
    assert not may_run(cast.grid_worker_a, life.branch)
    assert not may_run(cast.outsider, life.branch)
    assert may_run(life.chair_user, life.group)  # the branch's secretary runs its groups
