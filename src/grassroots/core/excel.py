"""Excel (.xlsx) in and out: templates, reading rows by header, writing exports, and running an
import in two passes.

An import first plans every row (resolving names and codes, checking every rule) and only then
writes, through the services, inside one transaction: a bad file reports every bad row and
writes nothing, unless the user asked for the good rows only (DESIGN.md rule 9). Uploads are
checked by content, not by name: size, the zip signature, the workbook part, the unpacked size
(a zip bomb stops before openpyxl parses it), then openpyxl itself.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .audit import audit_log
from .errors import DomainError, ValidationFailed
from .models import AuditOutcome
from .personal import mask_id_number, mask_mobile

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# A 5 MB xlsx of plain rows unpacks to well under this; more means padding or a zip bomb.
MAX_UNZIPPED_BYTES = 80 * 1024 * 1024
MAX_ROWS = 3000  # one request plans and writes them all (~3 ms a row); more: a background task
MAX_COLUMNS = 40  # columns read per row: extra columns in a file are ignored, not parsed
MAX_EXPORT_ROWS = 50_000  # an export is built in memory (write-only workbook) in one request
ZIP_SIGNATURE = b"PK\x03\x04"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0"  # the old binary .xls
EXAMPLE_FILL = PatternFill("solid", fgColor="FFF4E0")
HEADER_FILL = PatternFill("solid", fgColor="F0F1F3")


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all", gettext_lazy("全部正确才导入")
    GOOD_ROWS = "good_rows", gettext_lazy("只导入正确的行")


class UploadError(ValidationFailed):
    """The file itself cannot be imported (not an xlsx, too large, no data, missing columns)."""

    code = "bad_upload"


@dataclass(frozen=True)
class Column:
    """One column of an import template. `header` and `note` are Chinese msgids (marked with
    gettext_noop) so that a file is matched by its Chinese header whatever the UI language."""

    key: str
    header: str
    note: str = ""
    example: str = ""
    required: bool = False
    text: bool = False  # formatted as text, so Excel keeps leading zeros and 18-digit numbers
    choices: tuple[str, ...] = ()  # offered as a drop-down list in the template
    max_length: int | None = None
    width: int = 14

    @property
    def label(self) -> str:
        return _(self.header)

    @property
    def title(self) -> str:
        """The header cell: a required column carries a star."""
        return f"{self.label}*" if self.required else self.label


@dataclass(frozen=True)
class SheetRow:
    number: int  # the row number Excel shows, for the report
    values: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.values.get(key, "")


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass
class RowPlan:
    """What one row will do: its errors, or the write to run once every row is good.
    `fields` maps a service's field names to this import's column labels, so that an error
    raised by the service while writing lands in the right column of the report."""

    row: SheetRow
    errors: list[RowError] = field(default_factory=list)
    write: Callable[[], Any] | None = None
    fields: dict[str, str] = field(default_factory=dict)

    def error(self, column: Column | str, message: str) -> None:
        label = column.label if isinstance(column, Column) else column
        self.errors.append(RowError(self.row.number, label, message))

    def text(self, column: Column) -> str:
        """The cell of `column`, checked for presence and length (errors recorded here)."""
        value = self.row[column.key]
        if column.required and not value:
            self.error(column, _("请填写%(column)s。") % {"column": column.label})
        elif column.max_length is not None and len(value) > column.max_length:
            self.error(
                column,
                _("%(column)s不能超过 %(n)s 个字。")
                % {"column": column.label, "n": column.max_length},
            )
        return value

    @property
    def ok(self) -> bool:
        return not self.errors

    def errors_from(self, exc: Exception) -> list[RowError]:
        if isinstance(exc, DomainError) and exc.fields:
            return [
                RowError(self.row.number, self.fields.get(name, ""), message)
                for name, messages in exc.fields.items()
                for message in messages
            ]
        if isinstance(exc, DomainError):
            return [RowError(self.row.number, "", exc.message)]
        # An IntegrityError: someone registered the same thing between check and write.
        return [RowError(self.row.number, "", _("与刚登记的数据冲突，请刷新后重新导入。"))]


@dataclass
class ImportResult:
    kind: str
    mode: str
    total: int
    written: int = 0
    errors: list[RowError] = field(default_factory=list)
    rolled_back: bool = False  # a write failed mid-way and everything was undone

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def skipped(self) -> int:
        return self.total - self.written


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content: bytes
    rows: int


# ---------------------------------------------------------------------------------------------
# Reading


def _size(source: IO[bytes]) -> int:
    size = getattr(source, "size", None)
    if isinstance(size, int):
        return size
    source.seek(0, io.SEEK_END)
    end = source.tell()
    source.seek(0)
    return end


def open_workbook(source: IO[bytes]) -> Any:
    """An uploaded workbook opened read-only, after the content checks; UploadError if not."""
    not_xlsx = _("请上传 Excel 文件（.xlsx），可先下载模板填写。")
    size = _size(source)
    if size == 0:
        raise UploadError(_("文件是空的，请选择填好的模板。"))
    if size > MAX_UPLOAD_BYTES:
        raise UploadError(_("文件不能超过 5 MB，请分批导入。"))
    source.seek(0)
    head = source.read(8)
    source.seek(0)
    if head.startswith(OLE_SIGNATURE):
        raise UploadError(_("这是旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后再上传。"))
    if not head.startswith(ZIP_SIGNATURE):
        raise UploadError(not_xlsx)
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise UploadError(not_xlsx) from exc
    if "xl/workbook.xml" not in {m.filename for m in members}:
        raise UploadError(not_xlsx)  # another zip: a .docx, a .zip
    if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
        raise UploadError(_("文件解压后过大，请删除多余内容或分批导入。"))
    source.seek(0)
    try:
        return load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # any failure to parse an upload is the upload's, not ours
        raise UploadError(_("无法读取该 Excel 文件，请用模板重新填写后再试。")) from exc


def cell_text(value: Any) -> str:
    """A cell as the text a person typed: 101.0 → "101", a date → "2001-07-01"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        # The import's yes/no columns read the Chinese words whatever the UI language.
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _header_key(value: Any) -> str:
    return cell_text(value).replace(" ", "").rstrip("*＊")


