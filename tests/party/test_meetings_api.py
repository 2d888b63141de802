"""The meetings API: plan, list and read (scoped), record, confirm, correct, cancel, follow-up
tasks and agenda candidates. Every endpoint: success, validation error (nothing changed),
unauthenticated, another scope's meeting (404), and a query-count bound that does not grow
with rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from grassroots.accounts.models import Role
from grassroots.party.models import (
    FollowUp,
    FollowUpState,
    Meeting,
    MeetingRecord,
    MeetingState,
    Resolution,
)
from grassroots.party.services import meetings as s
from grassroots.party.services import points
from tests.conftest import make_user
from tests.helpers import assert_not_found, fields, warm
from tests.party.test_meetings_services import (
    NOW,
    confirm_both,
    item,
    motion,
    plan,
    record,
    roll,
    ticket_in,
    ticket_in_grid_b,
)
from tests.tickets.conftest import catalogue  # noqa: F401  (the seeded categories)

URL = "/api/v1/meetings"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(points, "points_for_record", lambda record: None)
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def post(client: Client, url: str, body: Any = None) -> Any:
    return client.post(url, body if body is not None else {}, content_type="application/json")


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body: dict[str, Any] = response.json()
    return body


def error(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.content
    body = response.json()["error"]
    assert body["code"] == code
    return str(body["message"])


def iso(moment: datetime) -> str:
    return moment.isoformat()


def plan_body(life: Any, **kw: Any) -> dict[str, Any]:
    body = {
        "org": life.branch.pk,
        "kind": "committee_meeting",
        "planned_at": iso(NOW + timedelta(days=2)),
        "place": "社区会议室",
        "chair": life.secretary.pk,
        "recorder": life.recorder.pk,
        "agenda": [{"title": "年度计划"}],
    }
    body.update(kw)
    return body


def record_body(life: Any, meeting: Meeting, **kw: Any) -> dict[str, Any]:
    body = {
        "held_at": iso(NOW - timedelta(hours=1)),
        "chair": life.secretary.pk,
        "recorder": life.recorder.pk,
        "place": "社区会议室",
        "attendance": [
            {"member": row.member.pk, "status": row.status, "reason": row.reason}
            for row in roll(meeting)
        ],
        "items": [
            {
                "title": "加装电梯",
                "minutes": "大家同意。",
                "resolutions": [
                    {"text": "同意", "votes_for": 3, "votes_against": 0, "votes_abstain": 0}
                ],
            }
        ],
    }
    body.update(kw)
    return body


# --- unauthenticated -----------------------------------------------------------------------------


def test_every_endpoint_needs_a_login(life: Any) -> None:
    meeting = plan(life)
    client = Client()
    gets = [URL, f"{URL}/{meeting.pk}", f"{URL}/{meeting.pk}/versions/1", f"{URL}/candidates"]
    for url in gets:
        assert error(client.get(url), 401, "not_authenticated"), url
    posts = [
        URL,
        f"{URL}/{meeting.pk}/record",
        f"{URL}/{meeting.pk}/confirm",
        f"{URL}/{meeting.pk}/corrections",
        f"{URL}/{meeting.pk}/cancel",
        f"{URL}/{meeting.pk}/followups",
        "/api/v1/followups/1/done",
    ]
    for url in posts:
        assert error(post(client, url, {}), 401, "not_authenticated"), url
    assert Meeting.objects.get().state == MeetingState.PLANNED


# --- plan --------------------------------------------------------------------------------------


def test_it_plans_a_meeting(life: Any, cast: Any, people: Any, login: Any) -> None:
    ticket = ticket_in_grid_b(cast, people)
    body = plan_body(
        life,
        agenda=[
            {"title": "年度计划"},
            {"ticket": ticket.number},
            {"hotspot_category": "0101", "hotspot_area": people.building_b1.pk, "hotspot_count": 3},
        ],
    )
    answer = ok(post(login(life.chair_user), URL, body), 201)
    assert answer["title"] == "2026年11月20日支委会"
    assert answer["state"] == "planned"
    assert answer["kind"] == {"code": "committee_meeting", "name": "支委会"}
    assert answer["org"] == {"id": life.branch.pk, "name": "东一社区B网格党支部"}
    assert answer["chair"] == {"id": life.secretary.pk, "name": "孙书记"}
    assert [(a["source"], a["ticket"]) for a in answer["agenda"]] == [
        ("manual", None),
        ("ticket", ticket.number),
        ("hotspot", None),
    ]
    assert answer["agenda"][2]["hotspot"]["category"]["code"] == "0101"
    assert answer["record"] is None and answer["versions"] == []
    # A ticket by its id reads the same.
    again = ok(
        post(login(life.chair_user), URL, plan_body(life, agenda=[{"ticket": ticket.pk}])), 201
    )
    assert again["agenda"][0]["ticket"] == ticket.number


def test_a_plan_with_bad_fields_is_refused_and_nothing_is_written(
    life: Any, cast: Any, people: Any, city: Any, login: Any
) -> None:
    client = login(life.chair_user)
    body = plan_body(life)
    del body["planned_at"]
    assert fields(post(client, URL, body)) == {"planned_at": ["此项为必填项。"]}
    assert fields(post(client, URL, plan_body(life, kind="tea_party", chair=people.m_wang.pk))) == {
        "kind": ["不是可选的会议类型。"],
        "chair": ["没有这名党员。"],
    }
    elsewhere = ticket_in(cast, city.building_a1)
    assert fields(post(client, URL, plan_body(life, agenda=[{"ticket": elsewhere.number}]))) == {
        "agenda": ["第 1 项议程：没有这张工单。"]
    }
    assert fields(post(client, URL, plan_body(life, kind="group_meeting"))) == {
        "kind": ["本组织不召开这类会议。"]
    }
    # An organisation out of sight reads as not there.
    assert fields(post(login(cast.outsider), URL, plan_body(life))) == {"org": ["没有这个党组织。"]}
    assert not Meeting.objects.exists()


def test_only_those_who_run_the_branch_plan(life: Any, cast: Any, people: Any, login: Any) -> None:
    body = plan_body(life, org=people.branch_a.pk, chair=None, recorder=None)
    assert error(post(login(cast.grid_worker_a), URL, body), 403, "forbidden")
    assert not Meeting.objects.exists()


# --- read --------------------------------------------------------------------------------------


def test_the_list_is_scoped_filtered_and_costs_the_same_for_more_rows(
    life: Any, cast: Any, people: Any, login: Any, bearer: Any, django_assert_max_num_queries: Any
) -> None:
    committee = plan(life, planned_at=NOW - timedelta(days=20))
    client = warm(login(cast.community_secretary))
    # session, user, scope (2), count, page
    with django_assert_max_num_queries(7):
        answer = ok(client.get(URL))
    assert (answer["count"], [m["id"] for m in answer["items"]]) == (1, [committee.pk])
    for n in range(5):
        plan(life, "party_lecture", planned_at=NOW + timedelta(days=n))
    with django_assert_max_num_queries(7):
        answer = ok(client.get(URL))
    assert answer["count"] == 6
    row = next(m for m in answer["items"] if m["id"] == committee.pk)
    assert row["state_label"] == "已计划" and row["chair"]["name"] == "孙书记"
    assert ok(client.get(URL, {"kind": "committee_meeting"}))["count"] == 1
    assert ok(client.get(URL, {"org": life.branch.pk, "state": "planned"}))["count"] == 6
    assert ok(client.get(URL, {"from": "2026-11-19", "to": "2026-11-21"}))["count"] == 3
    assert ok(client.get(URL, {"limit": 2, "offset": 1}))["count"] == 6
    assert fields(client.get(URL, {"kind": "tea"})) == {"kind": ["不是可选的会议类型。"]}
    assert set(fields(client.get(URL, {"from": "昨天"}))) == {"from"}
    assert_not_found(client.get(URL, {"org": people.branch_w.pk}))
    # Another street sees none; a token works as a session does.
    assert ok(login(cast.outsider).get(URL))["count"] == 0
    assert ok(Client().get(URL, **bearer(life.recorder_user)))["count"] == 6


def test_the_detail_is_scoped_and_costs_the_same_whatever_its_size(
    life: Any, cast: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    small = plan(life)
    big = plan(life, "general_meeting", agenda=[s.AgendaIn(title=f"议题{n}") for n in range(3)])
    record(
        life,
        big,
        attendance=roll(big, excused=life.full[6:]),
        items=[item(motion((5, 0, 0)), motion(), title=f"议题{n}") for n in range(3)],
    )
    confirm_both(life, big)
    for n in range(3):
        s.followup_create(
            actor=life.chair_user,
            meeting=big,
            title=f"任务{n}",
            owner=life.full[n],
            due_on=NOW.date(),
        )
    client = warm(login(cast.community_secretary))
    # session, user, second factor, scope (2), then the detail's seven
    with django_assert_max_num_queries(12):
        ok(client.get(f"{URL}/{small.pk}"))
    with django_assert_max_num_queries(12):
        answer = ok(client.get(f"{URL}/{big.pk}"))
    current = answer["record"]
    assert (current["expected"], current["present"], current["quorum_met"]) == (9, 7, True)
    excused = [a for a in current["attendance"] if a["status"] == "excused"]
    assert [a["name"] for a in excused] == sorted(m.name for m in life.full[6:])
    assert excused[0]["reason"] == "出差"
    probationary = next(a for a in current["attendance"] if a["name"] == "蒋预备")
    assert probationary["voting"] is False
    resolutions = current["items"][0]["resolutions"]
    assert [(r["votes_for"], r["passed"]) for r in resolutions] == [(5, True), (None, True)]
    assert [v["version"] for v in answer["versions"]] == [1]
    assert answer["versions"][0]["locked_at"] is not None
    assert [f["title"] for f in answer["followups"]] == ["任务0", "任务1", "任务2"]
    assert_not_found(login(cast.outsider).get(f"{URL}/{big.pk}"))
    assert_not_found(login(cast.grid_worker_a).get(f"{URL}/{big.pk}"))
    assert_not_found(client.get(f"{URL}/999999"))


# --- record, confirm, correct ------------------------------------------------------------------


def test_it_records_confirms_and_corrects(life: Any, cast: Any, login: Any) -> None:
    meeting = plan(life)
    recorder = login(life.recorder_user)
    chair = login(life.chair_user)
    answer = ok(post(recorder, f"{URL}/{meeting.pk}/record", record_body(life, meeting)))
    assert (answer["state"], answer["version"], answer["covers"]) == ("recorded", 1, "2026-11-01")
    assert answer["record"]["items"][0]["resolutions"][0]["passed"] is True
    assert error(
        post(login(cast.community_secretary), f"{URL}/{meeting.pk}/confirm"), 403, "forbidden"
    ) == ("只有主持人和记录人可以确认会议记录。")
    # A correction needs a confirmed record.
    correction = {**record_body(life, meeting), "reason": "更正"}
    error(post(recorder, f"{URL}/{meeting.pk}/corrections", correction), 409, "conflict")
    ok(post(chair, f"{URL}/{meeting.pk}/confirm"))
    error(post(chair, f"{URL}/{meeting.pk}/confirm"), 409, "already_confirmed")
    answer = ok(post(recorder, f"{URL}/{meeting.pk}/confirm"))
    assert answer["state"] == "confirmed"
    assert answer["record"]["locked_at"] is not None
    error(post(recorder, f"{URL}/{meeting.pk}/record", record_body(life, meeting)), 409, "conflict")
    # The correction: a reason, then version 2; version 1 stays as it was.
    assert fields(
        post(recorder, f"{URL}/{meeting.pk}/corrections", {**correction, "reason": " "})
    ) == {"reason": ["请填写更正原因。"]}
    first = ok(recorder.get(f"{URL}/{meeting.pk}/versions/1"))
    body = record_body(life, meeting, items=[])
    for row in body["attendance"]:
        if row["member"] == life.third.pk:
            row["status"] = "absent"
    answer = ok(post(recorder, f"{URL}/{meeting.pk}/corrections", {**body, "reason": "吴委员未到"}))
    assert (answer["state"], answer["version"]) == ("recorded", 2)
    assert answer["record"]["correction_reason"] == "吴委员未到"
    assert answer["record"]["present"] == 2
    assert [v["version"] for v in answer["versions"]] == [1, 2]
    assert ok(recorder.get(f"{URL}/{meeting.pk}/versions/1")) == first
    assert first["present"] == 3 and first["locked_at"] is not None
    assert_not_found(recorder.get(f"{URL}/{meeting.pk}/versions/3"))
    assert_not_found(login(cast.outsider).get(f"{URL}/{meeting.pk}/versions/1"))


def test_a_bad_record_is_refused_and_changes_nothing(
    life: Any, cast: Any, people: Any, login: Any
) -> None:
    meeting = plan(life)
    recorder = login(life.recorder_user)
    url = f"{URL}/{meeting.pk}/record"
    body = record_body(life, meeting)
    body["attendance"][0]["status"] = "absent"
    assert fields(post(recorder, url, body)) == {"votes": ["表决票数超过实到有表决权人数。"]}
    future = record_body(life, meeting, held_at="2026-12-03T09:00:00+08:00")
    assert fields(post(recorder, url, future)) == {"held_at": ["会议还没开，不能记录为已召开。"]}
    outsider = record_body(life, meeting)
    outsider["attendance"].append({"member": people.m_wang.pk, "status": "present"})
    assert fields(post(recorder, url, outsider)) == {
        "attendance": [f"党员 {people.m_wang.pk} 不是本支部的党员。"]
    }
    wrong_item = record_body(life, meeting)
    wrong_item["items"][0]["agenda_item"] = 999999
    assert fields(post(recorder, url, wrong_item)) == {
        "items": ["第 1 项议题：不是本次会议的议程。"]
    }
    negative = record_body(life, meeting)
    negative["items"][0]["resolutions"][0]["votes_for"] = -1
    assert fields(post(recorder, url, negative)) == {"items": ["不能小于 0。"]}
    meeting.refresh_from_db()
    assert (meeting.state, meeting.version) == (MeetingState.PLANNED, 0)
    assert not MeetingRecord.objects.exists()
    # Someone who cannot see it gets 404; someone who sees it but may not record, 403.
    assert_not_found(post(login(cast.outsider), url, record_body(life, meeting)))
    plain = life.full[3]
    plain.user = make_user(Role.GRID_WORKER, "plain_member")
    plain.save(update_fields=["user"])
    error(post(login(plain.user), url, record_body(life, meeting)), 403, "forbidden")


def test_a_resolution_without_quorum_is_kept_as_not_passed(life: Any, login: Any) -> None:
    meeting = plan(life, "general_meeting")
    body = record_body(life, meeting)
    leaders = {life.secretary.pk, life.recorder.pk}
    for row in [r for r in body["attendance"] if r["member"] not in leaders][:5]:
        row.update(status="excused", reason="出差")
    body["items"][0]["resolutions"][0].update(votes_for=3, votes_against=0, votes_abstain=0)
    answer = ok(post(login(life.recorder_user), f"{URL}/{meeting.pk}/record", body))
    assert answer["record"]["quorum_met"] is False
    resolution = answer["record"]["items"][0]["resolutions"][0]
    assert resolution["passed"] is False
    assert resolution["outcome"].startswith("未达到法定人数")


# --- cancel ------------------------------------------------------------------------------------


def test_cancel(life: Any, cast: Any, login: Any) -> None:
    meeting = plan(life)
    client = login(life.chair_user)
    url = f"{URL}/{meeting.pk}/cancel"
    assert fields(post(client, url, {})) == {"reason": ["此项为必填项。"]}
    assert_not_found(post(login(cast.outsider), url, {"reason": "改期"}))
    answer = ok(post(client, url, {"reason": "改期"}))
    assert (answer["state"], answer["cancel_reason"]) == ("cancelled", "改期")
    error(post(client, url, {"reason": "改期"}), 409, "conflict")


# --- follow-up tasks ---------------------------------------------------------------------------


def test_follow_up_tasks(life: Any, cast: Any, people: Any, login: Any) -> None:
    ticket = ticket_in_grid_b(cast, people)
    meeting = plan(life, agenda=[s.AgendaIn(title="", ticket=ticket)])
    record(life, meeting, items=[item(motion((3, 0, 0)), agenda_item=meeting.agenda.get())])
    chair = login(life.chair_user)
    url = f"{URL}/{meeting.pk}/followups"
    body = {"title": "联系物业清运", "owner": life.recorder.pk, "due_on": "2026-11-30"}
    error(post(chair, url, body), 409, "conflict")  # not confirmed yet
    confirm_both(life, meeting)
    resolution = Resolution.objects.get()
    assert fields(post(chair, url, {**body, "owner": people.m_wang.pk, "resolution": 999999})) == {
        "owner": ["负责人须为本支部党员。"],
        "resolution": ["不是本次会议记录中的决议。"],
    }
    assert fields(post(chair, url, {**body, "due_on": "2026-11-01"})) == {
        "due_on": ["完成期限不能早于今天。"]
    }
    assert not FollowUp.objects.exists()
    assert_not_found(post(login(cast.outsider), url, body))
    task = ok(post(chair, url, {**body, "resolution": resolution.pk}), 201)
    assert (task["ticket"], task["resolution"], task["state"], task["overdue"]) == (
        ticket.number,
        resolution.pk,
        "open",
        False,
    )
    done_url = f"/api/v1/followups/{task['id']}/done"
    assert_not_found(post(login(cast.outsider), done_url, {}))
    assert_not_found(post(chair, "/api/v1/followups/999999/done", {}))
    done = ok(post(login(life.recorder_user), done_url, {"note": "已每日清运"}))
    assert (done["state"], done["done_note"]) == ("done", "已每日清运")
    error(post(chair, done_url, {}), 409, "already_done")
    assert FollowUp.objects.get().state == FollowUpState.DONE


# --- agenda candidates -------------------------------------------------------------------------


def test_agenda_candidates(
    life: Any, cast: Any, people: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(3):
        ticket_in_grid_b(cast, people)
    client = warm(login(life.chair_user))
    url = f"{URL}/candidates"
    # session, user, scope (2), the organisation, may_run (member, leads), the candidates (5)
    with django_assert_max_num_queries(14):
        answer = ok(client.get(url, {"org": life.branch.pk}))
    assert answer["hotspots"] == [
        {
            "category": {"id": answer["hotspots"][0]["category"]["id"], "code": "0101",
                         "name": "垃圾清运不及时"},
            "area": {"id": people.building_b1.pk, "name": "东一2号楼"},
            "count": 3,
        }
    ]  # fmt: skip
    assert (answer["overdue"], answer["reopened"], answer["whistles"]) == ([], [], [])
    assert set(fields(client.get(url))) == {"org"}
    assert set(fields(client.get(url, {"org": life.branch.pk, "days": 0}))) == {"days"}
    error(login(cast.grid_worker_a).get(url, {"org": people.branch_a.pk}), 403, "forbidden")
    assert_not_found(login(cast.outsider).get(url, {"org": life.branch.pk}))
