"""The rules of organisational life that every part shares: who is expected at a meeting, who
has a vote, whether a quorum was met and a motion passed (DOMAIN.md §4), and who may plan,
record and run an organisation's meetings. Pure functions where they can be, so the edge
numbers (exactly half) are tested without a database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from grassroots.accounts.models import Role
from grassroots.core.scoping import scope_of

from .models import (
    BRANCH_KINDS,
    HeldBy,
    MeetingKind,
    MemberStatus,
    OrgKind,
    PartyMember,
    PartyOrg,
    PassingRule,
    QuorumRule,
)

# Staff who run organisational life for the organisations in their territory.
LIFE_STAFF_ROLES = frozenset(
    {Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY, Role.STREET_LEADER, Role.STREET_DISPATCHER}
)


def more_than_half(part: int, whole: int) -> bool:
    """ "超过半数": strictly more than half; exactly half is not enough."""
    return 2 * part > whole


@dataclass(frozen=True)
class Outcome:
    quorum_met: bool
    passed: bool
    reason: str


def quorum_met(
    kind: MeetingKind, *, expected: int, present: int, voting_expected: int, voting_present: int
) -> bool:
    if kind.quorum == QuorumRule.HALF_OF_VOTING:
        return more_than_half(voting_present, voting_expected)
    if kind.quorum == QuorumRule.HALF_OF_EXPECTED:
        return more_than_half(present, expected)
    return True


def vote_outcome(
    kind: MeetingKind,
    *,
    expected: int,
    present: int,
    voting_expected: int,
    voting_present: int,
    votes_for: int | None,
) -> Outcome:
    """Whether a resolution passed, and why not. Votes beyond attendance are refused before
    this is called (the services check it); here a missing quorum or too few votes for make
    a resolution not passed, with the reason in words."""
    if not quorum_met(
        kind,
        expected=expected,
        present=present,
        voting_expected=voting_expected,
        voting_present=voting_present,
    ):
        if kind.quorum == QuorumRule.HALF_OF_VOTING:
            counts = {"expected": voting_expected, "present": voting_present}
            reason = _(
                "未达到法定人数：有表决权的应到 %(expected)s 人，实到 %(present)s 人，未过半数。"
            )
        else:
            counts = {"expected": expected, "present": present}
            reason = _("未达到法定人数：应到 %(expected)s 人，实到 %(present)s 人，未过半数。")
        return Outcome(False, False, reason % counts)
    if kind.passing == PassingRule.NONE or votes_for is None:
        return Outcome(True, True, "")
    base = voting_expected if kind.passing == PassingRule.HALF_OF_EXPECTED else voting_present
    if more_than_half(votes_for, base):
        return Outcome(True, True, "")
    if kind.passing == PassingRule.HALF_OF_EXPECTED:
        reason = _("赞成 %(for)s 票，未超过应到有表决权人数 %(base)s 的半数。")
    else:
        reason = _("赞成 %(for)s 票，未超过实到有表决权人数 %(base)s 的半数。")
    return Outcome(True, False, reason % {"for": votes_for, "base": base})


def holds(kind: MeetingKind, org: PartyOrg, *, has_committee: bool | None = None) -> bool:
    """Whether an organisation holds meetings of this kind: branches hold the branch-wide
    kinds and talks, branches with a committee (7 or more full members) the committee
    meeting, and groups their group meeting. `has_committee`, when the caller read the
    committees of many organisations at once, saves the query."""
    if kind.held_by == HeldBy.GROUP:
        return org.kind == OrgKind.GROUP
    if org.kind not in BRANCH_KINDS:
        return False
    if kind.held_by == HeldBy.COMMITTEE:
        return org.committee.exists() if has_committee is None else has_committee
    return True


def branch_of(org: PartyOrg) -> PartyOrg:
    """The branch whose memberships an organisation's members hold: a group's parent branch,
    or the organisation itself."""
    if org.kind == OrgKind.GROUP:
        parent = PartyOrg.objects.filter(path=org.path[: -PartyOrg.steplen]).first()
        if parent is not None:
            return parent
    return org


def expected_members(kind: MeetingKind, org: PartyOrg) -> QuerySet[PartyMember]:
    """Who is expected: the branch's members, its committee (with the secretary), or the
    group's members. For a talk (two people) anyone of the branch may take part."""
    if kind.held_by == HeldBy.COMMITTEE:
        q = Q(committee_of=org)
        if org.secretary_id:
            q |= Q(pk=org.secretary_id)
        return PartyMember.objects.filter(q).distinct().order_by("name", "pk")
    if kind.held_by == HeldBy.GROUP:
        return PartyMember.objects.filter(group=org).order_by("name", "pk")
    return PartyMember.objects.filter(branch=org).order_by("name", "pk")


def has_vote(member: PartyMember) -> bool:
    """Probationary members speak but do not vote (预备党员没有表决权)."""
    return member.status == MemberStatus.FULL


def member_of(user: Any) -> PartyMember | None:
    """The party member a signed-in user is, if any (staff account or resident account)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return PartyMember.objects.of_user(user).select_related("branch", "group").first()


def leads(member: PartyMember | None, org: PartyOrg) -> bool:
    """The organisation's secretary (or group head), or a member of its committee."""
    if member is None:
        return False
    if org.secretary_id == member.pk:
        return True
    return org.committee.filter(pk=member.pk).exists()


def in_territory(user: Any, org: PartyOrg) -> bool:
    """Staff whose scope covers the organisation (fetch through visible_to first anyway)."""
    if getattr(user, "role", None) not in LIFE_STAFF_ROLES:
        return False
    return any(org.area_path.startswith(p) for p in scope_of(user).area_paths)


def may_run(user: Any, org: PartyOrg) -> bool:
    """Plan, record and correct the organisation's meetings, and run its appraisal: its
    secretary and committee, the secretary or committee of the branch above a group, and the
    party staff whose territory covers it."""
    if in_territory(user, org):
        return True
    member = member_of(user)
    if leads(member, org):
        return True
    if org.kind == OrgKind.GROUP:
        branch = branch_of(org)
        return branch != org and leads(member, branch)
    return False
