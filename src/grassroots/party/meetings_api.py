"""/api/v1/ for organisational life: meetings — plan, record, confirm, correct, cancel, their
follow-up tasks, and what governance work offers a branch's agenda.

Every endpoint is an adapter (DESIGN.md rule 1): the meeting through the caller's sight
(`Meeting.objects.visible_to`: invisible is 404), the caller's right to act checked before any
id in the body is looked up (403), the ids in the body turned into the objects they name — a
member of another branch, a ticket the caller cannot see, an unknown id are all field errors
(400), so nothing outside leaks — and then one service.
"""

from typing import Any

from django.core.exceptions import SuspiciousOperation
from django.db.models import QuerySet
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from grassroots.accounts.typing import AuthedRequest
from grassroots.core.api import LimitOffset, errors
from grassroots.core.errors import Forbidden, NotFound, ValidationFailed
from grassroots.territory.models import Area

from . import life_rules
from .meeting_schemas import (
    MEETING_ATTACHMENT_BODY,
    FollowUpDoneIn,
    FollowUpIn,
    FollowUpOut,
    MeetingAttachmentOut,
    MeetingCancelIn,
    MeetingCandidatesFilter,
    MeetingCandidatesOut,
    MeetingCorrectionIn,
    MeetingDetailOut,
    MeetingFilter,
    MeetingOut,
    MeetingPlanIn,
    MeetingRecordIn,
    MeetingRecordOut,
)
from .models import (
    FollowUp,
    FollowUpState,
    Meeting,
    MeetingAgendaItem,
    MeetingAttachment,
    MeetingKind,
    MeetingRecord,
    PartyMember,
    PartyOrg,
    Resolution,
)
from .selectors_life import (
    agenda_candidates,
    find_followup,
    find_meeting,
    life_orgs_for,
    meeting_detail,
    meetings_for,
    record_version,
)
from .services import meetings as services

router = Router(tags=["org-life"])

READ_ERRORS = errors(400, 401, 403, 404)
ACTION_ERRORS = errors(400, 401, 403, 404, 409)


# ---------------------------------------------------------------------------------------------
# what goes out


def _ref(obj: Any) -> dict[str, Any] | None:
    return {"id": obj.pk, "name": obj.name} if obj is not None else None


def _row(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.pk,
        "title": meeting.title,
        "org": _ref(meeting.org),
        "kind": {"code": meeting.kind.code, "name": meeting.kind.name},
        "state": meeting.state,
        "state_label": meeting.get_state_display(),
        "planned_at": meeting.planned_at,
        "place": meeting.place,
        "chair": _ref(meeting.chair),
        "recorder": _ref(meeting.recorder),
        "held_at": meeting.held_at,
        "covers": meeting.covers,
        "version": meeting.version,
        "cancel_reason": meeting.cancel_reason,
    }


def _hotspot(category: Any, area: Any, count: int | None) -> dict[str, Any]:
    return {
        "category": {"id": category.pk, "code": category.code, "name": category.name},
        "area": _ref(area),
        "count": count or 0,
    }


def _agenda(item: MeetingAgendaItem) -> dict[str, Any]:
    hotspot = None
    if item.hotspot_category is not None and item.hotspot_area is not None:
        hotspot = _hotspot(item.hotspot_category, item.hotspot_area, item.hotspot_count)
    return {
        "id": item.pk,
        "order": item.order,
        "title": item.title,
        "source": item.source,
        "source_label": item.get_source_display(),
        "ticket": item.ticket.number if item.ticket is not None else None,
        "whistle": item.whistle.number if item.whistle is not None else None,
        "hotspot": hotspot,
    }


def _version(record: MeetingRecord) -> dict[str, Any]:
    return {
        "version": record.version,
        "created_at": record.created_at,
        "correction_reason": record.correction_reason,
        "chair_confirmed_at": record.chair_confirmed_at,
        "recorder_confirmed_at": record.recorder_confirmed_at,
        "locked_at": record.locked_at,
    }


