from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "grassroots.core"
    label = "core"
    verbose_name = _("基础")

    def ready(self) -> None:
        # Connects the signal that drops the cached holiday corrections when one changes.
        from . import worktime  # noqa: F401
