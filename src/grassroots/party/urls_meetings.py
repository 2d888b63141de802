"""Workbench and phone pages of organisational life: meetings (included by party/urls.py)."""

from django.urls import URLPattern, path

from . import meeting_views as views

urlpatterns: list[URLPattern] = [
    path("", views.meeting_list, name="meetings"),
    path("new/", views.meeting_new, name="meeting_new"),
    path("<int:pk>/", views.meeting_detail, name="meeting"),
    path("<int:pk>/record/", views.meeting_record, name="meeting_record"),
    path("<int:pk>/confirm/", views.meeting_confirm, name="meeting_confirm"),
    path("<int:pk>/correct/", views.meeting_correct, name="meeting_correct"),
    path("<int:pk>/cancel/", views.meeting_cancel, name="meeting_cancel"),
    path("<int:pk>/print/", views.meeting_print, name="meeting_print"),
    path("<int:pk>/attachments/", views.meeting_attach, name="meeting_attach"),
    path(
        "<int:pk>/attachments/<int:att_pk>/",
        views.meeting_attachment,
        name="meeting_attachment",
    ),
    path(
        "<int:pk>/attachments/<int:att_pk>/delete/",
        views.meeting_detach,
        name="meeting_detach",
    ),
    path("<int:pk>/followups/new/", views.followup_new, name="followup_new"),
    path("followups/<int:pk>/done/", views.followup_done, name="followup_done"),
]
