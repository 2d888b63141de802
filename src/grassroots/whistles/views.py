"""Workbench pages of 吹哨报到: the street's whistle board, blowing a whistle (alone or on a
ticket), the department's inbox, a whistle's detail with the joint timeline and each side's
actions, the supervision list of shirking flags, and the month's department league table.

Views are adapters: every read starts from what the user may see (another scope's whistle is a
404), every change is one service call (the service judges role, unit and state), and a page
costs the same number of queries whatever the number of departments or timeline rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.accounts.models import DEPARTMENT_ROLES, Role
from grassroots.accounts.typing import AuthedRequest
from grassroots.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from grassroots.party.meeting_views import taken_up_lines
from grassroots.territory.models import STREET_KINDS
from grassroots.tickets.rates import current_month, parse_month, recent_months
from grassroots.tickets.services import find_ticket
from grassroots.tickets.templatetags.deadlines import deadline
from grassroots.tickets.views.desk import span
from grassroots.tickets.views.photos import serve_photo

from . import measures, selectors, services
from .forms import (
    ACTION_FORMS,
    DEPARTMENT_SIDE,
    WHISTLER_SIDE,
    BlowForm,
    FlagClearForm,
    WhistleActionForm,
)
from .models import (
    CLOSED_SUMMONS,
    DepartmentRating,
    Flag,
    FlagState,
    Summons,
    SummonsState,
    Whistle,
    WhistleEvent,
    WhistleEventKind,
    WhistleKind,
    WhistlePhoto,
    WhistleRating,
    WhistleState,
)
from .rules import FLAG_SUPERVISOR_ROLES, WHISTLE_READER_ROLES, WHISTLER_ROLES, answers_for

# The whistling side: the street's and the communities' staff and leaders.
BOARD_ROLES = WHISTLE_READER_ROLES - DEPARTMENT_ROLES
# Street leaders supervise the flags of their street; a department reads its own record.
FLAG_PAGE_ROLES = FLAG_SUPERVISOR_ROLES | DEPARTMENT_ROLES
STREET_ROLES = frozenset({Role.STREET_DISPATCHER, Role.STREET_LEADER})
OPEN_ON_BOARD = 100
SOLVED_ON_BOARD = 20
SOLVED_RECENTLY = timedelta(days=30)
OPEN_IN_INBOX = 200
ENDED_IN_INBOX = 30
FLAGS_ON_PAGE = 200
FLAG_TABS = ("open", "cleared", "all")


def _only(request: AuthedRequest, roles: frozenset[str]) -> None:
    if request.user.role not in roles:
        raise PermissionDenied


def _short(value: datetime | None) -> str:
    return f"{timezone.localtime(value):%m-%d %H:%M}" if value else ""


# ---------------------------------------------------------------------------------------------
# a department's state at a glance


@dataclass(frozen=True)
class Chip:
    """A summons as the board, the inbox and the detail show it: its state in words, a live
    countdown while the department has not reported in, and a tone for the colour."""

    summons: Summons
    label: str
    detail: str
    tone: str  # "late", "warn", "ok", "info" or "off"
    count: str = ""  # 剩余 … / 已超 …, kept up to date by whistles.js
    until: str = ""  # the deadline (ISO) the countdown runs to


def chip(summons: Summons, now: datetime) -> Chip:
    state = summons.state
    if state == SummonsState.SUMMONED:
        at = _("时限 %(at)s") % {"at": deadline(summons.report_by, "short")}
        until = summons.report_by.isoformat()
        if summons.report_by < now:
            over = _("已超 %(d)s") % {"d": span(now - summons.report_by)}
            return Chip(summons, _("超时未报到"), at, "late", over, until)
        # Rounded up: just after the whistle a 30-minute clock reads 30, not 29.
        seconds = (summons.report_by - now).total_seconds()
        left = _("剩余 %(d)s") % {"d": span(timedelta(minutes=math.ceil(seconds / 60)))}
        tone = "warn" if summons.remind_at <= now else "info"
        return Chip(summons, _("待报到"), at, tone, left, until)
    if state == SummonsState.REPORTED:
        detail = f"{_short(summons.reported_at)} {summons.get_report_mode_display()}"
        if summons.on_time is False:
            return Chip(summons, _("已报到"), detail + _("（超时）"), "warn")
        return Chip(summons, _("已报到"), detail, "ok")
    closed = _short(summons.closed_at)
    if state == SummonsState.CONFIRMED:
        return Chip(summons, _("已解决"), closed, "ok")
    if state == SummonsState.RELEASED:
        return Chip(summons, _("已放行"), closed, "off")
    return Chip(summons, _("擅自撤离"), closed, "late")


@dataclass(frozen=True)
class BoardCard:
    whistle: Whistle
    chips: list[Chip]

    @property
    def late(self) -> int:
        return sum(1 for c in self.chips if c.tone == "late")


def _cards(whistles: list[Whistle], now: datetime) -> list[BoardCard]:
    return [BoardCard(w, [chip(s, now) for s in w.summonses.all()]) for w in whistles]


# ---------------------------------------------------------------------------------------------
# the board


@login_required
def board(request: AuthedRequest) -> HttpResponse:
    """吹哨报到: the street's open whistles (the longest waiting first), each department's
    answer and clock; the recently solved below. A department's staff go to their inbox."""
    user = request.user
    if user.role in DEPARTMENT_ROLES:
        return redirect("whistles:inbox")
    _only(request, BOARD_ROLES)
    now = timezone.now()
    rows = selectors.board(user)
    opened = list(rows.filter(state=WhistleState.OPEN)[:OPEN_ON_BOARD])
    solved = list(
        rows.filter(state=WhistleState.SOLVED, solved_at__gte=now - SOLVED_RECENTLY).order_by(
            "-solved_at", "-id"
        )[:SOLVED_ON_BOARD]
    )
    supervises = user.role in FLAG_SUPERVISOR_ROLES
    return render(
        request,
        "whistles/board.html",
        {
            "opened": _cards(opened, now),
            "solved": _cards(solved, now),
            "more": len(opened) == OPEN_ON_BOARD,
            "can_blow": user.role in WHISTLER_ROLES,
            "supervises": supervises,
            "open_flags": selectors.flags_for(user).count() if supervises else 0,
        },
    )


