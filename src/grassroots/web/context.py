from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from grassroots.accounts.models import ADMIN_ROLES, Role

STAFF_WORK = frozenset(set(Role) - {Role.RESIDENT} - ADMIN_ROLES)


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    roles: frozenset[str]


NAV = [
    NavItem(_("工作台"), "web:workbench", frozenset(set(Role) - {Role.RESIDENT})),
    NavItem(_("辖区"), "web:areas", STAFF_WORK | {Role.SYSTEM_ADMIN}),
    NavItem(_("职能部门"), "web:departments", STAFF_WORK | {Role.SYSTEM_ADMIN}),
    NavItem(_("管理后台"), "admin:index", ADMIN_ROLES),
    NavItem(_("账号与安全"), "accounts:security", frozenset(set(Role) - {Role.RESIDENT})),
]


def shell(request: HttpRequest) -> dict[str, Any]:
    """What every layout needs: the site name, and for staff the navigation and scope."""
    context: dict[str, Any] = {"site_name": settings.SITE_NAME}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff_role:
        return context
    current = getattr(getattr(request, "resolver_match", None), "view_name", "")
    context["nav"] = [
        {"label": item.label, "url": reverse(item.url_name), "active": current == item.url_name}
        for item in NAV
        if user.role in item.roles
    ]
    context["scope_labels"] = lambda: (
        [str(a) for a in user.scope_areas.all()] + [str(d) for d in user.scope_departments.all()]
    )
    return context
