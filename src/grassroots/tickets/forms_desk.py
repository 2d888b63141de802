"""Forms of the workbench request pages: the list filters, the dispatch desk's unit choice, and
one form per action on a ticket.

The forms only parse what was posted (text, choices, numbers, files); the rules live in the
services, which answer with field-level Chinese messages that `ActionForm.add_domain_error`
puts under the right field. An action's `run` calls exactly one service and returns the
message shown after it succeeded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grassroots.core.errors import DomainError, ValidationFailed
from grassroots.territory.models import Area, Department

from . import services
from .models import RespondMethod, Satisfaction, Ticket, TicketState
from .photos import MAX_PHOTOS
from .selectors import TicketFilters, category_tree, tickets_for

NOTE_WIDGET = forms.Textarea(attrs={"rows": 2})
YES_NO = [("", gettext_lazy("请选择")), ("yes", gettext_lazy("是")), ("no", gettext_lazy("否"))]
ANY_YES_NO = [("", gettext_lazy("不限")), ("yes", gettext_lazy("是")), ("no", gettext_lazy("否"))]


def yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


# ---------------------------------------------------------------------------------------------
# handling units


Unit = Area | Department


def unit_key(unit: Unit) -> str:
    """The value of a unit in a select: areas and departments are numbered apart."""
    return f"area-{unit.pk}" if isinstance(unit, Area) else f"dept-{unit.pk}"


@dataclass(frozen=True)
class UnitGroup:
    label: str
    units: list[tuple[str, str]]  # (value, label)


@dataclass
class UnitChoices:
    """The units a select offers, grouped (a community with its grids, the street, the
    departments), and the objects behind the values."""

    groups: list[UnitGroup]
    units: dict[str, Unit]

    def __bool__(self) -> bool:
        return bool(self.units)

    @property
    def choices(self) -> list[Any]:
        return [(g.label, g.units) for g in self.groups]


class UnitField(forms.ChoiceField):
    default_error_messages = {
        "required": gettext_lazy("请选择承办单位。"),
        "invalid_choice": gettext_lazy("请选择承办单位。"),
    }


# ---------------------------------------------------------------------------------------------
# actions on one ticket


class ActionForm(forms.Form):
    """One action on a ticket. Subclasses name their action slug (as in
    `selectors.available_actions`), title and button, and call one service in `run`."""

    action: ClassVar[str]
    title: ClassVar[str | Promise]
    button: ClassVar[str | Promise]
    multipart: ClassVar[bool] = False
    # Shown open on the page; the others (rarer, or weighty) open on a click.
    primary: ClassVar[bool] = True

    def __init__(
        self, *args: Any, ticket: Ticket, actor: Any, units: UnitChoices | None = None, **kw: Any
    ) -> None:
        # Field ids carry the action, so that several forms on one page keep distinct labels.
        kw.setdefault("auto_id", f"{self.action}-%s")
        kw.setdefault("label_suffix", "")
        super().__init__(*args, **kw)
        self.ticket = ticket
        self.actor = actor
        self.units = units

    def run(self, *, request: HttpRequest | None) -> str:
        raise NotImplementedError

    def add_domain_error(self, exc: DomainError) -> None:
        """A service's refusal, under the fields it names; what names no field of this form
        goes on top of the form, with the service's own sentence when it has one."""
        unmatched: list[str] = []
        for name, messages in exc.fields.items():
            if name in self.fields:
                self.add_error(name, messages)
            else:
                unmatched.extend(messages)
        if unmatched or not exc.fields:
            generic = exc.message == str(ValidationFailed.default_message)
            self.add_error(None, unmatched if generic else [exc.message])


class DispatchForm(ActionForm):
    action = "dispatch"
    title = gettext_lazy("派单")
    button = gettext_lazy("派出")
    to = UnitField(label=gettext_lazy("承办单位"))
    note = forms.CharField(
        label=gettext_lazy("派单说明（选填）"), required=False, widget=NOTE_WIDGET
    )

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        assert self.units is not None
        self.fields["to"].choices = [("", _("请选择承办单位")), *self.units.choices]  # type: ignore[attr-defined]

    def run(self, *, request: HttpRequest | None) -> str:
        assert self.units is not None
        unit = self.units.units[self.cleaned_data["to"]]
        services.ticket_dispatch(
            actor=self.actor,
            ticket=self.ticket,
            to=unit,
            note=self.cleaned_data["note"],
            request=request,
        )
        return _("已派给%(unit)s。") % {"unit": unit}


