"""Meeting attachments (issue 7 item 2): a picture (re-encoded, its metadata gone) or a PDF,
checked by content, at most 10 MB and 10 a meeting; added by whoever may record the meeting,
also after the record is confirmed (the scan of the signed minutes); removed only while the
record is not confirmed. The service, the minutes page and its print form, the file URL and
the API; every way in scoped (another scope's meeting is a 404) and bounded in queries."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from grassroots.accounts.models import Role
from grassroots.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from grassroots.core.models import AuditEntry
from grassroots.party.models import Meeting, MeetingAttachment
from grassroots.party.selectors_life import find_attachment, meeting_detail
from grassroots.party.services import meetings as s
from grassroots.party.services import points
from tests.conftest import login_client, make_user
from tests.helpers import assert_not_found, fields, warm
from tests.party.test_meetings_services import NOW, confirm_both, plan, record

pytestmark = pytest.mark.django_db

API = "/api/v1/meetings"
PAGES = "/workbench/party/meetings"
NOT_ALLOWED = "只能上传图片（JPG、PNG、WebP）或 PDF 文件。"
TOO_LARGE = "文件不能超过 10 MB。"
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(points, "points_for_record", lambda record: None)
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def grid_b2(city: Any) -> Any:
    """Sees grid B's branch and its meetings; neither chairs, records nor runs them."""
    return make_user(Role.GRID_WORKER, "grid_b2", areas=[city.grid_b])


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (39.0, 54.0, 0.0)}  # GPSInfo: latitude
    raw = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(raw, "JPEG", exif=exif)
    assert Image.open(io.BytesIO(raw.getvalue())).getexif()
    return raw.getvalue()


def png() -> bytes:
    raw = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(raw, "PNG")
    return raw.getvalue()


def upload(data: bytes, name: str = "纪要.pdf", content_type: str = "application/pdf") -> Any:
    return SimpleUploadedFile(name, data, content_type=content_type)


def attach(life: Any, meeting: Meeting, data: bytes = PDF_BYTES, name: str = "纪要.pdf") -> Any:
    return s.meeting_attach(actor=life.recorder_user, meeting=meeting, upload=upload(data, name))


def field_errors(exc: Any) -> dict[str, list[str]]:
    return {k: [str(m) for m in v] for k, v in exc.value.fields.items()}


# --- the service ---------------------------------------------------------------------------------


def test_a_picture_is_re_encoded_without_its_metadata(life: Any, media: Path) -> None:
    meeting = plan(life)
    attachment = s.meeting_attach(
        actor=life.recorder_user,
        meeting=meeting,
        upload=upload(jpeg_with_exif(), "会场照片.txt", "text/plain"),  # the content decides
    )
    assert (attachment.content_type, attachment.name) == ("image/jpeg", "会场照片.txt")
    assert attachment.uploaded_by == life.recorder_user
    with attachment.file.open("rb") as fh:
        body = fh.read()
    stored = Image.open(io.BytesIO(body))
    assert not stored.getexif() and stored.size == (40, 30)
    assert attachment.size == len(body)
    # Stored under a random name, never the uploaded one.
    assert attachment.file.name.startswith("meetings/2026/11/")
    assert attachment.file.name.endswith(".jpg") and "会场" not in attachment.file.name
    entry = AuditEntry.objects.get(action="party.meeting_attach")
    assert entry.object_id == str(attachment.pk)
    assert json.loads(entry.data) == {
        "meeting": meeting.pk,
        "content_type": "image/jpeg",
        "size": len(body),
    }
    assert "会场照片" not in str(entry.data)
    png_attachment = attach(life, meeting, png(), "scan.png")
    assert png_attachment.content_type == "image/png"
    assert len(stored_files(media)) == 2


