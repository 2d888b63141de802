"""Meeting pages (三会一课 and the rest): the list, the plan, the record sheet the recorder
fills in on a phone, the minutes with their versions and follow-up tasks, the print view, and
the confirm / correct / cancel / follow-up actions. Every page reads through
`Meeting.objects.visible_to` (another scope's meeting is a 404) and every change goes through
one service of `services.meetings`; a refusal comes back next to the fields it names and
changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from grassroots.accounts.models import PHONE_ROLES
from grassroots.accounts.typing import AuthedRequest
from grassroots.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from grassroots.tickets.views.photos import serve_photo

from . import life_rules, selectors_life
from .meeting_forms import (
    CancelForm,
    FollowUpDoneForm,
    FollowUpForm,
    Pick,
    PlanForm,
    RecordSheet,
    add_domain_error,
    initial_from_plan,
    initial_from_record,
)
from .models import (
    BRANCH_KINDS,
    Attendance,
    AttendanceStatus,
    FollowUp,
    FollowUpState,
    ItemMinutes,
    Meeting,
    MeetingAgendaItem,
    MeetingAttachment,
    MeetingKind,
    MeetingRecord,
    MeetingState,
    OrgKind,
    PartyMember,
    PartyOrg,
    PassingRule,
    QuorumRule,
    Resolution,
)
from .services import meetings as services

MEETINGS_PER_PAGE = 30
WAITING_MAX = 20
ORG_CHOICES_MAX = 300
LIFE_ORG_KINDS = (*BRANCH_KINDS, OrgKind.GROUP)


def base_template(user: Any) -> str:
    """Grid workers and building heads record on their phones; the rest sit at a desk."""
    return "web/resident.html" if user.role in PHONE_ROLES else "web/workbench.html"


def _me(request: AuthedRequest) -> PartyMember | None:
    """The party member the signed-in user is (read once per request)."""
    if not hasattr(request, "_party_member"):
        request._party_member = life_rules.member_of(request.user)  # type: ignore[attr-defined]
    member: PartyMember | None = request._party_member  # type: ignore[attr-defined]
    return member


def _page(
    request: AuthedRequest,
    template: str,
    context: dict[str, Any],
    status: int = 200,
    *,
    back: tuple[str, str] | None = None,
) -> HttpResponse:
    """A meeting page in the layout of the user's role; `back` is the link above the title
    on the workbench (the phone layout has its own in the header)."""
    context = {"base": base_template(request.user), **context}
    if back is not None:
        context["back_url"], context["back_label"] = back
    return render(request, f"party/meetings/{template}", context, status=status)


def _org_to_run(request: AuthedRequest, pk: Any) -> PartyOrg:
    """The organisation whose meetings the user plans: 403 when they see it but may not run
    its meetings, 404 when they do not see it at all."""
    try:
        org = PartyOrg.objects.select_related("secretary").get(pk=int(pk))
    except (PartyOrg.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound() from exc
    if life_rules.may_run(request.user, org):
        return org
    if selectors_life.life_orgs_for(request.user).filter(pk=org.pk).exists():
        raise Forbidden()
    raise NotFound()


def _org_members(org: PartyOrg) -> QuerySet[PartyMember]:
    """Who may chair, record or own a task: the members of the branch (of a group's branch)."""
    return PartyMember.objects.filter(branch=services.branch_of(org)).order_by("name", "pk")


def _rule_words(kind: MeetingKind) -> str:
    """The kind's quorum and passing rules in one sentence."""
    parts = []
    if kind.quorum != QuorumRule.NONE:
        parts.append(_("法定人数：%(rule)s") % {"rule": kind.get_quorum_display()})
    if kind.passing != PassingRule.NONE:
        parts.append(_("表决通过：%(rule)s") % {"rule": kind.get_passing_display()})
    return _("；").join(parts)


# ---------------------------------------------------------------------------------------------
# the list


@dataclass(frozen=True)
class Waiting:
    meeting: Meeting
    task: str  # "record" or "confirm"


def _waiting(user: Any, me: PartyMember | None) -> list[Waiting]:
    """The planned meetings whose record I keep, and the records waiting for my signature."""
    if me is None:
        return []
    visible = Meeting.objects.visible_to(user).select_related("org", "kind")
    to_record = visible.filter(state=MeetingState.PLANNED, recorder=me).order_by("planned_at", "pk")
    # One filter() call: the version, the role and the missing confirmation are those of the
    # same record row.
    to_confirm = (
        visible.filter(
            Q(records__chair=me, records__chair_confirmed_at=None)
            | Q(records__recorder=me, records__recorder_confirmed_at=None),
            state=MeetingState.RECORDED,
            records__locked_at=None,
        )
        .distinct()
        .order_by("planned_at", "pk")
    )
    return [Waiting(m, "record") for m in to_record[:WAITING_MAX]] + [
        Waiting(m, "confirm") for m in to_confirm[:WAITING_MAX]
    ]


@login_required
def meeting_list(request: AuthedRequest) -> HttpResponse:
    """The meetings the user may see, newest first, filtered by organisation, kind and state;
    the meetings that wait for the user (to record, to confirm) come first."""
    user = request.user
    me = _me(request)
    org_pk = request.GET.get("org", "")
    kind_code = request.GET.get("kind", "")
    state = request.GET.get("state", "")
    rows = selectors_life.meetings_for(
        user, kind=kind_code or None, state=state if state in MeetingState.values else None
    )
    if org_pk.isdigit():
        rows = rows.filter(org_id=int(org_pk))
    page = Paginator(rows, MEETINGS_PER_PAGE).get_page(request.GET.get("page"))
    orgs = list(
        selectors_life.life_orgs_for(user)
        .filter(kind__in=LIFE_ORG_KINDS)
        .order_by("path")
        .only("pk", "name", "kind", "path", "area_path", "secretary")[:ORG_CHOICES_MAX]
    )
    own = {pk for pk in (me.branch_id, me.group_id) if pk} if me is not None else set()
    # Offered: the user's own branch and group, and the one filtered on.
    runnable = [
        o for o in orgs if (o.pk in own or str(o.pk) == org_pk) and life_rules.may_run(user, o)
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return _page(
        request,
        "list.html",
        {
            "waiting": _waiting(user, me),
            "page": page,
            "orgs": orgs,
            "kinds": list(MeetingKind.objects.all()),
            "states": MeetingState.choices,
            "org_pk": org_pk,
            "kind_code": kind_code,
            "state": state,
            "runnable": runnable,
            "query": query.urlencode(),
        },
    )


# ---------------------------------------------------------------------------------------------
# the plan


def agenda_picks(user: Any, org: PartyOrg) -> list[Pick]:
    """Governance work the organisation could take up (双向互动), as checkboxes."""
    return [
        Pick(
            key=c.key,
            title=c.title,
            source=c.source,
            detail=c.detail,
            url=c.url,
            on_agenda=c.on_agenda,
            agenda=c.agenda,
        )
        for c in selectors_life.agenda_candidates(org, user=user)
    ]


@login_required
def meeting_new(request: AuthedRequest) -> HttpResponse:
    """Plan a meeting: kind, time, place, chair, recorder and agenda, free lines and items
    taken from governance work (a hotspot, an overdue or reopened ticket, a whistle)."""
    org = _org_to_run(request, request.GET.get("org"))
    kinds = [k for k in MeetingKind.objects.all() if life_rules.holds(k, org)]
    picks = agenda_picks(request.user, org)
    form = PlanForm(
        request.POST if request.method == "POST" else None,
        kinds=kinds,
        members=_org_members(org),
        picks=picks,
        initial={"chair": org.secretary_id},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            agenda = [services.AgendaIn(title=line) for line in data["agenda_text"]] + [
                services.AgendaIn(title=p.title, **p.agenda) for p in form.picked()
            ]
            try:
                meeting = services.meeting_plan(
                    actor=request.user,
                    org=org,
                    kind=data["kind"],
                    planned_at=data["planned_at"],
                    title=data["title"],
                    place=data["place"],
                    chair=data["chair"],
                    recorder=data["recorder"],
                    agenda=agenda,
                )
            except ValidationFailed as exc:
                add_domain_error(form, exc, aliases={"agenda": "agenda_text"})
            else:
                messages.success(request, _("会议已安排，已通知应到人员。"))
                return redirect("party:meeting", pk=meeting.pk)
    return _page(
        request,
        "plan.html",
        {"org": org, "form": form, "picks": picks, "has_kinds": bool(kinds)},
        status=status,
        back=(reverse("party:meetings") + f"?org={org.pk}", _("会议")),
    )


# ---------------------------------------------------------------------------------------------
# the minutes


@dataclass
class Minutes:
    """A version of the record laid out as minutes."""

    record: MeetingRecord
    present: list[Attendance]
    excused: list[Attendance]
    absent: list[Attendance]
    items: list[ItemMinutes]


def minutes_of(record: MeetingRecord | None, agenda: list[Any]) -> Minutes | None:
    if record is None:
        return None
    rows = list(record.attendance.all())
    items = list(record.items.all())
    # The agenda rows already carry their ticket and whistle: no query per item.
    planned = {a.pk: a for a in agenda}
    for item in items:
        if item.agenda_item_id in planned:
            item.agenda_item = planned[item.agenda_item_id]
    return Minutes(
        record=record,
        present=[a for a in rows if a.status == AttendanceStatus.PRESENT],
        excused=[a for a in rows if a.status == AttendanceStatus.EXCUSED],
        absent=[a for a in rows if a.status == AttendanceStatus.ABSENT],
        items=items,
    )


@dataclass(frozen=True)
class FollowUpRow:
    followup: FollowUp
    overdue: bool
    mine: bool


def _version(request: AuthedRequest) -> int | None:
    raw = request.GET.get("version", "")
    return int(raw) if raw.isdigit() else None


class AttachmentForm(forms.Form):
    """One file for the meeting: checked by its content in the service."""

    file = forms.FileField(
        label=gettext_lazy("选择文件"),
        help_text=gettext_lazy("图片（JPG、PNG、WebP）或 PDF，每个不超过 10 MB，最多 10 个。"),
        error_messages={
            "required": gettext_lazy("请选择要上传的文件。"),
            "empty": gettext_lazy("文件是空的，请重新选择。"),
            "invalid": gettext_lazy("请选择要上传的文件。"),
        },
        widget=forms.FileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf,.pdf"}
        ),
    )


@dataclass(frozen=True)
class AttachmentRow:
    attachment: MeetingAttachment
    removable: bool


def _attachment_rows(
    attachments: list[MeetingAttachment], versions: list[MeetingRecord], *, may_detach: bool
) -> list[AttachmentRow]:
    """Each attachment, removable while nothing it was part of is confirmed (the rule of
    `services.meeting_detach`)."""
    locks = [v.locked_at for v in versions if v.locked_at is not None]
    last_lock = max(locks) if locks else None
    return [
        AttachmentRow(
            a,
            removable=may_detach and (last_lock is None or a.uploaded_at > last_lock),
        )
        for a in attachments
    ]


def _detail_context(
    request: AuthedRequest,
    pk: int,
    *,
    cancel_form: CancelForm | None = None,
    followup_form: FollowUpForm | None = None,
    attachment_form: AttachmentForm | None = None,
) -> dict[str, Any]:
    user = request.user
    me = _me(request)
    detail = selectors_life.meeting_detail(user, pk)
    meeting, current = detail.meeting, detail.current
    shown = current
    asked = _version(request)
    if current is not None and asked is not None and asked != current.version:
        shown = selectors_life.record_version(user, pk, asked)  # an earlier version, read only
    prefetch_related_objects(detail.versions, "created_by")  # who wrote each version
    today = timezone.localdate()
    may_record = services.may_record(user, meeting)
    unlocked = current is not None and current.locked_at is None
    may_confirm = bool(
        unlocked
        and current is not None
        and me is not None
        and (
            (me.pk == current.chair_id and current.chair_confirmed_at is None)
            or (me.pk == current.recorder_id and current.recorder_confirmed_at is None)
        )
    )
    confirmed = meeting.state == MeetingState.CONFIRMED
    may_attach = may_record and meeting.state != MeetingState.CANCELLED
    may_detach = may_attach and not confirmed and (current is None or current.locked_at is None)
    if followup_form is None and may_record and confirmed and current is not None:
        followup_form = FollowUpForm(
            members=_org_members(meeting.org),
            resolutions=Resolution.objects.filter(record=current).order_by("order", "id"),
        )
    return {
        "meeting": meeting,
        "record": shown,
        "current": current,
        "old_version": shown is not current,
        "minutes": minutes_of(shown, detail.agenda),
        "versions": list(reversed(detail.versions)),
        "agenda": detail.agenda,
        "followups": [
            FollowUpRow(
                f,
                overdue=f.state == FollowUpState.OPEN and f.due_on < today,
                mine=me is not None and f.owner_id == me.pk,
            )
            for f in detail.followups
        ],
        "rule_words": _rule_words(meeting.kind),
        "may_confirm": may_confirm,
        "may_record": may_record and meeting.state == MeetingState.PLANNED,
        "may_rerecord": may_record and meeting.state == MeetingState.RECORDED and unlocked,
        "may_correct": may_record and confirmed,
        "may_cancel": meeting.state == MeetingState.PLANNED
        and life_rules.may_run(user, meeting.org),
        "may_follow_up": may_record and confirmed,
        "cancel_form": cancel_form or CancelForm(),
        "followup_form": followup_form,
        "attachments": _attachment_rows(detail.attachments, detail.versions, may_detach=may_detach),
        "may_attach": may_attach,
        "max_attachments": services.MAX_ATTACHMENTS,
        "attachment_form": attachment_form or AttachmentForm(),
    }


def _detail_page(
    request: AuthedRequest, pk: int, *, status: int = 200, **forms: Any
) -> HttpResponse:
    return _page(
        request,
        "detail.html",
        _detail_context(request, pk, **forms),
        status=status,
        back=(reverse("party:meetings"), _("会议")),
    )


@login_required
def meeting_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """The minutes: facts, attendance, agenda items with their minutes and resolutions, the
    confirmations of chair and recorder, the version history and the follow-up tasks.
    `?version=N` shows an earlier version."""
    return _detail_page(request, pk)


@login_required
def meeting_print(request: AuthedRequest, pk: int) -> HttpResponse:
    """The minutes on A4, without navigation."""
    detail = selectors_life.meeting_detail(request.user, pk)
    record = detail.current
    asked = _version(request)
    if record is not None and asked is not None and asked != record.version:
        record = selectors_life.record_version(request.user, pk, asked)
    return render(
        request,
        "party/meetings/print.html",
        {
            "meeting": detail.meeting,
            "record": record,
            "minutes": minutes_of(record, detail.agenda),
            "agenda": detail.agenda,
            "attachments": detail.attachments,
            "printed_at": timezone.now(),
        },
    )


# ---------------------------------------------------------------------------------------------
# the record sheet


def _sheet(request: AuthedRequest, meeting: Meeting, *, correcting: bool) -> RecordSheet:
    """The sheet prefilled from the current version when there is one, else from the plan:
    every expected member present, the agenda's titles as items."""
    expected = list(life_rules.expected_members(meeting.kind, meeting.org))
    agenda = list(meeting.agenda.order_by("order", "id"))
    record = (
        selectors_life.record_version(request.user, meeting.pk, meeting.version)
        if meeting.version
        else None
    )
    if record is not None:
        initial = initial_from_record(record)
        # Who was recorded stays on the sheet; anyone expected since is added at the end.
        recorded = [a.member for a in record.attendance.all()]
        seen = {m.pk for m in recorded}
        members = recorded + [m for m in expected if m.pk not in seen]
    else:
        initial = initial_from_plan(meeting, agenda)
        members = expected
    people = {m.pk for m in members} | {
        pk
        for pk in (
            meeting.chair_id,
            meeting.recorder_id,
            record.chair_id if record else None,
            record.recorder_id if record else None,
        )
        if pk is not None
    }
    # Chair and recorder: someone expected, or a leader of the organisation (of the branch,
    # for a group), as the service allows.
    leads = Q()
    for org in {meeting.org, services.branch_of(meeting.org)}:
        leads |= Q(committee_of=org) | Q(pk=org.secretary_id)
    return RecordSheet(
        request.POST if request.method == "POST" else None,
        members=members,
        choices=PartyMember.objects.filter(Q(pk__in=people) | leads)
        .distinct()
        .order_by("name", "pk"),
        agenda=agenda,
        initial=initial,
        correcting=correcting,
    )


def _sheet_page(
    request: AuthedRequest,
    meeting: Meeting,
    sheet: RecordSheet,
    *,
    correcting: bool,
    status: int = 200,
) -> HttpResponse:
    return _page(
        request,
        "record.html",
        {
            "meeting": meeting,
            "sheet": sheet,
            "correcting": correcting,
            "rule_words": _rule_words(meeting.kind),
            "votes": meeting.kind.passing != PassingRule.NONE,
            "empty_item": sheet.empty_item(),
            "empty_resolution": sheet.empty_resolution(),
            "expected": len(sheet.attendance),
        },
        status=status,
        back=(reverse("party:meeting", args=[meeting.pk]), _("会议")),
    )


def _save_sheet(
    request: AuthedRequest, meeting: Meeting, sheet: RecordSheet, *, correcting: bool
) -> HttpResponse:
    status = 400
    if sheet.is_valid():
        try:
            if correcting:
                services.meeting_correct(
                    actor=request.user, meeting=meeting, **sheet.service_args()
                )
            else:
                services.meeting_record(actor=request.user, meeting=meeting, **sheet.service_args())
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect("party:meeting", pk=meeting.pk)
        except ValidationFailed as exc:
            sheet.add_domain_error(exc)
        else:
            if correcting:
                messages.success(request, _("已保存更正后的记录，请主持人和记录人重新确认。"))
            else:
                messages.success(request, _("会议记录已保存，请主持人和记录人确认。"))
            return redirect("party:meeting", pk=meeting.pk)
    return _sheet_page(request, meeting, sheet, correcting=correcting, status=status)


@login_required
def meeting_record(request: AuthedRequest, pk: int) -> HttpResponse:
    """The record sheet, prefilled from the plan (or from the record not yet confirmed)."""
    meeting = selectors_life.find_meeting(request.user, pk)
    if not services.may_record(request.user, meeting):
        raise Forbidden()
    if meeting.state == MeetingState.CONFIRMED:
        messages.info(request, _("会议记录已确认锁定，如需修改请填写更正。"))
        return redirect("party:meeting_correct", pk=meeting.pk)
    if meeting.state == MeetingState.CANCELLED:
        messages.error(request, _("会议已取消，不能填写记录。"))
        return redirect("party:meeting", pk=meeting.pk)
    sheet = _sheet(request, meeting, correcting=False)
    if request.method == "POST":
        return _save_sheet(request, meeting, sheet, correcting=False)
    return _sheet_page(request, meeting, sheet, correcting=False)


@login_required
def meeting_correct(request: AuthedRequest, pk: int) -> HttpResponse:
    """A correction of a confirmed record: a new version with its reason; the old one kept."""
    meeting = selectors_life.find_meeting(request.user, pk)
    if not services.may_record(request.user, meeting):
        raise Forbidden()
    if meeting.state != MeetingState.CONFIRMED:
        if meeting.state == MeetingState.CANCELLED:
            return redirect("party:meeting", pk=meeting.pk)
        messages.info(request, _("记录尚未确认锁定，可以直接修改。"))
        return redirect("party:meeting_record", pk=meeting.pk)
    sheet = _sheet(request, meeting, correcting=True)
    if request.method == "POST":
        return _save_sheet(request, meeting, sheet, correcting=True)
    return _sheet_page(request, meeting, sheet, correcting=True)


# ---------------------------------------------------------------------------------------------
# actions on the minutes page


def _refused(request: AuthedRequest, exc: DomainError) -> None:
    if exc.fields:
        messages.error(request, " ".join(m for ms in exc.fields.values() for m in ms))
    else:
        messages.error(request, exc.message)


@login_required
@require_POST
def meeting_confirm(request: AuthedRequest, pk: int) -> HttpResponse:
    """The chair's or the recorder's signature; with both, the record is locked. Anyone else
    is refused (403)."""
    meeting = selectors_life.find_meeting(request.user, pk)
    try:
        record = services.meeting_confirm(actor=request.user, meeting=meeting)
    except (Conflict, ValidationFailed) as exc:
        _refused(request, exc)
    else:
        if record.locked_at is not None:
            messages.success(request, _("已确认。主持人和记录人都已确认，记录已锁定。"))
        else:
            messages.success(request, _("已确认，等待另一方确认。"))
    return redirect("party:meeting", pk=meeting.pk)


@login_required
@require_POST
def meeting_cancel(request: AuthedRequest, pk: int) -> HttpResponse:
    """Call off a planned meeting, with a reason."""
    meeting = selectors_life.find_meeting(request.user, pk)
    if not life_rules.may_run(request.user, meeting.org):
        raise Forbidden()
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.meeting_cancel(
                actor=request.user, meeting=meeting, reason=form.cleaned_data["reason"]
            )
        except Conflict as exc:
            _refused(request, exc)
            return redirect("party:meeting", pk=meeting.pk)
        except ValidationFailed as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("会议已取消，已通知应到人员。"))
            return redirect("party:meeting", pk=meeting.pk)
    return _detail_page(request, meeting.pk, status=400, cancel_form=form)


@login_required
def followup_new(request: AuthedRequest, pk: int) -> HttpResponse:
    """A task a resolution gives a member, with its due date (the form is on the minutes)."""
    meeting = selectors_life.find_meeting(request.user, pk)
    if not services.may_record(request.user, meeting):
        raise Forbidden()
    anchor = reverse("party:meeting", args=[meeting.pk]) + "#followups"
    if request.method != "POST":
        return redirect(anchor)
    record = services.current_record(meeting)
    form = FollowUpForm(
        request.POST,
        members=_org_members(meeting.org),
        resolutions=Resolution.objects.filter(record=record)
        if record is not None
        else Resolution.objects.none(),
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.followup_create(
                actor=request.user,
                meeting=meeting,
                title=data["title"],
                owner=data["owner"],
                due_on=data["due_on"],
                resolution=data["resolution"],
            )
        except Conflict as exc:
            _refused(request, exc)
            return redirect(anchor)
        except ValidationFailed as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已布置落实任务，已通知负责人。"))
            return redirect(anchor)
    return _detail_page(request, meeting.pk, status=400, followup_form=form)


@login_required
@require_POST
def followup_done(request: AuthedRequest, pk: int) -> HttpResponse:
    """The owner marks a task done, with a note of what was done."""
    followup = selectors_life.find_followup(request.user, pk)
    form = FollowUpDoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for es in form.errors.values() for e in es))
    else:
        try:
            services.followup_done(
                actor=request.user, followup=followup, note=form.cleaned_data["note"]
            )
        except (Conflict, ValidationFailed) as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("已标记完成。"))
    return redirect(reverse("party:meeting", args=[followup.meeting_id]) + "#followups")


