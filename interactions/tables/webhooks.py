"""Tables (django-tables2) of the webhook page: the subscriptions and a subscription's
delivery log."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..models import WebhookAttempt, WebhookSubscription


class WebhookSubscriptionTable(tables.Table):
    description = tables.Column(verbose_name=_("Description"), linkify=True)
    url = tables.Column(verbose_name=_("URL"))
    events = tables.Column(verbose_name=_("Events"), orderable=False)
    active = tables.BooleanColumn(verbose_name=_("Active"))
    consecutive_failures = tables.Column(verbose_name=_("Consecutive failures"))

    class Meta:
        model = WebhookSubscription
        fields = ("description", "url", "events", "active", "consecutive_failures")
        attrs = {"class": "table table-sm table-hover align-middle"}
        empty_text = _("No webhook subscriptions yet.")

    def render_events(self, record):
        return ", ".join(record.event_labels())


class WebhookAttemptTable(tables.Table):
    attempted_at = tables.DateTimeColumn(verbose_name=_("Attempted at"), format="SHORT_DATETIME_FORMAT")
    event = tables.Column(verbose_name=_("Event"))
    payload_id = tables.Column(verbose_name=_("Payload id"))
    number = tables.Column(verbose_name=_("Attempt"))
    succeeded = tables.Column(verbose_name=_("Status"))
    response_code = tables.Column(verbose_name=_("Response code"))
    duration_ms = tables.Column(verbose_name=_("Duration (ms)"))
    error = tables.Column(verbose_name=_("Error"))

    class Meta:
        model = WebhookAttempt
        fields = ("attempted_at", "event", "payload_id", "number", "succeeded", "response_code", "duration_ms", "error")
        attrs = {"class": "table table-sm align-middle"}
        empty_text = _("Nothing has been sent yet.")
        orderable = False

    def render_succeeded(self, value):
        if value:
            return format_html('<span class="badge text-bg-success">{}</span>', _("Delivered"))
        return format_html('<span class="badge text-bg-danger">{}</span>', _("Failed"))
