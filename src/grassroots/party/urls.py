from django.urls import path

from . import views

app_name = "party"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("orgs/<int:pk>/", views.org_detail, name="org"),
    path("members/<int:pk>/", views.member_detail, name="member"),
    path("areas/<int:pk>/", views.area_detail, name="area"),
]
