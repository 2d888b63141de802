"""A whistle on a ticket shows on the ticket's timeline: all of it to staff, and to the
requester only that departments were called, came and solved it."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from grassroots.tickets.models import EventKind
from grassroots.whistles import services as ws
from grassroots.whistles.selectors import find_summons

pytestmark = pytest.mark.django_db


def test_requester_sees_the_call_and_the_answer_not_the_ratings(
    cast: Any, city: Any, submit: Any, advance: Any, blow: Any, login: Any
) -> None:
    ticket = submit()
    advance(ticket, "accepted", to=city.dept_district)
    whistle = blow(ticket=ticket)
    summons = find_summons(cast.department_officer, whistle, city.dept_district.pk)
    ws.summons_report_in(
        actor=cast.department_officer, summons=summons, mode="on_site", commitment="一小时内到场"
    )
    ws.whistle_rate(
        actor=cast.department_officer, summons=summons, necessary=False, comment="街道可自行解决"
    )
    other = find_summons(cast.street_leader, whistle, city.dept_s1.pk)
    ws.summons_release(actor=cast.street_leader, summons=other, note="不涉及执法")
    mirrored = list(ticket.events.filter(kind=EventKind.WHISTLE))
    assert [e.data["whistle_event"] for e in mirrored] == [
        "blown",
        "summoned",
        "summoned",
        "reported_in",
        "rated_whistle",
        "released",
    ]
    assert all(e.data["whistle"] == whistle.number for e in mirrored)

    page = login(cast.resident).get(reverse("tickets:mine_detail", args=[ticket.number]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "应急哨" in text and "一小时内到场" in text and "区城管委" in text
    assert "街道可自行解决" not in text and "不涉及执法" not in text

    api = login(cast.resident).get(f"/api/v1/tickets/{ticket.number}").json()
    notes = [e["note"] for e in api["timeline"]]
    assert any("一小时内到场" in n for n in notes)
    assert not any("街道可自行解决" in n or "不涉及执法" in n for n in notes)

    staff = login(cast.street_dispatcher).get(reverse("tickets:detail", args=[ticket.number]))
    text = staff.content.decode()
    assert staff.status_code == 200
    assert "街道可自行解决" in text and "不涉及执法" in text


def test_a_department_without_officers_is_told_through_its_head(
    cast: Any, city: Any, blow: Any, department_head: Any
) -> None:
    from grassroots.notices.models import Notice

    blow(departments=[city.dept_district.pk, city.dept_s1.pk])
    # 区城管委 has an officer: the head is not bothered at summons time.
    assert Notice.objects.filter(recipient=cast.department_officer, kind="whistles").count() == 1
    assert not Notice.objects.filter(recipient=department_head).exists()
    cast.department_officer.is_active = False
    cast.department_officer.save()
    blow(departments=[city.dept_district.pk])
    assert Notice.objects.filter(recipient=department_head, kind="whistles").count() == 1


def test_the_community_sees_the_streets_whistle_on_its_ticket(
    cast: Any, city: Any, submit: Any, blow: Any
) -> None:
    from grassroots.whistles.models import Summons, Whistle

    on_ticket = blow(ticket=submit())  # a ticket in 东一社区 (c1)
    alone = blow()
    for user in (cast.community_staff, cast.community_secretary):
        assert list(Whistle.objects.visible_to(user)) == [on_ticket]
        assert set(Summons.objects.visible_to(user)) == set(on_ticket.summonses.all())
    assert set(Whistle.objects.visible_to(cast.street_leader)) == {on_ticket, alone}
    assert not Whistle.objects.visible_to(cast.outsider).exists()
