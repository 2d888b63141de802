"""The points ledger (党员积分): entries from facts, and manual adjustments with a reason."""

from __future__ import annotations

from typing import Any


def points_for_record(record: Any) -> None:
    """Bring the ledger in line with a locked meeting record's attendance (called by
    meeting_confirm when a record locks). To be implemented by the points work."""
