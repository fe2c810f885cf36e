from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    """The composition root: project pages, the demo data command."""

    name = "crm"
    verbose_name = _("CRM")
