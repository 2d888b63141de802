"""Workbench and phone pages of organisational life: compliance (included by party/urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
