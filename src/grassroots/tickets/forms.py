"""Forms of the request pages. They parse what the browser sends and word the simple messages
(a required field left empty); the rules themselves live in the services, whose field errors
are put back on these forms by `add_service_errors`, so a page shows every message next to the
field it concerns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from grassroots.core.errors import DomainError

from .models import DESCRIPTION_MAX, RequestType, RespondMethod, Satisfaction
from .photos import MAX_PHOTOS
from .services.common import MAX_EXTENSION_WORKING_DAYS, NOTE_MAX, REASON_MAX


def _required(message: Any) -> dict[str, Any]:
    return {"required": message}


def _limit(label: Any, limit: int) -> Any:
    return _("%(label)s不能超过 %(n)d 个字。") % {"label": label, "n": limit}


class MultiplePhotoInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos under one name. Only their number is checked here: the content (JPEG,
    PNG or WebP, at most 10 MB) is checked by `photos.clean_photos` inside the service."""

    widget = MultiplePhotoInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("照片"))
        super().__init__(**kwargs)
        self.widget.attrs.update({"accept": "image/*", "multiple": True})

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_PHOTOS:
            raise ValidationError(_("最多上传 %(n)d 张照片。") % {"n": MAX_PHOTOS})
        return files


class PhoneForm(forms.Form):
    """No colon after labels: the pages put each label on its own line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def add_service_errors(form: forms.Form, exc: DomainError) -> None:
    """A service's errors onto the form: each field's under it; the rest (the ticket's state,
    a concurrent change) at the top, worded by the service's own message when it has one."""
    others: list[str] = []
    for name, errors in exc.fields.items():
        if name in form.fields:
            form.add_error(name, list(errors))
        else:
            others.extend(errors)
    if others or not exc.fields:
        generic = str(type(exc).default_message)
        form.add_error(None, exc.message if exc.message != generic or not others else others)


class ReportForm(PhoneForm):
    """上报: a resident's request, or a grid worker's patrol report (巡查上报)."""

    category = forms.CharField(
        label=_("诉求类别"),
        max_length=32,
        error_messages=_required(_("请选择诉求类别。")),
    )
    request_type = forms.ChoiceField(
        label=_("诉求类型"),
        choices=RequestType.choices,
        initial=RequestType.HELP,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("请选择诉求类型。"),
            "invalid_choice": _("请选择诉求类型。"),
        },
    )
    description = forms.CharField(
        label=_("问题描述"),
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": _("请说明什么问题、在哪里、持续多久了")}
        ),
        error_messages={
            "required": _("请填写问题描述。"),
            "max_length": _limit(_("问题描述"), DESCRIPTION_MAX),
        },
    )
    photos = PhotosField(help_text=_("最多 9 张，可拍照或从相册选择"))
    building = forms.ChoiceField(
        label=_("所在楼栋"),
        required=False,
        error_messages={"invalid_choice": _("请从列表中选择楼栋。")},
    )
    lat = forms.FloatField(
        required=False,
        min_value=-90,
        max_value=90,
        widget=forms.HiddenInput,
        error_messages={"invalid": _("位置坐标不正确。")},
    )
    lon = forms.FloatField(
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.HiddenInput,
        error_messages={"invalid": _("位置坐标不正确。")},
    )
    address = forms.CharField(
        label=_("详细地址"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("如：3号楼东侧路口")}),
        error_messages={"max_length": _limit(_("地址"), 200)},
    )
    anonymous = forms.BooleanField(label=_("对处理人员保密我的联系方式"), required=False)
    idempotency_key = forms.CharField(max_length=80, required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        buildings: Sequence[tuple[str, str]] = (),
        blank_building: Any = "",
        for_resident: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        building = self.fields["building"]
        assert isinstance(building, forms.ChoiceField)
        building.choices = [("", blank_building), *buildings]
        if not for_resident:
            # A patrol report has no requester whose contact could be hidden.
            del self.fields["anonymous"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("lat") is None) != (data.get("lon") is None):
            self.add_error("lat", _("位置坐标不完整，请重新定位。"))
        return data


def _text_field(label: Any, limit: int, *, required: bool = True, rows: int = 3) -> Any:
    return forms.CharField(
        label=label,
        max_length=limit,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={
            "required": _("请填写%(label)s。") % {"label": label},
            "max_length": _limit(label, limit),
        },
    )


class AcceptForm(PhoneForm):
    """签收: nothing to fill in."""


class RespondForm(PhoneForm):
    method = forms.ChoiceField(
        label=_("联系方式"),
        choices=RespondMethod.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("请选择联系方式。"),
            "invalid_choice": _("请选择联系方式。"),
        },
    )
    note = _text_field(_("联系情况"), NOTE_MAX, required=False)


class ReturnForm(PhoneForm):
    reason = _text_field(_("退单理由"), REASON_MAX)


class ExtendForm(PhoneForm):
    reason = _text_field(_("延期理由"), REASON_MAX)
    working_days = forms.IntegerField(
        label=_("延期工作日"),
        min_value=1,
        max_value=MAX_EXTENSION_WORKING_DAYS,
        initial=3,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": _("请填写延期天数。"),
            "invalid": _("请填写整数天数。"),
            "min_value": _("延期须为 1 至 %(n)d 个工作日。") % {"n": MAX_EXTENSION_WORKING_DAYS},
            "max_value": _("延期须为 1 至 %(n)d 个工作日。") % {"n": MAX_EXTENSION_WORKING_DAYS},
        },
    )


class ResolveForm(PhoneForm):
    result = _text_field(_("办理结果"), NOTE_MAX, rows=4)
    photos = PhotosField(label=_("现场照片"), help_text=_("最多 9 张，可直接拍照"))


class AnswerSupervisionForm(PhoneForm):
    note = _text_field(_("回复内容"), NOTE_MAX)


YES_NO = [("1", _("是")), ("0", _("否"))]


def _yes_no(label: Any, required_message: Any) -> Any:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        error_messages={"required": required_message, "invalid_choice": required_message},
    )


class ReviewForm(PhoneForm):
    contacted = _yes_no(_("办理人员联系过您吗？"), _("请选择办理人员是否联系过您。"))
    solved = _yes_no(_("问题解决了吗？"), _("请选择问题是否解决。"))
    satisfaction = forms.ChoiceField(
        label=_("您对办理结果"),
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("请选择满意、基本满意或不满意。"),
            "invalid_choice": _("请选择满意、基本满意或不满意。"),
        },
    )
    comment = _text_field(_("评价"), REASON_MAX, required=False, rows=2)


class ReopenForm(PhoneForm):
    reason = _text_field(_("重办理由"), REASON_MAX)


ACTION_FORMS: dict[str, type[PhoneForm]] = {
    "accept": AcceptForm,
    "respond": RespondForm,
    "return": ReturnForm,
    "extend": ExtendForm,
    "resolve": ResolveForm,
    "answer-supervision": AnswerSupervisionForm,
}
REQUESTER_FORMS: dict[str, type[PhoneForm]] = {"review": ReviewForm, "reopen": ReopenForm}
