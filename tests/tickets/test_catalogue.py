"""The request catalogue (派单目录): the seeded tree and policies, and the services editing it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from grassroots.core.errors import ValidationFailed
from grassroots.core.models import AuditEntry
from grassroots.tickets.models import Category, HandlingLevel, SlaPolicy, SlaUnit
from grassroots.tickets.services import (
    category_create,
    category_delete,
    category_move,
    category_update,
    category_warnings,
    sla_policy_create,
    sla_policy_delete,
    sla_policy_update,
)

EMERGENCY = "紧急（2 小时办结）"
TOP_LEVEL = [
    "市容环境",
    "物业管理",
    "停车管理",
    "噪音扰民",
    "水电气热",
    "道路设施",
    "绿化",
    "治安隐患",
    "邻里纠纷",
    "养老助残",
    "政策咨询",
    "其他",
]


def cat(code: str) -> Category:
    return Category.objects.get(code=code)


def policy(name: str) -> SlaPolicy:
    return SlaPolicy.objects.get(name=name)


def errors_of(info: Any) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = info.value.fields
    return fields


# --- the seed ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_seeds_the_catalogue_in_every_database() -> None:
    assert Category.objects.find_problems() == ([], [], [], [], [])
    roots = list(Category.objects.get_root_nodes())
    assert [c.name for c in roots] == TOP_LEVEL
    assert [c.code for c in roots][-1] == "99"
    assert Category.objects.count() == 64
    for root in roots:
        leaves = list(Category.objects.get_children(root))
        assert 2 <= len(leaves) <= 6, root.name
        assert all(leaf.code.startswith(root.code) for leaf in leaves)
        assert root.handling_level == "" and root.sla_policy_id is None


@pytest.mark.django_db
def test_every_seeded_leaf_has_a_level_and_a_policy() -> None:
    leaves = Category.objects.filter(numchild=0)
    assert leaves.count() == 52
    for leaf in leaves:
        assert leaf.is_active and leaf.handling_level in HandlingLevel.values, leaf.name
        assert leaf.sla_policy_id is not None, leaf.name
        assert leaf.keyword_list, leaf.name
        leaf.full_clean()  # the seed passes the same checks as an edit


@pytest.mark.django_db
def test_the_seeded_policies_follow_domain_defaults() -> None:
    got = {
        p.name: (p.respond_amount, p.respond_unit, p.resolve_amount, p.resolve_unit)
        for p in SlaPolicy.objects.all()
    }
    assert got == {
        EMERGENCY: (1, "hours", 2, "hours"),
        "水电气热（24 小时）": (2, "hours", 24, "hours"),
        "一般（7 天）": (24, "hours", 7, "days"),
        "复杂（15 天）": (24, "hours", 15, "days"),
        "咨询（5 个工作日）": (4, "hours", 5, "working_days"),
    }
    for p in SlaPolicy.objects.all():
        p.full_clean()


@pytest.mark.django_db
def test_emergency_leaves_carry_the_two_hour_policy() -> None:
    emergency = {c.name for c in Category.objects.filter(sla_policy__name=EMERGENCY)}
    assert emergency == {
        "燃气泄漏（紧急）",
        "路面塌陷（紧急）",
        "井盖缺失（紧急）",
        "电梯困人（紧急）",
        "树木倒伏（紧急）",
    }
    assert cat("0503").handling_level == HandlingLevel.DEPARTMENT
    assert {c.sla_policy.name for c in Category.objects.get_children(cat("05"))} == {
        EMERGENCY,
        "水电气热（24 小时）",
    }
    assert {c.sla_policy.name for c in Category.objects.get_children(cat("11"))} == {
        "咨询（5 个工作日）"
    }
    assert cat("0102").handling_level == HandlingLevel.GRID  # 小广告: the grid worker removes it


# --- SLA policies -----------------------------------------------------------------------------


def new_policy(**kw: Any) -> SlaPolicy:
    values: dict[str, Any] = {
        "actor": None,
        "name": "测试标准",
        "respond_amount": 2,
        "respond_unit": SlaUnit.HOURS,
        "resolve_amount": 3,
        "resolve_unit": SlaUnit.WORKING_DAYS,
    }
    return sla_policy_create(**{**values, **kw})


@pytest.mark.django_db
def test_it_creates_and_updates_a_policy_with_audit(cast: Any) -> None:
    created = new_policy(actor=cast.system_admin, warn_share=0.75)
    assert created.warn_share == 0.75 and created.resolve_label == "3 工作日"
    row = AuditEntry.objects.get(action="tickets.sla_policy_create", object_id=str(created.pk))
    assert row.actor == cast.system_admin

    sla_policy_update(actor=cast.system_admin, policy=created, resolve_amount=5)
    created.refresh_from_db()
    assert created.resolve_amount == 5 and created.respond_amount == 2
    assert AuditEntry.objects.filter(action="tickets.sla_policy_update").count() == 1
    sla_policy_update(actor=cast.system_admin, policy=created, resolve_amount=5)  # no change
    assert AuditEntry.objects.filter(action="tickets.sla_policy_update").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"warn_share": 0}, "warn_share", "预警比例须大于 0 且小于 1，如 0.8。"),
        ({"warn_share": 1}, "warn_share", "预警比例须大于 0 且小于 1，如 0.8。"),
        ({"warn_share": 1.5}, "warn_share", "预警比例须大于 0 且小于 1，如 0.8。"),
        ({"warn_share": -0.2}, "warn_share", "预警比例须大于 0 且小于 1，如 0.8。"),
        ({"respond_amount": 0}, "respond_amount", "时限须为正整数。"),
        ({"resolve_amount": 0}, "resolve_amount", "时限须为正整数。"),
        ({"respond_unit": "weeks"}, "respond_unit", "时限单位须为小时、自然日或工作日。"),
        ({"resolve_unit": ""}, "resolve_unit", "此字段不能为空。"),
        ({"name": ""}, "name", "此字段不能为空。"),
        ({"name": EMERGENCY}, "name", "已有同名的时限标准。"),
        (
            {"respond_amount": 3, "respond_unit": "days", "resolve_amount": 48},
            "respond_amount",
            "响应时限不能长于办结时限。",
        ),
        (
            {"respond_amount": 9, "resolve_amount": 8},
            "respond_amount",
            "响应时限不能长于办结时限。",
        ),
    ],
)
def test_a_bad_policy_is_refused_in_chinese(
    changes: dict[str, Any], field: str, message: str
) -> None:
    count = SlaPolicy.objects.count()
    base = {"resolve_unit": SlaUnit.HOURS, "resolve_amount": 24}
    with pytest.raises(ValidationFailed) as info:
        new_policy(**{**base, **changes})
    assert errors_of(info)[field] == [message]
    assert SlaPolicy.objects.count() == count


@pytest.mark.django_db
def test_a_bad_update_changes_nothing() -> None:
    emergency = policy(EMERGENCY)
    with pytest.raises(ValidationFailed) as info:
        sla_policy_update(actor=None, policy=emergency, warn_share=2, respond_amount=0)
    assert set(errors_of(info)) == {"warn_share", "respond_amount"}
    assert emergency.warn_share == 0.5 and emergency.respond_amount == 1
    assert policy(EMERGENCY).warn_share == 0.5


@pytest.mark.django_db
@pytest.mark.parametrize(
    "values",
    [
        {"warn_share": 1.0},
        {"warn_share": 0.0},
        {"respond_amount": 0},
        {"resolve_amount": 0},
        {"respond_unit": "weeks"},
    ],
)
def test_the_database_refuses_what_clean_refuses(values: dict[str, Any]) -> None:
    row = {
        "name": "直写",
        "respond_amount": 1,
        "respond_unit": "hours",
        "resolve_amount": 2,
        "resolve_unit": "hours",
        "warn_share": 0.8,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        SlaPolicy.objects.create(**{**row, **values})


@pytest.mark.django_db
def test_a_policy_in_use_cannot_be_deleted() -> None:
    with pytest.raises(ValidationFailed) as info:
        sla_policy_delete(actor=None, policy=policy(EMERGENCY))
    assert info.value.message == "仍有类别使用该时限标准，不能删除。"
    unused = new_policy()
    sla_policy_delete(actor=None, policy=unused)
    assert not SlaPolicy.objects.filter(pk=unused.pk).exists()
    assert AuditEntry.objects.filter(action="tickets.sla_policy_delete").exists()


# --- categories -------------------------------------------------------------------------------


def new_leaf(parent: Category | None, code: str = "0106", **kw: Any) -> Category:
    values: dict[str, Any] = {
        "actor": None,
        "parent": parent,
        "code": code,
        "name": "乱扔烟头",
        "handling_level": HandlingLevel.GRID,
        "sla_policy": policy("一般（7 天）"),
        "keywords": "烟头, 烟蒂，乱扔 、烟头",
    }
    return category_create(**{**values, **kw})


@pytest.mark.django_db
def test_it_adds_a_leaf_in_code_order_with_audit(cast: Any) -> None:
    leaf = new_leaf(cat("01"), code="0100", actor=cast.system_admin)
    assert Category.objects.get_parent(leaf) == cat("01")
    assert [c.code for c in Category.objects.get_children(cat("01"))][:2] == ["0100", "0101"]
    assert leaf.keywords == "烟头、烟蒂、乱扔"
    assert Category.objects.find_problems() == ([], [], [], [], [])
    row = AuditEntry.objects.get(action="tickets.category_create", object_id=str(leaf.pk))
    assert row.actor == cast.system_admin and '"parent":"01"' in row.data


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"sla_policy": None}, "sla_policy", "末级类别须选择时限标准。"),
        ({"handling_level": ""}, "handling_level", "末级类别须选择处理层级。"),
        (
            {"handling_level": "district"},
            "handling_level",
            "处理层级须为网格、社区、街道或职能部门。",
        ),
        ({"code": "0101"}, "code", "该编码已被其他类别使用。"),
        ({"code": "01 06"}, "code", "编码只能包含字母、数字、短横线和下划线。"),
        ({"code": ""}, "code", "此字段不能为空。"),
        ({"name": "占道经营"}, "name", "同一分组下已有同名类别。"),
        ({"name": " "}, "name", "此字段不能为空。"),
    ],
)
def test_a_bad_category_is_refused_in_chinese(
    changes: dict[str, Any], field: str, message: str
) -> None:
    count = Category.objects.count()
    with pytest.raises(ValidationFailed) as info:
        new_leaf(cat("01"), **changes)
    assert errors_of(info)[field] == [message]
    assert Category.objects.count() == count
    assert Category.objects.find_problems() == ([], [], [], [], [])


@pytest.mark.django_db
def test_the_same_name_may_sit_in_another_group() -> None:
    leaf = new_leaf(cat("04"), code="0405", name="占道经营")
    assert leaf.name == "占道经营"


@pytest.mark.django_db
def test_a_new_group_starts_inactive_and_needs_nothing_as_an_inner_node() -> None:
    with pytest.raises(ValidationFailed) as info:
        category_create(actor=None, parent=None, code="12", name="防汛")
    assert set(errors_of(info)) == {"handling_level", "sla_policy"}

    group = category_create(actor=None, parent=None, code="12", name="防汛", is_active=False)
    new_leaf(group, code="1201", name="积水内涝", handling_level="street")
    group = category_update(actor=None, category=group, is_active=True)
    assert group.is_active and group.sla_policy_id is None
    assert [c.code for c in Category.objects.get_root_nodes()][-2:] == ["12", "99"]


@pytest.mark.django_db
def test_department_defaults_are_checked(city: Any) -> None:
    leaf = cat("0503")
    assert category_warnings(leaf) == [
        "“燃气泄漏（紧急）”由职能部门处理，但未指定默认部门，派单时需逐件选择部门。"
    ]
    with pytest.raises(ValidationFailed) as info:
        category_update(actor=None, category=leaf, department=city.dept_s1)
    assert errors_of(info)["department"] == ["默认部门须为区级职能部门。"]
    with pytest.raises(ValidationFailed) as info:
        category_update(actor=None, category=cat("0102"), department=city.dept_district)
    assert errors_of(info)["department"] == ["只有由职能部门处理的类别才能指定默认部门。"]

    leaf = category_update(actor=None, category=leaf, department=city.dept_district)
    assert leaf.department == city.dept_district and category_warnings(leaf) == []

    city.dept_district.is_active = False
    city.dept_district.save()
    with pytest.raises(ValidationFailed) as info:
        category_update(actor=None, category=leaf, name="燃气泄漏")
    assert errors_of(info)["department"] == ["该职能部门已停用。"]

    # Changing the level away from department needs the default department cleared too.
    with pytest.raises(IntegrityError), transaction.atomic():
        Category.objects.filter(pk=leaf.pk).update(handling_level="street")


@pytest.mark.django_db
def test_it_updates_deactivates_and_audits(cast: Any) -> None:
    leaf = category_update(
        actor=cast.system_admin, category=cat("0101"), is_active=False, keywords="垃圾，臭"
    )
    assert not leaf.is_active and leaf.keywords == "垃圾、臭"
    leaf = category_update(
        actor=None, category=leaf, description="  含餐厨垃圾。 ", name="垃圾清运"
    )
    assert (leaf.description, leaf.name) == ("含餐厨垃圾。", "垃圾清运")
    row = AuditEntry.objects.filter(action="tickets.category_update").order_by("seq").first()
    assert row is not None and row.actor == cast.system_admin
    assert '"before":{"is_active":true' in row.data and '"after":{"is_active":false' in row.data

    # An active leaf cannot lose its policy; an inactive one may, until reactivated.
    with pytest.raises(ValidationFailed) as info:
        category_update(actor=None, category=cat("0102"), sla_policy=None)
    assert errors_of(info) == {"sla_policy": ["末级类别须选择时限标准。"]}
    assert cat("0102").sla_policy_id is not None
    category_update(actor=None, category=leaf, sla_policy=None)
    with pytest.raises(ValidationFailed):
        category_update(actor=None, category=leaf, is_active=True)


@pytest.mark.django_db
def test_a_new_code_resorts_the_node() -> None:
    leaf = category_update(actor=None, category=cat("0101"), code="0199")
    assert [c.code for c in Category.objects.get_children(cat("01"))][-1] == "0199"
    group = category_update(actor=None, category=cat("01"), code="98")
    assert [c.code for c in Category.objects.get_root_nodes()][-2:] == ["98", "99"]
    assert Category.objects.get_parent(Category.objects.get(pk=leaf.pk)) == group
    assert Category.objects.find_problems() == ([], [], [], [], [])


@pytest.mark.django_db
def test_it_moves_a_branch_with_audit(cast: Any) -> None:
    moved = category_move(actor=cast.system_admin, category=cat("0804"), parent=cat("09"))
    assert Category.objects.get_parent(moved) == cat("09")
    assert AuditEntry.objects.filter(action="tickets.category_move").count() == 1
    assert Category.objects.find_problems() == ([], [], [], [], [])


@pytest.mark.django_db
def test_a_move_that_leaves_an_empty_active_group_is_refused() -> None:
    category_move(actor=None, category=cat("9901"), parent=cat("01"))
    with pytest.raises(ValidationFailed) as info:
        category_move(actor=None, category=cat("9902"), parent=cat("01"))
    assert errors_of(info)["parent"] == [
        "“其他”将没有下级类别，请先为它设置处理层级和时限标准，或将其停用。"
    ]
    assert Category.objects.get_parent(cat("9902")) == cat("99")
    with pytest.raises(ValidationFailed) as info:
        category_move(actor=None, category=cat("01"), parent=cat("0101"))
    assert errors_of(info)["parent"] == ["不能移到自身或其下级类别之下。"]


@pytest.mark.django_db
def test_delete_keeps_the_tree_whole(cast: Any) -> None:
    with pytest.raises(ValidationFailed) as info:
        category_delete(actor=None, category=cat("99"))
    assert errors_of(info) == {"__all__": ["请先删除或移走其下级类别。"]}
    category_delete(actor=cast.system_admin, category=cat("9902"))
    with pytest.raises(ValidationFailed) as info:
        category_delete(actor=None, category=cat("9901"))
    assert "parent" in errors_of(info)
    assert AuditEntry.objects.filter(action="tickets.category_delete").count() == 1
    assert Category.objects.find_problems() == ([], [], [], [], [])


# --- what filing sees of a change ---------------------------------------------------------------


def files(submit: Any, code: str) -> str:
    """'ok', or the category's error, when a request is filed under `code` now."""
    try:
        submit(category=code)
    except ValidationFailed as exc:
        return " ".join(exc.fields["category"])
    return "ok"


