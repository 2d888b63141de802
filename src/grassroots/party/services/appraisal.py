"""Member appraisal (民主评议党员, DOMAIN.md §4): a branch's yearly flow of self-assessment,
peer comments inside the group, the democratic ballot and the committee's assessment.

Each service runs in one transaction, checks everything before it writes (a refused request
changes nothing), writes, notifies and appends an audit record as its last write.

Ballots are secret by construction. A ballot marks that the voter has voted (`BallotCast`:
appraisal and voter, nothing else) and adds one to per-member, per-grade counters
(`BallotTally`); no row, no audit record and no notice holds a voter together with a grade.
How the counters are written keeps it that way (see `_count_ballot`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grassroots.accounts.models import User
from grassroots.core.audit import audit_log
from grassroots.core.errors import Conflict, Forbidden, ValidationFailed, clean_text, field_error
from grassroots.notices.services import notify

from ..life_rules import (
    LIFE_STAFF_ROLES,
    has_vote,
    in_territory,
    leads,
    may_run,
    member_of,
    more_than_half,
)
from ..models import (
    APPRAISAL_ORDER,
    BRANCH_KINDS,
    Appraisal,
    AppraisalStage,
    Assessment,
    BallotCast,
    BallotTally,
    Grade,
    PartyMember,
    PartyOrg,
    PeerReview,
    SelfAssessment,
)

SELF_LIMIT = 2000
PEER_LIMIT = 500
REASON_LIMIT = 500
FIRST_YEAR = 2000  # no appraisal on the platform predates it
NOTICE_KIND = "party.appraisal"


# --- shared checks -------------------------------------------------------------------------------


def branch_members(org: PartyOrg) -> QuerySet[PartyMember]:
    """Everyone the branch appraises: its members, full and probationary, by name."""
    return PartyMember.objects.filter(branch=org).select_related("group").order_by("name", "pk")


def _wrong_stage(appraisal: Appraisal, needed: str) -> ValidationFailed:
    return ValidationFailed(
        _("现在是“%(now)s”阶段，不能进行此操作。") % {"now": appraisal.get_stage_display()},
        code="wrong_state",
        fields={"stage": [_("此操作在“%(stage)s”阶段进行。") % {"stage": _stage_label(needed)}]},
    )


def _stage_label(stage: str) -> str:
    return str(AppraisalStage(stage).label)


def _locked(appraisal: Appraisal, stage: str) -> Appraisal:
    """The appraisal read again under a row lock, in the stage the action belongs to: a stage
    change (a conditional update of this row) waits until the action commits, so nothing is
    written into a stage that has just closed."""
    current = Appraisal.objects.select_for_update().select_related("org").get(pk=appraisal.pk)
    if current.stage != stage:
        raise _wrong_stage(current, stage)
    return current


def _own_member(actor: Any, appraisal: Appraisal, message: str) -> PartyMember:
    member = member_of(actor)
    if member is None or member.branch_id != appraisal.org_id:
        raise Forbidden(message)
    return member


def _may_run(actor: Any, org: PartyOrg) -> None:
    if not may_run(actor, org):
        raise Forbidden(_("只有本支部的书记、委员和所在辖区的党务工作人员可以组织民主评议。"))


def _account_holders(org: PartyOrg) -> QuerySet[User]:
    """The accounts of the branch's members: a staff account, or a resident's account."""
    return User.objects.filter(
        Q(party_member__branch=org) | Q(resident__party_member__branch=org), is_active=True
    ).distinct()


def _tell_members(appraisal: Appraisal, title: str, body: str) -> None:
    notify(
        recipients=_account_holders(appraisal.org),
        title=title,
        body=body,
        url=reverse("party:appraisal_me", args=[appraisal.pk]),
        kind=NOTICE_KIND,
    )


# --- open and advance ----------------------------------------------------------------------------


def appraisal_open(*, actor: Any, org: PartyOrg, year: int) -> Appraisal:
    """Opens a branch's appraisal for a year (one a year), in its first stage, and tells the
    members who have an account."""
    _may_run(actor, org)
    errors: dict[str, list[str]] = {}
    if org.kind not in BRANCH_KINDS:
        errors["org"] = [_("民主评议党员由党支部开展，请选择一个党支部。")]
    elif not PartyMember.objects.filter(branch=org).exists():
        errors["org"] = [_("本支部还没有党员。")]
    this_year = timezone.localdate().year
    if year > this_year:
        errors["year"] = [_("不能为以后的年度开展民主评议。")]
    elif year < FIRST_YEAR:
        errors["year"] = [_("年度不正确。")]
    if errors:
        raise ValidationFailed(fields=errors)
    taken = _("%(org)s %(year)s 年度的民主评议已经开始，不能重复开展。") % {
        "org": org.name,
        "year": year,
    }
    if Appraisal.objects.filter(org=org, year=year).exists():
        raise Conflict(taken)
    with transaction.atomic():
        try:
            with transaction.atomic():
                appraisal = Appraisal.objects.create(
                    org=org,
                    year=year,
                    opened_by=actor,
                    area_path=org.area_path,
                    street=org.street,
                )
        except IntegrityError as exc:  # opened by someone else a moment ago
            raise Conflict(taken) from exc
        _tell_members(
            appraisal,
            _("%(year)s 年度民主评议党员开始了") % {"year": year},
            _("请在“我的民主评议”中填写个人自评。"),
        )
        audit_log(
            action="party.appraisal_open",
            actor=actor,
            obj=appraisal,
            data={"org": org.pk, "year": year},
        )
    return appraisal


STAGE_NOTICES = {
    AppraisalStage.PEER: (
        gettext_lazy("%(year)s 年度民主评议：党员互评开始了"),
        gettext_lazy("请对本党小组的党员写出互评意见。"),
    ),
    AppraisalStage.BALLOT: (
        gettext_lazy("%(year)s 年度民主评议：民主测评开始了"),
        gettext_lazy("请为本支部每一位党员选择评议等次。投票不记名，只记录您已投票。"),
    ),
    AppraisalStage.DONE: (
        gettext_lazy("%(year)s 年度民主评议已完成"),
        gettext_lazy("可以在“我的民主评议”中查看支部对您的评定。"),
    ),
}


def appraisal_advance(*, actor: Any, appraisal: Appraisal, to_stage: str) -> Appraisal:
    """Moves the appraisal one stage forward. The stage changes by a conditional update, so of
    two people advancing at once one wins and the other gets a conflict. Closing it needs the
    committee's assessment of every member."""
    org = appraisal.org
    _may_run(actor, org)
    if to_stage not in APPRAISAL_ORDER:
        raise field_error("to_stage", _("不是可选的阶段。"))
    current = appraisal.stage
    if current == AppraisalStage.DONE:
        raise ValidationFailed(
            _("民主评议已完成。"), code="wrong_state", fields={"to_stage": [_("已完成。")]}
        )
    following = APPRAISAL_ORDER[APPRAISAL_ORDER.index(current) + 1]
    if to_stage != following:
        raise field_error(
            "to_stage",
            _("只能按顺序进入下一阶段“%(next)s”。") % {"next": _stage_label(following)},
        )
    if to_stage == AppraisalStage.DONE:
        assessed = Assessment.objects.filter(appraisal=appraisal).values("member_id")
        missing = list(branch_members(org).exclude(pk__in=assessed).values_list("name", flat=True))
        if missing:
            raise field_error(
                "to_stage",
                _("还有党员没有评定：%(names)s。") % {"names": "、".join(missing)},
            )
    changes: dict[str, Any] = {"stage": to_stage}
    if to_stage == AppraisalStage.DONE:
        changes["closed_at"] = timezone.now()
    with transaction.atomic():
        won = Appraisal.objects.filter(pk=appraisal.pk, stage=current).update(**changes)
        if not won:
            raise Conflict(_("评议阶段已被他人调整，请刷新后再试。"))
        if to_stage == AppraisalStage.BALLOT:
            _tally_cells(appraisal, branch_members(org).values_list("pk", flat=True))
        for name, value in changes.items():
            setattr(appraisal, name, value)
        notice = STAGE_NOTICES.get(AppraisalStage(to_stage))
        if notice is not None:
            _tell_members(appraisal, str(notice[0]) % {"year": appraisal.year}, str(notice[1]))
        audit_log(
            action="party.appraisal_advance",
            actor=actor,
            obj=appraisal,
            data={"from": current, "to": to_stage},
        )
    return appraisal


