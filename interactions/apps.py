from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class InteractionsConfig(AppConfig):
    name = "interactions"
    verbose_name = _("Interactions")

    def ready(self):
        # Printed documents log themselves: the host announces prints, the module listens.
        from . import conf, receivers

        receivers.connect()
        # The module's INTERACTIONS_* settings, checked when the project starts.
        checks.register(conf.check_settings, "interactions")
