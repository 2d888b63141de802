"""Every change to a request (工单), from submission to a rated result (DESIGN.md lifecycle).

Each service validates (field-level Chinese messages), then in one transaction moves the ticket
by a conditional update on its current state — so of two concurrent transitions on one ticket
exactly one succeeds and the other gets a Conflict — appends a TicketEvent, writes the audit row
last, and leaves the messages (inbox now, SMS after commit) to `tickets.notify`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.accounts.models import Role
from grassroots.core.audit import audit_log
from grassroots.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from grassroots.core.scoping import prefixes
from grassroots.core.validators import is_mobile
from grassroots.core.worktime import deadline, deadline_info
from grassroots.territory.models import Area, AreaKind, Department, Resident

from .. import notify
from ..locate import grid_at, has_grid_boundaries
from ..models import (
    ACTIVE_STATES,
    DESCRIPTION_MAX,
    OPEN_STATES,
    Category,
    Channel,
    EventKind,
    Extension,
    ExtensionStatus,
    RequestType,
    RespondMethod,
    Review,
    Satisfaction,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketPhoto,
    TicketState,
    Urgency,
)
from ..photos import CleanPhoto, clean_photos
from ..rules import (
    DEPARTMENT_DISPATCHERS,
    DISPATCHER_ROLES,
    REVIEW_SEAT_ROLES,
    SUBMITTER_ROLES,
    SUPERVISOR_ROLES,
    covers,
    dispatches,
    handles,
)

HANDLER_AREA_KINDS = (
    AreaKind.GRID,
    AreaKind.COMMUNITY,
    AreaKind.VILLAGE,
    AreaKind.STREET,
    AreaKind.TOWNSHIP,
)
NOTE_MAX = 2000
REASON_MAX = 500
MAX_EXTENSION_WORKING_DAYS = 10  # Shandong practice (DOMAIN.md §2): at most 10 working days


# ---------------------------------------------------------------------------------------------
# helpers


def _now() -> datetime:
    return timezone.now()


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(fields={field: [message]})


def _text(value: str | None, field: str, *, required: bool, limit: int, label: str) -> str:
    text = (value or "").strip()
    if required and not text:
        raise _fail(field, _("请填写%(label)s。") % {"label": label})
    if len(text) > limit:
        raise _fail(field, _("%(label)s不能超过 %(n)d 个字。") % {"label": label, "n": limit})
    return text


def _wrong_state(ticket: Ticket, action: str) -> ValidationFailed:
    return ValidationFailed(
        _("工单当前为“%(state)s”，不能%(action)s。")
        % {"state": ticket.get_state_display(), "action": action},
        code="wrong_state",
        fields={"state": [_("当前状态不允许此操作。")]},
    )


def _require_state(ticket: Ticket, states: Iterable[str], action: str) -> None:
    if ticket.state not in states:
        raise _wrong_state(ticket, action)


def _move(ticket: Ticket, from_states: Iterable[str], **changes: Any) -> None:
    """The conditional update at the heart of every transition: it changes the row only if it
    is still in one of `from_states`. Zero rows means someone else moved it first."""
    states = list(from_states)
    updated = Ticket.objects.filter(pk=ticket.pk, state__in=states).update(
        updated_at=_now(), **changes
    )
    if updated != 1:
        raise Conflict(_("工单已被他人处理，请刷新后再试。"))
    for field, value in changes.items():
        setattr(ticket, field, value)


def _event(
    ticket: Ticket,
    kind: str,
    actor: Any,
    note: str = "",
    *,
    unit: Area | Department | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> TicketEvent:
    area = unit if isinstance(unit, Area) else None
    department = unit if isinstance(unit, Department) else None
    user = actor if getattr(actor, "is_authenticated", False) else None
    return TicketEvent.objects.create(
        ticket=ticket,
        street_id=ticket.street_id,
        kind=kind,
        actor=user,
        actor_label=(user.display_name if user else _("系统"))[:100],
        created_at=at or _now(),
        note=note,
        unit_area=area,
        unit_department=department,
        unit_path=area.path if area else "",
        data=data or {},
    )


def _save_photos(
    ticket: Ticket, photos: Sequence[CleanPhoto], actor: Any, event: TicketEvent | None = None
) -> list[TicketPhoto]:
    saved = []
    for photo in photos:
        row = TicketPhoto(
            ticket=ticket,
            event=event,
            content_type=photo.content_type,
            size=photo.size,
            width=photo.width,
            height=photo.height,
            sha256=photo.sha256,
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        row.image.save("photo", photo.content, save=False)
        row.save()
        saved.append(row)
    return saved


def _audit(
    action: str, actor: Any, ticket: Ticket, request: HttpRequest | None, **data: Any
) -> None:
    audit_log(
        action=f"tickets.{action}",
        actor=actor,
        obj=ticket,
        request=request,
        street_id=ticket.street_id,
        data={"number": ticket.number, "state": ticket.state, **data},
    )


def _unit_label(unit: Area | Department | None) -> str:
    return str(unit) if unit is not None else ""


def _start_clocks(ticket: Ticket, start: datetime) -> dict[str, Any]:
    """respond_by, resolve_by and the warning time from the category's SLA policy."""
    policy = ticket.category.sla_policy
    if policy is None:  # a leaf without a policy cannot be chosen; kept safe anyway
        raise _fail("category", _("该类别未设置时限标准，请联系管理员。"))
    respond = deadline_info(start, policy.respond_amount, policy.respond_unit)
    resolve = deadline_info(start, policy.resolve_amount, policy.resolve_unit)
    return {
        "respond_by": respond.at,
        "resolve_by": resolve.at,
        "warn_at": start + (resolve.at - start) * policy.warn_share,
        "deadline_provisional": respond.provisional or resolve.provisional,
        "warned_at": None,
        "overdue_notified_at": None,
    }


