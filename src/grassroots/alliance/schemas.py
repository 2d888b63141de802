from typing import Any

from ninja import Schema
from pydantic import Field

from grassroots.core.personal import mask_mobile


class MemberUnitOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    area_id: int
    area_name: str
    address: str
    contact_name: str
    contact_mobile: str = Field(description="脱敏显示，如 139****0001")

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_area_name(obj: Any) -> str:
        return str(obj.area.name)

    @staticmethod
    def resolve_contact_mobile(obj: Any) -> str:
        return mask_mobile(obj.contact_mobile)


class UnitOrgOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return str(obj.get_kind_display())


class MemberUnitDetailOut(MemberUnitOut):
    party_orgs: list[UnitOrgOut] = Field(description="建在本单位的党组织（您可见的）")

    @staticmethod
    def resolve_party_orgs(obj: Any) -> list[Any]:
        # Set by the view from the user's visible organisations, never the unscoped relation.
        return list(obj.visible_party_orgs)
