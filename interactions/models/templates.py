"""Interaction groups and templates, set up by an administrator."""

from collections.abc import Callable
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.contacts.models import Campaign, CorrespondenceType, Language

from .attachments import Attachment
from .choices import InformationFlow, InitiatedBy, WizardAction


class InteractionGroup(models.Model):
    code = models.CharField(_("code"), max_length=10, unique=True)
    description = models.CharField(_("description"), max_length=100)

    class Meta:
        verbose_name = _("interaction group")
        verbose_name_plural = _("interaction groups")
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=~Q(code=""), name="interaction_group_code_not_blank")]

    def __str__(self):
        return f"{self.code} {self.description}"


class InteractionTemplate(models.Model):
    code = models.CharField(_("code"), max_length=10, unique=True)
    group = models.ForeignKey(
        InteractionGroup,
        verbose_name=_("interaction group"),
        on_delete=models.PROTECT,
        related_name="templates",
    )
    description = models.CharField(_("description"), max_length=100)
    unit_cost = models.DecimalField(
        _("unit cost"), max_digits=12, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    unit_duration = models.PositiveIntegerField(_("unit duration (min.)"), default=0)
    information_flow = models.CharField(
        _("information flow"), max_length=10, choices=InformationFlow.choices, blank=True
    )
    initiated_by = models.CharField(_("initiated by"), max_length=10, choices=InitiatedBy.choices, blank=True)
    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, null=True, blank=True)
    campaign_target = models.BooleanField(_("campaign target"), default=False)
    campaign_response = models.BooleanField(_("campaign response"), default=False)
    correspondence_type = models.CharField(
        _("correspondence type (default)"), max_length=10, choices=CorrespondenceType.choices, blank=True
    )
    ignore_contact_correspondence_type = models.BooleanField(_("ignore contact's correspondence type"), default=False)
    language_default = models.CharField(
        _("language (default)"),
        max_length=10,
        choices=Language.choices,
        blank=True,
        help_text=_("The template must have a language row for its default language."),
    )
    wizard_action = models.CharField(_("wizard action"), max_length=10, choices=WizardAction.choices, blank=True)

    class Meta:
        verbose_name = _("interaction template")
        verbose_name_plural = _("interaction templates")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=~Q(code=""), name="interaction_template_code_not_blank"),
            models.CheckConstraint(
                condition=Q(unit_cost__gte=0),
                name="interaction_template_unit_cost_not_negative",
                violation_error_message=_("The unit cost cannot be negative."),
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.description}"

    def language_row(self, language_code: str):
        """The language row for `language_code`, else the default language's, else None."""
        rows = {row.language: row for row in self.languages.all()}
        return rows.get(language_code) or rows.get(self.language_default)

    def check_default_language(self, language_codes) -> None:
        """The rule "the default language must have a row", given the template's row codes."""
        if self.language_default and self.language_default not in set(language_codes):
            raise ValidationError(
                _("The default language %(language)s has no language row: add one, or clear the default."),
                params={"language": self.get_language_default_display()},
                code="default_language_without_row",
            )


class InteractionTemplateLanguage(models.Model):
    """A language of a template, with its description and attachment (a file, or for
    "merge" a body with placeholders filled from the contact and the salesperson)."""

    template = models.ForeignKey(
        InteractionTemplate, verbose_name=_("interaction template"), on_delete=models.CASCADE, related_name="languages"
    )
    language = models.CharField(_("language"), max_length=10, choices=Language.choices)
    description = models.CharField(_("description"), max_length=100, blank=True)
    attachment = models.ForeignKey(
        Attachment,
        verbose_name=_("attachment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="template_languages",
    )
    merge_body = models.TextField(
        _("merge body"),
        blank=True,
        help_text=_(
            "For the merge wizard action: text with placeholders such as {contact.name} or {salesperson.name}."
        ),
    )

    class Meta:
        verbose_name = _("interaction template language")
        verbose_name_plural = _("interaction template languages")
        ordering = ["template", "language"]
        constraints = [
            models.UniqueConstraint(fields=["template", "language"], name="one_row_per_template_language"),
            models.CheckConstraint(condition=~Q(language=""), name="template_language_not_blank"),
        ]

    # Rules about language rows that other models own, each a callable (row) -> None that
    # raises ValidationError. They register here themselves (models/setup.py: a template
    # that records automatic events has no language rows), as they refer to templates and
    # templates do not refer to them.
    external_rules: ClassVar[list[Callable[["InteractionTemplateLanguage"], None]]] = []

    def __str__(self):
        return f"{self.template.code} {self.language}"

    def clean(self):
        super().clean()
        for rule in self.external_rules:
            rule(self)
