"""Organisational life's configuration in the admin: the system admin changes a kind's rules
and a point rule's value, audited; nobody adds or deletes them; nobody else reaches them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from grassroots.core.models import AuditEntry
from grassroots.party.models import MeetingKind, PointRule

KINDS = "/admin/party/meetingkind/"
RULES = "/admin/party/pointrule/"


def kind_form(kind: MeetingKind, **values: Any) -> dict[str, Any]:
    form = {
        "name": kind.name,
        "period": kind.period,
        "times": kind.times,
        "quorum": kind.quorum,
        "passing": kind.passing,
        "remind_days": kind.remind_days,
        "order": kind.order,
        "rule": kind.rule,
    }
    if kind.required:
        form["required"] = "on"
    form.update(values)
    return form


def test_the_system_admin_changes_the_lecture_frequency(cast: Any, login: Any) -> None:
    client = login(cast.system_admin)
    lecture = MeetingKind.objects.get(code="party_lecture")
    assert client.get(KINDS).status_code == 200
    url = f"{KINDS}{lecture.pk}/change/"
    assert client.get(url).status_code == 200
    response = client.post(url, kind_form(lecture, period="year"))
    assert response.status_code == 302
    lecture.refresh_from_db()
    assert lecture.period == "year"
    entry = AuditEntry.objects.filter(action="party.meeting_kind_update").get()
    assert json.loads(entry.data)["changed"] == {"period": ["quarter", "year"]}


def test_a_bad_value_is_refused_and_changes_nothing(cast: Any, login: Any) -> None:
    client = login(cast.system_admin)
    lecture = MeetingKind.objects.get(code="party_lecture")
    response = client.post(f"{KINDS}{lecture.pk}/change/", kind_form(lecture, times=0))
    assert response.status_code == 200  # the form again, with the error
    lecture.refresh_from_db()
    assert lecture.times == 1
    assert not AuditEntry.objects.filter(action="party.meeting_kind_update").exists()


def test_a_point_rule_changes(cast: Any, login: Any) -> None:
    client = login(cast.system_admin)
    rule = PointRule.objects.get(code="meeting_present")
    response = client.post(
        f"{RULES}{rule.pk}/change/",
        {"name": rule.name, "points": 3, "active": "on", "note": rule.note},
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.points == 3
    assert AuditEntry.objects.filter(action="party.point_rule_update").count() == 1


def test_kinds_and_rules_are_neither_added_nor_deleted(cast: Any, login: Any) -> None:
    client = login(cast.system_admin)
    lecture = MeetingKind.objects.get(code="party_lecture")
    assert client.get(f"{KINDS}add/").status_code == 403
    assert client.get(f"{RULES}add/").status_code == 403
    assert client.post(f"{KINDS}{lecture.pk}/delete/", {"post": "yes"}).status_code == 403
    assert MeetingKind.objects.filter(pk=lecture.pk).exists()


@pytest.mark.parametrize("who", ["security_admin", "audit_admin"])
def test_the_other_admins_are_refused(cast: Any, login: Any, who: str) -> None:
    client = login(getattr(cast, who))
    assert client.get(KINDS).status_code == 403
    assert client.get(RULES).status_code == 403


@pytest.mark.parametrize("who", ["community_secretary", "street_leader", "resident"])
def test_business_users_have_no_admin(cast: Any, login: Any, who: str) -> None:
    response = login(getattr(cast, who)).get(KINDS)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
