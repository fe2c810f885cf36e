"""Kinds of business documents that can be printed, and so logged as interactions.

The host app owns these lists. `DocumentType` is what a print records (the log entry's
document type; the interactions module has one template setup event per value);
`DocumentKind` is what a document is, and `KIND_INFO` says, per kind, which
`DocumentType` printing it records.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DocumentType(models.TextChoices):
    BLANK = "", _("(none)")
    SALES_QUOTE = "sales_quote", _("Sales quote")
    SALES_BLANKET_ORDER = "sales_blanket_order", _("Sales blanket order")
    SALES_ORDER_CONFIRMATION = "sales_order_confirmation", _("Sales order confirmation")
    SALES_DRAFT_INVOICE = "sales_draft_invoice", _("Sales draft invoice")
    SALES_INVOICE = "sales_invoice", _("Sales invoice")
    SALES_CREDIT_MEMO = "sales_credit_memo", _("Sales credit memo")
    SALES_SHIPMENT_NOTE = "sales_shipment_note", _("Sales shipment note")
    SALES_STATEMENT = "sales_statement", _("Sales statement")
    SALES_REMINDER = "sales_reminder", _("Sales reminder")
    SALES_FINANCE_CHARGE_MEMO = "sales_finance_charge_memo", _("Sales finance charge memo")
    SALES_RETURN_ORDER = "sales_return_order", _("Sales return order")
    SALES_RETURN_RECEIPT = "sales_return_receipt", _("Sales return receipt")
    PURCHASE_QUOTE = "purchase_quote", _("Purchase quote")
    PURCHASE_BLANKET_ORDER = "purchase_blanket_order", _("Purchase blanket order")
    PURCHASE_ORDER = "purchase_order", _("Purchase order")
    PURCHASE_INVOICE = "purchase_invoice", _("Purchase invoice")
    PURCHASE_CREDIT_MEMO = "purchase_credit_memo", _("Purchase credit memo")
    PURCHASE_RECEIPT = "purchase_receipt", _("Purchase receipt")
    PURCHASE_RETURN_SHIPMENT = "purchase_return_shipment", _("Purchase return shipment")
    PURCHASE_RETURN_ORDER_CONFIRMATION = "purchase_return_order_confirmation", _("Purchase return order confirmation")
    SERVICE_ORDER_CREATED = "service_order_created", _("Service order (created)")
    SERVICE_ORDER_POSTED = "service_order_posted", _("Service order (posted)")
    SERVICE_CONTRACT = "service_contract", _("Service contract")
    SERVICE_CONTRACT_QUOTE = "service_contract_quote", _("Service contract quote")
    SERVICE_QUOTE = "service_quote", _("Service quote")
    COVER_SHEET = "cover_sheet", _("Cover sheet")


class DocumentArea(models.TextChoices):
    """Sales and service documents are made out to a customer, purchase documents to a vendor."""

    SALES = "sales", _("Sales")
    PURCHASES = "purchases", _("Purchases")
    SERVICE = "service", _("Service")


class DocumentKind(models.TextChoices):
    """What a business document is. Printing one records the DocumentType given by
    `print_event` (a sales order prints as an order confirmation, a service order as
    "created" or, once posted, "posted")."""

    SALES_QUOTE = "sales_quote", _("Sales quote")
    SALES_BLANKET_ORDER = "sales_blanket_order", _("Sales blanket order")
    SALES_ORDER = "sales_order", _("Sales order")
    SALES_DRAFT_INVOICE = "sales_draft_invoice", _("Sales draft invoice")
    SALES_INVOICE = "sales_invoice", _("Sales invoice")
    SALES_CREDIT_MEMO = "sales_credit_memo", _("Sales credit memo")
    SALES_SHIPMENT = "sales_shipment", _("Sales shipment")
    SALES_STATEMENT = "sales_statement", _("Customer statement")
    SALES_REMINDER = "sales_reminder", _("Reminder")
    SALES_FINANCE_CHARGE_MEMO = "sales_finance_charge_memo", _("Finance charge memo")
    SALES_RETURN_ORDER = "sales_return_order", _("Sales return order")
    SALES_RETURN_RECEIPT = "sales_return_receipt", _("Sales return receipt")
    PURCHASE_QUOTE = "purchase_quote", _("Purchase quote")
    PURCHASE_BLANKET_ORDER = "purchase_blanket_order", _("Purchase blanket order")
    PURCHASE_ORDER = "purchase_order", _("Purchase order")
    PURCHASE_INVOICE = "purchase_invoice", _("Purchase invoice")
    PURCHASE_CREDIT_MEMO = "purchase_credit_memo", _("Purchase credit memo")
    PURCHASE_RECEIPT = "purchase_receipt", _("Purchase receipt")
    PURCHASE_RETURN_SHIPMENT = "purchase_return_shipment", _("Purchase return shipment")
    PURCHASE_RETURN_ORDER = "purchase_return_order", _("Purchase return order")
    SERVICE_ORDER = "service_order", _("Service order")
    SERVICE_CONTRACT = "service_contract", _("Service contract")
    SERVICE_CONTRACT_QUOTE = "service_contract_quote", _("Service contract quote")
    SERVICE_QUOTE = "service_quote", _("Service quote")


@dataclass(frozen=True)
class KindInfo:
    area: str
    # What printing records (the log entry's document type and the template setup event).
    print_event: str
    # Prefix of the kind's number series; the series code is the prefix itself.
    number_prefix: str
    # The title printed on the document.
    printed_title: Promise
    # Quotes and orders are archived as a new version when printed with "Log interaction",
    # as the original does ("Archive Quotes and Orders"), so the entry can show exactly
    # the version that was sent.
    archived_when_logged: bool = False
    # Service orders only: printing a posted one records this event instead.
    posted_print_event: str | None = None


_S, _P, _SV = DocumentArea.SALES, DocumentArea.PURCHASES, DocumentArea.SERVICE
KIND_INFO: dict[str, KindInfo] = {
    DocumentKind.SALES_QUOTE: KindInfo(_S, DocumentType.SALES_QUOTE, "S-QUO", _("Quote"), True),
    DocumentKind.SALES_BLANKET_ORDER: KindInfo(_S, DocumentType.SALES_BLANKET_ORDER, "S-BLO", _("Blanket order"), True),
    DocumentKind.SALES_ORDER: KindInfo(
        _S, DocumentType.SALES_ORDER_CONFIRMATION, "S-ORD", _("Order confirmation"), True
    ),
    DocumentKind.SALES_DRAFT_INVOICE: KindInfo(_S, DocumentType.SALES_DRAFT_INVOICE, "S-DINV", _("Draft invoice")),
    DocumentKind.SALES_INVOICE: KindInfo(_S, DocumentType.SALES_INVOICE, "S-INV", _("Invoice")),
    DocumentKind.SALES_CREDIT_MEMO: KindInfo(_S, DocumentType.SALES_CREDIT_MEMO, "S-CR", _("Credit memo")),
    DocumentKind.SALES_SHIPMENT: KindInfo(_S, DocumentType.SALES_SHIPMENT_NOTE, "S-SHPT", _("Shipment note")),
    DocumentKind.SALES_STATEMENT: KindInfo(_S, DocumentType.SALES_STATEMENT, "S-STMT", _("Statement")),
    DocumentKind.SALES_REMINDER: KindInfo(_S, DocumentType.SALES_REMINDER, "S-REM", _("Reminder")),
    DocumentKind.SALES_FINANCE_CHARGE_MEMO: KindInfo(
        _S, DocumentType.SALES_FINANCE_CHARGE_MEMO, "S-FIN", _("Finance charge memo")
    ),
    DocumentKind.SALES_RETURN_ORDER: KindInfo(
        _S, DocumentType.SALES_RETURN_ORDER, "S-RET", _("Return order confirmation"), True
    ),
    DocumentKind.SALES_RETURN_RECEIPT: KindInfo(_S, DocumentType.SALES_RETURN_RECEIPT, "S-RRCPT", _("Return receipt")),
    DocumentKind.PURCHASE_QUOTE: KindInfo(_P, DocumentType.PURCHASE_QUOTE, "P-QUO", _("Request for quote"), True),
    DocumentKind.PURCHASE_BLANKET_ORDER: KindInfo(
        _P, DocumentType.PURCHASE_BLANKET_ORDER, "P-BLO", _("Blanket purchase order"), True
    ),
    DocumentKind.PURCHASE_ORDER: KindInfo(_P, DocumentType.PURCHASE_ORDER, "P-ORD", _("Purchase order"), True),
    DocumentKind.PURCHASE_INVOICE: KindInfo(_P, DocumentType.PURCHASE_INVOICE, "P-INV", _("Purchase invoice")),
    DocumentKind.PURCHASE_CREDIT_MEMO: KindInfo(
        _P, DocumentType.PURCHASE_CREDIT_MEMO, "P-CR", _("Purchase credit memo")
    ),
    DocumentKind.PURCHASE_RECEIPT: KindInfo(_P, DocumentType.PURCHASE_RECEIPT, "P-RCPT", _("Purchase receipt")),
    DocumentKind.PURCHASE_RETURN_SHIPMENT: KindInfo(
        _P, DocumentType.PURCHASE_RETURN_SHIPMENT, "P-RSHPT", _("Return shipment")
    ),
    DocumentKind.PURCHASE_RETURN_ORDER: KindInfo(
        _P, DocumentType.PURCHASE_RETURN_ORDER_CONFIRMATION, "P-RET", _("Return order confirmation"), True
    ),
    DocumentKind.SERVICE_ORDER: KindInfo(
        _SV,
        DocumentType.SERVICE_ORDER_CREATED,
        "SVO",
        _("Service order"),
        posted_print_event=DocumentType.SERVICE_ORDER_POSTED,
    ),
    DocumentKind.SERVICE_CONTRACT: KindInfo(_SV, DocumentType.SERVICE_CONTRACT, "SVC", _("Service contract")),
    DocumentKind.SERVICE_CONTRACT_QUOTE: KindInfo(
        _SV, DocumentType.SERVICE_CONTRACT_QUOTE, "SVCQ", _("Service contract quote")
    ),
    DocumentKind.SERVICE_QUOTE: KindInfo(_SV, DocumentType.SERVICE_QUOTE, "SVQ", _("Service quote")),
}
PURCHASE_KINDS = [kind for kind, info in KIND_INFO.items() if info.area == DocumentArea.PURCHASES]
CUSTOMER_KINDS = [kind for kind, info in KIND_INFO.items() if info.area != DocumentArea.PURCHASES]


def print_event(*, kind: str, posted: bool = False) -> str:
    """The DocumentType that printing a document of `kind` records: the log entry's
    document type and the template setup event that chooses the template."""
    info = KIND_INFO[kind]
    if posted and info.posted_print_event:
        return info.posted_print_event
    return info.print_event


def kind_of_document_type(document_type: str) -> str | None:
    """The kind of document a log entry's document type came from (None: not a document,
    such as a cover sheet)."""
    for kind, info in KIND_INFO.items():
        if document_type in (info.print_event, info.posted_print_event):
            return kind
    return None


def document_types_of_kind(kind: str) -> list[str]:
    """Every document type that printing a document of `kind` may record."""
    info = KIND_INFO[kind]
    return [info.print_event] + ([info.posted_print_event] if info.posted_print_event else [])
