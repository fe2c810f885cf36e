"""Summary tables of the interaction log: the figures the statistics pages show, kept exact
by the services that change what is counted (services/summaries.py), so that a page reads a
few summary rows instead of aggregating the whole log.

The figures sum counted entries only: neither canceled nor postponed (as
`selectors.statistics.counted_entries`). The day summary also counts the canceled entries
(`canceled`, whether postponed or not: exactly those a purge deletes,
`selectors.purge.canceled_entries`), so that the purge page's count reads it rather than the
log. A row may fall back to zero (its entries canceled, or purged) and stays; the readers
treat it as absent.

The references carry no database FOREIGN KEY constraint (the log's rows hold those) and go
with the row they refer to (Django's on_delete): a template, salesperson, campaign or contact
can only be deleted once no entry refers to it, and then its rows here count nothing."""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from crm.contacts.models import Campaign, Contact, Salesperson

from .templates import InteractionGroup, InteractionTemplate


def _reference(model, verbose_name, **options):
    return models.ForeignKey(
        model,
        verbose_name=verbose_name,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="+",
        **options,
    )


class InteractionDaySummary(models.Model):
    """Counted entries per day, template, group, salesperson and campaign (each may be
    none), and the canceled entries awaiting the purge (`canceled`). The unique index
    treats "none" as a value (COALESCE to 0), so that the services' upserts (`INSERT ...
    ON CONFLICT DO UPDATE`) find the row on PostgreSQL and SQLite."""

    date = models.DateField(_("date"))
    template = _reference(InteractionTemplate, _("interaction template"), null=True)
    group = _reference(InteractionGroup, _("interaction group"), null=True)
    salesperson = _reference(Salesperson, _("salesperson"), null=True)
    campaign = _reference(Campaign, _("campaign"), null=True)
    count = models.BigIntegerField(_("number of interactions"), default=0)
    cost = models.DecimalField(_("cost"), max_digits=16, decimal_places=2, default=0)
    duration = models.BigIntegerField(_("duration (min.)"), default=0)
    campaign_targets = models.BigIntegerField(_("campaign targets"), default=0)
    campaign_responses = models.BigIntegerField(_("campaign responses"), default=0)
    # A default in the database too: the upserts of counted entries leave the column out.
    canceled = models.BigIntegerField(_("canceled interactions"), default=0, db_default=0)

    class Meta:
        verbose_name = _("interaction day summary")
        verbose_name_plural = _("interaction day summaries")
        constraints = [
            models.UniqueConstraint(
                "date",
                Coalesce("template", 0),
                Coalesce("group", 0),
                Coalesce("salesperson", 0),
                Coalesce("campaign", 0),
                name="summary_day_key",
            )
        ]
        indexes = [
            models.Index(fields=["template", "date"], name="summary_day_template_idx"),
            models.Index(fields=["campaign"], name="summary_day_campaign_idx", condition=Q(campaign__isnull=False)),
        ]

    def __str__(self):
        return f"{self.date} {self.count}"


class MonthSummary(models.Model):
    """Counted entries of one contact (or company) in one month."""

    month = models.DateField(_("month"))  # its first day
    month_end = models.DateField(_("end of month"))  # its last day
    count = models.BigIntegerField(_("number of interactions"), default=0)
    cost = models.DecimalField(_("cost"), max_digits=16, decimal_places=2, default=0)
    duration = models.BigIntegerField(_("duration (min.)"), default=0)
    # As the contact card's statistics: the last entry whose attempt did not fail, and the
    # last one initiated by us.
    last_interaction_date = models.DateField(_("last interaction date"), null=True)
    last_attempted_date = models.DateField(_("last attempted date"), null=True)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.month:%Y-%m} {self.count}"


# The month summaries' key is their primary key: no surrogate id, whose index every new row
# would also write (logging a 100,000-line segment upserts a row per contact).


class ContactMonthSummary(MonthSummary):
    """A contact's own counted entries per month (a person's card)."""

    pk = models.CompositePrimaryKey("contact", "month")
    contact = _reference(Contact, _("contact"))

    class Meta:
        verbose_name = _("contact month summary")
        verbose_name_plural = _("contact month summaries")


class CompanyMonthSummary(MonthSummary):
    """The counted entries of a company and its persons per month (by the entry's company,
    as a company's card counts them)."""

    pk = models.CompositePrimaryKey("company", "month")
    company = _reference(Contact, _("company"))

    class Meta:
        verbose_name = _("company month summary")
        verbose_name_plural = _("company month summaries")
