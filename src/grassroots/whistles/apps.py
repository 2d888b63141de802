from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WhistlesConfig(AppConfig):
    name = "grassroots.whistles"
    label = "whistles"
    verbose_name = _("吹哨报到")

    def ready(self) -> None:
        from . import rules  # noqa: F401  (registers the permissions)
