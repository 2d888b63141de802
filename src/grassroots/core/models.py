from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", _("成功")
    FAILURE = "failure", _("失败")


class AppendOnlyError(Exception):
    pass


class AuditEntry(models.Model):
    """One row of the tamper-evident audit log (等保: who, when, what, outcome).

    Rows are only ever appended by `core.audit.audit_log`: `seq` counts up without gaps and
    `hash` covers this row's content and the previous row's hash, so an edited, inserted,
    deleted or reordered row breaks the chain at that row (`manage.py verify_audit`). The
    database refuses UPDATE and DELETE on this table by trigger as well.
    """

    seq = models.BigIntegerField(_("序号"), unique=True)
    created_at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(_("操作人账号"), max_length=150, blank=True)
    action = models.CharField(_("事件"), max_length=80, db_index=True)
    outcome = models.CharField(
        _("结果"), max_length=10, choices=AuditOutcome.choices, default=AuditOutcome.SUCCESS
    )
    object_type = models.CharField(_("对象类型"), max_length=80, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    street_id = models.BigIntegerField(_("街道"), null=True, blank=True, db_index=True)
    ip = models.CharField(_("IP 地址"), max_length=45, blank=True)
    data = models.TextField(_("详情"), blank=True, default="{}")
    prev_hash = models.CharField(_("前一条哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64)

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-seq"]
        permissions = [("export_auditentry", _("可以导出审计日志"))]
        indexes = [models.Index(fields=["actor", "-seq"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.actor_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("audit entries cannot be deleted")


class AuditChainHead(models.Model):
    """The single row that holds the end of the chain; writers lock it to append in order."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("审计链末端")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="audit_head_singleton")
        ]

    def __str__(self) -> str:
        return f"seq={self.seq}"


class CalendarDay(models.Model):
    """An administrator's correction to the working-day calendar: a holiday or an adjusted
    working day (调休). It wins over the chinesecalendar library and covers years the library
    does not know yet."""

    day = models.DateField(_("日期"), unique=True)
    is_working_day = models.BooleanField(_("是否工作日"))
    note = models.CharField(
        _("说明"), max_length=50, blank=True, help_text=_("如：国庆节、调休上班")
    )

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day} {self.note}"
