from datetime import date
from typing import Any

from ninja import Schema
from pydantic import Field

from grassroots.core.scoping import scope_of


class PartyOrgOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    setting: str
    setting_label: str
    parent_id: int | None
    depth: int
    area_id: int | None = Field(description="领导的区域；不按区域设置的组织为空")
    area_name: str | None
    member_unit_id: int | None = Field(description="建在驻区单位上的组织所在单位")
    members_total: int = Field(description="组织关系在本组织的党员数（不含下级组织）")
    members_full: int = Field(description="其中正式党员数")

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_setting_label(obj: Any) -> str:
        return str(obj.get_setting_display())

    @staticmethod
    def resolve_parent_id(obj: Any) -> int | None:
        return getattr(obj, "parent_pk", None)

    @staticmethod
    def resolve_area_name(obj: Any) -> str | None:
        return obj.area.name if obj.area_id else None


class FindingOut(Schema):
    level: str = Field(description="error：须纠正；warning：提醒")
    field: str
    message: str


class PartyOrgDetailOut(PartyOrgOut):
    secretary: str | None = Field(description="书记姓名")
    committee: list[str] = Field(description="委员姓名")
    term_start: date | None
    term_end: date | None
    findings: list[FindingOut] = Field(description="按《支部工作条例》检查的结果")

    @staticmethod
    def resolve_secretary(obj: Any) -> str | None:
        return obj.secretary.name if obj.secretary_id else None

    @staticmethod
    def resolve_committee(obj: Any) -> list[str]:
        return [m.name for m in obj.committee.all()]


class OrgRef(Schema):
    id: int
    name: str


class MemberOut(Schema):
    """A member as staff see them. No mobile number at all: a member is reached through the
    branch, and a resident's number lives (masked) on the resident."""

    id: int
    name: str
    status: str
    status_label: str
    joined_on: date
    branch: OrgRef
    group: OrgRef | None
    resident_id: int | None
    household: str | None = Field(description="所住住户（仅在您的辖区内时显示）")
    community_registered: bool = Field(description="在职党员到社区报到")
    commitment: str = Field(description="公开承诺")
    service_roles: list[str] = Field(description="服务角色：政策传声筒、矛盾润滑剂、服务贴心人")
    shows_identity: bool = Field(description="本人同意亮身份")

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_household(obj: Any, context: dict[str, Any]) -> str | None:
        household = obj.resident.household if obj.resident_id else None
        if household is None:
            return None
        # Shown only when the household lies in the reader's territory (as Household's own
        # visible_to would say): a member's record does not reveal where they live elsewhere.
        paths = scope_of(context["request"].user).area_paths
        if not any(household.area_path.startswith(p) for p in paths):
            return None
        return str(household)
