"""Imports: every bad row reported with its row, column and reason; nothing written unless all
rows are good (or the good rows were asked for); scope; a failure mid-way undoes everything."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from grassroots.core import excel
from grassroots.core.errors import ValidationFailed
from grassroots.core.excel import ImportMode, RowError, UploadError, template_workbook
from grassroots.core.models import AuditEntry
from grassroots.party import imports as party_io
from grassroots.party.models import PartyMember
from grassroots.territory import imports as territory_io
from grassroots.territory.models import Area, Household, Resident
from grassroots.territory.services import resident_create
from tests.conftest import id_number
from tests.io.conftest import (
    BUILDING_HEADERS,
    HOUSEHOLD_HEADERS,
    MEMBER_HEADERS,
    RESIDENT_HEADERS,
    xlsx,
)

GOOD = "good_rows"
A1, B1, W1 = "S1C1GAB1", "S1C1GBB1", "S2C1GAB1"


def actions(prefix: str) -> list[str]:
    return list(
        AuditEntry.objects.filter(action__startswith=prefix).values_list("action", flat=True)
    )


def counts() -> tuple[int, int, int, int, int]:
    return (
        Area.objects.count(),
        Household.objects.count(),
        Resident.objects.count(),
        PartyMember.objects.count(),
        AuditEntry.objects.exclude(action="io.import").count(),
    )


def bad_check_digit(seed: int) -> str:
    good = id_number(seed)
    return good[:17] + ("0" if good[17] != "0" else "1")


# ---------------------------------------------------------------------------------------------
# Residents


def test_it_imports_residents_and_registers_new_households(people: Any, cast: Any) -> None:
    source = xlsx(
        RESIDENT_HEADERS,
        [A1, "1", "101", "孙悦", "13700000101", id_number(101), "女", "", "退役军人"],
        [A1, "1", "103", "周平", "", id_number(102, "19800101"), "男", 1980, "独居老人、退役军人"],
        [A1, "1", "103", "周安", "13700000103", "", "", "", ""],
    )
    result = territory_io.residents_import(actor=cast.grid_worker_a, source=source)
    assert (result.total, result.written, result.errors) == (3, 3, [])
    sun = Resident.objects.get(name="孙悦")
    assert sun.household == people.hh_a1_101 and sun.mobile == "13700000101"
    assert sun.birth_year == 1950 and sun.gender == "female"
    zhou = Resident.objects.get(name="周平")
    assert sorted(zhou.tags.values_list("kind", flat=True)) == ["elderly_alone", "veteran"]
    new = Household.objects.get(building=people.hh_a1_101.building, unit="1", room="103")
    assert set(new.residents.values_list("name", flat=True)) == {"周平", "周安"}
    assert actions("territory.resident_create").count("territory.resident_create") == 8
    assert actions("territory.household_create").count("territory.household_create") == 5
    audit = AuditEntry.objects.get(action="io.import")
    assert audit.outcome == "success" and '"written":3' in audit.data


def test_it_reports_every_bad_resident_row_and_writes_nothing(people: Any, cast: Any) -> None:
    before = counts()
    source = xlsx(
        RESIDENT_HEADERS,
        [A1, "1", "105", "好人", "13700000105", id_number(110), "男", "", ""],  # row 2
        [A1, "1", "105", "甲", "", bad_check_digit(111), "", "", ""],  # 3
        [A1, "1", "105", "乙", "12345678901", "", "", "", ""],  # 4: not a mainland mobile
        [A1, "1", "105", "丙", "", id_number(1), "", "", ""],  # 5: wang's, registered
        [A1, "1", "105", "丁", "", id_number(110), "", "", ""],  # 6: as row 2
        ["NOPE", "1", "105", "戊", "", "", "", "", ""],  # 7
        [A1, "1", "105", "己", "", "", "", "", "贫困户"],  # 8
        [B1, "2", "202", "庚", "", "", "", "", ""],  # 9: grid B, not grid A's worker's
        [A1, "1", "105", "", "", "", "", "", ""],  # 10
        [A1, "1", "", "辛", "", "", "未知", "1950年", ""],  # 11
        [A1, "1", "105", "壬", "", id_number(112, "19600101"), "", 1961, ""],  # 12
    )
    result = territory_io.residents_import(actor=cast.grid_worker_a, source=source)
    assert result.errors == [
        RowError(3, "身份证号", "身份证号校验位不正确，请核对。"),
        RowError(4, "手机号", "请输入 11 位手机号码。"),
        RowError(5, "身份证号", "该身份证号已登记。"),
        RowError(6, "身份证号", "与第 2 行的身份证号重复。"),
        RowError(7, "楼栋编码", "找不到楼栋“NOPE”。"),
        RowError(
            8,
            "标签",
            "未知的标签：贫困户。可选：独居老人、残疾人、低保/低收入、退役军人、留守儿童。",
        ),
        RowError(9, "楼栋编码", "楼栋“S1C1GBB1”不在您的管辖范围内。"),
        RowError(10, "姓名", "请填写姓名。"),
        RowError(11, "房号", "请填写房号。"),
        RowError(11, "性别", "性别请填“男”或“女”。"),
        RowError(11, "出生年份", "出生年份应为 4 位数字，如 1950。"),
        RowError(12, "出生年份", "出生年份与身份证号不一致。"),
    ]
    assert (result.total, result.written, result.bad_rows, result.rolled_back) == (11, 0, 10, False)
    assert counts() == before
    assert len(actions("territory.resident_create")) == 5  # the fixture's own
    audit = AuditEntry.objects.get(action="io.import")
    assert audit.outcome == "failure" and '"bad_rows":10' in audit.data


def test_good_rows_mode_writes_only_the_good_rows(people: Any, cast: Any) -> None:
    source = xlsx(
        RESIDENT_HEADERS,
        [A1, "1", "101", "甲", "", id_number(120), "", "", ""],
        [A1, "1", "101", "乙", "1380013800", "", "", "", ""],
        [A1, "1", "102", "丙", "", "", "", "", ""],
    )
    before = Resident.objects.count()
    result = territory_io.residents_import(actor=cast.grid_worker_a, source=source, mode=GOOD)
    assert (result.total, result.written, result.skipped) == (3, 2, 1)
    assert result.errors == [RowError(3, "手机号", "请输入 11 位手机号码。")]
    assert Resident.objects.count() == before + 2
    assert not Resident.objects.filter(name="乙").exists()


def test_a_failure_mid_way_undoes_every_row(
    people: Any, cast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def flaky(**kwargs: Any) -> Any:
        calls.append(kwargs["name"])
        if len(calls) == 3:
            raise ValidationFailed(fields={"mobile": ["该号码已停用。"]})
        return resident_create(**kwargs)

    monkeypatch.setattr(territory_io, "resident_create", flaky)
    before = counts()
    source = xlsx(
        RESIDENT_HEADERS,
        *[[A1, "9", f"90{n}", f"住户{n}", "", "", "", "", ""] for n in range(1, 5)],
    )
    result = territory_io.residents_import(actor=cast.grid_worker_a, source=source)
    assert calls == ["住户1", "住户2", "住户3"]
    assert result.rolled_back and result.written == 0
    assert result.errors == [RowError(4, "手机号", "该号码已停用。")]
    # The households created for rows 2 and 3 went with them.
    assert counts() == before
    assert not Household.objects.filter(unit="9").exists()
    assert AuditEntry.objects.get(action="io.import").outcome == "failure"


def test_an_unexpected_error_mid_way_also_leaves_nothing(
    people: Any, cast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def broken(**kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return resident_create(**kwargs)

    monkeypatch.setattr(territory_io, "resident_create", broken)
    before = counts()
    source = xlsx(RESIDENT_HEADERS, [A1, "1", "101", "甲"], [A1, "1", "101", "乙"])
    with pytest.raises(RuntimeError):
        territory_io.residents_import(actor=cast.grid_worker_a, source=source)
    assert counts() == before


def test_good_rows_mode_reports_a_row_that_fails_as_it_is_written(
    people: Any, cast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def flaky(**kwargs: Any) -> Any:
        if kwargs["name"] == "乙":
            raise ValidationFailed(fields={"id_number": ["该身份证号已登记。"]})
        return resident_create(**kwargs)

    monkeypatch.setattr(territory_io, "resident_create", flaky)
    source = xlsx(
        RESIDENT_HEADERS,
        [A1, "8", "801", "甲"],
        [A1, "8", "802", "乙"],
        [A1, "8", "803", "丙"],
    )
    result = territory_io.residents_import(actor=cast.grid_worker_a, source=source, mode=GOOD)
    assert result.written == 2 and not result.rolled_back
    assert result.errors == [RowError(3, "身份证号", "该身份证号已登记。")]
    # Row 3's household was undone with its row; the others stay.
    assert sorted(Household.objects.filter(unit="8").values_list("room", flat=True)) == [
        "801",
        "803",
    ]


def test_a_grid_worker_cannot_import_into_another_grid(people: Any, cast: Any) -> None:
    before = counts()
    result = territory_io.residents_import(
        actor=cast.grid_worker_b, source=xlsx(RESIDENT_HEADERS, [A1, "1", "101", "甲"])
    )
    assert result.errors == [RowError(2, "楼栋编码", "楼栋“S1C1GAB1”不在您的管辖范围内。")]
    assert counts() == before
    result = territory_io.residents_import(
        actor=cast.outsider, source=xlsx(RESIDENT_HEADERS, [A1, "1", "101", "甲"])
    )
    assert result.errors == [RowError(2, "楼栋编码", "楼栋“S1C1GAB1”不在您的管辖范围内。")]


# ---------------------------------------------------------------------------------------------
# Households


def test_it_imports_households(people: Any, cast: Any) -> None:
    result = territory_io.households_import(
        actor=cast.community_staff,
        source=xlsx(HOUSEHOLD_HEADERS, [A1, "2", "201"], [B1, "", "301"], [B1, "2", 202]),
    )
    assert (result.written, result.errors) == (3, [])
    assert Household.objects.filter(building=people.building_b1, unit="2", room="202").exists()


def test_it_reports_every_bad_household_row(people: Any, cast: Any) -> None:
    before = counts()
    result = territory_io.households_import(
        actor=cast.grid_worker_b,
        source=xlsx(
            HOUSEHOLD_HEADERS,
            [B1, "2", "201"],  # 2: registered in the fixture
            [B1, "3", "301"],  # 3: good
            [B1, "3", "301"],  # 4: as row 3
            [A1, "1", "109"],  # 5: grid A
            ["S1C1GB", "1", "1"],  # 6: the grid itself
            [B1, "3", ""],  # 7
            ["ZZZ", "1", "1"],  # 8
            [B1, "3", "x" * 21],  # 9
        ),
    )
    assert result.errors == [
        RowError(2, "房号", "该住户已登记。"),
        RowError(4, "房号", "与第 3 行是同一住户。"),
        RowError(5, "楼栋编码", "楼栋“S1C1GAB1”不在您的管辖范围内。"),
        RowError(6, "楼栋编码", "“S1C1GB”不是楼栋编码。"),
        RowError(7, "房号", "请填写房号。"),
        RowError(8, "楼栋编码", "找不到楼栋“ZZZ”。"),
        RowError(9, "房号", "房号不能超过 20 个字。"),
    ]
    assert counts() == before
    result = territory_io.households_import(
        actor=cast.grid_worker_b,
        source=xlsx(HOUSEHOLD_HEADERS, [B1, "3", "301"], [B1, "3", "301"], [A1, "1", "1"]),
        mode=GOOD,
    )
    assert result.written == 1 and [e.row for e in result.errors] == [3, 4]


# ---------------------------------------------------------------------------------------------
# Buildings


def test_it_imports_buildings_by_grid_code_or_name_path(city: Any, cast: Any) -> None:
    result = territory_io.buildings_import(
        actor=cast.system_admin,
        source=xlsx(
            BUILDING_HEADERS,
            ["S1C1GA", "S1C1GAB2", "东一2号楼"],
            ["东一社区/东一社区B网格", "S1C1GBB9", "东一9号楼"],
            ["东街道 / 东二社区 / 东二社区网格", "S1C2GAB1", "东二1号楼"],
        ),
    )
    assert (result.written, result.errors) == (3, [])
    b9 = Area.objects.get(code="S1C1GBB9")
    assert b9.kind == "building" and b9.path.startswith(city.grid_b.path)
    assert Area.objects.get(code="S1C2GAB1").path.startswith(city.grid_c2.path)


def test_it_reports_every_bad_building_row(city: Any, cast: Any) -> None:
    before = counts()
    result = territory_io.buildings_import(
        actor=cast.system_admin,
        source=xlsx(
            BUILDING_HEADERS,
            ["S1C1GA", "NEW1", "新楼"],  # 2: good
            ["无此网格", "NEW2", "新楼"],  # 3
            ["S1C1GA", "S1C1GAB1", "重号楼"],  # 4: the code is taken
            ["S1C1GA", "NEW1", "新楼"],  # 5: as row 2
            ["东街道/东一社区", "NEW3", "新楼"],  # 6: a community
            ["S1C1GA", "NEW4", ""],  # 7
            ["西一社区/东一社区A网格", "NEW5", "新楼"],  # 8: the names do not chain
        ),
    )
    assert result.errors == [
        RowError(3, "所属网格", "找不到网格“无此网格”。"),
        RowError(4, "楼栋编码", "编码“S1C1GAB1”已被使用。"),
        RowError(5, "楼栋编码", "与第 2 行的楼栋编码重复。"),
        RowError(6, "所属网格", "“东街道/东一社区”不是网格，楼栋只能建在网格下。"),
        RowError(7, "楼栋名称", "请填写楼栋名称。"),
        RowError(8, "所属网格", "找不到网格“西一社区/东一社区A网格”。"),
    ]
    assert counts() == before


def test_buildings_go_only_under_grids_the_importer_sees(city: Any, cast: Any) -> None:
    result = territory_io.buildings_import(
        actor=cast.grid_worker_b, source=xlsx(BUILDING_HEADERS, ["S1C1GA", "NEW1", "新楼"])
    )
    assert result.errors == [RowError(2, "所属网格", "网格“S1C1GA”不在您的管辖范围内。")]


# ---------------------------------------------------------------------------------------------
# Party members


@pytest.fixture
def newcomers(people: Any) -> list[Resident]:
    """Ten residents of building B1 who are not members yet: 吴1 … 吴10, ID seeds 201 … 210."""
    return [
        resident_create(
            actor=None, household=people.hh_b1_201, name=f"吴{n}", id_number=id_number(200 + n)
        )
        for n in range(1, 11)
    ]


def test_it_imports_members(people: Any, cast: Any, newcomers: list[Resident]) -> None:
    branch_b = people.branch_b.name
    source = xlsx(
        MEMBER_HEADERS,
        [
            id_number(201),
            "",
            "吴1",
            "正式党员",
            "2001-07-01",
            branch_b,
            "",
            "",
            "传声筒、贴心人",
            "是",
        ],
        [
            id_number(202),
            "",
            "吴2",
            "预备党员",
            date(2025, 1, 2),
            str(people.branch_b.pk),
            "",
            "",
            "",
            "",
        ],
        [
            "",
            "c1_staff",
            "c1_staff",
            "正式党员",
            "1990/7/1",
            "东一社区A网格党支部",
            "东一1号楼党小组",
            "带头",
            "润滑剂",
            "否",
        ],
    )
    result = party_io.members_import(actor=cast.community_secretary, source=source)
    assert (result.written, result.errors) == (3, [])
    one = PartyMember.objects.get(resident=newcomers[0])
    assert one.branch == people.branch_b and one.status == "full"
    assert one.serves_as_policy_relay and one.serves_as_helper and not one.serves_as_mediator
    assert one.community_registered and not one.shows_identity
    two = PartyMember.objects.get(resident=newcomers[1])
    assert two.status == "probationary" and two.joined_on == date(2025, 1, 2)
    staff = PartyMember.objects.get(user=cast.community_staff)
    assert staff.group == people.group_a1 and staff.joined_on == date(1990, 7, 1)
    assert staff.commitment == "带头" and staff.serves_as_mediator
    assert actions("party.member_create").count("party.member_create") == 5 + 3


def test_it_reports_every_bad_member_row(people: Any, cast: Any, newcomers: list[Resident]) -> None:
    before = counts()
    branch_a, branch_b = people.branch_a.name, people.branch_b.name
    tomorrow = (date.today() + timedelta(days=1)).isoformat()

    def row(who: str = "", user: str = "", name: str = "", **kw: str) -> list[str]:
        return [
            who,
            user,
            name,
            kw.get("status", "正式党员"),
            kw.get("joined", "2001-07-01"),
            kw.get("branch", branch_b),
            kw.get("group", ""),
            kw.get("commitment", ""),
            kw.get("roles", ""),
            kw.get("registered", ""),
        ]

    source = xlsx(
        MEMBER_HEADERS,
        row(id_number(201), name="吴1"),  # 2: good
        row(id_number(1), name="王建国", branch=branch_a),  # 3: already a member
        row(id_number(201), name="吴1"),  # 4: as row 2
        row(id_number(202), name="吴2", group="东一1号楼党小组"),  # 5: group of branch A
        row(id_number(203), name="吴3", branch="不存在支部"),  # 6
        row(id_number(204), name="吴4", branch="西一社区网格党支部"),  # 7: street S2
        row(id_number(205), name="吴5", branch="东一社区党委"),  # 8: not a branch
        row(id_number(206), name="吴6", group="无此小组"),  # 9
        row(id_number(207), name="吴7", status="党员", joined="2001年13月1日"),  # 10
        row(id_number(208), name="吴8", joined=tomorrow, roles="带头人", registered="有"),  # 11
        row(name="某人"),  # 12: nobody named
        row(id_number(209), "c1_staff", name="吴9"),  # 13: both named
        row(user="nobody", name="某人"),  # 14
        row(id_number(299), name="某人"),  # 15: valid, not registered
        row(bad_check_digit(209), name="吴9"),  # 16
        row(id_number(209), name="吴九"),  # 17: not the registered name
        row(id_number(210), name="吴10", joined="1920-01-01"),  # 18
    )
    result = party_io.members_import(actor=cast.community_secretary, source=source)
    assert result.errors == [
        RowError(
            3,
            "身份证号",
            "已是党员，组织关系在“东一社区A网格党支部”；请办理转接，不能重复登记。",
        ),
        RowError(4, "身份证号", "与第 2 行是同一人，不能重复登记。"),
        RowError(
            5,
            "党小组",
            "党小组“东一1号楼党小组”不属于“东一社区B网格党支部”，应选所在支部下的党小组。",
        ),
        RowError(6, "所在支部", "找不到支部“不存在支部”。"),
        RowError(7, "所在支部", "支部“西一社区网格党支部”不在您的管辖范围内。"),
        RowError(8, "所在支部", "“东一社区党委”不是党支部，党员的组织关系应在党支部。"),
        RowError(9, "党小组", "找不到党小组“无此小组”。"),
        RowError(10, "党员类别", "党员类别请填“正式党员”或“预备党员”。"),
        RowError(10, "入党时间", "入党时间请按 YYYY-MM-DD 填写，如 2001-07-01。"),
        RowError(11, "入党时间", "入党时间不能晚于今天。"),
        RowError(11, "服务角色", "未知的服务角色：带头人。可选：传声筒、润滑剂、贴心人。"),
        RowError(11, "在职党员报到", "在职党员报到请填“是”或“否”。"),
        RowError(12, "身份证号", "请填写身份证号或工作人员账号（二选一）。"),
        RowError(13, "身份证号", "请填写身份证号或工作人员账号（二选一）。"),
        RowError(14, "工作人员账号", "找不到工作人员账号“nobody”。"),
        RowError(15, "身份证号", "没有找到该身份证号的居民，请先登记居民。"),
        RowError(16, "身份证号", "身份证号校验位不正确，请核对。"),
        RowError(17, "姓名", "姓名与登记的居民姓名不一致，请核对。"),
        RowError(18, "入党时间", "入党时间不能早于 1921 年 7 月 1 日。"),
    ]
    assert counts() == before
    assert len(actions("party.member_create")) == 5  # the fixture's own


def test_member_import_stays_inside_the_importers_scope(
    people: Any, cast: Any, newcomers: list[Resident]
) -> None:
    """An S2 dispatcher sees neither the S1 residents nor the S1 branches."""
    result = party_io.members_import(
        actor=cast.outsider,
        source=xlsx(
            MEMBER_HEADERS,
            [id_number(201), "", "吴1", "正式党员", "2001-07-01", people.branch_b.name],
            ["", "grid_b", "grid_b", "正式党员", "2001-07-01", people.branch_w.name],
        ),
    )
    assert result.errors == [
        RowError(2, "身份证号", "没有找到该身份证号的居民，请先登记居民。"),
        RowError(2, "所在支部", "支部“东一社区B网格党支部”不在您的管辖范围内。"),
        RowError(3, "工作人员账号", "找不到工作人员账号“grid_b”。"),
    ]


def test_a_member_write_failing_mid_way_undoes_the_others(
    people: Any, cast: Any, newcomers: list[Resident], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = party_io.member_create
    calls = []

    def flaky(**kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise ValidationFailed(fields={"group": ["党小组应属于所在支部。"]})
        return real(**kwargs)

    monkeypatch.setattr(party_io, "member_create", flaky)
    before = counts()
    source = xlsx(
        MEMBER_HEADERS,
        *[
            [id_number(s), "", n, "正式党员", "2001-07-01", people.branch_b.name]
            for s, n in [(201, "吴1"), (202, "吴2"), (203, "吴3")]
        ],
    )
    result = party_io.members_import(actor=cast.community_secretary, source=source)
    assert result.rolled_back and result.written == 0
    assert result.errors == [RowError(3, "党小组", "党小组应属于所在支部。")]
    assert counts() == before


# ---------------------------------------------------------------------------------------------
# The file itself


def test_the_templates_example_row_is_skipped(people: Any, cast: Any) -> None:
    workbook = load_workbook(
        io.BytesIO(template_workbook(territory_io.RESIDENT_COLUMNS, title="居民导入模板"))
    )
    sheet = workbook.worksheets[0]
    sheet.append([A1, "1", "101", "模板里的人"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    result = territory_io.residents_import(actor=cast.grid_worker_a, source=buffer)
    assert (result.total, result.written) == (1, 1)
    assert Resident.objects.filter(name="模板里的人").exists()


def zip_of(**members: bytes) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name.replace("__", "/"), content)
    buffer.seek(0)
    return buffer


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "文件是空的，请选择填好的模板。"),
        (b"name,mobile\n", "请上传 Excel 文件（.xlsx），可先下载模板填写。"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100,
            "这是旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后再上传。",
        ),
        (b"PK\x03\x04 not really a zip", "请上传 Excel 文件（.xlsx），可先下载模板填写。"),
        (b"PK\x03\x04" + b"\0" * (5 * 1024 * 1024), "文件不能超过 5 MB，请分批导入。"),
    ],
    ids=["empty", "csv", "xls", "fake-zip", "too-large"],
)
def test_it_refuses_files_that_are_not_workbooks(cast: Any, content: bytes, message: str) -> None:
    with pytest.raises(UploadError) as caught:
        territory_io.residents_import(actor=cast.grid_worker_a, source=io.BytesIO(content))
    assert caught.value.message == message


def test_it_refuses_other_zips_and_broken_workbooks(cast: Any) -> None:
    docx = zip_of(**{"[Content_Types].xml": b"<x/>", "word__document.xml": b"<x/>"})
    broken = zip_of(**{"[Content_Types].xml": b"<x/>", "xl__workbook.xml": b"<not xml"})
    for source, message in [
        (docx, "请上传 Excel 文件（.xlsx），可先下载模板填写。"),
        (broken, "无法读取该 Excel 文件，请用模板重新填写后再试。"),
    ]:
        with pytest.raises(UploadError) as caught:
            territory_io.residents_import(actor=cast.grid_worker_a, source=source)
        assert caught.value.message == message


def test_it_refuses_a_zip_bomb_before_parsing(cast: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(excel, "MAX_UNZIPPED_BYTES", 1000)
    source = xlsx(RESIDENT_HEADERS, *[[A1, "1", str(n), "某"] for n in range(200)])
    with pytest.raises(UploadError) as caught:
        territory_io.residents_import(actor=cast.grid_worker_a, source=source)
    assert caught.value.message == "文件解压后过大，请删除多余内容或分批导入。"


@pytest.mark.parametrize(
    ("headers", "rows", "message"),
    [
        ([], [], "表格是空的，请在模板中填写后再上传。"),
        (RESIDENT_HEADERS, [], "表格中没有要导入的数据。"),
        (RESIDENT_HEADERS, [["", "", ""], [None]], "表格中没有要导入的数据。"),
        (
            ["楼栋编码", "单元", "名字"],
            [[A1, "1", "某"]],
            "缺少必填的列：房号、姓名。请使用下载的模板。",
        ),
    ],
)
def test_it_refuses_sheets_without_data_or_columns(
    cast: Any, headers: list[str], rows: list[list[Any]], message: str
) -> None:
    with pytest.raises(UploadError) as caught:
        territory_io.residents_import(actor=cast.grid_worker_a, source=xlsx(headers, *rows))
    assert caught.value.message == message


def test_it_caps_the_rows_of_one_file(cast: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(excel, "MAX_ROWS", 3)
    source = xlsx(HOUSEHOLD_HEADERS, *[[A1, "1", str(n)] for n in range(4)])
    with pytest.raises(UploadError) as caught:
        territory_io.households_import(actor=cast.grid_worker_a, source=source)
    assert caught.value.message == "一次最多导入 3 行，请分成几个文件导入。"


def test_columns_are_matched_by_name_in_any_order(people: Any, cast: Any) -> None:
    source = xlsx(["房号*", "备注", "楼栋编码*", "姓名", "单元"], ["101", "随便", A1, "甲", 1])
    result = territory_io.residents_import(actor=cast.grid_worker_a, source=source)
    assert (result.written, result.errors) == (1, [])
    assert Resident.objects.get(name="甲").household == people.hh_a1_101


def test_a_bad_mode_is_refused(people: Any, cast: Any) -> None:
    with pytest.raises(ValidationFailed):
        territory_io.residents_import(
            actor=cast.grid_worker_a, source=xlsx(RESIDENT_HEADERS, [A1, "1", "1", "甲"]), mode="x"
        )
    assert ImportMode.GOOD_ROWS == GOOD


def test_row_numbers_are_the_ones_excel_shows(people: Any, cast: Any) -> None:
    """Empty rows in between are skipped but still counted, so the report points at the
    right line."""
    source = xlsx(
        HOUSEHOLD_HEADERS,
        [A1, "5", "501"],
        [],
        [None, None, None],
        [A1, "5", ""],
        [],
        ["NOPE", "5", "502"],
    )
    result = territory_io.households_import(actor=cast.grid_worker_a, source=source)
    assert [(e.row, e.column) for e in result.errors] == [(5, "房号"), (7, "楼栋编码")]
    assert result.total == 3


def test_an_english_template_reads_back_in_english(db: Any) -> None:
    """Headers are matched in the UI language too, spaces and all."""
    import io as stdio

    from django.utils import translation
    from openpyxl import load_workbook

    from grassroots.core.excel import read_rows, template_workbook
    from grassroots.party.imports import MEMBER_COLUMNS

    with translation.override("en"):
        content = template_workbook(MEMBER_COLUMNS, title="Members")
        workbook = load_workbook(stdio.BytesIO(content))
        sheet = workbook.worksheets[0]
        headers = [c.value for c in sheet[1]]
        assert any(" " in str(h) for h in headers)  # English headers with spaces
        sheet.cell(row=3, column=1, value="x")  # a data row below the example
        buffer = stdio.BytesIO()
        workbook.save(buffer)
        buffer.seek(0)
        rows = read_rows(buffer, MEMBER_COLUMNS)
    assert len(rows) == 1
