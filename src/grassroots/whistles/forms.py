"""Forms of the 吹哨报到 pages: blowing a whistle, the actions on a whistle (each side's), and
the 核查 of a flag.

The forms parse what was posted; the rules live in the services, whose field-level Chinese
messages `WhistleForm.add_domain_error` puts under the right field. An action's `run` calls
exactly one service and returns the message shown after it succeeded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grassroots.core.errors import DomainError, ValidationFailed
from grassroots.territory.models import Department
from grassroots.tickets.forms_desk import PhotosField
from grassroots.tickets.photos import MAX_PHOTOS, clean_photos

from . import services
from .models import Flag, ReportMode, Summons, Whistle, WhistleKind, WhistleReason

NOTE_WIDGET = forms.Textarea(attrs={"rows": 2})
SCORES = [("", gettext_lazy("请打分")), *[(str(n), str(n)) for n in range(5, 0, -1)]]


def report_in_time(kind: str) -> str:
    """How long a department has to report in for a kind of whistle (settings: WHISTLE_*)."""
    if kind == WhistleKind.EMERGENCY:
        return _("%(n)d 分钟内报到") % {"n": settings.WHISTLE_EMERGENCY_MINUTES}
    if kind == WhistleKind.TOUGH:
        return _("%(n)d 小时内报到") % {"n": settings.WHISTLE_TOUGH_HOURS}
    return _("%(n)d 个工作日内报到") % {"n": settings.WHISTLE_ROUTINE_WORKING_DAYS}


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """A service's refusal under the fields it names; what names no field of the form goes on
    top of it, with the service's own sentence when it has one."""
    unmatched: list[str] = []
    for name, messages in exc.fields.items():
        if name in form.fields and not form.fields[name].widget.is_hidden:
            form.add_error(name, messages)
        else:
            unmatched.extend(messages)
    if unmatched or not exc.fields:
        generic = exc.message == str(ValidationFailed.default_message)
        form.add_error(None, unmatched if generic else [exc.message])


class DomainErrorsForm(forms.Form):
    def add_domain_error(self, exc: DomainError) -> None:
        add_domain_error(self, exc)


# ---------------------------------------------------------------------------------------------
# blowing


class BlowForm(DomainErrorsForm):
    kind = forms.ChoiceField(
        label=gettext_lazy("哨类"),
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("请选择哨类：日常哨、攻坚哨或应急哨。"),
            "invalid_choice": gettext_lazy("请选择哨类：日常哨、攻坚哨或应急哨。"),
        },
    )
    reason = forms.ChoiceField(
        label=gettext_lazy("吹哨事由"),
        widget=forms.RadioSelect,
        choices=WhistleReason.choices,
        error_messages={
            "required": gettext_lazy("请选择吹哨事由。"),
            "invalid_choice": gettext_lazy("请选择吹哨事由。"),
        },
    )
    title = forms.CharField(
        label=gettext_lazy("事项（选填）"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": services.TITLE_MAX}),
        help_text=gettext_lazy("一句话说清要办的事；不填时取工单类别或情况说明的开头。"),
    )
    description = forms.CharField(
        label=gettext_lazy("情况说明"),
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": services.DESCRIPTION_MAX}),
        error_messages={"required": gettext_lazy("请填写情况说明。")},
    )
    address = forms.CharField(
        label=gettext_lazy("地点"),
        widget=forms.TextInput(attrs={"maxlength": services.ADDRESS_MAX}),
        error_messages={"required": gettext_lazy("请填写地点。")},
    )
    departments = forms.MultipleChoiceField(
        label=gettext_lazy("召集部门"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": gettext_lazy("请至少选择一个要召集的部门。"),
            "invalid_choice": gettext_lazy("所选部门不存在、已停用或不在本区。"),
        },
    )
    photos = PhotosField(label=gettext_lazy("现场照片（选填）"), required=False)
    ticket = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, departments: Sequence[Department], **kw: Any) -> None:
        kw.setdefault("auto_id", "blow-%s")
        kw.setdefault("label_suffix", "")
        super().__init__(*args, **kw)
        self.fields["kind"].choices = [  # type: ignore[attr-defined]
            (value, _("%(kind)s（%(time)s）") % {"kind": label, "time": report_in_time(value)})
            for value, label in (
                (WhistleKind.EMERGENCY, WhistleKind.EMERGENCY.label),
                (WhistleKind.TOUGH, WhistleKind.TOUGH.label),
                (WhistleKind.ROUTINE, WhistleKind.ROUTINE.label),
            )
        ]
        groups: dict[str, list[tuple[str, str]]] = {}
        for department in departments:
            groups.setdefault(department.area.name, []).append(
                (str(department.pk), department.name)
            )
        self.fields["departments"].choices = list(groups.items())  # type: ignore[attr-defined]
        self.fields["photos"].help_text = _(
            "最多 %(n)d 张，JPG、PNG 或 WebP，每张不超过 10 MB。"
        ) % {"n": MAX_PHOTOS}

    def run(self, *, actor: Any, ticket: Any, request: HttpRequest | None) -> Whistle:
        data = self.cleaned_data
        photos = clean_photos(data["photos"])
        return services.whistle_blow(
            actor=actor,
            kind=data["kind"],
            reason=data["reason"],
            title=data["title"],
            description=data["description"],
            address=data["address"],
            departments=data["departments"],
            ticket=ticket,
            photos=photos,
            request=request,
        )