# ---------------------------------------------------------------------------------------------
# attachments


@login_required
def meeting_attach(request: AuthedRequest, pk: int) -> HttpResponse:
    """Upload one file (a picture or a PDF, such as the scan of the signed minutes); the
    form is on the minutes page."""
    meeting = selectors_life.find_meeting(request.user, pk)
    if not services.may_record(request.user, meeting):
        raise Forbidden()
    anchor = reverse("party:meeting", args=[meeting.pk]) + "#attachments"
    if request.method != "POST":
        return redirect(anchor)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.meeting_attach(
                actor=request.user, meeting=meeting, upload=form.cleaned_data["file"]
            )
        except Conflict as exc:
            _refused(request, exc)
            return redirect(anchor)
        except ValidationFailed as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("附件已上传。"))
            return redirect(anchor)
    return _detail_page(request, meeting.pk, status=400, attachment_form=form)


@login_required
@require_POST
def meeting_detach(request: AuthedRequest, pk: int, att_pk: int) -> HttpResponse:
    """Delete an attachment while the record is not confirmed."""
    meeting = selectors_life.find_meeting(request.user, pk)
    if not services.may_record(request.user, meeting):
        raise Forbidden()
    anchor = reverse("party:meeting", args=[meeting.pk]) + "#attachments"
    attachment = MeetingAttachment.objects.filter(meeting=meeting, pk=att_pk).first()
    if attachment is None:  # a second click on the button
        messages.info(request, _("这个附件已经删除了。"))
        return redirect(anchor)
    try:
        services.meeting_detach(actor=request.user, meeting=meeting, attachment=attachment)
    except (Conflict, ValidationFailed) as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("附件已删除。"))
    return redirect(anchor)


