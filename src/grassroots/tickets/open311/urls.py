from django.urls import path, re_path

from . import requests, views

app_name = "open311"

FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    path("", views.discovery, {"fmt": "json"}, name="root"),
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^services" + FMT, views.services, name="services"),
    re_path(
        r"^services/(?P<code>[0-9A-Za-z_-]{1,32})" + FMT, views.service_definition, name="service"
    ),
    re_path(r"^requests" + FMT, requests.requests, name="requests"),
    re_path(
        r"^requests/(?P<number>[0-9A-Za-z-]{1,32})" + FMT, requests.request_detail, name="request"
    ),
    re_path(r"^tokens/(?P<value>[0-9A-Za-z_-]{1,80})" + FMT, requests.token, name="token"),
]
