"""Business documents: customers and vendors, sales, purchase and service documents with
their lines, archived versions, and the history of the numbers that documents have carried.

A document's number may be used again once the document is deleted (a user may type any
free number), so a document is identified for good by kind, number and *occurrence*: how
many documents of that kind have carried the number, this one included. Interaction log
entries and archived versions keep those three, so they never point at the wrong document.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.contacts.models import Campaign, Contact, Numbered, NumberSeries, Salesperson, Series

from .types import CUSTOMER_KINDS, KIND_INFO, PURCHASE_KINDS, DocumentArea, DocumentKind, print_event

CENT = Decimal("0.01")


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class BusinessPartner(Numbered):
    """What customers and vendors share: a number, an address for the printed document and
    the contact that represents them in relationship management (the original's business
    relation), whom interactions about their documents are recorded for."""

    number = models.CharField(
        _("number"), max_length=20, unique=True, blank=True, help_text=_("Assigned automatically when left empty.")
    )
    name = models.CharField(_("name"), max_length=100)
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The contact whom interactions about this partner's documents are recorded for."),
    )
    salesperson = models.ForeignKey(
        Salesperson, verbose_name=_("salesperson"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    address = models.CharField(_("address"), max_length=100, blank=True)
    post_code = models.CharField(_("post code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    country = models.CharField(_("country/region code"), max_length=2, blank=True)

    class Meta:
        abstract = True
        ordering = ["number"]

    def __str__(self):
        return f"{self.number} {self.name}"


class Customer(BusinessPartner):
    NUMBER_SERIES = Series("CUSTOMER", prefix="C", width=5)

    class Meta(BusinessPartner.Meta):
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [models.CheckConstraint(condition=~Q(name=""), name="customer_name_not_blank")]


class Vendor(BusinessPartner):
    NUMBER_SERIES = Series("VENDOR", prefix="V", width=5)

    class Meta(BusinessPartner.Meta):
        verbose_name = _("vendor")
        verbose_name_plural = _("vendors")
        constraints = [models.CheckConstraint(condition=~Q(name=""), name="vendor_name_not_blank")]


class DocumentNumberUse(models.Model):
    """How many documents of a kind have carried a number. The row outlives the documents:
    it is what makes the next document with a reused number occurrence 2, 3, ..."""

    kind = models.CharField(_("document kind"), max_length=40, choices=DocumentKind.choices)
    number = models.CharField(_("number"), max_length=20)
    occurrences = models.PositiveIntegerField(_("occurrences"), default=0)

    class Meta:
        verbose_name = _("document number use")
        verbose_name_plural = _("document number uses")
        constraints = [models.UniqueConstraint(fields=["kind", "number"], name="document_number_use_unique")]

    def __str__(self):
        return f"{self.kind} {self.number} ×{self.occurrences}"


class Document(Numbered):
    kind = models.CharField(_("kind"), max_length=40, choices=DocumentKind.choices)
    number = models.CharField(
        _("number"), max_length=20, blank=True, help_text=_("Assigned from the kind's number series when left empty.")
    )
    occurrence = models.PositiveIntegerField(
        _("doc. no. occurrence"),
        default=0,
        editable=False,
        help_text=_("How many documents of this kind have carried this number, this one included."),
    )
    date = models.DateField(_("document date"), default=timezone.localdate)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Leave empty to address the customer's or vendor's contact."),
    )
    salesperson = models.ForeignKey(
        Salesperson,
        verbose_name=_("salesperson/purchaser"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    description = models.CharField(_("description"), max_length=100, blank=True)
    currency_code = models.CharField(
        _("currency code"), max_length=3, blank=True, help_text=_("Empty: the local currency.")
    )
    posted = models.BooleanField(
        _("posted"),
        default=False,
        help_text=_("Service orders only: a posted service order prints as such."),
    )
    vat_percent = models.DecimalField(
        _("VAT %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("20.00"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    # Totals are kept with the header, so lists show them without reading any line.
    amount = models.DecimalField(_("amount excl. VAT"), max_digits=14, decimal_places=2, default=0)
    vat_amount = models.DecimalField(_("VAT amount"), max_digits=14, decimal_places=2, default=0)
    amount_including_vat = models.DecimalField(_("amount incl. VAT"), max_digits=14, decimal_places=2, default=0)
    no_printed = models.PositiveIntegerField(_("no. printed"), default=0, editable=False)
    no_of_archived_versions = models.PositiveIntegerField(_("no. of archived versions"), default=0, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-date", "-id"]
        permissions = [("print_document", _("Can print documents"))]
        indexes = [
            # The list's default order and its date filter; the kind and partner filters
            # are served by the indexes below, each ending in the same order.
            models.Index(fields=["-date", "-id"], name="document_date_idx"),
            models.Index(fields=["kind", "-date", "-id"], name="document_kind_date_idx"),
            models.Index(fields=["customer", "-date", "-id"], name="document_customer_date_idx"),
            models.Index(fields=["vendor", "-date", "-id"], name="document_vendor_date_idx"),
        ]
        constraints = [
            # Among existing documents a number is unique per kind; reused numbers differ
            # by occurrence (see DocumentNumberUse).
            models.UniqueConstraint(
                fields=["kind", "number"],
                name="document_number_unique_per_kind",
                violation_error_message=_("A document of this kind with this number already exists."),
            ),
            models.CheckConstraint(condition=Q(kind__in=DocumentKind.values), name="document_kind_valid"),
            models.CheckConstraint(condition=~Q(number=""), name="document_number_not_blank"),
            models.CheckConstraint(condition=Q(occurrence__gte=1), name="document_occurrence_positive"),
            models.CheckConstraint(
                condition=Q(kind__in=PURCHASE_KINDS, vendor__isnull=False, customer__isnull=True)
                | Q(kind__in=CUSTOMER_KINDS, customer__isnull=False, vendor__isnull=True),
                name="document_customer_or_vendor_by_kind",
                violation_error_message=_(
                    "Sales and service documents need a customer, purchase documents a vendor, never both."
                ),
            ),
            models.CheckConstraint(
                condition=Q(posted=False) | Q(kind=DocumentKind.SERVICE_ORDER),
                name="document_only_service_orders_are_posted",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"

    def get_absolute_url(self):
        return reverse("documents:detail", args=[self.pk])

    @property
    def area(self) -> str:
        return KIND_INFO[self.kind].area

    @property
    def is_purchase(self) -> bool:
        return self.area == DocumentArea.PURCHASES

    @property
    def partner(self) -> Customer | Vendor | None:
        """The customer, or for a purchase document the vendor."""
        return self.vendor if self.is_purchase else self.customer

    @property
    def print_event(self) -> str:
        """The DocumentType that printing this document records."""
        return print_event(kind=self.kind, posted=self.posted)

    @property
    def printed_title(self):
        return KIND_INFO[self.kind].printed_title

    @property
    def archived_when_logged(self) -> bool:
        return KIND_INFO[self.kind].archived_when_logged

    def number_series(self) -> Series | None:
        return document_series(self.kind) if self.kind in KIND_INFO else None

    def numbers_in_use(self) -> models.QuerySet:
        return Document.objects.filter(kind=self.kind)

    def clean(self):
        super().clean()
        if self.kind not in KIND_INFO:
            return  # the kind's own field error says it
        errors = {}
        if self.is_purchase:
            if not self.vendor_id:
                errors["vendor"] = _("A purchase document needs a vendor.")
            if self.customer_id:
                errors["customer"] = _("A purchase document has no customer.")
        else:
            if not self.customer_id:
                errors["customer"] = _("A sales or service document needs a customer.")
            if self.vendor_id:
                errors["vendor"] = _("A sales or service document has no vendor.")
        if self.posted and self.kind != DocumentKind.SERVICE_ORDER:
            errors["posted"] = _("Only service orders are marked as posted.")
        partner = None if errors else self.partner
        if self.contact_id and partner is not None:
            # The contact person must belong to the partner's contact, or the interaction
            # would be recorded for someone who has nothing to do with the document.
            partner_contact_id = partner.contact_id
            if partner_contact_id is None:
                errors["contact"] = _("%(partner)s has no contact, so the document cannot have a contact person.") % {
                    "partner": partner
                }
            elif self.contact_id != partner_contact_id and self.contact.company_id != partner_contact_id:
                errors["contact"] = _("The contact person must be %(contact)s or one of its persons.") % {
                    "contact": partner.contact
                }
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if self._state.adding and not self.occurrence:
            with transaction.atomic():
                self.assign_number()
                self.occurrence = self._next_occurrence()
                super().save(*args, **kwargs)
            return
        super().save(*args, **kwargs)

    def _next_occurrence(self) -> int:
        """Count one more use of this kind and number, under a row lock so that two
        documents never get the same occurrence."""
        use, _created = DocumentNumberUse.objects.select_for_update().get_or_create(kind=self.kind, number=self.number)
        use.occurrences += 1
        use.save(update_fields=["occurrences"])
        return use.occurrences

    def recalculate_totals(self, lines) -> None:
        """Set the totals from `lines` (amounts already computed); the caller saves."""
        self.amount = money(sum((line.amount for line in lines), Decimal(0)))
        self.vat_amount = money(self.amount * self.vat_percent / 100)
        self.amount_including_vat = self.amount + self.vat_amount


def document_series(kind: str) -> Series:
    """Each kind has a number series of its own, whose code is the kind's number prefix."""
    prefix = KIND_INFO[kind].number_prefix
    return Series(prefix, prefix=prefix, width=5)


