from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "crm.contacts"
    label = "contacts"
    verbose_name = _("Contacts")

    def ready(self):
        from . import search

        # What the search (crm/search) offers of this app: the contact list and contacts.
        search.register()
