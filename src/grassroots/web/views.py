from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from grassroots.accounts.models import User
from grassroots.accounts.typing import AuthedRequest
from grassroots.territory.selectors import areas_for, departments_for


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


@login_required
def resident_home(request: AuthedRequest) -> HttpResponse:
    resident_only(request)
    return render(request, "web/resident_home.html", {"tab": "home"})


@login_required
def resident_report(request: AuthedRequest) -> HttpResponse:
    resident_only(request)
    return render(request, "web/resident_report.html", {"tab": "report"})


@login_required
def resident_me(request: AuthedRequest) -> HttpResponse:
    resident_only(request)
    return render(request, "web/resident_me.html", {"tab": "me"})


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
        keep = {a.path for a in rows if q in a.name or q in a.code}
        # Keep the matches and the nodes above them, so the tree still reads.
        rows = [a for a in rows if any(p.startswith(a.path) for p in keep)]
    top = min((a.depth for a in rows), default=1)
    return render(request, "web/areas.html", {"rows": rows, "top": top, "q": q})


@login_required
def departments(request: AuthedRequest) -> HttpResponse:
    staff_only(request)
    rows = departments_for(request.user).select_related("area")
    return render(request, "web/departments.html", {"rows": rows})