# --- the members' part ---------------------------------------------------------------------------


def self_assessment_submit(*, actor: Any, appraisal: Appraisal, text: str) -> SelfAssessment:
    """A member's self-assessment (个人自评); written again while the stage lasts."""
    with transaction.atomic():
        appraisal = _locked(appraisal, AppraisalStage.SELF)
        member = _own_member(actor, appraisal, _("只有本支部的党员本人可以填写个人自评。"))
        text = clean_text(text, "text", required=True, limit=SELF_LIMIT, label=_("个人自评"))
        row, _created = SelfAssessment.objects.update_or_create(
            appraisal=appraisal, member=member, defaults={"text": text}
        )
        audit_log(
            action="party.appraisal_self",
            actor=actor,
            obj=appraisal,
            data={"member": member.pk},
        )
    return row


def peer_targets(member: PartyMember) -> QuerySet[PartyMember]:
    """Whom a member comments on: the others of their group, or of their branch if they are
    in no group."""
    if member.group_id is not None:
        rows = PartyMember.objects.filter(branch_id=member.branch_id, group_id=member.group_id)
    else:
        rows = PartyMember.objects.filter(branch_id=member.branch_id)
    return rows.exclude(pk=member.pk).order_by("name", "pk")


def peer_review_submit(
    *, actor: Any, appraisal: Appraisal, about: PartyMember, text: str
) -> PeerReview:
    """A named comment on a member of one's group (互评); one per pair, written again while the
    stage lasts."""
    with transaction.atomic():
        appraisal = _locked(appraisal, AppraisalStage.PEER)
        by = _own_member(actor, appraisal, _("只有本支部的党员本人可以写互评意见。"))
        errors: dict[str, list[str]] = {}
        if about.pk == by.pk:
            errors["about"] = [_("互评是对其他党员的评议，不能评议自己。")]
        elif about.branch_id != appraisal.org_id:
            errors["about"] = [_("请选择本支部的党员。")]
        elif by.group_id is not None and about.group_id != by.group_id:
            errors["about"] = [_("只能评议本党小组的党员。")]
        try:
            text = clean_text(text, "text", required=True, limit=PEER_LIMIT, label=_("互评意见"))
        except ValidationFailed as exc:
            errors.update(exc.fields)
        if errors:
            raise ValidationFailed(fields=errors)
        row, _created = PeerReview.objects.update_or_create(
            appraisal=appraisal, about=about, by=by, defaults={"text": text}
        )
        audit_log(
            action="party.appraisal_peer",
            actor=actor,
            obj=appraisal,
            data={"about": about.pk, "by": by.pk},
        )
    return row


