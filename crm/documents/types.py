"""Kinds of business documents that can be printed, and so logged as interactions.

The host app owns this list; the interactions module maps each kind to a setting of its
interaction template setup.
"""

from django.db import models
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
    PURCHASE_RETURN_ORDER_CONFIRMATION = "purchase_return_order_confirmation", _(
        "Purchase return order confirmation"
    )
    SERVICE_ORDER_CREATED = "service_order_created", _("Service order (created)")
    SERVICE_ORDER_POSTED = "service_order_posted", _("Service order (posted)")
    SERVICE_CONTRACT = "service_contract", _("Service contract")
    SERVICE_CONTRACT_QUOTE = "service_contract_quote", _("Service contract quote")
    SERVICE_QUOTE = "service_quote", _("Service quote")
    COVER_SHEET = "cover_sheet", _("Cover sheet")