NOT_A_LEAF = "该类别不能直接选择，请选择具体的诉求类别。"


@pytest.mark.django_db
def test_filing_sees_every_change_to_the_catalogue_at_once(submit: Any, cast: Any) -> None:
    # Filing reads the usable leaves from a per-process memo: each change must reach it.
    assert files(submit, "0101") == "ok"  # the memo is now warm
    category_update(actor=None, category=cat("0101"), is_active=False)
    assert files(submit, "0101") == NOT_A_LEAF
    category_update(actor=None, category=cat("0101"), is_active=True)
    assert files(submit, "0101") == "ok"
    # A group switched off takes its leaves with it.
    category_update(actor=None, category=cat("01"), is_active=False)
    assert files(submit, "0102") == NOT_A_LEAF
    category_update(actor=None, category=cat("01"), is_active=True)
    # A new leaf can be chosen at once.
    assert files(submit, "0199") == "没有这个诉求类别。"
    category_create(
        actor=None, parent=cat("01"), code="0199", name="新类别",
        handling_level=HandlingLevel.COMMUNITY, sla_policy=cat("0101").sla_policy,
    )  # fmt: skip
    assert files(submit, "0199") == "ok"
    # A new code.
    category_update(actor=None, category=cat("0199"), code="0198")
    assert files(submit, "0199") == "没有这个诉求类别。"
    assert files(submit, "0198") == "ok"
    # A leaf moved under a group that is switched off (a move sends no save signal).
    group = category_create(actor=None, parent=None, code="12", name="防汛", is_active=False)
    assert files(submit, "0804") == "ok"
    category_move(actor=None, category=cat("0804"), parent=group)
    assert files(submit, "0804") == NOT_A_LEAF
