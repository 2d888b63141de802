"""Helpers for the import and export tests: workbooks built in memory, and reading one back."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook, load_workbook

RESIDENT_HEADERS = [
    "楼栋编码",
    "单元",
    "房号",
    "姓名",
    "手机号",
    "身份证号",
    "性别",
    "出生年份",
    "标签",
]
HOUSEHOLD_HEADERS = ["楼栋编码", "单元", "房号"]
BUILDING_HEADERS = ["所属网格", "楼栋编码", "楼栋名称"]
MEMBER_HEADERS = [
    "身份证号",
    "工作人员账号",
    "姓名",
    "党员类别",
    "入党时间",
    "所在支部",
    "党小组",
    "承诺",
    "服务角色",
    "在职党员报到",
]


def xlsx(headers: Sequence[Any], *rows: Sequence[Any]) -> io.BytesIO:
    """A workbook with one sheet: the header row, then the rows (Excel row 2 onwards)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "upload.xlsx"
    return buffer


def sheet_rows(content: bytes) -> list[list[Any]]:
    """Every row of the first sheet of an xlsx, as values."""
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    try:
        return [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()