def test_a_pdf_is_kept_as_it_is(life: Any) -> None:
    meeting = plan(life)
    attachment = attach(life, meeting, name="C:\\Users\\周记录\\支委会纪要（签字版）.pdf")
    assert attachment.content_type == "application/pdf"
    assert attachment.name == "支委会纪要（签字版）.pdf"  # the folders left out
    assert attachment.size == len(PDF_BYTES)
    with attachment.file.open("rb") as fh:
        assert fh.read() == PDF_BYTES
    long = attach(life, meeting, name="/home/zhou/" + "长" * 200 + ".pdf")
    assert len(long.name) == 120 and long.name.endswith(".pdf")
    nameless = s.meeting_attach(
        actor=life.recorder_user, meeting=meeting, upload=ContentFile(PDF_BYTES)
    )
    assert nameless.name == "附件.pdf"
    assert attach(life, meeting, png(), "D:\\扫描\\").name == "附件.png"


def test_anything_else_is_refused_whatever_its_name(life: Any, media: Path) -> None:
    meeting = plan(life)
    refusals = [
        (b"just some text, not a PDF", "x.pdf"),
        (b"", "empty.pdf"),
        (b"<html><script>alert(1)</script></html>", "page.jpg"),
        (b"GIF89a" + b"\0" * 20, "anim.gif"),
    ]
    for data, name in refusals:
        with pytest.raises(ValidationFailed) as exc:
            attach(life, meeting, data, name)
        assert field_errors(exc) == {"file": [NOT_ALLOWED]}, name
    with pytest.raises(ValidationFailed) as exc:
        s.meeting_attach(actor=life.recorder_user, meeting=meeting, upload=None)
    assert field_errors(exc) == {"file": ["请选择要上传的文件。"]}
    assert not MeetingAttachment.objects.exists()
    assert stored_files(media) == []
    assert not AuditEntry.objects.filter(action="party.meeting_attach").exists()


def test_too_large_is_refused(life: Any, media: Path) -> None:
    meeting = plan(life)
    big = PDF_BYTES + b"\0" * (10 * 1024 * 1024)
    with pytest.raises(ValidationFailed) as exc:
        attach(life, meeting, big)
    assert field_errors(exc) == {"file": [TOO_LARGE]}
    # Exactly 10 MB is still fine.
    exact = PDF_BYTES + b"\0" * (10 * 1024 * 1024 - len(PDF_BYTES))
    assert attach(life, meeting, exact).size == 10 * 1024 * 1024
    assert MeetingAttachment.objects.count() == 1


def test_the_eleventh_is_refused(life: Any) -> None:
    meeting = plan(life)
    for n in range(10):
        attach(life, meeting, name=f"{n}.pdf")
    with pytest.raises(ValidationFailed) as exc:
        attach(life, meeting, name="11.pdf")
    assert field_errors(exc) == {"file": ["每次会议最多上传 10 个附件，请先删除不需要的。"]}
    assert MeetingAttachment.objects.count() == 10


def test_only_those_who_may_record_attach_and_detach(
    life: Any, cast: Any, grid_b2: Any, media: Path
) -> None:
    meeting = plan(life)
    mine = attach(life, meeting)
    for stranger in (grid_b2, cast.outsider, cast.grid_worker_a):
        with pytest.raises(Forbidden):
            s.meeting_attach(actor=stranger, meeting=meeting, upload=upload(PDF_BYTES))
        with pytest.raises(Forbidden):
            s.meeting_detach(actor=stranger, meeting=meeting, attachment=mine)
    # The chair, the recorder and whoever runs the branch (the party staff of the territory).
    for user in (life.chair_user, cast.community_secretary):
        s.meeting_attach(actor=user, meeting=meeting, upload=upload(PDF_BYTES))
    assert MeetingAttachment.objects.count() == 3
    # Another scope does not even find it.
    with pytest.raises(NotFound):
        find_attachment(cast.outsider, meeting.pk, mine.pk)
    with pytest.raises(NotFound):
        find_attachment(life.recorder_user, meeting.pk + 1, mine.pk)
    assert find_attachment(grid_b2, meeting.pk, mine.pk) == mine


def test_a_cancelled_meeting_takes_no_attachments(life: Any) -> None:
    meeting = plan(life, planned_at=NOW + timedelta(days=2))
    first = attach(life, meeting)
    s.meeting_cancel(actor=life.chair_user, meeting=meeting, reason="改期")
    with pytest.raises(Conflict, match="会议已取消"):
        attach(life, meeting)
    with pytest.raises(Conflict, match="会议已取消"):
        s.meeting_detach(actor=life.recorder_user, meeting=meeting, attachment=first)
    assert MeetingAttachment.objects.count() == 1