def _tally_cells(appraisal: Appraisal, member_ids: Any) -> None:
    """Every counter of the ballot at zero, for every member and every grade, whatever any
    ballot says: the cells exist before anyone votes (and for a member added later, before
    the next ballot counts), so the order rows were created in says nothing about a grade."""
    BallotTally.objects.bulk_create(
        [
            BallotTally(appraisal=appraisal, member_id=member_id, grade=grade, count=0)
            for member_id in member_ids
            for grade in Grade.values
        ],
        ignore_conflicts=True,
    )


def _count_ballot(appraisal: Appraisal, grades: Mapping[int, str]) -> None:
    """Adds the ballot to the counters in one UPDATE that touches every counter of the
    appraisal (+1 where the ballot chose, +0 elsewhere): no trace of a row version (an
    `xmin` on PostgreSQL) singles out the cells this ballot changed."""
    chosen = [
        When(grade=grade, member_id__in=sorted(m for m, g in grades.items() if g == grade), then=1)
        for grade in Grade.values
        if grade in grades.values()
    ]
    BallotTally.objects.filter(appraisal=appraisal).update(
        count=F("count") + Case(*chosen, default=Value(0))
    )


def ballot_cast(*, actor: Any, appraisal: Appraisal, grades: Mapping[Any, str]) -> None:
    """A full member's secret ballot (民主测评): a grade for every member of the branch. Marks
    that the voter has voted and adds to the counters; nothing links the voter to a grade.
    A second ballot is refused and changes nothing."""
    with transaction.atomic():
        appraisal = _locked(appraisal, AppraisalStage.BALLOT)
        voter = _own_member(actor, appraisal, _("只有本支部的党员本人可以投票。"))
        if not has_vote(voter):
            raise Forbidden(_("预备党员没有表决权，不参加民主测评投票。"))
        if BallotCast.objects.filter(appraisal=appraisal, voter=voter).exists():
            raise Conflict(_("您已投过票。"), code="already_voted")
        members = list(
            PartyMember.objects.filter(branch=appraisal.org)
            .order_by("name", "pk")
            .only("pk", "name")
        )
        clean = _check_grades(members, grades)
        try:
            with transaction.atomic():
                BallotCast.objects.create(appraisal=appraisal, voter=voter)
        except IntegrityError as exc:  # the same voter, from another tab, a moment ago
            raise Conflict(_("您已投过票。"), code="already_voted") from exc
        _tally_cells(appraisal, [m.pk for m in members])
        _count_ballot(appraisal, clean)
        # The appraisal only: who voted is the has-voted flag above; what they chose is not
        # written anywhere but in the counters.
        audit_log(action="party.appraisal_ballot", actor=actor, obj=appraisal, data={})


