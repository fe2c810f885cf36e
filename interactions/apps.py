from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteractionsConfig(AppConfig):
    name = "interactions"
    verbose_name = _("Interactions")

    def ready(self):
        # Printed documents log themselves: the host announces prints, the module listens.
        from . import receivers

        receivers.connect()
