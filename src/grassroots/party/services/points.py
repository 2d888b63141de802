"""The points ledger (党员积分): entries from facts, and manual adjustments with a reason.

The ledger is append-only (`PointEntry` refuses updates and deletes): a wrong entry is put
right by appending the difference. Rules are configuration (`PointRule`, DESIGN.md rule 8).
Only three things write here, and each names its source: a locked meeting record
(`points_for_record`), a ticket closed after a member resolved it (`credit_closed_tickets`),
and a manual adjustment with its reason (`points_adjust`, audited). Nothing is earned by
signing in, reading or clicking (DOMAIN.md §1: outcomes, never activity counts).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from grassroots.core.audit import audit_log
from grassroots.core.errors import Forbidden, ValidationFailed
from grassroots.notices.services import notify
from grassroots.tickets.models import EventKind, Ticket, TicketEvent, TicketState

from ..life_rules import may_run, member_of
from ..models import (
    Attendance,
    AttendanceStatus,
    HeldBy,
    Meeting,
    MeetingRecord,
    PartyMember,
    PointEntry,
    PointRule,
)

RULE_PRESENT = "meeting_present"
RULE_ABSENT = "meeting_absent"
RULE_TICKET = "ticket_resolved"
# Which attendance earns which rule; an excused absence (请假) earns nothing either way.
ATTENDANCE_RULES: dict[str, str] = {
    AttendanceStatus.PRESENT: RULE_PRESENT,
    AttendanceStatus.ABSENT: RULE_ABSENT,
}

ADJUST_MAX = 50  # one manual adjustment moves at most this many points either way
REASON_MAX = 200  # PointEntry.reason
TICKET_BATCH = 500  # tickets credited per transaction by the sweep


def _stored(text: str) -> str:
    # A reason is stored text, read later in any language: the callers write it in the
    # default language (translation.override), and it fits the column.
    return text[:REASON_MAX]


# --- meetings -----------------------------------------------------------------------------


def _attendance_label(code: str, kind_name: str, held_at: datetime) -> str:
    when = timezone.localtime(held_at)
    status = _("出席") if code == RULE_PRESENT else _("无故缺席")
    return _("%(status)s %(kind)s（%(month)s）") % {
        "status": status,
        "kind": kind_name,
        "month": _("%(year)d年%(month)d月") % {"year": when.year, "month": when.month},
    }


def points_for_record(record: MeetingRecord) -> int:
    """Bring the ledger in line with a locked meeting record's attendance and return how many
    entries were appended (called by meeting_confirm when a record locks).

    Only the kinds on the compliance calendar count (`MeetingKind.required`), and not talks
    between two people. For every member the record names (and every member the ledger already
    credits for this meeting), the points a fact is worth are compared with what the ledger
    holds for (member, meeting, rule), and only the difference is appended. So locking a record
    twice appends nothing, and a corrected version (present → absent) appends the reversal of
    the old entry and the new one; no row is ever changed. A fact that still holds keeps what
    it earned even if its rule changed or was switched off since; a new fact earns nothing
    under a rule that is switched off. A record that is not locked, or that a later locked
    version replaced, is left alone."""
    return points_for_records([record])


RECORDS_BATCH = 1000  # records brought in line per round of queries


def points_for_records(records: Sequence[MeetingRecord]) -> int:
    """`points_for_record` for many records of different meetings (the demo's year of
    history) in a fixed number of queries per RECORDS_BATCH records."""
    locked = [r for r in records if r.locked_at is not None]
    appended = 0
    for start in range(0, len(locked), RECORDS_BATCH):
        appended += _bring_in_line(locked[start : start + RECORDS_BATCH])
    return appended


def _bring_in_line(records: Sequence[MeetingRecord]) -> int:
    with transaction.atomic():
        # One meeting at a time (select_for_update on PostgreSQL, in id order so that two
        # batches cannot deadlock; SQLite's IMMEDIATE transactions already serialise writers):
        # a second call waits here and then finds the ledger in line, so nothing is appended
        # twice.
        meetings = {
            m.pk: m
            for m in Meeting.objects.select_for_update(of=("self",))
            .select_related("kind")
            .filter(pk__in={r.meeting_id for r in records})
            .order_by("pk")
        }
        latest: dict[int, int] = dict(
            MeetingRecord.objects.filter(meeting__in=list(meetings), locked_at__isnull=False)
            .order_by()
            .values("meeting_id")
            .annotate(version=Max("version"))
            .values_list("meeting_id", "version")
        )
        counted = [
            r
            for r in records
            if meetings[r.meeting_id].kind.required
            and meetings[r.meeting_id].kind.held_by != HeldBy.PAIR
            and latest.get(r.meeting_id, 0) <= r.version
        ]
        # A record given twice is brought in line once.
        counted = list({r.meeting_id: r for r in counted}.values())
        if not counted:
            return 0
        rules = list(PointRule.objects.filter(code__in=ATTENDANCE_RULES.values()))
        status_of: dict[int, dict[int, str]] = {}
        for record_id, member_id, status in Attendance.objects.filter(
            record__in=[r.pk for r in counted]
        ).values_list("record_id", "member_id", "status"):
            status_of.setdefault(record_id, {})[member_id] = status
        held: dict[int, dict[tuple[int, int], int]] = {}
        for row in (
            PointEntry.objects.filter(meeting__in=[r.meeting_id for r in counted], rule__in=rules)
            .values("meeting_id", "member_id", "rule_id")
            .annotate(total=Sum("points"))
        ):
            held.setdefault(row["meeting_id"], {})[(row["member_id"], row["rule_id"])] = (
                row["total"] or 0
            )
        member_ids = {m for r in counted for m in status_of.get(r.pk, {})}
        member_ids |= {m for h in held.values() for m, _rule in h}
        street_of = dict(
            PartyMember.objects.filter(pk__in=member_ids).values_list("pk", "street_id")
        )
        entries: list[PointEntry] = []
        with translation.override(settings.LANGUAGE_CODE):
            for record in counted:
                entries += _entries(
                    record,
                    meetings[record.meeting_id],
                    rules,
                    status_of.get(record.pk, {}),
                    held.get(record.meeting_id, {}),
                    street_of,
                )
        PointEntry.objects.bulk_create(entries, batch_size=1000)
    return len(entries)


def _entries(
    record: MeetingRecord,
    meeting: Meeting,
    rules: Sequence[PointRule],
    status_of: dict[int, str],
    held: dict[tuple[int, int], int],
    street_of: Mapping[int, int | None],
) -> list[PointEntry]:
    """The ledger rows that bring one meeting in line with its record: the difference, per
    member and rule, between what the facts are worth and what the ledger holds."""
    kind = meeting.kind
    member_ids = set(status_of) | {member_id for member_id, _rule in held}
    correcting = record.version > 1 or bool(held)
    entries: list[PointEntry] = []
    for member_id in sorted(member_ids):
        fact = ATTENDANCE_RULES.get(status_of.get(member_id, ""))
        # The reversal of what no longer holds first, then the new fact.
        for rule in sorted(rules, key=lambda r: r.code == fact):
            have = held.get((member_id, rule.pk), 0)
            earned = rule.points if rule.active else 0
            want = (have or earned) if fact == rule.code else 0
            if want == have:
                continue
            what = _attendance_label(rule.code, kind.name, record.held_at)
            if want == 0:
                reason = _("更正：撤销“%(what)s”") % {"what": what}
            elif correcting:
                reason = _("更正：%(what)s") % {"what": what}
            else:
                reason = what
            entries.append(
                PointEntry(
                    member_id=member_id,
                    points=want - have,
                    rule=rule,
                    reason=_stored(reason),
                    meeting=meeting,
                    record=record,
                    street_id=street_of.get(member_id),
                )
            )
    return entries


# --- tickets ------------------------------------------------------------------------------


Candidate = tuple[int, str | None, int]  # ticket pk, number, resolver's user id


def _closed_tickets(rule: PointRule, since: datetime | None) -> QuerySet[Ticket, Candidate]:
    """Tickets closed (after review, or when the review window ran out) whose last 办结 was
    done by a party member's account, and not credited to that member yet. A rejected or
    merged ticket is in a state of its own and never here."""
    last_resolver = (
        TicketEvent.objects.filter(ticket=OuterRef("pk"), kind=EventKind.RESOLVED)
        .order_by("-created_at", "-id")
        .values("actor_id")[:1]
    )
    credited = PointEntry.objects.filter(
        ticket=OuterRef("pk"), rule=rule, member__user_id=OuterRef("resolver")
    )
    rows = Ticket.objects.filter(state=TicketState.CLOSED)
    if since is not None:
        # Every close appends a 回访 event (a review, or the sweep's automatic close): read
        # through the events' (kind, created_at) index instead of scanning closed tickets.
        reviewed = TicketEvent.objects.filter(kind=EventKind.REVIEWED, created_at__gte=since)
        rows = rows.filter(pk__in=reviewed.values("ticket_id"))
    members = PartyMember.objects.filter(user__isnull=False).values("user_id")
    return (
        rows.annotate(resolver=Subquery(last_resolver))
        .filter(resolver__in=members)
        .exclude(Exists(credited))
        .order_by("pk")
        .values_list("pk", "number", "resolver")
    )


def _credit_batch(rule: PointRule, found: Sequence[Candidate]) -> int:
    with transaction.atomic():
        # The members' rows are locked (in pk order, so two sweeps cannot deadlock) and the
        # ledger read again under the lock: a sweep that ran meanwhile has credited some.
        members = {
            m.user_id: m
            for m in PartyMember.objects.select_for_update()
            .filter(user_id__in={resolver for _pk, _number, resolver in found})
            .order_by("pk")
            .only("pk", "user_id", "street_id")
        }
        done = set(
            PointEntry.objects.filter(
                rule=rule, ticket_id__in=[pk for pk, _number, _resolver in found]
            ).values_list("member_id", "ticket_id")
        )
        entries = []
        with translation.override(settings.LANGUAGE_CODE):
            for pk, number, resolver in found:
                member = members.get(resolver)
                if member is None or (member.pk, pk) in done:
                    continue
                entries.append(
                    PointEntry(
                        member_id=member.pk,
                        points=rule.points,
                        rule=rule,
                        reason=_stored(_("办结工单 %(number)s") % {"number": number or pk}),
                        ticket_id=pk,
                        street_id=member.street_id,
                    )
                )
        PointEntry.objects.bulk_create(entries)
    return len(entries)


def credit_closed_tickets(since: datetime | None = None, *, batch: int = TICKET_BATCH) -> int:
    """Credit `ticket_resolved` to the party member who resolved (办结) a ticket that is now
    closed, once per (member, ticket); returns how many entries were appended. `since` looks
    only at tickets reviewed or closed from then on (the periodic sweep); without it every
    closed ticket is looked at (a first run, or catching up).

    A closed ticket counts whether the requester's review passed or the review window ran out
    (the ticket services close it then); a rejected or merged ticket never counts. The member
    credited is the one whose 办结 closed it: if a ticket is reopened and resolved again by
    someone else, the new resolver is credited at its next close. A reopened ticket does not
    take the points back automatically (a party worker can adjust by hand with a reason), and
    a second close credits no one twice. Safe to run twice or concurrently: batches of
    `batch` tickets, each a fixed number of queries, re-checked under a lock of the members'
    rows."""
    rule = PointRule.objects.filter(code=RULE_TICKET, active=True).first()
    if rule is None:
        return 0
    rows = _closed_tickets(rule, since)
    total, after = 0, 0
    while True:
        found = list(rows.filter(pk__gt=after)[:batch])
        if not found:
            return total
        after = found[-1][0]
        total += _credit_batch(rule, found)
        if len(found) < batch:
            return total


# --- manual adjustments -------------------------------------------------------------------


def may_adjust(actor: Any, member: PartyMember) -> bool:
    """The branch's secretary and committee, and the party staff whose territory covers the
    branch; never for one's own points."""
    own = member_of(actor)
    if own is not None and own.pk == member.pk:
        return False
    return may_run(actor, member.branch)