def _record(record: MeetingRecord) -> dict[str, Any]:
    return {
        **_version(record),
        "held_at": record.held_at,
        "place": record.place,
        "chair": _ref(record.chair),
        "recorder": _ref(record.recorder),
        "guests": record.guests,
        "remarks": record.remarks,
        "expected": record.expected,
        "present": record.present,
        "voting_expected": record.voting_expected,
        "voting_present": record.voting_present,
        "quorum_met": record.quorum_met,
        "attendance": [
            {
                "member": a.member_id,
                "name": a.member.name,
                "status": a.status,
                "status_label": a.get_status_display(),
                "reason": a.reason,
                "voting": a.voting,
            }
            for a in record.attendance.all()
        ],
        "items": [
            {
                "id": item.pk,
                "order": item.order,
                "title": item.title,
                "minutes": item.minutes,
                "agenda_item": item.agenda_item_id,
                "resolutions": [
                    {
                        "id": r.pk,
                        "order": r.order,
                        "text": r.text,
                        "votes_for": r.votes_for,
                        "votes_against": r.votes_against,
                        "votes_abstain": r.votes_abstain,
                        "passed": r.passed,
                        "outcome": r.outcome,
                    }
                    for r in item.resolutions.all()
                ],
            }
            for item in record.items.all()
        ],
    }


def _followup(followup: FollowUp) -> dict[str, Any]:
    return {
        "id": followup.pk,
        "meeting": followup.meeting_id,
        "title": followup.title,
        "owner": _ref(followup.owner),
        "due_on": followup.due_on,
        "state": followup.state,
        "state_label": followup.get_state_display(),
        "overdue": followup.state == FollowUpState.OPEN and followup.due_on < timezone.localdate(),
        "resolution": followup.resolution_id,
        "ticket": followup.ticket.number if followup.ticket is not None else None,
        "whistle": followup.whistle.number if followup.whistle is not None else None,
        "done_at": followup.done_at,
        "done_note": followup.done_note,
    }


def _attachment(attachment: MeetingAttachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "name": attachment.name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "url": reverse("party:meeting_attachment", args=[attachment.meeting_id, attachment.pk]),
        "uploaded_at": attachment.uploaded_at,
    }


def _detail(user: Any, pk: int) -> dict[str, Any]:
    found = meeting_detail(user, pk)
    return {
        **_row(found.meeting),
        "agenda": [_agenda(a) for a in found.agenda],
        "record": _record(found.current) if found.current is not None else None,
        "versions": [_version(r) for r in found.versions],
        "followups": [_followup(f) for f in found.followups],
        "attachments": [_attachment(a) for a in found.attachments],
    }


# ---------------------------------------------------------------------------------------------
# what comes in: ids turned into objects


def _fail(fields: dict[str, list[str]]) -> None:
    if fields:
        raise ValidationFailed(fields=fields)


def _add(fields: dict[str, list[str]], name: str, message: str) -> None:
    messages = fields.setdefault(name, [])
    if message not in messages:
        messages.append(message)


