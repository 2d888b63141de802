"""Forms of the meeting pages: the plan, the record sheet (the minutes, entered once by the
recorder, on a phone), the correction, cancelling and follow-up tasks.

The record sheet is one form per part: the facts, one row per expected member, one block per
agenda item with its resolutions, each with its own prefix. What a form can check itself (a
missing reason for leave, votes beyond those present) is shown next to the field; a refusal
from the service lands under the field it names, or on top of its section ("attendance",
"items", "votes").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grassroots.core.errors import DomainError, ValidationFailed

from .life_rules import has_vote
from .models import (
    AgendaSource,
    AttendanceStatus,
    MeetingAgendaItem,
    MeetingKind,
    MeetingRecord,
    MemberStatus,
    PartyMember,
    Resolution,
)
from .services.meetings import AttendanceIn, ItemIn, ResolutionIn

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise as Text  # a label, translated now or lazily

AGENDA_LINES_MAX = 20
ITEMS_MAX = 30
RESOLUTIONS_MAX = 20
VOTES_MAX = 9999
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
REQUIRED = "required"
VOTE_FIELDS = ("votes_for", "votes_against", "votes_abstain")


class LocalDateTimeInput(forms.DateTimeInput):
    """The phone's own date-and-time picker."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class MemberChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        if obj.status == MemberStatus.PROBATIONARY:
            return _("%(name)s（预备党员）") % {"name": obj.name}
        return str(obj.name)


def when_field(label: Text, required_message: Text, **kw: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=DATETIME_FORMATS,
        widget=LocalDateTimeInput(),
        error_messages={
            REQUIRED: required_message,
            "invalid": gettext_lazy("请按“年-月-日 时:分”填写时间。"),
        },
        **kw,
    )


def member_field(label: Text, required_message: Text, **kw: Any) -> MemberChoiceField:
    return MemberChoiceField(
        label=label,
        queryset=PartyMember.objects.none(),
        empty_label=gettext_lazy("请选择"),
        error_messages={
            REQUIRED: required_message,
            "invalid_choice": gettext_lazy("请从名单中选择。"),
        },
        **kw,
    )


def text_field(
    label: Text, limit: int, *, required_message: Text = "", **kw: Any
) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=limit,
        error_messages={
            REQUIRED: required_message or gettext_lazy("请填写此项。"),
            "max_length": gettext_lazy("不能超过 %(limit_value)d 个字。"),
        },
        **kw,
    )


def add_domain_error(
    form: forms.Form, exc: DomainError, *, aliases: dict[str, str] | None = None
) -> None:
    """A service's refusal under the fields it names (`aliases` maps a service's name to the
    form's); the rest on top of the form."""
    unmatched: list[str] = []
    for key, messages in exc.fields.items():
        name = (aliases or {}).get(key, key)
        if name in form.fields and not form.fields[name].widget.is_hidden:
            form.add_error(name, messages)
        else:
            unmatched.extend(messages)
    if unmatched or not exc.fields:
        generic = exc.message == str(ValidationFailed.default_message)
        form.add_error(None, unmatched if generic else [exc.message])


# ---------------------------------------------------------------------------------------------
# the plan


@dataclass(frozen=True)
class Pick:
    """An agenda item the platform suggests (a ticket, a hotspot, a whistle): a checkbox."""

    key: str
    title: str
    source: str  # AgendaSource
    detail: str = ""
    url: str = ""
    on_agenda: bool = False  # the organisation already took it up
    agenda: dict[str, Any] = field(default_factory=dict)  # the AgendaIn arguments

    @property
    def source_label(self) -> str:
        return str(AgendaSource(self.source).label) if self.source in AgendaSource.values else ""


