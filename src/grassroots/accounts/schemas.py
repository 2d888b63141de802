from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from grassroots.core.api import InputSchema


class TokenIn(InputSchema):
    username: str = Field(min_length=1, max_length=150, description="用户名或手机号")
    password: str = Field(min_length=1, max_length=128)
    otp: str | None = Field(default=None, max_length=6, description="已绑定验证器的工作人员须提供")
    name: str | None = Field(default=None, max_length=80, description="令牌用途")


class TokenOut(Schema):
    token: str
    expires_at: datetime


class TokenInfo(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ScopeNode(Schema):
    id: int
    code: str
    name: str
    kind: str


class MeOut(Schema):
    id: int
    username: str
    name: str
    role: str
    role_label: str
    roles: list[str]
    mobile: str = Field(description="脱敏显示")
    scope_areas: list[ScopeNode]
    scope_departments: list[ScopeNode]


class RevealIn(InputSchema):
    field: Literal["mobile"]


class RevealOut(Schema):
    field: str
    value: str
