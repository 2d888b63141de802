from __future__ import annotations

import importlib
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def catalogue(db: Any) -> None:
    """The seeded catalogue, put back when a reused test database has lost it: transactional
    tests (the browser tests) empty every table when they end, migration data included."""
    from django.apps import apps

    from grassroots.tickets.models import Category

    if not Category.objects.exists():
        seed = importlib.import_module("grassroots.tickets.migrations.0002_seed_catalogue")
        seed.seed(apps, None)
