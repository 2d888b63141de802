"""吹哨报到: a street or community blows a whistle, the departments it summons must report in
by a deadline and stay until the problem is solved ("事不完、人不撤"); both sides rate each
other (双考核); shirking leaves flags that the street's leaders supervise.

The whistle row holds its state and the summons rows their own; each is changed by a
conditional update in the services. The timeline (`WhistleEvent`) is append-only. Deadlines
are stored columns (`report_by`, `remind_at`), so "late" is a comparison, not a computation.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grassroots.core.scoping import Scope, ScopedQuerySet, under_paths
from grassroots.territory.models import Area, Department
from grassroots.tickets.models import Ticket


class WhistleKind(models.TextChoices):
    ROUTINE = "routine", _("日常哨")
    TOUGH = "tough", _("攻坚哨")
    EMERGENCY = "emergency", _("应急哨")


class WhistleReason(models.TextChoices):
    """The three situations in which a street may blow (DOMAIN.md §3)."""

    BEYOND_STREET = "beyond_street", _("群众诉求街道解决不了")
    ENFORCEMENT = "enforcement", _("综合执法")
    EMERGENCY = "emergency", _("应急处置")


class WhistleState(models.TextChoices):
    OPEN = "open", _("进行中")
    SOLVED = "solved", _("已解决")


class SummonsState(models.TextChoices):
    SUMMONED = "summoned", _("待报到")
    REPORTED = "reported", _("已报到")
    # Closed: by the whistler's confirmation that the problem is solved, or by release.
    CONFIRMED = "confirmed", _("已解决")
    RELEASED = "released", _("已放行")
    # The department left without the whistler confirming anything: recorded and flagged.
    WITHDRAWN = "withdrawn", _("擅自撤离")


OPEN_SUMMONS = (SummonsState.SUMMONED, SummonsState.REPORTED)
CLOSED_SUMMONS = (SummonsState.CONFIRMED, SummonsState.RELEASED, SummonsState.WITHDRAWN)


class ReportMode(models.TextChoices):
    ON_SITE = "on_site", _("到现场")
    REMOTE = "remote", _("远程对接")


def photo_path(instance: Any, filename: str) -> str:
    ext = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}.get(
        instance.content_type, "bin"
    )
    return f"whistles/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{ext}"


class WhistleQuerySet(ScopedQuerySet["Whistle"]):
    def scope_q(self, user: Any, scope: Scope) -> Q | None:
        """The street and community staff see the whistles blown inside their territory, and
        those on tickets located there (a grid worker reads none); a department sees the
        whistles that summoned it, and nothing else. Other roles see none."""
        from .rules import WHISTLE_READER_ROLES

        if user.role not in WHISTLE_READER_ROLES:
            return None
        q = under_paths("area_path", scope.area_paths)
        # A street's whistle on a ticket in a community is that community's business too.
        on_ticket = under_paths("ticket__area_path", scope.area_paths)
        if on_ticket is not None:
            q = on_ticket if q is None else q | on_ticket
        if scope.department_ids:
            mine = Q(
                pk__in=Summons.objects.filter(department_id__in=scope.department_ids).values(
                    "whistle_id"
                )
            )
            q = mine if q is None else q | mine
        return q

    def open(self) -> WhistleQuerySet:
        return self.filter(state=WhistleState.OPEN)


class Whistle(models.Model):
    number = models.CharField(_("吹哨编号"), max_length=32, unique=True, null=True, editable=False)
    kind = models.CharField(_("哨类"), max_length=12, choices=WhistleKind.choices)
    reason = models.CharField(_("吹哨事由"), max_length=16, choices=WhistleReason.choices)
    title = models.CharField(_("事项"), max_length=100)
    description = models.TextField(_("情况说明"), blank=True)
    address = models.CharField(_("地点"), max_length=200)
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("关联工单"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="whistles",
    )  # fmt: skip
    # The unit that blew (a street or a community) and the street it belongs to.
    area = models.ForeignKey(
        Area, verbose_name=_("吹哨单位"), on_delete=models.PROTECT, related_name="whistles"
    )
    area_path = models.CharField(max_length=255, editable=False)
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    whistler = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("吹哨人"), on_delete=models.PROTECT,
        related_name="whistles",
    )  # fmt: skip
    state = models.CharField(
        _("状态"), max_length=12, choices=WhistleState.choices, default=WhistleState.OPEN
    )
    created_at = models.DateTimeField(_("吹哨时间"), default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    solved_at = models.DateTimeField(_("确认解决时间"), null=True, blank=True)
    solved_note = models.TextField(_("确认说明"), blank=True)

    objects = WhistleQuerySet.as_manager()

    class Meta:
        verbose_name = _("吹哨")
        verbose_name_plural = _("吹哨")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["area_path", "created_at"]),
            models.Index(fields=["street", "created_at"]),
            models.Index(fields=["state", "created_at"]),
        ]

    def __str__(self) -> str:
        return self.number or f"WS-{self.pk}"


class SummonsQuerySet(ScopedQuerySet["Summons"]):
    def scope_q(self, user: Any, scope: Scope) -> Q | None:
        """A department sees its own summonses only; the whistling territory sees them all."""
        from .rules import WHISTLE_READER_ROLES

        if user.role not in WHISTLE_READER_ROLES:
            return None
        q = under_paths("whistle__area_path", scope.area_paths)
        on_ticket = under_paths("whistle__ticket__area_path", scope.area_paths)
        if on_ticket is not None:
            q = on_ticket if q is None else q | on_ticket
        if scope.department_ids:
            mine = Q(department_id__in=scope.department_ids)
            q = mine if q is None else q | mine
        return q

    def open(self) -> SummonsQuerySet:
        return self.filter(state__in=OPEN_SUMMONS)

    def late(self, now: Any = None) -> SummonsQuerySet:
        """Not reported in and past the report-in deadline."""
        return self.filter(state=SummonsState.SUMMONED, report_by__lt=now or timezone.now())


class Summons(models.Model):
    """One department called by one whistle: its report-in clock and its answer."""

    whistle = models.ForeignKey(Whistle, on_delete=models.PROTECT, related_name="summonses")
    department = models.ForeignKey(
        Department, verbose_name=_("职能部门"), on_delete=models.PROTECT, related_name="summonses"
    )
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(
        _("状态"), max_length=12, choices=SummonsState.choices, default=SummonsState.SUMMONED
    )
    created_at = models.DateTimeField(_("召集时间"), default=timezone.now)
    report_by = models.DateTimeField(_("报到时限"))
    # Counted on Mon–Fri because the calendar did not know the year yet (a later correction
    # of the calendar does not move it).
    deadline_provisional = models.BooleanField(_("时限按周一至周五暂计"), default=False)
    remind_at = models.DateTimeField(_("提醒时间"))
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    escalated_at = models.DateTimeField(null=True, blank=True, editable=False)
    reported_at = models.DateTimeField(_("报到时间"), null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("报到人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    report_mode = models.CharField(
        _("报到方式"), max_length=10, choices=ReportMode.choices, blank=True
    )
    commitment = models.TextField(_("承诺事项"), blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    close_note = models.TextField(_("结束说明"), blank=True)

    objects = SummonsQuerySet.as_manager()

    class Meta:
        verbose_name = _("召集")
        verbose_name_plural = _("召集")
        ordering = ["whistle_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["whistle", "department"], name="one_summons_per_department"
            ),
        ]
        indexes = [
            models.Index(fields=["department", "created_at"]),
            models.Index(fields=["state", "report_by"]),
            models.Index(fields=["state", "remind_at"]),
            models.Index(fields=["street", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.whistle} → {self.department}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_SUMMONS

    @property
    def on_time(self) -> bool | None:
        if self.reported_at is None:
            return None
        return self.reported_at <= self.report_by

    @property
    def minutes_to_report(self) -> int | None:
        if self.reported_at is None:
            return None
        return int((self.reported_at - self.created_at).total_seconds() // 60)


class WhistleEventKind(models.TextChoices):
    BLOWN = "blown", _("吹哨")
    SUMMONED = "summoned", _("召集部门")
    REMINDED = "reminded", _("报到提醒")
    ESCALATED = "escalated", _("超时未报到")
    REPORTED_IN = "reported_in", _("报到")
    ACTION = "action", _("处置进展")
    WITHDRAWN = "withdrawn", _("擅自撤离")
    RELEASED = "released", _("放行")
    CONFIRMED = "confirmed", _("确认解决")
    RATED_DEPARTMENT = "rated_department", _("评价部门")
    RATED_WHISTLE = "rated_whistle", _("评价吹哨")


class WhistleEventQuerySet(models.QuerySet["WhistleEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("whistle events are append-only")

    def delete(self) -> Any:
        raise TypeError("whistle events are append-only")


class WhistleEvent(models.Model):
    """One line of the joint timeline. Rows are only ever added."""

    whistle = models.ForeignKey(Whistle, on_delete=models.PROTECT, related_name="events")
    summons = models.ForeignKey(
        Summons, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("事项"), max_length=20, choices=WhistleEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    actor_label = models.CharField(_("操作人"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = WhistleEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("吹哨记录")
        verbose_name_plural = _("吹哨记录")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["whistle", "created_at"])]

    def __str__(self) -> str:
        return f"{self.whistle} {self.get_kind_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise TypeError("whistle events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("whistle events are append-only")


class WhistlePhoto(models.Model):
    """A photo of the scene (at blowing) or of an action; stripped, served through a scoped
    view."""

    whistle = models.ForeignKey(Whistle, on_delete=models.PROTECT, related_name="photos")
    event = models.ForeignKey(
        WhistleEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="photos"
    )
    image = models.FileField(_("照片"), upload_to=photo_path, max_length=200)
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("吹哨照片")
        verbose_name_plural = _("吹哨照片")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.whistle_id}/{self.pk}"


SCORE = [MinValueValidator(1), MaxValueValidator(5)]


class DepartmentRating(models.Model):
    """The whistler's rating of one department's response (双考核, one side)."""

    summons = models.OneToOneField(Summons, on_delete=models.PROTECT, related_name="rating")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    timeliness = models.PositiveSmallIntegerField(_("响应及时"), validators=SCORE)
    attitude = models.PositiveSmallIntegerField(_("工作态度"), validators=SCORE)
    result = models.PositiveSmallIntegerField(_("处置效果"), validators=SCORE)
    comment = models.TextField(_("评语"), blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("部门评价")
        verbose_name_plural = _("部门评价")
        constraints = [
            models.CheckConstraint(
                condition=Q(timeliness__gte=1, timeliness__lte=5)
                & Q(attitude__gte=1, attitude__lte=5)
                & Q(result__gte=1, result__lte=5),
                name="department_rating_scores_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.summons} {self.timeliness}/{self.attitude}/{self.result}"

    @property
    def average(self) -> float:
        return round((self.timeliness + self.attitude + self.result) / 3, 2)


class WhistleRating(models.Model):
    """A summoned department's rating of the whistle: was it necessary (双考核, other side)."""

    summons = models.OneToOneField(Summons, on_delete=models.PROTECT, related_name="whistle_rating")
    whistle = models.ForeignKey(Whistle, on_delete=models.PROTECT, related_name="ratings")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    necessary = models.BooleanField(_("确有必要"))
    comment = models.TextField(_("说明"), blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("吹哨评价")
        verbose_name_plural = _("吹哨评价")

    def __str__(self) -> str:
        return f"{self.summons} {'✓' if self.necessary else '✗'}"


class FlagKind(models.TextChoices):
    LATE_REPORT_IN = "late_report_in", _("报到超时")
    NO_SHOW = "no_show", _("超时未报到")
    WITHDRAWN = "withdrawn", _("未经确认撤离")
    PING_PONG = "ping_pong", _("工单来回推诿")


class FlagState(models.TextChoices):
    OPEN = "open", _("待处理")
    CLEARED = "cleared", _("已核查")


class FlagQuerySet(ScopedQuerySet["Flag"]):
    def scope_q(self, user: Any, scope: Scope) -> Q | None:
        """The street's leaders supervise the flags in their street; a department sees its own.
        Nobody else: a flag is an assessment matter, not a notice board."""
        from grassroots.accounts.models import DEPARTMENT_ROLES

        from .rules import FLAG_SUPERVISOR_ROLES

        q = None
        if user.role in FLAG_SUPERVISOR_ROLES:
            q = under_paths("area_path", scope.area_paths)
        if user.role in DEPARTMENT_ROLES and scope.department_ids:
            mine = Q(department_id__in=scope.department_ids)
            q = mine if q is None else q | mine
        return q

    def open(self) -> FlagQuerySet:
        return self.filter(state=FlagState.OPEN)


class Flag(models.Model):
    """A sign of shirking (推诿扯皮) on a department's record or on a ticket, with what it is
    explained by: the summons and its timeline, or the ticket and its handovers."""

    kind = models.CharField(_("类型"), max_length=20, choices=FlagKind.choices)
    state = models.CharField(
        _("状态"), max_length=10, choices=FlagState.choices, default=FlagState.OPEN
    )
    department = models.ForeignKey(
        Department, verbose_name=_("职能部门"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="flags",
    )  # fmt: skip
    summons = models.ForeignKey(
        Summons, null=True, blank=True, on_delete=models.PROTECT, related_name="flags"
    )
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.PROTECT, related_name="flags"
    )
    # Where it happened, for the street's supervision list.
    area_path = models.CharField(max_length=255)
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    detail = models.TextField(_("情况"))
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    cleared_at = models.DateTimeField(_("核查时间"), null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    clear_note = models.TextField(_("核查说明"), blank=True)

    objects = FlagQuerySet.as_manager()

    class Meta:
        verbose_name = _("推诿扯皮记录")
        verbose_name_plural = _("推诿扯皮记录")
        ordering = ["-created_at", "-id"]
        constraints = [
            # A sweep that runs twice raises each flag once.
            models.UniqueConstraint(
                fields=["kind", "summons"],
                condition=Q(summons__isnull=False),
                name="one_flag_per_summons_kind",
            ),
            models.UniqueConstraint(
                fields=["kind", "ticket"],
                condition=Q(ticket__isnull=False),
                name="one_flag_per_ticket_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["area_path", "state"]),
            models.Index(fields=["department", "created_at"]),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class MeasureSnapshot(models.Model):
    """A month's measures of one department or one street, stored for assessment."""

    month = models.DateField(_("月份"))  # the first day of the month
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    street = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(default=dict)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("吹哨报到月度指标")
        verbose_name_plural = _("吹哨报到月度指标")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "department"],
                condition=Q(department__isnull=False),
                name="one_department_measure_per_month",
            ),
            models.UniqueConstraint(
                fields=["month", "street"],
                condition=Q(street__isnull=False),
                name="one_street_measure_per_month",
            ),
            models.CheckConstraint(
                condition=Q(department__isnull=True) ^ Q(street__isnull=True),
                name="measure_of_department_or_street",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.department_id or self.street_id}"
