"""/api/v1/ for organisational life: meetings."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["org-life"])
