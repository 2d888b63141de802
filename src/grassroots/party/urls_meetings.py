"""Workbench and phone pages of organisational life: meetings (included by party/urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
