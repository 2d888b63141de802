"""What a meeting record may hold, checked before anything is written: the expected members
each once, reasons for excused absences, the chair and recorder, the items and their
resolutions with votes within attendance, checked against the kind's quorum and passing rules
(DOMAIN.md §4); and the rows that a checked record becomes. The services in meetings.py call
these inside their transactions."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.core.errors import ValidationFailed

from .. import life_rules
from ..models import (
    Attendance,
    AttendanceStatus,
    HeldBy,
    ItemMinutes,
    Meeting,
    MeetingAgendaItem,
    MeetingRecord,
    OrgKind,
    PartyMember,
    PartyOrg,
    Resolution,
)
from ..periods import span_of


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


# ---------------------------------------------------------------------------------------------
# small shared parts


class _Errors:
    """Field errors collected while validating everything, raised once at the end."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        messages = self.fields.setdefault(name, [])
        if message not in messages:
            messages.append(message)

    def text(self, value: str | None, name: str, *, limit: int, label: str, required: bool) -> str:
        text = (value or "").strip()
        if required and not text:
            self.add(name, _("请填写%(label)s。") % {"label": label})
        elif len(text) > limit:
            self.add(name, _("%(label)s不能超过 %(n)d 个字。") % {"label": label, "n": limit})
        return text

    def raise_any(self) -> None:
        if self.fields:
            raise ValidationFailed(fields=self.fields)


def _aware(value: datetime) -> datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _local_date(value: datetime) -> date:
    return timezone.localtime(_aware(value)).date()


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _may_lead_meeting(member: PartyMember, org: PartyOrg) -> bool:
    """The organisation's leaders, or the branch's for a group."""
    if life_rules.leads(member, org):
        return True
    return org.kind == OrgKind.GROUP and life_rules.leads(member, life_rules.branch_of(org))


def _check_person(
    errors: _Errors,
    name: str,
    member: PartyMember | None,
    *,
    label: str,
    org: PartyOrg,
    expected_ids: set[int],
) -> None:
    if member is None:
        return
    if member.pk not in expected_ids and not _may_lead_meeting(member, org):
        errors.add(
            name,
            _("%(label)s须为应参加本次会议的党员或本组织的书记、委员。") % {"label": label},
        )


# ---------------------------------------------------------------------------------------------
# record and correct


@dataclass
class _CheckedResolution:
    text: str
    votes: tuple[int, int, int] | None
    outcome: life_rules.Outcome


@dataclass
class _CheckedItem:
    title: str
    minutes: str
    agenda_item: MeetingAgendaItem | None
    resolutions: list[_CheckedResolution]


@dataclass
class _CheckedRecord:
    held_at: datetime
    covers: date
    place: str
    guests: str
    remarks: str
    attendance: list[Attendance]
    expected: int
    present: int
    voting_expected: int
    voting_present: int
    quorum_met: bool
    items: list[_CheckedItem]


def _check_votes(values: tuple[int | None, int | None, int | None]) -> tuple[int, int, int] | None:
    """None when no votes were taken; ValueError when only some are given or one is below 0."""
    if all(v is None for v in values):
        return None
    if any(v is None for v in values):
        raise ValueError(_("赞成、反对、弃权票数须同时填写，或都不填。"))
    counted = tuple(int(v) for v in values if v is not None)
    if any(v < 0 for v in counted):
        raise ValueError(_("票数不能小于 0。"))
    return counted[0], counted[1], counted[2]


