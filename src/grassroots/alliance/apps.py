from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AllianceConfig(AppConfig):
    name = "grassroots.alliance"
    label = "alliance"
    verbose_name = _("区域化党建")
