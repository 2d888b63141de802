"""Workbench pages for requests: the dispatch desk (派单台), the list of every visible ticket with
filters and quick tabs, a ticket's detail with its timeline and the actions the user may take
now, and the Excel export of the filtered list.

Views are adapters: every read starts from what the user may see (a ticket outside the scope is
a 404), every change is one service call (the service judges role, territory and state), and
each page costs the same number of queries whatever the number of rows or events on it.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from grassroots.accounts.models import Role
from grassroots.accounts.typing import AuthedRequest
from grassroots.core.audit import audit_log
from grassroots.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from grassroots.core.excel import (
    MAX_EXPORT_ROWS,
    XLSX_CONTENT_TYPE,
    export_filename,
    write_workbook,
)
from grassroots.core.scoping import scope_of, under_paths
from grassroots.party.meeting_views import taken_up_lines
from grassroots.territory.models import STREET_KINDS, Area, AreaKind, Department

from .. import services
from ..attributes import answer_rows
from ..forms_desk import (
    ACTION_FORMS,
    ActionForm,
    BulkDispatchForm,
    TicketFilterForm,
    Unit,
    UnitChoices,
    UnitGroup,
    unit_key,
)
from ..models import (
    ACTIVE_STATES,
    OPEN_STATES,
    EventKind,
    Extension,
    ExtensionStatus,
    RespondMethod,
    Satisfaction,
    Ticket,
    TicketEvent,
    TicketState,
)
from ..models.tickets import late_q
from ..rules import DEPARTMENT_DISPATCHERS, DISPATCHER_ROLES, HANDLER_ROLES, SUPERVISOR_ROLES
from ..selectors import (
    available_actions,
    dispatch_queue,
    filter_tickets,
    last_returns,
    pending_extension,
    sees_contact,
    ticket_rows,
    tickets_for,
    timeline_and_photos,
    unit_name,
)
from ..services.common import HANDLER_AREA_KINDS
from ..templatetags.deadlines import deadline

# Who works with requests on the workbench: those who handle, dispatch or supervise them.
TICKET_STAFF = HANDLER_ROLES | DISPATCHER_ROLES | SUPERVISOR_ROLES
DESK_PER_PAGE = 30
LIST_PER_PAGE = 50
BULK_MAX = 100  # at most one desk page's worth of tickets in one bulk dispatch
COMMUNITY_KINDS = (AreaKind.COMMUNITY, AreaKind.VILLAGE)


def ticket_staff_only(request: AuthedRequest) -> None:
    if request.user.role not in TICKET_STAFF:
        raise PermissionDenied


def dispatcher_only(request: AuthedRequest) -> None:
    if request.user.role not in DISPATCHER_ROLES:
        raise PermissionDenied


# ---------------------------------------------------------------------------------------------
# how times and clocks read


def when(value: datetime | None) -> str:
    if value is None:
        return ""
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"


def deadline_text(value: datetime | None) -> str:
    """A deadline at local midnight is the end of the day before: 2026-10-09 24:00."""
    return deadline(value)


def span(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 1)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        if hours:
            return _("%(d)d 天 %(h)d 小时") % {"d": days, "h": hours}
        return _("%(d)d 天") % {"d": days}
    if hours:
        if mins:
            return _("%(h)d 小时 %(m)d 分") % {"h": hours, "m": mins}
        return _("%(h)d 小时") % {"h": hours}
    return _("%(m)d 分钟") % {"m": mins}


@dataclass(frozen=True)
class Clock:
    """One of a ticket's two time limits as the detail page shows it."""

    label: str
    at: str  # the deadline, or "" when the clock has not started
    provisional: bool
    status: str
    tone: str  # "late", "warn", "ok" or ""


