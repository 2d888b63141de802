"""Meetings (三会一课 and the rest): plan, record, confirm, correct, cancel; follow-up tasks.

Interface agreed for the views and the API; each function runs in one transaction, validates
everything first (a `ValidationFailed` with field-level Chinese messages changes nothing),
writes, appends an audit record, and leaves notices in the inboxes with the same transaction
(a rolled-back change sends nothing).

Who may do what: the organisation's secretary and committee, the branch's leaders for a group,
and the party staff of the territory (`life_rules.may_run`) plan, cancel and record; the
meeting's chair and recorder record too, and only they confirm. A record is the minutes,
entered once (DOMAIN.md §1, no formalism); confirmed by both it is locked, and a correction is
the next version with its reason — the old versions are never touched.

The field names of the errors, for forms: `kind`, `title`, `planned_at`, `place`, `chair`,
`recorder`, `agenda`, `held_at`, `covers`, `guests`, `remarks`, `attendance`, `items`,
`resolutions`, `votes`, `reason`, `owner`, `due_on`, `resolution`, `note`, `file`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.core.audit import audit_log
from grassroots.core.errors import Conflict, Forbidden, ValidationFailed
from grassroots.notices.services import notify
from grassroots.tickets.photos import clean_photo

from .. import life_rules
from ..life_rules import branch_of
from ..models import (
    AgendaSource,
    FollowUp,
    FollowUpState,
    HeldBy,
    Meeting,
    MeetingAgendaItem,
    MeetingAttachment,
    MeetingKind,
    MeetingRecord,
    MeetingState,
    PartyMember,
    PartyOrg,
)
from . import points
from .minutes import (
    AgendaIn,
    AttendanceIn,
    ItemIn,
    ResolutionIn,
    _aware,
    _check_person,
    _check_record,
    _CheckedRecord,
    _Errors,
    _local_date,
    _record_audit,
    _record_fields,
    _write_children,
)


def meeting_url(meeting: Meeting) -> str:
    """The meeting's desk page (the page module names it `party:meeting`)."""
    return reverse("party:meeting", args=[meeting.pk])


def _accounts(members: Iterable[PartyMember], *, but: Any = None) -> list[Any]:
    found = [m.account for m in members]
    return [u for u in found if u is not None and (but is None or u.pk != but.pk)]


def current_record(meeting: Meeting, *, lock: bool = False) -> MeetingRecord | None:
    if not meeting.version:
        return None
    rows = MeetingRecord.objects.filter(meeting=meeting, version=meeting.version)
    if lock:
        rows = rows.select_for_update()
    return rows.select_related("chair", "recorder").first()


def _in_step(meeting: Meeting) -> None:
    """The caller's instance brought up to what was written."""
    meeting.refresh_from_db(fields=["state", "held_at", "covers", "version", "updated_at"])


def _lock_meeting(meeting: Meeting) -> Meeting:
    """The meeting's row, locked for this transaction and read afresh: two recorders saving
    at once write one after the other, the second on top of what the first saved."""
    return Meeting.objects.select_for_update().select_related("org", "kind").get(pk=meeting.pk)


def may_record(actor: Any, meeting: Meeting) -> bool:
    """Fill in (or correct) a meeting's record: whoever runs the organisation's meetings, and
    the chair and recorder of the meeting as planned or as last recorded."""
    if life_rules.may_run(actor, meeting.org):
        return True
    member = life_rules.member_of(actor)
    if member is None:
        return False
    people = {meeting.chair_id, meeting.recorder_id}
    record = current_record(meeting)
    if record is not None:
        people |= {record.chair_id, record.recorder_id}
    return member.pk in people


# ---------------------------------------------------------------------------------------------
# plan and cancel


def _ticket_visible(actor: Any, ticket: Any) -> bool:
    from grassroots.tickets.models import Ticket

    return Ticket.objects.visible_to(actor).filter(pk=ticket.pk).exists()


def _whistle_visible(actor: Any, whistle: Any) -> bool:
    from grassroots.whistles.models import Whistle

    return Whistle.objects.visible_to(actor).filter(pk=whistle.pk).exists()


