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
        # The API's create keeps templates read by code (selectors/template_cache.py): any
        # change of the set-up makes them stale.
        from django.db.models.signals import post_delete, post_save

        from crm.contacts.models import Campaign

        from .models import Attachment, InteractionGroup, InteractionTemplate, InteractionTemplateLanguage
        from .selectors.template_cache import forget_templates

        for model in (InteractionTemplate, InteractionTemplateLanguage, InteractionGroup, Campaign):
            for signal in (post_save, post_delete):
                signal.connect(forget_templates, sender=model, dispatch_uid=f"template-cache-{model._meta.label}")
        post_delete.connect(forget_templates, sender=Attachment, dispatch_uid="template-cache-attachment")
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
