from __future__ import annotations

import rules

from grassroots.accounts.rules import is_system_admin

# The request catalogue (categories and SLA policies) is base data: the system admin edits it.
# Everyone signed in reads the active catalogue through the API; that needs no permission.
for model in ("category", "slapolicy"):
    for action in ("view", "add", "change", "delete"):
        rules.add_perm(f"tickets.{action}_{model}", is_system_admin)
