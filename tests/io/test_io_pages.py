"""The 导入导出 page: who may use it, templates, uploads (checked by content and size, with a
report of bad rows), CSRF, and export downloads."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from grassroots.core import excel
from grassroots.core.models import AuditEntry
from grassroots.territory.models import Resident
from tests.conftest import id_number
from tests.io.conftest import MEMBER_HEADERS, RESIDENT_HEADERS, sheet_rows, xlsx

URL = "/workbench/io/"
IMPORT = "/workbench/io/import/"
A1 = "S1C1GAB1"


def upload(content: bytes | io.BytesIO, name: str = "居民.xlsx") -> SimpleUploadedFile:
    data = content.getvalue() if isinstance(content, io.BytesIO) else content
    return SimpleUploadedFile(name, data, content_type=excel.XLSX_CONTENT_TYPE)


def post_import(client: Client, content: Any, kind: str = "residents", mode: str = "all") -> Any:
    return client.post(IMPORT, {"kind": kind, "mode": mode, "file": upload(content)})


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", URL),
        ("get", URL + "template/residents/"),
        ("post", IMPORT),
        ("post", URL + "export/residents/"),
    ],
)
def test_it_needs_login(db: Any, method: str, path: str) -> None:
    response = getattr(Client(), method)(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("who", ["resident", "department_officer", "audit_admin"])
def test_it_is_refused_to_those_without_the_permissions(cast: Any, login: Any, who: str) -> None:
    client = login(getattr(cast, who))
    assert client.get(URL).status_code == 403
    assert client.get(URL + "template/residents/").status_code == 403
    assert post_import(client, xlsx(RESIDENT_HEADERS, [A1, "1", "1", "甲"])).status_code == 403
    assert client.post(URL + "export/residents/").status_code == 403


def test_the_page_offers_what_the_role_may_do(
    cast: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    client = login(cast.community_secretary)
    client.get(URL)
    with django_assert_max_num_queries(6):  # +1: the unread-message count in the top bar
        page = client.get(URL)
    html = page.content.decode()
    assert page.status_code == 200 and "<h1>导入导出</h1>" in html
    for kind in ("households", "residents", "members"):
        assert f"/workbench/io/template/{kind}/" in html
    assert "/workbench/io/template/buildings/" not in html
    for kind in ("residents", "households", "members", "member_units"):
        assert f'action="/workbench/io/export/{kind}/"' in html
    assert 'name="reveal"' in html and "csrfmiddlewaretoken" in html
    assert "全部正确才导入" in html and "只导入正确的行" in html

    grid = login(cast.grid_worker_a).get(URL).content.decode()
    assert "/template/residents/" in grid and "/template/members/" not in grid
    admin = login(cast.system_admin).get(URL).content.decode()
    assert "/template/buildings/" in admin and "/template/residents/" not in admin
    assert "/export/" not in admin


def test_it_serves_templates(cast: Any, login: Any) -> None:
    client = login(cast.community_secretary)
    response = client.get(URL + "template/members/")
    assert response.status_code == 200
    assert response["Content-Type"] == excel.XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    assert "filename*=utf-8''" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    data, notes = workbook.worksheets
    assert [c.value for c in data[1]] == [
        "身份证号",
        "工作人员账号",
        "姓名*",
        "党员类别*",
        "入党时间*",
        "所在支部*",
        "党小组",
        "承诺",
        "服务角色",
        "在职党员报到",
    ]
    assert data["C2"].value == "王建国"  # the example row
    assert data["F1"].comment is not None and "全称或编号" in data["F1"].comment.text
    assert notes.title == "填写说明"
    assert client.get(URL + "template/buildings/").status_code == 403
    assert client.get(URL + "template/nothing/").status_code == 404
    assert login(cast.grid_worker_a).get(URL + "template/members/").status_code == 403


def test_it_imports_an_upload_and_reports_bad_rows(people: Any, cast: Any, login: Any) -> None:
    client = login(cast.grid_worker_a)
    good = xlsx(RESIDENT_HEADERS, [A1, "1", "101", "孙悦", "", id_number(150)])
    response = post_import(client, good)
    assert response.status_code == 200
    assert "居民导入完成：共 1 行，已全部导入。" in response.content.decode()
    assert Resident.objects.filter(name="孙悦").exists()

    bad = xlsx(
        RESIDENT_HEADERS,
        [A1, "1", "101", "周一", "", id_number(151)],
        [A1, "1", "101", "周二", "", id_number(151)],
    )
    html = post_import(client, bad).content.decode()
    assert "共 2 行，其中 1 行有误，本次没有导入任何数据。" in html
    assert "<td>3</td><td>身份证号</td><td>与第 2 行的身份证号重复。</td>" in html
    assert not Resident.objects.filter(name="周一").exists()

    html = post_import(client, bad, mode="good_rows").content.decode()
    assert "已导入 1 行；有误的 1 行已跳过" in html
    assert Resident.objects.filter(name="周一").exists()


def test_an_import_kind_the_user_may_not_use_is_refused(people: Any, cast: Any, login: Any) -> None:
    client = login(cast.grid_worker_a)
    source = xlsx(MEMBER_HEADERS, ["", "grid_b", "grid_b", "正式党员", "2001-07-01", "x"])
    response = post_import(client, source, kind="members")
    assert response.status_code == 400
    assert "请选择要导入的内容。" in response.content.decode()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "文件是空的，请选择填好的模板。"),
        (b"name,mobile\n1,2\n", "请上传 Excel 文件（.xlsx），可先下载模板填写。"),
        (b"PK\x03\x04" + b"x" * (5 * 1024 * 1024 - 3), "文件不能超过 5 MB，请分批导入。"),
        (
            xlsx(["楼栋编码", "姓名"], [A1, "甲"]),
            "缺少必填的列：房号。请使用下载的模板。",
        ),
        (xlsx(RESIDENT_HEADERS), "表格中没有要导入的数据。"),
    ],
    ids=["empty", "csv", "too-large", "missing-column", "no-rows"],
)
def test_bad_uploads_get_a_clear_message(cast: Any, login: Any, content: Any, message: str) -> None:
    response = post_import(login(cast.grid_worker_a), content)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and 'class="errorlist' in html


def test_an_upload_without_a_file_or_mode(cast: Any, login: Any) -> None:
    response = login(cast.grid_worker_a).post(IMPORT, {"kind": "residents"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "请选择要上传的文件。" in html and "请选择导入方式。" in html


def test_uploads_need_the_csrf_token(people: Any, cast: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.grid_worker_a)
    source = xlsx(RESIDENT_HEADERS, [A1, "1", "101", "孙悦"])
    assert post_import(client, source).status_code == 403
    client.get(URL)
    token = client.cookies["csrftoken"].value
    response = client.post(
        IMPORT,
        {"kind": "residents", "mode": "all", "file": upload(source), "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 200 and Resident.objects.filter(name="孙悦").exists()
    assert client.post(URL + "export/residents/").status_code == 403


def test_htmx_gets_only_the_import_card(people: Any, cast: Any, login: Any) -> None:
    client = login(cast.grid_worker_a)
    response = client.post(
        IMPORT,
        {"kind": "residents", "mode": "all", "file": upload(b"")},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 400 and "<html" not in html
    assert 'id="io-import"' in html and "文件是空的" in html


def test_exports_download_what_the_user_sees(people: Any, cast: Any, login: Any) -> None:
    client = login(cast.outsider)
    response = client.post(URL + "export/residents/")
    assert response.status_code == 200
    assert response["Content-Type"] == excel.XLSX_CONTENT_TYPE
    assert response["Cache-Control"] == "no-store"
    assert [r[4] for r in sheet_rows(response.content)] == ["姓名", "钱西"]
    assert sheet_rows(response.content)[1][5] == "137****0004"

    response = client.post(URL + "export/residents/", {"reveal": "1"})
    assert sheet_rows(response.content)[1][5] == "13700000004"
    audit = AuditEntry.objects.order_by("-seq").first()
    assert audit is not None and audit.action == "personal.export" and audit.actor == cast.outsider

    for kind in ("households", "members", "member_units"):
        assert client.post(URL + f"export/{kind}/").status_code == 200
    assert client.get(URL + "export/residents/").status_code == 405
    assert client.post(URL + "export/nothing/").status_code == 404
    assert login(cast.system_admin).post(URL + "export/residents/").status_code == 403


def test_an_export_too_large_comes_back_with_a_message(
    people: Any, cast: Any, login: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(excel, "MAX_EXPORT_ROWS", 1)
    client = login(cast.community_staff)
    response = client.post(URL + "export/residents/")
    assert response.status_code == 302 and response["Location"] == URL
    assert "要导出的数据超过 1 行，请缩小范围后再导出。" in client.get(URL).content.decode()


def test_the_upload_handler_drops_an_oversized_file_as_it_streams(db: Any) -> None:
    from django.test import RequestFactory

    from grassroots.web.io_views import LimitedUploadHandler

    def parse(limit: int, **files: bytes) -> tuple[Any, LimitedUploadHandler]:
        data: dict[str, Any] = {"kind": "residents"}
        data.update({name: upload(content) for name, content in files.items()})
        request = RequestFactory().post(IMPORT, data)
        handler = LimitedUploadHandler(request, limit=10)
        request.upload_handlers = [handler]
        return request, handler

    request, handler = parse(10, file=b"x" * 11)
    assert "file" not in request.FILES and handler.too_large
    assert request.POST["kind"] == "residents"
    request, handler = parse(10, file=b"x" * 10, other=b"y")
    assert request.FILES["file"].read() == b"x" * 10 and not handler.too_large
    assert "other" not in request.FILES
