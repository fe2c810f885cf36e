"""Tables (django-tables2) of the setup pages: the template setup, read-only."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _


class TemplateSetupTable(tables.Table):
    """One section of the template setup, read-only: event and the template recording it."""

    caption = tables.Column(verbose_name=_("Event"), orderable=False)
    template = tables.Column(verbose_name=_("Interaction template"), orderable=False, empty_values=())
    use = tables.Column(
        verbose_name=_("Records"), orderable=False, attrs={"td": {"class": "small text-body-secondary"}}
    )

    class Meta:
        attrs = {"class": "table table-sm align-middle mb-0"}

    def render_template(self, value):
        if value is None:
            return format_html('<span class="text-body-secondary">{}</span>', _("(do not record)"))
        return format_html(
            '<a href="{}">{}</a> {}',
            reverse("interactions:template-detail", args=[value.code]),
            value.code,
            value.description,
        )
