"""Phone pages (WeChat-style H5) of requests.

Residents: 上报, 我的诉求 and one request with its timeline, where they rate the result or ask
for it to be handled again. Grid workers and building heads (staff roles working on the phone):
巡查上报 with the same form, 我的待办 and the handling page. Every change goes through one
service in `tickets.services`; the pages parse, fetch through `visible_to` (another's ticket is
a 404), call the service, and show its field errors next to the fields.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from grassroots.accounts.models import Role
from grassroots.accounts.typing import AuthedRequest
from grassroots.core.errors import Conflict, ValidationFailed
from grassroots.core.scoping import under
from grassroots.core.text import full_pinyin, initials
from grassroots.territory.models import Area, AreaKind, Resident

from .. import services
from ..forms import (
    ACTION_FORMS,
    REQUESTER_FORMS,
    PhoneForm,
    ReportForm,
    add_service_errors,
)
from ..models import (
    Category,
    Channel,
    EventKind,
    RequestType,
    RespondMethod,
    Satisfaction,
    Ticket,
    TicketEvent,
    TicketPhoto,
    TicketState,
)
from ..photos import MAX_PHOTOS
from ..rules import SUBMITTER_ROLES
from ..selectors import (
    NOTE_HIDDEN_FROM_RESIDENT,
    available_actions,
    category_tree,
    is_selectable,
    pending_extension,
    queue_page,
    resident_sees,
    sees_contact,
    tickets_for,
    timeline_and_photos,
    unit_name,
)

MINE_PAGE_SIZE = 20
QUEUE_LIMIT = 100
BUILDINGS_LIMIT = 500

# ---------------------------------------------------------------------------------------------
# who may open which page


def _resident_only(request: AuthedRequest) -> None:
    if request.user.role != Role.RESIDENT:
        raise PermissionDenied


def _phone_staff_only(request: AuthedRequest) -> None:
    """Grid workers, building heads and other staff who work on the phone; not residents,
    not the three administrators (they do not handle business data)."""
    user = request.user
    if not user.is_staff_role or user.role not in SUBMITTER_ROLES:
        raise PermissionDenied


def _changed_elsewhere(request: AuthedRequest, exc: Exception | None = None) -> None:
    messages.error(
        request,
        str(exc) if isinstance(exc, Conflict) else _("工单状态已变化，请查看最新进展后再操作。"),
    )


# ---------------------------------------------------------------------------------------------
# 上报 / 巡查上报


@dataclass
class CategoryChoice:
    code: str
    name: str
    trail: str  # the groups between the top group and the leaf, for deeper catalogues
    terms: str  # what the search box matches: names, keywords, pinyin, code


@dataclass
class CategoryGroup:
    name: str
    choices: list[CategoryChoice] = field(default_factory=list)


def _terms(node: Category) -> list[str]:
    words = [node.name, *node.keyword_list]
    return [*words, *(initials(w) for w in words), *(full_pinyin(w) for w in words), node.code]


def _catalogue() -> list[CategoryGroup]:
    """The selectable leaves under their top-level groups (one query), each with the words the
    picker's search matches against, so filtering needs no round trip."""
    groups: list[CategoryGroup] = []
    by_pk: dict[int, Category] = {}
    for node in category_tree():
        by_pk[node.pk] = node
        if node.depth == 1:
            groups.append(CategoryGroup(node.name))
        if not is_selectable(node) or not groups:
            continue
        chain = [node]
        parent = getattr(node, "parent_pk", None)
        while parent is not None and parent in by_pk:
            chain.insert(0, by_pk[parent])
            parent = getattr(by_pk[parent], "parent_pk", None)
        groups[-1].choices.append(
            CategoryChoice(
                code=node.code,
                name=node.name,
                trail=" › ".join(n.name for n in chain[1:-1]),
                terms=" ".join(t for n in chain for t in _terms(n)).lower(),
            )
        )
    return [g for g in groups if g.choices]


def _home_building(user: Any) -> Area | None:
    resident = (
        Resident.objects.select_related("household__building")
        .defer("id_number")
        .filter(user_id=user.pk)
        .first()
    )
    return resident.household.building if resident and resident.household else None


