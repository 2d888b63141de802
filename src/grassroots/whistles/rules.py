"""Who may do what in 吹哨报到. Scope is the other half: a whistle is fetched through
`Whistle.objects.visible_to(user)` first, and the services check the actor's unit."""

from __future__ import annotations

from typing import Any

import rules

from grassroots.accounts.models import DEPARTMENT_ROLES, Role
from grassroots.accounts.rules import has_role
from grassroots.core.scoping import scope_of

# The street's or community's party organisation blows, through its leader (DOMAIN.md §3).
WHISTLER_ROLES = frozenset({Role.STREET_LEADER, Role.COMMUNITY_SECRETARY})
# The street's leaders supervise the flags of shirking in their street.
FLAG_SUPERVISOR_ROLES = frozenset({Role.STREET_LEADER})
# Who reads whistles at all: the whistling side (street and community staff) and departments.
WHISTLE_READER_ROLES = frozenset(
    {
        Role.STREET_LEADER,
        Role.STREET_DISPATCHER,
        Role.COMMUNITY_SECRETARY,
        Role.COMMUNITY_STAFF,
        *DEPARTMENT_ROLES,
    }
)

can_blow = has_role(*WHISTLER_ROLES)
can_read = has_role(*WHISTLE_READER_ROLES)
can_supervise_flags = has_role(*FLAG_SUPERVISOR_ROLES)
rules.add_perm("whistles.blow_whistle", can_blow)
rules.add_perm("whistles.view_whistle", can_read)
rules.add_perm("whistles.supervise_flags", can_supervise_flags)


def is_whistler_side(user: Any, whistle: Any) -> bool:
    """The whistle's own unit: its whistler, or a leader of the unit that blew it (a street
    leader for a community's whistle too) — they confirm, release and rate."""
    if user.role not in WHISTLER_ROLES:
        return False
    if user.pk == whistle.whistler_id:
        return True
    return any(whistle.area_path.startswith(p) for p in scope_of(user).area_paths)


def answers_for(user: Any, summons: Any) -> bool:
    """Whether the user is staff of the summoned department (reports in, acts, rates)."""
    return user.role in DEPARTMENT_ROLES and summons.department_id in scope_of(user).department_ids
