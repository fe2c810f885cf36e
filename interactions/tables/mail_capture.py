"""Tables (django-tables2) of the e-mail capture pages: a mailbox's runs and its skipped
messages."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..models import MailboxRun, MailboxRunState, SkippedMessage


class MailboxRunTable(tables.Table):
    started_at = tables.DateTimeColumn(verbose_name=_("Started"), format="SHORT_DATETIME_FORMAT")
    duration = tables.Column(verbose_name=_("Duration"), empty_values=(), orderable=False)
    state = tables.Column(verbose_name=_("State"))
    read = tables.Column(verbose_name=_("Read"))
    logged = tables.Column(verbose_name=_("Logged"))
    bounces = tables.Column(verbose_name=_("Bounces"))
    skipped = tables.Column(verbose_name=_("Skipped"), orderable=False)
    error = tables.Column(verbose_name=_("Error"))

    class Meta:
        model = MailboxRun
        fields = ("started_at", "duration", "state", "read", "logged", "bounces", "skipped", "error")
        attrs = {"class": "table table-sm align-middle", "id": "mailbox-runs"}
        empty_text = _("The mailbox has not been read yet.")
        orderable = False

    def render_duration(self, record):
        duration = record.duration
        if duration is None:
            return "—"
        return _("%(seconds)s s") % {"seconds": round(duration.total_seconds(), 1)}

    def render_state(self, record):
        style = {
            MailboxRunState.SUCCEEDED: "text-bg-success",
            MailboxRunState.FAILED: "text-bg-danger",
        }.get(record.state, "text-bg-secondary")
        return format_html('<span class="badge {}">{}</span>', style, record.get_state_display())

    def render_skipped(self, record):
        parts = [f"{label}: {count}" for label, count in record.skipped_by_reason()]
        return "; ".join(parts) or "0"


class SkippedMessageTable(tables.Table):
    created_at = tables.DateTimeColumn(verbose_name=_("Skipped at"), format="SHORT_DATETIME_FORMAT")
    reason = tables.Column(verbose_name=_("Reason"))
    sender = tables.Column(verbose_name=_("From"))
    subject = tables.Column(verbose_name=_("Subject"), linkify=True, empty_values=())
    sent_at = tables.DateTimeColumn(verbose_name=_("Date"), format="SHORT_DATETIME_FORMAT")
    logged_entry = tables.Column(verbose_name=_("Logged by hand as"))

    class Meta:
        model = SkippedMessage
        fields = ("created_at", "reason", "sender", "subject", "sent_at", "logged_entry")
        attrs = {"class": "table table-sm table-hover align-middle", "id": "skipped-messages"}
        empty_text = _("No skipped messages.")
        orderable = False

    def render_subject(self, record):
        return record.subject or _("(no subject)")

    def render_logged_entry(self, record):
        if not record.logged_entry_id:
            return "—"
        url = reverse("interactions:entry-detail", args=[record.logged_entry_id])
        return format_html('<a href="{}">{}</a>', url, record.logged_entry_id)