def download_name(attachment: MeetingAttachment) -> str:
    """The name a download is saved under: the uploaded name, with the extension of what the
    file is."""
    ext = "." + services.attachment_extension(attachment.content_type)
    name = attachment.name or _("附件")
    return name if name.lower().endswith(ext) else name + ext


@require_GET
def meeting_attachment(request: HttpRequest, pk: int, att_pk: int) -> HttpResponseBase:
    """The file, only to those who may see the meeting (session or API token; 404 to anyone
    else). A PDF is always a download, never shown in the page; a picture is shown."""
    found: list[MeetingAttachment] = []

    def find(viewer: Any) -> MeetingAttachment | None:
        row = MeetingAttachment.objects.filter(
            pk=att_pk, meeting_id=pk, meeting__in=Meeting.objects.visible_to(viewer).values("pk")
        ).first()
        if row is not None:
            found.append(row)
        return row

    response = serve_photo(request, find, field="file")
    if found and response.status_code == 200:
        attachment = found[0]
        download = attachment.content_type == services.PDF
        header = content_disposition_header(download, download_name(attachment))
        if header:
            response["Content-Disposition"] = header
    return response


# ---------------------------------------------------------------------------------------------
# a branch took it up (shown on tickets and whistles)


@dataclass(frozen=True)
class TaskLine:
    followup: FollowUp
    overdue: bool