def in_org_territory(org: PartyOrg, path: str | None) -> bool:
    return bool(org.area_path) and bool(path) and str(path).startswith(org.area_path)


def _whistle_in_territory(org: PartyOrg, whistle: Any) -> bool:
    # A whistle is blown by a street or a community; one on a ticket located in the branch's
    # territory is the branch's business too (as WhistleQuerySet.scope_q reads it).
    if in_org_territory(org, whistle.area_path):
        return True
    ticket = whistle.ticket if whistle.ticket_id else None
    return ticket is not None and in_org_territory(org, ticket.area_path)


def _agenda_rows(
    errors: _Errors, actor: Any, org: PartyOrg, agenda: Sequence[AgendaIn]
) -> list[MeetingAgendaItem]:
    rows = []
    for n, item in enumerate(agenda, 1):
        at = _("第 %(n)d 项议程：") % {"n": n}
        hotspot = (
            item.hotspot_category is not None
            or item.hotspot_area is not None
            or item.hotspot_count is not None
        )
        given = sum([item.ticket is not None, item.whistle is not None, hotspot])
        if given > 1:
            errors.add("agenda", at + _("一项议程只能来自一张工单、一次吹哨或一个诉求热点。"))
            continue
        source = AgendaSource.MANUAL
        default_title = ""
        if item.ticket is not None:
            source = AgendaSource.TICKET
            ticket = item.ticket
            if not _ticket_visible(actor, ticket):
                errors.add("agenda", at + _("没有这张工单。"))
                continue
            if not in_org_territory(org, ticket.area_path):
                errors.add("agenda", at + _("这张工单不在本组织的区域内。"))
                continue
            default_title = _("%(category)s（工单 %(number)s）") % {
                "category": ticket.category.name,
                "number": ticket.number,
            }
        elif item.whistle is not None:
            source = AgendaSource.WHISTLE
            whistle = item.whistle
            if not _whistle_visible(actor, whistle):
                errors.add("agenda", at + _("没有这次吹哨。"))
                continue
            if not _whistle_in_territory(org, whistle):
                errors.add("agenda", at + _("这次吹哨不在本组织的区域内。"))
                continue
            default_title = whistle.title
        elif hotspot:
            source = AgendaSource.HOTSPOT
            category, area, count = item.hotspot_category, item.hotspot_area, item.hotspot_count
            if category is None or area is None or count is None:
                errors.add("agenda", at + _("诉求热点须有类别、区域和件数。"))
                continue
            if not in_org_territory(org, area.path):
                errors.add("agenda", at + _("诉求热点的区域不在本组织的区域内。"))
                continue
            if count < 1:
                errors.add("agenda", at + _("诉求热点的件数须大于 0。"))
                continue
            default_title = _("%(area)s%(category)s诉求集中（%(count)d 件）") % {
                "area": area.name,
                "category": category.name,
                "count": count,
            }
        title = (item.title or "").strip() or default_title
        if not title:
            errors.add("agenda", at + _("请填写议题。"))
            continue
        if len(title) > 200:
            errors.add("agenda", at + _("议题不能超过 200 个字。"))
            continue
        rows.append(
            MeetingAgendaItem(
                order=n,
                title=title,
                source=source,
                ticket=item.ticket,
                whistle=item.whistle,
                hotspot_category=item.hotspot_category if hotspot else None,
                hotspot_area=item.hotspot_area if hotspot else None,
                hotspot_count=item.hotspot_count if hotspot else None,
            )
        )
    return rows