def _check_grades(members: Sequence[PartyMember], grades: Mapping[Any, str]) -> dict[int, str]:
    """The ballot as {member id: grade}, complete and for this branch only; otherwise field
    errors: `grades` says what is wrong overall, `grades.<member id>` beside each member."""
    valid = set(Grade.values)
    given: dict[int, str] = {}
    errors: dict[str, list[str]] = {}
    known = {m.pk for m in members}
    named: set[int] = set()
    for key, grade in grades.items():
        try:
            member_id = int(key)
        except (TypeError, ValueError):
            member_id = 0
        if member_id not in known:
            errors["grades"] = [_("选票中有不是本支部党员的人。")]
            continue
        named.add(member_id)
        if grade not in valid:
            errors[f"grades.{member_id}"] = [_("不是可选的等次。")]
            continue
        given[member_id] = grade
    missing = [m for m in members if m.pk not in named]
    for m in missing:
        errors.setdefault(f"grades.{m.pk}", [_("请选择等次。")])
    if missing:
        names = "、".join(m.name for m in missing)
        errors.setdefault("grades", []).append(
            _("请为每一位党员选择等次，还没有选：%(names)s。") % {"names": names}
        )
    if errors:
        raise ValidationFailed(_("选票没有填完整，请检查后再投。"), fields=errors)
    return given


# --- the committee's assessment ------------------------------------------------------------------


def assessment_set(
    *, actor: Any, appraisal: Appraisal, member: PartyMember, grade: str, reason: str
) -> Assessment:
    """The committee's assessment of a member (组织评定), with its reason; set again while the
    stage lasts."""
    _may_run(actor, appraisal.org)
    with transaction.atomic():
        appraisal = _locked(appraisal, AppraisalStage.ASSESSMENT)
        errors: dict[str, list[str]] = {}
        if member.branch_id != appraisal.org_id:
            errors["member"] = [_("请选择本支部的党员。")]
        if grade not in Grade.values:
            errors["grade"] = [_("请选择评定等次。")]
        text = (reason or "").strip()
        if not text:
            majority = ballot_majority(appraisal, member.pk) if not errors else None
            if majority is not None and grade in Grade.values and grade != majority:
                errors["reason"] = [
                    _("评定等次与民主测评的多数意见（%(majority)s）不同，请写明理由。")
                    % {"majority": Grade(majority).label}
                ]
            else:
                errors["reason"] = [
                    _("请填写评定理由；评定等次与民主测评多数意见不同时尤其需要写明。")
                ]
        elif len(text) > REASON_LIMIT:
            errors["reason"] = [_("评定理由不能超过 %(n)d 个字。") % {"n": REASON_LIMIT}]
        if errors:
            raise ValidationFailed(fields=errors)
        row, _created = Assessment.objects.update_or_create(
            appraisal=appraisal,
            member=member,
            defaults={"grade": grade, "reason": text, "assessed_by": actor},
        )
        audit_log(
            action="party.appraisal_assess",
            actor=actor,
            obj=appraisal,
            data={"member": member.pk, "grade": grade},
        )
    return row