# ---------------------------------------------------------------------------------------------
# actions on a whistle


class WhistleActionForm(DomainErrorsForm):
    """One action on a whistle, for one summoned department (`per_summons`) or for the whole
    whistle. Subclasses name their action (as in `selectors.Actions`), title, button and the
    service they call."""

    action: ClassVar[str]
    title: ClassVar[str | Promise]
    button: ClassVar[str | Promise]
    per_summons: ClassVar[bool] = True
    multipart: ClassVar[bool] = False
    primary: ClassVar[bool] = True  # shown open; the others open on a click
    warning: ClassVar[str | Promise] = ""

    def __init__(
        self, *args: Any, whistle: Whistle, summons: Summons | None, actor: Any, **kw: Any
    ) -> None:
        target = summons.department_id if summons is not None else "all"
        # Ids carry the action and the department: several forms on one page keep their labels.
        kw.setdefault("auto_id", f"{self.action}-{target}-%s")
        kw.setdefault("label_suffix", "")
        super().__init__(*args, **kw)
        self.whistle = whistle
        self.summons = summons
        self.actor = actor

    @property
    def anchor(self) -> str:
        target = self.summons.department_id if self.summons is not None else "all"
        return f"{self.action}-{target}"

    @property
    def the_summons(self) -> Summons:
        assert self.summons is not None
        return self.summons

    def run(self, *, request: HttpRequest | None) -> str:
        raise NotImplementedError