def _invitees(kind: MeetingKind, org: PartyOrg, meeting: Meeting) -> list[PartyMember]:
    """Who hears of a meeting: those expected (for a talk, its two people)."""
    people: QuerySet[PartyMember]
    if kind.held_by == HeldBy.PAIR:
        ids = [i for i in (meeting.chair_id, meeting.recorder_id) if i]
        people = PartyMember.objects.filter(pk__in=ids)
    else:
        people = life_rules.expected_members(kind, org)
    return list(people.select_related("user", "resident__user"))


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
    """A planned meeting of a kind the organisation holds, with its agenda; those expected
    are told."""
    if not life_rules.may_run(actor, org):
        raise Forbidden(_("只有本组织的书记、委员或党建工作人员可以安排会议。"))
    errors = _Errors()
    if kind is None or not life_rules.holds(kind, org):
        errors.add("kind", _("本组织不召开这类会议。"))
    if planned_at is None:
        errors.add("planned_at", _("请填写会议时间。"))
    else:
        planned_at = _aware(planned_at)
    title = errors.text(title, "title", limit=100, label=_("会议名称"), required=False)
    place = errors.text(place, "place", limit=100, label=_("地点"), required=False)
    if kind is not None and not errors.fields.get("kind"):
        expected_ids = set(life_rules.expected_members(kind, org).values_list("pk", flat=True))
        _check_person(errors, "chair", chair, label=_("主持人"), org=org, expected_ids=expected_ids)
        _check_person(
            errors, "recorder", recorder, label=_("记录人"), org=org, expected_ids=expected_ids
        )
    rows = _agenda_rows(errors, actor, org, agenda)
    errors.raise_any()
    if not title:
        title = _("%(day)s%(kind)s") % {
            "day": _("%(y)d年%(m)d月%(d)d日")
            % {
                "y": _local_date(planned_at).year,
                "m": _local_date(planned_at).month,
                "d": _local_date(planned_at).day,
            },
            "kind": kind.name,
        }
    with transaction.atomic():
        meeting = Meeting.objects.create(
            org=org,
            kind=kind,
            title=title[:100],
            planned_at=planned_at,
            place=place,
            chair=chair,
            recorder=recorder,
            planned_by=actor if getattr(actor, "is_authenticated", False) else None,
            area_path=org.area_path,
            street_id=org.street_id,
        )
        for row in rows:
            row.meeting = meeting
        MeetingAgendaItem.objects.bulk_create(rows)
        local = timezone.localtime(planned_at)
        notify(
            recipients=_accounts(_invitees(kind, org, meeting), but=actor),
            title=_("【会议通知】%(title)s") % {"title": meeting.title},
            body=_("%(org)s定于 %(when)s 召开%(kind)s%(place)s，请准时参加。")
            % {
                "org": org.name,
                "when": f"{local:%Y-%m-%d %H:%M}",
                "kind": kind.name,
                "place": _("，地点：%(place)s") % {"place": place} if place else "",
            },
            url=meeting_url(meeting),
            kind="party.meeting_planned",
        )
        audit_log(
            action="party.meeting_plan",
            actor=actor,
            obj=meeting,
            data={
                "org": org.pk,
                "kind": kind.code,
                "planned_at": planned_at.isoformat(),
                "agenda": [
                    {"source": r.source, "ticket": r.ticket_id, "whistle": r.whistle_id}
                    for r in rows
                ],
            },
        )
    return meeting


def meeting_cancel(*, actor: Any, meeting: Meeting, reason: str) -> Meeting:
    """A planned meeting called off, with its reason; those invited are told."""
    if not life_rules.may_run(actor, meeting.org):
        raise Forbidden(_("只有本组织的书记、委员或党建工作人员可以取消会议。"))
    errors = _Errors()
    reason = errors.text(reason, "reason", limit=200, label=_("取消原因"), required=True)
    errors.raise_any()
    with transaction.atomic():
        changed = Meeting.objects.filter(pk=meeting.pk, state=MeetingState.PLANNED).update(
            state=MeetingState.CANCELLED, cancel_reason=reason, updated_at=timezone.now()
        )
        if not changed:
            raise Conflict(_("只能取消尚未召开的会议；会议状态已变化，请刷新后再试。"))
        meeting.refresh_from_db()
        notify(
            recipients=_accounts(_invitees(meeting.kind, meeting.org, meeting), but=actor),
            title=_("【会议取消】%(title)s") % {"title": meeting.title},
            body=_("原定的会议已取消。原因：%(reason)s") % {"reason": reason},
            url=meeting_url(meeting),
            kind="party.meeting_cancelled",
        )
        audit_log(action="party.meeting_cancel", actor=actor, obj=meeting, data={"reason": reason})
    return meeting


