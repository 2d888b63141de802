"""Workbench pages of organisational life: compliance (included by party/urls.py)."""

from django.urls import URLPattern, path

from . import compliance_views

urlpatterns: list[URLPattern] = [
    path("", compliance_views.overview, name="life"),
    path("orgs/<int:pk>/", compliance_views.branch_home, name="branch_home"),
]
