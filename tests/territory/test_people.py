from __future__ import annotations

from typing import Any

import pytest

from grassroots.core.errors import ValidationFailed
from grassroots.core.models import AuditEntry
from grassroots.core.validators import validate_id_number
from grassroots.party.models import PartyMember, PartyOrg
from grassroots.territory.models import Household, Resident, ResidentMove
from grassroots.territory.selectors import can_see_sensitive_tags, visible_tags
from grassroots.territory.services import household_create, resident_create, resident_move
from tests.conftest import id_number


@pytest.mark.parametrize(
    "value,message",
    [
        ("11010119900307123", "18 位"),
        ("1101011990030712XX", "18 位"),
        ("110101199013071234", "出生日期"),
        ("110101280001011234", "出生日期"),
    ],
)
def test_id_numbers_are_checked(value: str, message: str) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as info:
        validate_id_number(value)
    assert message in info.value.messages[0]


def test_the_gb11643_check_character() -> None:
    from django.core.exceptions import ValidationError

    good = id_number(7)
    validate_id_number(good)
    validate_id_number("11010519491231002X")  # the standard's own example
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(ValidationError) as info:
        validate_id_number(wrong)
    assert "校验位" in info.value.messages[0]


def test_resident_validation_changes_nothing(people: Any) -> None:
    before = Resident.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ValidationFailed) as info:
        resident_create(
            actor=None,
            household=people.hh_a1_101,
            name=" ",
            mobile="12345678901",
            id_number=id_number(1),
            birth_year=1800,
            tags=["rich"],
        )
    assert info.value.fields == {
        "name": ["请填写姓名。"],
        "mobile": ["请输入 11 位手机号码。"],
        "id_number": ["该身份证号已登记。"],
        "birth_year": ["出生年份不正确。"],
        "tags": ["未知的标签：rich"],
    }
    assert (Resident.objects.count(), AuditEntry.objects.count()) == before


def test_birth_year_comes_from_the_id_number(people: Any) -> None:
    r = resident_create(
        actor=None, household=people.hh_a1_102, name="孙", id_number=id_number(9, born="19880808")
    )
    assert r.birth_year == 1988
    assert Resident.objects.get(pk=r.pk).id_number == id_number(9, born="19880808")


def test_households_are_unique_and_sit_in_buildings(people: Any, city: Any) -> None:
    with pytest.raises(ValidationFailed) as info:
        household_create(actor=None, building=city.building_a1, unit="1", room="101")
    assert info.value.fields["room"] == ["该楼栋已有这个单元和房号。"]
    with pytest.raises(ValidationFailed) as info:
        household_create(actor=None, building=city.grid_a, unit="", room="1")
    assert "楼栋" in info.value.fields["building"][0]
    h = household_create(actor=None, building=city.building_a1, unit="2", room="101")
    assert h.area_path == city.building_a1.path and h.street == city.s1


def test_moving_keeps_history(people: Any) -> None:
    resident_move(actor=None, resident=people.li, to_household=people.hh_b1_201, reason="换房")
    resident_move(actor=None, resident=people.li, to_household=None, reason="迁出本区")
    moves = list(ResidentMove.objects.filter(resident=people.li).order_by("moved_at", "id"))
    assert [(m.from_household_id, m.to_household_id) for m in moves] == [
        (None, people.hh_a1_102.pk),
        (people.hh_a1_102.pk, people.hh_b1_201.pk),
        (people.hh_b1_201.pk, None),
    ]
    people.li.refresh_from_db()
    assert people.li.household is None and people.li.area_path == ""
    with pytest.raises(ValidationFailed):
        resident_move(actor=None, resident=people.wang, to_household=people.hh_a1_101)


def test_sensitive_tags_only_for_the_communitys_staff(people: Any, cast: Any) -> None:
    wang = Resident.objects.prefetch_related("tags").get(pk=people.wang.pk)
    for who, sees in [
        ("community_staff", True),
        ("community_secretary", True),
        ("street_dispatcher", False),
        ("grid_worker_a", False),
        ("outsider", False),
        ("system_admin", False),
    ]:
        user = getattr(cast, who)
        assert can_see_sensitive_tags(user, wang) is sees, who
        kinds = {t.kind for t in visible_tags(user, wang)}
        assert kinds == ({"elderly_alone", "veteran"} if sees else {"veteran"}), who


@pytest.mark.parametrize(
    "who,residents,members",
    [
        ("grid_worker_a", {"王建国", "李秀英", "张阿姨"}, {"王建国", "李秀英", "grid_a", "赵明"}),
        ("grid_worker_b", {"赵明"}, set()),
        (
            "community_secretary",
            {"王建国", "李秀英", "张阿姨", "赵明"},
            {"王建国", "李秀英", "grid_a", "赵明"},
        ),
        ("outsider", {"钱西"}, {"钱西"}),
        ("resident", {"张阿姨"}, set()),
        ("audit_admin", set(), set()),
    ],
)
def test_people_scope(
    people: Any, cast: Any, who: str, residents: set[str], members: set[str]
) -> None:
    user = getattr(cast, who)
    assert set(Resident.objects.visible_to(user).values_list("name", flat=True)) == residents
    assert set(PartyMember.objects.visible_to(user).values_list("name", flat=True)) == members


def test_party_tree_scope(people: Any, cast: Any) -> None:
    names = set(
        PartyOrg.objects.visible_to(cast.community_secretary).values_list("name", flat=True)
    )
    assert names == {
        "东一社区党委",
        "东一社区A网格党支部",
        "东一1号楼党小组",
        "东一社区B网格党支部",
    }
    street = set(PartyOrg.objects.visible_to(cast.street_leader).values_list("name", flat=True))
    assert "东街道党工委" in street and "西街道党工委" not in street
    assert (
        not Household.objects.visible_to(cast.grid_worker_b).filter(pk=people.hh_a1_101.pk).exists()
    )
