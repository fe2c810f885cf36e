"""What each entry of a logged segment sent, and the contacts who want no bulk e-mail.

`SegmentEntryContent`: one row per entry of a logged segment whose template has content
(merge body, or an "open" template's attachment): the merged text in the line's language,
as HTML for e-mail lines, the page of the letters PDF for hard-copy lines, the address it
went to and, before anything is sent, why it cannot be (`problem`). The row is the delivery
record of the e-mail: its Message-ID is fixed when the segment is logged, and
`handed_over_at` is written (committed) while the message's DATA is open, before the final
dot: a task that finds it set never sends the message again (services/segment_delivery.py).

A separate table and not attachments: 10,000 merged letters are 10,000 rows in one INSERT,
not 10,000 files; an "open" template's file and the letters PDF are shared through the
entry's attachment (one row for all entries), never copied.

`BulkEmailOptOut`: a contact who unsubscribed (RFC 8058 one-click or the confirmation page)
gets no bulk e-mail; segments leave such contacts out when adding contacts unless told to
ignore it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.contacts.models import Contact, Language

from .log import InteractionLogEntry
from .segments import LoggedSegment


class DeliveryChannel(models.TextChoices):
    """How an entry's content reaches the contact, by its correspondence type."""

    EMAIL = "email", _("E-mail")
    HARD_COPY = "hard_copy", _("Hard copy")
    FAX = "fax", _("Fax")
    NONE = "", _("(none)")


class SegmentEntryContent(models.Model):
    entry = models.OneToOneField(
        InteractionLogEntry,
        verbose_name=_("interaction log entry"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="segment_content",
        # Entries are deleted by the purge's own DELETE (which deletes these rows too).
        db_constraint=False,
    )
    logged_segment = models.ForeignKey(
        LoggedSegment,
        verbose_name=_("logged segment"),
        on_delete=models.CASCADE,
        related_name="contents",
        db_index=False,
        db_constraint=False,
    )
    channel = models.CharField(_("channel"), max_length=10, choices=DeliveryChannel.choices, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    # The merge body filled with the contact's data (plain text), and for e-mail lines the
    # same as HTML, as it goes out.
    body = models.TextField(_("merged text"), blank=True)
    html = models.TextField(_("merged HTML"), blank=True)
    # Placeholders of the body that the contact (or salesperson) has no value for.
    missing_placeholders = models.CharField(_("missing placeholders"), max_length=500, blank=True)
    address = models.CharField(_("address"), max_length=254, blank=True)
    # Why the e-mail cannot be sent, found before sending (no address, invalid, unsubscribed).
    problem = models.CharField(_("problem"), max_length=500, blank=True)
    letter_page = models.PositiveIntegerField(_("page of the letters PDF"), null=True, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    handed_over_at = models.DateTimeField(_("handed to the mail server"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        verbose_name = _("segment entry content")
        verbose_name_plural = _("segment entry contents")
        indexes = [models.Index(fields=["logged_segment", "channel"], name="segment_content_channel_idx")]

    def __str__(self):
        return f"{self.entry_id} {self.subject}"


class BulkEmailOptOut(models.Model):
    contact = models.OneToOneField(
        Contact,
        verbose_name=_("contact"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(_("unsubscribed at"), auto_now_add=True)
    # The bulk e-mail whose link was used, and the inbound entry that records the unsubscribe.
    source_entry_no = models.BigIntegerField(_("from the e-mail of entry"), null=True, blank=True)
    entry = models.ForeignKey(
        InteractionLogEntry,
        verbose_name=_("interaction log entry"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )

    class Meta:
        verbose_name = _("no bulk e-mail")
        verbose_name_plural = _("no bulk e-mail")

    def __str__(self):
        return str(self.contact_id)
