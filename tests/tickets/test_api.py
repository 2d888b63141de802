"""GET /api/v1/categories: the active catalogue for anyone signed in."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from grassroots.tickets.models import Category, SlaPolicy
from grassroots.tickets.services import category_create, category_update
from tests.helpers import fields, warm

URL = "/api/v1/categories"


def cat(code: str) -> Category:
    return Category.objects.get(code=code)


def codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [node["code"] for node in response.json()]


def test_it_lists_the_tree_in_order(cast: Any, login: Any) -> None:
    response = login(cast.resident).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 64
    assert [n["code"] for n in body] == list(Category.objects.values_list("code", flat=True))
    assert body[0] == {
        "id": cat("01").pk,
        "code": "01",
        "name": "市容环境",
        "description": "",
        "depth": 1,
        "parent_id": None,
        "is_leaf": False,
        "handling_level": None,
        "handling_level_label": None,
        "keywords": ["市容", "环境卫生", "脏乱差"],
        "sla_policy": None,
    }
    gas = next(n for n in body if n["code"] == "0503")
    assert gas["depth"] == 2 and gas["parent_id"] == cat("05").pk and gas["is_leaf"]
    assert gas["handling_level"] == "department" and gas["handling_level_label"] == "职能部门"
    assert gas["sla_policy"] == {
        "id": SlaPolicy.objects.get(name="紧急（2 小时办结）").pk,
        "name": "紧急（2 小时办结）",
        "respond_amount": 1,
        "respond_unit": "hours",
        "respond_unit_label": "小时",
        "resolve_amount": 2,
        "resolve_unit": "hours",
        "resolve_unit_label": "小时",
        "warn_share": 0.5,
    }
    consult = next(n for n in body if n["code"] == "1101")["sla_policy"]
    assert (consult["resolve_amount"], consult["resolve_unit"]) == (5, "working_days")
    assert consult["resolve_unit_label"] == "工作日"


def test_it_answers_in_english_when_asked(cast: Any, login: Any) -> None:
    body = login(cast.resident).get(URL, HTTP_ACCEPT_LANGUAGE="en").json()
    gas = next(n for n in body if n["code"] == "0503")
    assert gas["name"] == "燃气泄漏（紧急）"  # data stays as entered
    assert gas["sla_policy"]["respond_unit"] == "hours"


@pytest.mark.parametrize("who", ["grid_worker_a", "street_dispatcher", "department_officer"])
def test_every_signed_in_user_reads_it(cast: Any, bearer: Any, who: str) -> None:
    response = Client().get(URL, **bearer(getattr(cast, who)))
    assert len(codes(response)) == 64


@pytest.mark.parametrize(
    "query,expected",
    [
        ("燃气", ["05", "0503"]),  # by name
        ("煤气", ["05", "0503"]),  # by keyword
        ("ljqy", ["01", "0101"]),  # pinyin initials of the name 垃圾清运不及时
        ("ljql", ["01", "0101"]),  # pinyin initials of the keyword 垃圾清理
        ("LJQY", ["01", "0101"]),
        ("ranqi", ["05", "0503"]),  # full pinyin
        ("0503", ["05", "0503"]),  # code
        ("电梯", ["02", "0202", "0203"]),
        ("zzzz", []),
    ],
)
def test_q_filters_and_keeps_the_ancestors(
    cast: Any, login: Any, query: str, expected: list[str]
) -> None:
    assert codes(login(cast.resident).get(URL, {"q": query})) == expected


def test_q_on_a_group_keeps_what_is_under_it(cast: Any, login: Any) -> None:
    assert codes(login(cast.resident).get(URL, {"q": "水电气热"})) == [
        "05",
        "0501",
        "0502",
        "0503",
        "0504",
        "0505",
    ]


def test_an_overlong_q_is_a_field_error(cast: Any, login: Any) -> None:
    assert fields(login(cast.resident).get(URL, {"q": "x" * 51})) == {"q": ["内容过长。"]}


def test_it_needs_a_login(db: Any) -> None:
    response = Client().get(URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    bad = Client().get(URL, HTTP_AUTHORIZATION="Bearer gr_nonsense")
    assert bad.status_code == 401


def test_inactive_categories_are_hidden(cast: Any, login: Any) -> None:
    client = login(cast.resident)
    category_update(actor=None, category=cat("0503"), is_active=False)
    listed = codes(client.get(URL))
    assert "0503" not in listed and "0502" in listed

    # An inactive group hides everything under it.
    category_update(actor=None, category=cat("06"), is_active=False)
    listed = codes(client.get(URL))
    assert not [c for c in listed if c.startswith("06")]

    # A group whose leaves are all inactive leads nowhere and is not shown.
    for leaf in ("9901", "9902"):
        category_update(actor=None, category=cat(leaf), is_active=False)
    assert "99" not in codes(client.get(URL))
    assert codes(client.get(URL, {"q": "其他"})) == []


def test_a_group_in_the_making_stays_hidden(cast: Any, login: Any) -> None:
    group = category_create(actor=None, parent=None, code="12", name="防汛", is_active=False)
    category_create(
        actor=None,
        parent=group,
        code="1201",
        name="积水内涝",
        handling_level="street",
        sla_policy=SlaPolicy.objects.get(name="紧急（2 小时办结）"),
    )
    client = login(cast.resident)
    assert "12" not in codes(client.get(URL))
    category_update(actor=None, category=group, is_active=True)
    listed = codes(client.get(URL))
    assert listed[-5:] == ["12", "1201", "99", "9901", "9902"]


def test_the_query_count_does_not_grow_with_the_catalogue(
    cast: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    client = warm(login(cast.resident))
    with django_assert_max_num_queries(3):
        assert len(codes(client.get(URL))) == 64
    policy = SlaPolicy.objects.first()
    for i in range(30):
        group = category_create(
            actor=None, parent=None, code=f"5{i:02d}", name=f"分组{i}", is_active=False
        )
        category_create(
            actor=None,
            parent=group,
            code=f"5{i:02d}01",
            name=f"类别{i}",
            handling_level="grid",
            sla_policy=policy,
        )
        category_update(actor=None, category=group, is_active=True)
    with django_assert_max_num_queries(3):
        assert len(codes(client.get(URL))) == 124
    with django_assert_max_num_queries(3):
        assert codes(client.get(URL, {"q": "lb29"})) == ["529", "52901"]
