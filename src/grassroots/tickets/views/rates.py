"""The 三率 page: being written (next commit)."""

from __future__ import annotations

from django.http import Http404, HttpResponse

from grassroots.accounts.typing import AuthedRequest


def rates_page(request: AuthedRequest) -> HttpResponse:
    raise Http404
