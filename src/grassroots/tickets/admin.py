"""The catalogue in the admin, for the system admin. Forms only validate (the models' clean);
every save, move and delete goes through tickets.services, which audit."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import ForeignKey, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _
from treebeard.admin import TreeAdmin
from treebeard.forms import MoveNodeForm, movenodeform_factory

from grassroots.core.audit import audit_log
from grassroots.core.errors import Conflict, ValidationFailed
from grassroots.territory.models import AreaKind, Department

from .models import Category, CategoryAttribute, Open311Client, SlaPolicy
from .open311.keys import client_issue, client_revoke, client_sync
from .services import (
    category_create,
    category_delete,
    category_delete_errors,
    category_move,
    category_update,
    category_warnings,
    check_move,
    sla_policy_create,
    sla_policy_delete,
    sla_policy_update,
)

CATEGORY_FIELDS = [
    "code",
    "name",
    "handling_level",
    "sla_policy",
    "department",
    "keywords",
    "description",
    "is_active",
]
POLICY_FIELDS = [
    "name",
    "respond_amount",
    "respond_unit",
    "resolve_amount",
    "resolve_unit",
    "warn_share",
    "description",
]


class CategoryForm(MoveNodeForm):
    def chosen_parent(self) -> Category | None:
        ref = self.cleaned_data.get("treebeard_ref_node")
        position = self.cleaned_data.get("treebeard_position", "")
        if ref is None:
            return None
        return ref if "child" in position else Category.objects.get_parent(ref)

    def _post_clean(self) -> None:
        # Category.clean checks sibling names against the parent chosen in the form.
        parent = self.chosen_parent()
        self.instance._parent = parent
        super()._post_clean()
        if self.instance.pk is not None:
            current = Category.objects.get(pk=self.instance.pk)
            for message in check_move(current, parent).get("parent", []):
                self.add_error("treebeard_ref_node", message)


class CategoryAttributeInline(admin.TabularInline):  # type: ignore[type-arg]
    """The extra questions of a leaf (Open311 service definition)."""

    model = CategoryAttribute
    extra = 0
    fields = [
        "order",
        "code",
        "description",
        "datatype",
        "required",
        "variable",
        "datatype_description",
        "values",
    ]


@admin.register(Category)
class CategoryAdmin(TreeAdmin):
    form = movenodeform_factory(Category, form=CategoryForm, fields=CATEGORY_FIELDS)
    inlines = [CategoryAttributeInline]
    list_display = ["name", "code", "handling_level", "sla_policy", "department", "is_active"]
    search_fields = ["name", "code", "keywords"]
    list_filter = ["is_active", "handling_level", "sla_policy"]
    list_select_related = ["sla_policy", "department"]

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        if db_field.name == "department":
            # The catalogue serves the whole district: only its active departments fit.
            kwargs["queryset"] = Department.objects.filter(
                is_active=True, area__kind=AreaKind.DISTRICT
            ).order_by("code")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Bulk delete would skip the checks and the audit of category_delete.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request: HttpRequest, obj: Category | None = None) -> bool:
        if obj is not None and category_delete_errors(obj):
            return False
        return super().has_delete_permission(request, obj)

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Category:
        # MoveNodeForm.save would write the tree itself; the service does it instead.
        instance: Category = form.instance
        return instance

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: bool) -> None:
        values = {field: form.cleaned_data[field] for field in CATEGORY_FIELDS}
        parent = form.chosen_parent()
        if change:
            saved = Category.objects.get(pk=obj.pk)
            saved = category_update(actor=request.user, category=saved, request=request, **values)
            saved = category_move(
                actor=request.user, category=saved, parent=parent, request=request
            )
        else:
            saved = category_create(actor=request.user, parent=parent, request=request, **values)
            obj.pk = saved.pk
        obj.refresh_from_db()
        for warning in category_warnings(obj):
            self.message_user(request, warning, messages.WARNING)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # No many-to-many fields; the extra questions are saved here, and audited.
        for formset in formsets:
            formset.save()
            touched = [*formset.new_objects, *formset.changed_objects, *formset.deleted_objects]
            if touched:
                audit_log(
                    action="tickets.category_attributes_change",
                    actor=request.user,
                    obj=form.instance,
                    request=request,
                    data={
                        "category": form.instance.code,
                        "added": [a.code for a in formset.new_objects],
                        "changed": [a.code for a, _fields in formset.changed_objects],
                        "deleted": [a.code for a in formset.deleted_objects],
                    },
                )

    def delete_model(self, request: HttpRequest, obj: Category) -> None:
        category_delete(actor=request.user, category=obj, request=request)

    def move_node(self, request: HttpRequest) -> HttpResponse:
        """Drag and drop in the tree: the same checks and audit as the form."""
        if not self.has_change_permission(request):
            raise PermissionDenied

        class MoveForm(forms.Form):
            node = forms.ModelChoiceField(queryset=Category.objects.all())
            target = forms.ModelChoiceField(queryset=Category.objects.all())
            relation = forms.ChoiceField(choices=[("child", "child"), ("sibling", "sibling")])

        form = MoveForm(request.POST)
        if not form.is_valid():
            return HttpResponseBadRequest("Invalid form data provided")
        node: Category = form.cleaned_data["node"]
        target: Category = form.cleaned_data["target"]
        relation = form.cleaned_data["relation"]
        parent = target if relation == "child" else Category.objects.get_parent(target)
        try:
            category_move(actor=request.user, category=node, parent=parent, request=request)
        except ValidationFailed as exc:
            # The tree's script reloads the page on an error and shows this message.
            for problems in exc.fields.values():
                for message in problems:
                    self.message_user(request, message, messages.ERROR)
            return HttpResponseBadRequest("Move refused")
        self.message_user(request, _("已移动“%(name)s”。") % {"name": node.name}, messages.INFO)
        return HttpResponse("OK")


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "respond_label", "resolve_label", "warn_share"]
    search_fields = ["name"]
    fields = tuple(POLICY_FIELDS)

    @admin.display(description=_("响应时限"))
    def respond_label(self, obj: SlaPolicy) -> str:
        return obj.respond_label

    @admin.display(description=_("办结时限"))
    def resolve_label(self, obj: SlaPolicy) -> str:
        return obj.resolve_label

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request: HttpRequest, obj: SlaPolicy | None = None) -> bool:
        if obj is not None and obj.categories.exists():
            return False
        return super().has_delete_permission(request, obj)

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> SlaPolicy:
        instance: SlaPolicy = form.instance
        return instance

    def save_model(self, request: HttpRequest, obj: SlaPolicy, form: Any, change: bool) -> None:
        values = {field: form.cleaned_data[field] for field in POLICY_FIELDS}
        if change:
            policy = SlaPolicy.objects.get(pk=obj.pk)
            sla_policy_update(actor=request.user, policy=policy, request=request, **values)
        else:
            obj.pk = sla_policy_create(actor=request.user, request=request, **values).pk
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # no many-to-many fields, no inlines

    def delete_model(self, request: HttpRequest, obj: SlaPolicy) -> None:
        sla_policy_delete(actor=request.user, policy=obj, request=request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[SlaPolicy]) -> None:
        for policy in queryset:
            self.delete_model(request, policy)


class Open311ClientForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Open311Client
        fields = ["name", "contact", "streets", "rate_limit", "is_active"]


@admin.register(Open311Client)
class Open311ClientAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Client organisations and their Open311 keys, for the security admin: issuing shows the
    key once; revoking is final; every change is audited."""

    form = Open311ClientForm
    list_display = ["name", "prefix", "rate_limit", "is_active", "last_used_at", "revoked_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    filter_horizontal = ["streets"]
    actions = ["revoke"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: the audit trail keeps the client

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ["name", "contact", "streets", "rate_limit"]
        return fields if obj is None else [*fields, "is_active", *self.readonly_fields]

    def save_model(self, request: HttpRequest, obj: Open311Client, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            obj.save()
            return
        client, raw = client_issue(
            actor=request.user,
            name=data["name"],
            contact=data.get("contact", ""),
            streets=data.get("streets") or [],
            rate_limit=data["rate_limit"],
            request=request,
        )
        obj.pk = client.pk
        obj.refresh_from_db()
        self.message_user(
            request,
            _("已为“%(name)s”签发 api_key（只显示这一次，请妥善转交）：%(key)s")
            % {"name": client.name, "key": raw},
            messages.WARNING,
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if change:  # on issue, client_issue has set the streets already
            super().save_related(request, form, formsets, change)
            client_sync(
                actor=request.user,
                client=form.instance,
                changed=form.changed_data,
                request=request,
            )

    @admin.action(description=_("吊销所选对接单位的 api_key"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Open311Client]) -> None:
        done = 0
        for client in queryset:
            try:
                client_revoke(actor=request.user, client=client, request=request)
                done += 1
            except Conflict:
                continue
        self.message_user(request, _("已吊销 %(n)d 个 api_key。") % {"n": done})
