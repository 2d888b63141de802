"""Reads of 吹哨报到, each starting from what the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Prefetch, QuerySet, When

from grassroots.accounts.models import DEPARTMENT_ROLES
from grassroots.core.errors import NotFound
from grassroots.core.scoping import scope_of
from grassroots.territory.models import Department

from .models import (
    OPEN_SUMMONS,
    Flag,
    FlagState,
    Summons,
    SummonsState,
    Whistle,
    WhistleEvent,
    WhistleState,
)
from .rules import WHISTLER_ROLES, answers_for, is_whistler_side


def whistles_for(user: Any) -> QuerySet[Whistle]:
    """The whistles the user may see, newest first, with their summonses."""
    return (
        Whistle.objects.visible_to(user)
        .select_related("area", "street", "whistler", "ticket")
        .prefetch_related(
            Prefetch("summonses", queryset=Summons.objects.select_related("department"))
        )
        .order_by("-created_at", "-id")
    )


def board(user: Any) -> QuerySet[Whistle]:
    """The street's whistle board: open whistles first (oldest first: the longest waiting),
    then the solved ones (the latest first)."""
    is_open = Case(When(state=WhistleState.OPEN, then=0), default=1)
    return whistles_for(user).order_by(
        is_open, Case(When(state=WhistleState.OPEN, then="created_at")), "-solved_at", "-id"
    )


def find_whistle(user: Any, number: str) -> Whistle:
    whistle = whistles_for(user).filter(number=(number or "").strip()).first()
    if whistle is None:
        raise NotFound()
    return whistle


def find_summons(user: Any, whistle: Whistle, department_id: Any) -> Summons:
    """One summons of a visible whistle, by its department's id (NotFound otherwise)."""
    try:
        wanted = int(department_id)
    except (TypeError, ValueError) as exc:
        raise NotFound() from exc
    for summons in whistle.summonses.all():
        if summons.department_id == wanted:
            summons.whistle = whistle
            return summons
    raise NotFound()


def inbox(user: Any) -> QuerySet[Summons]:
    """A department's summonses: those waiting for report-in first (nearest deadline first),
    then those being handled, then the ended ones (newest first)."""
    department_ids = scope_of(user).department_ids
    if user.role not in DEPARTMENT_ROLES or not department_ids:
        return Summons.objects.none()
    return (
        Summons.objects.visible_to(user)
        .filter(department_id__in=department_ids)
        .select_related("whistle__area", "whistle__whistler", "whistle__ticket", "department")
        .order_by(
            Case(
                When(state=SummonsState.SUMMONED, then=0),
                When(state=SummonsState.REPORTED, then=1),
                default=2,
            ),
            Case(When(state__in=OPEN_SUMMONS, then="report_by")),
            "-created_at",
            "-id",
        )
    )


def timeline(whistle: Whistle) -> list[WhistleEvent]:
    """The joint timeline: every department's report-ins and actions, the whistler's
    decisions and the sweep's reminders, oldest first, with their photos."""
    return list(
        whistle.events.select_related("summons__department", "actor")
        .prefetch_related("photos")
        .order_by("created_at", "id")
    )


def flags_for(user: Any, *, state: str = FlagState.OPEN) -> QuerySet[Flag]:
    rows = Flag.objects.visible_to(user).select_related(
        "department", "summons__whistle", "ticket", "street"
    )
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("-created_at", "-id")


def summonable_departments(user: Any) -> QuerySet[Department]:
    """The departments a whistler may call: the active ones of the district and of the
    whistler's street (a community's secretary calls the same as its street)."""
    return (
        Department.objects.visible_to(user)
        .filter(is_active=True)
        .select_related("area")
        .order_by("area__depth", "code")
    )


def league_departments(user: Any) -> list[Department]:
    """The departments in the viewer's league table: those serving their territory, or
    their own department."""
    return list(Department.objects.visible_to(user).filter(is_active=True).order_by("code"))


@dataclass(frozen=True)
class Actions:
    """What the viewer may do on a whistle page (the services check again)."""

    confirm: bool = False
    release: tuple[int, ...] = ()  # summons ids
    rate_department: tuple[int, ...] = ()
    report_in: tuple[int, ...] = ()
    act: tuple[int, ...] = ()
    withdraw: tuple[int, ...] = ()
    rate_whistle: tuple[int, ...] = ()


def available_actions(whistle: Whistle, user: Any) -> Actions:
    summonses = list(whistle.summonses.all())
    if user.role in WHISTLER_ROLES and is_whistler_side(user, whistle):
        rated = set(
            Summons.objects.filter(whistle=whistle, rating__isnull=False).values_list(
                "id", flat=True
            )
        )
        return Actions(
            confirm=whistle.state == WhistleState.OPEN,
            release=tuple(s.pk for s in summonses if s.state in OPEN_SUMMONS),
            rate_department=tuple(
                s.pk for s in summonses if s.state != SummonsState.SUMMONED and s.pk not in rated
            ),
        )
    mine = [s for s in summonses if answers_for(user, s)]
    if not mine:
        return Actions()
    rated = set(
        Summons.objects.filter(pk__in=[s.pk for s in mine], whistle_rating__isnull=False)
        .values_list("id", flat=True)
    )  # fmt: skip
    return Actions(
        report_in=tuple(s.pk for s in mine if s.state == SummonsState.SUMMONED),
        act=tuple(s.pk for s in mine if s.state == SummonsState.REPORTED),
        withdraw=tuple(s.pk for s in mine if s.state in OPEN_SUMMONS),
        rate_whistle=tuple(s.pk for s in mine if s.pk not in rated),
    )
