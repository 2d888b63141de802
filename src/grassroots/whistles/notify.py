"""Who is told what in 吹哨报到. Inbox messages are written in the service's transaction (a
rolled-back change tells nobody); the SMS to a department's officers is sent by the worker
after commit, the numbers read there (never put in the queue)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.accounts.models import DEPARTMENT_ROLES, Role, User
from grassroots.notices.services import notify as send_notice
from grassroots.tickets.notify import active_users

from .models import Summons, Whistle


def whistle_url(whistle: Whistle) -> str:
    return reverse("whistles:detail", args=[whistle.number])


def officers(department_ids: Iterable[int]) -> list[User]:
    """The officers of the departments; for a department with none, its head."""
    ids = list(department_ids)
    people = active_users(
        User.objects.filter(scope_departments__in=ids, role__in=DEPARTMENT_ROLES).prefetch_related(
            "scope_departments"
        )
    )
    covered = {
        d.pk for u in people if u.role == Role.DEPARTMENT_OFFICER for d in u.scope_departments.all()
    }
    return [
        u
        for u in people
        if u.role == Role.DEPARTMENT_OFFICER
        or any(d.pk in ids and d.pk not in covered for d in u.scope_departments.all())
    ]


def heads(department_id: int) -> list[User]:
    return active_users(
        User.objects.filter(scope_departments=department_id, role=Role.DEPARTMENT_HEAD)
    )


def street_leaders(whistle: Whistle) -> list[User]:
    return active_users(User.objects.filter(scope_areas=whistle.street_id, role=Role.STREET_LEADER))


def _tell(users: Iterable[User | None], whistle: Whistle, title: str, body: str = "") -> None:
    send_notice(
        recipients=[u for u in users if u is not None],
        title=title,
        body=body,
        url=whistle_url(whistle),
        kind="whistles",
    )


def _sms(users: Sequence[User], text: str) -> None:
    ids = [u.pk for u in users if u.mobile]
    if ids:
        from .tasks import send_whistle_sms

        transaction.on_commit(lambda: send_whistle_sms(ids, text))


def _when(at: Any) -> str:
    return timezone.localtime(at).strftime("%m-%d %H:%M")


def summoned(whistle: Whistle, summonses: Sequence[Summons]) -> None:
    for summons in summonses:
        people = officers([summons.department_id])
        title = _("%(kind)s：%(area)s 召集 %(dept)s") % {
            "kind": whistle.get_kind_display(),
            "area": whistle.area,
            "dept": summons.department,
        }
        body = _("%(title)s。地点：%(address)s。请于 %(at)s 前报到。") % {
            "title": whistle.title,
            "address": whistle.address,
            "at": _when(summons.report_by),
        }
        _tell(people, whistle, title, body)
        _sms(people, _("【吹哨报到】%(title)s，请于 %(at)s 前报到（%(number)s）。") % {
            "title": title, "at": _when(summons.report_by), "number": whistle.number,
        })  # fmt: skip


def reminded(summons: Summons) -> None:
    whistle = summons.whistle
    people = officers([summons.department_id])
    title = _("报到提醒：%(number)s") % {"number": whistle.number}
    body = _("%(dept)s 尚未报到，时限 %(at)s。") % {
        "dept": summons.department,
        "at": _when(summons.report_by),
    }
    _tell(people, whistle, title, body)
    _sms(people, _("【吹哨报到】%(body)s（%(number)s）") % {"body": body, "number": whistle.number})


def escalated(summons: Summons) -> None:
    whistle = summons.whistle
    title = _("超时未报到：%(dept)s") % {"dept": summons.department}
    body = _("%(number)s 的报到时限 %(at)s 已过，%(dept)s 仍未报到。") % {
        "number": whistle.number,
        "at": _when(summons.report_by),
        "dept": summons.department,
    }
    bosses = heads(summons.department_id)
    _tell([*bosses, *street_leaders(whistle), whistle.whistler], whistle, title, body)
    _sms(bosses, _("【吹哨报到】%(body)s") % {"body": body})


def reported_in(summons: Summons) -> None:
    whistle = summons.whistle
    _tell(
        [whistle.whistler],
        whistle,
        _("%(dept)s 已报到：%(number)s") % {"dept": summons.department, "number": whistle.number},
        _("%(mode)s。承诺：%(commitment)s")
        % {"mode": summons.get_report_mode_display(), "commitment": summons.commitment},
    )


def action(summons: Summons, note: str) -> None:
    whistle = summons.whistle
    _tell(
        [whistle.whistler],
        whistle,
        _("%(dept)s 处置进展：%(number)s") % {"dept": summons.department, "number": whistle.number},
        note,
    )


def withdrawn(summons: Summons, note: str) -> None:
    whistle = summons.whistle
    _tell(
        [whistle.whistler, *street_leaders(whistle)],
        whistle,
        _("%(dept)s 未经确认撤离：%(number)s")
        % {"dept": summons.department, "number": whistle.number},
        note,
    )


def released(summons: Summons, note: str) -> None:
    whistle = summons.whistle
    _tell(
        officers([summons.department_id]),
        whistle,
        _("已放行：%(number)s") % {"number": whistle.number},
        note,
    )


def confirmed(whistle: Whistle, summonses: Sequence[Summons]) -> None:
    _tell(
        officers([s.department_id for s in summonses]),
        whistle,
        _("问题已解决：%(number)s") % {"number": whistle.number},
        whistle.solved_note or _("吹哨方已确认问题解决，感谢配合。"),
    )