def _written(meeting: Meeting, record: MeetingRecord, checked: _CheckedRecord, actor: Any) -> None:
    """A version written (first, again, or a correction): its rows, the meeting's state and
    dates from it, and the chair and recorder asked to confirm."""
    _write_children(record, checked)
    Meeting.objects.filter(pk=meeting.pk).update(
        state=MeetingState.RECORDED,
        held_at=checked.held_at,
        covers=checked.covers,
        version=record.version,
        updated_at=timezone.now(),
    )
    _ask_to_confirm(meeting, record, actor)


def _ask_to_confirm(meeting: Meeting, record: MeetingRecord, actor: Any) -> None:
    notify(
        recipients=_accounts(
            PartyMember.objects.filter(pk__in={record.chair_id, record.recorder_id})
            .select_related("user", "resident__user")
            .order_by("pk"),
            but=actor,
        ),
        title=_("【请确认】%(title)s的会议记录") % {"title": meeting.title},
        body=_("会议记录已填写，请主持人和记录人核对后确认。"),
        url=meeting_url(meeting),
        kind="party.meeting_to_confirm",
    )


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
    """The minutes of a held meeting: version 1, or the unconfirmed current version written
    again (its confirmations cleared). A resolution without quorum is kept, as not passed
    with the reason."""
    given = meeting
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        if not may_record(actor, meeting):
            raise Forbidden(
                _("只有主持人、记录人或本组织的书记、委员、党建工作人员可以填写会议记录。")
            )
        record = current_record(meeting, lock=True)
        if meeting.state == MeetingState.CANCELLED:
            raise Conflict(_("会议已取消，不能填写记录。"))
        if meeting.state == MeetingState.CONFIRMED or (
            record is not None and record.locked_at is not None
        ):
            raise Conflict(_("会议记录已确认锁定；如需修改，请提交更正。"))
        errors = _Errors()
        checked = _check_record(
            errors,
            meeting=meeting,
            held_at=held_at,
            chair=chair,
            recorder=recorder,
            attendance=attendance,
            items=items,
            place=place,
            guests=guests,
            remarks=remarks,
            covers=covers,
        )
        errors.raise_any()
        assert checked is not None
        if record is None:
            record = MeetingRecord.objects.create(
                meeting=meeting,
                version=meeting.version + 1,
                chair=chair,
                recorder=recorder,
                created_by=actor,
                **_record_fields(checked),
            )
        else:
            # Not confirmed yet: the same version written again, nothing of it kept.
            record.resolutions.all().delete()
            record.items.all().delete()
            record.attendance.all().delete()
            for name, value in _record_fields(checked).items():
                setattr(record, name, value)
            record.chair = chair
            record.recorder = recorder
            record.created_by = actor
            record.chair_confirmed_at = None
            record.recorder_confirmed_at = None
            record.save()
        _written(meeting, record, checked, actor)
        audit_log(
            action="party.meeting_record",
            actor=actor,
            obj=meeting,
            data=_record_audit(checked, record),
        )
    _in_step(given)
    return record


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
    """A correction of a confirmed record: the next version, with its reason, to be confirmed
    again; the earlier versions stay as they were."""
    given = meeting
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        if not may_record(actor, meeting):
            raise Forbidden(
                _("只有主持人、记录人或本组织的书记、委员、党建工作人员可以更正会议记录。")
            )
        if meeting.state != MeetingState.CONFIRMED:
            raise Conflict(_("只有已确认的会议记录才需要更正；未确认的记录可直接修改。"))
        errors = _Errors()
        reason = errors.text(reason, "reason", limit=500, label=_("更正原因"), required=True)
        checked = _check_record(
            errors,
            meeting=meeting,
            held_at=held_at,
            chair=chair,
            recorder=recorder,
            attendance=attendance,
            items=items,
            place=place,
            guests=guests,
            remarks=remarks,
            covers=covers,
        )
        errors.raise_any()
        assert checked is not None
        record = MeetingRecord.objects.create(
            meeting=meeting,
            version=meeting.version + 1,
            chair=chair,
            recorder=recorder,
            created_by=actor,
            correction_reason=reason,
            **_record_fields(checked),
        )
        _written(meeting, record, checked, actor)
        audit_log(
            action="party.meeting_correct",
            actor=actor,
            obj=meeting,
            data={**_record_audit(checked, record), "reason": reason},
        )
    _in_step(given)
    return record


