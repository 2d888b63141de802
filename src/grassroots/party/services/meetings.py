"""Meetings (三会一课 and the rest): plan, record, confirm, correct, cancel; follow-up tasks.

Interface agreed for the views and the API; each function runs in one transaction, validates
everything first (a `ValidationFailed` with field-level Chinese messages changes nothing),
writes, appends an audit record, and schedules notices with `transaction.on_commit`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ..models import (
    FollowUp,
    Meeting,
    MeetingAgendaItem,
    MeetingKind,
    MeetingRecord,
    PartyMember,
    PartyOrg,
)


@dataclass(frozen=True)
class AgendaIn:
    """A planned agenda item; at most one of ticket / whistle / hotspot."""

    title: str
    ticket: Any = None  # tickets.Ticket, visible to the actor and in the org's territory
    whistle: Any = None  # whistles.Whistle, idem
    hotspot_category: Any = None  # tickets.Category, with hotspot_area and hotspot_count
    hotspot_area: Any = None
    hotspot_count: int | None = None


@dataclass(frozen=True)
class AttendanceIn:
    member: PartyMember
    status: str  # AttendanceStatus
    reason: str = ""


@dataclass(frozen=True)
class ResolutionIn:
    text: str
    votes_for: int | None = None
    votes_against: int | None = None
    votes_abstain: int | None = None


@dataclass(frozen=True)
class ItemIn:
    title: str
    minutes: str = ""
    agenda_item: MeetingAgendaItem | None = None
    resolutions: Sequence[ResolutionIn] = field(default_factory=tuple)


def meeting_plan(
    *,
    actor: Any,
    org: PartyOrg,
    kind: MeetingKind,
    planned_at: datetime,
    title: str = "",
    place: str = "",
    chair: PartyMember | None = None,
    recorder: PartyMember | None = None,
    agenda: Sequence[AgendaIn] = (),
) -> Meeting:
    raise NotImplementedError


def meeting_cancel(*, actor: Any, meeting: Meeting, reason: str) -> Meeting:
    raise NotImplementedError


def meeting_record(
    *,
    actor: Any,
    meeting: Meeting,
    held_at: datetime,
    chair: PartyMember,
    recorder: PartyMember,
    attendance: Sequence[AttendanceIn],
    items: Sequence[ItemIn],
    place: str = "",
    guests: str = "",
    remarks: str = "",
    covers: date | None = None,
) -> MeetingRecord:
    raise NotImplementedError


def meeting_confirm(*, actor: Any, meeting: Meeting) -> MeetingRecord:
    raise NotImplementedError


def meeting_correct(
    *,
    actor: Any,
    meeting: Meeting,
    reason: str,
    held_at: datetime,
    chair: PartyMember,
    recorder: PartyMember,
    attendance: Sequence[AttendanceIn],
    items: Sequence[ItemIn],
    place: str = "",
    guests: str = "",
    remarks: str = "",
    covers: date | None = None,
) -> MeetingRecord:
    raise NotImplementedError


def followup_create(
    *,
    actor: Any,
    meeting: Meeting,
    title: str,
    owner: PartyMember,
    due_on: date,
    resolution: Any = None,
) -> FollowUp:
    raise NotImplementedError


def followup_done(*, actor: Any, followup: FollowUp, note: str = "") -> FollowUp:
    raise NotImplementedError
