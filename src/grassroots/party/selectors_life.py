"""Reads of organisational life: meetings as a user sees them, one meeting with its record, and
what governance work offers a branch's agenda (双向互动: hotspots of requests, overdue and
reopened tickets, open whistles), and the other way, which meetings took a ticket or a whistle
up. Every list of meetings starts from `Meeting.objects.visible_to`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    prefetch_related_objects,
)
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.core.errors import NotFound
from grassroots.core.scoping import get_visible, under
from grassroots.territory.models import Area

from .models import (
    AgendaSource,
    Attendance,
    FollowUp,
    ItemMinutes,
    Meeting,
    MeetingAgendaItem,
    MeetingAttachment,
    MeetingKind,
    MeetingRecord,
    MeetingState,
    PartyMember,
    PartyOrg,
    Resolution,
)

# ---------------------------------------------------------------------------------------------
# meetings


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def meetings_for(
    user: Any,
    *,
    org: PartyOrg | None = None,
    kind: MeetingKind | str | None = None,
    state: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[Meeting]:
    """The meetings the user may see, latest planned first; `since` and `until` are local
    days, both included, on the planned time."""
    rows = Meeting.objects.visible_to(user).select_related(
        "org", "kind", "chair", "recorder", "street"
    )
    if org is not None:
        rows = rows.filter(org=org)
    if isinstance(kind, MeetingKind):
        rows = rows.filter(kind=kind)
    elif kind:
        rows = rows.filter(kind__code=kind)
    if state:
        rows = rows.filter(state=state)
    if since is not None:
        rows = rows.filter(planned_at__gte=_start_of(since))
    if until is not None:
        rows = rows.filter(planned_at__lt=_start_of(until + timedelta(days=1)))
    return rows.order_by("-planned_at", "-id")


def life_orgs_for(user: Any) -> QuerySet[PartyOrg]:
    """The organisations whose life the user may take part in: those in their territory, and
    their own branch and group as a member (a member with a resident's account has no
    territory)."""
    own = PartyMember.objects.of_user(user)
    visible = PartyOrg.objects.visible_to(user).values("pk")
    return PartyOrg.objects.filter(
        Q(pk__in=visible) | Q(pk__in=own.values("branch_id")) | Q(pk__in=own.values("group_id"))
    )


def _record_contents() -> list[Prefetch[Any]]:
    return [
        Prefetch(
            "attendance",
            queryset=Attendance.objects.select_related("member").order_by("member__name", "id"),
        ),
        Prefetch(
            "items",
            queryset=ItemMinutes.objects.select_related("agenda_item").prefetch_related(
                Prefetch("resolutions", queryset=Resolution.objects.order_by("order", "id"))
            ),
        ),
    ]


def _record_rows(rows: QuerySet[MeetingRecord]) -> QuerySet[MeetingRecord]:
    return rows.select_related("chair", "recorder", "created_by").prefetch_related(
        *_record_contents()
    )


@dataclass
class MeetingDetail:
    """One meeting as its page and the API show it: the plan and agenda, the current record
    with its attendance, minutes and resolutions, every version (without their contents), the
    follow-up tasks and the attachments."""

    meeting: Meeting
    agenda: list[MeetingAgendaItem]
    current: MeetingRecord | None
    versions: list[MeetingRecord]
    followups: list[FollowUp]
    attachments: list[MeetingAttachment] = field(default_factory=list)


def find_meeting(user: Any, pk: Any) -> Meeting:
    """A meeting the user may see, with its organisation and kind (NotFound otherwise)."""
    meeting: Meeting = get_visible(
        Meeting.objects.select_related("org", "kind", "chair", "recorder"), user, pk=pk
    )
    return meeting


def meeting_detail(user: Any, pk: Any) -> MeetingDetail:
    """A fixed number of queries whatever the number of members, items, versions and
    attachments; the attachments cost one more only when there are some."""
    meeting: Meeting = get_visible(
        Meeting.objects.select_related("org", "kind", "chair", "recorder").annotate(
            has_attachments=Exists(MeetingAttachment.objects.filter(meeting=OuterRef("pk")))
        ),
        user,
        pk=pk,
    )
    agenda = list(
        meeting.agenda.select_related(
            "ticket", "whistle", "hotspot_category", "hotspot_area"
        ).order_by("order", "id")
    )
    versions = list(
        MeetingRecord.objects.filter(meeting=meeting)
        .select_related("chair", "recorder", "created_by")
        .order_by("version")
    )
    current = next((v for v in versions if v.version == meeting.version), None)
    if current is not None:
        prefetch_related_objects([current], *_record_contents())
    followups = list(
        FollowUp.objects.filter(meeting=meeting)
        .select_related("owner", "resolution", "ticket", "whistle")
        .order_by("due_on", "id")
    )
    attachments = (
        list(MeetingAttachment.objects.filter(meeting=meeting).order_by("id"))
        if meeting.has_attachments  # type: ignore[attr-defined]
        else []
    )
    return MeetingDetail(
        meeting=meeting,
        agenda=agenda,
        current=current,
        versions=versions,
        followups=followups,
        attachments=attachments,
    )


def find_attachment(user: Any, pk: Any, attachment_pk: Any) -> MeetingAttachment:
    """An attachment of a meeting the user may see (NotFound otherwise)."""
    try:
        return MeetingAttachment.objects.select_related("meeting").get(
            pk=int(attachment_pk),
            meeting_id=int(pk),
            meeting__in=Meeting.objects.visible_to(user).values("pk"),
        )
    except (MeetingAttachment.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def record_version(user: Any, pk: Any, version: int) -> MeetingRecord:
    """One version of a visible meeting's record, with its contents (NotFound otherwise)."""
    meeting = find_meeting(user, pk)
    record = _record_rows(MeetingRecord.objects.filter(meeting=meeting, version=version)).first()
    if record is None:
        raise NotFound()
    record.meeting = meeting
    return record


