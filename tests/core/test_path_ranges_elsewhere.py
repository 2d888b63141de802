"""The tree-path filters outside the tickets app read "under a node" as a range
(`core.scoping.under`), not as `LIKE 'path%'`: the same rows as the old `__startswith`, and no
LIKE in the SQL, so PostgreSQL can use the ordinary btree index on any collation."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Q, QuerySet

from grassroots.alliance.api import _units_for
from grassroots.alliance.models import MemberUnit
from grassroots.alliance.services import member_unit_create
from grassroots.core.scoping import under
from grassroots.party.models import PartyMember, PartyOrg
from grassroots.party.selectors import (
    coverage,
    group_member_counts,
    members_for,
    org_tree,
    orgs_for,
)
from grassroots.territory.models import Area, AreaKind, Household, Resident
from grassroots.territory.selectors import area_tree, areas_for, households_for, residents_for
from grassroots.tickets.rates import RATED_AREA_KINDS, rated_children
from grassroots.whistles.models import Whistle

pytestmark = pytest.mark.django_db


def no_like(qs: QuerySet[Any]) -> None:
    assert "LIKE" not in str(qs.query).upper(), str(qs.query)


def pks(qs: Any) -> list[int]:
    return [o.pk for o in qs]


def staff(cast: Any) -> list[Any]:
    """Users who between them see every area: one street each, and a community and a grid."""
    return [cast.street_leader, cast.outsider, cast.community_staff, cast.grid_worker_a]


def test_territory_lists_under_an_area_match_startswith(city: Any, cast: Any, people: Any) -> None:
    areas = list(Area.objects.all())
    for user in staff(cast):
        for area in areas:
            households = households_for(user, area=area)
            no_like(households)
            assert pks(households) == pks(
                Household.objects.visible_to(user)
                .filter(area_path__startswith=area.path)
                .order_by("area_path", "unit", "room", "id")
            ), (user.username, area.path)
            residents = residents_for(user, area=area)
            no_like(residents)
            assert pks(residents) == pks(
                Resident.objects.visible_to(user)
                .filter(area_path__startswith=area.path)
                .order_by("area_path", "name", "id")
            ), (user.username, area.path)
            children = areas_for(user, parent=area)
            no_like(children)
            assert pks(children) == pks(
                Area.objects.visible_to(user)
                .filter(path__startswith=area.path, depth=area.depth + 1)
                .order_by("path")
            ), (user.username, area.path)
            assert [n.area.pk for n in area_tree(user, area)] == pks(
                Area.objects.visible_to(user).filter(path__startswith=area.path).order_by("path")
            ), (user.username, area.path)
    # Someone sees something under every street: the comparison is not between two empty lists.
    assert residents_for(cast.street_leader, area=city.s1).exists()
    assert residents_for(cast.outsider, area=city.s2).exists()


def test_party_reads_under_an_org_or_area_match_startswith(
    city: Any, cast: Any, people: Any
) -> None:
    orgs = list(PartyOrg.objects.all())
    areas = list(Area.objects.all())
    for user in staff(cast):
        for org in orgs:
            assert [n.org.pk for n in org_tree(user, root=org)] == pks(
                orgs_for(user).filter(path__startswith=org.path)
            ), (user.username, org.path)
            members = members_for(user, branch=org)
            no_like(members)
            assert pks(members) == pks(
                PartyMember.objects.visible_to(user)
                .filter(branch__path__startswith=org.path)
                .order_by("branch__path", "name", "id")
            ), (user.username, org.path)
            old = PartyMember.objects.visible_to(user).filter(
                group__isnull=False, group__path__startswith=org.path
            )
            assert group_member_counts(user, root=org) == {
                g: old.filter(group=g).count() for g in old.values_list("group", flat=True)
            }, (user.username, org.path)
        for area in areas:
            members = members_for(user, area=area)
            no_like(members)
            assert pks(members) == pks(
                PartyMember.objects.visible_to(user)
                .filter(branch__area_path__startswith=area.path)
                .order_by("branch__path", "name", "id")
            ), (user.username, area.path)
            assert [b.building.pk for b in coverage(user, area).buildings] == pks(
                Area.objects.visible_to(user)
                .filter(path__startswith=area.path, kind=AreaKind.BUILDING)
                .order_by("path")
            ), (user.username, area.path)
    assert group_member_counts(cast.street_leader, root=people.swc) == {people.group_a1.pk: 2}
    assert members_for(cast.street_leader, branch=people.swc).count() == 4


def test_party_org_api_by_parent_and_area_matches_startswith(
    city: Any, cast: Any, people: Any, login: Any
) -> None:
    client = login(cast.street_leader)
    for org in PartyOrg.objects.visible_to(cast.street_leader):
        body = client.get(f"/api/v1/party-orgs?parent={org.pk}&limit=500").json()
        assert [o["id"] for o in body["items"]] == pks(
            PartyOrg.objects.filter(path__startswith=org.path, depth=org.depth + 1).order_by("path")
        ), org.path
    for area in Area.objects.visible_to(cast.street_leader):
        body = client.get(f"/api/v1/party-orgs?area={area.pk}&limit=500").json()
        assert [o["id"] for o in body["items"]] == pks(
            PartyOrg.objects.visible_to(cast.street_leader)
            .filter(area_path__startswith=area.path)
            .order_by("path")
        ), area.path


def test_member_units_under_an_area_match_startswith(city: Any, cast: Any) -> None:
    for name, area in [("东一小学", city.c1), ("东二医院", city.c2), ("西街企业", city.s2)]:
        member_unit_create(actor=None, name=name, kind="school", area=area)
    areas = list(Area.objects.all())
    for user in staff(cast):
        for area in areas:
            units = _units_for(user, area=area)
            no_like(units)
            assert pks(units) == pks(
                MemberUnit.objects.visible_to(user)
                .filter(area__path__startswith=area.path)
                .order_by("name", "id")
            ), (user.username, area.path)
    assert _units_for(cast.street_leader, area=city.s1).count() == 2


def test_rated_children_match_startswith(city: Any) -> None:
    for area in Area.objects.all():
        assert rated_children(area) == list(
            Area.objects.filter(
                path__startswith=area.path, depth=area.depth + 1, kind__in=RATED_AREA_KINDS
            ).order_by("path")
        ), area.path
    assert [a.pk for a in rated_children(city.s1)] == [city.c1.pk, city.c2.pk]


def test_an_empty_path_still_means_everything(city: Any, people: Any) -> None:
    """An organisation without territory has area_path "": LIKE '%' and `>= ''` both match
    every row."""
    assert pks(Household.objects.filter(under("area_path", "")).order_by("pk")) == pks(
        Household.objects.filter(area_path__startswith="").order_by("pk")
    )
    assert Household.objects.filter(under("area_path", "")).count() == 4


def test_a_whistle_on_a_ticket_under_the_org_still_left_joins(city: Any) -> None:
    """agenda_candidates ORs the whistle's own path with its ticket's: the ticket join stays a
    LEFT OUTER JOIN, as with the old pair of LIKEs, so a whistle without a ticket is kept."""
    path = city.c1.path
    new = Whistle.objects.filter(under("area_path", path) | under("ticket__area_path", path))
    old = Whistle.objects.filter(
        Q(area_path__startswith=path) | Q(ticket__area_path__startswith=path)
    )
    no_like(new)
    assert "LEFT OUTER JOIN" in str(new.query)
    assert str(old.query).count("JOIN") == str(new.query).count("JOIN")