def _members(org: PartyOrg, ids: list[int | None]) -> dict[int, PartyMember]:
    """The members of the organisation's branch among `ids` (those who can be expected, chair,
    record or own a task), in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    branch = services.branch_of(org)
    return {
        m.pk: m
        for m in PartyMember.objects.filter(branch=branch, pk__in=wanted).select_related(
            "user", "resident__user"
        )
    }


def _by_number_or_id(rows: QuerySet[Any], value: str | int) -> Any:
    if isinstance(value, int):
        return rows.filter(pk=value).first()
    text = value.strip()
    found = rows.filter(number=text).first() if text else None
    if found is None and text.isdigit():
        found = rows.filter(pk=int(text)).first()
    return found


def _category(value: str | int) -> Any:
    from grassroots.tickets.models import Category

    if isinstance(value, int):
        return Category.objects.filter(pk=value).first()
    return Category.objects.filter(code=value.strip()).first()


def _agenda_in(user: Any, payload: MeetingPlanIn, fields: dict[str, list[str]]) -> list[Any]:
    from grassroots.tickets.models import Ticket
    from grassroots.whistles.models import Whistle

    agenda = []
    for n, row in enumerate(payload.agenda, 1):
        at = _("第 %(n)d 项议程：") % {"n": n}
        ticket = whistle = category = area = None
        if row.ticket is not None and row.ticket != "":
            ticket = _by_number_or_id(
                Ticket.objects.visible_to(user).select_related("category"), row.ticket
            )
            if ticket is None:
                _add(fields, "agenda", at + _("没有这张工单。"))
        if row.whistle is not None and row.whistle != "":
            whistle = _by_number_or_id(
                Whistle.objects.visible_to(user).select_related("ticket"), row.whistle
            )
            if whistle is None:
                _add(fields, "agenda", at + _("没有这次吹哨。"))
        if row.hotspot_category is not None and row.hotspot_category != "":
            category = _category(row.hotspot_category)
            if category is None:
                _add(fields, "agenda", at + _("没有这个诉求类别。"))
        if row.hotspot_area is not None:
            area = Area.objects.filter(pk=row.hotspot_area).first()
            if area is None:
                _add(fields, "agenda", at + _("没有这个区域。"))
        agenda.append(
            services.AgendaIn(
                title=row.title,
                ticket=ticket,
                whistle=whistle,
                hotspot_category=category,
                hotspot_area=area,
                hotspot_count=row.hotspot_count,
            )
        )
    return agenda


def _record_in(meeting: Meeting, payload: MeetingRecordIn) -> dict[str, Any]:
    """The record's arguments for the services, every unknown id a field error."""
    fields: dict[str, list[str]] = {}
    members = _members(
        meeting.org, [payload.chair, payload.recorder, *(a.member for a in payload.attendance)]
    )
    chair = members.get(payload.chair)
    recorder = members.get(payload.recorder)
    if chair is None:
        _add(fields, "chair", _("没有这名党员。"))
    if recorder is None:
        _add(fields, "recorder", _("没有这名党员。"))
    attendance = []
    for row in payload.attendance:
        member = members.get(row.member)
        if member is None:
            _add(fields, "attendance", _("党员 %(id)s 不是本支部的党员。") % {"id": row.member})
            continue
        attendance.append(
            services.AttendanceIn(member=member, status=row.status.value, reason=row.reason)
        )
    wanted = {i.agenda_item for i in payload.items if i.agenda_item is not None}
    agenda = {a.pk: a for a in meeting.agenda.filter(pk__in=wanted)} if wanted else {}
    items = []
    for n, item in enumerate(payload.items, 1):
        agenda_item = None
        if item.agenda_item is not None:
            agenda_item = agenda.get(item.agenda_item)
            if agenda_item is None:
                _add(fields, "items", _("第 %(n)d 项议题：不是本次会议的议程。") % {"n": n})
        items.append(
            services.ItemIn(
                title=item.title,
                minutes=item.minutes,
                agenda_item=agenda_item,
                resolutions=[
                    services.ResolutionIn(
                        text=r.text,
                        votes_for=r.votes_for,
                        votes_against=r.votes_against,
                        votes_abstain=r.votes_abstain,
                    )
                    for r in item.resolutions
                ],
            )
        )
    _fail(fields)
    return {
        "held_at": payload.held_at,
        "chair": chair,
        "recorder": recorder,
        "attendance": attendance,
        "items": items,
        "place": payload.place,
        "guests": payload.guests,
        "remarks": payload.remarks,
        "covers": payload.covers,
    }


