"""Following a ticket is a resident's way in (a merge makes its requesters follow the ticket
it went into); staff see by territory and department, so their scope carries no follower
subquery, which as an OR'd subplan would keep PostgreSQL from combining the path indexes."""

from __future__ import annotations

from typing import Any

import pytest

from grassroots.accounts.models import Role
from grassroots.tickets.models import Ticket, TicketFollower
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

FOLLOWERS = TicketFollower._meta.db_table


def test_only_residents_scopes_read_followers(cast: Any) -> None:
    staff = [
        cast.street_dispatcher,
        cast.street_leader,
        cast.community_staff,
        cast.grid_worker_a,
        cast.department_officer,
    ]
    for user in staff:
        assert FOLLOWERS not in str(Ticket.objects.visible_to(user).query), user.role
    assert FOLLOWERS in str(Ticket.objects.visible_to(cast.resident).query)


def test_a_resident_sees_what_they_follow_and_staff_what_is_in_their_territory(
    cast: Any, submit: Any
) -> None:
    neighbour = make_user(Role.RESIDENT, "", mobile="13600000006")
    followed = submit()
    west = submit(actor=cast.outsider, building=None)  # filed at the desk of street S2
    assert not Ticket.objects.visible_to(neighbour).filter(pk=followed.pk).exists()
    TicketFollower.objects.create(ticket=followed, user=neighbour)
    assert list(Ticket.objects.visible_to(neighbour)) == [followed]
    assert Ticket.objects.visible_to(cast.street_dispatcher).filter(pk=followed.pk).exists()
    assert not Ticket.objects.visible_to(cast.street_dispatcher).filter(pk=west.pk).exists()