# ---------------------------------------------------------------------------------------------
# blowing


@login_required
def blow(request: AuthedRequest) -> HttpResponse:
    """吹哨: the kind, the reason, the place and the departments to summon. On a ticket
    (?ticket=GR-…) the place and the story come from the ticket."""
    _only(request, WHISTLER_ROLES)
    user = request.user
    source = request.POST if request.method == "POST" else request.GET
    number = (source.get("ticket") or "").strip()
    ticket = find_ticket(user, number) if number else None  # another scope's ticket: 404
    departments = list(selectors.summonable_departments(user))
    status = 200
    if request.method != "POST":
        initial: dict[str, Any] = {}
        if ticket is not None:
            initial = {
                "ticket": ticket.number,
                "title": ticket.category.name,
                "description": ticket.description,
                "address": ticket.address or ticket.area.name,
            }
        form = BlowForm(initial=initial, departments=departments)
    else:
        form = BlowForm(request.POST, request.FILES, departments=departments)
        status = 400
        if form.is_valid():
            try:
                whistle = form.run(actor=user, ticket=ticket, request=request)
            except Forbidden as exc:
                form.add_domain_error(exc)
                status = 403
            except ValidationFailed as exc:
                form.add_domain_error(exc)
            else:
                messages.success(
                    request,
                    _("%(number)s 已吹哨，已通知 %(n)d 个部门报到。")
                    % {"number": whistle.number, "n": len(form.cleaned_data["departments"])},
                )
                return redirect("whistles:detail", number=whistle.number)
    return render(
        request,
        "whistles/blow.html",
        {"form": form, "ticket": ticket},
        status=status,
    )