def find_followup(user: Any, pk: Any) -> FollowUp:
    """A follow-up task of a visible meeting, or one the user owns (NotFound otherwise)."""
    own = PartyMember.objects.of_user(user)
    visible = Meeting.objects.visible_to(user).values("pk")
    try:
        return (
            FollowUp.objects.select_related("meeting__org", "owner__user", "owner__resident__user")
            .filter(Q(meeting__in=visible) | Q(owner__in=own.values("pk")))
            .get(pk=pk)
        )
    except (FollowUp.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


# ---------------------------------------------------------------------------------------------
# agenda from governance work (双向互动)


@dataclass(frozen=True)
class Hotspot:
    """Many requests of one category in one area over the last days."""

    category: Any  # tickets.Category
    area: Area
    count: int


@dataclass(frozen=True)
class Candidate:
    """One suggestion, flattened for a form's checkbox: `agenda` holds the keyword arguments
    of `services.meetings.AgendaIn` besides the title."""

    key: str
    title: str
    source: str  # AgendaSource
    detail: str
    url: str
    on_agenda: bool
    agenda: dict[str, Any]


def _url(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@dataclass
class Candidates:
    """What governance work offers the agenda, by kind; iterating gives every suggestion
    as a `Candidate`, hotspots first."""

    hotspots: list[Hotspot] = field(default_factory=list)
    overdue: list[Any] = field(default_factory=list)  # tickets.Ticket, with on_agenda
    reopened: list[Any] = field(default_factory=list)  # tickets.Ticket, with on_agenda
    whistles: list[Any] = field(default_factory=list)  # whistles.Whistle, with on_agenda
    days: int = 30

    def __iter__(self) -> Iterator[Candidate]:
        for h in self.hotspots:
            yield Candidate(
                key=f"hotspot:{h.category.pk}:{h.area.pk}",
                title=_("%(area)s%(category)s诉求集中（%(count)d 件）")
                % {"area": h.area.name, "category": h.category.name, "count": h.count},
                source=AgendaSource.HOTSPOT,
                detail=_("近 %(days)d 天同类诉求 %(count)d 件")
                % {"days": self.days, "count": h.count},
                url="",
                on_agenda=False,
                agenda={
                    "hotspot_category": h.category,
                    "hotspot_area": h.area,
                    "hotspot_count": h.count,
                },
            )
        seen: set[int] = set()
        for ticket in [*self.overdue, *self.reopened]:
            if ticket.pk in seen:
                continue
            seen.add(ticket.pk)
            if ticket.reopen_count:
                detail = _("重办 %(n)d 次，尚未结案") % {"n": ticket.reopen_count}
            else:
                detail = _("超期未办结")
            yield Candidate(
                key=f"ticket:{ticket.pk}",
                title=_("%(category)s（工单 %(number)s）")
                % {"category": ticket.category.name, "number": ticket.number},
                source=AgendaSource.TICKET,
                detail=detail,
                url=_url("tickets:detail", ticket.number) if ticket.number else "",
                on_agenda=bool(getattr(ticket, "on_agenda", False)),
                agenda={"ticket": ticket},
            )
        for whistle in self.whistles:
            yield Candidate(
                key=f"whistle:{whistle.pk}",
                title=whistle.title,
                source=AgendaSource.WHISTLE,
                detail=_("吹哨进行中"),
                url=_url("whistles:detail", whistle.number) if whistle.number else "",
                on_agenda=bool(getattr(whistle, "on_agenda", False)),
                agenda={"whistle": whistle},
            )


def _on_agenda(org: PartyOrg, link: str) -> Exists:
    """Already on an agenda of this organisation (a cancelled meeting does not count)."""
    return Exists(
        MeetingAgendaItem.objects.filter(**{link: OuterRef("pk")}, meeting__org=org).exclude(
            meeting__state=MeetingState.CANCELLED
        )
    )


def agenda_candidates(
    org: PartyOrg,
    *,
    days: int = 30,
    min_count: int = 3,
    limit: int = 10,
    user: Any = None,
    now: datetime | None = None,
) -> Candidates:
    """What the branch could put on its agenda from the requests and whistles of its
    territory. Hotspots are counts (no person in them); the tickets and whistles listed are
    only those `user`, when given, may see. Each ticket and whistle carries `on_agenda`: the
    organisation already took it up. Five queries, each on indexed columns and bounded by
    `limit`."""
    from grassroots.tickets.models import Category, Ticket
    from grassroots.tickets.models.tickets import CLOSED_STATES, OPEN_STATES, TicketState
    from grassroots.whistles.models import Whistle, WhistleState

    if not org.area_path:
        return Candidates()  # an organisation with no territory has no requests of its own
    now = now or timezone.now()
    inside = Ticket.objects.filter(under("area_path", org.area_path))
    groups = list(
        inside.filter(created_at__gte=now - timedelta(days=days))
        .exclude(state=TicketState.MERGED)
        .values("category_id", "area_id")
        .annotate(n=Count("id"))
        .filter(n__gte=min_count)
        .order_by("-n", "category_id", "area_id")[:limit]
    )
    hotspots = []
    if groups:
        categories = Category.objects.in_bulk({g["category_id"] for g in groups})
        areas = Area.objects.in_bulk({g["area_id"] for g in groups})
        hotspots = [
            Hotspot(category=categories[g["category_id"]], area=areas[g["area_id"]], count=g["n"])
            for g in groups
        ]
    visible = Ticket.objects.visible_to(user) if user is not None else Ticket.objects.all()
    tickets = (
        visible.filter(under("area_path", org.area_path))
        .select_related("category", "area")
        .annotate(on_agenda=_on_agenda(org, "ticket"))
    )
    overdue = list(
        tickets.filter(state__in=OPEN_STATES, resolve_by__lt=now).order_by("resolve_by", "id")[
            :limit
        ]
    )
    reopened = list(
        tickets.filter(reopen_count__gt=0)
        .exclude(state__in=CLOSED_STATES)
        .order_by("-reopen_count", "-created_at")[:limit]
    )
    whistles = Whistle.objects.visible_to(user) if user is not None else Whistle.objects.all()
    open_whistles = list(
        whistles.filter(
            under("area_path", org.area_path) | under("ticket__area_path", org.area_path),
            state=WhistleState.OPEN,
        )
        .select_related("area", "ticket")
        .annotate(on_agenda=_on_agenda(org, "whistle"))
        .order_by("-created_at", "-id")[:limit]
    )
    return Candidates(hotspots=hotspots, overdue=overdue, reopened=reopened, whistles=open_whistles)


# ---------------------------------------------------------------------------------------------
# the other way: which meetings took a ticket or a whistle up


@dataclass
class TakenUp:
    """The agenda items (each with its meeting, organisation and kind) and the follow-up tasks
    that link to a ticket or a whistle: "XX党支部已列入会议议程"."""

    items: list[MeetingAgendaItem]
    followups: list[FollowUp]

    def __bool__(self) -> bool:
        return bool(self.items or self.followups)


def _taken_up(link: str, obj: Any) -> TakenUp:
    items = list(
        MeetingAgendaItem.objects.filter(**{link: obj})
        .exclude(meeting__state=MeetingState.CANCELLED)
        .select_related("meeting__org", "meeting__kind")
        .order_by("meeting__planned_at", "id")
    )
    followups = list(
        FollowUp.objects.filter(**{link: obj})
        .select_related("meeting__org", "meeting__kind", "owner")
        .order_by("due_on", "id")
    )
    return TakenUp(items=items, followups=followups)


def taken_up_for_ticket(ticket: Any) -> TakenUp:
    return _taken_up("ticket", ticket)


def taken_up_for_whistle(whistle: Any) -> TakenUp:
    return _taken_up("whistle", whistle)
