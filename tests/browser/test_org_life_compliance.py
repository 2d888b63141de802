"""The community committee's compliance view shows the branch up to date (issue 7's acceptance):
东一社区B网格党支部 held every required meeting of this year so far; the community secretary
opens the overview on a desktop, sees every cell of the branch held, and opens its home."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from grassroots.party.models import HeldBy, MeetingKind, MeetingState, PartyOrg
from grassroots.party.periods import periods
from tests.browser.conftest import SKIP_MESSAGE
from tests.browser.test_smoke import scroll_width, sign_in
from tests.party.test_compliance import meeting

expect = pytest.importorskip("playwright.sync_api", reason=SKIP_MESSAGE).expect


def hold_everything_so_far(life: Any) -> int:
    """Every required kind, every period of this year up to today, held on its first day
    (talks: everyone together, so every pair has talked). Returns the kinds the branch holds."""
    today = timezone.localdate()
    PartyOrg.objects.filter(pk=life.branch.pk).update(theme_day=1)
    branch_kinds = 0
    for kind in MeetingKind.objects.filter(required=True):
        org = life.group if kind.held_by == HeldBy.GROUP else life.branch
        branch_kinds += org == life.branch
        present = life.members if kind.held_by == HeldBy.PAIR else ()
        for span in periods(kind.period, today.year):
            if span.start > today:
                break
            meeting(org, kind.code, held=f"{span.start.isoformat()} 00:01", present=present)
    return branch_kinds


def test_the_community_secretary_sees_the_branch_up_to_date(
    page: Any, url: Any, snap: Any, life: Any, cast: Any, people: Any
) -> None:
    kinds = hold_everything_so_far(life)
    year = timezone.localdate().year

    sign_in(page, url, "c1_secretary")
    page.goto(url("/workbench/party/life/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{year} 年组织生活合规")
    expect(page.get_by_test_id("legend")).to_contain_text("按时召开")
    community = page.get_by_test_id("community")
    expect(community).to_have_count(1)
    expect(community.get_by_role("heading", level=2)).to_contain_text("东一社区党委")

    branch = page.locator(f'[data-testid="org-row"][data-org="{life.branch.pk}"]')
    expect(branch).to_contain_text("东一社区B网格党支部")
    sums = branch.get_by_test_id("sum")
    expect(sums).to_have_count(kinds)
    for i in range(kinds):
        expect(sums.nth(i)).to_have_class("cc-sum cc-held")
    expect(branch.locator(".cc-late, .cc-missing")).to_have_count(0)
    group = page.locator(f'[data-testid="org-row"][data-org="{life.group.pk}"]')
    expect(group.get_by_test_id("sum")).to_have_class("cc-sum cc-held")
    assert scroll_width(page) <= 1280
    snap(page, "1-overview")

    # Only those behind: the branch is not among them.
    page.get_by_test_id("filter").get_by_role("link", name="只看落后的").click()
    expect(page.locator(f'[data-org="{life.branch.pk}"]')).to_have_count(0)
    snap(page, "2-behind")

    # The branch's home: every period so far held, the rest still to come.
    page.get_by_test_id("filter").get_by_role("link", name="全部支部").click()
    page.get_by_role("link", name="东一社区B网格党支部").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("东一社区B网格党支部")
    calendar = page.get_by_test_id("calendar")
    expect(calendar.locator('[data-status="missing"], [data-status="late"]')).to_have_count(0)
    expect(calendar.locator('[data-status="due"]')).to_have_count(0)
    assert calendar.locator('[data-status="held"]').count() > 0
    expect(page.get_by_test_id("plan")).to_have_attribute(
        "href", f"/workbench/party/meetings/new/?org={life.branch.pk}"
    )
    expect(page.get_by_test_id("due")).to_contain_text("本期应开的会议都已召开。")
    assert scroll_width(page) <= 1280
    snap(page, "3-branch-home")

    # Branch A, for the eye: what is missing, a make-up, a planned meeting, what is due.
    today = timezone.localdate()
    if today.month > 1:
        meeting(
            people.branch_a,
            "theme_day",
            held=f"{today.year}-02-01 09:00",
            covers=today.replace(month=1, day=1),
        )
    meeting(
        people.branch_a,
        "general_meeting",
        planned=f"{today.isoformat()} 23:59",
        state=MeetingState.PLANNED,
        title="本季度党员大会",
    )
    page.goto(url(f"/workbench/party/life/orgs/{people.branch_a.pk}/"))
    calendar = page.get_by_test_id("calendar")
    expect(calendar.locator('[data-status="planned"]')).to_have_count(1)
    expect(page.get_by_test_id("next-meetings")).to_contain_text("本季度党员大会")
    assert scroll_width(page) <= 1280
    snap(page, "4-branch-a-home")
