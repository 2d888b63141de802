"""Every state change of the tickets app: the catalogue (categories, SLA policies) and the
requests' lifecycle."""

from .catalogue import (
    KEEP,
    Keep,
    category_create,
    category_delete,
    category_delete_errors,
    category_move,
    category_update,
    category_warnings,
    check_move,
    normalize_keywords,
    sla_policy_create,
    sla_policy_delete,
    sla_policy_update,
)
from .common import (
    find_ticket,
    is_requester,
)
from .dispatch import (
    suggested_unit,
    suggested_units,
    ticket_dispatch,
    ticket_merge,
    ticket_reject,
)
from .handling import (
    return_deadline,
    ticket_accept,
    ticket_answer_supervision,
    ticket_decide_extension,
    ticket_request_extension,
    ticket_resolve,
    ticket_respond,
    ticket_return,
    ticket_supervise,
)
from .review import (
    ticket_reopen,
    ticket_review,
)
from .submit import (
    ticket_submit,
)
from .sweep import (
    sweep_clocks,
)

__all__ = [
    "KEEP",
    "Keep",
    "category_create",
    "category_delete",
    "category_delete_errors",
    "category_move",
    "category_update",
    "category_warnings",
    "check_move",
    "find_ticket",
    "is_requester",
    "normalize_keywords",
    "return_deadline",
    "sla_policy_create",
    "sla_policy_delete",
    "sla_policy_update",
    "suggested_unit",
    "suggested_units",
    "sweep_clocks",
    "ticket_accept",
    "ticket_answer_supervision",
    "ticket_decide_extension",
    "ticket_dispatch",
    "ticket_merge",
    "ticket_reject",
    "ticket_reopen",
    "ticket_request_extension",
    "ticket_resolve",
    "ticket_respond",
    "ticket_return",
    "ticket_review",
    "ticket_submit",
    "ticket_supervise",
]
