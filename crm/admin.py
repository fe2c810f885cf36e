from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("CRM interactions administration")
admin.site.site_title = _("CRM interactions")
admin.site.index_title = _("Setup")
