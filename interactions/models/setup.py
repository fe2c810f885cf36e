"""Interaction template setup: which template records which automatic event."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from crm.documents.types import KIND_INFO, DocumentType

from .templates import InteractionTemplate, InteractionTemplateLanguage

# (section, [(field name, caption)]) in the order of the setup page. A document event's
# field name is its DocumentType value, so a printed document finds its setting by type.
SETUP_SECTIONS = [
    (
        _("General"),
        [
            ("emails", _("E-mails")),
            ("email_drafts", _("E-mail drafts")),
            (DocumentType.COVER_SHEET.value, _("Cover sheets")),
            ("outgoing_calls", _("Outgoing calls")),
            ("meeting_invitations", _("Meeting invitations")),
        ],
    ),
    (
        _("Sales"),
        [
            (DocumentType.SALES_QUOTE.value, _("Quotes")),
            (DocumentType.SALES_BLANKET_ORDER.value, _("Blanket orders")),
            (DocumentType.SALES_ORDER_CONFIRMATION.value, _("Order confirmations")),
            (DocumentType.SALES_DRAFT_INVOICE.value, _("Draft invoices")),
            (DocumentType.SALES_INVOICE.value, _("Invoices")),
            (DocumentType.SALES_CREDIT_MEMO.value, _("Credit memos")),
            (DocumentType.SALES_SHIPMENT_NOTE.value, _("Shipment notes")),
            (DocumentType.SALES_STATEMENT.value, _("Statements")),
            (DocumentType.SALES_REMINDER.value, _("Reminders")),
            (DocumentType.SALES_FINANCE_CHARGE_MEMO.value, _("Finance charge memos")),
            (DocumentType.SALES_RETURN_ORDER.value, _("Return orders")),
            (DocumentType.SALES_RETURN_RECEIPT.value, _("Return receipts")),
        ],
    ),
    (
        _("Purchases"),
        [
            (DocumentType.PURCHASE_QUOTE.value, _("Quotes")),
            (DocumentType.PURCHASE_BLANKET_ORDER.value, _("Blanket orders")),
            (DocumentType.PURCHASE_ORDER.value, _("Orders")),
            (DocumentType.PURCHASE_INVOICE.value, _("Invoices")),
            (DocumentType.PURCHASE_CREDIT_MEMO.value, _("Credit memos")),
            (DocumentType.PURCHASE_RECEIPT.value, _("Receipts")),
            (DocumentType.PURCHASE_RETURN_SHIPMENT.value, _("Return shipments")),
            (DocumentType.PURCHASE_RETURN_ORDER_CONFIRMATION.value, _("Return order confirmations")),
        ],
    ),
    (
        _("Service"),
        [
            (DocumentType.SERVICE_ORDER_CREATED.value, _("Service order created")),
            (DocumentType.SERVICE_ORDER_POSTED.value, _("Service order posted")),
            (DocumentType.SERVICE_CONTRACT.value, _("Service contracts")),
            (DocumentType.SERVICE_CONTRACT_QUOTE.value, _("Service contract quotes")),
            (DocumentType.SERVICE_QUOTE.value, _("Service quotes")),
        ],
    ),
]
SETUP_EVENTS = [name for _section, events in SETUP_SECTIONS for name, _caption in events]

# What records with each event's template: the setup page and the admin show it under the
# event. Every event has something in the code that records with it (a test holds each one
# to it, tests/test_setup_events.py): an event nothing records with does not belong here.
_NON_DOCUMENT_USES = {
    "emails": _(
        "E-mails sent from the e-mail page (“Send e-mail” on a contact's card, “Send by e-mail” on an "
        "interaction), attachments resent from an interaction (“Resend”), and drafts when they are sent."
    ),
    "email_drafts": _(
        "E-mails saved as drafts on the e-mail page (“Save draft”); the entry keeps the draft until it is sent."
    ),
    DocumentType.COVER_SHEET.value: _(
        "Cover sheets printed from a contact's card or from a segment line (“Print cover sheet”)."
    ),
    "outgoing_calls": _("Phone calls made from a contact's card or a segment line (“Make phone call”)."),
    "meeting_invitations": _(
        "Meeting invitations sent from a contact's card (“Invite to meeting”), one entry per attendee."
    ),
}
_PRINTED_WITH_LOGGING = _("Documents printed as “{document}” with “Log interaction” checked.")
_DOCUMENT_USES = {
    DocumentType.SERVICE_ORDER_CREATED.value: _(
        "Service orders printed before they are posted, with “Log interaction” checked."
    ),
    DocumentType.SERVICE_ORDER_POSTED.value: _("Posted service orders printed with “Log interaction” checked."),
}
for _kind, _info in KIND_INFO.items():
    _DOCUMENT_USES.setdefault(str(_info.print_event), format_lazy(_PRINTED_WITH_LOGGING, document=_info.printed_title))


def event_use(event: str):
    """What records with `event`'s template, in words for the setup page and the admin."""
    return _NON_DOCUMENT_USES.get(event) or _DOCUMENT_USES[event]


