from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from .api import api

admin.site.site_header = _("党建引领基层治理平台 · 管理后台")
admin.site.site_title = _("管理后台")
admin.site.index_title = _("基础数据与安全")

urlpatterns = [
    path("", include("grassroots.web.urls")),
    path("", include("grassroots.tickets.urls")),
    path("accounts/", include("grassroots.accounts.urls")),
    path("inbox/", include("grassroots.notices.urls")),
    path("workbench/party/", include("grassroots.party.urls")),
    path("workbench/units/", include("grassroots.alliance.urls")),
    path("workbench/whistles/", include("grassroots.whistles.urls")),
    path("workbench/io/", include("grassroots.web.io_urls")),
    path("api/v1/", api.urls),
    path("open311/v2/", include("grassroots.tickets.open311.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
