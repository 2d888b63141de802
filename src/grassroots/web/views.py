from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from grassroots.accounts.models import User
from grassroots.accounts.typing import AuthedRequest
from grassroots.core.audit import audit_log
from grassroots.core.personal import mask_mobile
from grassroots.core.scoping import with_ancestors
from grassroots.core.text import matches
from grassroots.party.models import PartyMember
from grassroots.party.selectors import building_members_shown
from grassroots.party.services import member_set_identity
from grassroots.territory.models import Resident
from grassroots.territory.selectors import areas_for, building_contacts, departments_for

from .context import SCOPED_STAFF


def home(request: HttpRequest) -> HttpResponse:
    """The front door: residents to their phone pages, staff to the workbench."""
    user = request.user
    if not isinstance(user, User):
        return redirect("accounts:login")
    if user.is_staff_role:
        return redirect("web:workbench")
    return redirect("web:resident_home")


def resident_only(request: AuthedRequest) -> None:
    if request.user.is_staff_role:
        raise PermissionDenied


def staff_only(request: AuthedRequest) -> None:
    if not request.user.is_staff_role:
        raise PermissionDenied


def scoped_staff_only(request: AuthedRequest) -> None:
    """Pages about the people of a territory: staff whose scope is a part of it."""
    if request.user.role not in SCOPED_STAFF:
        raise PermissionDenied


@login_required
def resident_home(request: AuthedRequest) -> HttpResponse:
    resident_only(request)
    return render(request, "web/resident_home.html", {"tab": "home"})


@login_required
def resident_me(request: AuthedRequest) -> HttpResponse:
    resident_only(request)
    member = (
        PartyMember.objects.select_related("branch").filter(resident__user=request.user).first()
    )
    return render(request, "web/resident_me.html", {"tab": "me", "member": member})


@require_POST
@login_required
def resident_identity(request: AuthedRequest) -> HttpResponse:
    """A party member's own consent to show themself to the building (亮身份): given and
    withdrawn only by the member, on their own phone (PIPL: a separate consent)."""
    resident_only(request)
    member = PartyMember.objects.filter(resident__user=request.user).first()
    if member is None:
        raise Http404
    shows = request.POST.get("shows") == "1"
    if shows != member.shows_identity:
        member_set_identity(actor=request.user, member=member, shows=shows)
    if shows:
        messages.success(request, _("已亮明身份，楼里的居民可以看到您的姓名、承诺和服务角色。"))
    else:
        messages.success(request, _("已取消亮身份，楼里的居民不再看到您。"))
    return redirect("web:resident_me")


@login_required
def workbench(request: AuthedRequest) -> HttpResponse:
    staff_only(request)
    return render(request, "web/workbench_home.html")


@login_required
def areas(request: AuthedRequest) -> HttpResponse:
    staff_only(request)
    q = request.GET.get("q", "").strip()[:50]
    rows = list(areas_for(request.user))
    if q:
        # Keep the matches and the nodes above them, so the tree still reads.
        keep = with_ancestors(a.path for a in rows if matches(a.name, q) or q in a.code)
        rows = [a for a in rows if a.path in keep]
    top = min((a.depth for a in rows), default=1)
    return render(request, "web/areas.html", {"rows": rows, "top": top, "q": q})


@login_required
def departments(request: AuthedRequest) -> HttpResponse:
    staff_only(request)
    rows = departments_for(request.user).select_related("area")
    return render(request, "web/departments.html", {"rows": rows})


def own_resident(request: AuthedRequest) -> Resident | None:
    """The Resident record of the signed-in resident, with their household and building."""
    return (
        Resident.objects.select_related("household__building")
        .defer("id_number")
        .filter(user=request.user)
        .first()
    )


@login_required
def resident_building(request: AuthedRequest) -> HttpResponse:
    """我的楼栋: whom to call, and the party members of the building who show themselves."""
    resident_only(request)
    resident = own_resident(request)
    context: dict[str, object] = {"tab": "home", "resident": resident}
    if resident is not None and resident.household is not None:
        building = resident.household.building
        contacts = building_contacts(building)
        context.update(
            building=building,
            household=resident.household,
            contacts=[
                {"kind": kind, "label": label, "user": user, "masked": mask_mobile(user.mobile)}
                for kind, label, people in (
                    ("grid_worker", _("网格员"), contacts.grid_workers),
                    ("building_head", _("楼栋长"), contacts.building_heads),
                )
                for user in people
            ],
            grid=contacts.grid,
            members=list(building_members_shown(building)),
        )
    return render(request, "web/resident_building.html", context)


class TelRedirect(HttpResponseRedirect):
    allowed_schemes = ["tel"]


@never_cache
@login_required
def resident_call(request: AuthedRequest, kind: str, pk: int) -> HttpResponse:
    """The 拨打 button: the number is revealed only when tapped, only to a resident of the
    building the contact serves, and the reveal is audited."""
    resident_only(request)
    resident = own_resident(request)
    if resident is None or resident.household is None:
        raise Http404
    contact = building_contacts(resident.household.building).find(kind, pk)
    if contact is None or not contact.mobile:
        raise Http404
    audit_log(
        action="personal.call",
        actor=request.user,
        obj=contact,
        request=request,
        street_id=resident.street_id,
        data={
            "kind": kind,
            "building": resident.household.building.code,
            "masked": mask_mobile(contact.mobile),
        },
    )
    return TelRedirect(f"tel:{contact.mobile}")