# ---------------------------------------------------------------------------------------------
# the department's inbox


@login_required
def inbox(request: AuthedRequest) -> HttpResponse:
    """部门报到: the department's summonses waiting for report-in (the nearest deadline first),
    those being handled, and the recently ended."""
    _only(request, DEPARTMENT_ROLES)
    now = timezone.now()
    rows = selectors.inbox(request.user)
    waiting = list(
        rows.filter(state=SummonsState.SUMMONED).order_by("report_by", "id")[:OPEN_IN_INBOX]
    )
    handling = list(
        rows.filter(state=SummonsState.REPORTED).order_by("-reported_at", "-id")[:OPEN_IN_INBOX]
    )
    ended = list(
        rows.filter(state__in=CLOSED_SUMMONS).order_by("-closed_at", "-id")[:ENDED_IN_INBOX]
    )
    return render(
        request,
        "whistles/inbox.html",
        {
            "waiting": [chip(s, now) for s in waiting],
            "handling": [chip(s, now) for s in handling],
            "ended": [chip(s, now) for s in ended],
        },
    )


# ---------------------------------------------------------------------------------------------
# the detail


@dataclass
class DepartmentCard:
    chip: Chip
    reporter: str
    rating: DepartmentRating | None
    whistle_rating: WhistleRating | None
    mine: bool
    forms: list[WhistleActionForm] = field(default_factory=list)

    @property
    def summons(self) -> Summons:
        return self.chip.summons


@dataclass(frozen=True)
class EventRow:
    event: WhistleEvent
    department: str
    photos: list[WhistlePhoto]


def _offered(actions: selectors.Actions, action: str) -> tuple[int, ...]:
    return tuple(getattr(actions, action))


