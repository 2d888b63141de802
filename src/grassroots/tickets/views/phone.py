"""Phone pages of residents and grid workers: being written (next commit)."""

from __future__ import annotations

from django.http import Http404, HttpResponse

from grassroots.accounts.typing import AuthedRequest


def report(request: AuthedRequest) -> HttpResponse:
    raise Http404


def mine(request: AuthedRequest) -> HttpResponse:
    raise Http404


def mine_detail(request: AuthedRequest, number: str) -> HttpResponse:
    raise Http404


def queue(request: AuthedRequest) -> HttpResponse:
    raise Http404


def handle(request: AuthedRequest, number: str) -> HttpResponse:
    raise Http404
