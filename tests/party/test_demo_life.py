"""The demo city's organisational life: a year of meetings that the calendar reads, the live
work of the first branch made through the services, and points only from facts."""

from __future__ import annotations

import io
from typing import Any

from django.core.management import call_command

from grassroots.party.demo import SHOWCASE_BRANCH
from grassroots.party.models import (
    Appraisal,
    AppraisalStage,
    FollowUp,
    Meeting,
    MeetingAgendaItem,
    MeetingRecord,
    MeetingState,
    PartyOrg,
    PointEntry,
)
from tests.tickets.conftest import catalogue  # noqa: F401 - the seeded catalogue


def test_the_demo_city_holds_a_year_of_organisational_life(db: Any) -> None:
    out = io.StringIO()
    call_command("demo_city", "--size", "tiny", "--quiet-accounts", stdout=out)
    count = Meeting.objects.count()
    assert f"组织生活会议 meetings: {count:,}" in out.getvalue() and count > 100
    # Every confirmed meeting has a locked record whose counts match its attendance.
    for record in MeetingRecord.objects.filter(meeting__state=MeetingState.CONFIRMED)[:50]:
        assert record.locked_at is not None
        assert record.expected == record.attendance.count()
        assert record.present == record.attendance.filter(status="present").count()
    branch = PartyOrg.objects.get(name=SHOWCASE_BRANCH)
    live = Meeting.objects.filter(org=branch, kind__code="committee_meeting")
    assert live.filter(state=MeetingState.PLANNED).exists()
    waiting = live.get(state=MeetingState.RECORDED)
    record = waiting.records.get()
    assert record.chair_confirmed_at is not None and record.recorder_confirmed_at is None
    taken = MeetingAgendaItem.objects.filter(meeting__org=branch, ticket__isnull=False).get()
    assert FollowUp.objects.filter(ticket=taken.ticket).exists()
    assert Appraisal.objects.get(org=branch).stage == AppraisalStage.BALLOT
    # Points come from meetings and tickets only, never from nothing.
    assert PointEntry.objects.exists()
    assert not PointEntry.objects.filter(meeting=None, ticket=None).exists()