def _detail_page(
    request: AuthedRequest,
    whistle: Whistle,
    *,
    bound: WhistleActionForm | None = None,
    page_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    now = timezone.now()
    actions = selectors.available_actions(whistle, user)
    events = selectors.timeline(whistle)
    summonses = list(whistle.summonses.all())
    ratings = {r.summons_id: r for r in DepartmentRating.objects.filter(summons__whistle=whistle)}
    judged = {r.summons_id: r for r in WhistleRating.objects.filter(whistle=whistle)}
    reporters = {
        e.summons_id: e.actor_label for e in events if e.kind == WhistleEventKind.REPORTED_IN
    }
    errors = list(page_errors or [])
    placed = False

    def form_for(action: str, summons: Summons | None) -> WhistleActionForm:
        nonlocal placed
        if (
            bound is not None
            and bound.action == action
            and (summons is None or bound.summons is None or bound.summons.pk == summons.pk)
        ):
            placed = True
            return bound
        return ACTION_FORMS[action](whistle=whistle, summons=summons, actor=user)

    cards = []
    for summons in summonses:
        card = DepartmentCard(
            chip=chip(summons, now),
            reporter=reporters.get(summons.pk, ""),
            rating=ratings.get(summons.pk),
            whistle_rating=judged.get(summons.pk),
            mine=answers_for(user, summons),
        )
        for action in (*DEPARTMENT_SIDE, *WHISTLER_SIDE):
            if summons.pk in _offered(actions, action):
                card.forms.append(form_for(action, summons))
        cards.append(card)
    cards.sort(key=lambda c: not c.mine)  # a department's own card first
    confirm = form_for("confirm", None) if actions.confirm else None
    # A refusal of an action the page no longer offers (someone acted meanwhile, or the user
    # may not do it) is shown on top of the page.
    if bound is not None and not placed:
        errors += [str(e) for messages_ in bound.errors.values() for e in messages_]
    blown = next((e for e in events if e.kind == WhistleEventKind.BLOWN), None)
    return render(
        request,
        "whistles/detail.html",
        {
            "whistle": whistle,
            "cards": cards,
            "confirm": confirm,
            "scene_photos": list(blown.photos.all()) if blown is not None else [],
            "events": [
                EventRow(
                    e,
                    str(e.summons.department) if e.summons_id is not None else "",  # type: ignore[union-attr]
                    list(e.photos.all()) if e.kind != WhistleEventKind.BLOWN else [],
                )
                for e in reversed(events)
            ],
            "page_errors": errors,
            "is_department": user.role in DEPARTMENT_ROLES,
            "late_count": sum(1 for c in cards if c.chip.tone == "late"),
            "solved_when": _short(whistle.solved_at),
            "taken_up": taken_up_lines(user, whistle=whistle),
        },
        status=status,
    )


@login_required
def detail(request: AuthedRequest, number: str) -> HttpResponse:
    """A whistle: its facts, each department's answer and clock, the joint timeline, and a
    form for each action the user may take now. A POST runs one action through its service
    (post/redirect/get); a refusal comes back under the form's fields and changes nothing."""
    _only(request, WHISTLE_READER_ROLES)
    whistle = selectors.find_whistle(request.user, number)  # another scope's whistle: 404
    if request.method == "POST":
        return _act(request, whistle)
    return _detail_page(request, whistle)


def _conflict_message(exc: DomainError) -> str:
    if exc.code == Conflict.code:
        return _("已被他人处理，请刷新后再看。")
    return exc.message


def _act(request: AuthedRequest, whistle: Whistle) -> HttpResponse:
    user = request.user
    form_class = ACTION_FORMS.get(request.POST.get("action", ""))
    if form_class is None:
        return HttpResponseBadRequest(_("未知的操作。"))
    summons = None
    if form_class.per_summons:
        # A department that this whistle did not summon: 404.
        summons = selectors.find_summons(user, whistle, request.POST.get("department"))
    form = form_class(request.POST, request.FILES, whistle=whistle, summons=summons, actor=user)
    status = 400
    page_errors: list[str] = []
    bound: WhistleActionForm | None = form
    if form.is_valid():
        try:
            message = form.run(request=request)
        except Forbidden as exc:
            form.add_domain_error(exc)
            status = 403
        except Conflict as exc:
            page_errors, bound, status = [_conflict_message(exc)], None, 409
        except ValidationFailed as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, message)
            target = reverse("whistles:detail", args=[whistle.number])
            if summons is not None:
                target += f"#dept-{summons.department_id}"
            return redirect(target)
    # Nothing changed: the page is read again as it stands, with the refused form.
    fresh = selectors.find_whistle(user, whistle.number or "")
    if bound is not None:
        bound.whistle = fresh
        if summons is not None:
            bound.summons = selectors.find_summons(user, fresh, summons.department_id)
    return _detail_page(request, fresh, bound=bound, page_errors=page_errors, status=status)


# ---------------------------------------------------------------------------------------------
# photos


