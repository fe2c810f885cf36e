"""Master data that documents and interactions both use: contacts, salespeople, campaigns,
and the number series that every automatic number comes from."""

import dataclasses

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import StrIndex, Substr, Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    """Languages of contacts, interaction templates and their attachments (ISO 639-1)."""

    ENGLISH = "en", _("English")
    RUSSIAN = "ru", _("Russian")
    GERMAN = "de", _("German")
    FRENCH = "fr", _("French")
    SPANISH = "es", _("Spanish")
    ITALIAN = "it", _("Italian")
    DUTCH = "nl", _("Dutch")
    DANISH = "da", _("Danish")
    SWEDISH = "sv", _("Swedish")
    FINNISH = "fi", _("Finnish")
    POLISH = "pl", _("Polish")
    CZECH = "cs", _("Czech")
    UKRAINIAN = "uk", _("Ukrainian")
    CHINESE = "zh", _("Chinese")


class CorrespondenceType(models.TextChoices):
    BLANK = "", _("(none)")
    HARD_COPY = "hard_copy", _("Hard copy")
    EMAIL = "email", _("E-mail")
    FAX = "fax", _("Fax")


@dataclasses.dataclass(frozen=True)
class Series:
    """The number series a model numbers its rows from: its code and, for when the series is
    drawn from the first time, its prefix and digits (an administrator may change both)."""

    code: str
    prefix: str
    width: int = 6


class NumberSeriesExhausted(ValidationError):
    """The next number of a series does not fit the field it is for."""


class NumberSeries(models.Model):
    """Number series (the original's "No. Series"): CT000001, CP0001, SM00001, C00001, ...

    Every automatic number of the project comes from `next_free`: the series is drawn under
    a row lock, so that two sessions never get the same number, and a number a user typed
    by hand is skipped, never given a second time. Numbers past the series' digits grow
    (CT999999, CT1000000) as long as they fit the field.
    """

    # Candidates checked at once against the numbers in use: one query skips this many
    # numbers typed by hand.
    CANDIDATES_PER_QUERY = 50

    code = models.CharField(_("code"), max_length=20, primary_key=True)
    prefix = models.CharField(_("prefix"), max_length=10)
    width = models.PositiveSmallIntegerField(_("digits"), default=6)
    last_number = models.PositiveBigIntegerField(_("last number used"), default=0)

    class Meta:
        verbose_name = _("number series")
        verbose_name_plural = _("number series")

    def __str__(self):
        return self.code

    def format(self, number: int) -> str:
        return f"{self.prefix}{number:0{self.width}d}"

    @classmethod
    def next_free(cls, series: Series, *, taken: models.QuerySet, field: str = "number") -> str:
        """The next number of `series` that no row of `taken` carries in `field`; the series
        remembers it as its last number. Raises NumberSeriesExhausted when the next free
        number would not fit the field. Call it in the transaction that saves the row: the
        series stays locked until that transaction ends."""
        max_length = taken.model._meta.get_field(field).max_length
        with transaction.atomic():
            row, _created = cls.objects.select_for_update().get_or_create(
                code=series.code, defaults={"prefix": series.prefix, "width": series.width}
            )
            last = row.last_number
            while True:
                candidates = [row.format(number) for number in range(last + 1, last + 1 + cls.CANDIDATES_PER_QUERY)]
                fitting = [number for number in candidates if max_length is None or len(number) <= max_length]
                in_use = set(taken.filter(**{f"{field}__in": fitting}).values_list(field, flat=True))
                free = next((index for index, number in enumerate(fitting) if number not in in_use), None)
                if free is not None:
                    row.last_number = last + 1 + free
                    row.save(update_fields=["last_number"])
                    return fitting[free]
                if len(fitting) < len(candidates):
                    raise row._exhausted(candidates[len(fitting)], max_length)
                last += len(candidates)

    @classmethod
    def check_room(cls, series: Series, *, max_length: int | None) -> None:
        """Raise NumberSeriesExhausted when not even the series' next number fits a field of
        `max_length` characters: forms say so before anything is saved."""
        row = cls.objects.filter(code=series.code).first() or cls(
            code=series.code, prefix=series.prefix, width=series.width
        )
        number = row.format(row.last_number + 1)
        if max_length is not None and len(number) > max_length:
            raise row._exhausted(number, max_length)

    def _exhausted(self, number: str, max_length: int) -> NumberSeriesExhausted:
        return NumberSeriesExhausted(
            _(
                "Number series %(code)s has no number left: the next one, %(number)s, is longer than the "
                "%(max_length)d characters a number may have. Give the series a shorter prefix."
            ),
            params={"code": self.code, "number": number, "max_length": max_length},
            code="number_series_exhausted",
        )


class Numbered(models.Model):
    """A model whose `number`, left empty, is given on save by its number series
    (`number_series`); a number typed by hand is kept (the series skips it later)."""

    NUMBER_SERIES: Series | None = None

    class Meta:
        abstract = True

    def number_series(self) -> Series | None:
        return self.NUMBER_SERIES

    def numbers_in_use(self) -> models.QuerySet:
        """The rows among which a number must be free: the series skips their numbers."""
        return type(self)._default_manager.all()

    def assign_number(self) -> str:
        """Give the row the next free number of its series, unless it has one."""
        series = self.number_series()
        if not self.number and series is not None:
            self.number = NumberSeries.next_free(series, taken=self.numbers_in_use())
        return self.number

    def clean(self):
        super().clean()
        series = self.number_series()
        if not self.number and series is not None:
            NumberSeries.check_room(series, max_length=self._meta.get_field("number").max_length)

    def save(self, *args, **kwargs):
        if self.number:
            super().save(*args, **kwargs)
            return
        # The number is drawn, and the series stays locked, until the row is saved.
        with transaction.atomic():
            self.assign_number()
            super().save(*args, **kwargs)