def _street_of(area: Area) -> Area:
    if area.kind in (AreaKind.STREET, AreaKind.TOWNSHIP):
        return area
    street = Area.objects.filter(path=area.path[: 2 * Area.steplen]).first()
    if street is None or street.kind not in (AreaKind.STREET, AreaKind.TOWNSHIP):
        raise _fail("building", _("该位置不属于任何街道，请重新选择。"))
    return street


# ---------------------------------------------------------------------------------------------
# submit


def _category(code: str) -> Category:
    category = (
        Category.objects.select_related("sla_policy").filter(code=(code or "").strip()).first()
    )
    if category is None:
        raise _fail("category", _("请选择诉求类别。") if not code else _("没有这个诉求类别。"))
    usable = (
        category.is_active
        and category.numchild == 0
        and category.sla_policy_id is not None
        and not Category.objects.filter(
            path__in=prefixes_of_category(category), is_active=False
        ).exists()
    )
    if not usable:
        raise _fail("category", _("该类别不能直接选择，请选择具体的诉求类别。"))
    return category


def prefixes_of_category(category: Category) -> list[str]:
    step = category.steplen
    return [category.path[:end] for end in range(step, len(category.path), step)]


def _locate(
    *,
    actor: Any,
    building: Area | str | None,
    lat: float | None,
    lon: float | None,
) -> tuple[Area, Area | None]:
    """(area, building): the chosen building; else the grid holding the point; else the
    requester's home building; else the staff member's own single area."""
    if building not in (None, ""):
        found = (
            building
            if isinstance(building, Area)
            else Area.objects.filter(code=str(building).strip()).first()
        )
        if found is None or found.kind != AreaKind.BUILDING:
            raise _fail("building", _("没有这个楼栋，请重新选择。"))
        return found, found
    if (lat is None) != (lon is None):
        raise _fail("lat" if lat is None else "lon", _("经度和纬度须同时提供。"))
    if lat is not None and lon is not None:
        if not (-90 <= lat <= 90) or not (-180 <= lon <= 180):
            raise _fail("lat", _("位置坐标不正确。"))
        grid = grid_at(lat, lon)
        if grid is not None:
            return grid, None
        if has_grid_boundaries():
            raise _fail("lat", _("该位置不在本区任何网格内，请核对位置或选择楼栋。"))
    resident = Resident.objects.filter(user_id=actor.pk).select_related("household__building")
    home = resident.first()
    if home is not None and home.household is not None:
        return home.household.building, None
    own = list(actor.scope_areas.all()[:2]) if actor.role != Role.RESIDENT else []
    if len(own) == 1 and own[0].kind != AreaKind.DISTRICT:
        return own[0], None
    raise _fail("building", _("无法确定问题位置，请选择楼栋或在地图上定位。"))


def _choice(value: str, choices: Any, field: str, message: str) -> str:
    if value not in choices.values:
        raise _fail(field, message)
    return value


