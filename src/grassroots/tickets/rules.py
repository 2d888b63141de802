"""Who may do what with requests. Scope is the other half: a ticket is always fetched through
`Ticket.objects.visible_to(user)` first, and the services check that the actor's territory or
department covers the ticket or the unit concerned."""

from __future__ import annotations

from typing import Any

import rules

from grassroots.accounts.models import Role
from grassroots.accounts.rules import has_role, is_security_admin, is_system_admin
from grassroots.core.scoping import scope_of

# The request catalogue (categories and SLA policies) is base data: the system admin edits it.
# Everyone signed in reads the active catalogue through the API; that needs no permission.
for model in ("category", "slapolicy", "categoryattribute"):
    for action in ("view", "add", "change", "delete"):
        rules.add_perm(f"tickets.{action}_{model}", is_system_admin)
# Open311 client organisations and their keys: the security admin issues and revokes them.
for action in ("view", "add", "change"):
    rules.add_perm(f"tickets.{action}_open311client", is_security_admin)

# Dispatch desk (派单): communities dispatch to their grids, streets to anyone in the street
# and to departments; they also reject, merge and decide extensions.
DISPATCHER_ROLES = frozenset(
    {Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY, Role.STREET_DISPATCHER, Role.STREET_LEADER}
)
# Handling (签收、响应、办结) is done by the unit the ticket was sent to.
HANDLER_ROLES = frozenset(
    {
        Role.GRID_WORKER,
        Role.COMMUNITY_STAFF,
        Role.COMMUNITY_SECRETARY,
        Role.STREET_DISPATCHER,
        Role.STREET_LEADER,
        Role.DEPARTMENT_OFFICER,
        Role.DEPARTMENT_HEAD,
    }
)
# Only the street sends tickets to functional departments (a community hands them up).
DEPARTMENT_DISPATCHERS = frozenset({Role.STREET_DISPATCHER, Role.STREET_LEADER})
STREET_ROLES = DEPARTMENT_DISPATCHERS
# 督办: leaders of the community and the street.
SUPERVISOR_ROLES = frozenset({Role.COMMUNITY_SECRETARY, Role.STREET_LEADER})
# 回访: a review seat (the street's dispatch centre) may review for a requester.
REVIEW_SEAT_ROLES = frozenset({Role.STREET_DISPATCHER, Role.STREET_LEADER})
# Who files a request: anyone who is not an administrator (三员 do not handle business data).
SUBMITTER_ROLES = frozenset(set(Role) - {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})

can_dispatch = has_role(*DISPATCHER_ROLES)
can_handle = has_role(*HANDLER_ROLES)
can_supervise = has_role(*SUPERVISOR_ROLES)
can_submit = has_role(*SUBMITTER_ROLES)
rules.add_perm("tickets.dispatch_ticket", can_dispatch)
rules.add_perm("tickets.handle_ticket", can_handle)
rules.add_perm("tickets.supervise_ticket", can_supervise)
rules.add_perm("tickets.submit_ticket", can_submit)


def covers(user: Any, path: str) -> bool:
    """Whether the user's territory holds the Area node at `path`."""
    return bool(path) and any(path.startswith(p) for p in scope_of(user).area_paths)


def handles(user: Any, ticket: Any) -> bool:
    """Whether the user belongs to the unit now handling the ticket. A community's staff may
    also act for its grids (they often share the work); the street's dispatchers and leaders
    handle only what was sent to the street itself — for the rest they supervise."""
    if user.role not in HANDLER_ROLES:
        return False
    if ticket.handler_department_id is not None:
        return ticket.handler_department_id in scope_of(user).department_ids
    if user.role in STREET_ROLES and ticket.handler_area_id is not None:
        return covers(user, ticket.handler_path) and len(ticket.handler_path) == len(
            ticket.street.path
        )
    return covers(user, ticket.handler_path)


def dispatches(user: Any, ticket: Any) -> bool:
    return user.role in DISPATCHER_ROLES and covers(user, ticket.area_path)
