"""Workbench pages of the compliance calendar: the overview for the community committee and the
street working committee (which branches are behind, and on what), and a branch's home (next
meetings, what is due, this year's calendar, open follow-up tasks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from grassroots.accounts.typing import AuthedRequest
from grassroots.core.errors import NotFound
from grassroots.core.scoping import under

from .compliance import (
    HOLDING_KINDS,
    PENDING_STATES,
    Compliance,
    KindRow,
    OrgCompliance,
    Rollup,
    Status,
    Totals,
    compliance_for,
    compliance_under,
    org_seen_by,
)
from .life_rules import LIFE_STAFF_ROLES, may_run, member_of
from .models import FollowUp, FollowUpState, Meeting, OrgKind, PartyOrg
from .periods import FIRST_YEAR

# The meeting pages another part of the app serves (paths, not names: they may not exist yet).
MEETING_PATH = "/workbench/party/meetings/{pk}/"
PLAN_PATH = "/workbench/party/meetings/new/?org={pk}"
NEXT_MEETINGS = 10
FOLLOW_UPS = 50
LEGEND = [Status.HELD, Status.LATE, Status.MISSING, Status.DUE, Status.PLANNED, Status.UPCOMING]


@dataclass
class OverviewRow:
    item: OrgCompliance
    cells: list[KindRow | None]  # one per kind column; None: the organisation does not hold it


@dataclass
class OverviewGroup:
    rollup: Rollup
    rows: list[OverviewRow]
    totals: list[Totals | None]


def _year(request: AuthedRequest, this_year: int) -> int:
    try:
        year = int(request.GET.get("year", this_year))
    except ValueError:
        return this_year
    return year if FIRST_YEAR <= year <= this_year + 1 else this_year


def _groups(result: Compliance, *, behind_only: bool) -> list[OverviewGroup]:
    groups = []
    for rollup in result.communities:
        members = rollup.members
        if behind_only:
            behind = {m.org.path for m in members if m.behind}
            # A group stays under its branch, and a branch behind keeps its place.
            members = [m for m in members if any(p.startswith(m.org.path) for p in behind)]
        if not members:
            continue
        rows = []
        for item in members:
            by_kind = {r.kind.pk: r for r in item.rows}
            rows.append(OverviewRow(item, [by_kind.get(k.pk) for k in result.kinds]))
        totals = [rollup.totals.get(k.pk) for k in result.kinds]
        groups.append(OverviewGroup(rollup, rows, totals))
    return groups


@login_required
def overview(request: AuthedRequest) -> HttpResponse:
    """组织生活合规: the branches of the user's territory × the required kinds, this year."""
    if request.user.role not in LIFE_STAFF_ROLES:
        raise PermissionDenied
    today = timezone.localdate()
    year = _year(request, today.year)
    behind_only = request.GET.get("behind") == "1"
    result = compliance_for(request.user, year, today)
    branches = [o for o in result.orgs if o.org.kind != OrgKind.GROUP]
    context = {
        "result": result,
        "year": year,
        "years": [y for y in (year - 1, year, year + 1) if FIRST_YEAR <= y <= today.year],
        "behind_only": behind_only,
        "groups": _groups(result, behind_only=behind_only),
        "streets": [s for s in result.streets if s.org is not None],
        "branch_count": len(branches),
        # A branch is behind when it or one of its groups is (as the rollups count).
        "behind_count": sum(r.behind for r in result.communities),
        "missing": sum(r.missing for o in result.orgs for r in o.rows),
        "late": sum(r.late for o in result.orgs for r in o.rows),
        "legend": [(s.value, s.label) for s in LEGEND],
    }
    return render(request, "party/life/compliance.html", context)


def _member_reads(user: Any, org: PartyOrg) -> bool:
    """A member reads their branch's home; a group's home also the members of its branch."""
    member = member_of(user)
    if member is None:
        return False
    if org.kind == OrgKind.GROUP:
        return member.group_id == org.pk or member.branch.path == org.path[: -org.steplen]
    return member.branch_id == org.pk


@dataclass
class GridRow:
    """One kind of one organisation in the month grid: cells spanning 1, 3 or 12 months."""

    org: PartyOrg
    row: KindRow


@login_required
def branch_home(request: AuthedRequest, pk: int) -> HttpResponse:
    """A branch's (or group's) home: next meetings, what is due, this year's calendar and the
    open follow-up tasks. Another scope's organisation is a 404."""
    org = org_seen_by(request.user, pk)
    if org.kind not in HOLDING_KINDS:
        raise NotFound()
    # Those who run it (its committee, the party staff above it) and its members.
    runs = may_run(request.user, org)
    if not runs and not _member_reads(request.user, org):
        raise NotFound()
    today = timezone.localdate()
    result = compliance_under(org, today.year, today)
    grid = [GridRow(item.org, row) for item in result.orgs for row in item.rows]
    due = [(item.org, row, cell) for item in result.orgs for row, cell in item.due]
    inside = PartyOrg.objects.filter(under("path", org.path))
    meetings = list(
        Meeting.objects.filter(org__in=inside, state__in=PENDING_STATES)
        .select_related("org", "kind")
        .order_by("planned_at", "pk")[:NEXT_MEETINGS]
    )
    for meeting in meetings:
        meeting.url = MEETING_PATH.format(pk=meeting.pk)  # type: ignore[attr-defined]
    follow_ups = list(
        FollowUp.objects.filter(meeting__org__in=inside, state=FollowUpState.OPEN)
        .select_related("owner", "meeting")
        .order_by("due_on", "pk")[:FOLLOW_UPS]
    )
    for task in follow_ups:
        task.overdue = task.due_on < today  # type: ignore[attr-defined]
        task.meeting_url = MEETING_PATH.format(pk=task.meeting_id)  # type: ignore[attr-defined]
    secretary = org.secretary.name if org.secretary_id and org.secretary else ""
    context = {
        "org": org,
        "secretary": secretary,
        "today": today,
        "now": timezone.now(),
        "year": today.year,
        "months": range(1, 13),
        "grid": grid,
        "due": due,
        "meetings": meetings,
        "follow_ups": follow_ups,
        "can_plan": runs,
        "plan_url": PLAN_PATH.format(pk=org.pk),
        "legend": [(s.value, s.label) for s in LEGEND],
    }
    return render(request, "party/life/branch_home.html", context)