# ---------------------------------------------------------------------------------------------
# confirm


def meeting_confirm(*, actor: Any, meeting: Meeting) -> MeetingRecord:
    """The chair's or the recorder's confirmation (their signature); with both the record
    locks, the meeting counts as held, and the points ledger follows its attendance."""
    given = meeting
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        record = current_record(meeting, lock=True)
        if record is None:
            raise Conflict(_("还没有会议记录，无法确认。"))
        member = life_rules.member_of(actor)
        if member is None or member.pk not in (record.chair_id, record.recorder_id):
            raise Forbidden(_("只有主持人和记录人可以确认会议记录。"))
        if record.locked_at is not None or meeting.state != MeetingState.RECORDED:
            raise Conflict(_("会议记录已确认。"), code="already_confirmed")
        now = timezone.now()
        changed = []
        if member.pk == record.chair_id and record.chair_confirmed_at is None:
            record.chair_confirmed_at = now
            changed.append("chair_confirmed_at")
        if member.pk == record.recorder_id and record.recorder_confirmed_at is None:
            record.recorder_confirmed_at = now
            changed.append("recorder_confirmed_at")
        if not changed:
            raise Conflict(_("您已经确认过这份会议记录。"), code="already_confirmed")
        locked = record.chair_confirmed_at is not None and record.recorder_confirmed_at is not None
        if locked:
            record.locked_at = now
            changed.append("locked_at")
        record.save(update_fields=changed)
        if locked:
            Meeting.objects.filter(pk=meeting.pk, state=MeetingState.RECORDED).update(
                state=MeetingState.CONFIRMED, updated_at=now
            )
            points.points_for_record(record)
        audit_log(
            action="party.meeting_confirm",
            actor=actor,
            obj=meeting,
            data={
                "version": record.version,
                "as": [f.removesuffix("_confirmed_at") for f in changed if f != "locked_at"],
                "locked": locked,
            },
        )
    _in_step(given)
    return record


# ---------------------------------------------------------------------------------------------
# follow-up tasks


def followup_create(
    *,
    actor: Any,
    meeting: Meeting,
    title: str,
    owner: PartyMember,
    due_on: date,
    resolution: Any = None,
) -> FollowUp:
    """A task a confirmed meeting gave a member of the branch, tracked to done; a task from a
    resolution on a ticket or a whistle carries the link, so that page shows it."""
    if not may_record(actor, meeting):
        raise Forbidden(_("只有主持人、记录人或本组织的书记、委员、党建工作人员可以布置落实任务。"))
    meeting.refresh_from_db(fields=["state", "version"])
    record = current_record(meeting)
    if meeting.state != MeetingState.CONFIRMED or record is None or record.locked_at is None:
        raise Conflict(_("会议记录确认后才能布置落实任务。"))
    errors = _Errors()
    title = errors.text(title, "title", limit=200, label=_("任务"), required=True)
    if owner is None:
        errors.add("owner", _("请选择负责人。"))
    elif owner.branch_id != branch_of(meeting.org).pk:
        errors.add("owner", _("负责人须为本支部党员。"))
    if due_on is None:
        errors.add("due_on", _("请填写完成期限。"))
    elif due_on < timezone.localdate():
        errors.add("due_on", _("完成期限不能早于今天。"))
    ticket = whistle = None
    if resolution is not None:
        if resolution.record_id != record.pk:
            errors.add("resolution", _("不是本次会议记录中的决议。"))
        elif resolution.item_id:
            agenda_item = resolution.item.agenda_item if resolution.item is not None else None
            if agenda_item is not None:
                ticket, whistle = agenda_item.ticket, agenda_item.whistle
    errors.raise_any()
    with transaction.atomic():
        followup = FollowUp.objects.create(
            meeting=meeting,
            resolution=resolution,
            title=title,
            owner=owner,
            due_on=due_on,
            ticket=ticket,
            whistle=whistle,
            created_by=actor,
        )
        notify(
            recipients=_accounts([owner]),
            title=_("【落实任务】%(title)s") % {"title": title},
            body=_("%(meeting)s布置给您的任务，请于 %(day)s 前完成。")
            % {"meeting": meeting.title, "day": due_on.isoformat()},
            url=meeting_url(meeting),
            kind="party.followup_assigned",
        )
        audit_log(
            action="party.followup_create",
            actor=actor,
            obj=followup,
            street_id=meeting.street_id,
            data={
                "meeting": meeting.pk,
                "owner": owner.pk,
                "due_on": due_on.isoformat(),
                "resolution": getattr(resolution, "pk", None),
                "ticket": getattr(ticket, "pk", None),
                "whistle": getattr(whistle, "pk", None),
            },
        )
    return followup


