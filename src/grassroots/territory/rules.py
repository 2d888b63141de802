from __future__ import annotations

import rules

from grassroots.accounts.rules import is_system_admin

# Base data (the territory and the departments): the system admin.
for model in ("area", "department"):
    for action in ("view", "add", "change", "delete"):
        rules.add_perm(f"territory.{action}_{model}", is_system_admin)
