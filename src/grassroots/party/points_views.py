"""Pages of the points ledger (党员积分): "我的积分" on the phone for any member (a grid worker's
or a resident's account), and one member's ledger on the workbench for the staff who see the
member, with the adjustment form for those who may adjust. Reading a page adds no entry."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from grassroots.accounts.models import PHONE_ROLES
from grassroots.accounts.typing import AuthedRequest
from grassroots.core.errors import ValidationFailed
from grassroots.core.pages import keyset_page
from grassroots.core.scoping import get_visible
from grassroots.web.views import scoped_staff_only

from .life_rules import member_of
from .models import PartyMember
from .services.points import (
    ADJUST_MAX,
    REASON_MAX,
    Source,
    adjust_errors,
    entry_source,
    ledger,
    may_adjust,
    points_adjust,
    points_summary,
)

PER_PAGE = 30


def _rows(
    request: AuthedRequest, member: PartyMember, *, phone: bool
) -> tuple[list[tuple[Any, Source]], str | None]:
    """One page of entries with their sources; a cursor that does not read starts over."""
    cursor = request.GET.get("cursor", "")
    try:
        entries, next_cursor = keyset_page(ledger(member), cursor, PER_PAGE)
    except ValidationFailed:
        entries, next_cursor = keyset_page(ledger(member), "", PER_PAGE)
    return [(e, entry_source(e, phone=phone)) for e in entries], next_cursor


@login_required
def mine(request: AuthedRequest) -> HttpResponse:
    """我的积分: the total, this year's, per rule, and every entry with its source."""
    member = member_of(request.user)
    if member is None:
        return render(request, "party/points/not_member.html", {"tab": "me"})
    rows, next_cursor = _rows(request, member, phone=request.user.role in PHONE_ROLES)
    return render(
        request,
        "party/points/mine.html",
        {
            "tab": "me",
            "member": member,
            "summary": points_summary(member),
            "rows": rows,
            "next_cursor": next_cursor,
        },
    )


class AdjustForm(forms.Form):
    points = forms.IntegerField(
        label=gettext_lazy("调整分值"),
        help_text=gettext_lazy("正数加分，负数减分，每次不超过 ±%(n)d 分。") % {"n": ADJUST_MAX},
        error_messages={
            "required": gettext_lazy("请填写调整分值。"),
            "invalid": gettext_lazy("请填写整数分值。"),
        },
        widget=forms.NumberInput(attrs={"step": 1, "inputmode": "numeric"}),
    )
    # Checked with the points by the service's own rules, so every message shows at once.
    reason = forms.CharField(
        label=gettext_lazy("调整原因"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": REASON_MAX}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, errors in adjust_errors(data.get("points"), data.get("reason")).items():
            if name not in self.errors:
                self.add_error(name, errors)
        return data


@login_required
@require_http_methods(["GET", "POST"])
def member_points(request: AuthedRequest, pk: int) -> HttpResponse:
    """One member's ledger for the staff who see the member (another scope's member: 404);
    those who may adjust get the form (a POST from anyone else: 403)."""
    scoped_staff_only(request)
    user = request.user
    member: PartyMember = get_visible(PartyMember.objects.select_related("branch"), user, pk=pk)
    can_adjust = may_adjust(user, member)
    form = AdjustForm()
    status = 200
    if request.method == "POST":
        if not can_adjust:
            raise PermissionDenied
        form = AdjustForm(request.POST)
        if form.is_valid():
            try:
                entry = points_adjust(
                    actor=user,
                    member=member,
                    points=form.cleaned_data["points"],
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
            except ValidationFailed as exc:
                for name, errors in exc.fields.items():
                    form.add_error(name if name in form.fields else None, errors)
                if not exc.fields:
                    form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("已为 %(name)s 调整 %(points)+d 分。")
                    % {"name": member.name, "points": entry.points},
                )
                return redirect("party:points_member", pk=member.pk)
        status = 400
    rows, next_cursor = _rows(request, member, phone=False)
    return render(
        request,
        "party/points/member.html",
        {
            "member": member,
            "summary": points_summary(member),
            "rows": rows,
            "next_cursor": next_cursor,
            "can_adjust": can_adjust,
            "form": form,
        },
        status=status,
    )