def _recorder(user: Any, meeting: Meeting) -> None:
    if not services.may_record(user, meeting):
        raise Forbidden(_("只有主持人、记录人或本组织的书记、委员、党建工作人员可以填写会议记录。"))


def _runner(user: Any, org: PartyOrg) -> None:
    if not life_rules.may_run(user, org):
        raise Forbidden(_("只有本组织的书记、委员或党建工作人员可以安排会议。"))


# ---------------------------------------------------------------------------------------------
# read


@router.get(
    "/meetings",
    response={200: list[MeetingOut], **errors(400, 401, 404)},
    summary="我可见的会议",
    description="三会一课、主题党日、组织生活会等会议，按计划时间从新到旧。党建工作人员看到本辖区"
    "党组织的会议，党员看到本人所在支部和党小组的会议。可按党组织（`org`，看不到的组织 404）、"
    "会议类型代码（`kind`）、状态（`state`）和计划日期（`from`、`to`，含当天）筛选。"
    "按 `limit`（每页条数，最多 500）和 `offset`（跳过的条数）分页，`count` 为总数。",
)
@paginate(LimitOffset)
def meeting_list(request: AuthedRequest, filters: Query[MeetingFilter]) -> QuerySet[Meeting]:
    user = request.user
    org = None
    if filters.org is not None:
        org = life_orgs_for(user).filter(pk=filters.org).first()
        if org is None:
            raise NotFound()
    kind = filters.kind.strip()
    if kind and not MeetingKind.objects.filter(code=kind).exists():
        raise ValidationFailed(fields={"kind": [_("不是可选的会议类型。")]})
    rows = meetings_for(
        user,
        org=org,
        kind=kind or None,
        state=filters.state.value if filters.state else None,
        since=filters.since,
        until=filters.until,
    )
    return rows


@router.get(
    "/meetings/candidates",
    response={200: MeetingCandidatesOut, **READ_ERRORS},
    summary="可列入议程的治理事项",
    description="把基层治理的重点难点提上党组织日程（双向互动）：本组织区域内最近 `days` 天同类"
    "诉求集中之处（诉求热点，只有件数）、超期未办结的工单、重办过尚未结案的工单和进行中的吹哨"
    "（只列调用者可见的），各自标明本组织是否已列入议程。只有本组织的书记、委员和党建工作人员"
    "可以查看（其他人 403）；看不到的组织 404。",
)
def meeting_candidates(
    request: AuthedRequest, filters: Query[MeetingCandidatesFilter]
) -> dict[str, Any]:
    user = request.user
    org = life_orgs_for(user).filter(pk=filters.org).first()
    if org is None:
        raise NotFound()
    _runner(user, org)
    found = agenda_candidates(
        org, days=filters.days, min_count=filters.min_count, limit=filters.limit, user=user
    )

    def ticket(t: Any) -> dict[str, Any]:
        return {
            "number": t.number,
            "category": t.category.name,
            "area": t.area.name,
            "state": t.state,
            "state_label": t.get_state_display(),
            "created_at": t.created_at,
            "resolve_by": t.resolve_by,
            "reopen_count": t.reopen_count,
            "on_agenda": t.on_agenda,
        }

    return {
        "hotspots": [_hotspot(h.category, h.area, h.count) for h in found.hotspots],
        "overdue": [ticket(t) for t in found.overdue],
        "reopened": [ticket(t) for t in found.reopened],
        "whistles": [
            {
                "number": w.number,
                "title": w.title,
                "area": w.area.name,
                "ticket": w.ticket.number if w.ticket is not None else None,
                "created_at": w.created_at,
                "on_agenda": w.on_agenda,
            }
            for w in found.whistles
        ],
    }


