from __future__ import annotations

import rules

from grassroots.accounts.models import Role
from grassroots.accounts.rules import has_role, is_system_admin

# Base data (the territory and the departments): the system admin.
for model in ("area", "department"):
    for action in ("view", "add", "change", "delete"):
        rules.add_perm(f"territory.{action}_{model}", is_system_admin)

# Households and residents: registered by the grid and the community.
can_register_people = has_role(
    Role.GRID_WORKER, Role.BUILDING_HEAD, Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY
)
rules.add_perm("territory.register_household", can_register_people)
rules.add_perm("territory.register_resident", can_register_people)
rules.add_perm("territory.move_resident", can_register_people)
