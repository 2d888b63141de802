from django.urls import include, path

from . import views

app_name = "party"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("orgs/<int:pk>/", views.org_detail, name="org"),
    path("members/<int:pk>/", views.member_detail, name="member"),
    path("members/<int:pk>/links/", views.link_add, name="link_add"),
    path("members/<int:pk>/links/<int:link_pk>/remove/", views.link_remove, name="link_remove"),
    path("areas/<int:pk>/", views.area_detail, name="area"),
    # Organisational life (三会一课, compliance, appraisal, points).
    path("life/", include("grassroots.party.urls_compliance")),
    path("meetings/", include("grassroots.party.urls_meetings")),
    path("appraisals/", include("grassroots.party.urls_appraisal")),
    path("points/", include("grassroots.party.urls_points")),
]