def _check_record(
    errors: _Errors,
    *,
    meeting: Meeting,
    held_at: datetime | None,
    chair: PartyMember | None,
    recorder: PartyMember | None,
    attendance: Sequence[AttendanceIn],
    items: Sequence[ItemIn],
    place: str,
    guests: str,
    remarks: str,
    covers: date | None,
) -> _CheckedRecord | None:
    """Everything a record must satisfy, every problem collected (DOMAIN.md §4)."""
    kind, org = meeting.kind, meeting.org
    now = timezone.now()
    if held_at is None:
        errors.add("held_at", _("请填写召开时间。"))
    else:
        held_at = _aware(held_at)
        if held_at > now:
            errors.add("held_at", _("会议还没开，不能记录为已召开。"))
    place = errors.text(place, "place", limit=100, label=_("地点"), required=False)
    guests = errors.text(guests, "guests", limit=500, label=_("列席人员"), required=False)
    remarks = errors.text(remarks, "remarks", limit=5000, label=_("备注"), required=False)
    if chair is None:
        errors.add("chair", _("请选择主持人。"))
    if recorder is None:
        errors.add("recorder", _("请选择记录人。"))

    # Attendance: every expected member exactly once (for a talk, its two people).
    expected = list(life_rules.expected_members(kind, org))
    expected_by_id = {m.pk: m for m in expected}
    _check_person(
        errors, "chair", chair, label=_("主持人"), org=org, expected_ids=set(expected_by_id)
    )
    _check_person(
        errors,
        "recorder",
        recorder,
        label=_("记录人"),
        org=org,
        expected_ids=set(expected_by_id),
    )
    rows: list[Attendance] = []
    seen: set[int] = set()
    for row in attendance:
        member = row.member
        if member.pk in seen:
            errors.add("attendance", _("%(name)s 重复填写了出席情况。") % {"name": member.name})
            continue
        seen.add(member.pk)
        if member.pk not in expected_by_id:
            errors.add(
                "attendance",
                _("%(name)s 不是应参加本次会议的党员，可填入列席人员。") % {"name": member.name},
            )
            continue
        if row.status not in AttendanceStatus.values:
            errors.add("attendance", _("%(name)s 的出席情况不是可选的值。") % {"name": member.name})
            continue
        reason = (row.reason or "").strip()
        if len(reason) > 200:
            errors.add(
                "attendance", _("%(name)s 的缺席原因不能超过 200 个字。") % {"name": member.name}
            )
            continue
        if row.status == AttendanceStatus.EXCUSED and not reason:
            errors.add("attendance", _("%(name)s 请假，请填写原因。") % {"name": member.name})
            continue
        if row.status == AttendanceStatus.PRESENT:
            reason = ""
        rows.append(
            Attendance(
                member=member,
                status=row.status,
                reason=reason,
                voting=life_rules.has_vote(member),
            )
        )
    if kind.held_by == HeldBy.PAIR:
        if len(seen) != 2 or any(r.status != AttendanceStatus.PRESENT for r in rows):
            errors.add("attendance", _("谈心谈话须填写本支部的两名党员，且两人都出席。"))
        people = {r.member.pk for r in rows}
    else:
        missing = [m.name for m in expected if m.pk not in seen]
        if missing:
            errors.add(
                "attendance",
                _("请为每位应到党员填写出席情况，还缺：%(names)s。")
                % {"names": "、".join(missing)},
            )
        people = set(expected_by_id)
    status_of = {r.member.pk: r.status for r in rows}
    roles: list[tuple[str, PartyMember | None, str]] = [
        ("chair", chair, _("主持人")),
        ("recorder", recorder, _("记录人")),
    ]
    for name, person, label in roles:
        if person is not None and status_of.get(person.pk, AttendanceStatus.PRESENT) != (
            AttendanceStatus.PRESENT
        ):
            errors.add(name, _("%(label)s应为出席。") % {"label": label})

    n_expected = len(people)
    present = sum(1 for r in rows if r.status == AttendanceStatus.PRESENT)
    voting_expected = sum(
        1 for pk in people if pk in expected_by_id and life_rules.has_vote(expected_by_id[pk])
    )
    voting_present = sum(1 for r in rows if r.status == AttendanceStatus.PRESENT and r.voting)
    counts = {
        "expected": n_expected,
        "present": present,
        "voting_expected": voting_expected,
        "voting_present": voting_present,
    }
    quorum = life_rules.quorum_met(kind, **counts)

    # Items and their resolutions, checked against the quorum and the passing rule.
    checked_items: list[_CheckedItem] = []
    for n, item in enumerate(items, 1):
        title = (item.title or "").strip()
        if not title and item.agenda_item is not None:
            title = item.agenda_item.title
        if not title:
            errors.add("items", _("第 %(n)d 项议题：请填写议题。") % {"n": n})
        elif len(title) > 200:
            errors.add("items", _("第 %(n)d 项议题：议题不能超过 200 个字。") % {"n": n})
        minutes = (item.minutes or "").strip()
        if len(minutes) > 10000:
            errors.add("items", _("第 %(n)d 项议题：记录不能超过 10000 个字。") % {"n": n})
        if item.agenda_item is not None and item.agenda_item.meeting_id != meeting.pk:
            errors.add("items", _("第 %(n)d 项议题：不是本次会议的议程。") % {"n": n})
        resolutions = []
        for resolution in item.resolutions:
            text = (resolution.text or "").strip()
            if not text:
                errors.add("resolutions", _("请填写决议内容。"))
            elif len(text) > 500:
                errors.add("resolutions", _("决议内容不能超过 500 个字。"))
            try:
                votes = _check_votes(
                    (resolution.votes_for, resolution.votes_against, resolution.votes_abstain)
                )
            except ValueError as exc:
                errors.add("votes", str(exc))
                continue
            if votes is not None and sum(votes) > voting_present:
                errors.add("votes", _("表决票数超过实到有表决权人数。"))
                continue
            outcome = life_rules.vote_outcome(
                kind, **counts, votes_for=votes[0] if votes is not None else None
            )
            resolutions.append(_CheckedResolution(text=text, votes=votes, outcome=outcome))
        checked_items.append(
            _CheckedItem(
                title=title,
                minutes=minutes,
                agenda_item=item.agenda_item,
                resolutions=resolutions,
            )
        )

    # The period the meeting counts for: its own, or an earlier one for a make-up meeting.
    if held_at is not None and not errors.fields.get("held_at"):
        own = span_of(kind.period, _local_date(held_at)).start
        if covers is None:
            covers = own
        elif covers != span_of(kind.period, covers).start:
            errors.add("covers", _("计入周期须填该周期的第一天，如 %(day)s。") % {"day": own})
        elif covers > own:
            errors.add("covers", _("不能计入召开时间以后的周期。"))
        elif covers < _add_months(own, -12):
            errors.add("covers", _("补开的会议最多计入 12 个月以前的周期。"))

    if errors.fields or held_at is None or covers is None:
        return None
    return _CheckedRecord(
        held_at=held_at,
        covers=covers,
        place=place,
        guests=guests,
        remarks=remarks,
        attendance=rows,
        quorum_met=quorum,
        items=checked_items,
        **counts,
    )


