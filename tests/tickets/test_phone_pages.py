"""The phone pages of requests: 上报 / 巡查上报, 我的诉求 and its detail (rate, reopen),
我的待办 and 办理. For each: the page, a change that works, a change refused with the message
next to its field (and nothing changed), login, role, scope, and query counts on the lists."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from grassroots.accounts.models import Role
from grassroots.tickets import services as s
from grassroots.tickets.models import (
    Channel,
    EventKind,
    Extension,
    Review,
    Ticket,
    TicketPhoto,
    TicketState,
)
from tests.conftest import make_user
from tests.helpers import assert_masked
from tests.tickets.conftest import png_bytes

EMERGENCY = "0203"  # 物业管理 › 电梯困人（紧急）: respond 1 h, resolve 2 h, warn at half


def png(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def report_data(**kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "category": "0101",
        "request_type": "help",
        "description": "楼下垃圾桶满了，三天没人清运。",
        "building": "S1C1GAB1",
        "address": "东一1号楼北侧",
        "idempotency_key": "k-" + str(kw.pop("key", "1")),
    }
    data.update(kw)
    return data


def html(response: Any) -> str:
    return response.content.decode()


def other_resident() -> Any:
    return make_user(Role.RESIDENT, "", mobile="13600000001")


# ---------------------------------------------------------------------------------------------
# access


PAGES = ["/m/report/", "/m/requests/", "/m/requests/GR-1/", "/m/queue/", "/m/queue/GR-1/"]


@pytest.mark.parametrize("path", PAGES)
def test_it_needs_login(db: Any, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("grid_worker_a", "/m/requests/"),
        ("community_staff", "/m/requests/"),
        ("grid_worker_a", "/m/requests/GR-1/"),
        ("resident", "/m/queue/"),
        ("resident", "/m/queue/GR-1/"),
        ("system_admin", "/m/report/"),
        ("audit_admin", "/m/queue/"),
    ],
)
def test_it_refuses_the_wrong_role(cast: Any, login: Any, who: str, path: str) -> None:
    assert login(getattr(cast, who)).get(path).status_code == 403


def test_it_needs_the_csrf_token(cast: Any, people: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.resident)
    assert client.post("/m/report/", report_data()).status_code == 403
    assert not Ticket.objects.exists()


# ---------------------------------------------------------------------------------------------
# 上报


def test_the_form_offers_the_catalogue_and_the_residents_building(
    cast: Any, people: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    client = login(cast.resident)
    client.get("/m/")
    # session, user, unread count, catalogue, home, buildings of the community
    with django_assert_max_num_queries(7):
        page = client.get("/m/report/")
    text = html(page)
    assert page.status_code == 200
    assert 'value="0101"' in text and "垃圾清运不及时" in text
    assert "ljqy" in text  # pinyin initials for the picker's search
    # the home building is chosen; the other buildings of the community are offered
    assert re.search(r'<option value="S1C1GAB1" selected>东一1号楼</option>', text)
    assert '<option value="S1C1GBB1">东一2号楼</option>' in text
    assert "S2C1GAB1" not in text  # another street's building
    assert 'name="anonymous"' in text
    assert re.search(r'name="idempotency_key" value="[0-9a-f]{32}"', text)
    assert 'accept="image/*"' in text and 'capture="environment"' in text
    assert "13800138000" not in text


def test_a_resident_reports_with_a_photo(cast: Any, people: Any, login: Any) -> None:
    client = login(cast.resident)
    response = client.post("/m/report/", report_data(photos=[png(), png("b.png")]))
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/m/requests/{ticket.number}/"
    assert ticket.channel == Channel.RESIDENT_APP
    assert ticket.requester == cast.resident
    assert ticket.building == people.me.household.building
    assert ticket.address == "东一1号楼北侧"
    assert ticket.photos.filter(event__isnull=True).count() == 2
    page = html(client.get(response["Location"]))
    assert f"提交成功，工单号 {ticket.number}" in page
    for photo in TicketPhoto.objects.all():
        assert f"/tickets/photos/{photo.pk}/" in page


def test_a_resident_reports_by_location(cast: Any, people: Any, login: Any, city: Any) -> None:
    data = report_data(building="", lat="39.905", lon="116.305", anonymous="on")
    response = login(cast.resident).post("/m/report/", data)
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.area == city.grid_a and ticket.building is None
    assert ticket.lat == pytest.approx(39.905) and ticket.anonymous


def test_a_bad_form_keeps_its_values_and_files_nothing(cast: Any, people: Any, login: Any) -> None:
    data = report_data(category="", description="", address="北门口", photos=[png()])
    response = login(cast.resident).post("/m/report/", data)
    text = html(response)
    assert response.status_code == 400
    assert "请选择诉求类别。" in text and "请填写问题描述。" in text
    assert 'value="北门口"' in text  # kept
    assert 'value="k-1"' in text  # the same key, so a retry still files once
    assert "照片没有保存，请重新选择后再提交。" in text
    assert not Ticket.objects.exists() and not TicketPhoto.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"category": "9999"}, "没有这个诉求类别。"),
        ({"category": "01"}, "该类别不能直接选择，请选择具体的诉求类别。"),
        ({"description": "长" * 4001}, "问题描述不能超过 4000 个字。"),
        ({"building": "S2C1GAB1"}, "请从列表中选择楼栋。"),
        ({"building": "", "lat": "10.0", "lon": "10.0"}, "该位置不在本区任何网格内"),
        ({"building": "", "lat": "39.9"}, "位置坐标不完整"),
        ({"request_type": "praise"}, "请选择诉求类型。"),
    ],
)
def test_it_shows_the_services_messages(
    cast: Any, people: Any, login: Any, change: dict[str, str], message: str
) -> None:
    response = login(cast.resident).post("/m/report/", report_data(**change))
    assert response.status_code == 400
    assert message in html(response)
    assert not Ticket.objects.exists()


def test_a_file_that_is_not_an_image_is_refused(cast: Any, people: Any, login: Any) -> None:
    fake = SimpleUploadedFile("photo.png", b"%PDF-1.4 not a picture", content_type="image/png")
    response = login(cast.resident).post("/m/report/", report_data(photos=[png(), fake]))
    text = html(response)
    assert response.status_code == 400
    assert "第 2 张不是可识别的图片" in text
    assert "照片没有保存，请重新选择后再提交。" in text
    assert not Ticket.objects.exists() and not TicketPhoto.objects.exists()


def test_more_than_nine_photos_are_refused(cast: Any, people: Any, login: Any) -> None:
    photos = [png(f"{i}.png") for i in range(10)]
    response = login(cast.resident).post("/m/report/", report_data(photos=photos))
    assert response.status_code == 400 and "最多上传 9 张照片。" in html(response)
    assert not Ticket.objects.exists()


def test_a_double_tap_files_once(cast: Any, people: Any, login: Any) -> None:
    client = login(cast.resident)
    first = client.post("/m/report/", report_data(key="same", photos=[png()]))
    second = client.post("/m/report/", report_data(key="same", photos=[png()]), follow=True)
    ticket = Ticket.objects.get()
    assert first["Location"] == f"/m/requests/{ticket.number}/"
    assert second.redirect_chain[-1][0] == f"/m/requests/{ticket.number}/"
    assert f"这条诉求已经提交过，工单号 {ticket.number}" in html(second)
    assert TicketPhoto.objects.count() == 1
    # A new form (a new key) files a new request.
    client.post("/m/report/", report_data(key="other"))
    assert Ticket.objects.count() == 2


def test_a_grid_worker_reports_on_patrol(cast: Any, login: Any, city: Any) -> None:
    client = login(cast.grid_worker_a)
    page = html(client.get("/m/report/"))
    assert "巡查上报" in page and 'name="anonymous"' not in page
    assert '<option value="S1C1GAB1">东一1号楼</option>' in page  # nothing chosen for staff
    response = client.post("/m/report/", report_data(building="", photos=[png()]))
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/m/queue/{ticket.number}/"
    assert ticket.channel == Channel.GRID_PATROL and ticket.requester is None
    assert ticket.area == city.grid_a  # the worker's own grid
    assert ticket.submitted_by == cast.grid_worker_a
    follow = client.get(response["Location"])
    assert follow.status_code == 200 and "提交成功" in html(follow)


def test_a_building_head_reports_too(cast: Any, login: Any) -> None:
    response = login(cast.building_head).post("/m/report/", report_data())
    assert response.status_code == 302
    assert Ticket.objects.get().channel == Channel.GRID_PATROL


# ---------------------------------------------------------------------------------------------
# 我的诉求


def test_my_requests_start_empty(cast: Any, login: Any) -> None:
    page = login(cast.resident).get("/m/requests/")
    assert page.status_code == 200
    assert "您还没有提交过诉求。" in html(page) and "/m/report/" in html(page)


def test_my_requests_newest_first_and_only_mine(
    cast: Any, people: Any, login: Any, submit: Any, django_assert_max_num_queries: Any
) -> None:
    other = submit(actor=other_resident(), description="别人的诉求")
    mine = [submit(description=f"第 {i} 条") for i in range(6)]
    client = login(cast.resident)
    client.get("/m/")
    # session, user, scope (areas, departments), unread count, page count, the page
    with django_assert_max_num_queries(7):
        page = client.get("/m/requests/")
    text = html(page)
    numbers = re.findall(
        r'data-testid="ticket">\s*<div class="tcard-top"><span class="tnum">([^<]+)', text
    )
    assert numbers == [t.number for t in reversed(mine)]
    assert other.number not in text and "别人的诉求" not in text
    assert "待派单" in text and "垃圾清运不及时" in text
    assert_masked(page.content)


def test_my_requests_cost_the_same_for_more_tickets(
    cast: Any, people: Any, login: Any, submit: Any, advance: Any, django_assert_num_queries: Any
) -> None:
    client = login(cast.resident)
    client.get("/m/")
    advance(submit(), "dispatched")
    # A resident holds no scope: no scope queries (5, not 7).
    with django_assert_num_queries(5):
        client.get("/m/requests/")
    for _ in range(8):
        advance(submit(), "resolved")
    with django_assert_num_queries(5):
        client.get("/m/requests/")


def test_the_detail_shows_the_timeline_and_deadlines(
    cast: Any, people: Any, login: Any, submit: Any, advance: Any
) -> None:
    ticket = advance(submit(photos=[png()]), "in_progress")
    client = login(cast.resident)
    page = client.get(f"/m/requests/{ticket.number}/")
    text = html(page)
    assert page.status_code == 200
    assert ticket.number in text and "办理中" in text
    assert "东一社区A网格" in text  # the handling unit
    assert "响应时限" in text and "办结时限" in text
    for kind in ("提交", "派单", "签收", "联系诉求人"):
        assert kind in text
    assert "已电话联系" in text and "方式：电话联系" in text
    photo = TicketPhoto.objects.get()
    assert f"/tickets/photos/{photo.pk}/" in text
    assert "评价办理结果" not in text  # not resolved yet
    assert_masked(page.content)


def test_another_residents_request_is_not_found(
    cast: Any, people: Any, login: Any, submit: Any
) -> None:
    ticket = submit(actor=other_resident())
    client = login(cast.resident)
    assert client.get(f"/m/requests/{ticket.number}/").status_code == 404
    assert client.post(f"/m/requests/{ticket.number}/", {"action": "reopen"}).status_code == 404
    assert client.get("/m/requests/GR-20990101-999999/").status_code == 404


def test_a_resident_rates_a_resolved_request(
    cast: Any, people: Any, login: Any, submit: Any, advance: Any
) -> None:
    ticket = advance(submit(), "resolved")
    client = login(cast.resident)
    text = html(client.get(f"/m/requests/{ticket.number}/"))
    assert "评价办理结果" in text and "申请重新办理" in text
    response = client.post(
        f"/m/requests/{ticket.number}/",
        {
            "action": "review",
            "review-contacted": "1",
            "review-solved": "1",
            "review-satisfaction": "basic",
            "review-comment": "挺及时",
        },
        follow=True,
    )
    ticket.refresh_from_db()
    review = Review.objects.get()
    assert ticket.state == TicketState.CLOSED
    assert (review.contacted, review.solved, review.satisfaction) == (True, True, "basic")
    assert review.by_requester and review.comment == "挺及时"
    assert "感谢您的评价，这条诉求已结案。" in html(response)
    assert "基本满意" in html(response)


def test_a_rating_with_missing_answers_changes_nothing(
    cast: Any, people: Any, login: Any, submit: Any, advance: Any
) -> None:
    ticket = advance(submit(), "resolved")
    response = login(cast.resident).post(
        f"/m/requests/{ticket.number}/",
        {"action": "review", "review-contacted": "1", "review-comment": "x"},
    )
    text = html(response)
    assert response.status_code == 400
    assert "请选择问题是否解决。" in text and "请选择满意、基本满意或不满意。" in text
    ticket.refresh_from_db()
    assert ticket.state == TicketState.RESOLVED and not Review.objects.exists()


def test_not_solved_sends_it_back(
    cast: Any, people: Any, login: Any, submit: Any, advance: Any
) -> None:
    ticket = advance(submit(), "resolved")
    response = login(cast.resident).post(
        f"/m/requests/{ticket.number}/",
        {
            "action": "review",
            "review-contacted": "1",
            "review-solved": "0",
            "review-satisfaction": "unsatisfied",
        },
        follow=True,
    )
    ticket.refresh_from_db()
    assert ticket.state == TicketState.DISPATCHED and ticket.reopen_count == 1
    assert "已转回承办单位重新办理" in html(response)


def test_a_resident_reopens_a_closed_request(
    cast: Any, people: Any, login: Any, submit: Any, advance: Any
) -> None:
    ticket = advance(submit(), "closed")
    client = login(cast.resident)
    url = f"/m/requests/{ticket.number}/"
    refused = client.post(url, {"action": "reopen", "reopen-reason": " "})
    assert refused.status_code == 400 and "请填写重办理由。" in html(refused)
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CLOSED
    response = client.post(url, {"action": "reopen", "reopen-reason": "垃圾又堆满了"})
    ticket.refresh_from_db()
    assert response.status_code == 302
    assert ticket.state == TicketState.DISPATCHED and ticket.reopen_count == 1


def test_an_action_the_state_does_not_allow_changes_nothing(
    cast: Any, people: Any, login: Any, submit: Any, advance: Any
) -> None:
    ticket = advance(submit(), "dispatched")
    client = login(cast.resident)
    data = {
        "action": "review",
        "review-contacted": "1",
        "review-solved": "1",
        "review-satisfaction": "satisfied",
    }
    response = client.post(f"/m/requests/{ticket.number}/", data, follow=True)
    assert "工单状态已变化" in html(response)
    ticket.refresh_from_db()
    assert ticket.state == TicketState.DISPATCHED and not Review.objects.exists()
    assert client.post(f"/m/requests/{ticket.number}/", {"action": "x"}).status_code == 400


def test_a_merged_request_links_to_the_one_handled(
    cast: Any, people: Any, login: Any, submit: Any
) -> None:
    survivor = submit(actor=other_resident(), description="同一堆垃圾")
    duplicate = submit()
    s.ticket_merge(actor=cast.street_dispatcher, ticket=duplicate, into=survivor)
    client = login(cast.resident)
    text = html(client.get(f"/m/requests/{duplicate.number}/"))
    assert "已合并处理" in text and f"/m/requests/{survivor.number}/" in text
    listed = html(client.get("/m/requests/"))
    assert survivor.number in listed and "已合并关注" in listed
    assert client.get(f"/m/requests/{survivor.number}/").status_code == 200


def test_the_resident_sees_no_internal_traffic(
    cast: Any, people: Any, login: Any, submit: Any, advance: Any
) -> None:
    ticket = advance(submit(), "dispatched")
    s.ticket_request_extension(
        actor=cast.grid_worker_a, ticket=ticket, reason="需协调物业", working_days=3
    )
    s.ticket_supervise(actor=cast.street_leader, ticket=ticket, note="抓紧办理")
    text = html(login(cast.resident).get(f"/m/requests/{ticket.number}/"))
    assert "需协调物业" not in text and "抓紧办理" not in text
    # An approved extension is told to the requester, with the new deadline.
    s.ticket_decide_extension(actor=cast.street_dispatcher, ticket=ticket, approve=True)
    ticket.refresh_from_db()
    text = html(login(cast.resident).get(f"/m/requests/{ticket.number}/"))
    assert "同意延期" in text
    assert f"新的办结时限：{timezone.localtime(ticket.resolve_by):%Y-%m-%d %H:%M}" in text


# ---------------------------------------------------------------------------------------------
# 我的待办


def test_the_queue_puts_overdue_first(
    cast: Any,
    people: Any,
    login: Any,
    submit: Any,
    advance: Any,
    django_assert_max_num_queries: Any,
) -> None:
    start = timezone.now()
    with time_machine.travel(start - timedelta(days=2), tick=False):
        late = advance(submit(description="两天前的"), "dispatched")
    with time_machine.travel(start - timedelta(minutes=90), tick=False):
        warning = advance(submit(category=EMERGENCY, description="电梯困人"), "in_progress")
    calm = advance(submit(), "dispatched")
    elsewhere = advance(submit(), "dispatched", to=cast.street_dispatcher.scope_areas.get())
    client = login(cast.grid_worker_a)
    client.get("/m/queue/")
    # session, user, OTP device, scope (areas, departments), the rows with the counts, unread
    # count
    with time_machine.travel(start, tick=False), django_assert_max_num_queries(7):
        page = client.get("/m/queue/")
    text = html(page)
    assert page.status_code == 200
    numbers = re.findall(r'href="/m/queue/([^/]+)/"', text)
    assert numbers == [late.number, warning.number, calm.number]
    assert elsewhere.number not in text  # handled by the street, not the grid
    cards = re.findall(r'<a class="tcard ([a-z]*)"', text)
    assert cards == ["overdue", "warning", ""]
    assert "响应超期 1 天" in text and "办结剩 30 分钟" in text
    assert re.search(r'data-testid="overdue">1<', text)
    assert re.search(r'data-testid="warning">1<', text)
    assert re.search(r'data-testid="total">3<', text)
    assert "/m/report/" in text  # 巡查上报


def test_the_queue_costs_the_same_for_more_tickets(
    cast: Any, people: Any, login: Any, submit: Any, advance: Any, django_assert_num_queries: Any
) -> None:
    client = login(cast.grid_worker_a)
    client.get("/m/queue/")
    advance(submit(), "dispatched")
    with django_assert_num_queries(7):
        client.get("/m/queue/")
    for _ in range(8):
        advance(submit(), "in_progress")
    with django_assert_num_queries(7):
        client.get("/m/queue/")


def test_the_queue_is_the_units_own(
    cast: Any, people: Any, login: Any, submit: Any, advance: Any
) -> None:
    ticket = advance(submit(), "dispatched")
    assert ticket.number in html(login(cast.grid_worker_a).get("/m/queue/"))
    page = login(cast.grid_worker_b).get("/m/queue/")
    assert ticket.number not in html(page) and "暂时没有待办的工单。" in html(page)


# ---------------------------------------------------------------------------------------------
# 办理


def test_the_handling_page_masks_the_contact(
    cast: Any, people: Any, login: Any, submit: Any, advance: Any
) -> None:
    ticket = advance(submit(photos=[png()]), "dispatched")
    page = login(cast.grid_worker_a).get(f"/m/queue/{ticket.number}/")
    text = html(page)
    assert page.status_code == 200
    assert "138****8000" in text and "张阿姨" in text
    assert "签收" in text and "登记联系诉求人" in text and "退单" in text
    assert "办结</summary>" not in text  # not before the requester was contacted
    assert f"/tickets/photos/{TicketPhoto.objects.get().pk}/" in text
    assert "诉求人" in text and cast.resident.username not in text
    assert_masked(page.content)


def test_an_anonymous_requester_stays_hidden(
    cast: Any, people: Any, login: Any, submit: Any, advance: Any
) -> None:
    ticket = advance(submit(anonymous=True), "dispatched")
    text = html(login(cast.grid_worker_a).get(f"/m/queue/{ticket.number}/"))
    assert "诉求人要求对办理人员保密联系方式。" in text
    assert "138****8000" not in text and "张阿姨" not in text
    assert cast.resident.username not in text


def test_a_grid_worker_accepts_responds_and_resolves(
    cast: Any, people: Any, login: Any, submit: Any, advance: Any
) -> None:
    ticket = advance(submit(), "dispatched")
    client = login(cast.grid_worker_a)
    url = f"/m/queue/{ticket.number}/"

    response = client.post(url, {"action": "accept"}, follow=True)
    ticket.refresh_from_db()
    assert ticket.state == TicketState.ACCEPTED and "已签收" in html(response)

    client.post(url, {"action": "respond", "respond-method": "visit", "respond-note": "已上门"})
    ticket.refresh_from_db()
    assert ticket.state == TicketState.IN_PROGRESS and ticket.responded_at is not None

    response = client.post(
        url,
        {"action": "resolve", "resolve-result": "已清运干净。", "resolve-photos": [png()]},
        follow=True,
    )
    ticket.refresh_from_db()
    event = ticket.events.get(kind=EventKind.RESOLVED)
    assert ticket.state == TicketState.RESOLVED
    assert event.note == "已清运干净。" and event.photos.count() == 1
    text = html(response)
    assert "已办结，等待诉求人评价。" in text
    assert f"/tickets/photos/{event.photos.get().pk}/" in text


def test_a_respond_without_a_method_changes_nothing(
    cast: Any, people: Any, login: Any, submit: Any, advance: Any
) -> None:
    ticket = advance(submit(), "dispatched")
    response = login(cast.grid_worker_a).post(
        f"/m/queue/{ticket.number}/", {"action": "respond", "respond-note": "打过电话"}
    )
    text = html(response)
    assert response.status_code == 400 and "请选择联系方式。" in text
    assert "打过电话" in text  # kept
    ticket.refresh_from_db()
    assert ticket.state == TicketState.DISPATCHED


def test_a_resolution_photo_must_be_an_image(
    cast: Any, people: Any, login: Any, submit: Any, advance: Any
) -> None:
    ticket = advance(submit(), "in_progress")
    fake = SimpleUploadedFile("x.jpg", b"GIF89a nope", content_type="image/jpeg")
    response = login(cast.grid_worker_a).post(
        f"/m/queue/{ticket.number}/",
        {"action": "resolve", "resolve-result": "好了", "resolve-photos": [fake]},
    )
    assert response.status_code == 400 and "第 1 张不是可识别的图片" in html(response)
    ticket.refresh_from_db()
    assert ticket.state == TicketState.IN_PROGRESS and not TicketPhoto.objects.exists()


def test_a_grid_worker_returns_a_ticket(
    cast: Any, people: Any, login: Any, submit: Any, advance: Any
) -> None:
    ticket = advance(submit(), "dispatched")
    client = login(cast.grid_worker_a)
    url = f"/m/queue/{ticket.number}/"
    refused = client.post(url, {"action": "return", "return-reason": ""})
    assert refused.status_code == 400 and "请填写退单理由。" in html(refused)
    response = client.post(url, {"action": "return", "return-reason": "属于物业管理范围"})
    ticket.refresh_from_db()
    assert response["Location"] == "/m/queue/"
    assert ticket.state == TicketState.SUBMITTED and ticket.return_count == 1


def test_a_grid_worker_asks_for_more_time(
    cast: Any, people: Any, login: Any, submit: Any, advance: Any
) -> None:
    ticket = advance(submit(), "in_progress")
    client = login(cast.grid_worker_a)
    url = f"/m/queue/{ticket.number}/"
    refused = client.post(
        url, {"action": "extend", "extend-reason": "等配件", "extend-working_days": "11"}
    )
    assert refused.status_code == 400 and "延期须为 1 至 10 个工作日。" in html(refused)
    assert not Extension.objects.exists()
    client.post(url, {"action": "extend", "extend-reason": "等配件", "extend-working_days": "3"})
    extension = Extension.objects.get()
    assert extension.working_days == 3 and extension.status == "pending"
    text = html(client.get(url))
    assert "延期 3 个工作日的申请正在审批。" in text and "act-extend" not in text


def test_a_grid_worker_answers_a_supervision(
    cast: Any, people: Any, login: Any, submit: Any, advance: Any
) -> None:
    ticket = advance(submit(), "in_progress")
    s.ticket_supervise(actor=cast.street_leader, ticket=ticket, note="居民反映多次，抓紧")
    client = login(cast.grid_worker_a)
    url = f"/m/queue/{ticket.number}/"
    assert "居民反映多次，抓紧" in html(client.get(url))
    client.post(url, {"action": "answer-supervision", "answer-supervision-note": "明天上午清运"})
    ticket.refresh_from_db()
    assert ticket.supervision_answered_at is not None


def test_an_action_not_available_changes_nothing(
    cast: Any, people: Any, login: Any, submit: Any, advance: Any
) -> None:
    ticket = advance(submit(), "dispatched")
    client = login(cast.grid_worker_a)
    url = f"/m/queue/{ticket.number}/"
    response = client.post(url, {"action": "resolve", "resolve-result": "好了"}, follow=True)
    assert "工单状态已变化" in html(response)
    ticket.refresh_from_db()
    assert ticket.state == TicketState.DISPATCHED
    assert client.post(url, {"action": "dispatch"}).status_code == 400


@pytest.mark.parametrize("who", ["grid_worker_b", "outsider"])
def test_another_scopes_ticket_is_not_found(
    cast: Any, people: Any, login: Any, submit: Any, advance: Any, who: str
) -> None:
    ticket = advance(submit(), "dispatched")
    client = login(getattr(cast, who))
    assert client.get(f"/m/queue/{ticket.number}/").status_code == 404
    assert client.post(f"/m/queue/{ticket.number}/", {"action": "accept"}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.state == TicketState.DISPATCHED


def test_the_handling_page_costs_a_bounded_number_of_queries(
    cast: Any,
    people: Any,
    login: Any,
    submit: Any,
    advance: Any,
    django_assert_max_num_queries: Any,
) -> None:
    ticket = advance(submit(photos=[png(), png()]), "in_progress")
    client = login(cast.grid_worker_a)
    client.get("/m/queue/")
    # session, user, OTP device, scope (2), ticket, pending extension, events, every photo,
    # the return deadline's calendar, unread count
    with django_assert_max_num_queries(11):
        assert client.get(f"/m/queue/{ticket.number}/").status_code == 200


def test_no_return_after_the_return_window(
    cast: Any, people: Any, login: Any, submit: Any, advance: Any
) -> None:
    with time_machine.travel(timezone.now() - timedelta(days=10), tick=False):
        ticket = advance(submit(), "in_progress")
    client = login(cast.grid_worker_a)
    url = f"/m/queue/{ticket.number}/"
    text = html(client.get(url))
    assert "act-return" not in text and "act-resolve" in text
    # The return is no longer offered; a stale form posting it changes nothing.
    refused = client.post(url, {"action": "return", "return-reason": "不归我们管"})
    assert refused.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == TicketState.IN_PROGRESS


def test_a_patrol_report_waits_for_dispatch(cast: Any, login: Any, submit: Any) -> None:
    ticket = submit(actor=cast.grid_worker_a, channel="grid_patrol")
    text = html(login(cast.grid_worker_a).get(f"/m/queue/{ticket.number}/"))
    assert "工单等待派单" in text and "act-" not in text
    assert "巡查发现的问题，没有诉求人。" in text