@router.get(
    "/meetings/{meeting_id}",
    response={200: MeetingDetailOut, **errors(400, 401, 404)},
    summary="会议详情",
    description="会议的计划和议程（来自工单、吹哨或诉求热点的议程带上链接），当前版本的会议记录"
    "（出席情况、各议题记录、决议及表决结果、主持人和记录人的确认），各版本（更正时原版本保留），"
    "以及决议的落实任务。看不到的会议 404。",
)
def meeting_get(request: AuthedRequest, meeting_id: int) -> dict[str, Any]:
    return _detail(request.user, meeting_id)


@router.get(
    "/meetings/{meeting_id}/versions/{version}",
    response={200: MeetingRecordOut, **errors(400, 401, 404)},
    summary="会议记录的某一版本",
    description="会议记录的第 `version` 版（更正前的原版本也在），含出席情况、议题记录和决议。"
    "看不到的会议或没有这一版时 404。",
)
def meeting_version(request: AuthedRequest, meeting_id: int, version: int) -> dict[str, Any]:
    return _record(record_version(request.user, meeting_id, version))


# ---------------------------------------------------------------------------------------------
# plan and cancel


@router.post(
    "/meetings",
    response={201: MeetingDetailOut, **errors(400, 401, 403)},
    summary="安排会议",
    description="本组织的书记、委员（党小组的会议也可由支部书记、委员安排）或辖区党建工作人员安排"
    "一次会议：类型（本组织召开的类型）、时间、地点、主持人和记录人（应参加会议的党员或本组织的"
    "书记、委员）、议程。议程可来自本人可见、在本组织区域内的工单（`ticket`）、吹哨（`whistle`）"
    "或诉求热点（`hotspot_*`，见 GET /meetings/candidates）。应参加的党员收到会议通知。"
    "看不到的组织、工单、吹哨或不是本支部的党员为该字段的错误；无权安排 403。",
)
def meeting_plan(request: AuthedRequest, payload: MeetingPlanIn) -> Status[dict[str, Any]]:
    user = request.user
    fields: dict[str, list[str]] = {}
    org = life_orgs_for(user).filter(pk=payload.org).first()
    if org is None:
        raise ValidationFailed(fields={"org": [_("没有这个党组织。")]})
    _runner(user, org)
    kind = MeetingKind.objects.filter(code=payload.kind.strip()).first()
    if kind is None:
        _add(fields, "kind", _("不是可选的会议类型。"))
    members = _members(org, [payload.chair, payload.recorder])
    chair = members.get(payload.chair) if payload.chair is not None else None
    recorder = members.get(payload.recorder) if payload.recorder is not None else None
    if payload.chair is not None and chair is None:
        _add(fields, "chair", _("没有这名党员。"))
    if payload.recorder is not None and recorder is None:
        _add(fields, "recorder", _("没有这名党员。"))
    agenda = _agenda_in(user, payload, fields)
    _fail(fields)
    assert kind is not None
    meeting = services.meeting_plan(
        actor=user,
        org=org,
        kind=kind,
        planned_at=payload.planned_at,
        title=payload.title,
        place=payload.place,
        chair=chair,
        recorder=recorder,
        agenda=agenda,
    )
    return Status(201, _detail(user, meeting.pk))


@router.post(
    "/meetings/{meeting_id}/cancel",
    response={200: MeetingDetailOut, **ACTION_ERRORS},
    summary="取消会议",
    description="取消一次尚未召开的会议，须填写原因；应参加的党员收到通知。只有本组织的书记、委员"
    "或党建工作人员可以取消（其他人 403）；已记录、已确认或已取消的会议 409。看不到的会议 404。",
)
def meeting_cancel(
    request: AuthedRequest, meeting_id: int, payload: MeetingCancelIn
) -> dict[str, Any]:
    user = request.user
    meeting = find_meeting(user, meeting_id)
    services.meeting_cancel(actor=user, meeting=meeting, reason=payload.reason)
    return _detail(user, meeting.pk)


# ---------------------------------------------------------------------------------------------
# record, confirm, correct


