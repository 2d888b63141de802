"""The 导入导出 page: download a template, upload a filled one and read the report of bad rows,
export the lists the user may see. Each import or export is one call into territory/ or party/.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from grassroots.accounts.models import User
from grassroots.accounts.typing import AuthedRequest
from grassroots.core.errors import ValidationFailed
from grassroots.core.excel import (
    MAX_UPLOAD_BYTES,
    XLSX_CONTENT_TYPE,
    Column,
    ExportFile,
    ImportMode,
    ImportResult,
    UploadError,
    template_workbook,
)
from grassroots.party import imports as party_io
from grassroots.territory import imports as territory_io


@dataclass(frozen=True)
class ImportKind:
    key: str
    label: str | Promise
    perm: str
    columns: tuple[Column, ...]
    run: Callable[..., ImportResult]

    @property
    def headers(self) -> str:
        return "、".join(c.title for c in self.columns)


@dataclass(frozen=True)
class ExportKind:
    key: str
    label: str | Promise
    run: Callable[..., ExportFile]
    personal: bool  # carries phone or ID numbers, masked unless revealed


IMPORTS = {
    k.key: k
    for k in [
        ImportKind(
            "buildings",
            gettext_lazy("楼栋"),
            "territory.add_area",
            territory_io.BUILDING_COLUMNS,
            territory_io.buildings_import,
        ),
        ImportKind(
            "households",
            gettext_lazy("住户"),
            "territory.register_household",
            territory_io.HOUSEHOLD_COLUMNS,
            territory_io.households_import,
        ),
        ImportKind(
            "residents",
            gettext_lazy("居民"),
            "territory.register_resident",
            territory_io.RESIDENT_COLUMNS,
            territory_io.residents_import,
        ),
        ImportKind(
            "members",
            gettext_lazy("党员"),
            "party.manage_member",
            party_io.MEMBER_COLUMNS,
            party_io.members_import,
        ),
    ]
}
EXPORTS = {
    k.key: k
    for k in [
        ExportKind("residents", gettext_lazy("居民"), territory_io.residents_export, True),
        ExportKind("households", gettext_lazy("住户"), territory_io.households_export, False),
        ExportKind("members", gettext_lazy("党员"), party_io.members_export, True),
        ExportKind("member_units", gettext_lazy("驻区单位"), party_io.member_units_export, True),
    ]
}
# Exports are for the people who keep these lists; what each one holds is still cut to the
# user's scope by visible_to.
EXPORT_PERMS = ("territory.register_resident", "party.manage_member")


def import_kinds(user: User) -> list[ImportKind]:
    return [k for k in IMPORTS.values() if user.has_perm(k.perm)]


def export_kinds(user: User) -> list[ExportKind]:
    return list(EXPORTS.values()) if any(user.has_perm(p) for p in EXPORT_PERMS) else []


class LimitedUploadHandler(FileUploadHandler):
    """Keeps one uploaded file in memory up to `limit` bytes and drops a larger one (or a
    second file) as it streams in, so an oversized upload never reaches the disk or the
    parser."""

    def __init__(self, request: HttpRequest, limit: int = MAX_UPLOAD_BYTES) -> None:
        super().__init__(request)
        self.limit = limit
        self.too_large = False
        self.files = 0
        self.buffer = io.BytesIO()
        self.size = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.files += 1
        if self.files > 1 or self.field_name != "file":
            raise SkipFile
        self.buffer = io.BytesIO()
        self.size = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.size += len(raw_data)
        if self.size > self.limit:
            self.too_large = True
            raise SkipFile
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> UploadedFile | None:
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name or "upload.xlsx",
            content_type=self.content_type or "",
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("导入内容"),
        error_messages={
            "required": gettext_lazy("请选择要导入的内容。"),
            "invalid_choice": gettext_lazy("请选择要导入的内容。"),
        },
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("导入方式"),
        choices=ImportMode.choices,
        initial=ImportMode.ALL_OR_NOTHING,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("请选择导入方式。"),
            "invalid_choice": gettext_lazy("请选择导入方式。"),
        },
    )
    # Not `required`: the presence check is in clean_file, which also reports a file that
    # the upload handler dropped for its size.
    file = forms.FileField(
        label=gettext_lazy("Excel 文件（.xlsx，不超过 5 MB）"),
        required=False,
        error_messages={
            "empty": gettext_lazy("文件是空的，请选择填好的模板。"),
            "invalid": gettext_lazy("请上传 Excel 文件（.xlsx），可先下载模板填写。"),
        },
        widget=forms.FileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def __init__(
        self, *args: Any, kinds: list[ImportKind], too_large: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.too_large = too_large
        self.fields["kind"].choices = [(k.key, k.label) for k in kinds]  # type: ignore[attr-defined]

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data.get("file")
        if self.too_large or (upload is not None and upload.size > MAX_UPLOAD_BYTES):
            raise forms.ValidationError(_("文件不能超过 5 MB，请分批导入。"))
        if upload is None or upload is False:
            raise forms.ValidationError(_("请选择要上传的文件。"))
        if not upload.size:
            raise forms.ValidationError(_("文件是空的，请选择填好的模板。"))
        return upload  # type: ignore[no-any-return]


def _allowed(user: User) -> tuple[list[ImportKind], list[ExportKind]]:
    imports, exports = import_kinds(user), export_kinds(user)
    if not imports and not exports:
        raise PermissionDenied
    return imports, exports


def _page(
    request: AuthedRequest,
    form: ImportForm,
    *,
    result: ImportResult | None = None,
    status: int = 200,
) -> HttpResponse:
    imports, exports = _allowed(request.user)
    context = {
        "form": form,
        "result": result,
        "import_kinds": imports,
        "export_kinds": exports,
        "can_reveal": request.user.has_perm("accounts.reveal_personal"),
        "result_label": IMPORTS[result.kind].label if result else "",
    }
    partial = getattr(request, "htmx", False)
    name = "io/_import.html" if partial else "io/index.html"
    return render(request, name, context, status=status)


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    # Exports may carry personal data: never kept by a shared cache or the browser's.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def index(request: AuthedRequest) -> HttpResponse:
    imports, _exports = _allowed(request.user)
    return _page(request, ImportForm(kinds=imports))


@login_required
@require_GET
def template(request: AuthedRequest, kind: str) -> HttpResponse:
    found = IMPORTS.get(kind)
    if found is None:
        raise Http404
    if not request.user.has_perm(found.perm):
        raise PermissionDenied
    title = _("%(kind)s导入模板") % {"kind": found.label}
    return _xlsx(template_workbook(found.columns, title=title), f"{title}.xlsx")


@csrf_exempt
def upload(request: HttpRequest) -> HttpResponse:
    # The upload handler must be in place before anything reads the body, and the CSRF check
    # reads it; so this outer view is exempt and the inner one is protected (Django docs,
    # "Modifying upload handlers on the fly").
    handler = LimitedUploadHandler(request)
    request.upload_handlers = [handler]
    return _upload(request, handler)  # type: ignore[arg-type]  # login_required inside


@login_required
@csrf_protect
@require_POST
def _upload(request: AuthedRequest, handler: LimitedUploadHandler) -> HttpResponse:
    imports, _exports = _allowed(request.user)
    form = ImportForm(request.POST, request.FILES, kinds=imports, too_large=handler.too_large)
    result = None
    if form.is_valid():
        kind = IMPORTS[form.cleaned_data["kind"]]
        try:
            result = kind.run(
                actor=request.user,
                source=form.cleaned_data["file"],
                mode=form.cleaned_data["mode"],
                request=request,
            )
        except UploadError as exc:
            form.add_error("file", exc.message)
    return _page(request, form, result=result, status=400 if form.errors else 200)


@login_required
@require_POST
def export(request: AuthedRequest, kind: str) -> HttpResponse:
    found = EXPORTS.get(kind)
    if found is None:
        raise Http404
    if found not in export_kinds(request.user):
        raise PermissionDenied
    try:
        file = found.run(
            actor=request.user, reveal=request.POST.get("reveal") == "1", request=request
        )
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return redirect("io:index")
    return _xlsx(file.content, file.filename)
