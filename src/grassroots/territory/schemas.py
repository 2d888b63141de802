from typing import Any

from ninja import Schema


class AreaOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    depth: int
    parent_id: int | None
    has_children: bool
    boundary: dict[str, Any] | None

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_has_children(obj: Any) -> bool:
        return bool(obj.numchild)

    @staticmethod
    def resolve_parent_id(obj: Any) -> int | None:
        return getattr(obj, "parent_pk", None)


class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    area_id: int
    is_active: bool