def test_detach_until_the_record_is_locked_then_only_a_correction(
    life: Any, clock: Any, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    meeting = plan(life)
    draft, agenda = attach(life, meeting, name="草稿.pdf"), attach(life, meeting, name="议程.pdf")
    with django_capture_on_commit_callbacks(execute=True):
        s.meeting_detach(actor=life.recorder_user, meeting=meeting, attachment=draft)
    assert list(MeetingAttachment.objects.all()) == [agenda]
    assert len(stored_files(media)) == 1  # the file went with its row
    entry = AuditEntry.objects.get(action="party.meeting_detach")
    assert json.loads(entry.data) == {
        "meeting": meeting.pk,
        "content_type": "application/pdf",
        "size": len(PDF_BYTES),
    }
    with pytest.raises(Conflict):  # gone already
        s.meeting_detach(actor=life.recorder_user, meeting=meeting, attachment=draft)

    record(life, meeting)
    clock.shift(timedelta(minutes=5))
    confirm_both(life, meeting)
    clock.shift(timedelta(minutes=5))
    # The scan of the signed minutes comes after: allowed; nothing goes while it is locked.
    scan = attach(life, meeting, jpeg_with_exif(), "签字扫描.jpg")
    for row in (agenda, scan):
        with pytest.raises(Conflict, match="请提交更正"):
            s.meeting_detach(actor=life.recorder_user, meeting=meeting, attachment=row)
    assert MeetingAttachment.objects.count() == 2

    # A correction: the files added after the lock may go until it is confirmed; the files
    # that were there when version 1 was signed stay.
    clock.shift(timedelta(minutes=5))
    record(life, meeting, correct="补记列席人员")
    with pytest.raises(Conflict, match="已确认的会议记录"):
        s.meeting_detach(actor=life.recorder_user, meeting=meeting, attachment=agenda)
    s.meeting_detach(actor=life.recorder_user, meeting=meeting, attachment=scan)
    assert list(MeetingAttachment.objects.all()) == [agenda]


# --- the pages -----------------------------------------------------------------------------------


def page_url(meeting: Meeting, suffix: str = "") -> str:
    return f"{PAGES}/{meeting.pk}/{suffix}"


def file_url(meeting: Meeting, attachment: Any) -> str:
    return f"{PAGES}/{meeting.pk}/attachments/{attachment.pk}/"


def detach_url(meeting: Meeting, attachment: Any) -> str:
    return f"{PAGES}/{meeting.pk}/attachments/{attachment.pk}/delete/"


def html(response: Any, status: int = 200) -> str:
    assert response.status_code == status, (response.status_code, response.content[:2000])
    return str(response.content.decode())


def assert_login_redirect(response: Any) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_minutes_page_lists_and_takes_attachments(life: Any) -> None:
    meeting = plan(life)
    client = login_client(life.recorder_user)
    page = html(client.get(page_url(meeting)))
    assert 'data-testid="attachments"' in page and "还没有附件。" in page
    assert 'enctype="multipart/form-data"' in page and 'name="file"' in page
    response = client.post(
        page_url(meeting, "attachments/"), {"file": upload(PDF_BYTES, "支委会纪要.pdf")}
    )
    assert response.status_code == 302
    assert response["Location"] == page_url(meeting) + "#attachments"
    attachment = MeetingAttachment.objects.get()
    page = html(client.get(page_url(meeting)))
    assert "附件已上传。" in page
    assert "支委会纪要.pdf" in page and file_url(meeting, attachment) in page
    assert detach_url(meeting, attachment) in page  # may still go: not confirmed
    # A GET of the upload address goes back to the page.
    assert client.get(page_url(meeting, "attachments/")).status_code == 302


def test_a_refused_upload_shows_the_reason_next_to_the_field(life: Any, media: Path) -> None:
    meeting = plan(life)
    client = login_client(life.recorder_user)
    page = html(
        client.post(page_url(meeting, "attachments/"), {"file": upload(b"hello", "x.pdf")}), 400
    )
    assert NOT_ALLOWED in page
    assert 'class="field has-error"' in page
    page = html(client.post(page_url(meeting, "attachments/"), {}), 400)
    assert "请选择要上传的文件。" in page
    big = PDF_BYTES + b"\0" * (10 * 1024 * 1024)
    page = html(client.post(page_url(meeting, "attachments/"), {"file": upload(big)}), 400)
    assert TOO_LARGE in page
    assert not MeetingAttachment.objects.exists() and stored_files(media) == []


def test_the_pages_are_scoped(life: Any, cast: Any, grid_b2: Any) -> None:
    meeting = plan(life)
    attachment = attach(life, meeting)
    data = {"file": upload(PDF_BYTES)}
    # Who sees the meeting but may not record: the list, no form, no delete; 403 on POST.
    page = html(login_client(grid_b2).get(page_url(meeting)))
    assert "纪要.pdf" in page and 'name="file"' not in page
    assert detach_url(meeting, attachment) not in page
    assert login_client(grid_b2).post(page_url(meeting, "attachments/"), data).status_code == 403
    assert login_client(grid_b2).post(detach_url(meeting, attachment)).status_code == 403
    # Another scope: 404; nobody signed in: to the login page.
    outsider = login_client(cast.outsider)
    data = {"file": upload(PDF_BYTES)}
    assert outsider.post(page_url(meeting, "attachments/"), data).status_code == 404
    assert outsider.post(detach_url(meeting, attachment)).status_code == 404
    data = {"file": upload(PDF_BYTES)}
    assert_login_redirect(Client().post(page_url(meeting, "attachments/"), data))
    assert_login_redirect(Client().post(detach_url(meeting, attachment)))
    assert MeetingAttachment.objects.count() == 1


def test_delete_on_the_page_until_locked(life: Any, clock: Any) -> None:
    meeting = plan(life)
    first, second = attach(life, meeting, name="一.pdf"), attach(life, meeting, name="二.pdf")
    client = login_client(life.recorder_user)
    assert client.get(detach_url(meeting, first)).status_code == 405
    response = client.post(detach_url(meeting, first))
    assert response.status_code == 302 and response["Location"].endswith("#attachments")
    assert "附件已删除。" in html(client.get(page_url(meeting)))
    assert list(MeetingAttachment.objects.all()) == [second]
    client.post(detach_url(meeting, first))  # a second click
    assert "这个附件已经删除了。" in html(client.get(page_url(meeting)))
    record(life, meeting)
    clock.shift(timedelta(minutes=5))
    confirm_both(life, meeting)
    page = html(client.get(page_url(meeting)))
    assert detach_url(meeting, second) not in page
    assert 'name="file"' in page  # the signed scan can still come
    assert "已有附件不能删除" in page
    client.post(detach_url(meeting, second))
    assert "附件不能删除；如需修改，请提交更正。" in html(client.get(page_url(meeting)))
    assert list(MeetingAttachment.objects.all()) == [second]


def test_the_print_view_lists_the_attachments(life: Any) -> None:
    meeting = plan(life)
    record(life, meeting)
    attach(life, meeting, name="签到表.pdf")
    attach(life, meeting, png(), "会场.png")
    page = html(login_client(life.chair_user).get(page_url(meeting, "print/")))
    assert 'data-testid="print-attachments"' in page
    assert page.index("签到表.pdf") < page.index("会场.png")


def test_no_form_when_full_or_cancelled(life: Any) -> None:
    meeting = plan(life, planned_at=NOW + timedelta(days=1))
    for n in range(10):
        attach(life, meeting, name=f"{n}.pdf")
    client = login_client(life.chair_user)
    page = html(client.get(page_url(meeting)))
    assert 'name="file"' not in page and "已达到 10 个附件的上限。" in page
    s.meeting_cancel(actor=life.chair_user, meeting=meeting, reason="改期")
    page = html(client.get(page_url(meeting)))
    assert 'name="file"' not in page and "9.pdf" in page
    assert "删除" not in page.split('data-testid="attachments"')[1].split("</section>")[0]


# --- the file ------------------------------------------------------------------------------------


def test_the_file_goes_only_to_those_who_see_the_meeting(
    life: Any, cast: Any, grid_b2: Any, bearer: Any
) -> None:
    meeting = plan(life)
    pdf = attach(life, meeting, name="支委会纪要.pdf")
    photo = attach(life, meeting, jpeg_with_exif(), "会场.jpg")
    response = login_client(grid_b2).get(file_url(meeting, pdf))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")  # never shown inline
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, max-age=3600"
    response = login_client(life.chair_user).get(file_url(meeting, photo))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline")
    assert not Image.open(io.BytesIO(b"".join(response.streaming_content))).getexif()
    # An API token works as the session does.
    assert Client().get(file_url(meeting, pdf), **bearer(life.recorder_user)).status_code == 200
    # Another scope, another meeting's path, nothing there: 404.
    for user in (cast.outsider, cast.grid_worker_a):
        assert login_client(user).get(file_url(meeting, pdf)).status_code == 404
    assert Client().get(file_url(meeting, pdf), **bearer(cast.outsider)).status_code == 404
    other = plan(life)
    assert login_client(grid_b2).get(f"{PAGES}/{other.pk}/attachments/{pdf.pk}/").status_code == 404
    assert login_client(grid_b2).get(f"{PAGES}/{meeting.pk}/attachments/9999/").status_code == 404
    # Signed out: to the login page (a bad token: 404).
    assert_login_redirect(Client().get(file_url(meeting, pdf)))
    bad = Client().get(file_url(meeting, pdf), HTTP_AUTHORIZATION="Bearer nope")
    assert bad.status_code == 404


def test_a_pdf_download_carries_a_pdf_name(life: Any) -> None:
    meeting = plan(life)
    pdf = attach(life, meeting, name="扫描件")
    response = login_client(life.chair_user).get(file_url(meeting, pdf))
    assert response["Content-Disposition"].startswith("attachment;")
    assert ".pdf" in response["Content-Disposition"]


# --- the API -------------------------------------------------------------------------------------


def api_attach(client: Client, meeting: Meeting, data: bytes, name: str, **kw: Any) -> Any:
    return client.post(f"{API}/{meeting.pk}/attachments", {"file": upload(data, name)}, **kw)


def test_the_api_uploads_lists_and_deletes(life: Any, cast: Any, bearer: Any) -> None:
    meeting = plan(life)
    client = login_client(life.recorder_user)
    response = api_attach(client, meeting, jpeg_with_exif(), "会场.jpg")
    assert response.status_code == 201, response.content
    body = response.json()
    attachment = MeetingAttachment.objects.get()
    assert body == {
        "id": attachment.pk,
        "name": "会场.jpg",
        "content_type": "image/jpeg",
        "size": attachment.size,
        "url": file_url(meeting, attachment),
        "uploaded_at": body["uploaded_at"],
    }
    assert body["uploaded_at"].startswith("2026-11-18T")
    # With a token too; the URL it hands out works with the same token.
    headers = bearer(life.chair_user)
    response = api_attach(Client(), meeting, PDF_BYTES, "纪要.pdf", **headers)
    assert response.status_code == 201
    assert Client().get(response.json()["url"], **headers).status_code == 200
    detail = client.get(f"{API}/{meeting.pk}").json()
    assert [(a["name"], a["content_type"]) for a in detail["attachments"]] == [
        ("会场.jpg", "image/jpeg"),
        ("纪要.pdf", "application/pdf"),
    ]
    response = client.delete(f"{API}/{meeting.pk}/attachments/{attachment.pk}")
    assert response.status_code == 200, response.content
    assert [a["name"] for a in response.json()["attachments"]] == ["纪要.pdf"]
    assert_not_found(client.delete(f"{API}/{meeting.pk}/attachments/{attachment.pk}"))


def test_the_api_refuses_bad_files_and_changes_nothing(life: Any, media: Path) -> None:
    meeting = plan(life)
    client = login_client(life.recorder_user)
    url = f"{API}/{meeting.pk}/attachments"
    assert fields(api_attach(client, meeting, b"plain text", "x.pdf")) == {"file": [NOT_ALLOWED]}
    big = PDF_BYTES + b"\0" * (10 * 1024 * 1024)
    assert fields(api_attach(client, meeting, big, "big.pdf")) == {"file": [TOO_LARGE]}
    assert fields(client.post(url, {"note": "x"})) == {"file": ["请选择要上传的文件。"]}
    no_file = client.post(url, {"file": "x"}, content_type="application/json")
    assert fields(no_file) == {"file": ["请选择要上传的文件。"]}
    assert not MeetingAttachment.objects.exists() and stored_files(media) == []
    for n in range(10):
        attach(life, meeting, name=f"{n}.pdf")
    assert fields(api_attach(client, meeting, PDF_BYTES, "11.pdf")) == {
        "file": ["每次会议最多上传 10 个附件，请先删除不需要的。"]
    }


def test_the_api_is_scoped(life: Any, cast: Any, grid_b2: Any) -> None:
    meeting = plan(life)
    attachment = attach(life, meeting)
    url = f"{API}/{meeting.pk}/attachments"
    # Nobody signed in: 401.
    for response in (
        api_attach(Client(), meeting, PDF_BYTES, "a.pdf"),
        Client().delete(f"{url}/{attachment.pk}"),
    ):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
    # Who sees it but may not record: 403; another scope: 404.
    stranger = login_client(grid_b2)
    assert api_attach(stranger, meeting, PDF_BYTES, "a.pdf").status_code == 403
    assert stranger.delete(f"{url}/{attachment.pk}").status_code == 403
    outsider = login_client(cast.outsider)
    assert_not_found(api_attach(outsider, meeting, PDF_BYTES, "a.pdf"))
    assert_not_found(outsider.delete(f"{url}/{attachment.pk}"))
    assert_not_found(outsider.get(f"{API}/{meeting.pk}"))
    # An attachment of another meeting is not this meeting's.
    other = plan(life)
    assert_not_found(login_client(life.recorder_user).delete(f"{API}/{other.pk}/attachments/1"))
    assert_not_found(
        login_client(life.recorder_user).delete(f"{API}/{other.pk}/attachments/{attachment.pk}")
    )
    assert MeetingAttachment.objects.count() == 1


def test_the_api_refuses_to_delete_after_the_lock(life: Any, clock: Any) -> None:
    meeting = plan(life)
    attachment = attach(life, meeting)
    record(life, meeting)
    clock.shift(timedelta(minutes=5))
    confirm_both(life, meeting)
    client = login_client(life.recorder_user)
    response = client.delete(f"{API}/{meeting.pk}/attachments/{attachment.pk}")
    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        "会议记录已确认锁定，附件不能删除；如需修改，请提交更正。"
    )
    # The scan of the signed minutes: still welcome.
    assert api_attach(client, meeting, png(), "扫描.png").status_code == 201
    assert MeetingAttachment.objects.count() == 2


