from django.urls import path

from . import views

app_name = "whistles"

urlpatterns = [
    path("", views.board, name="board"),
    path("new/", views.blow, name="new"),
    path("inbox/", views.inbox, name="inbox"),
    path("flags/", views.flags, name="flags"),
    path("league/", views.league, name="league"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("<str:number>/", views.detail, name="detail"),
]
