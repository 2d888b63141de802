from django.urls import path

from . import views

app_name = "alliance"
urlpatterns = [
    path("", views.unit_list, name="units"),
]
