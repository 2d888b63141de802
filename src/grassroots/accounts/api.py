from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import devices_for_user, user_has_device
from ninja import Router, Status

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
    "/auth/token", auth=None, response={201: TokenOut}, summary="用账号（或手机号）和密码换取令牌"
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


@router.get("/auth/tokens", response=list[TokenInfo], summary="我的令牌")
def token_list(request: AuthedRequest) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=request.user)[:100])


@router.delete("/auth/tokens/{token_id}", response=TokenInfo, summary="吊销令牌")
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


@router.get("/me", response=MeOut, summary="当前用户、角色与管辖范围")
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


@router.post("/users/{user_id}/reveal", response=RevealOut, summary="查看完整个人信息（留痕）")
def user_reveal(request: AuthedRequest, user_id: int, payload: RevealIn) -> RevealOut:
    target = get_visible(User.objects, request.user, pk=user_id)
    value = services.personal_reveal(
        actor=request.user, target=target, field=payload.field, request=request
    )
    return RevealOut(field=payload.field, value=value)
