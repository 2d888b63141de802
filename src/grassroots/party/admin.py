"""Organisational life's configuration in the admin, for the system administrator: the meeting
kinds' rules and the point rules. Kinds and rules are neither added nor deleted here (the code
knows each one); every change goes through party.services.config, which audits it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import MeetingKind, PointRule
from .services.config import KIND_FIELDS, RULE_FIELDS, meeting_kind_update, point_rule_update


class ConfigAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # no many-to-many fields, no inlines


@admin.register(MeetingKind)
class MeetingKindAdmin(ConfigAdmin):
    list_display = ["name", "held_by", "period", "times", "quorum", "passing", "required"]
    fields = ("code", "held_by", *KIND_FIELDS)
    readonly_fields = ("code", "held_by")

    def save_model(self, request: HttpRequest, obj: MeetingKind, form: Any, change: bool) -> None:
        values = {f: form.cleaned_data[f] for f in KIND_FIELDS if f in form.cleaned_data}
        meeting_kind_update(actor=request.user, kind=obj, values=values, request=request)


@admin.register(PointRule)
class PointRuleAdmin(ConfigAdmin):
    list_display = ["name", "code", "points", "active"]
    fields = ("code", *RULE_FIELDS)
    readonly_fields = ("code",)

    def save_model(self, request: HttpRequest, obj: PointRule, form: Any, change: bool) -> None:
        values = {f: form.cleaned_data[f] for f in RULE_FIELDS if f in form.cleaned_data}
        point_rule_update(actor=request.user, rule=obj, values=values, request=request)
