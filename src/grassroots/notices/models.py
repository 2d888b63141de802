from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Notice(models.Model):
    """One message in a user's in-app inbox (站内消息)."""

    recipient = models.ForeignKey(
        # (recipient, -created_at) below serves lookups by recipient: no index of its own.
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notices",
        db_index=False,
    )
    kind = models.CharField(_("类型"), max_length=40, blank=True)
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("内容"), blank=True)
    # A path inside the platform ("/workbench/party/orgs/3/"), never an outside address.
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"]),
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notice_unread"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(url="") | (Q(url__startswith="/") & ~Q(url__startswith="//")),
                name="notice_url_is_local",
            )
        ]

    def __str__(self) -> str:
        return self.title
