from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import Field

from grassroots.core.scoping import get_visible

from .models import Area, AreaKind, Department
from .schemas import AreaOut, DepartmentOut
from .selectors import areas_for, departments_for

router = Router(tags=["territory"])


class AreaFilter(Schema):
    parent: int | None = Field(default=None, description="只列出该节点的下一级")
    kind: AreaKind | None = None


@router.get("/areas", response=list[AreaOut], summary="我可见的辖区")
@paginate(LimitOffsetPagination)
def area_list(request: HttpRequest, filters: Query[AreaFilter]) -> QuerySet[Area]:
    parent = get_visible(Area.objects, request.user, pk=filters.parent) if filters.parent else None
    return areas_for(request.user, parent=parent, kind=filters.kind)


@router.get("/areas/{area_id}", response=AreaOut, summary="辖区详情")
def area_detail(request: HttpRequest, area_id: int) -> Area:
    return get_visible(areas_for(request.user), request.user, pk=area_id)


@router.get("/departments", response=list[DepartmentOut], summary="我可见的职能部门")
@paginate(LimitOffsetPagination)
def department_list(request: HttpRequest) -> QuerySet[Department]:
    return departments_for(request.user)


@router.get("/departments/{department_id}", response=DepartmentOut, summary="职能部门详情")
def department_detail(request: HttpRequest, department_id: int) -> Department:
    return get_visible(Department.objects, request.user, pk=department_id)
