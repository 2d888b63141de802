"""Who may do what: one vocabulary of permissions, as django-rules predicates over role.

Object scope is the other half: every object is fetched through `visible_to(user)` first, so a
permission here never widens what a user can see.
"""

from __future__ import annotations

from typing import Any

import rules

from .models import ADMIN_ROLES, Role


def has_role(*roles: str) -> Any:
    wanted = frozenset(roles)

    @rules.predicate(name=f"has_role({','.join(sorted(wanted))})")
    def predicate(user: Any) -> bool:
        return bool(getattr(user, "is_active", False) and getattr(user, "role", None) in wanted)

    return predicate


is_system_admin = has_role(Role.SYSTEM_ADMIN)
is_security_admin = has_role(Role.SECURITY_ADMIN)
is_audit_admin = has_role(Role.AUDIT_ADMIN)
is_admin = has_role(*ADMIN_ROLES)
is_staff_member = has_role(*(set(Role) - {Role.RESIDENT} - ADMIN_ROLES))

# Revealing a phone or ID number: people who must contact residents, and the security admin
# for accounts. Never the audit admin or the system admin (三员分立), never a member-unit contact.
can_reveal_personal = has_role(
    Role.GRID_WORKER,
    Role.BUILDING_HEAD,
    Role.COMMUNITY_STAFF,
    Role.COMMUNITY_SECRETARY,
    Role.STREET_DISPATCHER,
    Role.STREET_LEADER,
    Role.DEPARTMENT_OFFICER,
    Role.DEPARTMENT_HEAD,
    Role.SECURITY_ADMIN,
)

rules.add_perm("accounts.reveal_personal", can_reveal_personal)

# Accounts, roles and locks: the security admin only.
for action in ("view", "add", "change"):
    rules.add_perm(f"accounts.{action}_user", is_security_admin)
rules.add_perm("accounts.view_apitoken", is_security_admin)
rules.add_perm("accounts.change_apitoken", is_security_admin)
for action in ("view", "delete"):
    rules.add_perm(f"axes.{action}_accessattempt", is_security_admin)
rules.add_perm("otp_totp.view_totpdevice", is_security_admin)
rules.add_perm("otp_totp.delete_totpdevice", is_security_admin)