def followup_done(*, actor: Any, followup: FollowUp, note: str = "") -> FollowUp:
    """A task marked done by its owner (or whoever runs the organisation's meetings)."""
    owner_account = followup.owner.account
    mine = owner_account is not None and owner_account.pk == getattr(actor, "pk", None)
    if not mine and not life_rules.may_run(actor, followup.meeting.org):
        raise Forbidden(_("只有任务负责人或本组织的书记、委员可以标记任务完成。"))
    errors = _Errors()
    note = errors.text(note, "note", limit=500, label=_("完成情况"), required=False)
    errors.raise_any()
    with transaction.atomic():
        now = timezone.now()
        changed = FollowUp.objects.filter(pk=followup.pk, state=FollowUpState.OPEN).update(
            state=FollowUpState.DONE, done_at=now, done_note=note
        )
        if not changed:
            raise Conflict(_("这项任务已经完成。"), code="already_done")
        followup.refresh_from_db()
        audit_log(
            action="party.followup_done",
            actor=actor,
            obj=followup,
            street_id=followup.meeting.street_id,
            data={"meeting": followup.meeting_id, "late": followup.due_on < _local_date(now)},
        )
    return followup


# ---------------------------------------------------------------------------------------------
# attachments

MAX_ATTACHMENTS = 10
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_NAME_MAX = 120
PDF = "application/pdf"
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", PDF: "pdf"}


def attachment_extension(content_type: str) -> str:
    return _EXTENSIONS.get(content_type, "bin")


def _attachment_name(upload: Any, content_type: str) -> str:
    """The uploaded file's own name without any folder, for people to read (never a path on
    disk: the file is stored under a random name)."""
    raw = str(getattr(upload, "name", "") or "")
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    if not name:
        name = _("附件") + "." + _EXTENSIONS[content_type]
    if len(name) > ATTACHMENT_NAME_MAX:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10 and stem:
            name = stem[: ATTACHMENT_NAME_MAX - len(ext) - 1] + "." + ext
        else:
            name = name[:ATTACHMENT_NAME_MAX]
    return name


def _clean_attachment(upload: Any) -> tuple[ContentFile, str, int]:
    """A picture (re-encoded, its metadata gone) or a PDF, known by its content whatever its
    name says: (content, content type, size); a field error on `file` otherwise."""
    if upload is None:
        raise ValidationFailed(fields={"file": [_("请选择要上传的文件。")]})
    too_large = ValidationFailed(fields={"file": [_("文件不能超过 10 MB。")]})
    not_allowed = ValidationFailed(
        fields={"file": [_("只能上传图片（JPG、PNG、WebP）或 PDF 文件。")]}
    )
    size = getattr(upload, "size", None)
    if size is not None and size > ATTACHMENT_MAX_BYTES:
        raise too_large
    if hasattr(upload, "seek"):
        upload.seek(0)
    data: bytes = upload.read(ATTACHMENT_MAX_BYTES + 1)
    if len(data) > ATTACHMENT_MAX_BYTES:
        raise too_large
    if data.startswith(b"%PDF-"):
        return ContentFile(data), PDF, len(data)
    try:
        photo = clean_photo(ContentFile(data))
    except ValueError as exc:
        # A picture of more than 40 megapixels counts as too large, whatever its bytes.
        raise too_large if str(exc) == "too_large" else not_allowed from exc
    return photo.content, photo.content_type, photo.size


