from django.urls import path

from . import views

app_name = "notices"
urlpatterns = [
    path("", views.inbox_view, name="inbox"),
    path("<int:pk>/open/", views.open_view, name="open"),
    path("read-all/", views.read_all_view, name="read_all"),
]
