from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from treebeard.admin import TreeAdmin
from treebeard.forms import MoveNodeForm, movenodeform_factory

from grassroots.core.audit import audit_log

from .models import Area, Department


class AreaForm(MoveNodeForm):
    def _post_clean(self) -> None:
        # Area.clean checks the kind against the parent; tell it the parent chosen in the form.
        ref = self.cleaned_data.get("treebeard_ref_node")
        position = self.cleaned_data.get("treebeard_position", "")
        parent = None
        if ref is not None:
            parent = ref if "child" in position else Area.objects.get_parent(ref)
        self.instance._parent = parent
        super()._post_clean()


@admin.register(Area)
class AreaAdmin(TreeAdmin):
    form = movenodeform_factory(Area, form=AreaForm, exclude=["path", "depth", "numchild"])
    list_display = ["name", "kind", "code"]
    search_fields = ["name", "code"]
    list_filter = ["kind"]

    def save_model(self, request: HttpRequest, obj: Area, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_log(
            action="territory.area_change" if change else "territory.area_create",
            actor=request.user,
            obj=obj,
            request=request,
            data={"kind": obj.kind, "code": obj.code, "name": obj.name},
        )

    def delete_model(self, request: HttpRequest, obj: Area) -> None:
        audit_log(
            action="territory.area_delete",
            actor=request.user,
            obj=obj,
            request=request,
            data={"code": obj.code, "name": obj.name},
        )
        super().delete_model(request, obj)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "area", "is_active"]
    search_fields = ["name", "code"]
    list_filter = ["is_active"]
    autocomplete_fields = ["area"]

    def save_model(self, request: HttpRequest, obj: Department, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_log(
            action="territory.department_change" if change else "territory.department_create",
            actor=request.user,
            obj=obj,
            request=request,
            data={"code": obj.code, "name": obj.name, "area": obj.area.code},
        )