@router.post(
    "/meetings/{meeting_id}/record",
    response={200: MeetingDetailOut, **ACTION_ERRORS},
    summary="填写会议记录",
    description="会后填写会议记录：召开时间（不能晚于现在）、主持人、记录人、每位应到党员的出席"
    "情况（出席 / 请假须写原因 / 无故缺席，每人一条，不多不少）、列席人员、各议题的记录和决议。"
    "决议的赞成、反对、弃权票须同时填写或都不填，合计不能超过实到有表决权人数；未达到法定人数或"
    "赞成票不过半的决议记为未通过并写明原因。补开的会议用 `covers` 计入以前的周期。"
    "确认前可重新填写（覆盖当前版本，双方确认清空）；已确认的记录 409，请用更正。"
    "只有主持人、记录人或本组织的书记、委员、党建工作人员可以填写（其他人 403）。",
)
def meeting_record(
    request: AuthedRequest, meeting_id: int, payload: MeetingRecordIn
) -> dict[str, Any]:
    user = request.user
    meeting = find_meeting(user, meeting_id)
    _recorder(user, meeting)
    services.meeting_record(actor=user, meeting=meeting, **_record_in(meeting, payload))
    return _detail(user, meeting.pk)


@router.post(
    "/meetings/{meeting_id}/confirm",
    response={200: MeetingDetailOut, **ACTION_ERRORS},
    summary="确认会议记录",
    description="主持人或记录人确认当前版本的会议记录（相当于签字，记下时间）；两人都确认后记录"
    "锁定，会议计入合规日历，出席情况记入党员积分。主持人和记录人是同一人时确认一次即可。"
    "其他人 403；同一人再次确认、记录已锁定或还没有记录 409。无需请求体。",
)
def meeting_confirm(request: AuthedRequest, meeting_id: int) -> dict[str, Any]:
    user = request.user
    meeting = find_meeting(user, meeting_id)
    services.meeting_confirm(actor=user, meeting=meeting)
    return _detail(user, meeting.pk)


@router.post(
    "/meetings/{meeting_id}/corrections",
    response={200: MeetingDetailOut, **ACTION_ERRORS},
    summary="更正会议记录",
    description="更正已确认锁定的会议记录：须写明原因（`reason`），其余内容与填写会议记录相同，"
    "检查也相同。更正生成新的版本，原版本原样保留；新版本须主持人和记录人重新确认。"
    "记录未确认时 409（可直接重新填写）。",
)
def meeting_correct(
    request: AuthedRequest, meeting_id: int, payload: MeetingCorrectionIn
) -> dict[str, Any]:
    user = request.user
    meeting = find_meeting(user, meeting_id)
    _recorder(user, meeting)
    services.meeting_correct(
        actor=user, meeting=meeting, reason=payload.reason, **_record_in(meeting, payload)
    )
    return _detail(user, meeting.pk)


# ---------------------------------------------------------------------------------------------
# attachments


def _attacher(user: Any, meeting: Meeting) -> None:
    if not services.may_record(user, meeting):
        raise Forbidden(_("只有主持人、记录人或本组织的书记、委员、党建工作人员可以管理会议附件。"))


@router.post(
    "/meetings/{meeting_id}/attachments",
    response={201: MeetingAttachmentOut, **ACTION_ERRORS},
    summary="上传会议附件",
    description="multipart/form-data，文件放在 `file`：图片（JPG、PNG、WebP，重新编码，去除位置等"
    "元数据）或 PDF，按内容识别，与文件名无关；每个不超过 10 MB，每次会议最多 10 个。"
    "会议记录确认后仍可上传（如签字后的纪要扫描件）；已取消的会议 409。只有主持人、记录人或"
    "本组织的书记、委员、党建工作人员可以上传（其他人 403）；看不到的会议 404。",
    openapi_extra=MEETING_ATTACHMENT_BODY,
)
def meeting_attach(request: AuthedRequest, meeting_id: int) -> Status[dict[str, Any]]:
    user = request.user
    meeting = find_meeting(user, meeting_id)
    _attacher(user, meeting)
    try:
        upload = request.FILES.get("file")
    except (MultiPartParserError, SuspiciousOperation) as exc:
        raise ValidationFailed(fields={"file": [_("没有收到文件，请重新上传。")]}) from exc
    attachment = services.meeting_attach(actor=user, meeting=meeting, upload=upload)
    return Status(201, _attachment(attachment))