def _may_attach(actor: Any, meeting: Meeting) -> None:
    if not may_record(actor, meeting):
        raise Forbidden(_("只有主持人、记录人或本组织的书记、委员、党建工作人员可以管理会议附件。"))
    if meeting.state == MeetingState.CANCELLED:
        raise Conflict(_("会议已取消，不能上传或删除附件。"))


def meeting_attach(*, actor: Any, meeting: Meeting, upload: Any) -> MeetingAttachment:
    """A file added to the meeting: a picture (re-encoded, EXIF and the like stripped) or a
    PDF, at most 10 MB and 10 files a meeting. Allowed after the record is confirmed too (the
    scan of the signed minutes usually comes then), but not on a cancelled meeting."""
    _may_attach(actor, meeting)
    # Checked and re-encoded before the meeting's row is locked: a big picture takes a moment.
    content, content_type, size = _clean_attachment(upload)
    with transaction.atomic():
        meeting = _lock_meeting(meeting)  # two uploads at once count one after the other
        _may_attach(actor, meeting)  # as it stands now
        if MeetingAttachment.objects.filter(meeting=meeting).count() >= MAX_ATTACHMENTS:
            raise ValidationFailed(
                fields={
                    "file": [
                        _("每次会议最多上传 %(n)d 个附件，请先删除不需要的。")
                        % {"n": MAX_ATTACHMENTS}
                    ]
                }
            )
        attachment = MeetingAttachment(
            meeting=meeting,
            name=_attachment_name(upload, content_type),
            content_type=content_type,
            size=size,
            uploaded_by=actor,
        )
        # Never the uploaded name on disk: it can carry personal data.
        attachment.file.save(f"{uuid.uuid4().hex}.{_EXTENSIONS[content_type]}", content, save=False)
        try:
            attachment.save()
            audit_log(
                action="party.meeting_attach",
                actor=actor,
                obj=attachment,
                street_id=meeting.street_id,
                data={"meeting": meeting.pk, "content_type": content_type, "size": size},
            )
        except BaseException:
            if attachment.file.name:
                attachment.file.storage.delete(attachment.file.name)  # no file without its row
            raise
    return attachment


def meeting_detach(*, actor: Any, meeting: Meeting, attachment: MeetingAttachment) -> None:
    """A file taken off the meeting while its record is not confirmed. Once a version is
    confirmed, the files there when it locked are part of what was signed: a change needs a
    correction (the files added after that can go while the correction is not confirmed)."""
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        _may_attach(actor, meeting)
        row = (
            MeetingAttachment.objects.select_for_update()
            .filter(pk=attachment.pk, meeting=meeting)
            .first()
        )
        if row is None:
            raise Conflict(_("这个附件已经删除了。"), code="already_done")
        record = current_record(meeting)
        if meeting.state == MeetingState.CONFIRMED or (
            record is not None and record.locked_at is not None
        ):
            raise Conflict(_("会议记录已确认锁定，附件不能删除；如需修改，请提交更正。"))
        signed = MeetingRecord.objects.filter(
            meeting=meeting, locked_at__gte=row.uploaded_at
        ).exists()
        if signed:
            raise Conflict(_("这个附件属于已确认的会议记录，不能删除。"))
        audit_log(
            action="party.meeting_detach",
            actor=actor,
            obj=row,
            street_id=meeting.street_id,
            data={"meeting": meeting.pk, "content_type": row.content_type, "size": row.size},
        )
        stored, storage = row.file.name or "", row.file.storage
        row.delete()
        # The file goes once the row is surely gone; a rollback keeps both.
        if stored:
            transaction.on_commit(lambda: storage.delete(stored))


__all__ = [
    "AgendaIn",
    "AttendanceIn",
    "ItemIn",
    "ResolutionIn",
    "attachment_extension",
    "branch_of",
    "current_record",
    "followup_create",
    "followup_done",
    "in_org_territory",
    "may_record",
    "meeting_attach",
    "meeting_cancel",
    "meeting_confirm",
    "meeting_correct",
    "meeting_detach",
    "meeting_plan",
    "meeting_record",
    "meeting_url",
]
