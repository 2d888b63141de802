"""Every state change of 吹哨报到.

Each service validates (field-level Chinese messages), then in one transaction changes the
whistle or the summons by a conditional update on its current state (a stale or racing second
action gets a Conflict), appends a timeline row (and one on the ticket the whistle hangs off),
writes the audit row, and leaves the messages to `whistles.notify`.
"""

from .blow import whistle_blow
from .common import (
    ADDRESS_MAX,
    COMMITMENT_MAX,
    DESCRIPTION_MAX,
    MAX_DEPARTMENTS,
    NOTE_MAX,
    TITLE_MAX,
    escalation_note,
    no_show_detail,
    raise_flag,
    report_in_deadline,
    report_in_deadline_info,
    ticket_event_fields,
)
from .department import summons_action, summons_report_in, summons_withdraw, whistle_rate
from .whistler import department_rate, flag_clear, summons_release, whistle_confirm

__all__ = [
    "ADDRESS_MAX",
    "COMMITMENT_MAX",
    "DESCRIPTION_MAX",
    "MAX_DEPARTMENTS",
    "NOTE_MAX",
    "TITLE_MAX",
    "department_rate",
    "escalation_note",
    "flag_clear",
    "no_show_detail",
    "raise_flag",
    "report_in_deadline",
    "report_in_deadline_info",
    "summons_action",
    "summons_release",
    "summons_report_in",
    "summons_withdraw",
    "ticket_event_fields",
    "whistle_blow",
    "whistle_confirm",
    "whistle_rate",
]
