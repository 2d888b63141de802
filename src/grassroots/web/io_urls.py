from django.urls import path

from . import io_views

app_name = "io"
urlpatterns = [
    path("", io_views.index, name="index"),
    path("template/<slug:kind>/", io_views.template, name="template"),
    path("import/", io_views.upload, name="import"),
    path("export/<slug:kind>/", io_views.export, name="export"),
]