def _buildings(user: Any) -> tuple[list[tuple[str, str]], Area | None]:
    """The buildings offered in the form, and the one chosen at first: a resident's own
    community's buildings with their home first chosen; staff the buildings of their territory."""
    home = None
    if user.role == Role.RESIDENT:
        home = _home_building(user)
        if home is None:
            return [], None
        community = home.path[: 3 * Area.steplen]
        qs: QuerySet[Area] = Area.objects.filter(under("path", community), kind=AreaKind.BUILDING)
    else:
        qs = Area.objects.visible_to(user).filter(kind=AreaKind.BUILDING)
    rows = qs.order_by("path").only("code", "name", "path")[:BUILDINGS_LIMIT]
    return [(a.code, a.name) for a in rows], home


@require_http_methods(["GET", "POST"])
@login_required
def report(request: AuthedRequest) -> HttpResponse:
    """上报 (resident) and 巡查上报 (grid worker, building head): one form, two channels."""
    user = request.user
    if user.role not in SUBMITTER_ROLES:
        raise PermissionDenied
    patrol = user.is_staff_role
    buildings, home = _buildings(user)
    options: dict[str, Any] = {
        "buildings": buildings,
        "for_resident": not patrol,
        "blank_building": (
            gettext_lazy("不选楼栋（按定位或我的网格）")
            if patrol
            else gettext_lazy("不选楼栋（用定位）")
        ),
    }
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES, **options)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket, created = services.ticket_submit(
                    actor=user,
                    category=data["category"],
                    description=data["description"],
                    address=data["address"],
                    channel=Channel.GRID_PATROL if patrol else Channel.RESIDENT_APP,
                    request_type=data["request_type"],
                    building=data["building"] or None,
                    lat=data["lat"],
                    lon=data["lon"],
                    anonymous=bool(data.get("anonymous")),
                    photos=data["photos"],
                    idempotency_key=data["idempotency_key"],
                    request=request,
                )
            except ValidationFailed as exc:
                add_service_errors(form, exc)
            else:
                if created and patrol:
                    text = _("提交成功，工单号 %(number)s。等待派单。")
                elif created:
                    text = _("提交成功，工单号 %(number)s。我们会尽快处理。")
                else:  # the same form sent twice (a double tap): the first one stands
                    text = _("这条诉求已经提交过，工单号 %(number)s。")
                messages.success(request, text % {"number": ticket.number})
                target = "tickets:handle" if patrol else "tickets:mine_detail"
                return redirect(target, ticket.number)
        status = 400
    else:
        form = ReportForm(
            initial={
                "idempotency_key": uuid.uuid4().hex,
                "request_type": RequestType.HELP,
                "building": home.code if home else "",
            },
            **options,
        )
    catalogue = _catalogue()
    chosen = form["category"].value() or ""
    chosen_choice = next((c for g in catalogue for c in g.choices if c.code == chosen), None)
    photos_lost = request.method == "POST" and bool(request.FILES.getlist("photos"))
    return render(
        request,
        "tickets/phone/report.html",
        {
            "tab": "report",
            "form": form,
            "patrol": patrol,
            "catalogue": catalogue,
            "chosen": chosen_choice,
            "photos_lost": photos_lost,
            "max_photos": MAX_PHOTOS,
        },
        status=status,
    )


# ---------------------------------------------------------------------------------------------
# 我的诉求


@require_safe
@login_required
def mine(request: AuthedRequest) -> HttpResponse:
    """A resident's requests, their own and those they follow (a duplicate merged into another),
    newest first."""
    _resident_only(request)
    qs = tickets_for(request.user).order_by("-created_at", "-id")
    page = Paginator(qs, MINE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "tickets/phone/mine.html", {"tab": "mine", "page": page})


@dataclass
class TimelineRow:
    event: TicketEvent
    who: str
    details: list[str]
    note: str

    @property
    def line(self) -> str:
        return " · ".join(x for x in (self.who, *self.details) if x)


