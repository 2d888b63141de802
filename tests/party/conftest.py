"""Fixtures for organisational life: a branch with a committee (grid B's branch, 8 full members
and one probationary), whose secretary and recorder have accounts, and the seeded kinds."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from grassroots.accounts.models import Role, User
from grassroots.party.models import MeetingKind, MemberStatus, PartyMember, PartyOrg
from grassroots.party.services import member_create, party_org_create, party_org_set_committee
from grassroots.territory.services import resident_create
from tests.conftest import id_number, make_user


@dataclass
class Life:
    branch: PartyOrg  # 东一社区B网格党支部: committee of 3, 8 full members + 1 probationary
    group: PartyOrg  # 东一2号楼党小组: 4 of the branch's members
    secretary: PartyMember  # chairs; account: cast.grid_worker_b ("grid_b")
    recorder: PartyMember  # committee member who records; account: recorder_user
    third: PartyMember  # the third committee member, no account
    full: list[PartyMember]  # all 8 full members, the committee first
    probationary: PartyMember
    chair_user: User
    recorder_user: User
    kinds: dict[str, MeetingKind]

    @property
    def members(self) -> list[PartyMember]:
        return [*self.full, self.probationary]


@pytest.fixture(autouse=True)
def org_life_config(db: Any) -> None:
    """The seeded meeting kinds and point rules, put back when a reused test database has lost
    them: transactional tests (the browser tests) empty every table when they end."""
    reseed_org_life()


def reseed_org_life() -> None:
    from django.apps import apps

    if not MeetingKind.objects.exists():
        seed = importlib.import_module("grassroots.party.migrations.0004_seed_org_life")
        seed.seed(apps, None)


@pytest.fixture
def life(people: Any, cast: Any, city: Any) -> Life:
    reseed_org_life()
    branch = people.branch_b
    group = party_org_create(
        actor=None,
        parent=branch,
        kind="group",
        name="东一2号楼党小组",
        area=people.building_b1,
    )
    recorder_user = make_user(
        Role.BUILDING_HEAD, "recorder_b", areas=[people.building_b1], mobile="13900000021"
    )

    def person(name: str, seed: int, **kw: Any) -> PartyMember:
        resident = resident_create(
            actor=None, household=people.hh_b1_201, name=name, id_number=id_number(100 + seed)
        )
        return member_create(
            actor=None,
            name=name,
            status=kw.pop("status", MemberStatus.FULL),
            joined_on=date(2001, 7, 1),
            branch=branch,
            resident=resident,
            **kw,
        )

    secretary = member_create(
        actor=None,
        name="孙书记",
        status=MemberStatus.FULL,
        joined_on=date(1995, 7, 1),
        branch=branch,
        user=cast.grid_worker_b,
        group=group,
    )
    recorder = member_create(
        actor=None,
        name="周记录",
        status=MemberStatus.FULL,
        joined_on=date(1998, 7, 1),
        branch=branch,
        user=recorder_user,
        group=group,
    )
    third = person("吴委员", 1, group=group)
    others = [person(name, i) for i, name in enumerate(["郑一", "冯二", "陈三", "褚四"], 2)]
    others.append(person("卫五", 6, group=group))
    probationary = person("蒋预备", 7, status=MemberStatus.PROBATIONARY)
    party_org_set_committee(
        actor=None, org=branch, secretary=secretary, committee=[secretary, recorder, third]
    )
    branch.refresh_from_db()
    group.refresh_from_db()
    return Life(
        branch=branch,
        group=group,
        secretary=secretary,
        recorder=recorder,
        third=third,
        full=[secretary, recorder, third, *others],
        probationary=probationary,
        chair_user=cast.grid_worker_b,
        recorder_user=recorder_user,
        kinds={k.code: k for k in MeetingKind.objects.all()},
    )
