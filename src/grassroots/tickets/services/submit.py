"""Filing a request: validated, located, photos checked, idempotent per user."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.accounts.models import Role
from grassroots.core import sql
from grassroots.core.errors import Forbidden, ValidationFailed
from grassroots.core.validators import is_mobile
from grassroots.territory.models import Area, AreaKind, Resident

from .. import notify
from ..attributes import clean_attributes
from ..locate import grid_at, has_grid_boundaries
from ..models import (
    DESCRIPTION_MAX,
    Category,
    Channel,
    EventKind,
    RequestType,
    Ticket,
    Urgency,
)
from ..photos import clean_photos
from ..rules import (
    SUBMITTER_ROLES,
)
from .catalogue import catalogue
from .common import (
    _audit,
    _event,
    _fail,
    _now,
    _save_photos,
    _street_of,
    _text,
)

# ---------------------------------------------------------------------------------------------
# submit


def _category(code: str) -> Category:
    usable = catalogue.get().leaves
    code = (code or "").strip()
    if code not in usable:
        raise _fail("category", _("请选择诉求类别。") if not code else _("没有这个诉求类别。"))
    category = usable[code]
    if category is None:
        raise _fail("category", _("该类别不能直接选择，请选择具体的诉求类别。"))
    # A copy: the cached one is shared by every request of this process.
    return copy.copy(category)


AREA_FIELDS = ["id", "path", "depth", "numchild", "kind", "code", "name"]
AREA_BY_CODE = (
    "SELECT id, path, depth, numchild, kind, code, name FROM territory_area WHERE code = %s"
)


def _area_by_code(code: str) -> Area | None:
    """The area with this code, with what filing and its answer read of it (the rest is
    deferred)."""
    row = sql.fetch_one(AREA_BY_CODE, [code])
    return Area.from_db(None, AREA_FIELDS, row) if row is not None else None


def _locate(
    *,
    actor: Any,
    building: Area | str | None,
    lat: float | None,
    lon: float | None,
    fallback: Area | None = None,
) -> tuple[Area, Area | None]:
    """(area, building): the chosen building; else the grid holding the point; else the area
    the channel names (an Open311 jurisdiction); else the requester's home building; else the
    staff member's own single area."""
    if building not in (None, ""):
        found = building if isinstance(building, Area) else _area_by_code(str(building).strip())
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
    if fallback is not None:
        return fallback, None
    resident = Resident.objects.filter(user_id=actor.pk).select_related("household__building")
    home = resident.first()
    if home is not None and home.household is not None:
        return home.household.building, None
    own = list(actor.scope_areas.all()[:2]) if actor.role != Role.RESIDENT else []
    if len(own) == 1 and own[0].kind != AreaKind.DISTRICT:
        return own[0], None
    raise _fail("building", _("无法确定问题位置，请选择楼栋或在地图上定位。"))


def _earlier(actor: Any, key: str) -> Ticket | None:
    """The ticket this submitter filed with this idempotency key, if any (id and number)."""
    if not key:
        return None
    row = sql.fetch_one(
        "SELECT id, number FROM tickets_ticket WHERE submitted_by_id = %s AND submit_key = %s",
        [actor.pk, key],
    )
    return None if row is None else Ticket.from_db(None, ["id", "number"], row)


def _number(now: datetime, pk: int) -> str:
    return f"GR-{timezone.localtime(now):%Y%m%d}-{pk:06d}"


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
    attributes: dict[str, Any] | None = None,
    area: Area | None = None,
    extra: dict[str, Any] | None = None,
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
    # A key already used is found by the ticket's unique (submitter, key) when the new row goes
    # in: a filing with a fresh key, nearly every one, asks the database nothing more for it.
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
    located = check(_locate, actor=actor, building=building, lat=lat, lon=lon, fallback=area)
    # Channels that ask the category's extra questions pass `attributes` (Open311); the phone
    # and desk forms do not ask them yet, so their absence is no error there.
    answers = (
        check(clean_attributes, cat, attributes or {}, require=attributes is not None)
        if cat is not None
        else None
    )
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
        # A retry is answered with the first ticket even if its input would fail now.
        earlier = _earlier(actor, key)
        if earlier is not None:
            return earlier, False
        raise ValidationFailed(fields=errors)
    area, chosen = located
    if actor.role == Role.RESIDENT:
        # A resident files for themself: their own account is the contact.
        if not name:
            found = sql.fetch_one(
                "SELECT name FROM territory_resident WHERE user_id = %s", [actor.pk]
            )
            name = (found[0] if found else "") or actor.name
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
        attributes={**(answers or {}), **(extra or {})},
    )
    try:
        with transaction.atomic():
            # The number is made from the id. Where the id can be drawn first (PostgreSQL),
            # the row goes in whole: updating its number afterwards would write a second
            # version of the row into every index of the table.
            ticket.pk = sql.next_id(Ticket)
            if ticket.pk is not None:
                ticket.number = _number(now, ticket.pk)
            sql.insert(ticket)
            if ticket.number is None:
                ticket.number = _number(now, ticket.pk)
                sql.execute(
                    "UPDATE tickets_ticket SET number = %s WHERE id = %s",
                    [ticket.number, ticket.pk],
                )
            saved = _save_photos(ticket, cleaned, actor)
            event = _event(ticket, EventKind.SUBMITTED, actor, at=now, data={"channel": channel})
            notify.submitted(ticket)
            # Last: the audit append holds the chain head's lock until commit.
            _audit(
                "submit", actor, ticket, request,
                category=cat.code, channel=channel, anonymous=ticket.anonymous,
            )  # fmt: skip
    except IntegrityError:
        # The key was used before, or raced in from a second request: the first one's ticket
        # is the answer.
        earlier = _earlier(actor, key)
        if earlier is None:
            raise
        return earlier, False
    ticket.filed = (event, saved)
    return ticket, True