def _local(value: str | None) -> datetime | None:
    moment = parse_datetime(value) if value else None
    return timezone.localtime(moment) if moment else None


def _event_details(event: TicketEvent) -> list[str]:
    data = event.data or {}
    details: list[str] = []
    if event.kind == EventKind.DISPATCHED and data.get("to"):
        details.append(_("派至：%(unit)s") % {"unit": data["to"]})
    elif event.kind == EventKind.RESPONDED and data.get("method") in RespondMethod.values:
        details.append(_("方式：%(method)s") % {"method": RespondMethod(data["method"]).label})
    elif event.kind == EventKind.EXTENSION_REQUESTED and data.get("working_days"):
        details.append(_("申请延期 %(n)s 个工作日") % {"n": data["working_days"]})
    elif event.kind == EventKind.EXTENSION_APPROVED and (moment := _local(data.get("resolve_by"))):
        details.append(_("新的办结时限：%(at)s") % {"at": f"{moment:%Y-%m-%d %H:%M}"})
    elif event.kind == EventKind.REVIEWED and data.get("valid") is not False:
        if data.get("satisfaction") in Satisfaction.values:
            details.append(str(Satisfaction(data["satisfaction"]).label))
        if data.get("solved") is True:
            details.append(_("已解决"))
        elif data.get("solved") is False:
            details.append(_("未解决"))
    elif event.kind == EventKind.MERGED and data.get("into"):
        details.append(_("并入 %(number)s") % {"number": data["into"]})
    elif event.kind == EventKind.MERGED_IN and data.get("from"):
        details.append(_("%(number)s 并入本单") % {"number": data["from"]})
    elif event.kind == EventKind.REJECTED and data.get("redirect"):
        details.append(_("建议渠道：%(where)s") % {"where": data["redirect"]})
    return [str(d) for d in details]


def _timeline_rows(
    ticket: Ticket, *, for_resident: bool
) -> tuple[list[TimelineRow], list[TicketPhoto]]:
    """The timeline as a page shows it, and the submission's photos. The requester's own steps
    read 我 (to them) or 诉求人 (to staff), so an anonymous requester's name never reaches the
    handlers through it."""
    rows = []
    events, photos = timeline_and_photos(ticket)
    for event in events:
        if for_resident and not resident_sees(event):
            continue
        # A dispatch's unit is the one it went to, said by its details (派至).
        unit = None if event.kind == EventKind.DISPATCHED else unit_name(event)
        if ticket.requester_id is not None and event.actor_id == ticket.requester_id:
            who = _("我") if for_resident else _("诉求人")
        elif event.actor_id is None:
            who = _("系统")
        elif for_resident:
            who = unit or ""
        else:
            who = " · ".join(x for x in (event.actor_label, unit or "") if x)
        hide_note = for_resident and event.kind in NOTE_HIDDEN_FROM_RESIDENT
        rows.append(
            TimelineRow(
                event=event,
                who=who,
                details=_event_details(event),
                note="" if hide_note else event.note,
            )
        )
    return rows, photos


def _requester_action(request: AuthedRequest, ticket: Ticket, action: str, form: PhoneForm) -> str:
    data = form.cleaned_data
    if action == "review":
        review = services.ticket_review(
            actor=request.user,
            ticket=ticket,
            contacted=data["contacted"],
            solved=data["solved"],
            satisfaction=data["satisfaction"],
            comment=data["comment"],
            request=request,
        )
        if review.solved:
            return _("感谢您的评价，这条诉求已结案。")
        return _("感谢您的评价。问题未解决，已转回承办单位重新办理。")
    services.ticket_reopen(
        actor=request.user, ticket=ticket, reason=data["reason"], request=request
    )
    return _("已申请重新办理，承办单位会尽快处理。")


