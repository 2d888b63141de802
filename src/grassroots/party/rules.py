from __future__ import annotations

import rules

from grassroots.accounts.models import Role
from grassroots.accounts.rules import has_role, is_system_admin

# Party organisations and members: the community's and the street's party workers, within
# their scope (objects are fetched through visible_to first).
can_manage_party = has_role(
    Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY, Role.STREET_LEADER, Role.STREET_DISPATCHER
)
rules.add_perm("party.manage_org", can_manage_party)
rules.add_perm("party.manage_member", can_manage_party)
# Household links are kept by the grid too.
rules.add_perm(
    "party.manage_link",
    can_manage_party | has_role(Role.GRID_WORKER),
)

# Organisational life's configuration (meeting kinds, point rules): the system administrator.
for _model in ("meetingkind", "pointrule"):
    for _action in ("view", "change"):
        rules.add_perm(f"party.{_action}_{_model}", is_system_admin)
