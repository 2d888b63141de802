from typing import Any

from ninja import Schema
from pydantic import Field

from grassroots.core.personal import mask_id_number, mask_mobile

from .selectors import visible_tags


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


class AreaTreeNodeOut(Schema):
    """One node of a subtree. The list is flat, in tree order (a node comes before everything
    under it), so `parent_id` and `depth` are enough to nest it."""

    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    depth: int = Field(description="相对于所查询节点的层级，所查询节点为 0")
    parent_id: int | None
    households: int = Field(description="该节点及其下级的住户数")
    residents: int = Field(description="该节点及其下级的居民数")


class HouseholdRef(Schema):
    id: int
    label: str = Field(description="单元-房号")
    building_id: int
    building_name: str

    @staticmethod
    def resolve_building_name(obj: Any) -> str:
        return str(obj.building.name)


class HouseholdOut(HouseholdRef):
    unit: str
    room: str
    residents: int = Field(description="居住的居民数")

    @staticmethod
    def resolve_residents(obj: Any) -> int:
        return int(obj.residents_count)


class LinkedMemberOut(Schema):
    id: int
    name: str


class HouseholdDetailOut(HouseholdOut):
    linked_members: list[LinkedMemberOut] = Field(description="联系这户的党员（党员联系户）")


class TagOut(Schema):
    kind: str
    label: str

    @staticmethod
    def resolve_label(obj: Any) -> str:
        return str(obj.get_kind_display())


class ResidentOut(Schema):
    """Mobile and ID numbers are always masked here; revealing one is a separate, audited
    permission. Sensitive tags appear only for the staff of the resident's own community."""

    id: int
    name: str
    mobile: str = Field(description="脱敏显示，如 137****0001")
    gender: str
    gender_label: str
    birth_year: int | None
    household: HouseholdRef | None
    tags: list[TagOut] = Field(description="您可以查看的标签（敏感标签仅本社区工作人员可见）")

    @staticmethod
    def resolve_mobile(obj: Any) -> str:
        return mask_mobile(obj.mobile)

    @staticmethod
    def resolve_gender_label(obj: Any) -> str:
        return str(obj.get_gender_display()) if obj.gender else ""

    @staticmethod
    def resolve_tags(obj: Any, context: dict[str, Any]) -> list[Any]:
        return sorted(visible_tags(context["request"].user, obj), key=lambda t: t.kind)


class ResidentDetailOut(ResidentOut):
    id_number: str = Field(description="脱敏显示，如 110101********0012")

    @staticmethod
    def resolve_id_number(obj: Any) -> str:
        return mask_id_number(obj.id_number)