class RejectForm(ActionForm):
    action = "reject"
    title = gettext_lazy("不予受理")
    button = gettext_lazy("不予受理")
    primary = False
    reason = forms.CharField(
        label=gettext_lazy("理由"), required=False, max_length=500, widget=NOTE_WIDGET
    )
    redirect = forms.CharField(
        label=gettext_lazy("建议渠道（告诉诉求人应去哪里办）"), required=False, max_length=200
    )

    def run(self, *, request: HttpRequest | None) -> str:
        services.ticket_reject(
            actor=self.actor,
            ticket=self.ticket,
            reason=self.cleaned_data["reason"],
            redirect=self.cleaned_data["redirect"],
            request=request,
        )
        return _("已作不予受理处理，并告知诉求人。")


class MergeForm(ActionForm):
    action = "merge"
    title = gettext_lazy("合并重复工单")
    button = gettext_lazy("合并")
    primary = False
    into = forms.CharField(
        label=gettext_lazy("并入工单号"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"placeholder": "GR-20260101-000001"}),
    )
    note = forms.CharField(label=gettext_lazy("说明（选填）"), required=False, widget=NOTE_WIDGET)

    def run(self, *, request: HttpRequest | None) -> str:
        number = self.cleaned_data["into"].strip()
        into = tickets_for(self.actor).filter(number=number).first() if number else None
        if number and into is None:
            raise ValidationFailed(
                fields={"into": [_("没有找到工单 %(number)s，请核对工单号。") % {"number": number}]}
            )
        services.ticket_merge(
            actor=self.actor,
            ticket=self.ticket,
            into=into,
            note=self.cleaned_data["note"],
            request=request,
        )
        return _("已并入 %(number)s，诉求人将随该工单收到进展。") % {"number": number}


class DecideExtensionForm(ActionForm):
    action = "approve-extension"
    title = gettext_lazy("审批延期")
    button = gettext_lazy("提交审批")
    approve = forms.ChoiceField(
        label=gettext_lazy("审批结果"),
        choices=[("yes", gettext_lazy("同意延期")), ("no", gettext_lazy("不同意"))],
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("请选择同意或不同意。"),
            "invalid_choice": gettext_lazy("请选择同意或不同意。"),
        },
    )
    note = forms.CharField(
        label=gettext_lazy("审批意见（不同意时必填）"), required=False, widget=NOTE_WIDGET
    )

    def run(self, *, request: HttpRequest | None) -> str:
        approve = self.cleaned_data["approve"] == "yes"
        services.ticket_decide_extension(
            actor=self.actor,
            ticket=self.ticket,
            approve=approve,
            note=self.cleaned_data["note"],
            request=request,
        )
        return _("已同意延期，办结时限已顺延。") if approve else _("已不同意延期，时限不变。")


class AcceptForm(ActionForm):
    action = "accept"
    title = gettext_lazy("签收")
    button = gettext_lazy("签收")

    def run(self, *, request: HttpRequest | None) -> str:
        services.ticket_accept(actor=self.actor, ticket=self.ticket, request=request)
        return _("已签收。请尽快联系诉求人。")


class RespondForm(ActionForm):
    action = "respond"
    title = gettext_lazy("登记联系诉求人")
    button = gettext_lazy("登记联系")
    method = forms.ChoiceField(
        label=gettext_lazy("联系方式"),
        required=False,
        choices=[("", gettext_lazy("请选择")), *RespondMethod.choices],
    )
    note = forms.CharField(label=gettext_lazy("联系情况"), required=False, widget=NOTE_WIDGET)

    def run(self, *, request: HttpRequest | None) -> str:
        services.ticket_respond(
            actor=self.actor,
            ticket=self.ticket,
            method=self.cleaned_data["method"],
            note=self.cleaned_data["note"],
            request=request,
        )
        return _("已登记联系情况，工单进入办理中。")


class ReturnForm(ActionForm):
    action = "return"
    title = gettext_lazy("退单")
    button = gettext_lazy("退回派单台")
    primary = False
    reason = forms.CharField(label=gettext_lazy("退单理由"), required=False, widget=NOTE_WIDGET)

    def run(self, *, request: HttpRequest | None) -> str:
        services.ticket_return(
            actor=self.actor,
            ticket=self.ticket,
            reason=self.cleaned_data["reason"],
            request=request,
        )
        return _("已退回派单台。")


