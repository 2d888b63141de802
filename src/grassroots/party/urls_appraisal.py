"""Workbench and phone pages of organisational life: appraisal (included by party/urls.py)."""

from django.urls import URLPattern, path

from . import appraisal_views as views

urlpatterns: list[URLPattern] = [
    # The workbench: those who run a branch's appraisal.
    path("", views.index, name="appraisal_list"),
    path("open/", views.open_appraisal, name="appraisal_open"),
    path("<int:pk>/", views.desk, name="appraisal"),
    path("<int:pk>/advance/", views.advance, name="appraisal_advance"),
    path("<int:pk>/assess/<int:member_pk>/", views.assess, name="appraisal_assess"),
    # The phone: a member's own part.
    path("mine/", views.mine, name="appraisal_mine"),
    path("<int:pk>/me/", views.me, name="appraisal_me"),
    path("<int:pk>/me/self/", views.self_submit, name="appraisal_self"),
    path("<int:pk>/me/peer/<int:member_pk>/", views.peer_submit, name="appraisal_peer"),
    path("<int:pk>/me/ballot/", views.ballot_submit, name="appraisal_ballot"),
]
