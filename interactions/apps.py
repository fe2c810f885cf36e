from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class InteractionsConfig(AppConfig):
    name = "interactions"
    verbose_name = _("Interactions")

    def ready(self):
        from crm import panels

        # Printed documents log themselves: the host announces prints, the module listens.
        from . import conf, receivers

        receivers.connect()
        # The module's INTERACTIONS_* settings, checked when the project starts.
        checks.register(conf.check_settings, "interactions")

        # The module's panels in the host's pages (the slots of crm/panels.py).
        panels.register("navigation", "interactions/panels/navigation.html")
        panels.register("navigation-more", "interactions/panels/navigation_more.html")
        panels.register("home", "interactions/panels/home.html")
        panels.register("contact-card-actions", "interactions/panels/contact_card_actions.html")
        panels.register("contact-card-panels", "interactions/panels/contact_card_panels.html")
        panels.register("contact-card-persons", "interactions/panels/contact_card_persons.html")
        panels.register("campaign-card-actions", "interactions/panels/campaign_card_actions.html")
        panels.register("campaign-card-panels", "interactions/panels/campaign_card_panels.html")

        # The module's pages, actions and records in the host's search (crm/search).
        from . import search

        search.register()
