"""The catalogue in the admin: the system admin edits it, through the services (checked and
audited); nobody else may."""

from __future__ import annotations

from typing import Any

import pytest

from grassroots.core.models import AuditEntry
from grassroots.tickets.models import Category, SlaPolicy

CATEGORIES = "/admin/tickets/category/"
POLICIES = "/admin/tickets/slapolicy/"


def cat(code: str) -> Category:
    return Category.objects.get(code=code)


def policy(name: str) -> SlaPolicy:
    return SlaPolicy.objects.get(name=name)


def inline_management(prefix: str, total: int = 0, initial: int = 0) -> dict[str, Any]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def category_form(**values: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "code": "0106",
        "name": "乱扔烟头",
        "handling_level": "grid",
        "sla_policy": policy("一般（7 天）").pk,
        "department": "",
        "keywords": "烟头，烟蒂",
        "description": "",
        "is_active": "on",
        "treebeard_position": "sorted-child",
        "treebeard_ref_node": cat("01").pk,
        # The inline of extra questions (Open311 attributes), left as it is.
        **inline_management("attributes"),
    }
    form.update(values)
    return {k: v for k, v in form.items() if v is not None}


def policy_form(**values: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "name": "加急（48 小时）",
        "respond_amount": 2,
        "respond_unit": "hours",
        "resolve_amount": 48,
        "resolve_unit": "hours",
        "warn_share": 0.8,
        "description": "",
    }
    form.update(values)
    return form


@pytest.mark.parametrize("page", [CATEGORIES, POLICIES, f"{CATEGORIES}add/", f"{POLICIES}add/"])
def test_the_system_admin_reaches_the_catalogue(cast: Any, login: Any, page: str) -> None:
    assert login(cast.system_admin).get(page).status_code == 200


def test_the_change_pages_open(cast: Any, login: Any) -> None:
    client = login(cast.system_admin)
    assert client.get(f"{CATEGORIES}{cat('0503').pk}/change/").status_code == 200
    assert client.get(f"{POLICIES}{policy('一般（7 天）').pk}/change/").status_code == 200


@pytest.mark.parametrize("who", ["security_admin", "audit_admin"])
@pytest.mark.parametrize("page", [CATEGORIES, POLICIES, f"{CATEGORIES}add/"])
def test_the_other_admins_are_refused(cast: Any, login: Any, who: str, page: str) -> None:
    assert login(getattr(cast, who)).get(page).status_code == 403


@pytest.mark.parametrize("who", ["community_secretary", "street_dispatcher", "resident"])
def test_business_users_have_no_admin(cast: Any, login: Any, who: str) -> None:
    response = login(getattr(cast, who)).get(CATEGORIES)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_other_admins_cannot_post(cast: Any, login: Any) -> None:
    client = login(cast.security_admin)
    assert client.post(f"{CATEGORIES}add/", category_form()).status_code == 403
    assert client.post(f"{POLICIES}add/", policy_form()).status_code == 403
    response = client.post(
        f"{CATEGORIES}move/",
        {"node": cat("0101").pk, "target": cat("02").pk, "relation": "child"},
    )
    assert response.status_code == 403
    assert not Category.objects.filter(code="0106").exists()
    assert Category.objects.get_parent(cat("0101")) == cat("01")


def test_the_system_admin_adds_a_leaf_with_audit(cast: Any, login: Any) -> None:
    client = login(cast.system_admin)
    wrong = client.post(f"{CATEGORIES}add/", category_form(sla_policy=""))
    assert wrong.status_code == 200 and "末级类别须选择时限标准。" in wrong.content.decode()
    assert not Category.objects.filter(code="0106").exists()

    ok = client.post(f"{CATEGORIES}add/", category_form())
    assert ok.status_code == 302, ok.content.decode()
    leaf = cat("0106")
    assert Category.objects.get_parent(leaf) == cat("01") and leaf.keywords == "烟头、烟蒂"
    assert AuditEntry.objects.filter(
        action="tickets.category_create", actor=cast.system_admin, object_id=str(leaf.pk)
    ).exists()
    assert Category.objects.find_problems() == ([], [], [], [], [])


def test_a_department_leaf_without_a_department_is_saved_with_a_warning(
    cast: Any, login: Any, city: Any
) -> None:
    client = login(cast.system_admin)
    response = client.post(
        f"{CATEGORIES}add/",
        category_form(code="0506", name="热力管道泄漏", handling_level="department"),
        follow=True,
    )
    assert response.status_code == 200
    assert "由职能部门处理，但未指定默认部门" in response.content.decode()
    street_dept = client.post(
        f"{CATEGORIES}{cat('0503').pk}/change/",
        category_form(
            code="0503",
            name="燃气泄漏（紧急）",
            handling_level="department",
            department=city.dept_s1.pk,
            treebeard_ref_node=cat("05").pk,
        ),
    )
    # Street departments are not even offered.
    assert street_dept.status_code == 200
    assert "department" in street_dept.context["adminform"].form.errors
    assert cat("0503").department_id is None