# --- reading the results -------------------------------------------------------------------------


def majority_of(tallies: Mapping[str, int]) -> str | None:
    """The grade more than half of the member's ballots gave (超过半数), or None."""
    total = sum(tallies.values())
    for grade in Grade.values:
        if total and more_than_half(tallies.get(grade, 0), total):
            return grade
    return None


def ballot_majority(appraisal: Appraisal, member_id: int) -> str | None:
    counts = dict(
        BallotTally.objects.filter(appraisal=appraisal, member_id=member_id).values_list(
            "grade", "count"
        )
    )
    return majority_of(counts)


@dataclass
class PeerComment:
    by: PartyMember
    text: str


@dataclass
class MemberResult:
    member: PartyMember
    tallies: dict[str, int]
    majority: str | None
    self_assessment: str | None
    peers: list[PeerComment] = field(default_factory=list)
    assessment: Assessment | None = None

    @property
    def tally_list(self) -> list[tuple[str, str, int]]:
        """(grade, label, count) in the order of the grades, for the pages."""
        return [(g.value, str(g.label), self.tallies.get(g.value, 0)) for g in Grade]

    @property
    def majority_label(self) -> str:
        return str(Grade(self.majority).label) if self.majority else ""


@dataclass
class Progress:
    members: int
    voters: int  # full members: those with a vote
    self_assessed: int
    peer_reviews: int
    ballots_cast: int
    assessed: int

    @property
    def turnout(self) -> float:
        """Ballots cast ÷ full members (0 when the branch has none)."""
        return self.ballots_cast / self.voters if self.voters else 0.0

    @property
    def turnout_percent(self) -> int:
        return round(self.turnout * 100)


def appraisal_progress(
    appraisal: Appraisal,
    members: Sequence[PartyMember],
    results: Sequence[MemberResult] | None = None,
) -> Progress:
    """How far the appraisal has got: counts only. Read from the results when they are at
    hand (one query more), else four queries; never more with more members."""
    cast = BallotCast.objects.filter(appraisal=appraisal).count()
    voting = sum(1 for m in members if has_vote(m))
    if results is not None:
        return Progress(
            members=len(members),
            voters=voting,
            self_assessed=sum(1 for r in results if r.self_assessment is not None),
            peer_reviews=sum(len(r.peers) for r in results),
            ballots_cast=cast,
            assessed=sum(1 for r in results if r.assessment is not None),
        )
    return Progress(
        members=len(members),
        voters=voting,
        self_assessed=SelfAssessment.objects.filter(appraisal=appraisal).count(),
        peer_reviews=PeerReview.objects.filter(appraisal=appraisal).count(),
        ballots_cast=cast,
        assessed=Assessment.objects.filter(appraisal=appraisal).count(),
    )


def self_assessed_ids(appraisal: Appraisal) -> set[int]:
    return set(
        SelfAssessment.objects.filter(appraisal=appraisal).values_list("member_id", flat=True)
    )


def appraisal_results(appraisal: Appraisal, members: Sequence[PartyMember]) -> list[MemberResult]:
    """Per member: the ballot counters per grade and their majority, the self-assessment, the
    named peer comments and the committee's assessment. Four queries, whatever the size."""
    tallies: dict[int, dict[str, int]] = {m.pk: {} for m in members}
    for member_id, grade, count in BallotTally.objects.filter(appraisal=appraisal).values_list(
        "member_id", "grade", "count"
    ):
        tallies.setdefault(member_id, {})[grade] = count
    selves = dict(
        SelfAssessment.objects.filter(appraisal=appraisal).values_list("member_id", "text")
    )
    peers: dict[int, list[PeerComment]] = {}
    for review in (
        PeerReview.objects.filter(appraisal=appraisal)
        .select_related("by")
        .order_by("about_id", "by__name", "pk")
    ):
        peers.setdefault(review.about_id, []).append(PeerComment(review.by, review.text))
    assessments = {a.member_id: a for a in Assessment.objects.filter(appraisal=appraisal)}
    return [
        MemberResult(
            member=m,
            tallies={g: tallies.get(m.pk, {}).get(g, 0) for g in Grade.values},
            majority=majority_of(tallies.get(m.pk, {})),
            self_assessment=selves.get(m.pk),
            peers=peers.get(m.pk, []),
            assessment=assessments.get(m.pk),
        )
        for m in members
    ]


