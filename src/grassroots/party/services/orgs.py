"""Every change to party organisations, members and household links; validated and audited."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.core.audit import audit_log
from grassroots.core.errors import ValidationFailed
from grassroots.territory.models import Area, Household, Resident
from grassroots.territory.services import street_of

from ..models import (
    BRANCH_KINDS,
    LED_AREA_KINDS,
    ORG_PARENT_KINDS,
    HouseholdLink,
    MemberStatus,
    OrgKind,
    OrgSetting,
    PartyMember,
    PartyOrg,
)
from ..rules_check import (
    Finding,
    membership_findings,
    structure_findings,
    term_findings,
)


def _raise_errors(findings: Iterable[Finding], errors: dict[str, list[str]] | None = None) -> None:
    errors = dict(errors or {})
    for finding in findings:
        if finding.is_error:
            errors.setdefault(finding.field, []).append(finding.message)
    if errors:
        raise ValidationFailed(fields=errors)


def party_org_create(
    *,
    actor: Any,
    parent: PartyOrg | None,
    kind: str,
    name: str,
    setting: str = OrgSetting.TERRITORIAL,
    area: Area | None = None,
    member_unit: Any = None,
    covered_units: int = 1,
    term_start: date | None = None,
    term_end: date | None = None,
) -> PartyOrg:
    """A new organisation in the tree, checked against the kind of its parent, the territory
    it leads and the branch rules."""
    errors: dict[str, list[str]] = {}
    name = name.strip()
    if not name:
        errors["name"] = [_("请填写名称。")]
    if kind not in ORG_PARENT_KINDS:
        errors["kind"] = [_("不是可选的党组织类型。")]
    elif (parent.kind if parent else None) not in ORG_PARENT_KINDS[kind]:
        errors["kind"] = [
            _("“%(kind)s”不能设在“%(parent)s”之下。")
            % {
                "kind": OrgKind(kind).label,
                "parent": parent.get_kind_display() if parent else _("顶层"),
            }
        ]
    if setting == OrgSetting.TERRITORIAL:
        if area is not None and kind in LED_AREA_KINDS and area.kind not in LED_AREA_KINDS[kind]:
            errors["area"] = [
                _("“%(kind)s”不能领导“%(area)s”（%(area_kind)s）。")
                % {
                    "kind": OrgKind(kind).label,
                    "area": area.name,
                    "area_kind": area.get_kind_display(),
                }
            ]
        elif (
            area is not None
            and parent is not None
            and parent.area_path
            and not (area.path.startswith(parent.area_path))
        ):
            errors["area"] = [_("领导的区域应在上级党组织的区域之内。")]
        if area is None and parent is None:
            errors["area"] = [_("请选择领导的区域。")]
    else:
        if area is not None:
            errors["area"] = [_("建在产业链、合作社或驻区单位上的党组织不领导区域。")]
        if setting == OrgSetting.MEMBER_UNIT and member_unit is None:
            errors["member_unit"] = [_("请选择所在的驻区单位。")]
        if parent is None:
            errors["kind"] = [_("请选择上级党组织。")]
    today = timezone.localdate()
    findings = structure_findings(kind=kind, covered_units=covered_units) + term_findings(
        kind=kind,
        area_kind=area.kind if area else None,
        term_start=term_start,
        term_end=term_end,
        today=today,
    )
    _raise_errors(findings, errors)
    org = PartyOrg(
        kind=kind,
        name=name,
        setting=setting,
        area=area,
        member_unit=member_unit,
        covered_units=covered_units,
        term_start=term_start,
        term_end=term_end,
        area_path=area.path if area else (parent.area_path if parent else ""),
        street=street_of(area) if area else (parent.street if parent else None),
    )
    with transaction.atomic():
        if parent is None:
            org = PartyOrg.objects.add_root(instance=org)
        else:
            org = PartyOrg.objects.add_child(parent, instance=org)
        audit_log(
            action="party.org_create",
            actor=actor,
            obj=org,
            data={"kind": kind, "name": name, "area": area.code if area else None},
        )
    return org


def member_counts(org: PartyOrg) -> tuple[int, int]:
    """(full members, all members) whose membership the branch holds."""
    counts = org.members.aggregate(
        full=Count("id", filter=Q(status=MemberStatus.FULL)), total=Count("id")
    )
    return counts["full"], counts["total"]


def org_findings(org: PartyOrg) -> list[Finding]:
    """Everything the rules say about an organisation now: errors to put right, warnings."""
    full, total = member_counts(org) if org.kind in BRANCH_KINDS else (0, 0)
    committee = org.committee.count() if org.kind in BRANCH_KINDS else 0
    return (
        structure_findings(kind=org.kind, covered_units=org.covered_units)
        + term_findings(
            kind=org.kind,
            area_kind=org.area.kind if org.area else None,
            term_start=org.term_start,
            term_end=org.term_end,
            today=timezone.localdate(),
        )
        + membership_findings(kind=org.kind, full=full, total=total, committee=committee)
    )


def party_org_set_committee(
    *,
    actor: Any,
    org: PartyOrg,
    secretary: PartyMember | None,
    committee: Iterable[PartyMember],
    term_start: date | None = None,
    term_end: date | None = None,
) -> PartyOrg:
    """Elect the secretary and committee (and the term) of an organisation."""
    committee = list(committee)
    errors: dict[str, list[str]] = {}
    inside = [
        m
        for m in [*committee, *([secretary] if secretary else [])]
        if not m.branch.path.startswith(org.path)
    ]
    if inside:
        errors["committee"] = [
            _("委员和书记应是本组织的党员：%(names)s 不是。")
            % {"names": "、".join(m.name for m in inside)}
        ]
    if secretary is not None and committee and secretary not in committee:
        committee.append(secretary)
    findings = term_findings(
        kind=org.kind,
        area_kind=org.area.kind if org.area else None,
        term_start=term_start or org.term_start,
        term_end=term_end or org.term_end,
        today=timezone.localdate(),
    )
    if org.kind in BRANCH_KINDS:
        full, total = member_counts(org)
        findings += [
            f
            for f in membership_findings(
                kind=org.kind, full=full, total=total, committee=len(committee)
            )
            if f.field == "committee"
        ]
    _raise_errors(findings, errors)
    with transaction.atomic():
        org.secretary = secretary
        org.term_start = term_start or org.term_start
        org.term_end = term_end or org.term_end
        org.save(update_fields=["secretary", "term_start", "term_end", "updated_at"])
        org.committee.set(committee)
        audit_log(
            action="party.committee_set",
            actor=actor,
            obj=org,
            data={
                "secretary": secretary.pk if secretary else None,
                "committee": sorted(m.pk for m in committee),
            },
        )
    return org


def _check_placement(branch: PartyOrg, group: PartyOrg | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if branch.kind not in BRANCH_KINDS:
        errors["branch"] = [_("党员的组织关系应在党支部（或联合党支部）。")]
    # A group sits directly under its branch.
    if group is not None and (
        group.kind != OrgKind.GROUP or group.path[: -PartyOrg.steplen] != branch.path
    ):
        errors["group"] = [_("党小组应属于所在支部。")]
    return errors


def member_create(
    *,
    actor: Any,
    name: str,
    status: str,
    joined_on: date,
    branch: PartyOrg,
    group: PartyOrg | None = None,
    resident: Resident | None = None,
    user: Any = None,
    commitment: str = "",
    community_registered: bool = False,
    roles: Iterable[str] = (),
    shows_identity: bool = False,
) -> PartyMember:
    """Register a member in a branch; a person is a member in one branch only."""
    errors = _check_placement(branch, group)
    if not name.strip():
        errors["name"] = [_("请填写姓名。")]
    if status not in MemberStatus.values:
        errors["status"] = [_("不是可选的党员类别。")]
    if joined_on > timezone.localdate():
        errors["joined_on"] = [_("入党时间不能晚于今天。")]
    if resident is None and user is None:
        errors["resident"] = [_("请选择居民或工作人员账号。")]
    existing = (
        PartyMember.objects.select_related("branch")
        .filter(Q(resident=resident) if resident else Q(user=user))
        .first()
        if (resident or user)
        else None
    )
    if existing is not None:
        errors["resident" if resident else "user"] = [
            _("已是党员，组织关系在“%(branch)s”；请办理转接，不能重复登记。")
            % {"branch": existing.branch.name}
        ]
    role_fields = {
        "policy_relay": "serves_as_policy_relay",
        "mediator": "serves_as_mediator",
        "helper": "serves_as_helper",
    }
    unknown = [r for r in roles if r not in role_fields]
    if unknown:
        errors["roles"] = [_("未知的服务角色：%(roles)s") % {"roles": "、".join(unknown)}]
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        member = PartyMember.objects.create(
            name=name.strip(),
            status=status,
            joined_on=joined_on,
            branch=branch,
            group=group,
            resident=resident,
            user=user,
            commitment=commitment.strip()[:200],
            community_registered=community_registered,
            shows_identity=shows_identity,
            shows_identity_since=timezone.now() if shows_identity else None,
            street=branch.street,
            **{role_fields[r]: True for r in roles},
        )
        audit_log(
            action="party.member_create",
            actor=actor,
            obj=member,
            data={"branch": branch.pk, "status": status},
        )
    return member


def member_transfer(
    *, actor: Any, member: PartyMember, branch: PartyOrg, group: PartyOrg | None = None
) -> PartyMember:
    """Move a membership to another branch; a branch may not fall below 3 full members."""
    errors = _check_placement(branch, group)
    if branch.pk == member.branch_id and (group.pk if group else None) == member.group_id:
        errors["branch"] = [_("组织关系没有变化。")]
    if member.status == MemberStatus.FULL and branch.pk != member.branch_id:
        full, _total = member_counts(member.branch)
        if full - 1 < 3:
            errors.setdefault("branch", []).append(
                _("转出后“%(branch)s”的正式党员将不足 3 人，请先调整支部设置。")
                % {"branch": member.branch.name}
            )
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        before = member.branch_id
        member.branch, member.group, member.street = branch, group, branch.street
        member.save(update_fields=["branch", "group", "street", "updated_at"])
        audit_log(
            action="party.member_transfer",
            actor=actor,
            obj=member,
            data={"from": before, "to": branch.pk},
        )
    return member


def member_set_identity(*, actor: Any, member: PartyMember, shows: bool) -> PartyMember:
    """The member's own consent to show name, commitment and roles to the building
    (亮身份; PIPL: a separate consent, recorded with its time)."""
    with transaction.atomic():
        member.shows_identity = shows
        member.shows_identity_since = timezone.now() if shows else None
        member.save(update_fields=["shows_identity", "shows_identity_since", "updated_at"])
        audit_log(action="party.identity_consent", actor=actor, obj=member, data={"shows": shows})
    return member


def household_link_create(
    *, actor: Any, member: PartyMember, household: Household
) -> HouseholdLink:
    """党员联系户: link a member to a household of the branch's territory, up to the
    configured number per member."""
    limit = settings.HOUSEHOLD_LINK_LIMIT
    if not household.area_path.startswith(member.branch.area_path):
        raise ValidationFailed(fields={"household": [_("只能联系本支部辖区内的住户。")]})
    with transaction.atomic():
        # Lock the member so two requests at once cannot both pass the limit check.
        PartyMember.objects.select_for_update().filter(pk=member.pk).first()
        if HouseholdLink.objects.filter(member=member, household=household).exists():
            raise ValidationFailed(fields={"household": [_("已经联系这一户。")]})
        if HouseholdLink.objects.filter(member=member).count() >= limit:
            raise ValidationFailed(
                fields={"household": [_("每名党员联系户不超过 %(n)s 户。") % {"n": limit}]}
            )
        link = HouseholdLink.objects.create(member=member, household=household)
        audit_log(
            action="party.link_create",
            actor=actor,
            obj=link,
            street_id=household.street_id,
            data={"member": member.pk, "household": household.pk},
        )
    return link


def household_link_delete(*, actor: Any, link: HouseholdLink) -> None:
    with transaction.atomic():
        audit_log(
            action="party.link_delete",
            actor=actor,
            obj=link,
            street_id=link.household.street_id,
            data={"member": link.member_id, "household": link.household_id},
        )
        link.delete()
