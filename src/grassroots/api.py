"""The JSON API at /api/v1/: Django Ninja, one router per app."""

from __future__ import annotations

from ninja import NinjaAPI

from grassroots.accounts.api import router as accounts_router
from grassroots.alliance.api import router as alliance_router
from grassroots.core.api import BearerToken, BrowserSession, install_error_handlers
from grassroots.party.api import router as party_router
from grassroots.party.appraisals_api import router as appraisals_router
from grassroots.party.compliance_api import router as compliance_router
from grassroots.party.meetings_api import router as meetings_router
from grassroots.party.points_api import router as points_router
from grassroots.territory.api import router as territory_router
from grassroots.tickets.api import router as tickets_router
from grassroots.tickets.rates_api import router as rates_router
from grassroots.whistles.api import router as whistles_router
from grassroots.whistles.supervision_api import router as supervision_router

api = NinjaAPI(
    title="Grassroots API",
    version="1",
    description="党建引领基层治理平台接口。机器客户端用 `Authorization: Bearer <token>`，"
    '浏览器用会话与 CSRF。错误统一为 `{"error": {"code", "message", "fields"}}`。',
    auth=[BearerToken(), BrowserSession()],
    urls_namespace="api",
    docs_url="/docs",
)
install_error_handlers(api)
api.add_router("", accounts_router)
api.add_router("", territory_router)
api.add_router("", party_router)
api.add_router("", meetings_router)
api.add_router("", compliance_router)
api.add_router("", appraisals_router)
api.add_router("", points_router)
api.add_router("", alliance_router)
api.add_router("", tickets_router)
api.add_router("", rates_router)
# Flags and measures first: `/whistles/flags` is not a whistle number.
api.add_router("", supervision_router)
api.add_router("", whistles_router)
