"""The 三率 on a hand-computed October 2026 (Asia/Shanghai), the monthly snapshot and ranking,
GET /api/v1/rates and the rates page.

The month, by handling unit (answers are contacted / solved / satisfaction):

    grid A   t1 Y/Y/满意   t2 Y/Y/基本满意 (responded late)   t3 N/Y/满意
             t4 Y/N/不满意 (reopened)   t5 Y/Y/满意 (its first review, Y/N/基本满意, superseded)
             + an invalid review (seat could not reach), a return, a review on 1 November
    grid B   t6 Y/Y/满意   t7 Y/Y/不满意
    C1       t8 Y/Y/基本满意                       (handled by the community itself)
    S1       t9 N/Y/满意                           (handled by the street itself)
    区城管委  t10 Y/Y/满意 (reviewed 31 October 23:30 +08:00)   t11 Y/N/基本满意
    S2       t12 Y/Y/满意 on grid W
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grassroots.accounts.models import Role
from grassroots.core.errors import ValidationFailed
from grassroots.territory.models import AreaKind
from grassroots.territory.services import area_create
from grassroots.tickets import services as s
from grassroots.tickets.models import RatesSnapshot, Review
from grassroots.tickets.rates import (
    parse_month,
    previous_month,
    ranking,
    rates_for,
    snapshot_month,
    snapshot_recent,
    unit_rates,
)
from grassroots.tickets.tasks import snapshot_ticket_rates
from tests.conftest import make_user
from tests.helpers import assert_not_found, fields, warm

LOCAL = ZoneInfo("Asia/Shanghai")
OCT = date(2026, 10, 1)
NOV = date(2026, 11, 1)
URL = "/api/v1/rates"
PAGE = "/workbench/tickets/rates/"
pytestmark = pytest.mark.django_db


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL)  # type: ignore[misc]


@pytest.fixture
def flow(submit: Any, cast: Any, city: Any) -> Any:
    """One ticket from submission to its review, at fixed times: dispatched to `to`, handled
    by `handler`, reviewed with `answers` (contacted, solved, satisfaction) at `reviewed`."""

    def run(
        to: Any,
        handler: Any,
        answers: tuple[bool, bool, str],
        reviewed: datetime,
        *,
        dispatcher: Any = None,
        reviewer: Any = None,
        late_response: bool = False,
        submitter: Any = None,
    ) -> Any:
        start = reviewed - timedelta(days=3)
        with time_machine.travel(start, tick=False):
            kw = {"building": None} if submitter is not None else {}
            ticket = submit(actor=submitter, **kw)
            s.ticket_dispatch(actor=dispatcher or cast.street_dispatcher, ticket=ticket, to=to)
        responded = start + timedelta(days=2 if late_response else 0, minutes=30)
        with time_machine.travel(responded, tick=False):
            s.ticket_respond(actor=handler, ticket=ticket, method="phone")
            s.ticket_resolve(actor=handler, ticket=ticket, result="已处理。")
        contacted, solved, satisfaction = answers
        with time_machine.travel(reviewed, tick=False):
            s.ticket_review(
                actor=reviewer or cast.resident, ticket=ticket, contacted=contacted,
                solved=solved, satisfaction=satisfaction,
            )  # fmt: skip
        ticket.refresh_from_db()
        return ticket

    return run


@pytest.fixture
def october(flow: Any, submit: Any, cast: Any, city: Any) -> dict[str, Any]:
    a, b, desk = cast.grid_worker_a, cast.grid_worker_b, cast.street_dispatcher
    west = make_user(Role.GRID_WORKER, "grid_w", areas=[city.grid_w])
    day = local(2026, 10, 15, 10, 0)
    flow(city.grid_a, a, (True, True, "satisfied"), day)
    flow(city.grid_a, a, (True, True, "basic"), day, late_response=True)
    flow(city.grid_a, a, (False, True, "satisfied"), day)
    flow(city.grid_a, a, (True, False, "unsatisfied"), day)  # reopened, not reviewed again
    t5 = flow(city.grid_a, a, (True, False, "basic"), local(2026, 10, 12, 10, 0))
    with time_machine.travel(local(2026, 10, 13, 9, 0), tick=False):
        s.ticket_respond(actor=a, ticket=t5, method="visit")
        s.ticket_resolve(actor=a, ticket=t5, result="再次处理。")
        s.ticket_review(
            actor=cast.resident, ticket=t5, contacted=True, solved=True, satisfaction="satisfied"
        )
    flow(city.grid_b, b, (True, True, "satisfied"), day)
    flow(city.grid_b, b, (True, True, "unsatisfied"), day)
    flow(city.c1, cast.community_staff, (True, True, "basic"), day)
    flow(city.s1, desk, (False, True, "satisfied"), day)
    officer = cast.department_officer
    flow(city.dept_district, officer, (True, True, "satisfied"), local(2026, 10, 31, 23, 30))
    flow(city.dept_district, officer, (True, False, "basic"), day)
    flow(
        city.grid_w, west, (True, True, "satisfied"), day,
        dispatcher=cast.outsider, reviewer=cast.outsider, submitter=cast.outsider,
    )  # fmt: skip
    # Not counted in October: an invalid review, reviews in September and November.
    with time_machine.travel(local(2026, 10, 14, 9, 0), tick=False):
        invalid = submit()
        s.ticket_dispatch(actor=desk, ticket=invalid, to=city.grid_a)
        s.ticket_respond(actor=a, ticket=invalid, method="phone")
        s.ticket_resolve(actor=a, ticket=invalid, result="已处理。")
        s.ticket_review(
            actor=desk, ticket=invalid, contacted=None, solved=None, satisfaction="", valid=False
        )
    flow(city.grid_a, a, (False, False, "unsatisfied"), local(2026, 9, 30, 23, 59))
    flow(city.grid_a, a, (False, True, "unsatisfied"), local(2026, 11, 1, 0, 10))
    # A return by grid A in October.
    with time_machine.travel(local(2026, 10, 16, 9, 0), tick=False):
        returned = submit()
        s.ticket_dispatch(actor=desk, ticket=returned, to=city.grid_a)
        s.ticket_return(actor=a, ticket=returned, reason="不属于本网格。")
    return {"t5": t5}


def by_code(rows: list[Any]) -> dict[str, Any]:
    return {r.code: r for r in rows}


def composite(r1: float, r2: float, r3: float) -> float:
    return 0.30 * r1 + 0.35 * r2 + 0.35 * r3


def test_the_rates_match_the_hand_computed_month(october: Any, city: Any) -> None:
    rows = by_code(
        unit_rates(
            month=OCT,
            areas=[city.grid_a, city.grid_b, city.c1, city.c2, city.s1, city.s2, city.district],
            departments=[city.dept_district, city.dept_s1],
        )
    )
    a = rows["S1C1GA"]
    assert (a.valid, a.contacted, a.solved) == (5, 4, 4)
    assert (a.satisfied, a.basically_satisfied, a.unsatisfied) == (3, 1, 1)
    assert (a.response_rate, a.resolution_rate, a.satisfaction_rate) == (0.8, 0.8, 0.8)
    assert a.composite == pytest.approx(0.8)
    assert (a.responded_on_time, a.resolved_on_time) == (4, 5)
    assert (a.on_time_response_share, a.on_time_resolution_share) == (0.8, 1.0)
    assert (a.returns, a.reopens) == (1, 2)  # t4 and t5's first review; the return
    b = rows["S1C1GB"]
    assert (b.valid, b.response_rate, b.resolution_rate, b.satisfaction_rate) == (2, 1, 1, 0.5)
    assert b.composite == pytest.approx(composite(1, 1, 0.5))
    c1 = rows["S1C1"]  # grid A + grid B + its own
    assert (c1.valid, c1.contacted, c1.solved, c1.satisfied, c1.basically_satisfied) == (
        8, 7, 7, 4, 2,
    )  # fmt: skip
    assert (c1.response_rate, c1.resolution_rate, c1.satisfaction_rate) == (0.875, 0.875, 0.75)
    assert c1.composite == pytest.approx(composite(0.875, 0.875, 0.75))
    assert (c1.returns, c1.reopens) == (1, 2)
    s1 = rows["S1"]  # C1 + its own (C2 had nothing)
    assert (s1.valid, s1.contacted, s1.solved) == (9, 7, 8)
    assert s1.satisfaction_rate == pytest.approx(7 / 9)
    assert s1.composite == pytest.approx(composite(7 / 9, 8 / 9, 7 / 9))
    dept = rows["DCGW"]  # 31 October 23:30 in Beijing is still October
    assert (dept.valid, dept.response_rate, dept.resolution_rate, dept.satisfaction_rate) == (
        2, 1, 0.5, 1,
    )  # fmt: skip
    assert dept.reopens == 1
    assert rows["S2"].composite == pytest.approx(1.0)
    assert rows["D"].valid == 9 + 1  # both streets; departments are counted apart
    # No valid review: no rates, not zeros.
    for empty in (rows["S1C2"], rows["S1ZF"]):
        assert empty.valid == 0 and not empty.has_reviews
        assert empty.response_rate is None and empty.composite is None
        assert empty.on_time_response_share is None
    # The review on 1 November 00:10 counts in November only; September's in September.
    nov = by_code(unit_rates(month=NOV, areas=[city.grid_a], departments=[]))
    assert nov["S1C1GA"].valid == 1 and nov["S1C1GA"].resolution_rate == 1
    sep = by_code(unit_rates(month=date(2026, 9, 1), areas=[city.grid_a], departments=[]))
    assert sep["S1C1GA"].valid == 1 and sep["S1C1GA"].resolution_rate == 0
    # Excluded rows really exist.
    assert Review.objects.filter(is_valid=False).count() == 1
    assert Review.objects.filter(superseded=True, ticket=october["t5"]).count() == 1


def test_the_weights_are_configuration(october: Any, city: Any, settings: Any) -> None:
    settings.RATES_BASIC_WEIGHT = 0.9
    rows = by_code(unit_rates(month=OCT, areas=[city.grid_a, city.c1], departments=[]))
    assert rows["S1C1GA"].satisfaction_rate == pytest.approx((3 + 0.9) / 5)  # 0.78
    assert rows["S1C1"].satisfaction_rate == pytest.approx((4 + 1.8) / 8)  # 0.725
    dept = unit_rates(month=OCT, areas=[], departments=[city.dept_district])[0]
    assert dept.satisfaction_rate == pytest.approx(0.95)
    settings.RATES_WEIGHTS = [0.5, 0.25, 0.25]
    a = unit_rates(month=OCT, areas=[city.grid_a], departments=[])[0]
    assert a.composite == pytest.approx(0.5 * 0.8 + 0.25 * 0.8 + 0.25 * 0.78)


def test_all_units_at_once_take_two_queries(october: Any, city: Any) -> None:
    with CaptureQueriesContext(connection) as ctx:
        rows = unit_rates(month=OCT, areas=[city.grid_a, city.c1, city.s1], departments=[])
    assert len(ctx.captured_queries) == 2 and len(rows) == 3
    everything = by_code(unit_rates(month=OCT))
    # Every rated area with activity, and the department; never buildings.
    assert set(everything) == {"D", "S1", "S1C1", "S1C1GA", "S1C1GB", "S2", "S2C1", "S2C1GA",
                               "DCGW"}  # fmt: skip
    assert everything["S1C1"].composite == pytest.approx(composite(0.875, 0.875, 0.75))


def test_the_snapshot_is_idempotent_and_equals_the_live_figures(october: Any, city: Any) -> None:
    written = snapshot_month(OCT)
    first = sorted(
        RatesSnapshot.objects.filter(month=OCT).values_list(
            "area__code", "department__code", "valid", "composite", "returns", "reopens"
        ),
        key=str,
    )
    assert written == len(first) == 9
    assert snapshot_month(OCT) == written
    again = sorted(
        RatesSnapshot.objects.filter(month=OCT).values_list(
            "area__code", "department__code", "valid", "composite", "returns", "reopens"
        ),
        key=str,
    )
    assert again == first and RatesSnapshot.objects.count() == written
    row = RatesSnapshot.objects.get(month=OCT, area=city.c1)
    assert row.street == city.s1 and row.unit_path == city.c1.path
    assert (row.valid, row.contacted, row.solved, row.unsatisfied) == (8, 7, 7, 2)
    assert RatesSnapshot.objects.get(month=OCT, department=city.dept_district).street is None
    live = by_code(unit_rates(month=OCT))
    for snap in RatesSnapshot.objects.filter(month=OCT).select_related("area", "department"):
        unit = snap.area or snap.department
        assert unit is not None
        r = live[unit.code]
        assert (snap.valid, snap.response_rate, snap.resolution_rate) == (
            r.valid, r.response_rate, r.resolution_rate,
        )  # fmt: skip
        assert snap.composite == pytest.approx(r.composite)
    # A later change (the ticket reviewed again) shows after the next snapshot, not before.
    Review.objects.filter(ticket__handler_area=city.grid_b).update(is_valid=False)
    assert RatesSnapshot.objects.get(month=OCT, area=city.grid_b).valid == 2
    snapshot_month(OCT)
    assert not RatesSnapshot.objects.filter(month=OCT, area=city.grid_b).exists()


def test_the_ranking_reads_the_snapshot(october: Any, city: Any) -> None:
    assert ranking(OCT, "street") == []  # nothing snapshotted yet
    snapshot_month(OCT)
    streets = ranking(OCT, "street")
    assert [r.code for r in streets] == ["S2", "S1"]  # 100 before 82.x
    assert streets[1].composite == pytest.approx(composite(7 / 9, 8 / 9, 7 / 9))
    assert streets[0].computed_at is not None
    communities = ranking(OCT, "community", within=city.s1)
    assert [r.code for r in communities] == ["S1C1"]
    grids = ranking(OCT, "grid", within=city.c1)
    assert [r.code for r in grids] == ["S1C1GB", "S1C1GA"]  # 82.5 before 80
    assert [r.code for r in ranking(OCT, "department")] == ["DCGW"]
    with pytest.raises(ValueError):
        ranking(OCT, "building")


def test_past_months_come_from_the_snapshot_and_fall_back_to_live(october: Any, city: Any) -> None:
    now = local(2026, 12, 5, 10, 0)
    live = rates_for(month=OCT, areas=[city.grid_a, city.c2], now=now)
    assert live[0].computed_at is None and live[0].valid == 5  # no snapshot: live
    snapshot_month(OCT)
    RatesSnapshot.objects.filter(month=OCT, area=city.grid_a).update(valid=99)
    stored = rates_for(month=OCT, areas=[city.grid_a, city.c2], now=now)
    assert stored[0].valid == 99 and stored[0].computed_at is not None
    # C2 had no activity: no row in a snapshotted month means no reviews, not "compute live".
    assert stored[1].valid == 0 and stored[1].composite is None and stored[1].computed_at
    # The current month is always live.
    with time_machine.travel(local(2026, 10, 31, 23, 50), tick=False):
        assert rates_for(month=OCT, areas=[city.grid_a])[0].valid == 5


def test_the_nightly_task_snapshots_last_month_and_this_one(october: Any) -> None:
    with time_machine.travel(local(2026, 11, 1, 1, 30), tick=False):
        counts = snapshot_ticket_rates.call_local()
    assert counts == {"2026-10": 9, "2026-11": 4}  # November: grid A, C1, S1, the district
    assert set(RatesSnapshot.objects.values_list("month", flat=True)) == {OCT, NOV}
    with time_machine.travel(local(2026, 11, 2, 1, 30), tick=False):
        assert snapshot_recent() == counts


def test_months_parse_in_beijing_time() -> None:
    with time_machine.travel(local(2026, 11, 1, 0, 30), tick=False):  # still 31 Oct in UTC
        assert parse_month("") == NOV
        assert parse_month("2026-10") == OCT
        for bad in ("2026-13", "2026-1", "10-2026", "2026/10", "2026-12", "1999-01"):
            with pytest.raises(ValidationFailed) as exc:
                parse_month(bad)
            assert set(exc.value.fields) == {"month"}
    assert previous_month(date(2026, 1, 1)) == date(2025, 12, 1)


# --------------------------------------------------------------------------------------------
# GET /api/v1/rates


def test_the_api_gives_the_unit_and_its_children(
    october: Any, cast: Any, login: Any, city: Any
) -> None:
    client = warm(login(cast.street_leader))
    with time_machine.travel(local(2026, 10, 31, 12, 0), tick=False):
        response = client.get(URL)  # defaults: the leader's street, this month
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["month"] == "2026-10" and body["source"] == "live"
    unit = body["unit"]
    assert (unit["code"], unit["kind"], unit["kind_label"], unit["unit_type"]) == (
        "S1", "street", "街道", "area",
    )  # fmt: skip
    assert unit["valid"] == 9 and unit["composite"] == pytest.approx(composite(7 / 9, 8 / 9, 7 / 9))
    assert [c["code"] for c in body["children"]] == ["S1C1", "S1C2"]  # composite, then none
    c2 = body["children"][1]
    assert c2["valid"] == 0 and c2["response_rate"] is None and c2["composite"] is None
    grids = client.get(URL, {"unit": "S1C1", "month": "2026-10"}).json()
    assert [(g["code"], g["response_rate"]) for g in grids["children"]] == [
        ("S1C1GB", 1.0),
        ("S1C1GA", 0.8),
    ]
    assert grids["unit"]["on_time_response_share"] == pytest.approx(7 / 8)
    dept = client.get(URL, {"unit": "DCGW", "month": "2026-10"}).json()
    assert dept["unit"]["unit_type"] == "department" and dept["unit"]["resolution_rate"] == 0.5
    assert dept["children"] == []
    officer = login(cast.department_officer).get(URL, {"month": "2026-10"}).json()
    assert officer["unit"]["code"] == "DCGW"
    snapshot_month(OCT)
    with time_machine.travel(local(2026, 11, 3, 12, 0), tick=False):
        past = client.get(URL, {"month": "2026-10"}).json()
    assert past["source"] == "snapshot" and past["unit"]["valid"] == 9


def test_the_api_refuses_bad_months_and_other_scopes(
    october: Any, cast: Any, login: Any, bearer: Any, city: Any
) -> None:
    client = login(cast.community_secretary)
    assert fields(client.get(URL, {"month": "2026-13"})) == {
        "month": ["月份格式应为 YYYY-MM，如 2026-10。"]
    }
    assert "month" in fields(client.get(URL, {"month": "x" * 20}))
    for code in ("S1", "S2", "S1C2", "S2C1GA", "S2ZF", "NOPE", "S1C1GAB1"):
        assert_not_found(client.get(URL, {"unit": code}))
    assert client.get(URL, {"unit": "S1C1GB"}).status_code == 200
    # A street sees the departments of its district and street, not the other street's.
    leader = login(cast.street_leader)
    assert leader.get(URL, {"unit": "S1ZF"}).status_code == 200
    assert_not_found(leader.get(URL, {"unit": "S2ZF"}))
    assert_not_found(login(cast.outsider).get(URL, {"unit": "S1C1"}))
    assert_not_found(login(cast.department_officer).get(URL, {"unit": "S1"}))
    assert login(cast.grid_worker_a).get(URL).json()["unit"]["code"] == "S1C1GA"


@pytest.mark.parametrize(
    "who",
    ["resident", "building_head", "member_unit_contact", "system_admin", "security_admin",
     "audit_admin"],
)  # fmt: skip
def test_the_api_is_not_for_other_roles(who: str, cast: Any, login: Any) -> None:
    response = login(getattr(cast, who)).get(URL)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_the_api_needs_a_login(db: Any, client: Any) -> None:
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_the_api_with_a_token(october: Any, cast: Any, bearer: Any, client: Any) -> None:
    response = client.get(URL, {"unit": "S1C1", "month": "2026-10"}, **bearer(cast.street_leader))
    assert response.status_code == 200 and response.json()["unit"]["valid"] == 8


def test_the_api_costs_the_same_for_more_children(
    october: Any, cast: Any, login: Any, city: Any
) -> None:
    client = warm(login(cast.street_leader))

    def cost(month: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL, {"month": month}).status_code == 200
        return len(ctx.captured_queries)

    snapshot_month(OCT)
    with time_machine.travel(local(2026, 11, 20, 12, 0), tick=False):
        before = (cost("2026-11"), cost("2026-10"))
        for i in range(3, 7):
            community = area_create(
                actor=None, parent=city.s1, kind=AreaKind.COMMUNITY, code=f"S1C{i}",
                name=f"东{i}社区",
            )  # fmt: skip
            area_create(
                actor=None, parent=community, kind=AreaKind.GRID, code=f"S1C{i}G", name="网格"
            )
        after = (cost("2026-11"), cost("2026-10"))
        assert len(client.get(URL).json()["children"]) == 6
    assert before == after
    assert max(after) <= 9


# --------------------------------------------------------------------------------------------
# the page


@pytest.mark.parametrize(
    "who", ["community_staff", "community_secretary", "street_dispatcher", "street_leader"]
)
def test_the_page_shows_the_month_to_its_roles(
    who: str, october: Any, cast: Any, login: Any
) -> None:
    client = login(getattr(cast, who))
    with time_machine.travel(local(2026, 10, 31, 12, 0), tick=False):
        response = client.get(PAGE)
    assert response.status_code == 200
    text = response.content.decode()
    street = who.startswith("street")
    if street:
        assert "东街道三率" in text and "社区（村）排名" in text
        assert "区城管委" in text and "东街道执法队" in text and "西街道执法队" not in text
        assert f"{composite(7 / 9, 8 / 9, 7 / 9) * 100:.1f}" in text  # 82.2
    else:
        assert "东一社区三率" in text and "网格排名" in text and "区城管委" not in text
        assert "87.5%" in text  # C1's response and resolution rates
        assert "80.0%" in text  # grid A
    assert "无有效回访" in text or not street
    assert "按当月有效回访实时计算" in text


def test_the_page_drills_down_and_reads_snapshots(
    october: Any, cast: Any, login: Any, city: Any
) -> None:
    client = login(cast.street_leader)
    snapshot_month(OCT)
    with time_machine.travel(local(2026, 11, 10, 12, 0), tick=False):
        response = client.get(PAGE, {"month": "2026-10", "unit": "S1C1"})
        text = response.content.decode()
        assert response.status_code == 200
        assert "东一社区三率" in text and "月度快照" in text and "返回东街道" in text
        assert "东一社区A网格" in text and "80.0%" in text
        bad = client.get(PAGE, {"month": "2026-99"})
        assert bad.status_code == 200 and "月份格式应为" in bad.content.decode()
        assert client.get(PAGE, {"unit": "S2"}).status_code == 404
        assert client.get(PAGE, {"unit": "DCGW"}).status_code == 404
        empty = login(cast.community_staff).get(PAGE, {"month": "2026-09"}).content.decode()
        assert "该月无有效回访" not in empty  # September had grid A's review
        quiet = login(cast.outsider).get(PAGE, {"month": "2026-08"}).content.decode()
        assert "该月无有效回访，暂无三率。" in quiet


@pytest.mark.parametrize(
    "who",
    ["resident", "grid_worker_a", "building_head", "department_officer", "member_unit_contact",
     "system_admin", "security_admin", "audit_admin"],
)  # fmt: skip
def test_the_page_is_refused_to_other_roles(who: str, cast: Any, login: Any) -> None:
    assert login(getattr(cast, who)).get(PAGE).status_code == 403


def test_the_page_needs_a_login(db: Any, client: Any) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