def clock(
    ticket: Ticket, label: str, limit: datetime | None, done: datetime | None, now: datetime
) -> Clock:
    provisional = bool(limit and ticket.deadline_provisional)
    if limit is None:
        status = _("派单后开始计时") if ticket.state == TicketState.SUBMITTED else _("未计时")
        return Clock(label, "", False, status, "")
    at = deadline_text(limit)
    if done is not None:
        if done <= limit:
            return Clock(label, at, provisional, _("%(t)s 完成，按时") % {"t": when(done)}, "ok")
        return Clock(label, at, provisional, _("%(t)s 完成，超时") % {"t": when(done)}, "late")
    if ticket.state not in ACTIVE_STATES:
        return Clock(label, at, provisional, _("已停止计时"), "")
    if limit < now:
        return Clock(label, at, provisional, _("已超期 %(d)s") % {"d": span(now - limit)}, "late")
    tone = "warn" if ticket.warn_at is not None and ticket.warn_at <= now else ""
    return Clock(label, at, provisional, _("剩余 %(d)s") % {"d": span(limit - now)}, tone)


# ---------------------------------------------------------------------------------------------
# handling units offered in the selects


def scope_units(user: Any) -> tuple[list[Area], list[Department]]:
    """The grids, communities and streets in the user's territory, and the active departments
    serving it (two queries)."""
    areas = list(Area.objects.visible_to(user).filter(kind__in=HANDLER_AREA_KINDS).order_by("path"))
    if user.role not in DEPARTMENT_DISPATCHERS:
        return areas, []  # a community hands department matters to the street
    departments = list(
        Department.objects.visible_to(user)
        .filter(is_active=True)
        .select_related("area")
        .order_by("code")
    )
    return areas, departments


def group_units(areas: Sequence[Area], departments: Sequence[Department]) -> UnitChoices:
    """Options grouped as a dispatcher reads them: the street itself, each community with its
    grids, then the departments."""
    groups: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    units: dict[str, Unit] = {}
    names = {a.path: a.name for a in areas}
    for area in areas:
        key = unit_key(area)
        units[key] = area
        if area.kind in STREET_KINDS:
            label = _("%(name)s（街道本级）") % {"name": area.name}
            groups.setdefault(area.path, (area.name, []))[1].append((key, label))
        elif area.kind in COMMUNITY_KINDS:
            label = _("%(name)s（社区本级）") % {"name": area.name}
            groups.setdefault(area.path, (area.name, []))[1].append((key, label))
        else:
            parent = area.path[: -Area.steplen]
            groups.setdefault(parent, (names.get(parent, _("网格")), []))[1].append(
                (key, area.name)
            )
    result = [UnitGroup(label, options) for _path, (label, options) in sorted(groups.items())]
    if departments:
        options = []
        for department in departments:
            key = unit_key(department)
            units[key] = department
            options.append((key, department.name))
        result.append(UnitGroup(_("职能部门"), options))
    return UnitChoices(result, units)


def units_for(
    ticket: Ticket, areas: Sequence[Area], departments: Sequence[Department], *, near: bool
) -> UnitChoices:
    """The units a ticket may be sent to by this user (as `ticket_dispatch` checks them): areas
    in the user's territory inside the ticket's street, and departments of the district or of
    that street. `near` keeps the areas around the ticket (its community with its grids, or
    the street's communities), so that each desk row carries a short list."""
    step = Area.steplen
    street = ticket.area_path[: 2 * step]
    community = ticket.area_path[: 3 * step] if len(ticket.area_path) >= 3 * step else ""
    inside = [a for a in areas if a.path.startswith(street)]
    if near:
        inside = [
            a
            for a in inside
            if a.path == street
            or (community and a.path.startswith(community))
            or (not community and a.depth == 3)
        ]
    serving = [
        d
        for d in departments
        if d.area.kind == AreaKind.DISTRICT or ticket.area_path.startswith(d.area.path)
    ]
    return group_units(inside, serving)


# ---------------------------------------------------------------------------------------------
# the dispatch desk


