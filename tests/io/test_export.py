"""Exports: only what the user may see; phone and ID numbers masked unless revealed by someone
allowed to (then audited as a reveal); sensitive tags only for the resident's community staff."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from grassroots.alliance.services import member_unit_create
from grassroots.core import excel
from grassroots.core.errors import ValidationFailed
from grassroots.core.models import AuditEntry
from grassroots.core.personal import mask_id_number
from grassroots.party import imports as party_io
from grassroots.territory import imports as territory_io
from grassroots.territory.services import resident_create
from tests.conftest import id_number
from tests.io.conftest import sheet_rows


def by_name(content: bytes, name_column: int) -> dict[str, list[Any]]:
    rows = sheet_rows(content)
    return {r[name_column]: r for r in rows[1:]}


def last_audit() -> AuditEntry:
    return AuditEntry.objects.order_by("-seq").first()  # type: ignore[return-value]


def test_residents_are_masked_and_cut_to_scope(people: Any, cast: Any) -> None:
    export = territory_io.residents_export(actor=cast.community_staff)
    rows = sheet_rows(export.content)
    assert rows[0] == [
        "楼栋编码",
        "楼栋名称",
        "单元",
        "房号",
        "姓名",
        "手机号",
        "身份证号",
        "性别",
        "出生年份",
        "标签",
    ]
    found = by_name(export.content, 4)
    assert set(found) == {"王建国", "李秀英", "赵明", "张阿姨"}  # not 钱西 of street S2
    assert found["王建国"] == [
        "S1C1GAB1",
        "东一1号楼",
        "1",
        "101",
        "王建国",
        "137****0001",
        mask_id_number(id_number(1)),
        "男",
        1950,
        "独居老人、退役军人",
    ]
    assert export.rows == 4 and export.filename.startswith("居民-")
    text = repr(rows)
    assert "13700000001" not in text and id_number(1) not in text
    audit = last_audit()
    assert audit.action == "io.export" and '"count":4' in audit.data


def test_full_numbers_need_the_permission_and_are_audited(people: Any, cast: Any) -> None:
    export = territory_io.residents_export(actor=cast.community_staff, reveal=True)
    wang = by_name(export.content, 4)["王建国"]
    assert wang[5] == "13700000001" and wang[6] == id_number(1)
    audit = last_audit()
    assert audit.action == "personal.export" and audit.actor == cast.community_staff
    assert '"count":4' in audit.data and '"kind":"residents"' in audit.data
    # Without the permission, asking for full numbers still gives masked ones.
    from grassroots.accounts.models import Role, User

    no_reveal = User.objects.create(username="viewer", role=Role.MEMBER_UNIT_CONTACT)
    no_reveal.scope_areas.set([people.cc1.area])
    assert not no_reveal.has_perm("accounts.reveal_personal")
    export = territory_io.residents_export(actor=no_reveal, reveal=True)
    wang = by_name(export.content, 4)["王建国"]
    assert wang[5] == "137****0001" and wang[6] == mask_id_number(id_number(1))
    assert last_audit().action == "io.export"


@pytest.mark.parametrize(
    ("who", "names", "wang_tags"),
    [
        ("grid_worker_a", {"王建国", "李秀英", "张阿姨"}, "退役军人"),
        ("grid_worker_b", {"赵明"}, None),
        ("community_secretary", {"王建国", "李秀英", "赵明", "张阿姨"}, "独居老人、退役军人"),
        ("street_dispatcher", {"王建国", "李秀英", "赵明", "张阿姨"}, "退役军人"),
        ("outsider", {"钱西"}, None),
    ],
)
def test_each_user_exports_their_own_residents_and_tags(
    people: Any, cast: Any, who: str, names: set[str], wang_tags: str | None
) -> None:
    found = by_name(territory_io.residents_export(actor=getattr(cast, who)).content, 4)
    assert set(found) == names
    if wang_tags is not None:
        assert found["王建国"][9] == wang_tags
    if "钱西" in found:
        assert found["钱西"][9] is None  # 低保 is sensitive: street staff do not see it


def test_the_export_costs_the_same_queries_for_more_rows(
    people: Any, cast: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        resident_create(
            actor=None, household=people.hh_a1_102, name=f"加{n}", tags=["veteran", "disabled"]
        )
    with django_assert_max_num_queries(10):
        export = territory_io.residents_export(actor=cast.street_dispatcher, reveal=True)
    assert export.rows == 34


def test_a_name_that_looks_like_a_formula_stays_text(people: Any, cast: Any) -> None:
    resident_create(actor=None, household=people.hh_a1_102, name='=HYPERLINK("http://x","y")')
    export = territory_io.residents_export(actor=cast.grid_worker_a)
    sheet = load_workbook(io.BytesIO(export.content)).worksheets[0]
    cells = [row[4] for row in sheet.iter_rows(min_row=2) if str(row[4].value).startswith("=")]
    assert len(cells) == 1 and cells[0].data_type == "s"


def test_households_export(people: Any, cast: Any) -> None:
    export = territory_io.households_export(actor=cast.grid_worker_a)
    rows = sheet_rows(export.content)
    assert rows == [
        ["楼栋编码", "楼栋名称", "单元", "房号", "居民人数"],
        ["S1C1GAB1", "东一1号楼", "1", "101", 2],
        ["S1C1GAB1", "东一1号楼", "1", "102", 1],
    ]
    assert [r[3] for r in sheet_rows(territory_io.households_export(actor=cast.outsider).content)][
        1:
    ] == ["301"]


def test_members_are_masked_unless_revealed(people: Any, cast: Any) -> None:
    export = party_io.members_export(actor=cast.community_secretary)
    found = by_name(export.content, 0)
    assert set(found) == {"王建国", "李秀英", "grid_a", "赵明"}  # not 钱西 of street S2
    wang = found["王建国"]
    assert wang[1:5] == ["正式党员", datetime(2000, 7, 1), "东一社区A网格党支部", "东一1号楼党小组"]
    assert wang[5] == mask_id_number(id_number(1)) and wang[7] == "137****0001"
    assert wang[8:] == ["有事找我，随叫随到", "矛盾润滑剂、服务贴心人", "否", "是"]
    assert found["grid_a"][6] == "grid_a" and found["grid_a"][7] == "139****0001"
    assert last_audit().action == "io.export"

    export = party_io.members_export(actor=cast.community_secretary, reveal=True)
    found = by_name(export.content, 0)
    assert found["王建国"][5] == id_number(1) and found["grid_a"][7] == "13900000001"
    audit = last_audit()
    assert audit.action == "personal.export" and '"count":4' in audit.data

    assert set(by_name(party_io.members_export(actor=cast.outsider).content, 0)) == {"钱西"}


def test_member_units_are_masked_and_cut_to_scope(people: Any, city: Any, cast: Any) -> None:
    member_unit_create(
        actor=None,
        name="东一医院",
        kind="hospital",
        area=city.c1,
        address="东一路1号",
        contact_name="刘医生",
        contact_mobile="13600000001",
    )
    member_unit_create(
        actor=None, name="西一学校", kind="school", area=city.w1, contact_mobile="13600000002"
    )
    export = party_io.member_units_export(actor=cast.community_staff)
    assert sheet_rows(export.content) == [
        ["单位名称", "类型", "所在社区或街道", "地址", "联系人", "联系电话"],
        ["东一医院", "医院", "东一社区", "东一路1号", "刘医生", "136****0001"],
    ]
    export = party_io.member_units_export(actor=cast.community_staff, reveal=True)
    assert sheet_rows(export.content)[1][5] == "13600000001"
    assert last_audit().action == "personal.export"
    names = [r[0] for r in sheet_rows(party_io.member_units_export(actor=cast.outsider).content)]
    assert names == ["单位名称", "西一学校"]


def test_an_export_too_large_is_refused(
    people: Any, cast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(excel, "MAX_EXPORT_ROWS", 2)
    with pytest.raises(ValidationFailed) as caught:
        territory_io.residents_export(actor=cast.community_staff)
    assert caught.value.message == "要导出的数据超过 2 行，请缩小范围后再导出。"
