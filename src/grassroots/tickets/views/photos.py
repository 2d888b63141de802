"""Photos are personal data (faces, homes): served only to those who may see the ticket."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404

from grassroots.accounts.typing import AuthedRequest

from ..models import Ticket, TicketPhoto


@login_required
def photo(request: AuthedRequest, pk: int) -> FileResponse:
    row = TicketPhoto.objects.filter(
        pk=pk, ticket__in=Ticket.objects.visible_to(request.user).values("pk")
    ).first()
    if row is None:
        raise Http404
    try:
        handle = row.image.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=row.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