@dataclass
class DeskRow:
    ticket: Ticket
    suggested: Unit | None
    units: UnitChoices
    last_return: TicketEvent | None
    error: str = ""

    @property
    def suggested_key(self) -> str:
        """The suggestion, pre-selected when this user may send the ticket there."""
        if self.suggested is None:
            return ""
        key = unit_key(self.suggested)
        return key if key in self.units.units else ""

    @property
    def suggested_elsewhere(self) -> bool:
        return self.suggested is not None and not self.suggested_key


def first_page_asked(number: str | None) -> bool:
    """Whether `Paginator.get_page(number)` answers the first page whatever the count: no
    number, one that is not a whole number, or 1."""
    try:
        return number is None or int(number) == 1
    except ValueError:
        return True


def desk_tickets(user: Any, number: str | None) -> tuple[Page[Ticket], list[Ticket]]:
    """The desk's page `number` of `dispatch_queue` (as `Paginator.get_page` reads it) and its
    tickets, each with `last_return`: its latest return (退单), or None.

    The first page is read one row beyond the page: when that row is not there the desk fits
    on it and is not counted (a desk is mostly shorter than a page). Then the returns of the
    page's tickets: two queries for a short desk, three for a longer one."""
    queue = dispatch_queue(user)
    paginator = Paginator(queue, DESK_PER_PAGE)
    page: Page[Ticket]
    if first_page_asked(number):
        rows = list(queue[: DESK_PER_PAGE + 1])
        if len(rows) <= DESK_PER_PAGE:
            paginator.count = len(rows)  # type: ignore[misc]  # all of them: no count
        page = Page(rows[:DESK_PER_PAGE], 1, paginator)
    else:
        page = paginator.get_page(number)
    tickets: list[Ticket] = list(page.object_list)
    last = last_returns([t.pk for t in tickets])
    for ticket in tickets:
        ticket.last_return = last.get(ticket.pk)  # type: ignore[attr-defined]
    return page, tickets


@login_required
def desk(request: AuthedRequest) -> HttpResponse:
    """派单台: new and returned tickets of the territory, each with the catalogue's suggested
    unit pre-selected; one click sends one, the bulk bar sends several."""
    dispatcher_only(request)
    if request.method == "POST":
        if request.POST.get("action") == "bulk":
            return _bulk_dispatch(request)
        return _dispatch_one(request)
    return _desk_page(request)


