"""Interaction log entries and their comments."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.contacts.models import Campaign, Contact, CorrespondenceType, Language, Salesperson
from crm.documents.types import DocumentType

from .attachments import Attachment
from .choices import DeliveryStatus, Evaluation, InformationFlow, InitiatedBy
from .segments import LoggedSegment
from .templates import InteractionGroup, InteractionTemplate

# Foreign keys of the log without a database FOREIGN KEY constraint. A constraint is
# checked on every inserted row (about 3.5 µs a row each on PostgreSQL: four of them were
# a third of logging a 100,000-line segment, more than all the log's indexes together).
# These four are copies taken at logging time from references that keep their constraint
# (the company from the contact, the group from the template) or bookkeeping (who logged
# it, which logged segment). Django's on_delete holds them; on PostgreSQL so do triggers
# on the referenced tables (migration 0006), where deleting is rare: deleting a company or
# group the log refers to is refused, deleting a user or logged segment clears the
# reference.
NO_DATABASE_FOREIGN_KEY = ("contact_company", "group", "user", "logged_segment")


class InteractionLogEntry(models.Model):
    """One interaction with a contact. Never edited away: a wrong one is canceled, and only
    canceled entries are ever deleted (by the purge service)."""

    entry_no = models.BigAutoField(_("entry no."), primary_key=True)
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.PROTECT,
        related_name="interaction_log_entries",
        db_index=False,
    )
    contact_company = models.ForeignKey(
        Contact,
        verbose_name=_("contact company"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="company_interaction_log_entries",
        db_index=False,
        db_constraint=False,  # see NO_DATABASE_FOREIGN_KEY above
    )
    date = models.DateField(_("date"), default=timezone.localdate)
    time = models.TimeField(_("time"), null=True, blank=True)
    description = models.CharField(_("description"), max_length=100)
    subject = models.CharField(_("subject"), max_length=100, blank=True)
    information_flow = models.CharField(
        _("information flow"), max_length=10, choices=InformationFlow.choices, blank=True
    )
    initiated_by = models.CharField(_("initiated by"), max_length=10, choices=InitiatedBy.choices, blank=True)
    template = models.ForeignKey(
        InteractionTemplate,
        verbose_name=_("interaction template"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="log_entries",
        db_index=False,
    )
    group = models.ForeignKey(
        InteractionGroup,
        verbose_name=_("interaction group"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="log_entries",
        db_index=False,
        db_constraint=False,  # see NO_DATABASE_FOREIGN_KEY above
    )
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, blank=True)
    attachment = models.ForeignKey(
        Attachment,
        verbose_name=_("attachment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="log_entries",
        db_index=False,
    )
    cost = models.DecimalField(_("cost"), max_digits=12, decimal_places=2, default=0, validators=[MinValueValidator(0)])
    duration = models.PositiveIntegerField(_("duration (min.)"), default=0)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,  # see NO_DATABASE_FOREIGN_KEY above
    )
    salesperson = models.ForeignKey(
        Salesperson,
        verbose_name=_("salesperson"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interaction_log_entries",
        db_index=False,
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interaction_log_entries",
        db_index=False,
    )
    campaign_target = models.BooleanField(_("campaign target"), default=False)
    campaign_response = models.BooleanField(_("campaign response"), default=False)
    # Foreign keys carry db_index=False where an index of Meta.indexes starts with them.
    # The segment is kept by number: logging a segment may delete it, the log stays.
    segment_number = models.CharField(_("segment number"), max_length=20, blank=True)
    logged_segment = models.ForeignKey(
        LoggedSegment,
        verbose_name=_("logged segment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="entries",
        db_index=False,
        db_constraint=False,  # see NO_DATABASE_FOREIGN_KEY above
    )
    evaluation = models.CharField(_("evaluation"), max_length=15, choices=Evaluation.choices, blank=True)
    attempt_failed = models.BooleanField(_("attempt failed"), default=False)
    delivery_status = models.CharField(_("delivery status"), max_length=15, choices=DeliveryStatus.choices, blank=True)
    delivery_error = models.TextField(_("delivery error"), blank=True)
    # While the e-mail waits ("in progress") or is being sent ("sending"): when that should be
    # over. Past it (and a grace period), the recovery sweep queues its delivery again.
    delivery_due_at = models.DateTimeField(_("delivery due at"), null=True, blank=True, editable=False)
    canceled = models.BooleanField(_("canceled"), default=False)
    canceled_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("canceled or restored by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    canceled_changed_at = models.DateTimeField(_("canceled or restored at"), null=True, blank=True)
    postponed = models.BooleanField(_("postponed"), default=False)
    correspondence_type = models.CharField(
        _("correspondence type"), max_length=10, choices=CorrespondenceType.choices, blank=True
    )
    contact_via = models.CharField(_("contact via"), max_length=80, blank=True)
    document_type = models.CharField(_("document type"), max_length=40, choices=DocumentType.choices, blank=True)
    document_number = models.CharField(_("document no."), max_length=20, blank=True)
    document_occurrence = models.PositiveIntegerField(_("doc. no. occurrence"), default=0)
    document_version = models.PositiveIntegerField(_("version no."), default=0)
    opportunity_number = models.CharField(_("opportunity no."), max_length=20, blank=True)
    # The entries an e-mail came from, kept by number as the segment is (entries are purged,
    # the reference stays and the page says the entry no longer exists): the entry whose
    # attachment was resent (services/communication/resend.py), and the draft that was sent
    # (services/communication/drafts.py). The original shows them by the indexes below.
    resent_from_entry_no = models.BigIntegerField(_("resent from entry"), null=True, blank=True)
    sent_from_draft_entry_no = models.BigIntegerField(_("sent from draft"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("interaction log entry")
        verbose_name_plural = _("interaction log entries")
        ordering = ["-date", "-entry_no"]
        permissions = [
            ("cancel_interactionlogentry", _("Can cancel and restore interaction log entries")),
            ("evaluate_interactionlogentry", _("Can evaluate interaction log entries")),
            ("purge_interactionlogentry", _("Can delete canceled interaction log entries")),
            ("export_interactionlogentry", _("Can export interaction log entries")),
            # The owner rule of interactions/permissions.py (ACT_ON_OTHERS).
            ("act_on_others_interactionlogentry", _("Can act on other users' interaction log entries")),
        ]
        # One index per filter and per sort of the log page (the page's queries all say NOT
        # postponed), so a filtered or sorted page reads only the rows it shows, from the
        # index alone (index-only scans) at any depth. Ascending, read backward by the log
        # (newest first): new entries land at the right end of each range, where PostgreSQL
        # appends without descending the tree and splits pages 90/10 (about 5% faster bulk
        # logging, measured in bench/).
        # - Columns other rows refer to (a contact, template, salesperson, campaign, company,
        #   group or logged segment being deleted is looked up by that column alone, by
        #   Django's on_delete, the constraints and the triggers of migration 0006): the
        #   index holds every entry, with `postponed` as its second column, so that the
        #   page's `col = x AND NOT postponed ORDER BY date, entry_no` reads one range of it
        #   and the delete's `col = x` finds its rows too. A partial index on NOT postponed
        #   would leave those lookups a scan of the whole table.
        # - The other filters and sorts: partial indexes on NOT postponed, like the date's.
        # The log cannot sort by a related row's name (the contact's name, the salesperson's
        # code): no index of this table holds them; those columns are not sortable.
        indexes = [
            # The unfiltered log reads page after page of this index alone (index-only scans):
            # it leaves out postponed entries as the log does, so no row needs checking. The
            # page's default sort is the entries of a day in time order (date, time, entry
            # no.); the API's keyset pages go by (date, entry no.) and keep the first index.
            # Each filter's index ends (date, entry no.) and carries the time (INCLUDE, PostgreSQL):
            # the page's order is then an index-only scan and an incremental sort of each day's
            # few rows; without the time, a deep page of a frequent filter at 10M entries walked
            # the date index and read 50,000 rows from the table (216 ms; 3 ms with it).
            models.Index(fields=["date", "entry_no"], name="log_date_idx", condition=Q(postponed=False)),
            models.Index(fields=["date", "time", "entry_no"], name="log_date_time_idx", condition=Q(postponed=False)),
            models.Index(
                fields=["contact", "postponed", "date", "entry_no"], name="log_contact_date_idx", include=["time"]
            ),
            models.Index(
                fields=["contact_company", "postponed", "date", "entry_no"],
                name="log_company_date_idx",
                include=["time"],
            ),
            models.Index(
                fields=["salesperson", "postponed", "date", "entry_no"],
                name="log_salesperson_date_idx",
                include=["time"],
            ),
            models.Index(
                fields=["template", "postponed", "date", "entry_no"], name="log_template_date_idx", include=["time"]
            ),
            models.Index(
                fields=["group", "postponed", "date", "entry_no"], name="log_group_date_idx", include=["time"]
            ),
            models.Index(
                fields=["campaign", "postponed", "date", "entry_no"],
                name="log_campaign_date_idx",
                include=["time"],
                condition=Q(campaign__isnull=False),
            ),
            models.Index(
                fields=["segment_number", "date", "entry_no"],
                name="log_segment_date_idx",
                include=["time"],
                condition=~Q(segment_number="") & Q(postponed=False),
            ),
            models.Index(
                fields=["logged_segment", "postponed", "date", "entry_no"],
                name="log_logged_segment_idx",
                include=["time"],
                condition=Q(logged_segment__isnull=False),
            ),
            models.Index(
                fields=["document_type", "date", "entry_no"],
                name="log_document_type_date_idx",
                include=["time"],
                condition=~Q(document_type="") & Q(postponed=False),
            ),
            # A filter and a sort at once: sorting by evaluation is by (evaluation, date, entry_no).
            models.Index(
                fields=["evaluation", "date", "entry_no"],
                name="log_evaluation_date_idx",
                include=["time"],
                condition=Q(postponed=False),
            ),
            models.Index(
                fields=["information_flow", "date", "entry_no"],
                name="log_flow_date_idx",
                include=["time"],
                condition=Q(postponed=False),
            ),
            models.Index(
                fields=["date", "entry_no"],
                name="log_canceled_date_idx",
                include=["time"],
                condition=Q(canceled=True, postponed=False),
            ),
            models.Index(fields=["description", "entry_no"], name="log_description_idx", condition=Q(postponed=False)),
            models.Index(fields=["cost", "entry_no"], name="log_cost_idx", condition=Q(postponed=False)),
            models.Index(fields=["duration", "entry_no"], name="log_duration_idx", condition=Q(postponed=False)),
            models.Index(
                fields=["document_type", "document_number"],
                name="log_document_idx",
                condition=~Q(document_type=""),
            ),
            # A contact card's unsent e-mail drafts (selectors.log.open_email_drafts): a handful of rows,
            # found without reading the contact's (or company's) every entry for the status.
            models.Index(
                fields=["contact", "date", "entry_no"],
                name="log_contact_drafts_idx",
                condition=Q(delivery_status="draft", canceled=False, postponed=False),
            ),
            models.Index(
                fields=["contact_company", "date", "entry_no"],
                name="log_company_drafts_idx",
                condition=Q(delivery_status="draft", canceled=False, postponed=False),
            ),
            # The purge's walk through the canceled entries, in date order (services/purge).
            models.Index(fields=["date", "entry_no"], name="log_canceled_idx", condition=Q(canceled=True)),
            models.Index(fields=["user", "-created_at"], name="log_postponed_idx", condition=Q(postponed=True)),
            models.Index(fields=["attachment"], name="log_attachment_idx", condition=Q(attachment__isnull=False)),
            # "Resent as" and "sent as" on the original's page (a handful of rows).
            models.Index(
                fields=["resent_from_entry_no"],
                name="log_resent_from_idx",
                condition=Q(resent_from_entry_no__isnull=False),
            ),
            models.Index(
                fields=["sent_from_draft_entry_no"],
                name="log_sent_from_draft_idx",
                condition=Q(sent_from_draft_entry_no__isnull=False),
            ),
            # The e-mails waiting for delivery, for the recovery sweep (a handful of rows).
            models.Index(
                fields=["delivery_due_at"],
                name="log_delivery_pending_idx",
                condition=Q(delivery_status__in=["in_progress", "sending"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(cost__gte=0),
                name="log_entry_cost_not_negative",
                violation_error_message=_("The cost cannot be negative."),
            ),
            models.CheckConstraint(condition=~Q(description=""), name="log_entry_description_not_blank"),
        ]

    def __str__(self):
        return f"{self.entry_no} {self.description}"

    def get_absolute_url(self):
        return reverse("interactions:entry-detail", args=[self.entry_no])

    @property
    def title(self) -> str:
        """Outbound "<template> by <salesperson>", inbound "<template> from <contact>"."""
        template = self.template.description if self.template_id else self.description
        if self.information_flow == InformationFlow.INBOUND:
            return _("%(template)s from %(contact)s") % {"template": template, "contact": self.contact.name}
        if self.salesperson_id:
            return _("%(template)s by %(salesperson)s") % {"template": template, "salesperson": self.salesperson.name}
        return template


class PostponedInteraction(InteractionLogEntry):
    """Postponed interactions (saved for later, not yet in the log), for the Django admin,
    whose log entry list leaves them out as the log does."""

    class Meta:
        proxy = True
        verbose_name = _("postponed interaction")
        verbose_name_plural = _("postponed interactions")


class InteractionComment(models.Model):
    entry = models.ForeignKey(
        InteractionLogEntry, verbose_name=_("interaction log entry"), on_delete=models.CASCADE, related_name="comments"
    )
    date = models.DateField(_("date"), default=timezone.localdate)
    text = models.CharField(_("comment"), max_length=500)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("interaction comment")
        verbose_name_plural = _("interaction comments")
        ordering = ["entry", "created_at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="comment_text_not_blank")]

    def __str__(self):
        return self.text
