"""The 吹哨报到 workbench pages: the board, blowing (alone and on a ticket), the department's
inbox, a whistle's detail with every action form, the flags, the league table, the photos, and
the navigation and ticket-page links that lead to them.

On the standard city: the street leader of S1 blows (an emergency, summoning the district's
区城管委 and the street's 东街道执法队) unless told otherwise; `department_officer` serves
区城管委 and `officer_s1` 东街道执法队.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from grassroots.accounts.models import Role
from grassroots.core.errors import Conflict
from grassroots.core.models import AuditEntry
from grassroots.tickets.photos import clean_photo
from grassroots.whistles import services as ws
from grassroots.whistles.models import (
    DepartmentRating,
    Flag,
    FlagKind,
    FlagState,
    Summons,
    SummonsState,
    Whistle,
    WhistleEvent,
    WhistlePhoto,
    WhistleRating,
    WhistleState,
)
from grassroots.whistles.sweep import sweep_whistles
from tests.conftest import make_user
from tests.tickets.conftest import png_bytes

LOCAL = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 24, 10, 0, tzinfo=LOCAL)  # a Tuesday

BOARD = "/workbench/whistles/"
NEW = "/workbench/whistles/new/"
INBOX = "/workbench/whistles/inbox/"
FLAGS = "/workbench/whistles/flags/"
LEAGUE = "/workbench/whistles/league/"

WHISTLE_SIDE = ["street_leader", "street_dispatcher", "community_secretary", "community_staff"]
NOT_READERS = [
    "resident",
    "grid_worker_a",
    "building_head",
    "member_unit_contact",
    "system_admin",
    "security_admin",
    "audit_admin",
]


def detail_url(whistle: Whistle) -> str:
    return f"/workbench/whistles/{whistle.number}/"


def html(response: Any) -> str:
    return response.content.decode()


def errors_in(page: str) -> str:
    """The text of every error list and form-level alert on a page."""
    lists = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', page, re.S)
    alerts = re.findall(r'<div class="alert alert-error"[^>]*>(.*?)</div>', page, re.S)
    return " ".join(lists + alerts)


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def summons_of(whistle: Whistle, department: Any) -> Summons:
    return Summons.objects.select_related("whistle", "department").get(
        whistle=whistle, department=department
    )


def snapshot(whistle: Whistle) -> tuple[Any, ...]:
    """What a refused action must leave as it was."""
    fresh = Whistle.objects.get(pk=whistle.pk)
    return (
        fresh.state,
        tuple(fresh.summonses.order_by("pk").values_list("state", "report_mode", "closed_at")),
        WhistleEvent.objects.filter(whistle=whistle).count(),
        WhistlePhoto.objects.filter(whistle=whistle).count(),
        DepartmentRating.objects.filter(summons__whistle=whistle).count(),
        WhistleRating.objects.filter(whistle=whistle).count(),
        Flag.objects.count(),
    )


def act(client: Client, whistle: Whistle, action: str, department: Any = None, **data: Any) -> Any:
    if department is not None:
        data["department"] = department.pk
    return client.post(detail_url(whistle), {"action": action, **data})


def report_in(officer: Any, whistle: Whistle, department: Any) -> None:
    ws.summons_report_in(
        actor=officer, summons=summons_of(whistle, department), mode="on_site", commitment="马上到"
    )


@pytest.fixture
def s2_leader(city: Any) -> Any:
    return make_user(Role.STREET_LEADER, "s2_leader", areas=[city.s2])


@pytest.fixture
def officer_s2(city: Any) -> Any:
    return make_user(Role.DEPARTMENT_OFFICER, "s2_officer", departments=[city.dept_s2])


def warm(client: Client) -> Client:
    client.get("/workbench/")  # the first request writes the session
    return client


def count_queries(client: Client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


# --- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [BOARD, NEW, INBOX, FLAGS, LEAGUE, "/workbench/whistles/WS-20260101-000001/",
     "/workbench/whistles/photos/1/"],
)  # fmt: skip
def test_it_requires_login(city: Any, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("role", "path"),
    [
        *[(role, BOARD) for role in NOT_READERS],
        *[(role, NEW) for role in ["street_dispatcher", "community_staff", "department_officer",
                                   "grid_worker_a", "resident", "system_admin"]],
        *[(role, INBOX) for role in [*WHISTLE_SIDE, "grid_worker_a", "resident"]],
        *[(role, FLAGS) for role in ["street_dispatcher", "community_secretary", "community_staff",
                                     "grid_worker_a", "audit_admin"]],
        *[(role, LEAGUE) for role in NOT_READERS],
    ],
)  # fmt: skip
def test_wrong_roles_get_403(cast: Any, login: Any, role: str, path: str) -> None:
    response = login(getattr(cast, role)).get(path)
    assert response.status_code == 403
    assert "没有权限" in html(response)


@pytest.mark.parametrize("role", NOT_READERS)
def test_a_whistle_is_not_for_other_roles(cast: Any, login: Any, blow: Any, role: str) -> None:
    whistle = blow()
    assert login(getattr(cast, role)).get(detail_url(whistle)).status_code == 403


def test_another_scopes_whistle_is_404(
    cast: Any, city: Any, login: Any, blow: Any, s2_leader: Any, officer_s2: Any
) -> None:
    whistle = blow(departments=[city.dept_s1.pk])  # 区城管委 not summoned
    before = snapshot(whistle)
    for user in (cast.outsider, s2_leader, officer_s2, cast.department_officer):
        client = login(user)
        assert client.get(detail_url(whistle)).status_code == 404
        assert act(client, whistle, "confirm").status_code == 404
    # A whistle blown by the street is the street's, not one community's.
    assert login(cast.community_staff).get(detail_url(whistle)).status_code == 404
    assert login(cast.street_dispatcher).get(detail_url(whistle)).status_code == 200
    assert snapshot(whistle) == before
    missing = "/workbench/whistles/WS-20990101-000009/"
    assert login(cast.street_leader).get(missing).status_code == 404


def test_a_department_that_was_not_summoned_is_404_in_a_post(
    cast: Any, city: Any, login: Any, blow: Any
) -> None:
    whistle = blow(departments=[city.dept_s1.pk])
    response = act(login(cast.street_leader), whistle, "release", city.dept_s2, note="不对")
    assert response.status_code == 404
    response = act(login(cast.street_leader), whistle, "release", None, note="没有部门")
    assert response.status_code == 404


def test_an_unknown_action_is_400(cast: Any, login: Any, blow: Any) -> None:
    whistle = blow()
    assert act(login(cast.street_leader), whistle, "explode").status_code == 400


# --- the board -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", WHISTLE_SIDE)
def test_the_whistling_side_opens_the_board(cast: Any, login: Any, role: str) -> None:
    page = html(login(getattr(cast, role)).get(BOARD))
    assert "吹哨报到" in page and "目前没有进行中的吹哨" in page
    shows_button = 'data-testid="blow"' in page
    assert shows_button == (role in ("street_leader", "community_secretary"))


@pytest.mark.parametrize("who", ["department_officer", "department_head"])
def test_department_staff_opening_the_board_go_to_their_inbox(
    cast: Any, login: Any, department_head: Any, who: str
) -> None:
    user = department_head if who == "department_head" else cast.department_officer
    response = login(user).get(BOARD)
    assert response.status_code == 302 and response["Location"] == INBOX


def test_the_board_shows_each_departments_answer_and_clock(
    cast: Any, city: Any, login: Any, blow: Any, officer_s1: Any
) -> None:
    with time_machine.travel(START, tick=False):
        whistle = blow(title="水管爆裂抢修")
    with time_machine.travel(START + timedelta(minutes=10), tick=False):
        client = login(cast.street_leader)
        page = html(client.get(BOARD))
        report_in(officer_s1, whistle, city.dept_s1)
        after = html(client.get(BOARD))
    assert "水管爆裂抢修" in page and "应急哨" in page and "ws-kind-emergency" in page
    assert page.count(">待报到<") == 2 and "剩余 20 分钟" in page and "时限 11-24 10:30" in page
    assert ">已报到<" in after and "11-24 10:10 到现场" in after
    with time_machine.travel(START + timedelta(minutes=45), tick=False):
        late = html(login(cast.street_leader).get(BOARD))
    assert ">超时未报到<" in late and "已超 15 分钟" in late
    # Solved: below, under 近期已解决.
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        ws.whistle_confirm(actor=cast.street_leader, whistle=whistle, note="已修复")
        solved = html(login(cast.street_leader).get(BOARD))
    assert "目前没有进行中的吹哨" in solved
    assert solved.index("近期已解决") < solved.index("水管爆裂抢修")
    assert ">已解决<" in solved and ">已放行<" in solved


def test_the_board_shows_only_the_territorys_whistles(
    cast: Any, city: Any, login: Any, blow: Any
) -> None:
    blow(title="东街道的事")
    blow(actor=cast.community_secretary, title="东一社区的事", departments=[city.dept_s1.pk])
    street = html(login(cast.street_dispatcher).get(BOARD))
    assert "东街道的事" in street and "东一社区的事" in street
    community = html(login(cast.community_staff).get(BOARD))
    assert "东街道的事" not in community and "东一社区的事" in community
    other = html(login(cast.outsider).get(BOARD))
    assert "东街道的事" not in other and "东一社区的事" not in other


def test_the_board_costs_the_same_for_2_or_8_whistles(
    cast: Any, login: Any, blow: Any, django_assert_max_num_queries: Any
) -> None:
    client = warm(login(cast.street_leader))
    ws.whistle_confirm(actor=cast.street_leader, whistle=blow())
    blow()
    few = count_queries(client, BOARD)
    for _i in range(6):
        ws.whistle_confirm(actor=cast.street_leader, whistle=blow())
        blow()
    assert count_queries(client, BOARD) == few
    with django_assert_max_num_queries(13):
        client.get(BOARD)


# --- blowing ---------------------------------------------------------------------------------


def test_the_blow_form_offers_kinds_reasons_and_the_departments_nearby(
    cast: Any, login: Any
) -> None:
    page = html(login(cast.street_leader).get(NEW))
    for text in (
        "应急哨（30 分钟内报到）",
        "攻坚哨（24 小时内报到）",
        "日常哨（2 个工作日内报到）",
        "群众诉求街道解决不了",
        "综合执法",
        "应急处置",
        "区城管委",
        "东街道执法队",
    ):
        assert text in page, text
    assert "西街道执法队" not in page
    assert 'enctype="multipart/form-data"' in page


def test_blowing_on_a_ticket_prefills_from_it(cast: Any, login: Any, submit: Any) -> None:
    ticket = submit(description="东门垃圾堆了一周", address="东一1号楼东门")
    page = html(login(cast.street_leader).get(f"{NEW}?ticket={ticket.number}"))
    assert ticket.number in page and 'data-testid="ticket"' in page
    assert "东门垃圾堆了一周</textarea>" in page
    assert 'value="东一1号楼东门"' in page and 'value="垃圾清运不及时"' in page
    assert f'name="ticket" value="{ticket.number}"' in page


def test_blowing_on_another_scopes_ticket_is_404(
    cast: Any, login: Any, submit: Any, s2_leader: Any
) -> None:
    ticket = submit()
    client = login(s2_leader)
    assert client.get(f"{NEW}?ticket={ticket.number}").status_code == 404
    assert client.get(f"{NEW}?ticket=GR-20990101-000001").status_code == 404


def blow_data(city: Any, **kw: Any) -> dict[str, Any]:
    data = {
        "kind": "emergency",
        "reason": "emergency",
        "title": "",
        "description": "东一1号楼下水管爆裂，路面积水。",
        "address": "东一1号楼下",
        "departments": [city.dept_district.pk, city.dept_s1.pk],
    }
    data.update(kw)
    return data


def test_blowing_a_whistle_on_a_ticket(
    cast: Any, city: Any, login: Any, submit: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = submit()
    client = login(cast.street_leader)
    picture = SimpleUploadedFile("scene.png", png_bytes(), content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            NEW, blow_data(city, ticket=ticket.number, title="水管爆裂", photos=[picture])
        )
    whistle = Whistle.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(whistle)
    assert messages_of(response) == [f"{whistle.number} 已吹哨，已通知 2 个部门报到。"]
    assert whistle.ticket == ticket and whistle.title == "水管爆裂" and whistle.kind == "emergency"
    assert set(whistle.summonses.values_list("department", flat=True)) == {
        city.dept_district.pk, city.dept_s1.pk,
    }  # fmt: skip
    assert WhistlePhoto.objects.filter(whistle=whistle).count() == 1
    page = html(client.get(response["Location"]))
    assert "水管爆裂" in page and f"/workbench/tickets/{ticket.number}/" in page
    assert "/workbench/whistles/photos/" in page


def test_a_community_secretary_blows_alone(cast: Any, city: Any, login: Any) -> None:
    response = login(cast.community_secretary).post(
        NEW, blow_data(city, kind="routine", reason="beyond_street", departments=[city.dept_s1.pk])
    )
    assert response.status_code == 302
    whistle = Whistle.objects.get()
    assert whistle.area == city.c1 and whistle.street == city.s1 and whistle.ticket is None


def test_a_refused_blow_says_why_under_each_field_and_saves_nothing(
    cast: Any, city: Any, login: Any
) -> None:
    client = login(cast.street_leader)
    response = client.post(NEW, blow_data(city, kind="", description="", departments=[]))
    assert response.status_code == 400
    errors = errors_in(html(response))
    assert "请选择哨类：日常哨、攻坚哨或应急哨。" in errors
    assert "请填写情况说明。" in errors and "请至少选择一个要召集的部门。" in errors
    # The service's own checks: another street's department, a title too long.
    response = client.post(NEW, blow_data(city, departments=[city.dept_s2.pk]))
    assert response.status_code == 400
    assert "所选部门不存在、已停用或不在本区。" in errors_in(html(response))
    response = client.post(NEW, blow_data(city, title="长" * 101, address="长" * 201))
    assert response.status_code == 400
    errors = errors_in(html(response))
    assert "事项不能超过 100 个字。" in errors and "地点不能超过 200 个字。" in errors
    response = client.post(
        NEW,
        blow_data(
            city, photos=[SimpleUploadedFile("x.png", b"not an image", content_type="image/png")]
        ),
    )
    assert response.status_code == 400
    assert "第 1 张不是可识别的图片" in errors_in(html(response))
    assert not Whistle.objects.exists() and not Summons.objects.exists()
    assert not WhistlePhoto.objects.exists()
    assert not AuditEntry.objects.filter(action="whistles.blow").exists()


def test_a_closed_ticket_cannot_be_whistled_on(
    cast: Any, city: Any, login: Any, submit: Any, advance: Any
) -> None:
    ticket = advance(submit(), "closed")
    response = login(cast.street_leader).post(NEW, blow_data(city, ticket=ticket.number))
    assert response.status_code == 400
    assert "工单已办结或关闭，不能再为它吹哨。" in errors_in(html(response))
    assert not Whistle.objects.exists()


def test_the_blow_form_costs_a_few_queries(
    cast: Any, login: Any, submit: Any, django_assert_max_num_queries: Any
) -> None:
    ticket = submit()
    client = warm(login(cast.street_leader))
    with django_assert_max_num_queries(10):
        assert client.get(f"{NEW}?ticket={ticket.number}").status_code == 200


# --- the inbox -------------------------------------------------------------------------------


def test_the_inbox_lists_the_departments_summonses(
    cast: Any, city: Any, login: Any, blow: Any, officer_s1: Any, department_head: Any
) -> None:
    with time_machine.travel(START, tick=False):
        waiting = blow(title="等待报到的事")
        handled = blow(title="正在处置的事")
        report_in(cast.department_officer, handled, city.dept_district)
        ended = blow(title="已经解决的事")
        report_in(cast.department_officer, ended, city.dept_district)
        ws.whistle_confirm(actor=cast.street_leader, whistle=ended)
        only_s1 = blow(title="只召集执法队", departments=[city.dept_s1.pk])
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        response = login(cast.department_officer).get(INBOX)
    page = html(response)
    assert page.index("等待报到的事") < page.index("正在处置的事") < page.index("已经解决的事")
    assert "只召集执法队" not in page and "剩余 25 分钟" in page
    assert f"{detail_url(waiting)}#report_in-{city.dept_district.pk}" in page
    assert f"{detail_url(handled)}#act-{city.dept_district.pk}" in page
    assert ended.number in page and only_s1.number not in page
    head = html(login(department_head).get(INBOX))
    assert "等待报到的事" in head
    s1 = html(login(officer_s1).get(INBOX))
    assert "只召集执法队" in s1 and "等待报到的事" in s1


def test_the_inbox_costs_the_same_for_2_or_8_summonses(
    cast: Any, login: Any, blow: Any, django_assert_max_num_queries: Any
) -> None:
    client = warm(login(cast.department_officer))
    blow()
    blow()
    few = count_queries(client, INBOX)
    for _i in range(6):
        blow()
    assert count_queries(client, INBOX) == few
    with django_assert_max_num_queries(12):
        client.get(INBOX)


# --- the detail ------------------------------------------------------------------------------


def test_the_whistler_sees_the_facts_the_departments_and_their_forms(
    cast: Any, city: Any, login: Any, blow: Any, submit: Any
) -> None:
    ticket = submit()
    whistle = blow(ticket=ticket, title="水管爆裂")
    report_in(cast.department_officer, whistle, city.dept_district)
    page = html(login(cast.street_leader).get(detail_url(whistle)))
    assert whistle.number in page and "水管爆裂" in page and "应急处置" in page
    assert f"/workbench/tickets/{ticket.number}/" in page
    assert 'data-testid="action-confirm"' in page
    assert page.count('data-testid="action-release"') == 2
    assert page.count('data-testid="action-rate_department"') == 1  # only the one reported in
    assert 'data-testid="action-report_in"' not in page
    assert "马上到" in page and "到现场" in page
    assert page.count('data-testid="event"') == 4  # blown, two summoned, reported in


def test_an_officer_sees_the_report_in_form_for_their_department_only(
    cast: Any, city: Any, login: Any, blow: Any
) -> None:
    whistle = blow()
    page = html(login(cast.department_officer).get(detail_url(whistle)))
    assert page.count('data-testid="action-report_in"') == 1
    assert f'id="report_in-{city.dept_district.pk}"' in page
    assert 'data-testid="action-withdraw"' in page and "未经确认撤离" in page
    assert 'data-testid="action-confirm"' not in page and 'data-testid="action-release"' not in page
    # Their own department's card comes first.
    own, other = f'id="dept-{city.dept_district.pk}"', f'id="dept-{city.dept_s1.pk}"'
    assert page.index(own) < page.index(other)


def test_a_reader_who_is_not_the_whistler_has_no_forms(cast: Any, login: Any, blow: Any) -> None:
    whistle = blow()
    page = html(login(cast.street_dispatcher).get(detail_url(whistle)))
    assert "ws-action" not in page and 'data-testid="action-confirm"' not in page


def test_reporting_in(
    cast: Any, city: Any, login: Any, blow: Any, django_capture_on_commit_callbacks: Any
) -> None:
    whistle = blow()
    client = login(cast.department_officer)
    before = snapshot(whistle)
    response = act(client, whistle, "report_in", city.dept_district, mode="", commitment="")
    assert response.status_code == 400
    errors = errors_in(html(response))
    assert "请选择报到方式：到现场或远程对接。" in errors and "请填写承诺事项。" in errors
    response = act(client, whistle, "report_in", city.dept_district, mode="walk", commitment="到")
    assert response.status_code == 400
    assert snapshot(whistle) == before
    with django_capture_on_commit_callbacks(execute=True):
        response = act(
            client, whistle, "report_in", city.dept_district, mode="on_site", commitment="20 分钟"
        )
    assert response.status_code == 302
    assert response["Location"] == f"{detail_url(whistle)}#dept-{city.dept_district.pk}"
    assert messages_of(response) == ["已报到。请按承诺办理，并随时记录处置情况。"]
    summons = summons_of(whistle, city.dept_district)
    assert summons.state == SummonsState.REPORTED and summons.reported_by == cast.department_officer
    page = html(client.get(response["Location"]))
    assert "20 分钟" in page and 'data-testid="action-act"' in page
    assert 'data-testid="action-report_in"' not in page


def test_reporting_in_a_second_time_says_so_and_changes_nothing(
    cast: Any, city: Any, login: Any, blow: Any, department_head: Any
) -> None:
    whistle = blow()
    client = login(department_head)
    page_before = client.get(detail_url(whistle))  # the head loads the page…
    assert page_before.status_code == 200
    report_in(cast.department_officer, whistle, city.dept_district)  # …a colleague reports in
    before = snapshot(whistle)
    response = act(client, whistle, "report_in", city.dept_district, mode="remote", commitment="好")
    assert response.status_code == 400
    assert "本部门已经报到。" in errors_in(html(response))
    assert snapshot(whistle) == before


def test_a_lost_race_is_409_with_a_message(
    cast: Any, city: Any, login: Any, blow: Any, monkeypatch: Any
) -> None:
    whistle = blow()

    def lost(**kw: Any) -> Any:
        raise Conflict("该召集已被他人处理，请刷新后再试。")

    monkeypatch.setattr(ws, "summons_report_in", lost)
    response = act(
        login(cast.department_officer), whistle, "report_in", city.dept_district,
        mode="on_site", commitment="到",
    )  # fmt: skip
    assert response.status_code == 409
    assert "已被他人处理，请刷新后再看。" in errors_in(html(response))


def test_recording_an_action_with_a_photo(cast: Any, city: Any, login: Any, blow: Any) -> None:
    whistle = blow()
    report_in(cast.department_officer, whistle, city.dept_district)
    client = login(cast.department_officer)
    before = snapshot(whistle)
    response = act(client, whistle, "act", city.dept_district, note="")
    assert response.status_code == 400 and "请填写处置情况。" in errors_in(html(response))
    bad = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    response = act(client, whistle, "act", city.dept_district, note="已关阀", photos=[bad])
    assert response.status_code == 400 and "第 1 张不是可识别的图片" in errors_in(html(response))
    assert snapshot(whistle) == before
    good = SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")
    response = act(client, whistle, "act", city.dept_district, note="已关阀停水", photos=[good])
    assert response.status_code == 302 and messages_of(response) == ["已记录处置情况。"]
    photo = WhistlePhoto.objects.get(event__kind="action")
    page = html(client.get(detail_url(whistle)))
    assert "已关阀停水" in page and f"/workbench/whistles/photos/{photo.pk}/" in page


def test_acting_before_reporting_in_is_refused(cast: Any, city: Any, login: Any, blow: Any) -> None:
    whistle = blow()
    before = snapshot(whistle)
    response = act(login(cast.department_officer), whistle, "act", city.dept_district, note="到了")
    assert response.status_code == 400
    assert "请先报到，再记录处置情况。" in errors_in(html(response))
    assert snapshot(whistle) == before


def test_withdrawing_is_recorded_and_flagged(cast: Any, city: Any, login: Any, blow: Any) -> None:
    whistle = blow()
    client = login(cast.department_officer)
    before = snapshot(whistle)
    response = act(client, whistle, "withdraw", city.dept_district, note=" ")
    assert response.status_code == 400 and "请填写撤离原因。" in errors_in(html(response))
    assert snapshot(whistle) == before
    response = act(client, whistle, "withdraw", city.dept_district, note="不归我们管")
    assert response.status_code == 302
    assert summons_of(whistle, city.dept_district).state == SummonsState.WITHDRAWN
    flag = Flag.objects.get()
    assert flag.kind == FlagKind.WITHDRAWN and flag.department == city.dept_district
    page = html(login(cast.street_leader).get(BOARD))
    assert ">擅自撤离<" in page


def test_rating_the_whistle(cast: Any, city: Any, login: Any, blow: Any) -> None:
    whistle = blow()
    client = login(cast.department_officer)
    before = snapshot(whistle)
    response = act(client, whistle, "rate_whistle", city.dept_district, necessary="", comment="")
    assert response.status_code == 400
    assert "请选择这次吹哨是否确有必要。" in errors_in(html(response))
    response = act(client, whistle, "rate_whistle", city.dept_district, necessary="no", comment="")
    assert response.status_code == 400 and "请填写说明。" in errors_in(html(response))
    assert snapshot(whistle) == before
    response = act(client, whistle, "rate_whistle", city.dept_district, necessary="yes")
    assert response.status_code == 302
    assert WhistleRating.objects.get().necessary is True
    page = html(client.get(detail_url(whistle)))
    assert 'data-testid="action-rate_whistle"' not in page and "确有必要" in page
    # Twice: the service's refusal, on top of the page (the form is no longer offered).
    response = act(client, whistle, "rate_whistle", city.dept_district, necessary="no", comment="x")
    assert response.status_code == 409 and "本部门已经评价过这次吹哨。" in errors_in(html(response))
    assert WhistleRating.objects.count() == 1


def test_releasing_a_department(cast: Any, city: Any, login: Any, blow: Any) -> None:
    whistle = blow()
    client = login(cast.street_leader)
    before = snapshot(whistle)
    response = act(client, whistle, "release", city.dept_s1, note="")
    assert response.status_code == 400 and "请填写放行说明。" in errors_in(html(response))
    assert snapshot(whistle) == before
    response = act(client, whistle, "release", city.dept_s1, note="不需要执法队了")
    assert response.status_code == 302 and messages_of(response) == ["已放行东街道执法队。"]
    assert summons_of(whistle, city.dept_s1).state == SummonsState.RELEASED
    # A report-in after release is refused, on top of the page.
    response = act(
        login(cast.department_officer), whistle, "report_in", city.dept_district,
        mode="on_site", commitment="到",
    )  # fmt: skip
    assert response.status_code == 302  # the other department still may
    officer_s1 = make_user(Role.DEPARTMENT_OFFICER, "s1_officer2", departments=[city.dept_s1])
    response = act(
        login(officer_s1), whistle, "report_in", city.dept_s1, mode="on_site", commitment="到"
    )
    assert response.status_code == 400
    assert "该召集当前为“已放行”，不能报到。" in errors_in(html(response))


def test_rating_a_department(cast: Any, city: Any, login: Any, blow: Any) -> None:
    whistle = blow()
    report_in(cast.department_officer, whistle, city.dept_district)
    client = login(cast.street_leader)
    before = snapshot(whistle)
    response = act(
        client, whistle, "rate_department", city.dept_district, timeliness="6", attitude="",
        result="5",
    )  # fmt: skip
    assert response.status_code == 400
    errors = errors_in(html(response))
    assert "评分须在 1 到 5 分之间。" in errors and "请打 1 到 5 分。" in errors
    # Not reported in yet: refused.
    response = act(
        client, whistle, "rate_department", city.dept_s1, timeliness="5", attitude="5", result="5"
    )
    assert response.status_code == 400
    assert "部门尚未报到，暂不能评价" in errors_in(html(response))
    assert snapshot(whistle) == before
    response = act(
        client, whistle, "rate_department", city.dept_district, timeliness="5", attitude="4",
        result="3", comment="来得快",
    )  # fmt: skip
    assert response.status_code == 302 and messages_of(response) == ["已评价区城管委。"]
    rating = DepartmentRating.objects.get()
    assert (rating.timeliness, rating.attitude, rating.result) == (5, 4, 3)
    assert "及时 5 · 态度 4 · 效果 3" in html(client.get(detail_url(whistle)))


def test_confirming_the_problem_solved(cast: Any, city: Any, login: Any, blow: Any) -> None:
    whistle = blow()
    report_in(cast.department_officer, whistle, city.dept_district)
    client = login(cast.street_leader)
    response = act(client, whistle, "confirm", note="长" * 1001)
    assert response.status_code == 400
    assert "确认说明不能超过 1000 个字。" in errors_in(html(response))
    assert Whistle.objects.get().state == WhistleState.OPEN
    response = act(client, whistle, "confirm", note="已修复，路面已清理")
    assert response.status_code == 302 and response["Location"] == detail_url(whistle)
    assert messages_of(response) == ["已确认问题解决，各部门召集结束。"]
    whistle.refresh_from_db()
    assert whistle.state == WhistleState.SOLVED
    page = html(client.get(detail_url(whistle)))
    assert 'data-testid="state">已解决<' in page and "已修复，路面已清理" in page
    assert 'data-testid="action-confirm"' not in page
    # Once solved, a second confirmation is refused on top of the page.
    response = act(client, whistle, "confirm")
    assert response.status_code == 400 and "这次吹哨已确认解决。" in errors_in(html(response))


@pytest.mark.parametrize(
    ("who", "action", "data"),
    [
        ("department_officer", "confirm", {}),
        ("department_officer", "release", {"note": "我放我自己"}),
        ("street_leader", "report_in", {"mode": "on_site", "commitment": "替他报到"}),
        ("street_dispatcher", "confirm", {"note": "我来确认"}),
    ],
)
def test_the_other_sides_actions_are_403(
    cast: Any, city: Any, login: Any, blow: Any, who: str, action: str, data: dict[str, Any]
) -> None:
    whistle = blow()
    before = snapshot(whistle)
    department = None if action == "confirm" else city.dept_district
    response = act(login(getattr(cast, who)), whistle, action, department, **data)
    assert response.status_code == 403
    assert errors_in(html(response))
    assert snapshot(whistle) == before


def test_the_detail_costs_the_same_with_a_long_timeline(
    cast: Any, city: Any, login: Any, blow: Any, django_assert_max_num_queries: Any
) -> None:
    short = blow()
    long = blow()
    report_in(cast.department_officer, long, city.dept_district)
    summons = summons_of(long, city.dept_district)
    for i in range(5):
        picture = clean_photo(SimpleUploadedFile("a.png", png_bytes()))
        ws.summons_action(
            actor=cast.department_officer, summons=summons, note=f"进展 {i}", photos=[picture]
        )
    ws.department_rate(
        actor=cast.street_leader, summons=summons, timeliness=5, attitude=5, result=5
    )
    for user in (cast.street_leader, cast.department_officer):
        client = warm(login(user))
        assert count_queries(client, detail_url(long)) <= count_queries(client, detail_url(short))
        with django_assert_max_num_queries(16):
            client.get(detail_url(long))


# --- photos ----------------------------------------------------------------------------------


def test_photos_are_served_only_to_those_who_see_the_whistle(
    cast: Any, city: Any, login: Any, blow: Any, officer_s2: Any, bearer: Any
) -> None:
    whistle = blow(photos=[clean_photo(SimpleUploadedFile("a.png", png_bytes()))])
    photo = WhistlePhoto.objects.get()
    path = f"/workbench/whistles/photos/{photo.pk}/"
    for user in (cast.street_leader, cast.department_officer):
        response = login(user).get(path)
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        assert response["Cache-Control"] == "private, max-age=3600"
        assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    for user in (cast.outsider, officer_s2, cast.community_staff, cast.system_admin):
        assert login(user).get(path).status_code == 404
    assert Client().get(path, **bearer(cast.street_leader)).status_code == 200
    assert Client().get(path, **bearer(cast.outsider)).status_code == 404
    assert Client().get(path, HTTP_AUTHORIZATION="Bearer nope").status_code == 404
    assert login(cast.street_leader).get("/workbench/whistles/photos/999999/").status_code == 404
    assert whistle.number


# --- flags -----------------------------------------------------------------------------------


@pytest.fixture
def late_whistle(cast: Any, city: Any, blow: Any) -> Whistle:
    """An emergency whistle where 东街道执法队 missed its deadline and the sweep flagged it."""
    with time_machine.travel(START, tick=False):
        whistle = blow()
        report_in(cast.department_officer, whistle, city.dept_district)
    sweep_whistles(now=START + timedelta(minutes=31))
    return whistle


def test_the_leader_sees_open_flags_and_clears_one(
    cast: Any, city: Any, login: Any, late_whistle: Whistle
) -> None:
    flag = Flag.objects.get()
    assert flag.kind == FlagKind.NO_SHOW and flag.department == city.dept_s1
    client = login(cast.street_leader)
    page = html(client.get(FLAGS))
    assert "超时未报到" in page and "东街道执法队" in page
    assert f"{detail_url(late_whistle)}#dept-{city.dept_s1.pk}" in page
    assert 'data-testid="clear"' in page
    response = client.post(FLAGS, {"flag": flag.pk, "note": ""})
    assert response.status_code == 400 and "请填写核查说明。" in errors_in(html(response))
    assert Flag.objects.get().state == FlagState.OPEN
    response = client.post(FLAGS, {"flag": flag.pk, "note": "已约谈执法队负责人"})
    assert response.status_code == 302 and messages_of(response) == ["已记录核查情况。"]
    flag.refresh_from_db()
    assert flag.state == FlagState.CLEARED and flag.cleared_by == cast.street_leader
    assert "没有待核查的记录" in html(client.get(FLAGS))
    cleared = html(client.get(FLAGS + "?state=cleared"))
    assert "已约谈执法队负责人" in cleared and "s1_leader 于" in cleared
    # Twice: someone else did it first.
    response = client.post(FLAGS, {"flag": flag.pk, "note": "再核查"})
    assert response.status_code == 302 and messages_of(response) == ["这条记录已被他人核查。"]


def test_the_board_shows_the_no_show_and_the_flag_count(
    cast: Any, city: Any, login: Any, late_whistle: Whistle
) -> None:
    with time_machine.travel(START + timedelta(minutes=40), tick=False):
        page = html(login(cast.street_leader).get(BOARD))
    assert ">超时未报到<" in page and 'data-testid="flags-link"' in page
    assert re.search(r'flags-link">推诿扯皮 <span class="tk-badge tk-late">1</span>', page)


def test_a_department_sees_its_own_flags_without_the_form(
    cast: Any, city: Any, login: Any, late_whistle: Whistle, officer_s1: Any
) -> None:
    mine = html(login(officer_s1).get(FLAGS))
    assert "超时未报到" in mine and 'data-testid="clear"' not in mine
    other = html(login(cast.department_officer).get(FLAGS))
    assert "没有待核查的记录" in other
    flag = Flag.objects.get()
    response = login(officer_s1).post(FLAGS, {"flag": flag.pk, "note": "我们核查自己"})
    assert response.status_code == 403
    assert Flag.objects.get().state == FlagState.OPEN


def test_another_streets_leader_cannot_clear_the_flag(
    login: Any, late_whistle: Whistle, s2_leader: Any
) -> None:
    flag = Flag.objects.get()
    client = login(s2_leader)
    assert "没有待核查的记录" in html(client.get(FLAGS))
    assert client.post(FLAGS, {"flag": flag.pk, "note": "越权"}).status_code == 404
    assert client.post(FLAGS, {"flag": "x", "note": "乱填"}).status_code == 404
    assert Flag.objects.get().state == FlagState.OPEN


def test_the_flags_page_costs_the_same_for_1_or_4_flags(
    cast: Any, city: Any, login: Any, blow: Any, django_assert_max_num_queries: Any
) -> None:
    client = warm(login(cast.street_leader))
    with time_machine.travel(START, tick=False):
        blow()
    sweep_whistles(now=START + timedelta(minutes=31))
    few = count_queries(client, FLAGS)
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        blow()
    sweep_whistles(now=START + timedelta(hours=2))
    assert Flag.objects.count() == 4
    assert count_queries(client, FLAGS) == few
    with django_assert_max_num_queries(10):
        client.get(FLAGS + "?state=all")


# --- the league table ------------------------------------------------------------------------


def test_the_league_table_of_the_month(
    cast: Any, city: Any, login: Any, late_whistle: Whistle
) -> None:
    month = "2026-11"
    with time_machine.travel(START + timedelta(days=1), tick=False):
        page = html(login(cast.street_leader).get(f"{LEAGUE}?month={month}"))
        officer = html(login(cast.department_officer).get(f"{LEAGUE}?month={month}"))
        bad = login(cast.street_leader).get(f"{LEAGUE}?month=2026-13")
        future = login(cast.street_leader).get(f"{LEAGUE}?month=2027-01")
    headers = ["被召集", "按时报到率", "平均报到用时（分钟）", "解决占比", "吹哨方评分", "推诿扯皮"]
    assert all(header in page for header in headers)
    # 区城管委 reported in on time (100%), 东街道执法队 missed its deadline (0%, one flag).
    assert page.index("区城管委") < page.index("东街道执法队") and "西街道执法队" not in page
    assert ">100.0%<" in page and ">0.0%<" in page
    assert "本街道吹哨情况" in page and 'data-testid="whistles">1<' in page
    assert "区城管委" in officer and "东街道执法队" not in officer
    assert "本街道吹哨情况" not in officer
    assert bad.status_code == 400
    assert "月份格式应为 YYYY-MM，如 2026-10。" in errors_in(html(bad))
    assert future.status_code == 400 and "不能查询尚未开始的月份。" in errors_in(html(future))


def test_the_league_table_costs_a_few_queries(
    cast: Any, login: Any, blow: Any, django_assert_max_num_queries: Any
) -> None:
    blow()
    client = warm(login(cast.street_leader))
    with django_assert_max_num_queries(16):
        assert client.get(LEAGUE).status_code == 200


# --- navigation and the ticket page ----------------------------------------------------------


def nav_of(page: str) -> str:
    found = re.search(r'<nav class="sidenav".*?</nav>', page, re.S)
    assert found is not None
    return found.group(0)


def test_the_navigation_leads_to_the_board_or_the_inbox(
    cast: Any, login: Any, blow: Any, department_head: Any
) -> None:
    whistle = blow()
    leader = nav_of(html(login(cast.street_leader).get(detail_url(whistle))))
    assert f'href="{BOARD}" class="on">吹哨报到<' in leader and INBOX not in leader
    league = nav_of(html(login(cast.community_staff).get(LEAGUE)))
    assert f'href="{BOARD}" class="on">吹哨报到<' in league
    officer = nav_of(html(login(cast.department_officer).get(detail_url(whistle))))
    assert f'href="{INBOX}" class="on">部门报到<' in officer and f'href="{BOARD}"' not in officer
    for user in (cast.grid_worker_a, cast.member_unit_contact, cast.system_admin):
        page = nav_of(html(login(user).get("/workbench/")))
        assert "/workbench/whistles/" not in page


def test_every_navigation_page_opens_for_a_department_head(
    login: Any, department_head: Any
) -> None:
    client = login(department_head)
    page = html(client.get("/workbench/"))
    links = re.findall(r'<a href="([^"]+)"', nav_of(page))
    assert INBOX in links and "/workbench/tickets/all/" in links
    for link in links:
        assert client.get(link).status_code == 200, link


def test_the_ticket_page_offers_the_whistle_and_lists_its_whistles(
    cast: Any, city: Any, login: Any, submit: Any, blow: Any
) -> None:
    ticket = submit()
    url = f"/workbench/tickets/{ticket.number}/"
    page = html(login(cast.street_leader).get(url))
    assert f'href="{NEW}?ticket={ticket.number}"' in page
    assert 'data-testid="blow"' not in html(login(cast.street_dispatcher).get(url))
    whistle = blow(ticket=ticket, title="水管爆裂")
    page = html(login(cast.street_leader).get(url))
    assert f'href="{detail_url(whistle)}">{whistle.number}</a> 水管爆裂' in page
    # A community's staff see a ticket of their community but not the street's whistle on it.
    community = html(login(cast.community_staff).get(url))
    assert whistle.number in community and f'href="{detail_url(whistle)}"' not in community
