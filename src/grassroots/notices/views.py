from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from grassroots.accounts.typing import AuthedRequest

from . import services
from .selectors import inbox


@login_required
def inbox_view(request: AuthedRequest) -> HttpResponse:
    """消息: the signed-in user's messages, in the layout of their role."""
    page = Paginator(inbox(request.user), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "notices/inbox.html",
        {
            "page": page,
            "base_template": "web/workbench.html"
            if request.user.is_staff_role
            else "web/resident.html",
            "tab": "me",
        },
    )


@require_POST
@login_required
def open_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """Mark one message read and go where it points (a path inside the platform only)."""
    notice = get_object_or_404(inbox(request.user), pk=pk)
    services.notice_mark_read(user=request.user, notice=notice)
    if notice.url and services.is_local_path(notice.url):
        return redirect(notice.url)
    return redirect("notices:inbox")


@require_POST
@login_required
def read_all_view(request: AuthedRequest) -> HttpResponse:
    services.notices_mark_all_read(user=request.user)
    return redirect("notices:inbox")