def adjust_errors(points: Any, reason: str | None) -> dict[str, list[str]]:
    """What is wrong with an adjustment, by field (the form shows them all at once)."""
    errors: dict[str, list[str]] = {}
    if isinstance(points, bool) or not isinstance(points, int):
        errors["points"] = [_("请填写整数分值。")]
    elif points == 0:
        errors["points"] = [_("调整分值不能为 0。")]
    elif abs(points) > ADJUST_MAX:
        errors["points"] = [_("每次调整不能超过 ±%(n)d 分。") % {"n": ADJUST_MAX}]
    text = (reason or "").strip()
    if not text:
        errors["reason"] = [_("请填写调整原因。")]
    elif len(text) > REASON_MAX:
        errors["reason"] = [_("调整原因不能超过 %(n)d 个字。") % {"n": REASON_MAX}]
    return errors


def points_adjust(
    *,
    actor: Any,
    member: PartyMember,
    points: Any,
    reason: str,
    request: HttpRequest | None = None,
) -> PointEntry:
    """A manual adjustment (人工调整): a non-zero whole number within ±ADJUST_MAX and a
    reason; appended, told to the member and audited. Refused as a whole otherwise."""
    own = member_of(actor)
    if own is not None and own.pk == member.pk:
        raise Forbidden(_("不能调整本人的积分。"))
    if not may_run(actor, member.branch):
        raise Forbidden(_("只有本支部书记、支委或辖区党务工作人员可以调整积分。"))
    errors = adjust_errors(points, reason)
    if errors:
        raise ValidationFailed(fields=errors)
    text = reason.strip()
    with transaction.atomic():
        entry = PointEntry(
            member=member, points=points, reason=text, actor=actor, street_id=member.street_id
        )
        entry.save()
        notify(
            recipients=[member.account] if member.account else [],
            title=_("您的党员积分有调整"),
            body=_("%(points)+d 分，原因：%(reason)s") % {"points": points, "reason": text},
            url=reverse("party:points_mine"),
            kind="party.points_adjust",
        )
        audit_log(
            action="party.points_adjust",
            actor=actor,
            obj=entry,
            data={"member": member.pk, "points": points},
            request=request,
        )
    return entry