class PlanForm(forms.Form):
    kind = forms.ModelChoiceField(
        label=gettext_lazy("会议类型"),
        queryset=MeetingKind.objects.none(),
        empty_label=gettext_lazy("请选择"),
        error_messages={
            REQUIRED: gettext_lazy("请选择会议类型。"),
            "invalid_choice": gettext_lazy("本组织不召开这类会议，请重新选择。"),
        },
    )
    title = text_field(
        gettext_lazy("会议名称"),
        100,
        required=False,
        help_text=gettext_lazy("不填则按会议类型和日期命名。"),
    )
    planned_at = when_field(gettext_lazy("时间"), gettext_lazy("请填写会议时间。"))
    place = text_field(gettext_lazy("地点"), 100, required=False)
    chair = member_field(gettext_lazy("主持人"), gettext_lazy("请选择主持人。"), required=False)
    recorder = member_field(
        gettext_lazy("记录人"),
        gettext_lazy("请选择记录人。"),
        required=False,
        help_text=gettext_lazy("会后由记录人在手机上填写会议记录。"),
    )
    agenda_text = forms.CharField(
        label=gettext_lazy("议题（每行一个）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    picks = forms.MultipleChoiceField(
        label=gettext_lazy("从治理工作中选取议题"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": gettext_lazy("所选事项已不在候选范围内，请刷新后再选。")},
    )

    def __init__(
        self,
        *args: Any,
        kinds: Iterable[MeetingKind],
        members: Any,
        picks: Sequence[Pick] = (),
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        kind_ids = [k.pk for k in kinds]
        self.fields["kind"].queryset = MeetingKind.objects.filter(pk__in=kind_ids)  # type: ignore[attr-defined]
        self.fields["chair"].queryset = members  # type: ignore[attr-defined]
        self.fields["recorder"].queryset = members  # type: ignore[attr-defined]
        self.pick_list = list(picks)
        self.fields["picks"].choices = [(p.key, p.title) for p in self.pick_list]  # type: ignore[attr-defined]

    def clean_agenda_text(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["agenda_text"].splitlines()]
        lines = [line for line in lines if line]
        if len(lines) > AGENDA_LINES_MAX:
            raise forms.ValidationError(
                _("议题最多 %(n)d 个。") % {"n": AGENDA_LINES_MAX}, code="too_many"
            )
        for line in lines:
            if len(line) > 200:
                raise forms.ValidationError(_("每个议题不能超过 200 个字。"), code="max_length")
        return lines

    def picked(self) -> list[Pick]:
        chosen = set(self.cleaned_data.get("picks") or [])
        return [p for p in self.pick_list if p.key in chosen]


# ---------------------------------------------------------------------------------------------
# the record sheet

ATTENDANCE_CHOICES = [
    (AttendanceStatus.PRESENT.value, gettext_lazy("出席")),
    (AttendanceStatus.EXCUSED.value, gettext_lazy("请假")),
    (AttendanceStatus.ABSENT.value, gettext_lazy("缺席")),
]


class RecordForm(forms.Form):
    """The facts of the meeting; with `correcting`, also the reason for the correction."""

    reason = text_field(
        gettext_lazy("更正原因"),
        500,
        required_message=gettext_lazy("请填写更正原因。"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    held_at = when_field(gettext_lazy("召开时间"), gettext_lazy("请填写召开时间。"))
    place = text_field(gettext_lazy("地点"), 100, required=False)
    chair = member_field(gettext_lazy("主持人"), gettext_lazy("请选择主持人。"))
    recorder = member_field(gettext_lazy("记录人"), gettext_lazy("请选择记录人。"))
    guests = text_field(
        gettext_lazy("列席人员"),
        500,
        required=False,
        help_text=gettext_lazy("不是本组织党员的参会人员，如社区干部、群众代表。"),
    )
    remarks = text_field(
        gettext_lazy("备注"), 2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, members: Any, correcting: bool, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["chair"].queryset = members  # type: ignore[attr-defined]
        self.fields["recorder"].queryset = members  # type: ignore[attr-defined]
        if not correcting:
            del self.fields["reason"]


class AttendanceForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("出席情况"),
        choices=ATTENDANCE_CHOICES,
        widget=forms.RadioSelect,
        error_messages={
            REQUIRED: gettext_lazy("请选择出席、请假或缺席。"),
            "invalid_choice": gettext_lazy("请选择出席、请假或缺席。"),
        },
    )
    reason = text_field(gettext_lazy("请假原因"), 200, required=False)

    def __init__(self, *args: Any, member: PartyMember, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.member = member

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("status") == AttendanceStatus.EXCUSED and not data.get("reason"):
            self.add_error("reason", _("请填写请假原因。"))
        return data


class ItemForm(forms.Form):
    agenda = forms.IntegerField(required=False, widget=forms.HiddenInput)
    title = text_field(gettext_lazy("议题"), 200, required=False)
    minutes = forms.CharField(
        label=gettext_lazy("记录"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": gettext_lazy("记录不能超过 20000 个字。")},
    )


def votes_field(label: Text) -> forms.IntegerField:
    message = gettext_lazy("请填写 0 或以上的整数。")
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=VOTES_MAX,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0}),
        error_messages={"invalid": message, "min_value": message, "max_value": message},
    )


class ResolutionForm(forms.Form):
    text = text_field(
        gettext_lazy("决议内容"), 500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    votes_for = votes_field(gettext_lazy("赞成"))
    votes_against = votes_field(gettext_lazy("反对"))
    votes_abstain = votes_field(gettext_lazy("弃权"))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        votes = [data.get(k) for k in ("votes_for", "votes_against", "votes_abstain")]
        if not data.get("text") and any(v is not None for v in votes):
            self.add_error("text", _("请填写决议内容。"))
        return data

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not data.get("text") and all(
            data.get(k) is None for k in ("votes_for", "votes_against", "votes_abstain")
        )


@dataclass
class ItemBlock:
    index: int
    form: ItemForm
    resolutions: list[ResolutionForm]
    agenda_item: MeetingAgendaItem | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return f"item-{self.index}"

    def is_blank(self) -> bool:
        data = self.form.cleaned_data
        return (
            not data.get("title")
            and not data.get("minutes")
            and all(r.is_blank() for r in self.resolutions)
        )


def _count(data: QueryDict | None, name: str, default: int, limit: int) -> int:
    if data is None:
        return default
    try:
        n = int(data.get(name, default))
    except (TypeError, ValueError):
        return default
    return max(0, min(n, limit))


@dataclass(frozen=True)
class SheetInitial:
    """What the sheet starts from: the plan, or the current version of the record."""

    facts: dict[str, Any]
    attendance: dict[int, tuple[str, str]]  # member pk → status, reason
    items: list[dict[str, Any]]  # title, minutes, agenda (pk), resolutions: [dict]


def initial_from_plan(meeting: Any, agenda: Sequence[MeetingAgendaItem]) -> SheetInitial:
    return SheetInitial(
        facts={
            "held_at": meeting.planned_at,
            "place": meeting.place,
            "chair": meeting.chair_id,
            "recorder": meeting.recorder_id,
        },
        attendance={},
        items=[
            {"title": a.title, "agenda": a.pk, "minutes": "", "resolutions": []} for a in agenda
        ],
    )


def initial_from_record(record: MeetingRecord) -> SheetInitial:
    """A correction starts from the current version: everything as it was recorded."""
    items = []
    for item in record.items.all():
        items.append(
            {
                "title": item.title,
                "minutes": item.minutes,
                "agenda": item.agenda_item_id,
                "resolutions": [_resolution_initial(r) for r in item.resolutions.all()],
            }
        )
    return SheetInitial(
        facts={
            "held_at": record.held_at,
            "place": record.place,
            "chair": record.chair_id,
            "recorder": record.recorder_id,
            "guests": record.guests,
            "remarks": record.remarks,
        },
        attendance={a.member_id: (a.status, a.reason) for a in record.attendance.all()},
        items=items,
    )


def _resolution_initial(r: Resolution) -> dict[str, Any]:
    return {
        "text": r.text,
        "votes_for": r.votes_for,
        "votes_against": r.votes_against,
        "votes_abstain": r.votes_abstain,
    }


_TOKEN = re.compile(r"[A-Za-z_]+|\d+")


class RecordSheet:
    """The whole record form: facts, attendance rows, item blocks with resolutions."""

    def __init__(
        self,
        data: QueryDict | None,
        *,
        members: Sequence[PartyMember],
        choices: Any,
        agenda: Sequence[MeetingAgendaItem],
        initial: SheetInitial,
        correcting: bool = False,
    ) -> None:
        self.correcting = correcting
        self.facts = RecordForm(
            data, members=choices, correcting=correcting, initial=initial.facts, prefix="m"
        )
        self.attendance = [
            AttendanceForm(
                data,
                member=m,
                prefix=f"att-{m.pk}",
                initial=dict(
                    zip(
                        ("status", "reason"),
                        initial.attendance.get(m.pk, (AttendanceStatus.PRESENT, "")),
                        strict=True,
                    )
                ),
            )
            for m in members
        ]
        self.attendance_errors: list[str] = []
        self.items_errors: list[str] = []
        by_pk = {a.pk: a for a in agenda}
        n_items = _count(data, "items", max(len(initial.items), 1), ITEMS_MAX)
        self.items: list[ItemBlock] = []
        for i in range(n_items):
            start = initial.items[i] if i < len(initial.items) else {}
            starts = list(start.get("resolutions", []))
            n_res = _count(data, f"item-{i}-resolutions", len(starts), RESOLUTIONS_MAX)
            form = ItemForm(
                data,
                prefix=f"item-{i}",
                initial={k: start.get(k) for k in ("title", "minutes", "agenda")},
            )
            resolutions = [
                ResolutionForm(
                    data,
                    prefix=f"item-{i}-res-{j}",
                    initial=starts[j] if j < len(starts) else {},
                )
                for j in range(n_res)
            ]
            self.items.append(ItemBlock(i, form, resolutions))
        self._by_agenda = by_pk
        # What the service was given, by its index: a refusal naming "items.0" finds its block.
        self._sent_items: list[ItemBlock] = []
        self._sent_resolutions: dict[int, list[ResolutionForm]] = {}

    def empty_item(self) -> ItemBlock:
        """The block the "添加议题" button copies (prefix item-__i__)."""
        return ItemBlock(-1, ItemForm(prefix="item-__i__"), [])

    def empty_resolution(self) -> ResolutionForm:
        return ResolutionForm(prefix="item-__i__-res-__j__")

    def is_valid(self) -> bool:
        """Every part checked, every problem shown at once."""
        ok = self.facts.is_valid()
        attendance_ok = all([row.is_valid() for row in self.attendance])
        ok = attendance_ok and ok
        for block in self.items:
            ok = block.form.is_valid() and ok
            for r in block.resolutions:
                ok = r.is_valid() and ok
            agenda_pk = block.form.cleaned_data.get("agenda")
            block.agenda_item = self._by_agenda.get(agenda_pk) if agenda_pk else None
            if block.is_blank() or block.form.has_error("title"):
                continue
            if not block.form.cleaned_data.get("title"):
                block.form.add_error("title", _("请填写议题。"))
                ok = False
        return self._check_votes(count=attendance_ok) and ok

    def _check_votes(self, *, count: bool) -> bool:
        """The service refuses these too; here the message lands on the resolution. With
        `count`, the votes are checked against those present with a vote."""
        voting_present = sum(
            1
            for row in self.attendance
            if row.cleaned_data.get("status") == AttendanceStatus.PRESENT and has_vote(row.member)
        )
        ok = True
        for block in self.items:
            for r in block.resolutions:
                votes = [r.cleaned_data.get(k) for k in VOTE_FIELDS]
                given = [v for v in votes if v is not None]
                if given and len(given) < len(votes):
                    for name, value in zip(VOTE_FIELDS, votes, strict=True):
                        if value is None:
                            r.add_error(name, _("请填写票数（没有可填 0）。"))
                    ok = False
                elif count and given and sum(given) > voting_present:
                    r.add_error(
                        None,
                        _("赞成、反对、弃权共 %(n)d 票，超过实到有表决权的 %(present)d 人。")
                        % {"n": sum(given), "present": voting_present},
                    )
                    ok = False
        return ok

    @property
    def has_errors(self) -> bool:
        forms_ = [self.facts, *self.attendance]
        for block in self.items:
            forms_ += [block.form, *block.resolutions]
        return bool(
            self.attendance_errors
            or self.items_errors
            or any(b.errors for b in self.items)
            or any(f.is_bound and f.errors for f in forms_)
        )

    def service_args(self) -> dict[str, Any]:
        """The keyword arguments for meeting_record / meeting_correct."""
        facts = self.facts.cleaned_data
        attendance = [
            AttendanceIn(
                member=row.member,
                status=row.cleaned_data["status"],
                reason=row.cleaned_data["reason"]
                if row.cleaned_data["status"] == AttendanceStatus.EXCUSED
                else "",
            )
            for row in self.attendance
        ]
        items: list[ItemIn] = []
        self._sent_items = []
        self._sent_resolutions = {}
        for block in self.items:
            if block.is_blank():
                continue
            sent = [r for r in block.resolutions if not r.is_blank()]
            self._sent_resolutions[len(items)] = sent
            self._sent_items.append(block)
            items.append(
                ItemIn(
                    title=block.form.cleaned_data["title"],
                    minutes=block.form.cleaned_data["minutes"],
                    agenda_item=block.agenda_item,
                    resolutions=tuple(
                        ResolutionIn(
                            text=r.cleaned_data["text"],
                            votes_for=r.cleaned_data["votes_for"],
                            votes_against=r.cleaned_data["votes_against"],
                            votes_abstain=r.cleaned_data["votes_abstain"],
                        )
                        for r in sent
                    ),
                )
            )
        args: dict[str, Any] = {
            "held_at": facts["held_at"],
            "place": facts["place"],
            "chair": facts["chair"],
            "recorder": facts["recorder"],
            "guests": facts["guests"],
            "remarks": facts["remarks"],
            "attendance": attendance,
            "items": items,
        }
        if self.correcting:
            args["reason"] = facts["reason"]
        return args

    def add_domain_error(self, exc: DomainError) -> None:
        """A service's refusal next to the field it names: a field of the facts ("held_at",
        "chair"), or a section ("attendance", "items", "resolutions", "votes") whose messages
        go on top of it; a path with indexes ("items.0.resolutions.1.votes_for", counting
        what was sent, blank blocks left out) finds its row."""
        unmatched: list[str] = []
        for name, messages in exc.fields.items():
            if not self._place(name, messages):
                unmatched.extend(messages)
        if unmatched or not exc.fields:
            generic = exc.message == str(ValidationFailed.default_message)
            self.facts.add_error(None, unmatched if generic else [exc.message])

    def _place(self, name: str, messages: list[str]) -> bool:
        tokens = _TOKEN.findall(name)
        if not tokens:
            return False
        head, rest = tokens[0], tokens[1:]
        if head in self.facts.fields and not rest:
            self.facts.add_error(head, messages)
            return True
        if head == "attendance":
            row = _nth(self.attendance, rest)
            if row is None:
                self.attendance_errors.extend(messages)
                return True
            _add(row, rest[1:], messages)
            return True
        if head == "items":
            if not rest or not rest[0].isdigit() or int(rest[0]) >= len(self._sent_items):
                self.items_errors.extend(messages)
                return True
            index = int(rest[0])
            block = self._sent_items[index]
            rest = rest[1:]
            if rest and rest[0] == "resolutions":
                res = _nth(self._sent_resolutions.get(index, []), rest[1:])
                if res is None:
                    block.errors.extend(messages)
                else:
                    _add(res, rest[2:], messages)
                return True
            _add(block.form, rest, messages)
            return True
        if head == "resolutions":
            flat = [r for i in sorted(self._sent_resolutions) for r in self._sent_resolutions[i]]
            res = _nth(flat, rest)
            if res is None:
                self.items_errors.extend(messages)
            else:
                _add(res, rest[1:], messages)
            return True
        if head in ("votes_for", "votes_against", "votes_abstain", "votes"):
            self.items_errors.extend(messages)
            return True
        return False


def _nth(rows: Sequence[Any], rest: list[str]) -> Any:
    if not rest or not rest[0].isdigit() or int(rest[0]) >= len(rows):
        return None
    return rows[int(rest[0])]


def _add(form: forms.Form, rest: list[str], messages: list[str]) -> None:
    name = rest[0] if rest else None
    if name == "votes":
        name = "votes_for"
    if name is None or name not in form.fields or form.fields[name].widget.is_hidden:
        form.add_error(None, messages)
    else:
        form.add_error(name, messages)


# ---------------------------------------------------------------------------------------------
# small forms on the minutes page


class CancelForm(forms.Form):
    reason = text_field(
        gettext_lazy("取消原因"), 200, required_message=gettext_lazy("请填写取消原因。")
    )


class FollowUpForm(forms.Form):
    title = text_field(gettext_lazy("任务"), 200, required_message=gettext_lazy("请填写任务。"))
    owner = member_field(gettext_lazy("负责人"), gettext_lazy("请选择负责人。"))
    due_on = forms.DateField(
        label=gettext_lazy("完成期限"),
        widget=DateInput(),
        error_messages={
            REQUIRED: gettext_lazy("请填写完成期限。"),
            "invalid": gettext_lazy("请按“年-月-日”填写日期。"),
        },
    )
    resolution = forms.ModelChoiceField(
        label=gettext_lazy("落实哪项决议"),
        queryset=Resolution.objects.none(),
        required=False,
        empty_label=gettext_lazy("（不对应具体决议）"),
        error_messages={"invalid_choice": gettext_lazy("请从本次会议的决议中选择。")},
    )

    def __init__(self, *args: Any, members: Any, resolutions: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["owner"].queryset = members  # type: ignore[attr-defined]
        self.fields["resolution"].queryset = resolutions  # type: ignore[attr-defined]


class FollowUpDoneForm(forms.Form):
    note = text_field(gettext_lazy("完成情况"), 500, required=False)
