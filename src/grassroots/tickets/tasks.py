"""Background work for requests: SMS to requesters, and the clock sweep."""

from __future__ import annotations

import logging

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from grassroots.accounts.sms import send_sms

log = logging.getLogger(__name__)


@db_task(retries=3, retry_delay=60)
def send_ticket_sms(ticket_id: int, text: str) -> None:
    """The contact number is read (and decrypted) here, in the worker, not passed in the queue."""
    from .models import Ticket

    mobile = Ticket.objects.filter(pk=ticket_id).values_list("contact_mobile", flat=True).first()
    if mobile:
        send_sms(mobile, text)


@db_periodic_task(crontab(minute=f"*/{max(1, settings.TICKET_SWEEP_MINUTES)}"))
def sweep_ticket_clocks() -> dict[str, int]:
    from .services import sweep_clocks

    counts = sweep_clocks()
    if any(counts.values()):
        log.info("ticket sweep: %s", counts)
    return counts


@db_periodic_task(crontab(hour="1", minute="30"))
def snapshot_ticket_rates() -> dict[str, int]:
    """Nightly 三率 snapshot of last month and this month so far (idempotent: each run
    replaces the month's rows)."""
    from .rates import snapshot_recent

    counts = snapshot_recent()
    log.info("rates snapshot: %s", counts)
    return counts