def test_the_system_admin_edits_and_moves_with_audit(cast: Any, login: Any, city: Any) -> None:
    client = login(cast.system_admin)
    response = client.post(
        f"{CATEGORIES}{cat('0503').pk}/change/",
        category_form(
            code="0503",
            name="燃气泄漏（紧急）",
            handling_level="department",
            sla_policy=policy("紧急（2 小时办结）").pk,
            department=city.dept_district.pk,
            keywords="燃气、煤气",
            treebeard_ref_node=cat("05").pk,
        ),
    )
    assert response.status_code == 302, response.content.decode()
    assert cat("0503").department == city.dept_district
    row = AuditEntry.objects.get(action="tickets.category_update", actor=cast.system_admin)
    assert '"department":"DCGW"' in row.data

    moved = client.post(
        f"{CATEGORIES}{cat('0804').pk}/change/",
        category_form(
            code="0804",
            name="楼道堆物",
            keywords="楼道、杂物、堆放",
            treebeard_ref_node=cat("09").pk,
        ),
    )
    assert moved.status_code == 302
    assert Category.objects.get_parent(cat("0804")) == cat("09")
    assert AuditEntry.objects.filter(action="tickets.category_move").count() == 1
    assert Category.objects.find_problems() == ([], [], [], [], [])


def test_deactivating_in_admin_is_audited(cast: Any, login: Any) -> None:
    client = login(cast.system_admin)
    leaf = cat("0101")
    response = client.post(
        f"{CATEGORIES}{leaf.pk}/change/",
        category_form(
            code="0101",
            name="垃圾清运不及时",
            handling_level="community",
            keywords=leaf.keywords,
            is_active=None,
        ),
    )
    assert response.status_code == 302
    assert not cat("0101").is_active
    row = AuditEntry.objects.get(action="tickets.category_update")
    assert '"after":{"is_active":false}' in row.data


def test_the_form_refuses_a_move_that_empties_an_active_group(cast: Any, login: Any) -> None:
    client = login(cast.system_admin)
    client.post(
        f"{CATEGORIES}move/", {"node": cat("9901").pk, "target": cat("01").pk, "relation": "child"}
    )
    response = client.post(
        f"{CATEGORIES}{cat('9902').pk}/change/",
        category_form(
            code="9902",
            name="意见建议",
            handling_level="street",
            keywords="建议",
            treebeard_ref_node=cat("01").pk,
        ),
    )
    assert response.status_code == 200
    assert "“其他”将没有下级类别" in response.content.decode()
    assert Category.objects.get_parent(cat("9902")) == cat("99")


def test_drag_and_drop_goes_through_the_service(cast: Any, login: Any) -> None:
    client = login(cast.system_admin)
    ok = client.post(
        f"{CATEGORIES}move/",
        {"node": cat("0804").pk, "target": cat("0901").pk, "relation": "sibling"},
    )
    assert ok.status_code == 200
    assert Category.objects.get_parent(cat("0804")) == cat("09")
    assert AuditEntry.objects.filter(
        action="tickets.category_move", actor=cast.system_admin
    ).exists()

    client.post(
        f"{CATEGORIES}move/", {"node": cat("9901").pk, "target": cat("01").pk, "relation": "child"}
    )
    refused = client.post(
        f"{CATEGORIES}move/", {"node": cat("9902").pk, "target": cat("01").pk, "relation": "child"}
    )
    assert refused.status_code == 400
    assert Category.objects.get_parent(cat("9902")) == cat("99")
    into_itself = client.post(
        f"{CATEGORIES}move/", {"node": cat("01").pk, "target": cat("0101").pk, "relation": "child"}
    )
    assert into_itself.status_code == 400
    assert Category.objects.find_problems() == ([], [], [], [], [])


def test_delete_in_admin(cast: Any, login: Any) -> None:
    client = login(cast.system_admin)
    assert client.get(f"{CATEGORIES}{cat('99').pk}/delete/").status_code == 403
    leaf = cat("9902")
    assert client.post(f"{CATEGORIES}{leaf.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Category.objects.filter(pk=leaf.pk).exists()
    assert AuditEntry.objects.filter(
        action="tickets.category_delete", actor=cast.system_admin, object_id=str(leaf.pk)
    ).exists()
    # The last leaf of a group without level and policy stays.
    assert client.get(f"{CATEGORIES}{cat('9901').pk}/delete/").status_code == 403
    in_use = policy("一般（7 天）")
    assert client.get(f"{POLICIES}{in_use.pk}/delete/").status_code == 403


def test_the_system_admin_edits_policies_with_audit(cast: Any, login: Any) -> None:
    client = login(cast.system_admin)
    wrong = client.post(f"{POLICIES}add/", policy_form(warn_share=1.2, resolve_amount=0))
    page = wrong.content.decode()
    assert wrong.status_code == 200
    assert "预警比例须大于 0 且小于 1" in page and "时限须为正整数。" in page
    assert client.post(f"{POLICIES}add/", policy_form()).status_code == 302
    created = policy("加急（48 小时）")
    assert AuditEntry.objects.filter(
        action="tickets.sla_policy_create", actor=cast.system_admin, object_id=str(created.pk)
    ).exists()

    changed = client.post(
        f"{POLICIES}{created.pk}/change/", policy_form(resolve_amount=36, warn_share=0.75)
    )
    assert changed.status_code == 302
    created.refresh_from_db()
    assert (created.resolve_amount, created.warn_share) == (36, 0.75)
    assert AuditEntry.objects.filter(action="tickets.sla_policy_update").count() == 1

    assert client.post(f"{POLICIES}{created.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not SlaPolicy.objects.filter(pk=created.pk).exists()
    assert AuditEntry.objects.filter(action="tickets.sla_policy_delete").count() == 1
