"""The table (django-tables2) of postponed interactions. Its queryset carries the contact,
template, salesperson and user of every row (selectors_recording.postponed_interactions):
rendering a page runs no query per row."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..models import InteractionLogEntry
from .log import contact_url


class PostponedInteractionTable(tables.Table):
    created_at = tables.DateTimeColumn(verbose_name=_("Saved"), short=True)
    date = tables.DateColumn(verbose_name=_("Date"), short=True)
    contact = tables.Column(verbose_name=_("Contact"), order_by=("contact__name", "entry_no"))
    description = tables.Column(verbose_name=_("Description"))
    template = tables.Column(verbose_name=_("Template"), accessor="template__code", default="")
    salesperson = tables.Column(verbose_name=_("Salesperson"), accessor="salesperson__code", default="")
    user = tables.Column(verbose_name=_("User"), order_by=("user__username", "entry_no"), default="")
    actions = tables.Column(verbose_name=_("Actions"), accessor="entry_no", orderable=False)

    class Meta:
        model = InteractionLogEntry
        fields: list[str] = []
        sequence = ("created_at", "date", "contact", "description", "template", "salesperson", "user", "actions")
        attrs = {"class": "table table-sm table-hover align-middle", "id": "postponed-interactions"}
        order_by = ("-created_at",)
        empty_text = _("There are no postponed interactions.")

    def __init__(self, *args, show_user: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not show_user:
            self.columns.hide("user")

    def render_contact(self, record):
        contact = record.contact
        url = contact_url(contact.number)
        label = format_html("{} <span class='text-body-secondary small'>{}</span>", contact.name, contact.number)
        return format_html('<a href="{}">{}</a>', url, label) if url else label

    def render_user(self, record):
        return record.user.get_full_name() or record.user.username

    def render_actions(self, record):
        # The visible text is the same on every row; the hidden part says which interaction
        # each button is for, for screen-reader users.
        about = _("%(description)s with %(contact)s") % {
            "description": record.description,
            "contact": record.contact.name,
        }
        return format_html(
            '<div class="d-flex gap-1">'
            '<a class="btn btn-sm btn-primary" href="{}"><i class="bi bi-play-fill" aria-hidden="true"></i> {}'
            '<span class="visually-hidden">: {}</span></a>'
            '<a class="btn btn-sm btn-outline-danger" href="{}"><i class="bi bi-trash" aria-hidden="true"></i> {}'
            '<span class="visually-hidden">: {}</span></a></div>',
            reverse("interactions:postponed-resume", args=[record.entry_no]),
            _("Resume"),
            about,
            reverse("interactions:postponed-delete", args=[record.entry_no]),
            _("Delete"),
            about,
        )
