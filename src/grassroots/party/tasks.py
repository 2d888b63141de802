"""Periodic work of the party app: remind committees before their term ends (换届提醒), and
branches and groups before a period of required meetings ends (组织生活提醒)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from grassroots.accounts.models import Role, User
from grassroots.core.audit import audit_log
from grassroots.core.scoping import prefixes
from grassroots.notices.services import notify

from .models import PartyOrg

log = logging.getLogger(__name__)


def remind_terms_ending() -> int:
    """Remind, once per term, the community secretaries and street leaders above every
    organisation whose term ends within TERM_REMINDER_DAYS. Safe to run twice: the conditional
    update marks a term as reminded and only the sweep that wins it sends the message (inbox
    and mail)."""
    today = timezone.localdate()
    due = PartyOrg.objects.filter(
        term_end__gte=today,
        term_end__lte=today + timedelta(days=settings.TERM_REMINDER_DAYS),
    ).filter(Q(term_reminded_for__isnull=True) | ~Q(term_reminded_for=F("term_end")))
    sent = 0
    for org in due:
        won = (
            PartyOrg.objects.filter(pk=org.pk)
            .exclude(term_reminded_for=org.term_end)
            .update(term_reminded_for=org.term_end)
        )
        if not won:
            continue
        # The people responsible: secretaries and leaders whose scope contains the org.
        ancestors = prefixes(org.area_path)
        people = list(
            User.objects.filter(
                is_active=True,
                role__in=[Role.COMMUNITY_SECRETARY, Role.STREET_LEADER],
                scope_areas__path__in=ancestors,
            ).distinct()
        )
        title = _("【换届提醒】%(org)s") % {"org": org.name}
        body = _("%(org)s 本届任期将于 %(day)s 届满，请提前做好换届选举准备。") % {
            "org": org.name,
            "day": org.term_end,
        }
        notify(
            recipients=people,
            title=title,
            body=body,
            url=reverse("party:org", args=[org.pk]),
            kind="party.term_reminder",
        )
        recipients = [u.email for u in people if u.email]
        if recipients:
            send_mail(subject=title, message=body, from_email=None, recipient_list=recipients)
        audit_log(
            action="party.term_reminder",
            obj=org,
            data={"term_end": str(org.term_end), "recipients": len(people)},
        )
        sent += 1
    return sent


@db_periodic_task(crontab(hour="8", minute="0"))
def term_reminders() -> int:
    return remind_terms_ending()


@db_periodic_task(crontab(hour="8", minute="10"))
def compliance_reminders() -> int:
    """Remind branches and groups of the required meetings of a period that ends soon."""
    from .compliance import remind_compliance

    return remind_compliance()


# How far back each hourly points run looks. The run is idempotent, so the overlap costs little
# and a consumer that was down for up to this long catches up by itself; after a longer gap (or
# at first deployment) run `credit_closed_tickets()` once by hand.
POINTS_LOOKBACK = timedelta(days=7)


def credit_ticket_points(since: datetime | None = None) -> int:
    """Tickets closed since `since` (default: the last POINTS_LOOKBACK) whose resolver is a
    party member, credited once each; returns how many entries were appended."""
    from .services.points import credit_closed_tickets

    credited = credit_closed_tickets(since or timezone.now() - POINTS_LOOKBACK)
    if credited:
        log.info("points: %d resolved tickets credited", credited)
    return credited


@db_periodic_task(crontab(minute="20"))
def ticket_points_hourly() -> int:
    return credit_ticket_points()