class ExtendForm(ActionForm):
    action = "extend"
    title = gettext_lazy("申请延期")
    button = gettext_lazy("提交申请")
    primary = False
    working_days = forms.IntegerField(
        label=gettext_lazy("延期工作日"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "max": 10, "style": "width:6rem"}),
        error_messages={"invalid": gettext_lazy("请填写 1 至 10 之间的整数。")},
    )
    reason = forms.CharField(label=gettext_lazy("延期理由"), required=False, widget=NOTE_WIDGET)

    def run(self, *, request: HttpRequest | None) -> str:
        services.ticket_request_extension(
            actor=self.actor,
            ticket=self.ticket,
            reason=self.cleaned_data["reason"],
            working_days=self.cleaned_data["working_days"],  # None: the service says what
            request=request,
        )
        return _("已提交延期申请，等待派单人员审批。")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several files from one input; their content is checked by the service."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        )
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ResolveForm(ActionForm):
    action = "resolve"
    title = gettext_lazy("办结")
    button = gettext_lazy("办结")
    multipart = True
    result = forms.CharField(
        label=gettext_lazy("办理结果"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = PhotosField(label=gettext_lazy("现场照片（选填）"), required=False)

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["photos"].help_text = _(
            "最多 %(n)d 张，JPG、PNG 或 WebP，每张不超过 10 MB。"
        ) % {"n": MAX_PHOTOS}

    def run(self, *, request: HttpRequest | None) -> str:
        services.ticket_resolve(
            actor=self.actor,
            ticket=self.ticket,
            result=self.cleaned_data["result"],
            photos=self.cleaned_data["photos"],
            request=request,
        )
        return _("已办结，等待回访评价。")


class ReviewForm(ActionForm):
    action = "review"
    title = gettext_lazy("回访评价")
    button = gettext_lazy("提交回访")
    valid = forms.BooleanField(
        label=gettext_lazy("已联系上诉求人（有效回访）"),
        required=False,
        initial=True,
        help_text=gettext_lazy("联系不上时取消勾选：工单结案，本次回访不计入三率。"),
    )
    contacted = forms.ChoiceField(
        label=gettext_lazy("办理人员是否联系过诉求人"), required=False, choices=YES_NO
    )
    solved = forms.ChoiceField(label=gettext_lazy("问题是否解决"), required=False, choices=YES_NO)
    satisfaction = forms.ChoiceField(
        label=gettext_lazy("满意度"),
        required=False,
        choices=[("", gettext_lazy("请选择")), *Satisfaction.choices],
    )
    comment = forms.CharField(
        label=gettext_lazy("评价（选填）"), required=False, widget=NOTE_WIDGET
    )

    def run(self, *, request: HttpRequest | None) -> str:
        data = self.cleaned_data
        review = services.ticket_review(
            actor=self.actor,
            ticket=self.ticket,
            contacted=yes_no(data["contacted"]),
            solved=yes_no(data["solved"]),
            satisfaction=data["satisfaction"],
            comment=data["comment"],
            valid=data["valid"],
            request=request,
        )
        if not review.is_valid:
            return _("已记录无效回访，工单结案。")
        if not review.solved:
            return _("已记录回访：未解决，工单退回原承办单位重办。")
        return _("已记录回访，工单结案。")


class ReopenForm(ActionForm):
    action = "reopen"
    title = gettext_lazy("重办")
    button = gettext_lazy("要求重办")
    primary = False
    reason = forms.CharField(label=gettext_lazy("重办理由"), required=False, widget=NOTE_WIDGET)

    def run(self, *, request: HttpRequest | None) -> str:
        services.ticket_reopen(
            actor=self.actor,
            ticket=self.ticket,
            reason=self.cleaned_data["reason"],
            request=request,
        )
        return _("已要求原承办单位重办，时限重新计算。")


class SuperviseForm(ActionForm):
    action = "supervise"
    title = gettext_lazy("督办")
    button = gettext_lazy("督办")
    primary = False
    note = forms.CharField(label=gettext_lazy("督办意见"), required=False, widget=NOTE_WIDGET)

    def run(self, *, request: HttpRequest | None) -> str:
        services.ticket_supervise(
            actor=self.actor, ticket=self.ticket, note=self.cleaned_data["note"], request=request
        )
        return _("已督办，承办单位须回复。")


class AnswerSupervisionForm(ActionForm):
    action = "answer-supervision"
    title = gettext_lazy("回复督办")
    button = gettext_lazy("回复")
    note = forms.CharField(
        label=gettext_lazy("回复内容（正在做什么、何时办结）"), required=False, widget=NOTE_WIDGET
    )

    def run(self, *, request: HttpRequest | None) -> str:
        services.ticket_answer_supervision(
            actor=self.actor, ticket=self.ticket, note=self.cleaned_data["note"], request=request
        )
        return _("已回复督办。")


ACTION_FORMS: dict[str, type[ActionForm]] = {
    form.action: form
    for form in (
        DispatchForm,
        RejectForm,
        MergeForm,
        DecideExtensionForm,
        AcceptForm,
        RespondForm,
        ReturnForm,
        ExtendForm,
        AnswerSupervisionForm,
        ResolveForm,
        ReviewForm,
        ReopenForm,
        SuperviseForm,
    )
}


# ---------------------------------------------------------------------------------------------
# the dispatch desk's bulk bar and the list filters


class BulkDispatchForm(forms.Form):
    """Several tickets at once: to one chosen unit, or each to its suggested unit."""

    MODES = [
        ("chosen", gettext_lazy("派给所选单位")),
        ("suggested", gettext_lazy("按建议单位派出")),
    ]
    numbers = forms.MultipleChoiceField(
        error_messages={
            "required": gettext_lazy("请先勾选要派出的工单。"),
            "invalid_choice": gettext_lazy("所选工单已不在派单台上，请刷新后再试。"),
        }
    )
    mode = forms.ChoiceField(
        choices=MODES, error_messages={"required": gettext_lazy("请选择派单方式。")}
    )
    to = UnitField(label=gettext_lazy("承办单位"), required=False)

    def __init__(self, *args: Any, numbers: Sequence[str], units: UnitChoices, **kw: Any) -> None:
        kw.setdefault("auto_id", "bulk-%s")
        kw.setdefault("label_suffix", "")
        super().__init__(*args, **kw)
        self.units = units
        self.fields["numbers"].choices = [(n, n) for n in numbers]  # type: ignore[attr-defined]
        self.fields["to"].choices = [("", _("请选择承办单位")), *units.choices]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("mode") == "chosen" and not data.get("to"):
            self.add_error("to", _("请选择承办单位。"))
        return data

    @property
    def unit(self) -> Unit | None:
        key = self.cleaned_data.get("to") or ""
        return self.units.units.get(key)


class TicketFilterForm(forms.Form):
    """The list filters (GET). Every field is optional; the quick tabs set one of them."""

    state = forms.ChoiceField(
        label=gettext_lazy("状态"),
        required=False,
        choices=[("", gettext_lazy("全部状态")), *TicketState.choices],
        error_messages={"invalid_choice": gettext_lazy("没有这个状态。")},
    )
    category = forms.ChoiceField(
        label=gettext_lazy("类别"),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("没有这个类别。")},
    )
    unit = forms.CharField(
        label=gettext_lazy("承办单位编码"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("如 S1C1GA")}),
    )
    overdue = forms.ChoiceField(label=gettext_lazy("超期"), required=False, choices=ANY_YES_NO)
    supervised = forms.ChoiceField(label=gettext_lazy("督办"), required=False, choices=ANY_YES_NO)
    extension = forms.ChoiceField(
        label=gettext_lazy("延期"),
        required=False,
        choices=[("", gettext_lazy("不限")), ("pending", gettext_lazy("待审批"))],
    )
    created_after = forms.DateField(
        label=gettext_lazy("提交日期从"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": gettext_lazy("请填写正确的日期，如 2026-01-31。")},
    )
    created_before = forms.DateField(
        label=gettext_lazy("提交日期至"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": gettext_lazy("请填写正确的日期，如 2026-01-31。")},
    )
    number = forms.CharField(
        label=gettext_lazy("工单号"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "GR-…"}),
    )

    def __init__(self, *args: Any, **kw: Any) -> None:
        kw.setdefault("auto_id", "f-%s")
        kw.setdefault("label_suffix", "")
        super().__init__(*args, **kw)
        # The whole catalogue, a group before what is under it (one query).
        nodes = category_tree()
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            ("", _("全部类别")),
            *[(c.code, "\u3000" * (c.depth - 1) + c.name) for c in nodes],
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        after: date | None = data.get("created_after")
        before: date | None = data.get("created_before")
        if after and before and after > before:
            self.add_error("created_before", _("结束日期不能早于开始日期。"))
        return data

    def filters(self) -> TicketFilters:
        data = self.cleaned_data
        return TicketFilters(
            state=data.get("state") or "",
            category=data.get("category") or "",
            unit=(data.get("unit") or "").strip(),
            overdue=yes_no(data.get("overdue") or ""),
            supervised=yes_no(data.get("supervised") or ""),
            created_after=data.get("created_after"),
            created_before=data.get("created_before"),
            number=(data.get("number") or "").strip(),
        )

    @property
    def pending_extension(self) -> bool:
        return self.cleaned_data.get("extension") == "pending"