@dataclass
class MyPart:
    """What a member sees of their own part: their self-assessment, their comments, whether
    they have voted (never what), and once it is done, the committee's assessment of them."""

    member: PartyMember
    may_vote: bool
    has_voted: bool
    self_assessment: str | None
    peer_targets: list[PartyMember]
    my_reviews: dict[int, str]
    assessment: Assessment | None


@dataclass
class AppraisalState:
    """An appraisal as one user sees it (a selector for the API and the pages)."""

    appraisal: Appraisal
    members: list[PartyMember]
    may_run: bool
    me: MyPart | None
    progress: Progress | None = None  # to those who run it
    self_ids: set[int] = field(default_factory=set)  # idem: who has written a self-assessment
    results: list[MemberResult] | None = None  # idem, from the assessment stage on

    @property
    def next_stage(self) -> str | None:
        stage = self.appraisal.stage
        if stage == AppraisalStage.DONE:
            return None
        return APPRAISAL_ORDER[APPRAISAL_ORDER.index(stage) + 1]

    @property
    def next_stage_label(self) -> str:
        return _stage_label(self.next_stage) if self.next_stage else ""


RESULT_STAGES = frozenset({AppraisalStage.ASSESSMENT, AppraisalStage.DONE})


def appraisal_state(user: Any, appraisal: Appraisal) -> AppraisalState:
    """The appraisal (fetched through visible_to) as `user` sees it: the members; for those
    who run it the progress and, from the assessment stage on, the counters, comments and
    assessments; for a member of the branch their own part. A bounded number of queries,
    whatever the number of members."""
    org = appraisal.org
    members = list(branch_members(org))
    mine = member_of(user)
    # may_run for a branch (an appraisal's organisation always is one), with the member
    # already read.
    runs = in_territory(user, org) or leads(mine, org)
    me: MyPart | None = None
    if mine is not None and mine.branch_id == appraisal.org_id:
        done = appraisal.stage == AppraisalStage.DONE
        if mine.group_id is not None:
            targets = [m for m in members if m.group_id == mine.group_id and m.pk != mine.pk]
        else:
            targets = [m for m in members if m.pk != mine.pk]
        me = MyPart(
            member=mine,
            may_vote=has_vote(mine),
            has_voted=BallotCast.objects.filter(appraisal=appraisal, voter=mine).exists(),
            self_assessment=SelfAssessment.objects.filter(appraisal=appraisal, member=mine)
            .values_list("text", flat=True)
            .first(),
            peer_targets=targets,
            my_reviews=dict(
                PeerReview.objects.filter(appraisal=appraisal, by=mine).values_list(
                    "about_id", "text"
                )
            ),
            assessment=Assessment.objects.filter(appraisal=appraisal, member=mine).first()
            if done
            else None,
        )
    state = AppraisalState(appraisal=appraisal, members=members, may_run=runs, me=me)
    if runs:
        if appraisal.stage in RESULT_STAGES:
            state.results = appraisal_results(appraisal, members)
            state.self_ids = {r.member.pk for r in state.results if r.self_assessment is not None}
        else:
            state.self_ids = self_assessed_ids(appraisal)
        state.progress = appraisal_progress(appraisal, members, state.results)
    return state


def runnable_branches(user: Any) -> QuerySet[PartyOrg]:
    """The branches whose appraisal `user` may open and run (may_run, for many at once): those
    in a party worker's territory, and those the user leads as secretary or committee member."""
    branches = PartyOrg.objects.filter(kind__in=BRANCH_KINDS)
    found: list[Q] = []
    if getattr(user, "role", None) in LIFE_STAFF_ROLES:
        found.append(Q(pk__in=PartyOrg.objects.visible_to(user).values("pk")))
    member = member_of(user)
    if member is not None:
        found.append(Q(secretary=member) | Q(committee=member))
    if not found:
        return branches.none()
    return branches.filter(reduce(or_, found)).distinct().order_by("path")
