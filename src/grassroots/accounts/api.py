from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import devices_for_user, user_has_device
from ninja import Router, Status

from grassroots.core.api import errors
from grassroots.core.audit import audit_log
from grassroots.core.errors import Forbidden, NotAuthenticated, NotFound
from grassroots.core.models import AuditOutcome
from grassroots.core.scoping import get_visible

from . import services
from .lockout import key_for, locked_message, unlock_at
from .models import ApiToken, User
from .schemas import MeOut, RevealIn, RevealOut, ScopeNode, TokenIn, TokenInfo, TokenOut
from .typing import AuthedRequest

router = Router(tags=["accounts"])


@router.post(
    "/auth/token",
    auth=None,
    response={201: TokenOut, **errors(400, 401, 403, 429)},
    summary="用账号（或手机号）和密码换取令牌",
    description="用账号（或手机号）和密码换取接口令牌（`Authorization: Bearer <token>`），"
    "令牌只在此时返回一次。账号或密码不正确为 401；已绑定手机验证器的工作人员须同时提供 `otp`，"
    "未绑定而平台要求绑定时为 403。连续失败次数过多，账号暂时锁定，为 429。",
)
def token_create(request: HttpRequest, payload: TokenIn) -> Status:
    request.login_channel = "api"  # type: ignore[attr-defined]
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            from grassroots.core.errors import Locked

            when = unlock_at(key_for(payload.username))
            raise Locked(locked_message(when))
        raise NotAuthenticated(_("账号或密码不正确。"))
    if user.is_staff_role and (
        settings.STAFF_2FA_REQUIRED or user_has_device(user, confirmed=True)
    ):
        if not user_has_device(user, confirmed=True):
            raise Forbidden(_("请先在网页端绑定手机验证器。"))
        if not payload.otp or not any(
            d.verify_token(payload.otp) for d in devices_for_user(user, confirmed=True)
        ):
            audit_log(
                action="auth.otp_verify",
                actor=user,
                obj=user,
                request=request,
                outcome=AuditOutcome.FAILURE,
                data={"channel": "api"},
            )
            raise NotAuthenticated(_("请提供正确的动态验证码（otp）。"))
    audit_log(action="auth.login", actor=user, obj=user, request=request, data={"channel": "api"})
    token, raw = services.token_issue(user=user, name=payload.name or "API", request=request)
    return Status(201, {"token": raw, "expires_at": token.expires_at})


@router.get(
    "/auth/tokens",
    response={200: list[TokenInfo], **errors(401)},
    summary="我的令牌",
    description="本人的接口令牌（最近的 100 个，含已吊销和已过期的），不含令牌本身。",
)
def token_list(request: AuthedRequest) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=request.user)[:100])


@router.delete(
    "/auth/tokens/{token_id}",
    response={200: TokenInfo, **errors(400, 401, 403, 404)},
    summary="吊销令牌",
    description="吊销本人的一个令牌，此后用它的请求为 401。别人的令牌为 404。",
)
def token_delete(request: AuthedRequest, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(user=request.user, pk=token_id).first()
    if token is None:
        raise NotFound()
    return services.token_revoke(actor=request.user, token=token, request=request)


def _nodes(items: Iterable[Any]) -> list[ScopeNode]:
    return [
        ScopeNode(id=i.id, code=i.code, name=i.name, kind=getattr(i, "kind", "department"))
        for i in items
    ]  # type: ignore[attr-defined]


@router.get(
    "/me",
    response={200: MeOut, **errors(401)},
    summary="当前用户、角色与管辖范围",
    description="调用者的账号、角色和管辖范围（辖区与职能部门）；手机号脱敏显示。",
)
def me(request: AuthedRequest) -> MeOut:
    user = request.user
    prefetch_related_objects([user], "scope_areas", "scope_departments")
    return MeOut(
        id=user.id,
        username=user.username,
        name=user.name,
        role=user.role,
        role_label=str(user.get_role_display()),
        roles=[user.role],
        mobile=user.mobile_masked,
        scope_areas=_nodes(user.scope_areas.all()),
        scope_departments=_nodes(user.scope_departments.all()),
    )


@router.post(
    "/users/{user_id}/reveal",
    response={200: RevealOut, **errors(400, 401, 403, 404)},
    summary="查看完整个人信息（留痕）",
    description="查看本人的，或（有权限的工作人员）管辖范围内一个用户的完整手机号，"
    "每次查看都记入审计日志。"
    "没有这项权限为 403，看不到的用户为 404。",
)
def user_reveal(request: AuthedRequest, user_id: int, payload: RevealIn) -> RevealOut:
    target = get_visible(User.objects, request.user, pk=user_id)
    value = services.personal_reveal(
        actor=request.user, target=target, field=payload.field, request=request
    )
    return RevealOut(field=payload.field, value=value)
