from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from grassroots.accounts.models import ADMIN_ROLES, SCOPE_AREA_KINDS, Role
from grassroots.notices.selectors import unread_count

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

    def is_active(self, view_name: str) -> bool:
        if view_name == self.url_name:
            return True
        return bool(self.section) and view_name.startswith(self.section + ":")


NAV = [
    NavItem(_("工作台"), "web:workbench", frozenset(set(Role) - {Role.RESIDENT})),
    NavItem(_("辖区"), "web:areas", STAFF_WORK | {Role.SYSTEM_ADMIN}),
    NavItem(_("职能部门"), "web:departments", STAFF_WORK | {Role.SYSTEM_ADMIN}),
    NavItem(_("组织与辖区"), "party:overview", SCOPED_STAFF, section="party"),
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
