from __future__ import annotations

import rules

from grassroots.accounts.rules import is_audit_admin

# The audit log: read and export by the audit admin; nobody changes or deletes it.
rules.add_perm("core.view_auditentry", is_audit_admin)
rules.add_perm("core.export_auditentry", is_audit_admin)
