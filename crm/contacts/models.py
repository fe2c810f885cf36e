"""Master data that documents and interactions both use: contacts, salespeople, campaigns."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.urls import reverse
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


class NumberSeries(models.Model):
    """Number series (the original's "No. Series"): CT000001, CP0001, SM00001, ...

    Numbers are drawn under a row lock so that two users never get the same one.
    """

    code = models.CharField(_("code"), max_length=20, primary_key=True)
    prefix = models.CharField(_("prefix"), max_length=10)
    width = models.PositiveSmallIntegerField(_("digits"), default=6)
    last_number = models.PositiveBigIntegerField(_("last number used"), default=0)

    class Meta:
        verbose_name = _("number series")
        verbose_name_plural = _("number series")

    def __str__(self):
        return self.code

    @classmethod
    def draw(cls, code: str, *, prefix: str, width: int = 6, count: int = 1) -> list[str]:
        """Reserve `count` consecutive numbers of series `code` and return them."""
        if count < 1:
            return []
        with transaction.atomic():
            series, _created = cls.objects.select_for_update().get_or_create(
                code=code, defaults={"prefix": prefix, "width": width}
            )
            first = series.last_number + 1
            series.last_number += count
            series.save(update_fields=["last_number"])
        return [f"{series.prefix}{n:0{series.width}d}" for n in range(first, first + count)]

    @classmethod
    def next(cls, code: str, *, prefix: str, width: int = 6) -> str:
        return cls.draw(code, prefix=prefix, width=width)[0]


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


class Campaign(models.Model):
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

    def save(self, *args, **kwargs):
        if not self.number:
            self.number = NumberSeries.next("CAMPAIGN", prefix="CP", width=4)
        super().save(*args, **kwargs)


class Contact(models.Model):
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
        indexes = [models.Index(fields=["name"], name="contact_name_idx")]
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

    def save(self, *args, **kwargs):
        if not self.number:
            self.number = NumberSeries.next("CONTACT", prefix="CT", width=6)
        super().save(*args, **kwargs)
