from __future__ import annotations

import csv
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .audit import audit_log, export_rows
from .models import AuditEntry, CalendarDay


class _Echo:
    def write(self, value: str) -> str:
        return value


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read and export only: no admin page can change or delete an audit row."""

    list_display = [
        "seq",
        "created_at",
        "actor_label",
        "action",
        "outcome",
        "object_type",
        "object_id",
        "ip",
    ]
    list_filter = ["outcome", "action"]
    search_fields = ["actor_label", "action", "object_id"]
    date_hierarchy = "created_at"
    actions = ["export_csv"]
    list_per_page = 100
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("core.view_auditentry")

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("core.export_auditentry")

    @admin.action(description=_("导出所选审计日志（CSV）"), permissions=["export"])
    def export_csv(
        self, request: HttpRequest, queryset: QuerySet[AuditEntry]
    ) -> StreamingHttpResponse:
        audit_log(
            action="audit.export",
            actor=request.user,
            request=request,
            data={"rows": queryset.count()},
        )
        writer = csv.writer(_Echo())
        response = StreamingHttpResponse(
            (writer.writerow(row) for row in export_rows(queryset)), content_type="text/csv"
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
        return response


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """The system admin keeps holidays and 调休 days; SLA deadlines follow them."""

    list_display = ["day", "is_working_day", "note"]
    list_filter = ["is_working_day"]
    date_hierarchy = "day"

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_log(
            action="core.calendar_day_change" if change else "core.calendar_day_create",
            actor=request.user,
            obj=obj,
            request=request,
            data={"day": str(obj.day), "working": obj.is_working_day, "note": obj.note},
        )

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        audit_log(
            action="core.calendar_day_delete",
            actor=request.user,
            obj=obj,
            request=request,
            data={"day": str(obj.day)},
        )
        super().delete_model(request, obj)
