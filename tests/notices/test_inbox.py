from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from grassroots.core.errors import ValidationFailed
from grassroots.notices.models import Notice
from grassroots.notices.selectors import unread_count
from grassroots.notices.services import notice_mark_read, notices_mark_all_read, notify


def test_notify_writes_one_row_per_active_recipient(cast: Any) -> None:
    cast.grid_worker_b.is_active = False
    notices = notify(
        recipients=[cast.community_staff, cast.community_staff, cast.grid_worker_b, None],
        title="提醒",
        body="内容",
        url="/workbench/",
        kind="test",
    )
    assert len(notices) == 1 and notices[0].recipient == cast.community_staff
    assert unread_count(cast.community_staff) == 1


@pytest.mark.parametrize(
    "url", ["https://evil.example/", "//evil.example/x", "javascript:x", "/\\evil.example"]
)
def test_links_stay_inside_the_platform(cast: Any, url: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        notify(recipients=[cast.community_staff], title="x", url=url)
    assert info.value.fields["url"] == ["链接须为本平台内的地址。"]
    assert not Notice.objects.exists()


def test_reading_marks_and_redirects(cast: Any, login: Any) -> None:
    (notice,) = notify(recipients=[cast.community_staff], title="换届提醒", url="/workbench/")
    client = login(cast.community_staff)
    page = client.get("/inbox/").content.decode()
    assert "换届提醒" in page and "未读" in page
    assert 'data-testid="inbox">消息 <span' in client.get("/workbench/").content.decode()
    response = client.post(f"/inbox/{notice.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/workbench/"
    assert Notice.objects.get(pk=notice.pk).read_at is not None
    assert unread_count(cast.community_staff) == 0


def test_read_all(cast: Any, login: Any) -> None:
    notify(recipients=[cast.resident], title="一")
    notify(recipients=[cast.resident], title="二")
    client = login(cast.resident)
    assert 'data-testid="unread"' in client.get("/m/").content.decode()
    assert client.post("/inbox/read-all/").status_code == 302
    assert unread_count(cast.resident) == 0
    assert notices_mark_all_read(user=cast.resident) == 0


def test_someone_elses_notice_is_not_found(cast: Any, login: Any) -> None:
    (notice,) = notify(recipients=[cast.community_staff], title="私信")
    client = login(cast.outsider)
    assert client.post(f"/inbox/{notice.pk}/open/").status_code == 404
    assert "私信" not in client.get("/inbox/").content.decode()
    assert Notice.objects.get(pk=notice.pk).read_at is None
    notice_mark_read(user=cast.outsider, notice=notice)  # the service checks the owner too
    assert Notice.objects.get(pk=notice.pk).read_at is None


def test_inbox_needs_login_post_and_csrf(cast: Any) -> None:
    (notice,) = notify(recipients=[cast.resident], title="x")
    assert Client().get("/inbox/")["Location"].startswith("/accounts/login/")
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.resident)
    assert client.get(f"/inbox/{notice.pk}/open/").status_code == 405
    assert client.post(f"/inbox/{notice.pk}/open/").status_code == 403
    assert client.post("/inbox/read-all/").status_code == 403


def test_inbox_query_count_does_not_grow(
    cast: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    client = login(cast.resident)
    client.get("/m/")
    notify(recipients=[cast.resident], title="一")
    with django_assert_max_num_queries(5) as first:
        client.get("/inbox/")
    for i in range(30):
        notify(recipients=[cast.resident], title=f"第{i}条")
    with django_assert_max_num_queries(len(first.captured_queries)):
        page = client.get("/inbox/").content.decode()
    assert "第29条" in page


def test_the_term_sweep_and_the_audit_check_use_the_inbox(people: Any, cast: Any) -> None:
    from datetime import date

    import time_machine

    from grassroots.core.audit import audit_log
    from grassroots.core.tasks import check_audit_chain
    from grassroots.party.services import party_org_set_committee
    from grassroots.party.tasks import remind_terms_ending

    with time_machine.travel("2026-11-27 10:00 +0800"):
        party_org_set_committee(
            actor=None,
            org=people.branch_a,
            secretary=None,
            committee=[],
            term_start=date(2022, 1, 10),
            term_end=date(2027, 1, 10),
        )
        remind_terms_ending()
    notice = Notice.objects.get(recipient=cast.community_secretary)
    assert "东一社区A网格党支部" in notice.title and notice.url.startswith("/workbench/party/")
    assert Notice.objects.filter(recipient=cast.street_leader).count() == 1
    assert not Notice.objects.filter(recipient=cast.outsider).exists()
    # A broken audit chain reaches the security admins' inboxes.
    audit_log(action="test")
    from tests.core.test_audit import raw

    raw("UPDATE core_auditentry SET action = 'forged' WHERE seq = 1")
    assert check_audit_chain() is not None
    assert (
        Notice.objects.filter(recipient=cast.security_admin, kind="audit.chain_broken").count() == 1
    )
