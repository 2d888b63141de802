"""Workbench page of the regional alliance: the member units (驻区单位) the user may see."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from grassroots.accounts.typing import AuthedRequest
from grassroots.party.models import PartyOrg
from grassroots.web.views import scoped_staff_only

from .models import MemberUnit, MemberUnitKind

UNITS_PER_PAGE = 50


class UnitFilter(forms.Form):
    kind = forms.ChoiceField(
        label=_("类型"),
        required=False,
        choices=[("", _("全部类型")), *MemberUnitKind.choices],
    )


def units_for(user: Any, *, kind: str = "") -> QuerySet[MemberUnit]:
    """Visible member units with their visible party organisations, in two queries per page.
    (A selector; it would live in alliance/selectors.py once the app has one.)"""
    qs = (
        MemberUnit.objects.visible_to(user)
        .select_related("area")
        .prefetch_related(
            Prefetch(
                "party_orgs",
                queryset=PartyOrg.objects.visible_to(user).order_by("path"),
                to_attr="visible_orgs",
            )
        )
    )
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("name", "id")


@login_required
def unit_list(request: AuthedRequest) -> HttpResponse:
    scoped_staff_only(request)
    form = UnitFilter(request.GET or None)
    kind = form.cleaned_data["kind"] if form.is_valid() else ""
    units = Paginator(units_for(request.user, kind=kind), UNITS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "alliance/units.html",
        {"form": form, "units": units, "kind": kind},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )
