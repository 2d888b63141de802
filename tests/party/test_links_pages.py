"""党员联系户 kept from the member page: the 联系户 card, adding and removing links (HTMX and
plain posts), who may do it, and the coverage numbers the grid page reads. On the `people`
fixture: branch A leads grid A (building A1: households 1-101 and 1-102); 2-201 is in grid B;
3-301 in the other street."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from grassroots.core.models import AuditEntry
from grassroots.party.models import HouseholdLink, OrgKind, OrgSetting
from grassroots.party.services import household_link_create, member_create, party_org_create
from grassroots.territory.models import AreaKind
from grassroots.territory.services import area_create, household_create

MANAGERS = [
    "grid_worker_a",
    "community_staff",
    "community_secretary",
    "street_dispatcher",
    "street_leader",
]


def member_url(member: Any) -> str:
    return f"/workbench/party/members/{member.pk}/"


def add_url(member: Any) -> str:
    return f"/workbench/party/members/{member.pk}/links/"


def remove_url(member: Any, link: Any) -> str:
    return f"/workbench/party/members/{member.pk}/links/{link.pk}/remove/"


def grid_url(area: Any) -> str:
    return f"/workbench/party/areas/{area.pk}/"


HTMX = {"HTTP_HX_REQUEST": "true"}


def html_of(client: Client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.content.decode()


def card_of(html: str) -> str:
    """The 联系户 card alone, from the whole page or from an HTMX answer."""
    start = html.index('<section class="card" id="links"')
    return html[start : html.index("</section>", start)]


def choices_of(html: str) -> set[int]:
    """The household ids the add form offers."""
    select = re.search(r'<select id="link-household".*?</select>', card_of(html), re.S)
    if select is None:
        return set()
    return {int(v) for v in re.findall(r'<option value="(\d+)"', select.group(0))}


def state() -> tuple[list[tuple[int, int]], int]:
    """The links and the size of the audit log: what an error must leave as it was."""
    links = sorted(HouseholdLink.objects.values_list("member_id", "household_id"))
    return links, AuditEntry.objects.count()


def linked(member: Any) -> set[int]:
    return set(HouseholdLink.objects.filter(member=member).values_list("household_id", flat=True))


# --- the card --------------------------------------------------------------------------------


def test_it_shows_the_card_with_the_count_and_the_choices(
    people: Any, cast: Any, login: Any
) -> None:
    link = household_link_create(actor=None, member=people.m_wang, household=people.hh_a1_102)
    # Another member's link does not take the household off 王建国's list.
    household_link_create(actor=None, member=people.m_li, household=people.hh_a1_101)
    html = html_of(login(cast.grid_worker_a), member_url(people.m_wang))
    card = card_of(html)
    assert "已联系 1/上限 10 户" in card
    assert "东一1号楼 1单元102" in card and "解除联系" in card
    assert f'hx-post="{remove_url(people.m_wang, link)}"' in card
    assert 'hx-confirm="确定解除与 东一1号楼 1单元102 的联系吗？"' in card
    assert 'hx-target="#links"' in card and "csrfmiddlewaretoken" in card
    assert "添加联系户" in card and f'hx-post="{add_url(people.m_wang)}"' in card
    assert choices_of(html) == {people.hh_a1_101.pk}
    assert '<optgroup label="东一1号楼">' in card


def test_choices_are_the_branch_territory_the_user_can_see(
    people: Any, cast: Any, login: Any
) -> None:
    # Community staff see grid B too, but branch A leads grid A only.
    staff = html_of(login(cast.community_staff), member_url(people.m_wang))
    assert choices_of(staff) == {people.hh_a1_101.pk, people.hh_a1_102.pk}


def test_choices_of_a_branch_without_territory_are_its_parents(
    city: Any, people: Any, cast: Any, login: Any
) -> None:
    chain = party_org_create(
        actor=None,
        parent=people.cc1,
        kind=OrgKind.BRANCH,
        name="东一物流产业链党支部",
        setting=OrgSetting.INDUSTRY_CHAIN,
    )
    assert chain.area_path == city.c1.path
    member = member_create(
        actor=None,
        name="孙产业",
        status="full",
        joined_on=date(2001, 7, 1),
        branch=chain,
        user=cast.community_staff,
    )
    html = html_of(login(cast.community_secretary), member_url(member))
    assert choices_of(html) == {people.hh_a1_101.pk, people.hh_a1_102.pk, people.hh_b1_201.pk}
    # The branch's territory is the community: not inside grid A's worker's scope.
    assert login(cast.grid_worker_a).get(member_url(member)).status_code == 404


def test_a_long_choice_list_is_cut_and_says_so(
    people: Any, cast: Any, login: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("grassroots.party.views.LINK_CHOICES_MAX", 1)
    html = html_of(login(cast.grid_worker_a), member_url(people.m_wang))
    assert choices_of(html) == {people.hh_a1_101.pk}  # in territory order: 1-101 first
    assert "住户较多，只列出前 1 户。" in html


def test_a_full_member_cannot_add_more(people: Any, cast: Any, login: Any) -> None:
    household_link_create(actor=None, member=people.m_wang, household=people.hh_a1_102)
    with override_settings(HOUSEHOLD_LINK_LIMIT=1):
        card = card_of(html_of(login(cast.grid_worker_a), member_url(people.m_wang)))
    assert "已联系 1/上限 1 户" in card and "已达上限，解除一户后才能再添加。" in card
    assert re.search(r"<select[^>]*\bdisabled", card)


def test_nothing_left_to_add_says_so(people: Any, cast: Any, login: Any) -> None:
    for household in (people.hh_a1_101, people.hh_a1_102):
        household_link_create(actor=None, member=people.m_wang, household=household)
    html = html_of(login(cast.grid_worker_a), member_url(people.m_wang))
    assert choices_of(html) == set()
    assert "支部辖区内没有可以添加的住户。" in html


def test_links_outside_the_users_scope_are_counted_not_listed(
    people: Any, cast: Any, login: Any
) -> None:
    # A member who moved to grid B's branch keeps the link they had in grid A.
    from grassroots.party.services import member_transfer

    hidden = household_link_create(actor=None, member=people.m_new, household=people.hh_a1_102)
    member_transfer(actor=None, member=people.m_new, branch=people.branch_b)
    card = card_of(html_of(login(cast.grid_worker_b), member_url(people.m_new)))
    assert "已联系 1/上限 10 户" in card and "另有 1 户不在您的管辖范围内，未列出。" in card
    assert "1单元102" not in card and "还没有联系户。" in card
    client = login(cast.grid_worker_b)  # a login is audited too: before the snapshot
    before = state()
    response = client.post(remove_url(people.m_new, hidden))
    assert response.status_code == 404 and state() == before


def test_roles_without_the_permission_see_the_card_read_only(
    city: Any, people: Any, cast: Any, login: Any
) -> None:
    own = member_create(
        actor=None,
        name="楼栋长党员",
        status="full",
        joined_on=date(2005, 7, 1),
        branch=people.branch_a,
        user=cast.building_head,
    )
    household_link_create(actor=None, member=own, household=people.hh_a1_101)
    card = card_of(html_of(login(cast.building_head), member_url(own)))
    assert "已联系 1/上限 10 户" in card and "东一1号楼 1单元101" in card
    assert "解除联系" not in card and "<form" not in card and "<select" not in card


# --- adding ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", MANAGERS)
def test_it_adds_a_link_and_redirects_back(people: Any, cast: Any, login: Any, role: str) -> None:
    user = getattr(cast, role)
    client = login(user)
    audit_before = AuditEntry.objects.count()
    response = client.post(add_url(people.m_wang), {"household": people.hh_a1_101.pk})
    assert response.status_code == 302 and response["Location"] == member_url(people.m_wang)
    assert linked(people.m_wang) == {people.hh_a1_101.pk}
    entry = AuditEntry.objects.order_by("-seq").first()
    assert AuditEntry.objects.count() == audit_before + 1
    assert entry is not None and entry.action == "party.link_create"
    assert entry.actor_id == user.pk and entry.street_id == people.hh_a1_101.street_id
    assert json.loads(entry.data) == {"member": people.m_wang.pk, "household": people.hh_a1_101.pk}
    html = html_of(client, member_url(people.m_wang))  # the message, once
    assert "已添加联系户：东一1号楼 1单元101" in html
    assert "已联系 1/上限 10 户" in card_of(html)
    assert choices_of(html) == {people.hh_a1_102.pk}
    assert "已添加联系户" not in html_of(client, member_url(people.m_wang))


def test_it_adds_a_link_with_htmx_and_answers_with_the_card(
    people: Any, cast: Any, login: Any
) -> None:
    response = login(cast.grid_worker_a).post(
        add_url(people.m_wang), {"household": people.hh_a1_102.pk}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" id="links"') and "<html" not in html
    assert "已联系 1/上限 10 户" in html and "已添加联系户：东一1号楼 1单元102" in html
    assert 'role="status"' in html
    assert choices_of(html) == {people.hh_a1_101.pk}
    assert linked(people.m_wang) == {people.hh_a1_102.pk}


# --- removing --------------------------------------------------------------------------------


def test_it_removes_a_link_and_redirects_back(people: Any, cast: Any, login: Any) -> None:
    link = household_link_create(actor=None, member=people.m_wang, household=people.hh_a1_101)
    client = login(cast.grid_worker_a)
    audit_before = AuditEntry.objects.count()
    response = client.post(remove_url(people.m_wang, link))
    assert response.status_code == 302 and response["Location"] == member_url(people.m_wang)
    assert linked(people.m_wang) == set()
    assert AuditEntry.objects.count() == audit_before + 1
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None and entry.action == "party.link_delete"
    assert entry.actor_id == cast.grid_worker_a.pk
    assert json.loads(entry.data) == {"member": people.m_wang.pk, "household": people.hh_a1_101.pk}
    html = html_of(client, member_url(people.m_wang))
    assert "已解除与 东一1号楼 1单元101 的联系。" in html
    assert "已联系 0/上限 10 户" in html and "还没有联系户。" in html


def test_it_removes_a_link_with_htmx(people: Any, cast: Any, login: Any) -> None:
    link = household_link_create(actor=None, member=people.m_wang, household=people.hh_a1_101)
    response = login(cast.community_secretary).post(remove_url(people.m_wang, link), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" id="links"') and "<html" not in html
    assert "已联系 0/上限 10 户" in html and "还没有联系户。" in html
    assert choices_of(html) == {people.hh_a1_101.pk, people.hh_a1_102.pk}
    assert not HouseholdLink.objects.filter(pk=link.pk).exists()


def test_a_link_of_another_member_is_not_found(people: Any, cast: Any, login: Any) -> None:
    other = household_link_create(actor=None, member=people.m_li, household=people.hh_a1_101)
    client = login(cast.grid_worker_a)
    before = state()
    assert client.post(remove_url(people.m_wang, other)).status_code == 404
    assert client.post(f"{add_url(people.m_wang)}999999/remove/").status_code == 404
    assert state() == before


# --- the grid page reads the new links -------------------------------------------------------


def test_grid_and_community_coverage_follow_the_links(
    city: Any, people: Any, cast: Any, login: Any
) -> None:
    client = login(cast.community_staff)
    grid = html_of(client, grid_url(city.grid_a))
    assert "已联系 0/2 户" in grid
    client.post(add_url(people.m_wang), {"household": people.hh_a1_101.pk})
    grid = html_of(client, grid_url(city.grid_a))
    assert "已联系 1/2 户" in grid
    stats = grid.split('data-testid="grid-stats"')[1].split("</div>\n</div>")[0]
    assert "<strong>50%</strong>" in stats
    unlinked = grid.split('data-testid="unlinked"')[1].split("</div>")[0]
    assert "1-102" in unlinked and "1-101" not in unlinked
    community = html_of(client, grid_url(city.c1))
    data = json.loads(re.search(r'id="map-data"[^>]*>(.*?)</script>', community, re.S).group(1))
    assert {r["name"]: r["share"] for r in data["rows"]}["东一社区A网格"] == 50
    # A second member on the same household does not count it twice; removing one keeps it.
    client.post(add_url(people.m_li), {"household": people.hh_a1_101.pk})
    assert "已联系 1/2 户" in html_of(client, grid_url(city.grid_a))
    link = HouseholdLink.objects.get(member=people.m_wang)
    client.post(remove_url(people.m_wang, link))
    assert "已联系 1/2 户" in html_of(client, grid_url(city.grid_a))
    link = HouseholdLink.objects.get(member=people.m_li)
    client.post(remove_url(people.m_li, link))
    assert "已联系 0/2 户" in html_of(client, grid_url(city.grid_a))


# --- validation: a Chinese message under the form, nothing changed ---------------------------


def post_error(client: Client, path: str, data: dict[str, Any], **extra: Any) -> str:
    before = state()
    response = client.post(path, data, **extra)
    assert response.status_code == 400, response.status_code
    assert state() == before
    html = response.content.decode()
    errors = card_of(html).split('data-testid="link-errors"')[1]
    return errors.split("</div>")[0]


def test_the_limit_is_kept(people: Any, cast: Any, login: Any) -> None:
    household_link_create(actor=None, member=people.m_wang, household=people.hh_a1_102)
    client = login(cast.grid_worker_a)
    with override_settings(HOUSEHOLD_LINK_LIMIT=1):
        page = post_error(client, add_url(people.m_wang), {"household": people.hh_a1_101.pk})
        card = post_error(
            client, add_url(people.m_wang), {"household": people.hh_a1_101.pk}, **HTMX
        )
    for errors in (page, card):
        assert "每名党员联系户不超过 1 户。" in errors


def test_a_plain_post_with_an_error_shows_the_whole_page(
    people: Any, cast: Any, login: Any
) -> None:
    response = login(cast.grid_worker_a).post(add_url(people.m_wang), {"household": ""})
    html = response.content.decode()
    assert response.status_code == 400 and "<html" in html and "王建国" in html
    assert 'aria-invalid="true"' in html


def test_a_household_already_linked_is_refused(people: Any, cast: Any, login: Any) -> None:
    household_link_create(actor=None, member=people.m_wang, household=people.hh_a1_102)
    errors = post_error(
        login(cast.grid_worker_a), add_url(people.m_wang), {"household": people.hh_a1_102.pk}
    )
    assert "已经联系这一户。" in errors


@pytest.mark.parametrize("data", [{}, {"household": ""}, {"household": "abc"}])
def test_a_household_must_be_chosen(
    people: Any, cast: Any, login: Any, data: dict[str, Any]
) -> None:
    errors = post_error(login(cast.grid_worker_a), add_url(people.m_wang), data, **HTMX)
    assert "请选择要联系的住户。" in errors


def test_a_household_seen_outside_the_branch_territory_is_a_field_error(
    people: Any, cast: Any, login: Any
) -> None:
    """Community staff see 2-201 (grid B): it exists for them, so saying why is no leak."""
    errors = post_error(
        login(cast.community_staff), add_url(people.m_wang), {"household": people.hh_b1_201.pk}
    )
    assert "只能联系本支部辖区内的住户。" in errors


def test_a_household_the_user_cannot_see_is_not_found(people: Any, cast: Any, login: Any) -> None:
    """For the grid worker of grid A, 2-201 (grid B) and 3-301 (the other street) do not exist:
    the same 404 as a household id that is nobody's."""
    client = login(cast.grid_worker_a)
    before = state()
    for pk in (people.hh_b1_201.pk, people.hh_w1_301.pk, 999999):
        response = client.post(add_url(people.m_wang), {"household": pk}, **HTMX)
        assert response.status_code == 404, pk
    assert state() == before


# --- who may ---------------------------------------------------------------------------------


def test_it_sends_strangers_to_login(people: Any) -> None:
    link = household_link_create(actor=None, member=people.m_wang, household=people.hh_a1_101)
    before = state()
    for path in (add_url(people.m_wang), remove_url(people.m_wang, link)):
        response = Client().post(path, {"household": people.hh_a1_102.pk})
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/?next="), path
    assert state() == before


@pytest.mark.parametrize(
    "role",
    [
        "resident",
        "department_officer",
        "system_admin",
        "security_admin",
        "audit_admin",
        "building_head",
        "member_unit_contact",
    ],
)
def test_it_refuses_roles_that_do_not_keep_links(
    people: Any, cast: Any, login: Any, role: str
) -> None:
    """Residents and users without a territory never reach the workbench pages; the building
    head and the member-unit contact work there but do not keep links: 403 whatever the
    object, before any lookup (the permission depends on the role only)."""
    link = household_link_create(actor=None, member=people.m_wang, household=people.hh_a1_101)
    client = login(getattr(cast, role))
    before = state()
    assert (
        client.post(add_url(people.m_wang), {"household": people.hh_a1_102.pk}).status_code == 403
    )
    assert client.post(remove_url(people.m_wang, link)).status_code == 403
    assert client.post(add_url(people.m_west), {"household": 999999}, **HTMX).status_code == 403
    assert state() == before


