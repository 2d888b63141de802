from __future__ import annotations

import importlib
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def attributes(db: Any) -> None:
    """The seeded extra questions, put back when a transactional test emptied the tables."""
    from django.apps import apps

    from grassroots.tickets.models import CategoryAttribute

    if not CategoryAttribute.objects.exists():
        seed = importlib.import_module("grassroots.tickets.migrations.0006_seed_attributes")
        seed.seed(apps, None)
