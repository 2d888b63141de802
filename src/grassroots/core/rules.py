from __future__ import annotations

import rules

from grassroots.accounts.rules import is_audit_admin, is_system_admin

# The audit log: read and export by the audit admin; nobody changes or deletes it.
rules.add_perm("core.view_auditentry", is_audit_admin)
rules.add_perm("core.export_auditentry", is_audit_admin)

# The working-day calendar is base data: the system admin keeps it.
for action in ("view", "add", "change", "delete"):
    rules.add_perm(f"core.{action}_calendarday", is_system_admin)
