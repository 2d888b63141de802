"""Workbench pages for requests: being written (next commit)."""

from __future__ import annotations

from django.http import Http404, HttpResponse

from grassroots.accounts.typing import AuthedRequest


def desk(request: AuthedRequest) -> HttpResponse:
    raise Http404


def ticket_list(request: AuthedRequest) -> HttpResponse:
    raise Http404


def export(request: AuthedRequest) -> HttpResponse:
    raise Http404


def detail(request: AuthedRequest, number: str) -> HttpResponse:
    raise Http404
