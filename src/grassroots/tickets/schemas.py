from typing import Any

from ninja import Schema
from pydantic import Field

from .models import HandlingLevel, SlaUnit


class SlaPolicyOut(Schema):
    id: int
    name: str
    respond_amount: int
    respond_unit: str = Field(description="hours / days / working_days")
    respond_unit_label: str
    resolve_amount: int
    resolve_unit: str = Field(description="hours / days / working_days")
    resolve_unit_label: str
    warn_share: float = Field(description="时限过去这一比例时预警，如 0.8")

    @staticmethod
    def resolve_respond_unit_label(obj: Any) -> str:
        return str(SlaUnit(obj.respond_unit).label)

    @staticmethod
    def resolve_resolve_unit_label(obj: Any) -> str:
        return str(SlaUnit(obj.resolve_unit).label)


class CategoryOut(Schema):
    """One node of the catalogue. The list is flat, in tree order (a node comes before
    everything under it), so `parent_id` and `depth` are enough to nest it."""

    id: int
    code: str
    name: str
    description: str
    depth: int = Field(description="层级，顶层为 1")
    parent_id: int | None
    is_leaf: bool = Field(description="末级类别：上报时选择的是末级类别")
    handling_level: str | None = Field(description="grid / community / street / department")
    handling_level_label: str | None
    keywords: list[str]
    sla_policy: SlaPolicyOut | None = Field(description="末级类别的时限标准")

    @staticmethod
    def resolve_parent_id(obj: Any) -> int | None:
        return getattr(obj, "parent_pk", None)

    @staticmethod
    def resolve_is_leaf(obj: Any) -> bool:
        return not obj.numchild

    @staticmethod
    def resolve_handling_level(obj: Any) -> str | None:
        return obj.handling_level or None

    @staticmethod
    def resolve_handling_level_label(obj: Any) -> str | None:
        return str(HandlingLevel(obj.handling_level).label) if obj.handling_level else None

    @staticmethod
    def resolve_keywords(obj: Any) -> list[str]:
        return list(obj.keyword_list)

    @staticmethod
    def resolve_sla_policy(obj: Any) -> Any:
        return obj.sla_policy if not obj.numchild else None