def photo(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A scene or action photo, only to those who may see its whistle (personal data)."""
    return serve_photo(
        request,
        lambda viewer: WhistlePhoto.objects.filter(
            pk=pk, whistle__in=Whistle.objects.visible_to(viewer).values("pk")
        ).first(),
    )


# ---------------------------------------------------------------------------------------------
# flags


@dataclass(frozen=True)
class FlagRow:
    flag: Flag
    form: FlagClearForm | None


def _flags_page(
    request: AuthedRequest, *, bound: FlagClearForm | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    tab = request.GET.get("state", "open")
    if tab not in FLAG_TABS:
        tab = "open"
    state = {"open": FlagState.OPEN, "cleared": FlagState.CLEARED}.get(tab, "")
    rows = list(selectors.flags_for(user, state=state).select_related("cleared_by")[:FLAGS_ON_PAGE])
    clears = user.role in FLAG_SUPERVISOR_ROLES
    flag_rows = []
    for flag in rows:
        form = None
        if clears and flag.state == FlagState.OPEN:
            form = (
                bound
                if bound is not None and bound.flag.pk == flag.pk
                else FlagClearForm(flag=flag)
            )
        flag_rows.append(FlagRow(flag, form))
    return render(
        request,
        "whistles/flags.html",
        {
            "rows": flag_rows,
            "tab": tab,
            "tabs": [
                ("open", _("待核查")),
                ("cleared", _("已核查")),
                ("all", _("全部")),
            ],
            "clears": clears,
            "is_department": user.role in DEPARTMENT_ROLES,
            "more": len(rows) == FLAGS_ON_PAGE,
        },
        status=status,
    )


@login_required
def flags(request: AuthedRequest) -> HttpResponse:
    """推诿扯皮: the open flags of the street (a department: its own), each with what explains
    it; a street leader records what the 核查 found."""
    _only(request, FLAG_PAGE_ROLES)
    if request.method != "POST":
        return _flags_page(request)
    _only(request, FLAG_SUPERVISOR_ROLES)
    user = request.user
    pk = request.POST.get("flag", "")
    flag = (
        Flag.objects.visible_to(user).filter(pk=int(pk)).first() if pk.isdigit() else None
    )  # another street's flag: 404
    if flag is None:
        raise Http404
    form = FlagClearForm(request.POST, flag=flag)
    if form.is_valid():
        try:
            services.flag_clear(
                actor=user, flag=flag, note=form.cleaned_data["note"], request=request
            )
        except Conflict:
            messages.warning(request, _("这条记录已被他人核查。"))
            return redirect("whistles:flags")
        except ValidationFailed as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("已记录核查情况。"))
            return redirect("whistles:flags")
    return _flags_page(request, bound=form, status=400)


# ---------------------------------------------------------------------------------------------
# the league table


def _pct(value: float | None) -> float | None:
    return None if value is None else value * 100


@dataclass(frozen=True)
class LeagueRow:
    rank: int | None
    row: measures.DepartmentMeasures

    @property
    def on_time(self) -> float | None:
        return _pct(self.row.on_time_rate)

    @property
    def solved(self) -> float | None:
        return _pct(self.row.solved_share)


@dataclass(frozen=True)
class StreetRow:
    row: measures.StreetMeasures

    @property
    def kinds(self) -> list[tuple[str, int]]:
        return [
            (str(WhistleKind(k).label), self.row.by_kind.get(k, 0))
            for k in (WhistleKind.ROUTINE, WhistleKind.TOUGH, WhistleKind.EMERGENCY)
        ]

    @property
    def necessary(self) -> float | None:
        return _pct(self.row.necessary_share)


@login_required
def league(request: AuthedRequest) -> HttpResponse:
    """The month's league table of the departments serving the user's territory (a
    department: its own line); for a street, how it blew."""
    _only(request, WHISTLE_READER_ROLES)
    user = request.user
    month_errors: list[str] = []
    try:
        month = parse_month(request.GET.get("month", ""))
    except ValidationFailed as exc:
        month_errors = exc.fields.get("month", [])
        month = current_month()
    rows = measures.league(selectors.league_departments(user), month)
    ranked = []
    rank = 0
    for row in rows:
        if row.received:
            rank += 1
        ranked.append(LeagueRow(rank if row.received else None, row))
    streets: list[StreetRow] = []
    if user.role in STREET_ROLES:
        mine = list(user.scope_areas.filter(kind__in=STREET_KINDS).order_by("path"))
        streets = [StreetRow(r) for r in measures.street_measures(mine, month)]
    months = recent_months(12)
    if month not in months:
        months.append(month)
    return render(
        request,
        "whistles/league.html",
        {
            "rows": ranked,
            "streets": streets,
            "month": month,
            "months": months,
            "month_errors": month_errors,
            "is_department": user.role in DEPARTMENT_ROLES,
        },
        status=400 if month_errors else 200,
    )
