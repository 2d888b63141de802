"""Periodic work of the core: the nightly audit-chain check."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .audit import audit_log, verify_chain
from .models import AuditOutcome

log = logging.getLogger(__name__)


def check_audit_chain() -> str | None:
    """Verify the chain; on a break, log, audit, and tell every active security admin (inbox
    and mail).
    Returns the break's description, or None when the chain is intact."""
    from grassroots.accounts.models import Role, User

    checked, broken = verify_chain()
    if broken is None:
        audit_log(action="audit.verify", data={"rows": checked})
        return None
    description = str(broken)
    log.error("audit chain broken: %s", description)
    audit_log(
        action="audit.verify",
        outcome=AuditOutcome.FAILURE,
        data={"rows": checked, "break": description},
    )
    from grassroots.notices.services import notify

    admins = list(User.objects.filter(role=Role.SECURITY_ADMIN, is_active=True))
    title = _("【安全告警】审计日志链校验失败")
    body = _("夜间校验发现审计日志被改动：%(where)s。请立即核查。") % {"where": description}
    notify(recipients=admins, title=title, body=body, kind="audit.chain_broken")
    recipients = [u.email for u in admins if u.email]
    if recipients:
        send_mail(subject=title, message=body, from_email=None, recipient_list=recipients)
    return description


@db_periodic_task(crontab(hour="3", minute="10"))
def nightly_audit_verification() -> str | None:
    return check_audit_chain()
