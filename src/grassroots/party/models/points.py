"""党员积分: an append-only ledger per member. Rules are configuration (`PointRule`); every
entry names the fact that produced it (a meeting record, a ticket) or, for a manual
adjustment, the reason and the person. Nothing is earned by signing in, reading or clicking."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grassroots.core.scoping import Scope, ScopedQuerySet, under_paths
from grassroots.territory.models import Area

from .orgs import PartyMember


class PointRule(models.Model):
    """One configured rule: a fact and the points it is worth."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    points = models.SmallIntegerField(_("分值"))
    active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class PointEntryQuerySet(ScopedQuerySet["PointEntry"]):
    def scope_q(self, user: Any, scope: Scope) -> Q | None:
        own = Q(member__user_id=user.pk) | Q(member__resident__user_id=user.pk)
        inside = under_paths("member__branch__area_path", scope.area_paths)
        return own if inside is None else own | inside


class AppendOnly(Exception):
    pass


class PointEntry(models.Model):
    member = models.ForeignKey(
        PartyMember, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="points"
    )
    points = models.SmallIntegerField(_("积分"))
    rule = models.ForeignKey(
        PointRule, verbose_name=_("规则"), on_delete=models.PROTECT, null=True, blank=True
    )
    reason = models.CharField(_("事由"), max_length=200)
    meeting = models.ForeignKey(
        "party.Meeting", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The record version whose attendance produced (or corrected) the entry.
    record = models.ForeignKey(
        "party.MeetingRecord", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A manual adjustment: who made it (the reason says why).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    street = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", null=True, editable=False
    )
    created_at = models.DateTimeField(_("记入时间"), auto_now_add=True, db_index=True)

    objects = PointEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("积分记录")
        verbose_name_plural = _("积分记录")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["member", "-created_at"], name="points_member_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(meeting__isnull=False)
                | Q(ticket__isnull=False)
                | (Q(actor__isnull=False) & ~Q(reason="")),
                name="point_entry_has_a_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.points:+d} {self.reason}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnly("point entries are never changed; append a correction")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnly("point entries are never deleted; append a correction")