def next_free_number(kind: str) -> str:
    """The next number of the kind's series that no document of the kind carries (a user
    may have typed a number of the series by hand)."""
    return NumberSeries.next_free(document_series(kind), taken=Document.objects.filter(kind=kind))


class DocumentLine(models.Model):
    document = models.ForeignKey(Document, verbose_name=_("document"), on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField(_("line no."))
    description = models.CharField(_("description"), max_length=100)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2, default=1)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2, default=0)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=0, editable=False)

    class Meta:
        verbose_name = _("document line")
        verbose_name_plural = _("document lines")
        ordering = ["document", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["document", "line_no"], name="document_line_no_unique"),
            models.CheckConstraint(condition=~Q(description=""), name="document_line_description_not_blank"),
        ]

    def __str__(self):
        return f"{self.line_no} {self.description}"

    def compute_amount(self) -> Decimal:
        self.amount = money(Decimal(self.quantity) * Decimal(self.unit_price))
        return self.amount

    def save(self, *args, **kwargs):
        self.compute_amount()
        super().save(*args, **kwargs)


class DocumentVersion(models.Model):
    """An archived copy of a document: header, lines and totals as they were, kept as a
    snapshot so that the version outlives the document (a log entry can still show what
    was sent)."""

    document = models.ForeignKey(
        Document,
        verbose_name=_("document"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="versions",
        help_text=_("Empty once the document has been deleted."),
    )
    kind = models.CharField(_("document kind"), max_length=40, choices=DocumentKind.choices)
    number = models.CharField(_("document no."), max_length=20)
    occurrence = models.PositiveIntegerField(_("doc. no. occurrence"))
    version_no = models.PositiveIntegerField(_("version no."))
    archived_at = models.DateTimeField(_("archived"), default=timezone.now)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("archived by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Archived automatically by a print with "Log interaction" (the original's "interaction
    # exists"): such a version exists for its log entry and goes when the entry is purged.
    archived_when_printed = models.BooleanField(_("archived when printed"), default=False)
    snapshot = models.JSONField(_("snapshot"))

    class Meta:
        verbose_name = _("archived document version")
        verbose_name_plural = _("archived document versions")
        ordering = ["kind", "number", "occurrence", "version_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "number", "occurrence", "version_no"], name="document_version_unique"
            ),
            models.CheckConstraint(condition=Q(version_no__gte=1), name="document_version_no_positive"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number} ({self.version_no})"

    def get_absolute_url(self):
        return reverse("documents:version", args=[self.pk])
