"""Requests (工单): the ticket, its append-only timeline, photos, extensions and reviews, and the
monthly 三率 snapshot.

The ticket row holds the current state and the stored clocks (`respond_by`, `resolve_by`,
`warn_at`); every change is a service in `tickets.services` that updates the row conditionally
on its state and appends a `TicketEvent` (DESIGN.md rules 1, 3, 4). "Overdue" is a comparison of
the stored deadline with now, so it holds without any job having run.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grassroots.core.personal import DigestField, EncryptedField, mask_mobile
from grassroots.core.scoping import Scope, ScopedQuerySet, under_paths
from grassroots.territory.models import Area, Department

from .catalogue import Category

DESCRIPTION_MAX = 4000


class TicketState(models.TextChoices):
    SUBMITTED = "submitted", _("待派单")
    DISPATCHED = "dispatched", _("待签收")
    ACCEPTED = "accepted", _("已签收")
    IN_PROGRESS = "in_progress", _("办理中")
    RESOLVED = "resolved", _("已办结")
    CLOSED = "closed", _("已结案")
    REJECTED = "rejected", _("不予受理")
    MERGED = "merged", _("已合并")


# Being handled: the clocks run and the ticket can be overdue.
ACTIVE_STATES = (TicketState.DISPATCHED, TicketState.ACCEPTED, TicketState.IN_PROGRESS)
# Nothing more happens (a closed ticket can still be reopened by its requester).
CLOSED_STATES = (TicketState.CLOSED, TicketState.REJECTED, TicketState.MERGED)
OPEN_STATES = (TicketState.SUBMITTED, *ACTIVE_STATES)


class Channel(models.TextChoices):
    RESIDENT_APP = "resident_app", _("居民端")
    HOTLINE = "hotline", _("热线坐席")
    GRID_PATROL = "grid_patrol", _("网格巡查")
    OPEN311 = "open311", _("Open311")
    API = "api", _("接口")


class RequestType(models.TextChoices):
    CONSULT = "consult", _("咨询")
    HELP = "help", _("求助")
    COMPLAINT = "complaint", _("投诉")
    REPORT = "report", _("举报")
    SUGGESTION = "suggestion", _("建议")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")


class RespondMethod(models.TextChoices):
    PHONE = "phone", _("电话联系")
    VISIT = "visit", _("上门")
    ONSITE = "onsite", _("现场")
    MESSAGE = "message", _("平台留言")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


def photo_path(instance: Any, filename: str) -> str:
    # Never the uploaded name: it can carry personal data and it is not ours to trust.
    ext = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}.get(
        instance.content_type, "bin"
    )
    return f"tickets/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{ext}"


def late_q(now: Any) -> Q:
    """Past a deadline: not responded by `respond_by`, or not resolved by `resolve_by`. With
    `state__in=ACTIVE_STATES` this is "overdue"; a plain comparison on stored columns."""
    return Q(resolve_by__lt=now) | Q(respond_by__lt=now, responded_at__isnull=True)


class TicketQuerySet(ScopedQuerySet["Ticket"]):
    def scope_q(self, user: Any, scope: Scope) -> Q | None:
        """A resident sees their own tickets and those theirs were merged into; staff see the
        tickets located in or handled inside their territory, department staff those sent to
        their department. Allied-unit contacts see none (requests carry personal data)."""
        from grassroots.accounts.models import Role

        own = Q(requester_id=user.pk)
        if user.role == Role.RESIDENT:
            # Only residents follow tickets (a merge makes its requesters follow the ticket it
            # went into). Left out for staff, where it is always empty: as an OR'd subquery it
            # keeps PostgreSQL from combining the path indexes (bench/, issue 8).
            own |= Q(pk__in=TicketFollower.objects.filter(user_id=user.pk).values("ticket_id"))
        if user.role == Role.MEMBER_UNIT_CONTACT:
            return own
        q = own
        located = under_paths("area_path", scope.area_paths)
        handled = under_paths("handler_path", scope.area_paths)
        for part in (located, handled):
            if part is not None:
                q |= part
        if scope.department_ids:
            q |= Q(handler_department_id__in=scope.department_ids)
        return q

    def overdue(self, now: Any = None) -> TicketQuerySet:
        """Being handled and past a deadline: not responded by `respond_by`, or not resolved by
        `resolve_by`. A plain comparison on stored columns; no sweep needs to have run."""
        return self.filter(late_q(now or timezone.now()), state__in=ACTIVE_STATES)

    def open(self) -> TicketQuerySet:
        return self.filter(state__in=OPEN_STATES)


class Ticket(models.Model):
    number = models.CharField(_("工单号"), max_length=32, unique=True, null=True, editable=False)
    channel = models.CharField(_("来源"), max_length=16, choices=Channel.choices)
    request_type = models.CharField(
        _("诉求类型"), max_length=12, choices=RequestType.choices, default=RequestType.HELP
    )
    category = models.ForeignKey(
        Category, verbose_name=_("类别"), on_delete=models.PROTECT, related_name="tickets"
    )
    urgency = models.CharField(
        _("紧急程度"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL
    )
    description = models.TextField(_("诉求内容"), max_length=DESCRIPTION_MAX)
    address = models.CharField(_("地址"), max_length=200)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    # Where: the most precise node known (building, else grid, else community or street), its
    # tree path copied for scoping, and the street (DESIGN.md rule 10).
    building = models.ForeignKey(
        Area, verbose_name=_("楼栋"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    area = models.ForeignKey(
        Area, verbose_name=_("所在区域"), on_delete=models.PROTECT, related_name="tickets"
    )
    area_path = models.CharField(max_length=255, editable=False)
    # No index of its own on this, the requester and the handling department: each leads a
    # composite index below, which serves it as well. Every filing writes every index.
    street = models.ForeignKey(
        Area, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # Who asked. The contact is copied at submission (a hotline caller has no account) and is
    # kept encrypted; `anonymous` hides it from the handlers.
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("诉求人账号"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="tickets", db_index=False,
    )  # fmt: skip
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_mobile = EncryptedField(_("联系电话"), kind="mobile")
    contact_mobile_digest = DigestField(source="contact_mobile")
    anonymous = models.BooleanField(_("对办理人员保密"), default=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录入人"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    submit_key = models.CharField(max_length=80, blank=True, editable=False)

    state = models.CharField(
        _("状态"), max_length=12, choices=TicketState.choices, default=TicketState.SUBMITTED
    )
    handler_area = models.ForeignKey(
        Area, verbose_name=_("承办网格/社区/街道"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="handled_tickets",
    )  # fmt: skip
    handler_department = models.ForeignKey(
        Department, verbose_name=_("承办部门"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="handled_tickets", db_index=False,
    )  # fmt: skip
    handler_path = models.CharField(max_length=255, blank=True, editable=False)
    merged_into = models.ForeignKey(
        "self", verbose_name=_("并入工单"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="merged",
    )  # fmt: skip

    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    dispatched_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    responded_at = models.DateTimeField(_("响应时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    # The clocks, stored when they start (at dispatch) and moved only by a service.
    respond_by = models.DateTimeField(_("响应时限"), null=True, blank=True)
    resolve_by = models.DateTimeField(_("办结时限"), null=True, blank=True)
    warn_at = models.DateTimeField(_("预警时间"), null=True, blank=True)
    deadline_provisional = models.BooleanField(_("时限待定"), default=False)
    # Marks left by the sweep so that each notice goes out once per clock.
    warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    overdue_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Answers to the category's extra questions (CategoryAttribute), by code; and for an
    # Open311 request the client's media_url.
    attributes = models.JSONField(_("补充信息"), default=dict, blank=True)
    return_count = models.PositiveSmallIntegerField(_("退单次数"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    supervised_at = models.DateTimeField(_("督办时间"), null=True, blank=True)
    supervision_note = models.CharField(_("督办意见"), max_length=500, blank=True)
    supervision_answered_at = models.DateTimeField(_("督办回复时间"), null=True, blank=True)

    objects = TicketQuerySet.as_manager()

    # Not a column. `ticket_submit` sets it on the ticket it has just created: its submitted
    # event and its photos, so the answer to the filing is built without reading them back.
    filed: tuple[TicketEvent, list[TicketPhoto]] | None = None

    class Meta:
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["street", "state", "created_at"]),
            models.Index(fields=["area_path", "created_at"]),
            models.Index(fields=["handler_path", "state"]),
            models.Index(fields=["handler_department", "state"]),
            models.Index(fields=["state", "resolve_by"]),
            models.Index(fields=["state", "warn_at"]),
            models.Index(fields=["requester", "created_at"]),
            models.Index(fields=["created_at", "id"]),
            # The open tickets, newest first: lists restricted to open or active states (the
            # overdue list, 在办) read this small index instead of walking the whole history
            # backwards when few rows match (issue 8: 10⁶ tickets).
            models.Index(
                fields=["created_at", "id"],
                condition=Q(state__in=[s.value for s in OPEN_STATES]),
                name="ticket_open_recent",
            ),
            # The open tickets by place: a community's open or overdue list reads its own few
            # dozen rows here, not every open ticket of the city newest first (issue 8).
            models.Index(
                fields=["area_path"],
                condition=Q(state__in=[s.value for s in OPEN_STATES]),
                name="ticket_open_area",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["submitted_by", "submit_key"],
                condition=~Q(submit_key=""),
                name="ticket_submit_key_unique",
            ),
            models.CheckConstraint(
                condition=Q(handler_area__isnull=True) | Q(handler_department__isnull=True),
                name="ticket_one_handler",
            ),
            models.CheckConstraint(
                condition=Q(state__in=[s.value for s in TicketState]), name="ticket_state_known"
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    @property
    def handler(self) -> Area | Department | None:
        return self.handler_area or self.handler_department

    @property
    def contact_mobile_masked(self) -> str:
        return mask_mobile(self.contact_mobile)

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    def is_overdue(self, now: Any = None) -> bool:
        now = now or timezone.now()
        if self.state not in ACTIVE_STATES:
            return False
        late_resolve = self.resolve_by is not None and self.resolve_by < now
        late_respond = (
            self.respond_by is not None and self.responded_at is None and self.respond_by < now
        )
        return late_resolve or late_respond

    def is_warning(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return (
            self.state in ACTIVE_STATES
            and self.warn_at is not None
            and self.warn_at <= now
            and not self.is_overdue(now)
        )


class TicketFollower(models.Model):
    """A resident who follows a ticket that is not theirs: the requester of a duplicate merged
    into it. They see it and are told of its progress as its own requester is."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_tickets"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="ticket_follower_unique")
        ]

    def __str__(self) -> str:
        return f"{self.ticket} ← {self.user}"


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", _("提交")
    DISPATCHED = "dispatched", _("派单")
    ACCEPTED = "accepted", _("签收")
    RESPONDED = "responded", _("联系诉求人")
    RETURNED = "returned", _("退单")
    EXTENSION_REQUESTED = "extension_requested", _("申请延期")
    EXTENSION_APPROVED = "extension_approved", _("同意延期")
    EXTENSION_REFUSED = "extension_refused", _("不同意延期")
    RESOLVED = "resolved", _("办结")
    REVIEWED = "reviewed", _("回访评价")
    REOPENED = "reopened", _("重办")
    REJECTED = "rejected", _("不予受理")
    MERGED = "merged", _("合并")
    MERGED_IN = "merged_in", _("并入重复工单")
    SUPERVISED = "supervised", _("督办")
    SUPERVISION_ANSWERED = "supervision_answered", _("回复督办")
    WARNED = "warned", _("临期预警")
    OVERDUE = "overdue", _("超期")
    WHISTLE = "whistle", _("吹哨报到")


