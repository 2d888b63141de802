"""The branch rules of DOMAIN.md §4, as validation with clear messages."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine

from grassroots.core.errors import ValidationFailed
from grassroots.party.models import MemberStatus, OrgKind, OrgSetting, PartyMember
from grassroots.party.rules_check import membership_findings, term_findings, term_years
from grassroots.party.services import (
    household_link_create,
    member_create,
    member_transfer,
    org_findings,
    party_org_create,
    party_org_set_committee,
)
from grassroots.territory.services import household_create
from tests.conftest import id_number


def messages(findings: list[Any], level: str) -> list[str]:
    return [f.message for f in findings if f.level == level]


@pytest.mark.parametrize(
    "full,total,committee,errors,warnings",
    [
        (2, 2, 0, ["正式党员不足 3 人"], []),
        (3, 3, 0, [], []),
        (6, 6, 3, [], ["不设委员会"]),
        (7, 7, 0, ["委员 3 至 5 人"], []),
        (7, 7, 2, ["委员 3 至 5 人"], []),
        (7, 7, 3, [], []),
        (12, 12, 5, [], []),
        (12, 12, 6, [], ["一般为 3 至 5 人"]),
        (20, 20, 8, ["最多不超过 7 人"], []),
        (45, 51, 5, [], ["超过 50 人"]),
    ],
)
def test_membership_rules(
    full: int, total: int, committee: int, errors: list[str], warnings: list[str]
) -> None:
    found = membership_findings(kind=OrgKind.BRANCH, full=full, total=total, committee=committee)
    assert len(messages(found, "error")) == len(errors)
    for text, message in zip(errors, messages(found, "error"), strict=True):
        assert text in message
    assert len(messages(found, "warning")) == len(warnings)
    for text, message in zip(warnings, messages(found, "warning"), strict=True):
        assert text in message


def test_terms_are_five_years_in_communities_and_villages_three_elsewhere() -> None:
    assert term_years(OrgKind.COMMUNITY_COMMITTEE, "community") == 5
    assert term_years(OrgKind.VILLAGE_COMMITTEE, "village") == 5
    assert term_years(OrgKind.BRANCH, "grid") == 5
    assert term_years(OrgKind.BRANCH, None) == 3  # e.g. a branch inside a member unit
    assert term_years(OrgKind.STREET_WORKING_COMMITTEE, "street") == 3
    too_long = term_findings(
        kind=OrgKind.BRANCH,
        area_kind=None,
        term_start=date(2024, 1, 1),
        term_end=date(2027, 6, 1),
        today=date(2025, 1, 1),
    )
    assert messages(too_long, "error") == ["本届任期不能超过 3 年。"]
    due = term_findings(
        kind=OrgKind.COMMUNITY_COMMITTEE,
        area_kind="community",
        term_start=date(2021, 12, 1),
        term_end=date(2026, 12, 1),
        today=date(2026, 11, 1),
    )
    assert messages(due, "warning") == ["本届任期将于 2026-12-01 届满，请做好换届准备。"]


def test_the_tree_keeps_kinds_in_order(people: Any, city: Any) -> None:
    with pytest.raises(ValidationFailed) as info:
        party_org_create(
            actor=None, parent=people.group_a1, kind=OrgKind.BRANCH, name="错", area=city.grid_a
        )
    assert "不能设在" in info.value.fields["kind"][0]
    with pytest.raises(ValidationFailed) as info:
        party_org_create(
            actor=None, parent=people.cc1, kind=OrgKind.BRANCH, name="错", area=city.c2
        )
    assert "不能领导" in info.value.fields["area"][0]
    with pytest.raises(ValidationFailed) as info:
        party_org_create(
            actor=None, parent=people.cc1, kind=OrgKind.BRANCH, name="错", area=city.grid_w
        )
    assert "上级党组织的区域之内" in info.value.fields["area"][0]


def test_branches_off_the_territory_lead_no_area(people: Any, city: Any) -> None:
    with pytest.raises(ValidationFailed) as info:
        party_org_create(
            actor=None,
            parent=people.cc1,
            kind=OrgKind.BRANCH,
            name="产业链支部",
            setting=OrgSetting.INDUSTRY_CHAIN,
            area=city.grid_b,
        )
    assert "不领导区域" in info.value.fields["area"][0]
    with pytest.raises(ValidationFailed) as info:
        party_org_create(
            actor=None,
            parent=people.cc1,
            kind=OrgKind.BRANCH,
            name="单位支部",
            setting=OrgSetting.MEMBER_UNIT,
        )
    assert "驻区单位" in info.value.fields["member_unit"][0]
    chain = party_org_create(
        actor=None,
        parent=people.cc1,
        kind=OrgKind.BRANCH,
        name="产业链支部",
        setting=OrgSetting.INDUSTRY_CHAIN,
    )
    assert chain.area is None and chain.area_path == people.cc1.area_path


def test_joint_branches_cover_two_to_five_units(people: Any) -> None:
    with pytest.raises(ValidationFailed) as info:
        party_org_create(
            actor=None,
            parent=people.cc1,
            kind=OrgKind.JOINT_BRANCH,
            name="联合支部",
            setting=OrgSetting.COOPERATIVE,
            covered_units=6,
        )
    assert "不超过 5 个" in info.value.fields["covered_units"][0]
    with pytest.raises(ValidationFailed):
        party_org_create(
            actor=None,
            parent=people.cc1,
            kind=OrgKind.BRANCH,
            name="多单位",
            setting=OrgSetting.COOPERATIVE,
            covered_units=3,
        )
    joint = party_org_create(
        actor=None,
        parent=people.cc1,
        kind=OrgKind.JOINT_BRANCH,
        name="联合支部",
        setting=OrgSetting.COOPERATIVE,
        covered_units=4,
    )
    assert joint.covered_units == 4


def test_a_branch_with_too_few_full_members_is_flagged(people: Any) -> None:
    assert messages(org_findings(people.branch_a), "error") == []
    assert any("不足 3 人" in m for m in messages(org_findings(people.branch_b), "error"))


def test_a_member_is_in_one_branch_only(people: Any) -> None:
    with pytest.raises(ValidationFailed) as info:
        member_create(
            actor=None,
            name="王建国",
            status=MemberStatus.FULL,
            joined_on=date(2001, 1, 1),
            branch=people.branch_b,
            resident=people.wang,
        )
    assert "东一社区A网格党支部" in info.value.fields["resident"][0]
    assert PartyMember.objects.filter(resident=people.wang).count() == 1


def test_member_validation(people: Any) -> None:
    with pytest.raises(ValidationFailed) as info:
        member_create(
            actor=None,
            name="",
            status="boss",
            joined_on=date(2999, 1, 1),
            branch=people.cc1,
            group=people.group_a1,
            roles=["king"],
        )
    fields = info.value.fields
    assert set(fields) == {"name", "status", "joined_on", "branch", "group", "resident", "roles"}
    assert "党支部" in fields["branch"][0] and "不能晚于今天" in fields["joined_on"][0]


def test_transfer_keeps_three_full_members(people: Any) -> None:
    with pytest.raises(ValidationFailed) as info:
        member_transfer(actor=None, member=people.m_wang, branch=people.branch_b)
    assert "不足 3 人" in info.value.fields["branch"][0]
    # A probationary member may move: the branch keeps its three full members.
    moved = member_transfer(actor=None, member=people.m_new, branch=people.branch_b)
    assert moved.branch == people.branch_b


def test_committee_needs_members_of_the_branch(people: Any) -> None:
    with pytest.raises(ValidationFailed) as info:
        party_org_set_committee(
            actor=None, org=people.branch_a, secretary=people.m_west, committee=[]
        )
    assert "钱西" in info.value.fields["committee"][0]
    org = party_org_set_committee(
        actor=None,
        org=people.branch_a,
        secretary=people.m_wang,
        committee=[],
        term_start=date(2024, 3, 1),
        term_end=date(2029, 3, 1),
    )
    assert org.secretary == people.m_wang


def test_seven_full_members_need_a_committee(people: Any) -> None:
    from grassroots.territory.services import resident_create

    for i in range(4):
        r = resident_create(
            actor=None, household=people.hh_a1_102, name=f"党员{i}", id_number=id_number(100 + i)
        )
        member_create(
            actor=None,
            name=r.name,
            status=MemberStatus.FULL,
            joined_on=date(2010, 1, 1),
            branch=people.branch_a,
            resident=r,
        )
    assert any("委员 3 至 5 人" in m for m in messages(org_findings(people.branch_a), "error"))
    with pytest.raises(ValidationFailed):
        party_org_set_committee(
            actor=None, org=people.branch_a, secretary=people.m_wang, committee=[people.m_li]
        )
    party_org_set_committee(
        actor=None,
        org=people.branch_a,
        secretary=people.m_wang,
        committee=[people.m_li, people.m_staff],
    )
    assert messages(org_findings(people.branch_a), "error") == []


def test_household_links_have_a_limit(people: Any, settings: Any) -> None:
    settings.HOUSEHOLD_LINK_LIMIT = 2
    household_link_create(actor=None, member=people.m_wang, household=people.hh_a1_101)
    with pytest.raises(ValidationFailed) as info:
        household_link_create(actor=None, member=people.m_wang, household=people.hh_a1_101)
    assert "已经联系" in info.value.fields["household"][0]
    household_link_create(actor=None, member=people.m_wang, household=people.hh_a1_102)
    extra = household_create(actor=None, building=people.hh_a1_101.building, unit="1", room="103")
    with pytest.raises(ValidationFailed) as info:
        household_link_create(actor=None, member=people.m_wang, household=extra)
    assert info.value.fields["household"] == ["每名党员联系户不超过 2 户。"]


def test_links_stay_in_the_branchs_territory(people: Any) -> None:
    with pytest.raises(ValidationFailed) as info:
        household_link_create(actor=None, member=people.m_wang, household=people.hh_b1_201)
    assert info.value.fields["household"] == ["只能联系本支部辖区内的住户。"]
    assert not people.m_wang.links.exists()


@time_machine.travel("2026-11-27 10:00 +0800")
def test_committee_terms_warn_before_they_end(people: Any) -> None:
    party_org_set_committee(
        actor=None,
        org=people.cc1,
        secretary=None,
        committee=[],
        term_start=date(2022, 1, 10),
        term_end=date(2027, 1, 10),
    )
    warnings = messages(org_findings(people.cc1), "warning")
    assert warnings == ["本届任期将于 2027-01-10 届满，请做好换届准备。"]


@time_machine.travel("2026-11-27 10:00 +0800")
def test_the_term_sweep_reminds_once(people: Any, cast: Any, mailoutbox: list[Any]) -> None:
    from grassroots.accounts.models import User
    from grassroots.party.tasks import remind_terms_ending

    User.objects.filter(pk=cast.community_secretary.pk).update(email="c1@example.org")
    party_org_set_committee(
        actor=None,
        org=people.branch_a,
        secretary=people.m_wang,
        committee=[],
        term_start=date(2022, 1, 10),
        term_end=date(2027, 1, 10),
    )
    party_org_set_committee(
        actor=None,
        org=people.branch_w,
        secretary=None,
        committee=[],
        term_start=date(2024, 1, 10),
        term_end=date(2029, 1, 10),
    )
    assert remind_terms_ending() == 1
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["c1@example.org"]
    assert "东一社区A网格党支部" in mailoutbox[0].subject
    assert remind_terms_ending() == 0  # idempotent
    assert len(mailoutbox) == 1
