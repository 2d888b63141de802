from __future__ import annotations

from typing import Any

import pytest

from grassroots.core.errors import ValidationFailed
from grassroots.core.models import AuditEntry
from grassroots.territory.models import Area, AreaKind, Department
from grassroots.territory.services import area_create, department_create
from tests.conftest import polygon


def test_it_builds_the_tree_with_audit(city: Any) -> None:
    assert [a.code for a in Area.objects.get_children(Area.objects.get(code="S1C1"))] == [
        "S1C1GA",
        "S1C1GB",
    ]
    assert AuditEntry.objects.filter(action="territory.area_create").count() == Area.objects.count()


@pytest.mark.parametrize(
    "parent_code,kind",
    [
        (None, AreaKind.STREET),
        ("D", AreaKind.GRID),
        ("S1", AreaKind.BUILDING),
        ("S1C1GA", AreaKind.COMMUNITY),
        ("S1C1GAB1", AreaKind.BUILDING),
    ],
)
def test_a_kind_must_fit_under_its_parent(city: Any, parent_code: str | None, kind: str) -> None:
    parent = Area.objects.get(code=parent_code) if parent_code else None
    count = Area.objects.count()
    with pytest.raises(ValidationFailed) as info:
        area_create(actor=None, parent=parent, kind=kind, code="NEW", name="新")
    assert "不能设在" in info.value.fields["kind"][0]
    assert Area.objects.count() == count


def test_codes_are_unique(city: Any) -> None:
    with pytest.raises(ValidationFailed) as info:
        area_create(actor=None, parent=city.c1, kind=AreaKind.GRID, code="S1C1GA", name="重复")
    assert "code" in info.value.fields


@pytest.mark.parametrize(
    "boundary,message",
    [
        ({"type": "Point", "coordinates": [116.3, 39.9]}, "Polygon"),
        ({"type": "Polygon", "coordinates": "nonsense"}, "格式"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}, "无效"),
        (polygon(300, 39.9), "经纬度"),
        ("not a dict", "Polygon"),
    ],
)
def test_boundaries_must_be_valid_geojson(city: Any, boundary: Any, message: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        area_create(
            actor=None, parent=city.c1, kind=AreaKind.GRID, code="GX", name="X", boundary=boundary
        )
    assert message in info.value.fields["boundary"][0]


def test_departments_sit_on_a_district_or_street(city: Any) -> None:
    with pytest.raises(ValidationFailed) as info:
        department_create(actor=None, area=city.c1, code="BAD", name="社区部门")
    assert "区或街道" in info.value.fields["area"][0]
    assert not Department.objects.filter(code="BAD").exists()
