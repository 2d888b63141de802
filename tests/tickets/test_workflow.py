"""The request lifecycle through its services: every transition, every refusal, the clocks."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from grassroots.core.errors import Conflict, Forbidden, ValidationFailed
from grassroots.core.personal import digest
from grassroots.notices.models import Notice
from grassroots.tickets import services as s
from grassroots.tickets.models import (
    EventKind,
    Extension,
    Review,
    Ticket,
    TicketEvent,
    TicketState,
)
from grassroots.tickets.selectors import available_actions
from tests.tickets.conftest import CONSULT, DEPARTMENT_LEAF, png_bytes

LOCAL = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL)  # type: ignore[misc]


def fields_of(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, list[str]]:
    return exc.value.fields


def upload(data: bytes, name: str = "p.png", content_type: str = "image/png") -> Any:
    return SimpleUploadedFile(name, data, content_type)


# --------------------------------------------------------------------------------------------
# submit


def test_submit_numbers_locates_and_records(submit: Any, city: Any, cast: Any) -> None:
    with time_machine.travel(local(2026, 11, 27, 9, 30), tick=False):
        ticket = submit()
    assert ticket.number == f"GR-20261127-{ticket.pk:06d}"
    stored = Ticket.objects.get(pk=ticket.pk)  # the row as written, not the instance
    assert (stored.number, stored.contact_mobile) == (ticket.number, "13800138000")
    assert stored.contact_mobile_digest == digest("13800138000")
    assert ticket.state == TicketState.SUBMITTED
    assert (ticket.building, ticket.area, ticket.street) == (
        city.building_a1,
        city.building_a1,
        city.s1,
    )
    assert ticket.area_path == city.building_a1.path
    assert ticket.requester == cast.resident
    assert ticket.contact_mobile == "13800138000"  # the resident's own account
    assert ticket.respond_by is None and ticket.resolve_by is None  # clocks start at dispatch
    assert [e.kind for e in ticket.events.all()] == [EventKind.SUBMITTED]
    assert Notice.objects.filter(recipient=cast.resident, title__contains=ticket.number).exists()


def test_the_street_of_a_filing_follows_changes_to_the_streets(submit: Any, city: Any) -> None:
    # Filing finds the street in a per-process memo of the streets: a change must reach it.
    assert submit().street.name == city.s1.name  # the memo is now warm
    city.s1.name = "东街道（新）"
    city.s1.save()
    assert submit().street.name == "东街道（新）"
    # An area that is no street any more is not taken for one.
    city.s1.kind = "community"
    city.s1.save()
    with pytest.raises(ValidationFailed) as info:
        submit()
    assert info.value.fields == {"building": ["该位置不属于任何街道，请重新选择。"]}


def test_submit_point_resolves_to_the_grid(submit: Any, city: Any) -> None:
    ticket = submit(lat=39.905, lon=116.305)
    assert ticket.area == city.grid_a
    assert ticket.building is None
    assert (ticket.lat, ticket.lon) == (39.905, 116.305)


def test_submit_without_place_uses_the_residents_home(submit: Any, people: Any) -> None:
    ticket = submit(building=None)
    assert ticket.area == people.hh_a1_101.building


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"category": "nope"}, "category"),
        ({"category": "01"}, "category"),  # a group, not a leaf
        ({"category": ""}, "category"),
        ({"description": "   "}, "description"),
        ({"description": "字" * 4001}, "description"),
        ({"lat": 10.0, "lon": 10.0, "building": None}, "lat"),  # outside every grid
        ({"lat": 39.905, "building": None}, "lon"),  # a latitude without longitude
        ({"building": "NOPE"}, "building"),
        ({"request_type": "gossip"}, "request_type"),
        ({"urgency": "asap"}, "urgency"),
        ({"contact_mobile": "12345"}, "contact_mobile"),
        ({"photos": [upload(b"not an image at all")]}, "photos"),
        ({"photos": [upload(png_bytes()) for _ in range(10)]}, "photos"),
    ],
)
def test_submit_refuses_bad_input_and_creates_nothing(
    submit: Any, kw: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        submit(**kw)
    assert field in fields_of(exc), fields_of(exc)
    assert all(isinstance(m, str) and m for m in fields_of(exc)[field])
    assert not Ticket.objects.exists()
    assert not TicketEvent.objects.exists()


def test_submit_reports_every_bad_field_at_once(submit: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        submit(category="nope", description="")
    assert {"category", "description"} <= set(fields_of(exc))


def test_submit_refuses_a_photo_over_10_mb(submit: Any) -> None:
    big = png_bytes() + b"\0" * (10 * 1024 * 1024)
    with pytest.raises(ValidationFailed) as exc:
        submit(photos=[upload(big)])
    assert "10 MB" in fields_of(exc)["photos"][0]


def test_submit_photo_is_checked_by_content_and_stripped_of_exif(submit: Any) -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (39.0, 54.0, 0.0)}  # GPSInfo: latitude
    raw = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(raw, "JPEG", exif=exif)
    assert Image.open(io.BytesIO(raw.getvalue())).getexif()
    # Named .txt and declared as text: the content decides.
    ticket = submit(photos=[upload(raw.getvalue(), "x.txt", "text/plain")])
    photo = ticket.photos.get()
    assert photo.content_type == "image/jpeg"
    with photo.image.open("rb") as fh:
        stored = Image.open(io.BytesIO(fh.read()))
        assert not stored.getexif()
        assert stored.size == (40, 30)
    assert photo.image.name.endswith(".jpg") and "x.txt" not in photo.image.name


def test_submit_with_the_same_idempotency_key_returns_the_first(cast: Any, city: Any) -> None:
    kw = {
        "category": "0101",
        "description": "垃圾满了",
        "building": city.building_a1,
        "idempotency_key": "k-1",
    }
    first, created = s.ticket_submit(actor=cast.resident, **kw)
    again, created_again = s.ticket_submit(actor=cast.resident, **kw)
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    other, created_other = s.ticket_submit(actor=cast.grid_worker_a, **kw)
    assert created_other and other.pk != first.pk
    assert Ticket.objects.count() == 2
    # A retry is the first filing's answer even when its input would now be refused.
    retry, created_retry = s.ticket_submit(actor=cast.resident, **{**kw, "description": " "})
    assert (retry.pk, retry.number, created_retry) == (first.pk, first.number, False)
    with pytest.raises(ValidationFailed):
        s.ticket_submit(actor=cast.resident, **{**kw, "description": " ", "idempotency_key": "k-2"})
    assert Ticket.objects.count() == 2 and TicketEvent.objects.count() == 2


def test_administrators_cannot_file_requests(submit: Any, cast: Any) -> None:
    for admin in (cast.system_admin, cast.security_admin, cast.audit_admin):
        with pytest.raises(Forbidden):
            submit(actor=admin)


def test_hotline_seat_files_for_a_caller(submit: Any, cast: Any) -> None:
    ticket = submit(
        actor=cast.street_dispatcher,
        channel="hotline",
        contact_name="王先生",
        contact_mobile="13712345678",
    )
    assert ticket.requester is None
    assert ticket.contact_mobile_masked == "137****5678"
    assert ticket.submitted_by == cast.street_dispatcher


# --------------------------------------------------------------------------------------------
# dispatch and the clocks


def test_dispatch_starts_both_clocks(submit: Any, cast: Any, city: Any) -> None:
    ticket = submit()
    start = local(2026, 11, 24, 10, 0)  # a Tuesday
    with time_machine.travel(start, tick=False):
        s.ticket_dispatch(actor=cast.street_dispatcher, ticket=ticket, to=city.grid_a)
    ticket.refresh_from_db()
    assert ticket.state == TicketState.DISPATCHED
    assert ticket.handler_area == city.grid_a and ticket.handler_path == city.grid_a.path
    assert ticket.respond_by == start + timedelta(hours=24)
    assert ticket.resolve_by == local(2026, 12, 2)  # 7 days: the end of Tuesday Dec 1
    assert ticket.warn_at == start + (local(2026, 12, 2) - start) * 0.8
    assert not ticket.deadline_provisional
    assert Notice.objects.filter(recipient=cast.grid_worker_a, title__contains="新工单").exists()


@pytest.mark.parametrize(
    ("start", "respond_by", "resolve_by"),
    [
        # National Day 2026: Oct 1–7 off, Saturday Oct 10 a working day (调休).
        # 5 working days after Sep 30: Oct 8, 9, 10 (Sat), 12, 13 → 24:00 of Oct 13.
        (local(2026, 9, 30, 15, 0), local(2026, 9, 30, 19, 0), local(2026, 10, 14)),
        # Spring Festival 2026: Feb 15–23 off, Saturdays Feb 14 and 28 working days.
        # 5 working days after Fri Feb 13: 14 (Sat), 24, 25, 26, 27 → 24:00 of Feb 27.
        (local(2026, 2, 13, 9, 0), local(2026, 2, 13, 13, 0), local(2026, 2, 28)),
    ],
)
def test_working_day_clock_across_holidays(
    submit: Any, cast: Any, city: Any, start: datetime, respond_by: datetime, resolve_by: datetime
) -> None:
    ticket = submit(category=CONSULT)
    with time_machine.travel(start, tick=False):
        s.ticket_dispatch(actor=cast.street_dispatcher, ticket=ticket, to=city.c1)
    ticket.refresh_from_db()
    assert ticket.respond_by == respond_by
    assert ticket.resolve_by == resolve_by


def test_calendar_day_clock_moves_off_a_holiday(submit: Any, cast: Any, city: Any) -> None:
    ticket = submit()
    with time_machine.travel(local(2026, 9, 30, 15, 0), tick=False):
        s.ticket_dispatch(actor=cast.street_dispatcher, ticket=ticket, to=city.c1)
    ticket.refresh_from_db()
    # 7 days after Sep 30 is Oct 7, a holiday: the period ends with Oct 8 instead.
    assert ticket.resolve_by == local(2026, 10, 9)


def test_dispatch_to_a_department(submit: Any, cast: Any, city: Any) -> None:
    ticket = submit(category=DEPARTMENT_LEAF)
    assert s.suggested_unit(ticket) is None  # the seeded leaf names no department
    s.ticket_dispatch(actor=cast.street_dispatcher, ticket=ticket, to=city.dept_district)
    assert ticket.handler_department == city.dept_district
    assert Ticket.objects.visible_to(cast.department_officer).filter(pk=ticket.pk).exists()


def test_suggested_unit_follows_the_catalogue(submit: Any, city: Any) -> None:
    assert s.suggested_unit(submit(category="0101")) == city.c1  # community level
    assert s.suggested_unit(submit(category="0102")) == city.grid_a  # grid level
    assert s.suggested_unit(submit(category="0103")) == city.s1  # street level


def test_dispatch_refusals(submit: Any, cast: Any, city: Any) -> None:
    ticket = submit()
    with pytest.raises(Forbidden):
        s.ticket_dispatch(actor=cast.grid_worker_a, ticket=ticket, to=city.grid_a)
    with pytest.raises(Forbidden):
        s.ticket_dispatch(actor=cast.outsider, ticket=ticket, to=city.grid_w)
    for to in (None, city.building_a1, city.grid_w, city.dept_s2):
        with pytest.raises(ValidationFailed) as exc:
            s.ticket_dispatch(actor=cast.street_dispatcher, ticket=ticket, to=to)
        assert "to" in fields_of(exc)
    with pytest.raises(ValidationFailed):  # a community dispatches inside the community only
        s.ticket_dispatch(actor=cast.community_staff, ticket=ticket, to=city.grid_c2)
    ticket.refresh_from_db()
    assert ticket.state == TicketState.SUBMITTED and ticket.respond_by is None
    s.ticket_dispatch(actor=cast.community_staff, ticket=ticket, to=city.grid_a)
    with pytest.raises(ValidationFailed) as exc:
        s.ticket_dispatch(actor=cast.street_dispatcher, ticket=ticket, to=city.grid_b)
    assert exc.value.code == "wrong_state"
    assert "待签收" in exc.value.message


def test_a_stale_copy_cannot_win_a_second_dispatch(submit: Any, cast: Any, city: Any) -> None:
    ticket = submit()
    stale = Ticket.objects.get(pk=ticket.pk)
    s.ticket_dispatch(actor=cast.street_dispatcher, ticket=ticket, to=city.grid_a)
    with pytest.raises(Conflict):
        s.ticket_dispatch(actor=cast.community_staff, ticket=stale, to=city.grid_b)
    ticket.refresh_from_db()
    assert ticket.handler_area == city.grid_a
    assert ticket.events.filter(kind=EventKind.DISPATCHED).count() == 1


# --------------------------------------------------------------------------------------------
# handling


def test_handling_happy_path_and_messages(
    submit: Any, advance: Any, cast: Any, sms_outbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ticket = advance(submit(), "accepted")
    assert ticket.accepted_at is not None
    assert any("受理" in text for _mobile, text in sms_outbox)
    s.ticket_respond(actor=cast.grid_worker_a, ticket=ticket, method="visit", note="上门看过")
    with pytest.raises(ValidationFailed) as exc:
        s.ticket_resolve(actor=cast.grid_worker_a, ticket=ticket, result="  ")
    assert "result" in fields_of(exc)
    with django_capture_on_commit_callbacks(execute=True):
        s.ticket_resolve(
            actor=cast.grid_worker_a, ticket=ticket, result="已清运", photos=[upload(png_bytes())]
        )
    ticket.refresh_from_db()
    assert ticket.state == TicketState.RESOLVED
    resolved = ticket.events.get(kind=EventKind.RESOLVED)
    assert resolved.photos.count() == 1
    assert sms_outbox[-1][0] == "13800138000"
    assert f"/m/requests/{ticket.number}/" in sms_outbox[-1][1]


def test_respond_from_dispatched_signs_for_it_too(submit: Any, advance: Any, cast: Any) -> None:
    ticket = advance(submit(), "dispatched")
    s.ticket_respond(actor=cast.grid_worker_a, ticket=ticket, method="phone")
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.ACCEPTED, EventKind.RESPONDED]
    assert ticket.state == TicketState.IN_PROGRESS


def test_only_the_handling_unit_handles(submit: Any, advance: Any, cast: Any) -> None:
    ticket = advance(submit(), "dispatched")
    for stranger in (cast.grid_worker_b, cast.resident, cast.department_officer, cast.outsider):
        with pytest.raises(Forbidden):
            s.ticket_accept(actor=stranger, ticket=ticket)
    # The community above the grid may act for it.
    s.ticket_accept(actor=cast.community_secretary, ticket=ticket)


def test_resolve_needs_a_recorded_contact(submit: Any, advance: Any, cast: Any) -> None:
    ticket = advance(submit(), "accepted")
    with pytest.raises(ValidationFailed) as exc:
        s.ticket_resolve(actor=cast.grid_worker_a, ticket=ticket, result="好了")
    assert exc.value.code == "wrong_state"
    with pytest.raises(ValidationFailed) as exc:
        s.ticket_respond(actor=cast.grid_worker_a, ticket=ticket, method="pigeon")
    assert "method" in fields_of(exc)


def test_return_goes_back_to_the_desk_and_is_counted(
    submit: Any, advance: Any, cast: Any, city: Any
) -> None:
    ticket = advance(submit(), "accepted")
    with pytest.raises(ValidationFailed) as exc:
        s.ticket_return(actor=cast.grid_worker_a, ticket=ticket, reason="")
    assert "reason" in fields_of(exc)
    s.ticket_return(actor=cast.grid_worker_a, ticket=ticket, reason="不属于本网格")
    ticket.refresh_from_db()
    assert ticket.state == TicketState.SUBMITTED
    assert ticket.handler is None and ticket.resolve_by is None
    assert ticket.return_count == 1
    event = ticket.events.get(kind=EventKind.RETURNED)
    assert event.unit_area == city.grid_a
    assert Notice.objects.filter(recipient=cast.street_dispatcher, title__contains="退回").exists()


def test_return_is_refused_after_two_working_days(submit: Any, cast: Any, city: Any) -> None:
    ticket = submit()
    with time_machine.travel(local(2026, 11, 26, 10, 0), tick=False):  # Thursday
        s.ticket_dispatch(actor=cast.street_dispatcher, ticket=ticket, to=city.grid_a)
    after = local(2026, 12, 1, 0, 30)  # after Friday and Monday
    with time_machine.travel(after, tick=False), pytest.raises(ValidationFailed) as exc:
        s.ticket_return(actor=cast.grid_worker_a, ticket=ticket, reason="不归我们")
    assert "2 个工作日" in fields_of(exc)["reason"][0]
    with time_machine.travel(local(2026, 11, 30, 23, 0), tick=False):  # still Monday
        s.ticket_return(actor=cast.grid_worker_a, ticket=ticket, reason="不归我们")


def test_extension_requested_approved_and_told(
    submit: Any, advance: Any, cast: Any, sms_outbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = advance(submit(), "in_progress")
    for kw, field in (
        ({"reason": "", "working_days": 3}, "reason"),
        ({"reason": "等材料", "working_days": 0}, "working_days"),
        ({"reason": "等材料", "working_days": 11}, "working_days"),
    ):
        with pytest.raises(ValidationFailed) as exc:
            s.ticket_request_extension(actor=cast.grid_worker_a, ticket=ticket, **kw)
        assert field in fields_of(exc)
    assert not Extension.objects.exists()
    s.ticket_request_extension(
        actor=cast.grid_worker_a, ticket=ticket, reason="等待物业配合", working_days=3
    )
    with pytest.raises(ValidationFailed):
        s.ticket_request_extension(
            actor=cast.grid_worker_a, ticket=ticket, reason="再等等", working_days=2
        )
    assert "approve-extension" in available_actions(cast.street_dispatcher, ticket)
    with pytest.raises(ValidationFailed) as exc:  # a refusal needs a reason
        s.ticket_decide_extension(actor=cast.street_dispatcher, ticket=ticket, approve=False)
    assert "note" in fields_of(exc)
    old = ticket.resolve_by
    with django_capture_on_commit_callbacks(execute=True):
        extension = s.ticket_decide_extension(
            actor=cast.street_dispatcher, ticket=ticket, approve=True
        )
    ticket.refresh_from_db()
    assert extension.status == "approved"
    assert extension.old_resolve_by == old and extension.new_resolve_by == ticket.resolve_by
    assert ticket.resolve_by > old + timedelta(days=2)
    assert any("延至" in text for _m, text in sms_outbox)
    with pytest.raises(ValidationFailed):  # nothing left to decide
        s.ticket_decide_extension(actor=cast.street_dispatcher, ticket=ticket, approve=True)


def test_no_one_approves_their_own_extension(
    submit: Any, advance: Any, cast: Any, city: Any
) -> None:
    ticket = advance(submit(), "in_progress", to=city.c1)
    s.ticket_request_extension(
        actor=cast.community_staff, ticket=ticket, reason="需要协调", working_days=2
    )
    with pytest.raises(Forbidden):
        s.ticket_decide_extension(actor=cast.community_staff, ticket=ticket, approve=True)


# --------------------------------------------------------------------------------------------
# review and reopen


def test_review_by_the_requester_closes(submit: Any, advance: Any, cast: Any) -> None:
    ticket = advance(submit(), "resolved")
    with pytest.raises(ValidationFailed) as exc:
        s.ticket_review(
            actor=cast.resident, ticket=ticket, contacted=None, solved=True, satisfaction=""
        )
    assert {"contacted", "satisfaction"} <= set(fields_of(exc))
    review = s.ticket_review(
        actor=cast.resident, ticket=ticket, contacted=True, solved=True, satisfaction="basic"
    )
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CLOSED
    assert review.is_valid and review.by_requester
    assert review.unit_area_id == ticket.handler_area_id
    assert review.responded_on_time and review.resolved_on_time


def test_only_the_requester_or_a_review_seat_reviews(
    submit: Any, advance: Any, cast: Any, people: Any
) -> None:
    ticket = advance(submit(), "resolved")
    for someone in (cast.grid_worker_a, cast.community_secretary, cast.outsider):
        with pytest.raises(Forbidden):
            s.ticket_review(
                actor=someone, ticket=ticket, contacted=True, solved=True, satisfaction="satisfied"
            )
    review = s.ticket_review(
        actor=cast.street_dispatcher,
        ticket=ticket,
        contacted=None,
        solved=None,
        satisfaction="",
        valid=False,
        comment="电话无人接听",
    )
    assert not review.is_valid and not review.by_requester
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CLOSED


def test_unsolved_review_reopens_and_supersedes(submit: Any, advance: Any, cast: Any) -> None:
    ticket = advance(submit(), "resolved")
    s.ticket_review(
        actor=cast.resident, ticket=ticket, contacted=True, solved=False, satisfaction="unsatisfied"
    )
    ticket.refresh_from_db()
    assert ticket.state == TicketState.DISPATCHED and ticket.reopen_count == 1
    assert ticket.responded_at is None and ticket.resolve_by is not None
    assert Notice.objects.filter(recipient=cast.grid_worker_a, title__contains="重办").exists()
    s.ticket_respond(actor=cast.grid_worker_a, ticket=ticket, method="visit")
    s.ticket_resolve(actor=cast.grid_worker_a, ticket=ticket, result="重新清运")
    s.ticket_review(
        actor=cast.resident, ticket=ticket, contacted=True, solved=True, satisfaction="satisfied"
    )
    assert list(Review.objects.order_by("id").values_list("superseded", flat=True)) == [
        True,
        False,
    ]


def test_reopen_within_the_window(submit: Any, advance: Any, cast: Any) -> None:
    ticket = advance(submit(), "closed")
    with pytest.raises(ValidationFailed) as exc:
        s.ticket_reopen(actor=cast.resident, ticket=ticket, reason="")
    assert "reason" in fields_of(exc)
    with pytest.raises(Forbidden):
        s.ticket_reopen(actor=cast.grid_worker_a, ticket=ticket, reason="再看看")
    later = ticket.closed_at + timedelta(days=31)
    with time_machine.travel(later), pytest.raises(ValidationFailed):
        s.ticket_reopen(actor=cast.resident, ticket=ticket, reason="又满了")
    s.ticket_reopen(actor=cast.resident, ticket=ticket, reason="又满了")
    ticket.refresh_from_db()
    assert ticket.state == TicketState.DISPATCHED and ticket.reopen_count == 1
    assert ticket.closed_at is None


# --------------------------------------------------------------------------------------------
# reject, merge, supervise


def test_reject_with_reason_and_where_to_go(
    submit: Any, cast: Any, sms_outbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = submit()
    with pytest.raises(ValidationFailed) as exc:
        s.ticket_reject(actor=cast.street_dispatcher, ticket=ticket, reason=" ")
    assert "reason" in fields_of(exc)
    with django_capture_on_commit_callbacks(execute=True):
        s.ticket_reject(
            actor=cast.street_dispatcher,
            ticket=ticket,
            reason="属于民事纠纷",
            redirect="向人民法院起诉",
        )
    assert ticket.state == TicketState.REJECTED
    assert "人民法院" in sms_outbox[-1][1]


def test_merge_makes_the_requester_follow_the_survivor(
    submit: Any, advance: Any, cast: Any, city: Any
) -> None:
    survivor = advance(submit(actor=cast.grid_worker_a, channel="grid_patrol"), "dispatched")
    duplicate = submit()
    for into, field in ((None, "into"), (duplicate, "into")):
        with pytest.raises(ValidationFailed) as exc:
            s.ticket_merge(actor=cast.street_dispatcher, ticket=duplicate, into=into)
        assert field in fields_of(exc)
    assert not Ticket.objects.visible_to(cast.resident).filter(pk=survivor.pk).exists()
    s.ticket_merge(actor=cast.street_dispatcher, ticket=duplicate, into=survivor)
    duplicate.refresh_from_db()
    assert duplicate.state == TicketState.MERGED and duplicate.merged_into == survivor
    assert Ticket.objects.visible_to(cast.resident).filter(pk=survivor.pk).exists()
    assert survivor.events.filter(kind=EventKind.MERGED_IN).exists()


def test_supervise_and_answer(submit: Any, advance: Any, cast: Any) -> None:
    ticket = advance(submit(), "in_progress")
    with pytest.raises(Forbidden):
        s.ticket_supervise(actor=cast.street_dispatcher, ticket=ticket, note="快办")
    with pytest.raises(ValidationFailed):
        s.ticket_supervise(actor=cast.street_leader, ticket=ticket, note="")
    with pytest.raises(ValidationFailed):  # nothing to answer yet
        s.ticket_answer_supervision(actor=cast.grid_worker_a, ticket=ticket, note="在办")
    s.ticket_supervise(actor=cast.street_leader, ticket=ticket, note="居民多次反映，请加快")
    assert Notice.objects.filter(recipient=cast.grid_worker_a, title__contains="督办").exists()
    assert "answer-supervision" in available_actions(cast.grid_worker_a, ticket)
    s.ticket_answer_supervision(actor=cast.grid_worker_a, ticket=ticket, note="明天上午清运")
    ticket.refresh_from_db()
    assert ticket.supervision_answered_at is not None
    assert Notice.objects.filter(recipient=cast.street_leader, title__contains="已回复").exists()


# --------------------------------------------------------------------------------------------
# scope and history


def test_who_sees_a_ticket(submit: Any, advance: Any, cast: Any, city: Any) -> None:
    ticket = submit()
    seen = {
        name
        for name in (
            "resident",
            "grid_worker_a",
            "grid_worker_b",
            "building_head",
            "community_staff",
            "street_dispatcher",
            "department_officer",
            "member_unit_contact",
            "outsider",
            "system_admin",
            "security_admin",
            "audit_admin",
        )
        if Ticket.objects.visible_to(getattr(cast, name)).filter(pk=ticket.pk).exists()
    }
    assert seen == {
        "resident",
        "grid_worker_a",
        "building_head",
        "community_staff",
        "street_dispatcher",
    }
    s.ticket_dispatch(actor=cast.street_dispatcher, ticket=ticket, to=city.grid_b)
    assert Ticket.objects.visible_to(cast.grid_worker_b).filter(pk=ticket.pk).exists()


def test_the_timeline_is_append_only(submit: Any) -> None:
    event = submit().events.get()
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        TicketEvent.objects.filter(pk=event.pk).update(note="x")
    with pytest.raises(TypeError):
        TicketEvent.objects.all().delete()


def test_every_transition_is_audited(submit: Any, advance: Any) -> None:
    from grassroots.core.models import AuditEntry

    ticket = advance(submit(), "closed")
    actions = list(
        AuditEntry.objects.filter(object_id=str(ticket.pk), action__startswith="tickets.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "tickets.submit",
        "tickets.dispatch",
        "tickets.accept",
        "tickets.respond",
        "tickets.resolve",
        "tickets.review",
    ]