@router.delete(
    "/meetings/{meeting_id}/attachments/{attachment_id}",
    response={200: MeetingDetailOut, **ACTION_ERRORS},
    summary="删除会议附件",
    description="删除一个附件，答复删除后的会议详情。会议记录确认锁定后不能删除（409，如需修改"
    "请提交更正）；已确认过的版本所含的附件也不能删除。已取消的会议 409。只有主持人、记录人或"
    "本组织的书记、委员、党建工作人员可以删除（其他人 403）；看不到的会议或没有这个附件 404。",
)
def meeting_detach(request: AuthedRequest, meeting_id: int, attachment_id: int) -> dict[str, Any]:
    user = request.user
    meeting = find_meeting(user, meeting_id)
    _attacher(user, meeting)
    attachment = MeetingAttachment.objects.filter(meeting=meeting, pk=attachment_id).first()
    if attachment is None:
        raise NotFound()
    services.meeting_detach(actor=user, meeting=meeting, attachment=attachment)
    return _detail(user, meeting.pk)


# ---------------------------------------------------------------------------------------------
# follow-up tasks


@router.post(
    "/meetings/{meeting_id}/followups",
    response={201: FollowUpOut, **ACTION_ERRORS},
    summary="布置落实任务",
    description="会议记录确认后，把决议落实到人：任务、负责人（本支部党员）、完成期限（不早于"
    "今天），可注明来自哪条决议；决议的议题来自工单或吹哨时，任务带上同一链接，工单和吹哨页面"
    "可见。负责人收到通知。记录未确认 409；无权 403。",
)
def followup_create(
    request: AuthedRequest, meeting_id: int, payload: FollowUpIn
) -> Status[dict[str, Any]]:
    user = request.user
    meeting = find_meeting(user, meeting_id)
    _recorder(user, meeting)
    fields: dict[str, list[str]] = {}
    owner = _members(meeting.org, [payload.owner]).get(payload.owner)
    if owner is None:
        _add(fields, "owner", _("负责人须为本支部党员。"))
    resolution = None
    if payload.resolution is not None:
        resolution = (
            Resolution.objects.filter(pk=payload.resolution, record__meeting=meeting)
            .select_related("item__agenda_item__ticket", "item__agenda_item__whistle")
            .first()
        )
        if resolution is None:
            _add(fields, "resolution", _("不是本次会议记录中的决议。"))
    _fail(fields)
    assert owner is not None
    followup = services.followup_create(
        actor=user,
        meeting=meeting,
        title=payload.title,
        owner=owner,
        due_on=payload.due_on,
        resolution=resolution,
    )
    return Status(201, _followup(_reload_followup(followup.pk)))


def _reload_followup(pk: int) -> FollowUp:
    return FollowUp.objects.select_related("owner", "ticket", "whistle").get(pk=pk)


@router.post(
    "/followups/{followup_id}/done",
    response={200: FollowUpOut, **ACTION_ERRORS},
    summary="落实任务完成",
    description="任务负责人（或本组织的书记、委员、党建工作人员）标记任务完成，可写完成情况。"
    "已完成的 409；其他人 403；看不到的任务 404。",
)
def followup_done(
    request: AuthedRequest, followup_id: int, payload: FollowUpDoneIn
) -> dict[str, Any]:
    user = request.user
    followup = find_followup(user, followup_id)
    services.followup_done(actor=user, followup=followup, note=payload.note)
    return _followup(_reload_followup(followup.pk))
