from django.urls import path

from . import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("m/", views.resident_home, name="resident_home"),
    path("m/me/", views.resident_me, name="resident_me"),
    path("m/me/identity/", views.resident_identity, name="resident_identity"),
    path("m/building/", views.resident_building, name="resident_building"),
    path("m/building/call/<str:kind>/<int:pk>/", views.resident_call, name="resident_call"),
    path("workbench/", views.workbench, name="workbench"),
    path("workbench/areas/", views.areas, name="areas"),
    path("workbench/departments/", views.departments, name="departments"),
]