def read_rows(source: IO[bytes], columns: Sequence[Column]) -> list[SheetRow]:
    """The data rows of the first sheet, keyed by column, with Excel's row numbers. The header
    row is matched by name (in Chinese or in the UI language; a star is ignored), so columns
    may be reordered; empty rows and the template's unchanged example row are skipped."""
    workbook = open_workbook(source)
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
        header = next(rows, None)
        index: dict[str, int] = {}
        for position, value in enumerate(header or ()):
            index.setdefault(_header_key(value), position)
        positions: dict[str, int | None] = {}
        missing = []
        for column in columns:
            found = index.get(_header_key(column.header), index.get(_header_key(column.label)))
            positions[column.key] = found
            if found is None and column.required:
                missing.append(column.label)
        if header is None or not any(index):
            raise UploadError(_("表格是空的，请在模板中填写后再上传。"))
        if missing:
            raise UploadError(
                _("缺少必填的列：%(columns)s。请使用下载的模板。") % {"columns": "、".join(missing)}
            )
        example = {c.key: c.example for c in columns}
        found_rows: list[SheetRow] = []
        for number, values in enumerate(rows, start=2):
            cells = {
                key: cell_text(values[p]) if p is not None and p < len(values) else ""
                for key, p in positions.items()
            }
            if not any(cells.values()) or cells == example:
                continue
            if len(found_rows) >= MAX_ROWS:
                raise UploadError(
                    _("一次最多导入 %(n)s 行，请分成几个文件导入。") % {"n": MAX_ROWS}
                )
            found_rows.append(SheetRow(number, cells))
    finally:
        workbook.close()
    if not found_rows:
        raise UploadError(_("表格中没有要导入的数据。"))
    return found_rows


# ---------------------------------------------------------------------------------------------
# Writing


def template_workbook(columns: Sequence[Column], *, title: str) -> bytes:
    """A template: the header row (required columns starred, each with its note as a cell
    comment), one example row, drop-downs for choice columns, and a sheet of notes."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("数据")
    last_row = MAX_ROWS + 2
    for position, column in enumerate(columns, start=1):
        letter = get_column_letter(position)
        head = sheet.cell(row=1, column=position, value=column.title)
        head.font = Font(bold=True, color="C8161D" if column.required else "1F2329")
        head.fill = HEADER_FILL
        if column.note:
            head.comment = Comment(_(column.note), _("填写说明"), width=260, height=110)
        example = sheet.cell(row=2, column=position, value=column.example or None)
        example.fill = EXAMPLE_FILL
        example.font = Font(italic=True, color="646A73")
        sheet.column_dimensions[letter].width = column.width
        if column.text:
            sheet.column_dimensions[letter].number_format = "@"
            example.number_format = "@"
        if column.choices:
            check = DataValidation(
                type="list",
                formula1='"' + ",".join(column.choices) + '"',
                allow_blank=True,
                showErrorMessage=True,
                error=_("请从下拉列表中选择。"),
            )
            check.add(f"{letter}2:{letter}{last_row}")
            sheet.add_data_validation(check)
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet(_("填写说明"))
    notes.append([_("说明"), title])
    notes.append(
        [
            "",
            _(
                "第 1 行是列名，请勿修改；第 2 行是示例，可以删除，原样保留时导入会跳过它。"
                "带 * 的列必须填写。每个文件最多 %(n)s 行。"
            )
            % {"n": MAX_ROWS},
        ]
    )
    notes.append([])
    notes.append([_("列名"), _("是否必填"), _("填写说明"), _("示例")])
    for column in columns:
        notes.append(
            [
                column.label,
                _("必填") if column.required else _("选填"),
                _(column.note) if column.note else "",
                column.example,
            ]
        )
    for cell in notes[4]:
        cell.font = Font(bold=True)
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["B"].width = 60
    notes.column_dimensions["C"].width = 60
    notes.column_dimensions["D"].width = 24
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _safe_cell(sheet: Any, value: Any) -> Any:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        # openpyxl would store "=…" as a formula: a name typed as =HYPERLINK(…) must stay text.
        cell.data_type = "s"
    return cell


def write_workbook(
    *,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    widths: Sequence[int] = (),
) -> tuple[bytes, int]:
    """An export: one sheet, a bold header row, then the rows as values (never formulas);
    returns the file and the number of rows written. Write-only mode keeps memory flat per
    row; the finished file is held in memory."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(ILLEGAL_CHARACTERS_RE.sub("", title)[:31] or "Sheet1")
    for position, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = width
    header_cells = []
    for text in headers:
        cell = _safe_cell(sheet, text)
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for row in rows:
        sheet.append([_safe_cell(sheet, v) for v in row])
        count += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), count