def _desk_page(
    request: AuthedRequest,
    *,
    row_errors: dict[str, str] | None = None,
    bulk_form: BulkDispatchForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    page, tickets = desk_tickets(user, request.GET.get("page"))
    areas, departments = scope_units(user)
    suggested = services.suggested_units(tickets)
    errors = row_errors or {}
    rows = [
        DeskRow(
            ticket=t,
            suggested=suggested[t.pk],
            units=units_for(t, areas, departments, near=True),
            last_return=t.last_return,  # type: ignore[attr-defined]
            error=errors.get(t.number or "", ""),
        )
        for t in tickets
    ]
    # An error about a ticket that is not on this page (it moved to another) is shown on top.
    on_page = {t.number for t in tickets}
    stray = [f"{n}：{e}" for n, e in errors.items() if n not in on_page]
    bulk_units = group_units(areas, departments)
    form = bulk_form or BulkDispatchForm(
        numbers=[t.number or "" for t in tickets], units=bulk_units
    )
    return render(
        request,
        "tickets/desk/desk.html",
        {
            "rows": rows,
            "page": page,
            "bulk": form,
            "bulk_units": bulk_units,
            "stray_errors": stray,
            "page_query": f"?page={page.number}" if page.number > 1 else "",
        },
        status=status,
    )


def _back_to_desk(request: AuthedRequest) -> HttpResponse:
    """After a dispatch, the same page of the desk (post/redirect/get)."""
    page = request.GET.get("page", "")
    query = "?" + urlencode({"page": page}) if page.isdigit() and page != "1" else ""
    return redirect(reverse("tickets:desk") + query)


def _taken(exc: DomainError) -> bool:
    """Someone else moved the ticket first: the conditional update lost, or the state check."""
    return isinstance(exc, Conflict) or exc.code == "wrong_state"


def _first_message(exc: DomainError) -> str:
    for messages_ in exc.fields.values():
        if messages_:
            return messages_[0]
    return exc.message


def _dispatch_one(request: AuthedRequest) -> HttpResponse:
    number = request.POST.get("number", "").strip()
    ticket = services.find_ticket(request.user, number)  # another scope's ticket: 404
    units = units_for(ticket, *scope_units(request.user), near=False)
    unit = units.units.get(request.POST.get("to", ""))
    if unit is None:
        return _desk_page(request, row_errors={number: _("请选择承办单位。")}, status=400)
    try:
        services.ticket_dispatch(actor=request.user, ticket=ticket, to=unit, request=request)
    except (ValidationFailed, Conflict) as exc:
        if _taken(exc):
            messages.warning(
                request, _("%(number)s 已被他人处理，不在派单台上了。") % {"number": number}
            )
            return _back_to_desk(request)
        return _desk_page(request, row_errors={number: _first_message(exc)}, status=400)
    messages.success(request, _("%(number)s 已派给%(unit)s。") % {"number": number, "unit": unit})
    return _back_to_desk(request)


def _bulk_dispatch(request: AuthedRequest) -> HttpResponse:
    """Each ticket goes through the service on its own: one that someone else dispatched
    meanwhile, or that cannot go to the chosen unit, does not stop the others."""
    user = request.user
    posted = list(dict.fromkeys(request.POST.getlist("numbers")))[:BULK_MAX]
    found = {
        t.number or "": t
        for t in tickets_for(user).select_related("category__department").filter(number__in=posted)
    }
    areas, departments = scope_units(user)
    form = BulkDispatchForm(
        request.POST, numbers=list(found), units=group_units(areas, departments)
    )
    if not form.is_valid():
        return _desk_page(request, bulk_form=form, status=400)
    tickets = [found[n] for n in form.cleaned_data["numbers"]]
    by_suggestion = form.cleaned_data["mode"] == "suggested"
    suggested = services.suggested_units(tickets) if by_suggestion else {}
    sent: list[str] = []
    taken: list[str] = []
    failed: list[tuple[str, str]] = []
    for ticket in tickets:
        number = ticket.number or ""
        unit = suggested[ticket.pk] if by_suggestion else form.unit
        if unit is None:
            failed.append((number, _("没有建议单位，请单独选择承办单位。")))
            continue
        try:
            services.ticket_dispatch(actor=user, ticket=ticket, to=unit, request=request)
        except (ValidationFailed, Conflict, Forbidden) as exc:
            if _taken(exc):
                taken.append(number)
            else:
                failed.append((number, _first_message(exc)))
        else:
            sent.append(number)
    parts = []
    if sent:
        parts.append(ngettext("%(n)d 张已派出", "%(n)d 张已派出", len(sent)) % {"n": len(sent)})
    if taken:
        parts.append(
            ngettext("%(n)d 张已被他人派出", "%(n)d 张已被他人派出", len(taken)) % {"n": len(taken)}
        )
    if failed:
        parts.append(
            ngettext("%(n)d 张未能派出", "%(n)d 张未能派出", len(failed)) % {"n": len(failed)}
        )
    summary = _("%(parts)s。") % {"parts": _("，").join(parts)}
    if not taken and not failed:
        messages.success(request, summary)
    elif sent:
        messages.warning(request, summary)
    else:
        messages.error(request, summary)
    for number, reason in failed:
        messages.error(request, f"{number}：{reason}")
    return _back_to_desk(request)


# ---------------------------------------------------------------------------------------------
# the list


TABS = [
    ("all", {}),
    ("overdue", {"overdue": "yes"}),
    ("supervised", {"supervised": "yes"}),
    ("extension", {"extension": "pending"}),
]


def tab_labels() -> dict[str, str]:
    return {
        "all": _("全部"),
        "overdue": _("超期"),
        "supervised": _("督办"),
        "extension": _("待审批延期"),
    }


@dataclass
class ListRow:
    ticket: Ticket
    overdue: bool
    warning: bool
    resolve_at: str
    respond_late: bool
    supervised: bool


def filtered_tickets(user: Any, form: TicketFilterForm, now: datetime) -> Any:
    """The visible tickets the (valid) filter form asks for, each marked when an extension
    waits for a decision (a subquery in the same query)."""
    pending = Extension.objects.filter(status=ExtensionStatus.PENDING)
    qs = filter_tickets(ticket_rows(user), form.filters(), now)
    if form.pending_extension:
        qs = qs.filter(pk__in=pending.values("ticket_id"))
    return qs.annotate(extension_pending=Exists(pending.filter(ticket=OuterRef("pk"))))


def encode_cursor(ticket: Ticket) -> str:
    micros = (ticket.created_at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    raw = f"{micros}.{ticket.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str) -> tuple[datetime, int] | None:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        micros, pk = raw.split(".")
        at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(micros))
        return at, int(pk)
    except (ValueError, OverflowError):
        return None


@dataclass
class KeysetPage:
    rows: list[Ticket] = field(default_factory=list)
    previous: str = ""  # cursors for the links, "" when there is no such page
    next: str = ""


def keyset_page(qs: Any, *, after: str, before: str, size: int) -> KeysetPage:
    """Newest first, by (created_at, id): each page is one index range scan, however deep
    (DESIGN.md Scale: no OFFSET, no COUNT over the whole scope)."""
    newest = ("-created_at", "-id")
    start = decode_cursor(before) if before else None
    end = decode_cursor(after) if after and not start else None
    if start is not None:
        at, pk = start
        newer = qs.filter(Q(created_at__gt=at) | Q(created_at=at, id__gt=pk))
        rows = list(newer.order_by("created_at", "id")[: size + 1])
        if rows:
            more = len(rows) > size
            rows = rows[:size][::-1]
            return KeysetPage(rows, encode_cursor(rows[0]) if more else "", encode_cursor(rows[-1]))
        # Nothing newer any more: the first page.
    if end is not None:
        at, pk = end
        qs = qs.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=pk))
    rows = list(qs.order_by(*newest)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    previous = encode_cursor(rows[0]) if end is not None and rows else ""
    return KeysetPage(rows, previous, encode_cursor(rows[-1]) if more else "")


def _query_without(request: AuthedRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


@login_required
def ticket_list(request: AuthedRequest) -> HttpResponse:
    """工单: every ticket the user may see, filtered, newest first, with quick tabs."""
    ticket_staff_only(request)
    form = TicketFilterForm(request.GET)
    now = timezone.now()
    page = KeysetPage()
    if form.is_valid():
        page = keyset_page(
            filtered_tickets(request.user, form, now),
            after=request.GET.get("after", ""),
            before=request.GET.get("before", ""),
            size=LIST_PER_PAGE,
        )
    rows = [
        ListRow(
            ticket=t,
            overdue=t.is_overdue(now),
            warning=t.is_warning(now),
            resolve_at=deadline_text(t.resolve_by),
            respond_late=t.is_active
            and t.responded_at is None
            and t.respond_by is not None
            and t.respond_by < now,
            supervised=t.supervised_at is not None and t.state in OPEN_STATES,
        )
        for t in page.rows
    ]
    data = form.data
    current = "all"
    for key, params in TABS[1:]:
        if params and all(data.get(k) == v for k, v in params.items()):
            current = key
            break
    labels = tab_labels()
    tabs = [
        {"key": key, "label": labels[key], "query": urlencode(params), "on": key == current}
        for key, params in TABS
    ]
    base = _query_without(request, "after", "before")
    return render(
        request,
        "tickets/desk/list.html",
        {
            "form": form,
            "rows": rows,
            "tabs": tabs,
            "page": page,
            "base_query": base,
            "export_query": base,
            "export_max": MAX_EXPORT_ROWS,
            "can_dispatch": request.user.role in DISPATCHER_ROLES,
        },
        status=200 if form.is_valid() else 400,
    )


# ---------------------------------------------------------------------------------------------
# the export


@login_required
def export(request: AuthedRequest) -> HttpResponse:
    """The filtered list as .xlsx: no request text, the contact masked (and none when the
    requester asked for anonymity); capped, and audited."""
    ticket_staff_only(request)
    user = request.user
    form = TicketFilterForm(request.GET)
    back = reverse("tickets:list") + ("?" + request.GET.urlencode() if request.GET else "")
    if not form.is_valid():
        messages.error(request, _("筛选条件有误，请修改后再导出。"))
        return redirect(back)
    now = timezone.now()
    qs = filtered_tickets(user, form, now).order_by("-created_at", "-id")
    total = qs.count()
    if total > MAX_EXPORT_ROWS:
        messages.error(
            request,
            _("符合条件的工单有 %(total)s 张，超过一次导出的上限 %(n)s 张，请缩小范围后再导出。")
            % {"total": total, "n": MAX_EXPORT_ROWS},
        )
        return redirect(back)

    def local(value: datetime | None) -> datetime | None:
        # Excel has no time zones: the local (Asia/Shanghai) wall time.
        return timezone.localtime(value).replace(tzinfo=None) if value else None

    def yes(flag: bool) -> str:
        return _("是") if flag else _("否")

    def rows() -> Iterator[list[Any]]:
        for t in qs.iterator(chunk_size=2000):
            shown = sees_contact(user, t)
            handler = t.handler_area or t.handler_department
            yield [
                t.number,
                local(t.created_at),
                t.get_channel_display(),
                t.get_request_type_display(),
                t.category.name,
                t.get_urgency_display(),
                t.get_state_display(),
                t.area.name,
                t.address,
                str(handler) if handler else "",
                local(t.dispatched_at),
                local(t.respond_by),
                local(t.resolve_by),
                yes(t.deadline_provisional) if t.resolve_by else "",
                yes(t.is_overdue(now)),
                local(t.resolved_at),
                t.return_count,
                t.reopen_count,
                yes(t.supervised_at is not None),
                (t.contact_name if shown else _("保密")),
                (t.contact_mobile_masked if shown else ""),
            ]

    title = _("工单")
    content, count = write_workbook(
        title=title,
        headers=[
            _("工单号"),
            _("提交时间"),
            _("来源"),
            _("诉求类型"),
            _("类别"),
            _("紧急程度"),
            _("状态"),
            _("所在区域"),
            _("地址"),
            _("承办单位"),
            _("派单时间"),
            _("响应时限"),
            _("办结时限"),
            _("时限暂定"),
            _("超期"),
            _("办结时间"),
            _("退单次数"),
            _("重办次数"),
            _("督办"),
            _("联系人"),
            _("联系电话（打码）"),
        ],
        rows=rows(),
        widths=[22, 17, 10, 8, 14, 8, 8, 16, 24, 16, 17, 17, 17, 8, 6, 17, 8, 8, 6, 10, 14],
    )
    audit_log(
        action="tickets.export",
        actor=user,
        request=request,
        data={
            "count": count,
            "filters": {k: str(v) for k, v in form.cleaned_data.items() if v},
        },
    )
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, export_filename(title))
    response["Cache-Control"] = "no-store"  # personal data: kept by no cache
    return response


# ---------------------------------------------------------------------------------------------
# the detail


@dataclass(frozen=True)
class EventRow:
    event: TicketEvent
    who: str
    extra: str
    unit: str


def event_extra(event: TicketEvent) -> str:
    """What an event's data says, in a sentence."""
    data = event.data or {}
    kind = event.kind
    if kind == EventKind.DISPATCHED and data.get("to"):
        return _("派至%(unit)s") % {"unit": data["to"]}
    if kind == EventKind.REJECTED and data.get("redirect"):
        return _("建议渠道：%(where)s") % {"where": data["redirect"]}
    if kind == EventKind.MERGED and data.get("into"):
        return _("并入 %(number)s") % {"number": data["into"]}
    if kind == EventKind.MERGED_IN and data.get("from"):
        return _("由 %(number)s 并入") % {"number": data["from"]}
    if kind == EventKind.EXTENSION_REQUESTED and data.get("working_days"):
        return _("申请延期 %(n)s 个工作日") % {"n": data["working_days"]}
    if kind == EventKind.EXTENSION_APPROVED and data.get("resolve_by"):
        try:
            moved = datetime.fromisoformat(data["resolve_by"])
        except (TypeError, ValueError):
            return ""
        return _("办结时限顺延至 %(at)s") % {"at": deadline_text(moved)}
    if kind == EventKind.RESPONDED and data.get("method") in RespondMethod.values:
        return _("联系方式：%(method)s") % {"method": RespondMethod(data["method"]).label}
    if kind == EventKind.REVIEWED:
        if not data.get("valid", True):
            return _("无效回访，不计入三率")
        parts = []
        if data.get("contacted") is not None:
            parts.append(_("联系过诉求人") if data["contacted"] else _("没有联系诉求人"))
        if data.get("solved") is not None:
            parts.append(_("已解决") if data["solved"] else _("未解决"))
        if data.get("satisfaction") in Satisfaction.values:
            parts.append(str(Satisfaction(data["satisfaction"]).label))
        return _("，").join(parts)
    return ""


def _detail_page(
    request: AuthedRequest,
    ticket: Ticket,
    *,
    bound: ActionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    now = timezone.now()
    pending = pending_extension(ticket, with_requester=True)
    actions = available_actions(user, ticket, extension_pending=pending is not None)
    suggested: Unit | None = None
    units: UnitChoices | None = None
    if "dispatch" in actions:
        units = units_for(ticket, *scope_units(user), near=False)
        suggested = services.suggested_unit(ticket)
    forms: list[ActionForm] = []
    for action in actions:
        if bound is not None and bound.action == action:
            forms.append(bound)
            continue
        initial: dict[str, Any] = {}
        if action == "dispatch" and suggested is not None and units is not None:
            key = unit_key(suggested)
            initial["to"] = key if key in units.units else ""
        forms.append(ACTION_FORMS[action](ticket=ticket, actor=user, units=units, initial=initial))
    # A refusal of an action the page no longer offers (someone moved the ticket meanwhile, or
    # the user may not do it) is shown on top of the page.
    page_errors: list[str] = []
    if bound is not None and bound.action not in actions:
        page_errors = [str(e) for errors in bound.errors.values() for e in errors]
    # The requester's own steps unnamed when anonymous.
    events, submitted_photos = timeline_and_photos(ticket, user)
    return render(
        request,
        "tickets/desk/detail.html",
        {
            "ticket": ticket,
            "answers": answer_rows(ticket),
            "overdue": ticket.is_overdue(now),
            "warning": ticket.is_warning(now),
            "clocks": [
                clock(ticket, _("响应时限"), ticket.respond_by, ticket.responded_at, now),
                clock(ticket, _("办结时限"), ticket.resolve_by, ticket.resolved_at, now),
            ],
            "shows_contact": sees_contact(user, ticket),
            "photos": submitted_photos,
            "events": [
                EventRow(
                    e,
                    e.shown_actor,  # type: ignore[attr-defined]
                    event_extra(e),
                    (unit_name(e) or "") if e.kind != EventKind.DISPATCHED else "",
                )
                for e in reversed(events)
            ],
            "pending_extension": pending,
            "merged_from": list(
                ticket.merged.order_by("created_at").values_list("number", flat=True)
            ),
            "forms": forms,
            "suggested": suggested,
            "page_errors": page_errors,
            "actions_list": actions,
            "supervised_open": ticket.supervised_at is not None and ticket.state in OPEN_STATES,
            "submitted_when": when(ticket.created_at),
            "taken_up": taken_up_lines(user, ticket=ticket),
        },
        status=status,
    )


@login_required
def detail(request: AuthedRequest, number: str) -> HttpResponse:
    """A ticket: its facts, both clocks, the timeline with photos, and a form for each action
    the user may take now. A POST runs one action through its service (post/redirect/get);
    a refusal comes back under the form's fields and leaves the ticket as it was."""
    ticket_staff_only(request)
    ticket = services.find_ticket(request.user, number)  # another scope's ticket: 404
    if request.method != "POST":
        return _detail_page(request, ticket)
    form_class = ACTION_FORMS.get(request.POST.get("action", ""))
    if form_class is None:
        return HttpResponseBadRequest(_("未知的操作。"))
    units = None
    if form_class.action == "dispatch":
        units = units_for(ticket, *scope_units(request.user), near=False)
    form = form_class(request.POST, request.FILES, ticket=ticket, actor=request.user, units=units)
    status = 400
    if form.is_valid():
        try:
            message = form.run(request=request)
        except Forbidden as exc:
            form.add_domain_error(exc)
            status = 403
        except Conflict as exc:
            form.add_domain_error(exc)
            status = 409
        except ValidationFailed as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, message)
            if tickets_for(request.user).filter(pk=ticket.pk).exists():
                return redirect("tickets:detail", number=ticket.number)
            # Sent away from the user's unit (a department's return): out of their sight now.
            return redirect("tickets:list")
    # Nothing changed: the page is read again as it stands, with the refused form.
    fresh = services.find_ticket(request.user, number)
    form.ticket = fresh
    return _detail_page(request, fresh, bound=form, status=status)


# ---------------------------------------------------------------------------------------------
# the workbench's front page


def workbench_cards(user: Any) -> list[dict[str, Any]]:
    """The request counts on the workbench's front page, each linking to its list: one
    counting query over the open tickets the user may see, only for those who work with
    requests."""
    role = getattr(user, "role", "")
    if role not in TICKET_STAFF:
        return []
    now = timezone.now()
    never = Q(pk__isnull=True)
    scope = scope_of(user)
    located = under_paths("area_path", scope.area_paths) or never
    handled = under_paths("handler_path", scope.area_paths) or never
    if scope.department_ids:
        handled |= Q(handler_department_id__in=scope.department_ids)
    active = Q(state__in=ACTIVE_STATES)
    # The same conditions as dispatch_queue, handling_queue and TicketQuerySet.overdue.
    late = active & late_q(now)
    pending = Extension.objects.filter(ticket=OuterRef("pk"), status=ExtensionStatus.PENDING)
    counts = (
        Ticket.objects.visible_to(user)
        .filter(state__in=OPEN_STATES)
        .aggregate(
            desk=Count("pk", filter=located & Q(state=TicketState.SUBMITTED)),
            handling=Count("pk", filter=handled & active),
            overdue=Count("pk", filter=late),
            supervised=Count("pk", filter=Q(supervised_at__isnull=False)),
            extension=Count("pk", filter=Q(Exists(pending))),
        )
    )
    listing = reverse("tickets:list")
    cards = [
        ("desk", _("待派单"), reverse("tickets:desk"), role in DISPATCHER_ROLES),
        (
            "handling",
            _("在办"),
            reverse("tickets:queue") if role == Role.GRID_WORKER else listing,
            role in HANDLER_ROLES,
        ),
        ("overdue", _("超期"), listing + "?overdue=yes", True),
        ("supervised", _("督办"), listing + "?supervised=yes", True),
        ("extension", _("待审批延期"), listing + "?extension=pending", role in DISPATCHER_ROLES),
    ]
    return [
        {"key": key, "label": label, "count": counts[key], "url": url}
        for key, label, url, shown in cards
        if shown
    ]