# --- queries -------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 8])
def test_the_detail_costs_the_same_with_more_attachments(
    life: Any, cast: Any, n: int, django_assert_max_num_queries: Any
) -> None:
    meeting = plan(life)
    record(life, meeting)
    for i in range(n):
        attach(life, meeting, name=f"{i}.pdf")
    user = cast.community_secretary
    meeting_detail(user, meeting.pk)  # the user's scope, read once
    # meeting, agenda, versions, attendance, items, follow-ups, attachments
    with django_assert_max_num_queries(7):
        found = meeting_detail(user, meeting.pk)
    assert len(found.attachments) == n
    client = warm(login_client(user))
    # session, user, second factor, scope (2), then the detail's seven
    with django_assert_max_num_queries(12):
        body = client.get(f"{API}/{meeting.pk}").json()
    assert len(body["attachments"]) == n
    page = login_client(life.recorder_user)
    page.get(page_url(meeting))  # the session is written once
    with django_assert_max_num_queries(24):
        assert html(page.get(page_url(meeting))).count('data-testid="attachment"') == n
    with django_assert_max_num_queries(16):
        html(page.get(page_url(meeting, "print/")))


def test_no_attachments_cost_no_query(life: Any, cast: Any, django_assert_num_queries: Any) -> None:
    meeting = plan(life)
    user = cast.community_secretary
    meeting_detail(user, meeting.pk)
    # meeting (with whether it has attachments), agenda, versions, follow-ups
    with django_assert_num_queries(4):
        assert meeting_detail(user, meeting.pk).attachments == []