class ReportInForm(WhistleActionForm):
    action = "report_in"
    title = gettext_lazy("报到")
    button = gettext_lazy("报到")
    mode = forms.ChoiceField(
        label=gettext_lazy("报到方式"),
        required=False,
        choices=ReportMode.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": gettext_lazy("请选择报到方式：到现场或远程对接。")},
    )
    commitment = forms.CharField(
        label=gettext_lazy("承诺事项"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": services.COMMITMENT_MAX}),
        help_text=gettext_lazy("本部门做什么、何时办好。"),
    )

    def run(self, *, request: HttpRequest | None) -> str:
        summons = services.summons_report_in(
            actor=self.actor,
            summons=self.the_summons,
            mode=self.cleaned_data["mode"],
            commitment=self.cleaned_data["commitment"],
            request=request,
        )
        if summons.on_time is False:
            return _("已报到。本次报到已超过时限，将记入部门考核。")
        return _("已报到。请按承诺办理，并随时记录处置情况。")


class ActForm(WhistleActionForm):
    action = "act"
    title = gettext_lazy("记录处置情况")
    button = gettext_lazy("提交")
    multipart = True
    note = forms.CharField(
        label=gettext_lazy("处置情况"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": services.NOTE_MAX}),
    )
    photos = PhotosField(label=gettext_lazy("现场照片（选填）"), required=False)

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["photos"].help_text = _("最多 %(n)d 张，每张不超过 10 MB。") % {"n": MAX_PHOTOS}

    def run(self, *, request: HttpRequest | None) -> str:
        photos = clean_photos(self.cleaned_data["photos"])
        services.summons_action(
            actor=self.actor,
            summons=self.the_summons,
            note=self.cleaned_data["note"],
            photos=photos,
            request=request,
        )
        return _("已记录处置情况。")


class WithdrawForm(WhistleActionForm):
    action = "withdraw"
    title = gettext_lazy("撤离")
    button = gettext_lazy("确认撤离")
    primary = False
    warning = gettext_lazy(
        "“事不完、人不撤”：未经吹哨方确认解决或放行就撤离，将记为“未经确认撤离”，计入部门考核。"
    )
    note = forms.CharField(
        label=gettext_lazy("撤离原因"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": services.NOTE_MAX}),
    )

    def run(self, *, request: HttpRequest | None) -> str:
        services.summons_withdraw(
            actor=self.actor, summons=self.the_summons, note=self.cleaned_data["note"],
            request=request,
        )  # fmt: skip
        return _("已撤离，已记为未经确认撤离。")


class RateWhistleForm(WhistleActionForm):
    action = "rate_whistle"
    title = gettext_lazy("评价这次吹哨")
    button = gettext_lazy("提交评价")
    primary = False
    necessary = forms.ChoiceField(
        label=gettext_lazy("这次吹哨是否确有必要"),
        required=False,
        choices=[("yes", gettext_lazy("确有必要")), ("no", gettext_lazy("没有必要"))],
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": gettext_lazy("请选择这次吹哨是否确有必要。")},
    )
    comment = forms.CharField(
        label=gettext_lazy("说明（选“没有必要”时必填）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": services.NOTE_MAX}),
    )

    def run(self, *, request: HttpRequest | None) -> str:
        services.whistle_rate(
            actor=self.actor,
            summons=self.the_summons,
            necessary={"yes": True, "no": False}.get(self.cleaned_data["necessary"]),
            comment=self.cleaned_data["comment"],
            request=request,
        )
        return _("已提交对这次吹哨的评价。")


class ReleaseForm(WhistleActionForm):
    action = "release"
    title = gettext_lazy("放行")
    button = gettext_lazy("放行该部门")
    primary = False
    note = forms.CharField(
        label=gettext_lazy("放行说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": services.NOTE_MAX}),
        help_text=gettext_lazy("该部门的事已办完，或召集的部门不对。"),
    )

    def run(self, *, request: HttpRequest | None) -> str:
        services.summons_release(
            actor=self.actor, summons=self.the_summons, note=self.cleaned_data["note"],
            request=request,
        )  # fmt: skip
        return _("已放行%(dept)s。") % {"dept": self.the_summons.department}


class RateDepartmentForm(WhistleActionForm):
    action = "rate_department"
    title = gettext_lazy("评价部门")
    button = gettext_lazy("提交评价")
    # Plain text behind a select: the service judges the score (1–5) and says what is wrong.
    timeliness = forms.CharField(
        label=gettext_lazy("响应及时"), required=False, widget=forms.Select(choices=SCORES)
    )
    attitude = forms.CharField(
        label=gettext_lazy("工作态度"), required=False, widget=forms.Select(choices=SCORES)
    )
    result = forms.CharField(
        label=gettext_lazy("处置效果"), required=False, widget=forms.Select(choices=SCORES)
    )
    comment = forms.CharField(
        label=gettext_lazy("评语（选填）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": services.NOTE_MAX}),
    )

    def run(self, *, request: HttpRequest | None) -> str:
        data = self.cleaned_data
        services.department_rate(
            actor=self.actor,
            summons=self.the_summons,
            timeliness=data["timeliness"],
            attitude=data["attitude"],
            result=data["result"],
            comment=data["comment"],
            request=request,
        )
        return _("已评价%(dept)s。") % {"dept": self.the_summons.department}


class ConfirmForm(WhistleActionForm):
    action = "confirm"
    title = gettext_lazy("确认问题已解决")
    button = gettext_lazy("确认解决")
    per_summons = False
    note = forms.CharField(
        label=gettext_lazy("确认说明（选填）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": services.NOTE_MAX}),
        help_text=gettext_lazy("确认后，各部门的召集一并结束；尚未报到的部门不再等待。"),
    )

    def run(self, *, request: HttpRequest | None) -> str:
        services.whistle_confirm(
            actor=self.actor, whistle=self.whistle, note=self.cleaned_data["note"],
            request=request,
        )  # fmt: skip
        return _("已确认问题解决，各部门召集结束。")


ACTION_FORMS: dict[str, type[WhistleActionForm]] = {
    form.action: form
    for form in (
        ReportInForm,
        ActForm,
        WithdrawForm,
        RateWhistleForm,
        ReleaseForm,
        RateDepartmentForm,
        ConfirmForm,
    )
}
# The order forms take on a department's card: the pressing ones first.
DEPARTMENT_SIDE = ("report_in", "act", "rate_whistle", "withdraw")
WHISTLER_SIDE = ("rate_department", "release")


# ---------------------------------------------------------------------------------------------
# supervision


class FlagClearForm(DomainErrorsForm):
    note = forms.CharField(
        label=gettext_lazy("核查说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": services.NOTE_MAX}),
    )

    def __init__(self, *args: Any, flag: Flag, **kw: Any) -> None:
        kw.setdefault("auto_id", f"flag-{flag.pk}-%s")
        kw.setdefault("label_suffix", "")
        super().__init__(*args, **kw)
        self.flag = flag
