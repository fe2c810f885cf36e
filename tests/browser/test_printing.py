"""Printing a sales invoice with "Log interaction" records an entry, with the printed PDF
attached, on the contact's timeline."""

import re

import pytest
from playwright.sync_api import expect

from crm.documents.models import Document
from crm.documents.types import DocumentKind
from interactions.models import InteractionLogEntry

from .helpers import has_entries_today, log_in

pytestmark = pytest.mark.browser


def invoice_of_a_contact_without_entries_today():
    """A sales invoice whose contact has nothing dated today yet, so that the printed
    invoice's entry is the newest on the contact's timeline."""
    invoices = Document.objects.filter(kind=DocumentKind.SALES_INVOICE).select_related("contact", "customer__contact")
    for invoice in invoices.order_by("number"):
        contact = invoice.contact or invoice.customer.contact
        if contact and not has_entries_today(contact):
            return invoice, contact
    raise AssertionError("the demo data has no sales invoice to print")


def test_printing_an_invoice_with_log_interaction_puts_the_entry_and_its_pdf_on_the_timeline(page):
    invoice, contact = invoice_of_a_contact_without_entries_today()
    log_in(page, "sales")

    page.goto("/documents/")
    page.get_by_label("Kind").select_option(label="Sales invoice")
    page.get_by_label("Search", exact=True).fill(invoice.number)
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Sales invoice")
    rows.first.get_by_role("link", name=invoice.number).click()

    page.get_by_role("link", name="Print…").click()
    log_interaction = page.get_by_label("Log interaction")
    log_interaction.check()
    page.get_by_label("PDF file").check()
    page.get_by_role("button", name="Print", exact=True).click()

    expect(page.get_by_role("alert").filter(has_text="has been printed")).to_be_visible()
    recorded = page.get_by_role("alert").filter(has_text="was recorded")
    expect(recorded).to_be_visible()
    entry = InteractionLogEntry.objects.filter(contact=contact).latest("entry_no")
    expect(recorded).to_contain_text(f"Interaction log entry {entry.entry_no} was recorded.")
    assert entry.attachment.content_type == "application/pdf"

    page.goto(f"/contacts/{contact.number}/")
    newest = page.locator("#contact-timeline [data-entry]").first
    expect(newest).to_have_attribute("data-entry", str(entry.entry_no))
    expect(newest).to_contain_text(entry.description)
    pdf_link = newest.get_by_role("link", name="Open attachment")
    with page.expect_download() as download:
        pdf_link.click()
    assert re.search(r"\.pdf$", download.value.suggested_filename)
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