@require_http_methods(["GET", "POST"])
@login_required
def mine_detail(request: AuthedRequest, number: str) -> HttpResponse:
    """One of the resident's requests: where it is, the timeline, and when it is resolved the
    review (回访评价) and reopen forms."""
    _resident_only(request)
    ticket = services.find_ticket(request.user, number)
    actions = available_actions(request.user, ticket)
    forms_shown: dict[str, forms.Form] = {}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in REQUESTER_FORMS:
            return HttpResponseBadRequest(_("未知的操作。"))
        if action not in actions:
            _changed_elsewhere(request)
            return redirect("tickets:mine_detail", ticket.number)
        form = REQUESTER_FORMS[action](request.POST, prefix=action)
        if form.is_valid():
            try:
                text = _requester_action(request, ticket, action, form)
            except Conflict as exc:
                _changed_elsewhere(request, exc)
                return redirect("tickets:mine_detail", ticket.number)
            except ValidationFailed as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, text)
                return redirect("tickets:mine_detail", ticket.number)
        forms_shown[action] = form
        status = 400
    for action, form_class in REQUESTER_FORMS.items():
        if action in actions and action not in forms_shown:
            forms_shown[action] = form_class(prefix=action)
    survivor = None
    if ticket.merged_into_id is not None:
        survivor = (
            Ticket.objects.visible_to(request.user)
            .filter(pk=ticket.merged_into_id)
            .values_list("number", flat=True)
            .first()
        )
    events, photos = _timeline_rows(ticket, for_resident=True)
    resolution = next(
        (row for row in reversed(events) if row.event.kind == EventKind.RESOLVED), None
    )
    return render(
        request,
        "tickets/phone/mine_detail.html",
        {
            "tab": "mine",
            "ticket": ticket,
            "photos": photos,
            "events": events,
            "resolution": resolution if ticket.state == TicketState.RESOLVED else None,
            "review_form": forms_shown.get("review"),
            "reopen_form": forms_shown.get("reopen"),
            "open_form": request.POST.get("action", "") if status == 400 else "",
            "survivor": survivor,
            "now": timezone.now(),
        },
        status=status,
    )


# ---------------------------------------------------------------------------------------------
# 我的待办 and 办理


