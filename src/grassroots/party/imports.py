"""Party members from Excel; members and member units to Excel.

A member is an existing resident (found by ID number) or a staff account (by username), both
of whom the importer may see; the branch and group are named or numbered and must be visible
too. The branch rules that `member_create` enforces are checked for every row first, so the
report lists them all. Showing one's identity (亮身份) is never imported: it is the member's
own consent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from functools import partial
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from grassroots.accounts.models import Role, User
from grassroots.alliance.models import MemberUnit
from grassroots.core.excel import (
    Column,
    ExportFile,
    ImportMode,
    ImportResult,
    RowPlan,
    check_export_size,
    export_audit,
    export_filename,
    may_reveal,
    read_rows,
    run_import,
    shown_id_number,
    shown_mobile,
    write_workbook,
)
from grassroots.core.personal import digests, normalise
from grassroots.core.validators import validate_id_number
from grassroots.territory.imports import LIST_SPLIT, label_map
from grassroots.territory.models import Resident

from .models import BRANCH_KINDS, MemberStatus, OrgKind, PartyMember, PartyOrg
from .selectors import members_for
from .services import member_create

PARTY_FOUNDED = date(1921, 7, 1)
DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
ROLE_LABELS = {
    "传声筒": "policy_relay",
    "政策传声筒": "policy_relay",
    "润滑剂": "mediator",
    "矛盾润滑剂": "mediator",
    "贴心人": "helper",
    "服务贴心人": "helper",
}
YES_NO = {"是": True, "否": False, "": False}

ID_NUMBER = Column(
    "id_number",
    gettext_noop("身份证号"),
    note=gettext_noop("已登记居民的身份证号。工作人员党员改填“工作人员账号”，二者填一个。"),
    text=True,
    width=22,
)
USERNAME = Column(
    "username",
    gettext_noop("工作人员账号"),
    note=gettext_noop("工作人员的登录账号，与身份证号二选一。"),
    width=14,
)
NAME = Column(
    "name",
    gettext_noop("姓名"),
    note=gettext_noop("须与登记的居民姓名一致。"),
    example="王建国",
    required=True,
    max_length=50,
    width=10,
)
STATUS = Column(
    "status",
    gettext_noop("党员类别"),
    example="正式党员",
    required=True,
    choices=("正式党员", "预备党员"),
    width=10,
)
JOINED_ON = Column(
    "joined_on",
    gettext_noop("入党时间"),
    note=gettext_noop("格式 YYYY-MM-DD，如 2001-07-01。"),
    example="2001-07-01",
    required=True,
    text=True,
    width=12,
)
BRANCH = Column(
    "branch",
    gettext_noop("所在支部"),
    note=gettext_noop("党支部的全称或编号。"),
    example="幸福社区第一网格党支部",
    required=True,
    width=24,
)
GROUP = Column(
    "group",
    gettext_noop("党小组"),
    note=gettext_noop("选填；须是所在支部下的党小组，填全称或编号。"),
    example="幸福里9号楼党小组",
    width=18,
)
COMMITMENT = Column(
    "commitment",
    gettext_noop("承诺"),
    note=gettext_noop("公开承诺，最多 200 字，选填。"),
    example="有事找我，随叫随到",
    max_length=200,
    width=24,
)
ROLES = Column(
    "roles",
    gettext_noop("服务角色"),
    note=gettext_noop("可填：传声筒、润滑剂、贴心人，多个用顿号“、”隔开。"),
    example="贴心人",
    width=16,
)
REGISTERED = Column(
    "community_registered",
    gettext_noop("在职党员报到"),
    note=gettext_noop("在职党员已到社区报到的填“是”，其他填“否”或不填。"),
    example="否",
    choices=("是", "否"),
    width=12,
)
MEMBER_COLUMNS = (
    ID_NUMBER,
    USERNAME,
    NAME,
    STATUS,
    JOINED_ON,
    BRANCH,
    GROUP,
    COMMITMENT,
    ROLES,
    REGISTERED,
)


class OrgFinder:
    """Branches and groups named (or numbered) in a file, in two queries: the organisations
    with those names or ids, and which of them the importer may see."""

    def __init__(self, actor: Any, refs: set[str]) -> None:
        ids = {int(r) for r in refs if r.isdigit()}
        names = {r for r in refs if r and not r.isdigit()}
        self.orgs = list(PartyOrg.objects.filter(Q(pk__in=ids) | Q(name__in=names)))
        self.visible = set(
            PartyOrg.objects.visible_to(actor)
            .filter(pk__in=[o.pk for o in self.orgs])
            .values_list("pk", flat=True)
        )

    def _named(self, ref: str) -> list[PartyOrg]:
        if ref.isdigit():
            return [o for o in self.orgs if o.pk == int(ref)]
        return [o for o in self.orgs if o.name == ref]

    def branch(self, plan: RowPlan, ref: str) -> PartyOrg | None:
        if not ref:
            return None
        found = self._named(ref)
        visible = [o for o in found if o.pk in self.visible]
        branches = [o for o in visible if o.kind in BRANCH_KINDS]
        if not found:
            plan.error(BRANCH, _("找不到支部“%(ref)s”。") % {"ref": ref})
        elif not visible:
            plan.error(BRANCH, _("支部“%(ref)s”不在您的管辖范围内。") % {"ref": ref})
        elif not branches:
            plan.error(BRANCH, _("“%(ref)s”不是党支部，党员的组织关系应在党支部。") % {"ref": ref})
        elif len(branches) > 1:
            plan.error(BRANCH, _("有多个支部叫“%(ref)s”，请填写支部编号。") % {"ref": ref})
        else:
            return branches[0]
        return None

    def group(self, plan: RowPlan, ref: str, branch: PartyOrg | None) -> PartyOrg | None:
        if not ref:
            return None
        found = self._named(ref)
        visible = [o for o in found if o.pk in self.visible]
        groups = [o for o in visible if o.kind == OrgKind.GROUP]
        inside = [g for g in groups if branch is not None and g.path.startswith(branch.path)]
        if not found:
            plan.error(GROUP, _("找不到党小组“%(ref)s”。") % {"ref": ref})
        elif not visible:
            plan.error(GROUP, _("党小组“%(ref)s”不在您的管辖范围内。") % {"ref": ref})
        elif not groups:
            plan.error(GROUP, _("“%(ref)s”不是党小组。") % {"ref": ref})
        elif branch is None:
            pass  # the branch column already carries the error
        elif not inside:
            plan.error(
                GROUP,
                _("党小组“%(group)s”不属于“%(branch)s”，应选所在支部下的党小组。")
                % {"group": ref, "branch": branch.name},
            )
        elif len(inside) > 1:
            plan.error(GROUP, _("有多个党小组叫“%(ref)s”，请填写党小组编号。") % {"ref": ref})
        else:
            return inside[0]
        return None


def parse_date(text: str) -> date | None:
    match = DATE_RE.fullmatch(text.strip())
    if match is None:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def members_import(
    *,
    actor: Any,
    source: IO[bytes],
    mode: str = ImportMode.ALL_OR_NOTHING,
    request: HttpRequest | None = None,
) -> ImportResult:
    """Members registered in visible branches: each person once, never twice in a file or a
    second time in the district (a transfer is a separate act)."""
    rows = read_rows(source, MEMBER_COLUMNS)
    statuses = label_map(MemberStatus)
    today = timezone.localdate()
    orgs = OrgFinder(actor, {r[BRANCH.key] for r in rows} | {r[GROUP.key] for r in rows})

    id_numbers = {normalise(r[ID_NUMBER.key]) for r in rows} - {""}
    residents: dict[str, Resident] = {}
    for found in Resident.objects.visible_to(actor).filter(
        id_number_digest__in=[d for n in id_numbers for d in digests(n)]
    ):
        residents[normalise(found.id_number)] = found
    users = {
        u.username: u
        for u in User.objects.visible_to(actor)
        .filter(username__in={r[USERNAME.key] for r in rows} - {""}, is_active=True)
        .exclude(role=Role.RESIDENT)
    }
    existing: dict[tuple[str, int], PartyMember] = {}
    for member in PartyMember.objects.select_related("branch").filter(
        Q(resident__in=residents.values()) | Q(user__in=users.values())
    ):
        if member.resident_id:
            existing[("resident", member.resident_id)] = member
        if member.user_id:
            existing[("user", member.user_id)] = member

    seen: dict[tuple[str, int], int] = {}
    plans = []
    for row in rows:
        plan = RowPlan(
            row,
            fields={
                "resident": ID_NUMBER.label,
                "user": USERNAME.label,
                "name": NAME.label,
                "status": STATUS.label,
                "joined_on": JOINED_ON.label,
                "branch": BRANCH.label,
                "group": GROUP.label,
                "roles": ROLES.label,
            },
        )
        name = plan.text(NAME)
        id_number = normalise(row[ID_NUMBER.key])
        username = row[USERNAME.key]
        resident: Resident | None = None
        user: User | None = None
        if bool(id_number) == bool(username):
            plan.error(ID_NUMBER, _("请填写身份证号或工作人员账号（二选一）。"))
        elif id_number:
            try:
                validate_id_number(id_number)
            except ValidationError as exc:
                plan.error(ID_NUMBER, " ".join(exc.messages))
            else:
                resident = residents.get(id_number)
                if resident is None:
                    plan.error(ID_NUMBER, _("没有找到该身份证号的居民，请先登记居民。"))
                elif name and name != resident.name:
                    plan.error(NAME, _("姓名与登记的居民姓名不一致，请核对。"))
        else:
            user = users.get(username)
            if user is None:
                plan.error(
                    USERNAME, _("找不到工作人员账号“%(username)s”。") % {"username": username}
                )
        person = ("resident", resident.pk) if resident else ("user", user.pk) if user else None
        if person is not None:
            column = ID_NUMBER if resident else USERNAME
            if person in seen:
                plan.error(
                    column, _("与第 %(row)s 行是同一人，不能重复登记。") % {"row": seen[person]}
                )
            elif person in existing:
                plan.error(
                    column,
                    _("已是党员，组织关系在“%(branch)s”；请办理转接，不能重复登记。")
                    % {"branch": existing[person].branch.name},
                )
            seen.setdefault(person, row.number)

        status = statuses.get(plan.text(STATUS), "")
        if row[STATUS.key] and not status:
            plan.error(STATUS, _("党员类别请填“正式党员”或“预备党员”。"))
        joined_text = plan.text(JOINED_ON)
        joined_on = parse_date(joined_text) if joined_text else None
        if joined_text:
            if joined_on is None:
                plan.error(JOINED_ON, _("入党时间请按 YYYY-MM-DD 填写，如 2001-07-01。"))
            elif joined_on > today:
                plan.error(JOINED_ON, _("入党时间不能晚于今天。"))
            elif joined_on < PARTY_FOUNDED:
                plan.error(JOINED_ON, _("入党时间不能早于 1921 年 7 月 1 日。"))
        branch = orgs.branch(plan, plan.text(BRANCH))
        group = orgs.group(plan, row[GROUP.key], branch)
        commitment = plan.text(COMMITMENT)
        role_names = [r for r in LIST_SPLIT.split(row[ROLES.key]) if r]
        unknown = [r for r in role_names if r not in ROLE_LABELS]
        if unknown:
            plan.error(
                ROLES,
                _("未知的服务角色：%(roles)s。可选：传声筒、润滑剂、贴心人。")
                % {"roles": "、".join(unknown)},
            )
        registered = YES_NO.get(row[REGISTERED.key])
        if registered is None:
            plan.error(REGISTERED, _("在职党员报到请填“是”或“否”。"))
        if plan.ok and branch is not None and joined_on is not None:
            plan.write = partial(
                member_create,
                actor=actor,
                name=name,
                status=status,
                joined_on=joined_on,
                branch=branch,
                group=group,
                resident=resident,
                user=user,
                commitment=commitment,
                community_registered=bool(registered),
                roles=sorted({ROLE_LABELS[r] for r in role_names}),
            )
        plans.append(plan)
    return run_import(actor=actor, kind="members", plans=plans, mode=mode, request=request)


# ---------------------------------------------------------------------------------------------
# Exports


def members_export(
    *, actor: Any, reveal: bool = False, request: HttpRequest | None = None
) -> ExportFile:
    """The members the user may see; phone and ID numbers masked unless revealed (audited)."""
    revealed = may_reveal(actor, reveal)
    qs = members_for(actor).select_related("user")
    check_export_size(qs.count())

    def rows() -> Iterator[list[Any]]:
        for m in qs.iterator(chunk_size=2000):
            resident = m.resident
            mobile = resident.mobile if resident else (m.user.mobile if m.user else "")
            yield [
                m.name,
                m.get_status_display(),
                m.joined_on,
                m.branch.name,
                m.group.name if m.group else "",
                shown_id_number(resident.id_number if resident else "", revealed),
                m.user.username if m.user else "",
                shown_mobile(mobile, revealed),
                m.commitment,
                "、".join(m.service_roles),
                _("是") if m.community_registered else _("否"),
                _("是") if m.shows_identity else _("否"),
            ]

    content, count = write_workbook(
        title=_("党员"),
        headers=[
            _("姓名"),
            _("党员类别"),
            _("入党时间"),
            _("所在支部"),
            _("党小组"),
            _("身份证号"),
            _("工作人员账号"),
            _("手机号"),
            _("承诺"),
            _("服务角色"),
            _("在职党员报到"),
            _("亮身份"),
        ],
        rows=rows(),
        widths=[10, 10, 12, 24, 18, 22, 14, 14, 24, 20, 12, 8],
    )
    export_audit(actor=actor, kind="members", rows=count, revealed=revealed, request=request)
    return ExportFile(export_filename(_("党员")), content, count)


def member_units_export(
    *, actor: Any, reveal: bool = False, request: HttpRequest | None = None
) -> ExportFile:
    """The member units (驻区单位) the user may see; the contact's mobile masked unless
    revealed (audited)."""
    revealed = may_reveal(actor, reveal)
    qs = MemberUnit.objects.visible_to(actor).select_related("area").order_by("area__path", "name")
    check_export_size(qs.count())

    def rows() -> Iterator[list[Any]]:
        for u in qs.iterator(chunk_size=2000):
            yield [
                u.name,
                u.get_kind_display(),
                u.area.name,
                u.address,
                u.contact_name,
                shown_mobile(u.contact_mobile, revealed),
            ]

    content, count = write_workbook(
        title=_("驻区单位"),
        headers=[
            _("单位名称"),
            _("类型"),
            _("所在社区或街道"),
            _("地址"),
            _("联系人"),
            _("联系电话"),
        ],
        rows=rows(),
        widths=[24, 12, 16, 30, 10, 14],
    )
    export_audit(actor=actor, kind="member_units", rows=count, revealed=revealed, request=request)
    return ExportFile(export_filename(_("驻区单位")), content, count)
