"""Workbench and phone pages of organisational life: points (included by party/urls.py)."""

from django.urls import URLPattern, path

from . import points_views

urlpatterns: list[URLPattern] = [
    path("mine/", points_views.mine, name="points_mine"),
    path("members/<int:pk>/", points_views.member_points, name="points_member"),
]