def test_a_building_head_may_not_change_even_their_own_links(
    people: Any, cast: Any, login: Any
) -> None:
    own = member_create(
        actor=None,
        name="楼栋长党员",
        status="full",
        joined_on=date(2005, 7, 1),
        branch=people.branch_a,
        user=cast.building_head,
    )
    client = login(cast.building_head)
    assert client.get(member_url(own)).status_code == 200
    assert client.post(add_url(own), {"household": people.hh_a1_101.pk}).status_code == 403
    assert not HouseholdLink.objects.filter(member=own).exists()


def test_it_hides_another_scopes_members_and_links(
    city: Any, people: Any, cast: Any, login: Any
) -> None:
    link = household_link_create(actor=None, member=people.m_wang, household=people.hh_a1_101)
    west = household_link_create(actor=None, member=people.m_west, household=people.hh_w1_301)
    outsider = login(cast.outsider)  # the other street's dispatcher, who keeps links there
    grid_b = login(cast.grid_worker_b)
    staff = login(cast.community_staff)
    before = state()
    assert outsider.post(
        add_url(people.m_wang), {"household": people.hh_a1_102.pk}
    ).status_code == (404)
    assert outsider.post(remove_url(people.m_wang, link)).status_code == 404
    assert grid_b.post(add_url(people.m_wang), {"household": people.hh_b1_201.pk}).status_code == (
        404
    )
    assert grid_b.post(remove_url(people.m_wang, link)).status_code == 404
    assert staff.post(add_url(people.m_west), {"household": people.hh_w1_301.pk}).status_code == (
        404
    )
    assert staff.post(remove_url(people.m_west, west)).status_code == 404
    assert staff.post(add_url(people.m_wang), {"household": people.hh_w1_301.pk}).status_code == (
        404
    )
    assert staff.post("/workbench/party/members/999999/links/", {"household": 1}).status_code == (
        404
    )
    assert state() == before
    # The other street's dispatcher keeps their own street's links.
    response = outsider.post(remove_url(people.m_west, west))
    assert response.status_code == 302 and not HouseholdLink.objects.filter(pk=west.pk).exists()