@dataclass(frozen=True)
class TakenUpLine:
    meeting: Meeting
    tasks: list[TaskLine]


def taken_up_lines(user: Any, *, ticket: Any = None, whistle: Any = None) -> list[TakenUpLine]:
    """The meetings the user may see that put a ticket (or a whistle) on their agenda or gave
    a task about it, each with those tasks: for `party/meetings/_taken_up.html`. One query
    when there are none (the usual case), so a ticket's page costs one more query only; the
    same links as `selectors_life.taken_up_for_ticket`, read through `visible_to`."""
    link = {"ticket": ticket} if ticket is not None else {"whistle": whistle}
    tasks = FollowUp.objects.filter(**link).select_related("owner").order_by("due_on", "id")
    meetings = (
        Meeting.objects.visible_to(user)
        .filter(
            Q(pk__in=MeetingAgendaItem.objects.filter(**link).values("meeting_id"))
            | Q(pk__in=FollowUp.objects.filter(**link).values("meeting_id"))
        )
        .exclude(state=MeetingState.CANCELLED)
        .select_related("org", "kind")
        .prefetch_related(Prefetch("followups", queryset=tasks, to_attr="linked"))
        .order_by("-planned_at", "-pk")
    )
    today = timezone.localdate()
    return [
        TakenUpLine(
            m,
            [
                TaskLine(f, f.state == FollowUpState.OPEN and f.due_on < today)
                for f in m.linked  # type: ignore[attr-defined]
            ],
        )
        for m in meetings
    ]