# ---------------------------------------------------------------------------------------------
# Running an import


class _RowFailed(Exception):
    def __init__(self, plan: RowPlan, exc: Exception) -> None:
        super().__init__(str(exc))
        self.plan = plan
        self.cause = exc


def run_import(
    *,
    actor: Any,
    kind: str,
    plans: Sequence[RowPlan],
    mode: str,
    request: HttpRequest | None = None,
) -> ImportResult:
    """Write the planned rows through their services. All-or-nothing: nothing is written if
    any row is bad, and one transaction undoes every row if a write fails mid-way. Good rows
    only: each good row is written in its own savepoint, and a row that fails as it is
    written joins the report instead of stopping the others. One audit row records the run."""
    if mode not in ImportMode.values:
        raise ValidationFailed(fields={"mode": [_("请选择导入方式。")]})
    result = ImportResult(
        kind=kind, mode=mode, total=len(plans), errors=[e for p in plans for e in p.errors]
    )
    good = [p for p in plans if p.ok and p.write is not None]
    if mode == ImportMode.ALL_OR_NOTHING:
        if not result.errors:
            try:
                with transaction.atomic():
                    for plan in good:
                        try:
                            assert plan.write is not None
                            plan.write()
                        except (DomainError, IntegrityError) as exc:
                            raise _RowFailed(plan, exc) from exc
                        result.written += 1
                    _audit_import(actor, result, request)
            except _RowFailed as failed:
                result.written = 0
                result.rolled_back = True
                result.errors = failed.plan.errors_from(failed.cause)
        if result.errors:
            _audit_import(actor, result, request)
        return result
    with transaction.atomic():
        for plan in good:
            try:
                with transaction.atomic():
                    assert plan.write is not None
                    plan.write()
            except (DomainError, IntegrityError) as exc:
                result.errors.extend(plan.errors_from(exc))
            else:
                result.written += 1
        result.errors.sort(key=lambda e: e.row)
        _audit_import(actor, result, request)
    return result


def _audit_import(actor: Any, result: ImportResult, request: HttpRequest | None) -> None:
    audit_log(
        action="io.import",
        actor=actor,
        outcome=AuditOutcome.SUCCESS if result.written else AuditOutcome.FAILURE,
        request=request,
        data={
            "kind": result.kind,
            "mode": result.mode,
            "total": result.total,
            "written": result.written,
            "bad_rows": result.bad_rows,
        },
    )


def may_reveal(actor: Any, asked: bool) -> bool:
    """Full phone and ID numbers only when asked for, and only with the permission."""
    return asked and bool(actor.has_perm("accounts.reveal_personal"))


def shown_mobile(value: str, revealed: bool) -> str:
    return value if revealed else mask_mobile(value)


def shown_id_number(value: str, revealed: bool) -> str:
    return value if revealed else mask_id_number(value)


def export_filename(label: str) -> str:
    return f"{label}-{timezone.localdate():%Y%m%d}.xlsx"


def export_audit(
    *, actor: Any, kind: str, rows: int, revealed: bool, request: HttpRequest | None = None
) -> None:
    """Every export is audited; one that carries full phone or ID numbers is a reveal."""
    audit_log(
        action="personal.export" if revealed else "io.export",
        actor=actor,
        request=request,
        data={"kind": kind, "count": rows, "revealed": revealed},
    )


def check_export_size(count: int) -> None:
    if count > MAX_EXPORT_ROWS:
        raise ValidationFailed(
            _("要导出的数据超过 %(n)s 行，请缩小范围后再导出。") % {"n": MAX_EXPORT_ROWS}
        )