def test_only_posts_change_links(people: Any, cast: Any, login: Any) -> None:
    link = household_link_create(actor=None, member=people.m_wang, household=people.hh_a1_101)
    client = login(cast.grid_worker_a)
    assert client.get(add_url(people.m_wang)).status_code == 405
    assert client.get(remove_url(people.m_wang, link)).status_code == 405
    assert HouseholdLink.objects.filter(pk=link.pk).exists()


def test_csrf_is_enforced(people: Any, cast: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.grid_worker_a)
    link = household_link_create(actor=None, member=people.m_wang, household=people.hh_a1_102)
    before = state()
    assert client.post(add_url(people.m_wang), {"household": people.hh_a1_101.pk}).status_code == (
        403
    )
    assert client.post(remove_url(people.m_wang, link), **HTMX).status_code == 403
    assert state() == before
    client.get(member_url(people.m_wang))  # sets the CSRF cookie, as the page does
    token = client.cookies["csrftoken"].value
    response = client.post(
        add_url(people.m_wang), {"household": people.hh_a1_101.pk, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    # HTMX sends the token as a header (hx-headers on <body>).
    response = client.post(remove_url(people.m_wang, link), HTTP_X_CSRFTOKEN=token, **HTMX)
    assert response.status_code == 200
    assert linked(people.m_wang) == {people.hh_a1_101.pk}


# --- query counts ----------------------------------------------------------------------------


def count_queries(client: Client, method: str, path: str, **kw: Any) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = getattr(client, method)(path, **kw)
    return len(ctx.captured_queries), response.status_code


def more_links(city: Any, people: Any, n: int) -> None:
    """n more households in grid A, each linked to 王建国, and as many still to choose."""
    for i in range(n):
        building = area_create(
            actor=None,
            parent=city.grid_a,
            kind=AreaKind.BUILDING,
            code=f"S1C1GAL{i}",
            name=f"东一联{i}号楼",
        )
        for room in ("101", "102"):
            household = household_create(actor=None, building=building, unit="1", room=room)
            if room == "101":
                household_link_create(actor=None, member=people.m_wang, household=household)


@override_settings(HOUSEHOLD_LINK_LIMIT=50)
def test_member_page_queries_do_not_grow_with_links(
    city: Any, people: Any, cast: Any, login: Any
) -> None:
    client = login(cast.grid_worker_a)
    path = member_url(people.m_wang)
    client.get(path)  # warm: the session and the first-request work are not what is measured
    before, status = count_queries(client, "get", path)
    assert status == 200 and before <= 12, before
    more_links(city, people, 5)
    after, _status = count_queries(client, "get", path)
    html = html_of(client, path)
    assert "已联系 5/上限 50 户" in html and len(choices_of(html)) == 7
    assert after == before, (before, after)


@override_settings(HOUSEHOLD_LINK_LIMIT=50)
def test_changes_cost_a_fixed_number_of_queries(
    city: Any, people: Any, cast: Any, login: Any
) -> None:
    client = login(cast.grid_worker_a)
    client.get(member_url(people.m_wang))

    def add_and_remove() -> tuple[int, int]:
        adds, status = count_queries(
            client, "post", add_url(people.m_wang), data={"household": people.hh_a1_101.pk}, **HTMX
        )
        assert status == 200
        link = HouseholdLink.objects.get(member=people.m_wang, household=people.hh_a1_101)
        removes, status = count_queries(client, "post", remove_url(people.m_wang, link), **HTMX)
        assert status == 200
        return adds, removes

    adds, removes = add_and_remove()
    assert adds <= 22 and removes <= 20, (adds, removes)
    more_links(city, people, 5)
    assert add_and_remove() == (adds, removes)