# --- reads --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleTotal:
    code: str | None  # None: manual adjustments
    name: str
    points: int


@dataclass(frozen=True)
class Summary:
    total: int
    this_year: int
    by_rule: list[RuleTotal]


def points_total(member: PartyMember) -> int:
    """The member's points: the sum of the ledger."""
    return PointEntry.objects.filter(member=member).aggregate(n=Sum("points"))["n"] or 0


def points_summary(member: PartyMember) -> Summary:
    """Total, this (local) year's, and per rule: two queries whatever the ledger's length."""
    today = timezone.localdate()
    year_start = timezone.make_aware(datetime(today.year, 1, 1))
    rows = PointEntry.objects.filter(member=member)
    sums = rows.aggregate(
        total=Sum("points"), year=Sum("points", filter=Q(created_at__gte=year_start))
    )
    by_rule = [
        RuleTotal(
            code=row["rule__code"],
            name=row["rule__name"] or _("人工调整"),
            points=row["total"] or 0,
        )
        for row in rows.order_by()
        .values("rule__code", "rule__name")
        .annotate(total=Sum("points"))
        .order_by(F("rule__code").asc(nulls_last=True))
    ]
    return Summary(total=sums["total"] or 0, this_year=sums["year"] or 0, by_rule=by_rule)