def _duration(seconds: float) -> str:
    minutes = max(1, int(seconds // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        if not hours:
            return _("%(d)d 天") % {"d": days}
        return _("%(d)d 天 %(h)d 小时") % {"d": days, "h": hours}
    if hours:
        if not minutes:
            return _("%(h)d 小时") % {"h": hours}
        return _("%(h)d 小时 %(m)d 分") % {"h": hours, "m": minutes}
    return _("%(m)d 分钟") % {"m": minutes}


@dataclass
class Clock:
    level: str  # "overdue", "warning" or ""
    text: str  # 响应剩 3 小时 2 分 / 办结超期 1 天 2 小时


def clock_of(ticket: Ticket, now: datetime) -> Clock:
    """The deadline that matters next (responding, until the requester has been contacted;
    then resolving) as a countdown, and how urgent it is."""
    limit: datetime | None
    if ticket.responded_at is None and ticket.respond_by is not None:
        what, limit = _("响应"), ticket.respond_by
    else:
        what, limit = _("办结"), ticket.resolve_by
    level = "overdue" if ticket.is_overdue(now) else ("warning" if ticket.is_warning(now) else "")
    if limit is None or ticket.state not in (
        TicketState.DISPATCHED,
        TicketState.ACCEPTED,
        TicketState.IN_PROGRESS,
    ):
        return Clock(level, "")
    left = (limit - now).total_seconds()
    if left < 0:
        text = _("%(what)s超期 %(time)s") % {"what": what, "time": _duration(-left)}
    else:
        text = _("%(what)s剩 %(time)s") % {"what": what, "time": _duration(left)}
    return Clock(level, text)


@require_safe
@login_required
def queue(request: AuthedRequest) -> HttpResponse:
    """我的待办: what the user's unit is handling, overdue first (red), then by the earliest
    resolve deadline; those past their warning time are orange. One query whatever the size:
    the first QUEUE_LIMIT rows, each carrying the counts (`queue_page`)."""
    _phone_staff_only(request)
    now = timezone.now()
    counts, rows = queue_page(request.user, now, QUEUE_LIMIT)
    return render(
        request,
        "tickets/phone/queue.html",
        {
            "tab": "queue",
            "rows": [(t, clock_of(t, now)) for t in rows],
            "counts": counts,
            "limit": QUEUE_LIMIT,
        },
    )


HANDLE_ORDER = ["accept", "respond", "resolve", "answer-supervision", "extend", "return"]
DONE_MESSAGES = {
    "accept": gettext_lazy("已签收，请尽快联系诉求人。"),
    "respond": gettext_lazy("已登记联系情况。"),
    "return": gettext_lazy("已退单，工单回到派单人员。"),
    "extend": gettext_lazy("延期申请已提交，等待审批。"),
    "resolve": gettext_lazy("已办结，等待诉求人评价。"),
    "answer-supervision": gettext_lazy("已回复督办。"),
}


def _handle_action(request: AuthedRequest, ticket: Ticket, action: str, form: PhoneForm) -> None:
    actor, data = request.user, form.cleaned_data
    if action == "accept":
        services.ticket_accept(actor=actor, ticket=ticket, request=request)
    elif action == "respond":
        services.ticket_respond(
            actor=actor, ticket=ticket, method=data["method"], note=data["note"], request=request
        )
    elif action == "return":
        services.ticket_return(actor=actor, ticket=ticket, reason=data["reason"], request=request)
    elif action == "extend":
        services.ticket_request_extension(
            actor=actor,
            ticket=ticket,
            reason=data["reason"],
            working_days=data["working_days"],
            request=request,
        )
    elif action == "resolve":
        services.ticket_resolve(
            actor=actor, ticket=ticket, result=data["result"], photos=data["photos"],
            request=request,
        )  # fmt: skip
    elif action == "answer-supervision":
        services.ticket_answer_supervision(
            actor=actor, ticket=ticket, note=data["note"], request=request
        )


@require_http_methods(["GET", "POST"])
@login_required
def handle(request: AuthedRequest, number: str) -> HttpResponse:
    """办理 on the phone: the request (contact masked, or hidden when the requester asked),
    the timeline, and one small form per action the user may take now."""
    _phone_staff_only(request)
    user = request.user
    ticket = services.find_ticket(user, number)
    actions = [a for a in HANDLE_ORDER if a in available_actions(user, ticket)]
    bound: dict[str, forms.Form] = {}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in ACTION_FORMS:
            return HttpResponseBadRequest(_("未知的操作。"))
        if action not in actions:
            _changed_elsewhere(request)
            return redirect("tickets:handle", ticket.number)
        form = ACTION_FORMS[action](request.POST, request.FILES, prefix=action)
        if form.is_valid():
            try:
                _handle_action(request, ticket, action, form)
            except Conflict as exc:
                _changed_elsewhere(request, exc)
                return redirect("tickets:handle", ticket.number)
            except ValidationFailed as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, DONE_MESSAGES[action])
                if action == "return":
                    return redirect("tickets:queue")
                return redirect("tickets:handle", ticket.number)
        bound[action] = form
        status = 400
    now = timezone.now()
    return_by = services.return_deadline(ticket) if "return" in actions else None
    if return_by is not None and now > return_by and "return" not in bound:
        # Past the return window the service refuses; the form is not offered.
        actions.remove("return")
        return_by = None
    pending = None
    if "extend" in actions:
        pending = pending_extension(ticket)
        if pending is not None and "extend" not in bound:
            actions.remove("extend")
    action_forms = [(a, bound.get(a) or ACTION_FORMS[a](prefix=a)) for a in actions]
    events, photos = _timeline_rows(ticket, for_resident=False)
    opened = next(iter(bound), "") or next(
        (a for a in ("resolve", "respond", "answer-supervision") if a in actions), ""
    )
    return render(
        request,
        "tickets/phone/handle.html",
        {
            "tab": "queue",
            "ticket": ticket,
            "clock": clock_of(ticket, now),
            "shows_contact": sees_contact(user, ticket),
            "photos": photos,
            "events": events,
            "action_forms": action_forms,
            "opened": opened,
            "pending_extension": pending,
            "return_by": return_by,
        },
        status=status,
    )