def _event_field(name, caption):
    return models.ForeignKey(
        InteractionTemplate,
        verbose_name=caption,
        help_text=event_use(name),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )


class InteractionTemplateSetupBase(models.Model):
    class Meta:
        abstract = True


for _section, _events in SETUP_SECTIONS:
    for _name, _caption in _events:
        InteractionTemplateSetupBase.add_to_class(_name, _event_field(_name, _caption))


class InteractionTemplateSetup(InteractionTemplateSetupBase):
    """One row (id 1): one setting per automatic event; empty means "do not record"."""

    SINGLETON_ID = 1

    class Meta:
        verbose_name = _("interaction template setup")
        verbose_name_plural = _("interaction template setup")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="interaction_template_setup_single_row")]

    def __str__(self):
        return str(_("Interaction template setup"))

    @classmethod
    def load(cls) -> "InteractionTemplateSetup":
        setup, _created = cls.objects.get_or_create(id=cls.SINGLETON_ID)
        return setup

    @classmethod
    def template_for(cls, event: str) -> InteractionTemplate | None:
        """The template that records `event` (a SETUP_EVENTS name), or None."""
        if event not in SETUP_EVENTS:
            raise ValueError(f"unknown interaction template setup event {event!r}")
        template_id = cls.objects.filter(id=cls.SINGLETON_ID).values_list(f"{event}_id", flat=True).first()
        return InteractionTemplate.objects.select_related("group").filter(id=template_id).first()

    @classmethod
    def events_using(cls, template_id) -> list[str]:
        condition = Q()
        for event in SETUP_EVENTS:
            condition |= Q(**{f"{event}_id": template_id})
        row = cls.objects.filter(condition, id=cls.SINGLETON_ID).values(*[f"{e}_id" for e in SETUP_EVENTS]).first()
        if not row:
            return []
        return [event for event in SETUP_EVENTS if row[f"{event}_id"] == template_id]

    def clean(self):
        super().clean()
        chosen = {event: getattr(self, f"{event}_id") for event in SETUP_EVENTS if getattr(self, f"{event}_id")}
        with_languages = set(
            InteractionTemplate.objects.filter(id__in=set(chosen.values()), languages__isnull=False).values_list(
                "id", flat=True
            )
        )
        errors = {}
        for event, template_id in chosen.items():
            if template_id in with_languages:
                template = getattr(self, event)
                errors[event] = ValidationError(
                    _(
                        "Template %(template)s has language rows (attachments), so it cannot record "
                        "automatic interactions. Choose a template without languages, or remove its languages."
                    ),
                    params={"template": template.code},
                    code="template_with_languages",
                )
        if errors:
            raise ValidationError(errors)


def refuse_language_rows_of_setup_templates(row: InteractionTemplateLanguage) -> None:
    """The other half of the rule of InteractionTemplateSetup.clean: a template that records
    automatic interactions cannot get language rows."""
    if row.template_id and InteractionTemplateSetup.events_using(row.template_id):
        raise ValidationError(
            _(
                "Template %(template)s records automatic interactions in the template setup "
                "and so cannot have language rows."
            ),
            params={"template": row.template.code},
            code="template_used_in_setup",
        )


InteractionTemplateLanguage.external_rules.append(refuse_language_rows_of_setup_templates)
