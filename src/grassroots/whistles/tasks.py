"""Background work for 吹哨报到: SMS to officers, the reminder/escalation sweep, and the
monthly measures snapshot."""

from __future__ import annotations

import logging

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from grassroots.accounts.sms import send_sms

log = logging.getLogger(__name__)


@db_task(retries=3, retry_delay=60)
def send_whistle_sms(user_ids: list[int], text: str) -> None:
    """The numbers are read (and decrypted) here, in the worker, not passed in the queue."""
    from grassroots.accounts.models import User

    for user in User.objects.filter(pk__in=user_ids, is_active=True):
        if user.mobile:
            send_sms(user.mobile, text)


@db_periodic_task(crontab(minute=f"*/{max(1, settings.WHISTLE_SWEEP_MINUTES)}"))
def sweep_whistle_clocks() -> dict[str, int]:
    from .sweep import sweep_whistles

    counts = sweep_whistles()
    if any(counts.values()):
        log.info("whistle sweep: %s", counts)
    return counts


@db_periodic_task(crontab(hour="1", minute="40"))
def snapshot_whistle_measures() -> dict[str, int]:
    """Nightly snapshot of last month and this month so far (each run replaces the rows)."""
    from .measures import snapshot_recent

    counts = snapshot_recent()
    log.info("whistle measures snapshot: %s", counts)
    return counts