class Salesperson(models.Model):
    """A salesperson or purchaser. A user's salesperson is the default on what the user records."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="salesperson",
    )

    class Meta:
        verbose_name = _("salesperson")
        verbose_name_plural = _("salespeople")
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=~Q(code=""), name="salesperson_code_not_blank")]

    def __str__(self):
        return f"{self.code} {self.name}"


class Campaign(Numbered):
    NUMBER_SERIES = Series("CAMPAIGN", prefix="CP", width=4)

    number = models.CharField(_("number"), max_length=20, unique=True, blank=True)
    description = models.CharField(_("description"), max_length=100)
    starting_date = models.DateField(_("starting date"), null=True, blank=True)
    ending_date = models.DateField(_("ending date"), null=True, blank=True)
    salesperson = models.ForeignKey(
        Salesperson, verbose_name=_("salesperson"), on_delete=models.PROTECT, null=True, blank=True
    )

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starting_date__isnull=True)
                | Q(ending_date__isnull=True)
                | Q(ending_date__gte=F("starting_date")),
                name="campaign_ends_after_it_starts",
                violation_error_message=_("The ending date cannot be before the starting date."),
            )
        ]

    def __str__(self):
        return f"{self.number} {self.description}"

    def get_absolute_url(self):
        return reverse("contacts:campaign-detail", args=[self.number])

    @property
    def status(self) -> str:
        """Planned, active or ended, by its dates and today's (the original has a status
        code chosen by hand; here the dates say it)."""
        today = timezone.localdate()
        if self.starting_date and today < self.starting_date:
            return str(_("Planned"))
        if self.ending_date and today > self.ending_date:
            return str(_("Ended"))
        return str(_("Active"))


def email_key():
    """The expression e-mails are looked up by, case-insensitively: UPPER(email). Indexed
    (contact_email_upper_idx), so that a lookup of many addresses at once (captured mail,
    imports) is an index scan on PostgreSQL: use this very expression in `__in` lookups."""
    return Upper("email")


def email_domain_key():
    """The domain of an e-mail in capitals, the part after its first "@": the expression
    companies are found by the domain of their e-mails (contact_email_domain_idx)."""
    return Substr(Upper("email"), StrIndex(Upper("email"), Value("@")) + 1)


class Contact(Numbered):
    NUMBER_SERIES = Series("CONTACT", prefix="CT", width=6)

    class Type(models.TextChoices):
        COMPANY = "company", _("Company")
        PERSON = "person", _("Person")

    number = models.CharField(
        _("number"), max_length=20, unique=True, blank=True, help_text=_("Assigned automatically when left empty.")
    )
    type = models.CharField(_("type"), max_length=10, choices=Type.choices, default=Type.COMPANY)
    company = models.ForeignKey(
        "self",
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="persons",
        limit_choices_to={"type": "company"},
    )
    name = models.CharField(_("name"), max_length=100)
    job_title = models.CharField(_("job title"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=100, blank=True)
    address_2 = models.CharField(_("address 2"), max_length=100, blank=True)
    post_code = models.CharField(_("post code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True, db_index=True)
    country = models.CharField(_("country/region code"), max_length=2, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    mobile = models.CharField(_("mobile phone"), max_length=30, blank=True)
    fax = models.CharField(_("fax"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, blank=True)
    salesperson = models.ForeignKey(
        Salesperson,
        verbose_name=_("salesperson"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contacts",
    )
    correspondence_type = models.CharField(
        _("correspondence type"), max_length=10, choices=CorrespondenceType.choices, blank=True
    )
    exclude_from_segments = models.BooleanField(_("exclude from segments"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    modified_at = models.DateTimeField(_("modified"), auto_now=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["number"]
        indexes = [
            models.Index(fields=["name"], name="contact_name_idx"),
            models.Index(email_key(), name="contact_email_upper_idx"),
            models.Index(email_domain_key(), name="contact_email_domain_idx"),
        ]
        constraints = [
            # A company never belongs to a company; that a person's company *is* a company
            # spans two rows and is kept by a database trigger (migration 0002).
            models.CheckConstraint(
                condition=Q(type="person") | Q(company__isnull=True),
                name="contact_company_has_no_company",
                violation_error_message=_("A company cannot belong to another company."),
            ),
            models.CheckConstraint(condition=Q(type__in=["company", "person"]), name="contact_type_valid"),
            models.CheckConstraint(condition=~Q(name=""), name="contact_name_not_blank"),
        ]

    def __str__(self):
        return f"{self.number} {self.name}"

    def get_absolute_url(self):
        return reverse("contacts:detail", args=[self.number])

    @property
    def is_company(self) -> bool:
        return self.type == self.Type.COMPANY

    @property
    def company_or_self_id(self):
        """The contact's company for statistics and the log's "contact company" column."""
        return self.id if self.is_company else self.company_id

    def clean(self):
        super().clean()
        if self.company_id:
            if self.type == self.Type.COMPANY:
                raise ValidationError({"company": _("A company cannot belong to another company.")})
            if self.company.type != self.Type.COMPANY:
                raise ValidationError({"company": _("A person's company must be a contact of type company.")})
        if self.pk and self.type == self.Type.PERSON and Contact.objects.filter(company_id=self.pk).exists():
            raise ValidationError({"type": _("This company has persons; it cannot become a person.")})

    @staticmethod
    def normalize_number(number: str | None) -> str:
        """A contact number as it is stored, and as what a user types is looked up: without
        surrounding spaces, in capitals (as the original's code fields)."""
        return str(number or "").strip().upper()

    def save(self, *args, **kwargs):
        self.number = self.normalize_number(self.number)
        super().save(*args, **kwargs)
