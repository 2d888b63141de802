"""Photos are personal data (faces, homes): served only to those who may see the ticket, signed
in by session (pages) or by an API token (the photo URLs the API hands out)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponseBase

from ..models import Ticket, TicketPhoto


def _viewer(request: HttpRequest) -> Any:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.startswith("Bearer "):
        from grassroots.accounts.services import token_authenticate

        return token_authenticate(header.removeprefix("Bearer ").strip())
    user = request.user
    return user if user.is_authenticated else None


def serve_photo(
    request: HttpRequest, find: Callable[[Any], Any], *, field: str = "image"
) -> HttpResponseBase:
    """A stored photo (or another file: the row's file field is `field`, its type in
    `content_type`), to a viewer (session or API token) for whom `find(viewer)` returns its
    row; 404 otherwise, so its existence does not leak. Private to the browser's cache."""
    viewer = _viewer(request)
    if viewer is None:
        if "HTTP_AUTHORIZATION" in request.META:
            raise Http404
        return redirect_to_login(request.get_full_path())
    row = find(viewer)
    if row is None:
        raise Http404
    try:
        handle = getattr(row, field).open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=row.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def photo(request: HttpRequest, pk: int) -> HttpResponseBase:
    return serve_photo(
        request,
        lambda viewer: TicketPhoto.objects.filter(
            pk=pk, ticket__in=Ticket.objects.visible_to(viewer).values("pk")
        ).first(),
    )