def _write_children(record: MeetingRecord, checked: _CheckedRecord) -> None:
    for row in checked.attendance:
        row.record = record
    Attendance.objects.bulk_create(checked.attendance)
    resolutions = []
    order = 0
    for n, item in enumerate(checked.items, 1):
        minutes = ItemMinutes.objects.create(
            record=record,
            agenda_item=item.agenda_item,
            order=n,
            title=item.title,
            minutes=item.minutes,
        )
        for resolution in item.resolutions:
            order += 1
            votes = resolution.votes
            resolutions.append(
                Resolution(
                    record=record,
                    item=minutes,
                    order=order,
                    text=resolution.text,
                    votes_for=votes[0] if votes else None,
                    votes_against=votes[1] if votes else None,
                    votes_abstain=votes[2] if votes else None,
                    passed=resolution.outcome.passed,
                    outcome=resolution.outcome.reason,
                )
            )
    Resolution.objects.bulk_create(resolutions)


def _record_audit(checked: _CheckedRecord, record: MeetingRecord) -> dict[str, Any]:
    return {
        "version": record.version,
        "held_at": checked.held_at.isoformat(),
        "covers": checked.covers.isoformat(),
        "expected": checked.expected,
        "present": checked.present,
        "quorum_met": checked.quorum_met,
        "resolutions": [
            {"votes": r.votes, "passed": r.outcome.passed}
            for item in checked.items
            for r in item.resolutions
        ],
    }


def _record_fields(checked: _CheckedRecord) -> dict[str, Any]:
    return {
        "held_at": checked.held_at,
        "place": checked.place,
        "guests": checked.guests,
        "remarks": checked.remarks,
        "expected": checked.expected,
        "present": checked.present,
        "voting_expected": checked.voting_expected,
        "voting_present": checked.voting_present,
        "quorum_met": checked.quorum_met,
    }
