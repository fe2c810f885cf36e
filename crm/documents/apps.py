from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "crm.documents"
    label = "documents"
    verbose_name = _("Documents")

    def ready(self):
        from . import checks, search  # noqa: F401  (checks registers the system checks)

        # What the search (crm/search) offers of this app: the document list and documents.
        search.register()
