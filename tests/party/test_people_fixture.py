from __future__ import annotations

from typing import Any


def test_the_people_fixture_builds(people: Any) -> None:
    assert people.branch_a.members.count() == 4
    assert people.wang.household == people.hh_a1_101
    assert people.me.user is not None
