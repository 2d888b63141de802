from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from grassroots.accounts.models import ADMIN_ROLES, DEPARTMENT_ROLES, SCOPE_AREA_KINDS, Role
from grassroots.notices.selectors import unread_count
from grassroots.party.life_rules import LIFE_STAFF_ROLES
from grassroots.tickets.rules import DISPATCHER_ROLES, HANDLER_ROLES, SUPERVISOR_ROLES

STAFF_WORK = frozenset(set(Role) - {Role.RESIDENT} - ADMIN_ROLES)
# Staff whose scope is a part of the territory: they work with its people and party.
SCOPED_STAFF = (
    frozenset(role for role, kinds in SCOPE_AREA_KINDS.items() if kinds)
    - {Role.RESIDENT}
    - ADMIN_ROLES  # 三员分立: administrators do not read residents or party data
)


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    roles: frozenset[str]
    # The URL namespace whose every page lights this entry (an org page under 组织与辖区).
    section: str = ""
    # Other pages that light it (a ticket's detail under 工单).
    also: frozenset[str] = frozenset()

    def is_active(self, view_name: str) -> bool:
        if view_name == self.url_name or view_name in self.also:
            return True
        return bool(self.section) and view_name.startswith(self.section + ":")


# 吹哨报到's whistling side: the street's and communities' staff and leaders.
WHISTLE_SIDE = frozenset(
    {Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY, Role.STREET_DISPATCHER, Role.STREET_LEADER}
)
# Requests: who dispatches, and who works with tickets at all (handles, dispatches, supervises).
TICKET_STAFF = HANDLER_ROLES | DISPATCHER_ROLES | SUPERVISOR_ROLES


NAV = [
    NavItem(_("工作台"), "web:workbench", frozenset(set(Role) - {Role.RESIDENT})),
    NavItem(_("派单台"), "tickets:desk", DISPATCHER_ROLES),
    NavItem(
        _("工单"),
        "tickets:list",
        TICKET_STAFF,
        also=frozenset({"tickets:detail", "tickets:export"}),
    ),
    NavItem(
        _("我的待办"),
        "tickets:queue",
        frozenset({Role.GRID_WORKER}),
        also=frozenset({"tickets:handle"}),
    ),
    # 三率 of the units below: communities and streets.
    NavItem(
        _("三率"),
        "tickets:rates",
        frozenset(
            {
                Role.COMMUNITY_STAFF,
                Role.COMMUNITY_SECRETARY,
                Role.STREET_DISPATCHER,
                Role.STREET_LEADER,
            }
        ),
    ),
    # 吹哨报到: the street and communities blow and follow; departments report in.
    NavItem(_("吹哨报到"), "whistles:board", WHISTLE_SIDE, section="whistles"),
    NavItem(
        _("部门报到"),
        "whistles:inbox",
        DEPARTMENT_ROLES,
        also=frozenset({"whistles:detail", "whistles:flags", "whistles:league"}),
    ),
    NavItem(_("辖区"), "web:areas", STAFF_WORK | {Role.SYSTEM_ADMIN}),
    NavItem(_("职能部门"), "web:departments", STAFF_WORK | {Role.SYSTEM_ADMIN}),
    NavItem(
        _("组织与辖区"),
        "party:overview",
        SCOPED_STAFF,
        also=frozenset({"party:org", "party:member", "party:area"}),
    ),
    # 三会一课, compliance, appraisal and points: the party workers of the territory.
    NavItem(
        _("组织生活"),
        "party:life",
        LIFE_STAFF_ROLES,
        also=frozenset(
            {
                "party:branch_home",
                "party:meetings",
                "party:meeting_new",
                "party:meeting",
                "party:meeting_record",
                "party:meeting_correct",
                "party:followup_new",
                "party:appraisal_list",
                "party:appraisal",
                "party:points_member",
            }
        ),
    ),
    # Members on patrol record meetings on their phones and read their points.
    NavItem(
        _("我的组织生活"),
        "party:meetings",
        frozenset({Role.GRID_WORKER, Role.BUILDING_HEAD}),
        also=frozenset(
            {
                "party:meeting",
                "party:meeting_record",
                "party:meeting_correct",
                "party:points_mine",
                "party:appraisal_mine",
                "party:appraisal_me",
            }
        ),
    ),
    NavItem(_("驻区单位"), "alliance:units", SCOPED_STAFF, section="alliance"),
    # Those who register people or members, and the system admin for buildings.
    NavItem(
        _("导入导出"),
        "io:index",
        frozenset(
            {
                Role.GRID_WORKER,
                Role.BUILDING_HEAD,
                Role.COMMUNITY_STAFF,
                Role.COMMUNITY_SECRETARY,
                Role.STREET_DISPATCHER,
                Role.STREET_LEADER,
                Role.SYSTEM_ADMIN,
            }
        ),
    ),
    NavItem(_("管理后台"), "admin:index", ADMIN_ROLES),
    NavItem(_("账号与安全"), "accounts:security", frozenset(set(Role) - {Role.RESIDENT})),
]


def shell(request: HttpRequest) -> dict[str, Any]:
    """What every layout needs: the site name, and for staff the navigation and scope."""
    context: dict[str, Any] = {"site_name": settings.SITE_NAME}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return context
    # Counted only if a template shows it, and at most once per page.
    context["unread_count"] = cache(lambda: unread_count(user))
    if not user.is_staff_role:
        return context
    if user.role in TICKET_STAFF:
        # The request counts of the workbench's front page: counted only there.
        context["ticket_cards"] = cache(lambda: _ticket_cards(user))
    current = getattr(getattr(request, "resolver_match", None), "view_name", "")
    context["nav"] = [
        {"label": item.label, "url": reverse(item.url_name), "active": item.is_active(current)}
        for item in NAV
        if user.role in item.roles
    ]
    context["scope_labels"] = lambda: (
        [str(a) for a in user.scope_areas.all()] + [str(d) for d in user.scope_departments.all()]
    )
    return context


def _ticket_cards(user: Any) -> list[dict[str, Any]]:
    # Imported here: the tickets views import the web views, which import this module.
    from grassroots.tickets.views.desk import workbench_cards

    return workbench_cards(user)