def ledger(member: PartyMember) -> QuerySet[PointEntry]:
    """The member's entries, newest first, with what their sources need in the same query
    (the ticket's number and the adjuster's name only: no personal data is read)."""
    return (
        PointEntry.objects.filter(member=member)
        .select_related("rule", "meeting__kind")
        .annotate(
            ticket_number=F("ticket__number"),
            actor_name=F("actor__name"),
            actor_username=F("actor__username"),
        )
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class Source:
    """Where an entry came from, as a page or the API shows it."""

    kind: str  # "meeting" | "ticket" | "adjustment"
    label: str
    url: str = ""
    meeting: Meeting | None = None
    ticket: str | None = None
    actor: str | None = None


def meeting_url(pk: int) -> str:
    return reverse("party:meeting", args=[pk])


def entry_source(entry: PointEntry, *, phone: bool = False) -> Source:
    """The fact behind an entry (read from `ledger`): a meeting with its kind and date, a
    ticket by its number (the phone's handling page on a phone), or the adjuster and reason."""
    if entry.meeting_id is not None and entry.meeting is not None:
        meeting = entry.meeting
        when = timezone.localtime(meeting.held_at or meeting.planned_at)
        label = _("%(title)s · %(kind)s · %(date)s") % {
            "title": meeting.title,
            "kind": meeting.kind.name,
            "date": when.strftime("%Y-%m-%d"),
        }
        return Source("meeting", label, meeting_url(meeting.pk), meeting=meeting)
    if entry.ticket_id is not None:
        number: str = getattr(entry, "ticket_number", None) or str(entry.ticket_id)
        view = "tickets:handle" if phone else "tickets:detail"
        return Source(
            "ticket",
            _("工单 %(number)s") % {"number": number},
            reverse(view, args=[number]),
            ticket=number,
        )
    actor = getattr(entry, "actor_name", "") or getattr(entry, "actor_username", "") or ""
    label = _("人工调整：%(reason)s（%(actor)s）") % {"reason": entry.reason, "actor": actor}
    return Source("adjustment", label, actor=actor or None)