def ticket_submit(
    *,
    actor: Any,
    category: str,
    description: str,
    address: str = "",
    channel: str = Channel.RESIDENT_APP,
    request_type: str = RequestType.HELP,
    urgency: str = Urgency.NORMAL,
    building: Area | str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    anonymous: bool = False,
    contact_name: str = "",
    contact_mobile: str = "",
    photos: Sequence[Any] = (),
    idempotency_key: str = "",
    request: HttpRequest | None = None,
) -> tuple[Ticket, bool]:
    """A new request. Returns (ticket, created): with an idempotency key already used by the
    same user, the first ticket comes back and nothing is created."""
    if actor is None or not actor.is_authenticated or actor.role not in SUBMITTER_ROLES:
        raise Forbidden()
    key = (idempotency_key or "").strip()
    if len(key) > 80:
        raise _fail("idempotency_key", _("幂等键不能超过 80 个字符。"))
    if key:
        earlier = Ticket.objects.filter(submitted_by=actor, submit_key=key).first()
        if earlier is not None:
            return earlier, False
    errors: dict[str, list[str]] = {}

    def check(func: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ValidationFailed as exc:
            for field, messages in exc.fields.items():
                errors.setdefault(field, []).extend(messages)
            return None

    cat = check(_category, category)
    text = check(
        _text, description, "description", required=True, limit=DESCRIPTION_MAX,
        label=_("诉求内容"),
    )  # fmt: skip
    check(_choice, channel, Channel, "channel", _("来源不正确。"))
    check(_choice, request_type, RequestType, "request_type", _("请选择诉求类型。"))
    check(_choice, urgency, Urgency, "urgency", _("紧急程度须为一般或紧急。"))
    located = check(_locate, actor=actor, building=building, lat=lat, lon=lon)
    addr = check(_text, address, "address", required=False, limit=200, label=_("地址"))
    if located is not None and addr == "":
        area, chosen = located
        addr = str(chosen) if chosen is not None else ""
        if not addr:
            errors.setdefault("address", []).append(_("请填写问题所在的地址。"))
    name = check(_text, contact_name, "contact_name", required=False, limit=50, label=_("联系人"))
    mobile = (contact_mobile or "").strip()
    if mobile and not is_mobile(mobile):
        errors.setdefault("contact_mobile", []).append(_("请填写正确的 11 位手机号。"))
    cleaned = check(clean_photos, list(photos))
    if errors:
        raise ValidationFailed(fields=errors)
    area, chosen = located
    if actor.role == Role.RESIDENT:
        # A resident files for themself: their own account is the contact.
        resident = Resident.objects.filter(user_id=actor.pk).first()
        name = name or (resident.name if resident else actor.name)
        mobile = actor.mobile or mobile
    street = _street_of(area)
    now = _now()
    ticket = Ticket(
        channel=channel,
        request_type=request_type,
        category=cat,
        urgency=urgency,
        description=text,
        address=addr,
        lat=lat if chosen is None else None,
        lon=lon if chosen is None else None,
        building=chosen,
        area=area,
        area_path=area.path,
        street=street,
        requester=actor if actor.role == Role.RESIDENT else None,
        contact_name=name,
        contact_mobile=mobile,
        anonymous=bool(anonymous),
        submitted_by=actor,
        submit_key=key,
        created_at=now,
    )
    try:
        with transaction.atomic():
            ticket.save()
            ticket.number = f"GR-{timezone.localtime(now):%Y%m%d}-{ticket.pk:06d}"
            Ticket.objects.filter(pk=ticket.pk).update(number=ticket.number)
            _save_photos(ticket, cleaned, actor)
            _event(ticket, EventKind.SUBMITTED, actor, at=now, data={"channel": channel})
            _audit(
                "submit", actor, ticket, request,
                category=cat.code, channel=channel, anonymous=ticket.anonymous,
            )  # fmt: skip
            notify.submitted(ticket)
    except IntegrityError:
        if not key:
            raise
        # The same key raced in from a second request: the first one's ticket is the answer.
        return Ticket.objects.get(submitted_by=actor, submit_key=key), False
    return ticket, True


# ---------------------------------------------------------------------------------------------
# dispatch desk


def suggested_unit(ticket: Ticket) -> Area | Department | None:
    """The catalogue's default for the ticket: its grid, community or street, or the
    category's department (the dispatcher may choose otherwise)."""
    level = ticket.category.handling_level
    if level == "department":
        return ticket.category.department
    kinds = {
        "grid": (AreaKind.GRID,),
        "community": (AreaKind.COMMUNITY, AreaKind.VILLAGE),
        "street": (AreaKind.STREET, AreaKind.TOWNSHIP),
    }.get(level, ())
    if not kinds:
        return None
    for area in Area.objects.filter(path__in=prefixes(ticket.area_path)).order_by("-depth"):
        if area.kind in kinds:
            return area
    # The ticket is located above that level (a street-wide matter): the nearest unit above.
    return (
        Area.objects.filter(path__in=prefixes(ticket.area_path), kind__in=HANDLER_AREA_KINDS)
        .order_by("-depth")
        .first()
    )


def _check_dispatcher(actor: Any, ticket: Ticket) -> None:
    if actor.role not in DISPATCHER_ROLES or not dispatches(actor, ticket):
        raise Forbidden(_("只有本辖区的派单人员可以派单。"))


def _check_target(actor: Any, ticket: Ticket, to: Area | Department | None) -> None:
    if to is None:
        raise _fail("to", _("请选择承办单位。"))
    if isinstance(to, Area):
        if to.kind not in HANDLER_AREA_KINDS:
            raise _fail("to", _("承办单位须为网格、社区（村）或街道（乡镇）。"))
        if not covers(actor, to.path):
            raise _fail("to", _("只能派给本辖区内的单位。"))
        if not to.path.startswith(ticket.street.path):
            raise _fail("to", _("只能派给工单所在街道内的单位。"))
        return
    if actor.role not in DEPARTMENT_DISPATCHERS:
        raise _fail("to", _("社区不能直接派给职能部门，请转街道派单。"))
    if not to.is_active:
        raise _fail("to", _("该职能部门已停用。"))
    dept_area = to.area
    if dept_area.kind != AreaKind.DISTRICT and not ticket.area_path.startswith(dept_area.path):
        raise _fail("to", _("该部门不负责工单所在的区域。"))


def ticket_dispatch(
    *,
    actor: Any,
    ticket: Ticket,
    to: Area | Department | None,
    note: str = "",
    request: HttpRequest | None = None,
) -> Ticket:
    """派单: send a new (or returned) ticket to a unit; both clocks start now."""
    _check_dispatcher(actor, ticket)
    _require_state(ticket, [TicketState.SUBMITTED], _("派单"))
    _check_target(actor, ticket, to)
    note = _text(note, "note", required=False, limit=NOTE_MAX, label=_("派单说明"))
    now = _now()
    area = to if isinstance(to, Area) else None
    department = to if isinstance(to, Department) else None
    with transaction.atomic():
        _move(
            ticket,
            [TicketState.SUBMITTED],
            state=TicketState.DISPATCHED,
            handler_area=area,
            handler_department=department,
            handler_path=area.path if area else "",
            dispatched_at=now,
            accepted_at=None,
            responded_at=None,
            **_start_clocks(ticket, now),
        )
        _event(ticket, EventKind.DISPATCHED, actor, note, unit=to, data={"to": _unit_label(to)})
        _audit("dispatch", actor, ticket, request, to=_unit_label(to))
        notify.dispatched(ticket)
    return ticket


def ticket_reject(
    *,
    actor: Any,
    ticket: Ticket,
    reason: str,
    redirect: str = "",
    request: HttpRequest | None = None,
) -> Ticket:
    """不予受理: out of scope (第十一条), with the reason and where to go instead."""
    _check_dispatcher(actor, ticket)
    _require_state(ticket, [TicketState.SUBMITTED], _("不予受理"))
    reason = _text(reason, "reason", required=True, limit=REASON_MAX, label=_("不予受理的理由"))
    redirect = _text(redirect, "redirect", required=False, limit=200, label=_("建议渠道"))
    with transaction.atomic():
        _move(ticket, [TicketState.SUBMITTED], state=TicketState.REJECTED, closed_at=_now())
        _event(ticket, EventKind.REJECTED, actor, reason, data={"redirect": redirect})
        _audit("reject", actor, ticket, request)
        notify.rejected(ticket, reason, redirect)
    return ticket


def ticket_merge(
    *,
    actor: Any,
    ticket: Ticket,
    into: Ticket | None,
    note: str = "",
    request: HttpRequest | None = None,
) -> Ticket:
    """合并: a duplicate joins the ticket already being handled; its requester follows that."""
    _check_dispatcher(actor, ticket)
    _require_state(ticket, OPEN_STATES, _("合并"))
    if into is None:
        raise _fail("into", _("请填写要并入的工单号。"))
    if into.pk == ticket.pk:
        raise _fail("into", _("不能并入工单本身。"))
    if into.state in (TicketState.REJECTED, TicketState.MERGED):
        raise _fail("into", _("不能并入已合并或不予受理的工单。"))
    if into.street_id != ticket.street_id or not dispatches(actor, into):
        raise _fail("into", _("只能并入本辖区的工单。"))
    note = _text(note, "note", required=False, limit=NOTE_MAX, label=_("说明"))
    with transaction.atomic():
        _move(ticket, OPEN_STATES, state=TicketState.MERGED, merged_into=into, closed_at=_now())
        _event(ticket, EventKind.MERGED, actor, note, data={"into": into.number})
        _event(into, EventKind.MERGED_IN, actor, note, data={"from": ticket.number})
        for user_id in {ticket.requester_id, *ticket.followers.values_list("user_id", flat=True)}:
            if user_id and user_id != into.requester_id:
                TicketFollower.objects.get_or_create(ticket=into, user_id=user_id)
        _audit("merge", actor, ticket, request, into=into.number)
        notify.merged(ticket, into)
    return ticket


# ---------------------------------------------------------------------------------------------
# handling


def _check_handler(actor: Any, ticket: Ticket) -> None:
    if not handles(actor, ticket):
        raise Forbidden(_("只有承办单位的工作人员可以办理。"))


def ticket_accept(*, actor: Any, ticket: Ticket, request: HttpRequest | None = None) -> Ticket:
    """签收. Starts nothing new: the respond clock has run since dispatch."""
    _check_handler(actor, ticket)
    _require_state(ticket, [TicketState.DISPATCHED], _("签收"))
    with transaction.atomic():
        _move(ticket, [TicketState.DISPATCHED], state=TicketState.ACCEPTED, accepted_at=_now())
        _event(ticket, EventKind.ACCEPTED, actor, unit=ticket.handler)
        _audit("accept", actor, ticket, request)
        notify.accepted(ticket)
    return ticket


def ticket_respond(
    *,
    actor: Any,
    ticket: Ticket,
    method: str,
    note: str = "",
    request: HttpRequest | None = None,
) -> Ticket:
    """响应: the handler has contacted the requester (how, and what was agreed). From a ticket
    not yet signed for, this signs for it too (one tap, not two)."""
    _check_handler(actor, ticket)
    _require_state(ticket, [TicketState.DISPATCHED, TicketState.ACCEPTED], _("登记联系"))
    if method not in RespondMethod.values:
        raise _fail("method", _("请选择联系方式。"))
    note = _text(note, "note", required=False, limit=NOTE_MAX, label=_("联系情况"))
    now = _now()
    with transaction.atomic():
        was = ticket.state
        _move(
            ticket,
            [TicketState.DISPATCHED, TicketState.ACCEPTED],
            state=TicketState.IN_PROGRESS,
            accepted_at=ticket.accepted_at or now,
            responded_at=now,
        )
        if was == TicketState.DISPATCHED:
            _event(ticket, EventKind.ACCEPTED, actor, unit=ticket.handler, at=now)
            notify.accepted(ticket)
        _event(
            ticket, EventKind.RESPONDED, actor, note, unit=ticket.handler,
            data={"method": method}, at=now,
        )  # fmt: skip
        _audit("respond", actor, ticket, request, method=method)
    return ticket


def return_deadline(ticket: Ticket) -> datetime | None:
    """A unit may return a ticket within this many working days of dispatch (DOMAIN.md §2:
    return within 2 working days); afterwards it handles it or asks for more time."""
    if ticket.dispatched_at is None:
        return None
    return deadline(ticket.dispatched_at, settings.TICKET_RETURN_WORKING_DAYS, "working_days")


def ticket_return(
    *, actor: Any, ticket: Ticket, reason: str, request: HttpRequest | None = None
) -> Ticket:
    """退单: not ours, with the reason; back to the dispatch desk, counted against the unit."""
    _check_handler(actor, ticket)
    states = [TicketState.DISPATCHED, TicketState.ACCEPTED, TicketState.IN_PROGRESS]
    _require_state(ticket, states, _("退单"))
    reason = _text(reason, "reason", required=True, limit=REASON_MAX, label=_("退单理由"))
    limit = return_deadline(ticket)
    if limit is not None and _now() > limit:
        raise _fail(
            "reason",
            _("已超过退单时限（派单后 %(n)d 个工作日），请办理或申请延期。")
            % {"n": settings.TICKET_RETURN_WORKING_DAYS},
        )
    unit = ticket.handler
    with transaction.atomic():
        _move(
            ticket,
            states,
            state=TicketState.SUBMITTED,
            handler_area=None,
            handler_department=None,
            handler_path="",
            respond_by=None,
            resolve_by=None,
            warn_at=None,
            return_count=ticket.return_count + 1,
        )
        Extension.objects.filter(ticket=ticket, status=ExtensionStatus.PENDING).update(
            status=ExtensionStatus.REFUSED, decided_at=_now(), decision_note=_("工单已退回")
        )
        _event(ticket, EventKind.RETURNED, actor, reason, unit=unit)
        _audit("return", actor, ticket, request, unit=_unit_label(unit))
        notify.returned(ticket, unit, reason)
    return ticket


def ticket_request_extension(
    *,
    actor: Any,
    ticket: Ticket,
    reason: str,
    working_days: int,
    request: HttpRequest | None = None,
) -> Extension:
    """申请延期: more working days for the resolution, with the reason; a dispatcher decides."""
    _check_handler(actor, ticket)
    _require_state(ticket, ACTIVE_STATES, _("申请延期"))
    reason = _text(reason, "reason", required=True, limit=REASON_MAX, label=_("延期理由"))
    if not isinstance(working_days, int) or not 1 <= working_days <= MAX_EXTENSION_WORKING_DAYS:
        raise _fail(
            "working_days",
            _("延期须为 1 至 %(n)d 个工作日。") % {"n": MAX_EXTENSION_WORKING_DAYS},
        )
    if Extension.objects.filter(ticket=ticket, status=ExtensionStatus.PENDING).exists():
        raise _fail("reason", _("已有一项延期申请在审批中。"))
    with transaction.atomic():
        _move(ticket, [ticket.state])  # the ticket must not have moved meanwhile
        try:
            with transaction.atomic():
                extension = Extension.objects.create(
                    ticket=ticket, requested_by=actor, reason=reason, working_days=working_days
                )
        except IntegrityError as exc:
            raise _fail("reason", _("已有一项延期申请在审批中。")) from exc
        _event(
            ticket, EventKind.EXTENSION_REQUESTED, actor, reason, unit=ticket.handler,
            data={"working_days": working_days},
        )  # fmt: skip
        _audit("extension_request", actor, ticket, request, working_days=working_days)
        notify.extension_requested(ticket, extension)
    return extension


def ticket_decide_extension(
    *,
    actor: Any,
    ticket: Ticket,
    approve: bool,
    note: str = "",
    request: HttpRequest | None = None,
) -> Extension:
    """同意 / 不同意延期. Approval moves `resolve_by` on by the working days asked for and
    tells the requester; a refusal leaves the clock as it was."""
    _check_dispatcher(actor, ticket)
    extension = Extension.objects.filter(ticket=ticket, status=ExtensionStatus.PENDING).first()
    if extension is None:
        raise _fail("approve", _("没有待审批的延期申请。"))
    if extension.requested_by_id == actor.pk:
        raise Forbidden(_("不能审批自己提出的延期申请。"))
    _require_state(ticket, ACTIVE_STATES, _("审批延期"))
    note = _text(note, "note", required=not approve, limit=REASON_MAX, label=_("审批意见"))
    now = _now()
    with transaction.atomic():
        status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
        changes: dict[str, Any] = {}
        old = ticket.resolve_by
        if approve and old is not None:
            # The extra working days count from the old deadline (or from today if it passed).
            moved = deadline_info(max(old, now), extension.working_days, "working_days")
            policy = ticket.category.sla_policy
            share = policy.warn_share if policy is not None else 0.8
            start = ticket.dispatched_at or now
            respond_late = ticket.responded_at is None and (
                ticket.respond_by is not None and ticket.respond_by < now
            )
            changes = {
                "resolve_by": moved.at,
                "warn_at": start + (moved.at - start) * share,
                "deadline_provisional": ticket.deadline_provisional or moved.provisional,
                "warned_at": None,
                # Still late to respond: the overdue notice already sent stands.
                "overdue_notified_at": ticket.overdue_notified_at if respond_late else None,
            }
        _move(ticket, ACTIVE_STATES, **changes)
        done = Extension.objects.filter(pk=extension.pk, status=ExtensionStatus.PENDING).update(
            status=status,
            decided_by=actor,
            decided_at=now,
            decision_note=note,
            old_resolve_by=old,
            new_resolve_by=ticket.resolve_by if approve else None,
        )
        if done != 1:
            raise Conflict(_("该延期申请已被他人审批。"))
        extension.refresh_from_db()
        kind = EventKind.EXTENSION_APPROVED if approve else EventKind.EXTENSION_REFUSED
        _event(
            ticket, kind, actor, note, unit=ticket.handler,
            data={"resolve_by": ticket.resolve_by.isoformat() if ticket.resolve_by else None},
        )  # fmt: skip
        _audit("extension_decide", actor, ticket, request, approve=approve)
        notify.extension_decided(ticket, extension)
    return extension


def ticket_resolve(
    *,
    actor: Any,
    ticket: Ticket,
    result: str,
    photos: Sequence[Any] = (),
    request: HttpRequest | None = None,
) -> Ticket:
    """办结: what was done, with photos; the requester is asked to rate it."""
    _check_handler(actor, ticket)
    if ticket.state in (TicketState.DISPATCHED, TicketState.ACCEPTED):
        raise ValidationFailed(
            _("请先联系诉求人并登记联系情况，再办结。"),
            code="wrong_state",
            fields={"state": [_("尚未登记联系诉求人。")]},
        )
    _require_state(ticket, [TicketState.IN_PROGRESS], _("办结"))
    result = _text(result, "result", required=True, limit=NOTE_MAX, label=_("办理结果"))
    cleaned = clean_photos(list(photos))
    now = _now()
    with transaction.atomic():
        _move(ticket, [TicketState.IN_PROGRESS], state=TicketState.RESOLVED, resolved_at=now)
        Extension.objects.filter(ticket=ticket, status=ExtensionStatus.PENDING).update(
            status=ExtensionStatus.REFUSED, decided_at=now, decision_note=_("工单已办结")
        )
        event = _event(ticket, EventKind.RESOLVED, actor, result, unit=ticket.handler, at=now)
        _save_photos(ticket, cleaned, actor, event)
        _audit("resolve", actor, ticket, request, photos=len(cleaned))
        notify.resolved(ticket)
    return ticket


# ---------------------------------------------------------------------------------------------
# review, reopen


def is_requester(user: Any, ticket: Ticket) -> bool:
    return ticket.requester_id is not None and ticket.requester_id == user.pk


def ticket_review(
    *,
    actor: Any,
    ticket: Ticket,
    contacted: bool | None,
    solved: bool | None,
    satisfaction: str,
    comment: str = "",
    valid: bool = True,
    request: HttpRequest | None = None,
) -> Review:
    """回访评价 by the requester or a review seat of the street. Solved: the ticket is closed.
    Not solved: it goes back to the same unit to be handled again (counted as a reopen).
    A seat that could not reach the requester records an invalid review: the ticket closes and
    the review is not counted in the 三率."""
    by_requester = is_requester(actor, ticket)
    seat = actor.role in REVIEW_SEAT_ROLES and covers(actor, ticket.area_path)
    if not by_requester and not seat:
        raise Forbidden(_("只有诉求人本人或回访人员可以评价。"))
    _require_state(ticket, [TicketState.RESOLVED], _("评价"))
    valid = True if by_requester else bool(valid)
    errors: dict[str, list[str]] = {}
    if valid:
        if contacted is None:
            errors["contacted"] = [_("请选择办理人员是否联系过您。")]
        if solved is None:
            errors["solved"] = [_("请选择问题是否解决。")]
        if satisfaction not in Satisfaction.values:
            errors["satisfaction"] = [_("请选择满意、基本满意或不满意。")]
    comment_text = (comment or "").strip()
    if len(comment_text) > REASON_MAX:
        errors["comment"] = [_("评价不能超过 %(n)d 个字。") % {"n": REASON_MAX}]
    if errors:
        raise ValidationFailed(fields=errors)
    now = _now()
    reopen = valid and solved is False
    # The clocks' outcome, read before a reopen restarts them.
    responded_on_time = _on_time(ticket.responded_at, ticket.respond_by)
    resolved_on_time = _on_time(ticket.resolved_at, ticket.resolve_by)
    with transaction.atomic():
        unit = ticket.handler
        if reopen:
            _move(
                ticket,
                [TicketState.RESOLVED],
                state=TicketState.DISPATCHED,
                accepted_at=None,
                responded_at=None,
                resolved_at=None,
                dispatched_at=now,
                reopen_count=ticket.reopen_count + 1,
                **_start_clocks(ticket, now),
            )
        else:
            _move(ticket, [TicketState.RESOLVED], state=TicketState.CLOSED, closed_at=now)
        Review.objects.filter(ticket=ticket, superseded=False).update(superseded=True)
        area = unit if isinstance(unit, Area) else None
        review = Review.objects.create(
            ticket=ticket,
            street_id=ticket.street_id,
            reviewer=actor,
            by_requester=by_requester,
            contacted=bool(contacted) if valid else False,
            solved=bool(solved) if valid else False,
            satisfaction=satisfaction if valid else Satisfaction.UNSATISFIED,
            comment=comment_text,
            is_valid=valid,
            reviewed_at=now,
            unit_area=area,
            unit_department=unit if isinstance(unit, Department) else None,
            unit_path=area.path if area else "",
            responded_on_time=responded_on_time,
            resolved_on_time=resolved_on_time,
        )
        _event(
            ticket, EventKind.REVIEWED, actor, comment_text, unit=unit, at=now,
            data={"valid": valid, "contacted": contacted, "solved": solved,
                  "satisfaction": satisfaction if valid else ""},
        )  # fmt: skip
        if reopen:
            _event(ticket, EventKind.REOPENED, actor, _("回访未解决，重新办理"), unit=unit, at=now)
        _audit("review", actor, ticket, request, valid=valid, solved=solved)
        if reopen:
            notify.reopened(ticket)
    return review


def _on_time(done_at: datetime | None, limit: datetime | None) -> bool:
    return done_at is not None and limit is not None and done_at <= limit


def ticket_reopen(
    *, actor: Any, ticket: Ticket, reason: str, request: HttpRequest | None = None
) -> Ticket:
    """重办: the requester says it is not solved, or a dispatcher's check failed. From a
    resolved ticket, or a closed one within the reopen window; back to the same unit with new
    clocks; counted."""
    by_requester = is_requester(actor, ticket)
    if not by_requester and not dispatches(actor, ticket):
        raise Forbidden(_("只有诉求人本人或派单人员可以要求重办。"))
    _require_state(ticket, [TicketState.RESOLVED, TicketState.CLOSED], _("重办"))
    if ticket.handler is None:
        raise _wrong_state(ticket, _("重办"))
    window = timedelta(days=settings.TICKET_REOPEN_DAYS)
    if (
        ticket.state == TicketState.CLOSED
        and ticket.closed_at
        and _now() - ticket.closed_at > window
    ):
        raise _fail(
            "reason",
            _("结案已超过 %(n)d 天，请重新提交诉求。") % {"n": settings.TICKET_REOPEN_DAYS},
        )
    reason = _text(reason, "reason", required=True, limit=REASON_MAX, label=_("重办理由"))
    now = _now()
    with transaction.atomic():
        _move(
            ticket,
            [TicketState.RESOLVED, TicketState.CLOSED],
            state=TicketState.DISPATCHED,
            accepted_at=None,
            responded_at=None,
            resolved_at=None,
            closed_at=None,
            dispatched_at=now,
            reopen_count=ticket.reopen_count + 1,
            **_start_clocks(ticket, now),
        )
        _event(ticket, EventKind.REOPENED, actor, reason, unit=ticket.handler, at=now)
        _audit("reopen", actor, ticket, request, by_requester=by_requester)
        notify.reopened(ticket)
    return ticket


# ---------------------------------------------------------------------------------------------
# supervision


def ticket_supervise(
    *, actor: Any, ticket: Ticket, note: str, request: HttpRequest | None = None
) -> Ticket:
    """督办: a leader flags an overdue or sensitive ticket; the handler must answer."""
    if actor.role not in SUPERVISOR_ROLES or not covers(actor, ticket.area_path):
        raise Forbidden(_("只有本辖区的社区书记或街道领导可以督办。"))
    _require_state(ticket, OPEN_STATES, _("督办"))
    note = _text(note, "note", required=True, limit=REASON_MAX, label=_("督办意见"))
    now = _now()
    with transaction.atomic():
        _move(
            ticket,
            OPEN_STATES,
            supervised_at=now,
            supervision_note=note,
            supervision_answered_at=None,
        )
        _event(ticket, EventKind.SUPERVISED, actor, note, unit=ticket.handler, at=now)
        _audit("supervise", actor, ticket, request)
        notify.supervised(ticket, actor)
    return ticket


def ticket_answer_supervision(
    *, actor: Any, ticket: Ticket, note: str, request: HttpRequest | None = None
) -> Ticket:
    """The handler's answer to a supervision: what is being done and by when."""
    _check_handler(actor, ticket)
    if ticket.supervised_at is None or ticket.supervision_answered_at is not None:
        raise _fail("note", _("这张工单没有待回复的督办。"))
    _require_state(ticket, ACTIVE_STATES, _("回复督办"))
    note = _text(note, "note", required=True, limit=NOTE_MAX, label=_("回复内容"))
    now = _now()
    with transaction.atomic():
        _move(ticket, ACTIVE_STATES, supervision_answered_at=now)
        _event(ticket, EventKind.SUPERVISION_ANSWERED, actor, note, unit=ticket.handler, at=now)
        _audit("supervision_answer", actor, ticket, request)
        notify.supervision_answered(ticket)
    return ticket


# ---------------------------------------------------------------------------------------------
# sweeps


SWEEP_BATCH = 5000


def _sweep(due: Any, guard: dict[str, Any], mark: dict[str, Any], on_marked: Any) -> int:
    """Marks each due ticket by a conditional update (`guard` still true → `mark`) and, only
    when this run made the mark, records and tells it: two sweeps never tell anything twice."""
    done = 0
    for pk in list(due.values_list("pk", flat=True)[:SWEEP_BATCH]):
        with transaction.atomic():
            if not Ticket.objects.filter(pk=pk, **guard).update(**mark):
                continue
            on_marked(
                Ticket.objects.select_related("handler_area", "handler_department").get(pk=pk)
            )
            done += 1
    return done


def sweep_clocks(now: datetime | None = None) -> dict[str, int]:
    """Marks tickets past their warning time and past a deadline, once per clock, and tells the
    handler (and, when overdue, the level above); closes resolved tickets nobody reviewed within
    the window (they then count in no rate: the 三率 read valid reviews only). Safe to run twice
    or concurrently."""
    now = now or _now()

    def warned(ticket: Ticket) -> None:
        _event(ticket, EventKind.WARNED, None, unit=ticket.handler, at=now)
        notify.warned(ticket)

    def overdue(ticket: Ticket) -> None:
        _event(ticket, EventKind.OVERDUE, None, unit=ticket.handler, at=now)
        notify.overdue(ticket)

    def closed(ticket: Ticket) -> None:
        note = _("回访期满未评价，自动结案")
        _event(ticket, EventKind.REVIEWED, None, note, at=now, data={"valid": False})

    active = {"state__in": ACTIVE_STATES}
    stale = now - timedelta(days=settings.TICKET_REVIEW_DAYS)
    return {
        "warned": _sweep(
            Ticket.objects.filter(warn_at__lte=now, warned_at__isnull=True, **active),
            {"warned_at__isnull": True, **active},
            {"warned_at": now},
            warned,
        ),
        "overdue": _sweep(
            Ticket.objects.overdue(now).filter(overdue_notified_at__isnull=True),
            {"overdue_notified_at__isnull": True, **active},
            {"overdue_notified_at": now, "warned_at": now},
            overdue,
        ),
        "closed": _sweep(
            Ticket.objects.filter(state=TicketState.RESOLVED, resolved_at__lt=stale),
            {"state": TicketState.RESOLVED},
            {"state": TicketState.CLOSED, "closed_at": now, "updated_at": now},
            closed,
        ),
    }


def find_ticket(user: Any, number: str) -> Ticket:
    """A ticket by its number among those the user may see (NotFound otherwise)."""
    ticket = (
        Ticket.objects.visible_to(user)
        .select_related("category__sla_policy", "area", "street", "handler_area",
                        "handler_department", "building", "merged_into")
        .filter(number=(number or "").strip())
        .first()
    )  # fmt: skip
    if ticket is None:
        raise NotFound()
    return ticket
