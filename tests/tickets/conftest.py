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


# Leaf categories of the seeded catalogue used across the ticket tests.
ORDINARY = "0101"  # 市容环境 › 垃圾清运不及时: community level, 一般 24 h / 7 days
CONSULT = "1101"  # 政策咨询 › 社保医保: 咨询 4 h / 5 working days
DEPARTMENT_LEAF = "0604"  # 道路设施 › 道路破损: department level, 一般


def png_bytes(size: tuple[int, int] = (8, 6), color: str = "red", fmt: str = "PNG") -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


@pytest.fixture
def submit(cast: Any, city: Any) -> Any:
    """Files a ticket through the service: by the cast's resident in building A1 unless told."""
    from grassroots.tickets.services import ticket_submit

    def make(actor: Any = None, **kw: Any) -> Any:
        kw.setdefault("category", ORDINARY)
        kw.setdefault("description", "楼下垃圾桶满了，三天没人清运。")
        kw.setdefault("address", "东一1号楼下")
        if "lat" not in kw and "building" not in kw:
            kw["building"] = city.building_a1
        ticket, _created = ticket_submit(actor=actor or cast.resident, **kw)
        return ticket

    return make


@pytest.fixture
def advance(cast: Any, city: Any) -> Any:
    """Moves a ticket along the happy path up to `state`, as the cast would."""
    from grassroots.tickets import services as s

    order = ["dispatched", "accepted", "in_progress", "resolved", "closed"]

    def run(ticket: Any, state: str, to: Any = None) -> Any:
        steps = order[: order.index(state) + 1]
        if "dispatched" in steps:
            s.ticket_dispatch(actor=cast.street_dispatcher, ticket=ticket, to=to or city.grid_a)
        handler = {
            city.grid_a: cast.grid_worker_a,
            city.grid_b: cast.grid_worker_b,
            city.c1: cast.community_staff,
            city.s1: cast.street_dispatcher,
            city.dept_district: cast.department_officer,
        }[to or city.grid_a]
        if "accepted" in steps:
            s.ticket_accept(actor=handler, ticket=ticket)
        if "in_progress" in steps:
            s.ticket_respond(actor=handler, ticket=ticket, method="phone", note="已电话联系")
        if "resolved" in steps:
            s.ticket_resolve(actor=handler, ticket=ticket, result="已清运。")
        if "closed" in steps:
            s.ticket_review(
                actor=cast.resident, ticket=ticket, contacted=True, solved=True,
                satisfaction="satisfied",
            )  # fmt: skip
        ticket.refresh_from_db()
        return ticket

    return run