class TicketEventQuerySet(models.QuerySet["TicketEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("ticket events are append-only")

    def delete(self) -> Any:
        raise TypeError("ticket events are append-only")


class TicketEvent(models.Model):
    """One line of a ticket's timeline. Rows are only ever added."""

    # (ticket, created_at) below serves lookups by ticket: no index of its own.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, related_name="events", db_index=False
    )
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("事项"), max_length=24, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    actor_label = models.CharField(_("操作人"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    note = models.TextField(_("说明"), blank=True)
    # The handling unit the event concerns (returns and reopens are counted per unit).
    unit_area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit_department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit_path = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = TicketEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"]),
            models.Index(fields=["kind", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.ticket} {self.get_kind_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise TypeError("ticket events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("ticket events are append-only")


class TicketPhoto(models.Model):
    """A photo on a ticket (at submission) or on an event (a resolution's proof). Stored with
    location metadata stripped, under a random name; served only through a scoped view."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="photos")
    event = models.ForeignKey(
        TicketEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="photos"
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
        verbose_name = _("照片")
        verbose_name_plural = _("照片")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.ticket} #{self.pk}"


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已同意")
    REFUSED = "refused", _("未同意")


class Extension(models.Model):
    """A handler's request for more time (延期), decided by a dispatcher of the street."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="extensions")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(_("延期理由"), max_length=500)
    working_days = models.PositiveSmallIntegerField(_("延期工作日"))
    status = models.CharField(
        max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=500, blank=True)
    old_resolve_by = models.DateTimeField(null=True, blank=True)
    new_resolve_by = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(status="pending"),
                name="extension_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket} +{self.working_days}"


class Review(models.Model):
    """A follow-up review (回访) of a resolved ticket: by its requester or a review seat.

    The clocks' outcome and the handling unit are copied in, so the monthly 三率 are one scan of
    this table. When a ticket is reviewed again (after a reopen) the earlier review is marked
    superseded and only the latest counts."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="reviews")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    by_requester = models.BooleanField(_("诉求人本人评价"))
    contacted = models.BooleanField(_("是否联系"))
    solved = models.BooleanField(_("是否解决"))
    satisfaction = models.CharField(_("满意度"), max_length=12, choices=Satisfaction.choices)
    comment = models.CharField(_("评价"), max_length=500, blank=True)
    is_valid = models.BooleanField(_("有效回访"), default=True)
    superseded = models.BooleanField(default=False)
    reviewed_at = models.DateTimeField(default=timezone.now)
    unit_area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit_department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit_path = models.CharField(max_length=255, blank=True)
    responded_on_time = models.BooleanField(default=False)
    resolved_on_time = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("回访评价")
        verbose_name_plural = _("回访评价")
        ordering = ["-reviewed_at"]
        indexes = [
            models.Index(fields=["reviewed_at", "unit_path"]),
            models.Index(fields=["unit_department", "reviewed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.ticket} {self.get_satisfaction_display()}"


class RatesSnapshot(models.Model):
    """The 三率 of one handling unit (an Area, rolled up its subtree, or a Department) for one
    month (Asia/Shanghai), stored for rankings and dashboards."""

    month = models.DateField(_("月份"))
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    street = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    unit_path = models.CharField(max_length=255, blank=True)
    valid = models.PositiveIntegerField(default=0)
    contacted = models.PositiveIntegerField(default=0)
    solved = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    basically_satisfied = models.PositiveIntegerField(default=0)
    unsatisfied = models.PositiveIntegerField(default=0)
    responded_on_time = models.PositiveIntegerField(default=0)
    resolved_on_time = models.PositiveIntegerField(default=0)
    returns = models.PositiveIntegerField(default=0)
    reopens = models.PositiveIntegerField(default=0)
    response_rate = models.FloatField(null=True)
    resolution_rate = models.FloatField(null=True)
    satisfaction_rate = models.FloatField(null=True)
    composite = models.FloatField(null=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("三率月度快照")
        verbose_name_plural = _("三率月度快照")
        ordering = ["-month", "unit_path"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "area"], condition=Q(area__isnull=False), name="rates_area_month"
            ),
            models.UniqueConstraint(
                fields=["month", "department"],
                condition=Q(department__isnull=False),
                name="rates_department_month",
            ),
            models.CheckConstraint(
                condition=Q(area__isnull=False, department__isnull=True)
                | Q(area__isnull=True, department__isnull=False),
                name="rates_one_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.area or self.department}"
