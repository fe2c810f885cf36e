"""Sending what is logged, as a user does it in Chromium: a cover sheet printed from the
contact's card; an e-mail draft saved, reopened (from the card, and kept by the leave
prompt), edited and sent; a printed invoice resent by e-mail. The e-mails go through
Django's SMTP backend to a real SMTP server of the test, and are parsed back."""

import re
from email import policy
from email.parser import BytesParser

import pytest
from playwright.sync_api import expect

from crm.contacts.models import Contact
from crm.documents.models import Document
from crm.documents.types import DocumentKind
from interactions.models import DeliveryStatus, InteractionLogEntry
from interactions.tests.email_support import SmtpSink

from .helpers import has_entries_today, log_in, person_without_entries_today

pytestmark = pytest.mark.browser


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server; e-mail tasks run in the server's process, so the messages arrive
    while the page waits."""
    from crm.celery import app

    with SmtpSink().running() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", sink.port, 30
        saved, app.conf.task_always_eager = app.conf.task_always_eager, True
        try:
            yield sink
        finally:
            app.conf.task_always_eager = saved


def parsed(raw: bytes):
    return BytesParser(policy=policy.default).parsebytes(raw)


def test_printing_a_cover_sheet_from_the_contact_card_logs_it_with_the_pdf(page):
    contact = person_without_entries_today(language="ru")
    log_in(page, "sales")
    page.goto(f"/contacts/{contact.number}/")
    page.get_by_role("link", name="Print cover sheet").click()

    expect(page.locator("#id_language")).to_have_value("ru")
    page.get_by_label("For your information").check()
    page.get_by_label("Please call").check()
    page.get_by_label("Number of pages").fill("4")
    page.get_by_label("Text").fill("Договор поставки на подпись")
    expect(page.get_by_label("Log interaction")).to_be_checked()
    page.get_by_role("button", name="Print", exact=True).click()

    expect(page.get_by_role("alert").filter(has_text="has been printed")).to_be_visible()
    entry = InteractionLogEntry.objects.filter(contact=contact).latest("entry_no")
    expect(
        page.get_by_role("alert").filter(has_text=f"Interaction log entry {entry.entry_no} records it.")
    ).to_be_visible()
    assert entry.template.code == "COVERSH" and entry.document_type == "cover_sheet" and entry.language == "ru"
    pdf_link = page.get_by_role("link", name="Open the cover sheet (PDF)")
    pdf = page.request.get(pdf_link.get_attribute("href"))
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body()[:5] == b"%PDF-"

    page.goto(f"/contacts/{contact.number}/")
    newest = page.locator("#contact-timeline [data-entry]").first
    expect(newest).to_have_attribute("data-entry", str(entry.entry_no))


def test_a_draft_is_saved_reopened_kept_by_the_leave_prompt_and_sent(page, smtp_server):
    contact = person_without_entries_today(language="ru")
    Contact.objects.filter(pk=contact.pk).update(email="klient@example.com")
    log_in(page, "sales")
    page.goto(f"/contacts/{contact.number}/")
    page.get_by_role("link", name="Send e-mail").click()
    page.get_by_label("Subject").fill("Коммерческое предложение")
    page.get_by_label("Text", exact=True).fill("Добрый день! Черновик.")
    page.get_by_role("button", name="Save draft").click()

    expect(page.get_by_role("alert").filter(has_text="The draft has been saved as interaction")).to_be_visible()
    draft = InteractionLogEntry.objects.get(contact=contact, delivery_status=DeliveryStatus.DRAFT)
    assert draft.subject == "Коммерческое предложение"

    # Reopened from the contact's card; a change, then a link away: the prompt keeps it.
    page.goto(f"/contacts/{contact.number}/")
    page.locator("#email-drafts").get_by_role("link", name=f"Reopen draft {draft.entry_no}").click()
    expect(page.get_by_label("Subject")).to_have_value("Коммерческое предложение")
    page.get_by_label("Text", exact=True).fill("Добрый день! Цены во вложении.")
    page.locator("#main-nav").get_by_role("link", name="Contacts", exact=True).click()
    prompt = page.get_by_role("dialog", name="Leave the e-mail?")
    expect(prompt).to_be_visible()
    prompt.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(re.compile(r"/contacts/$"))
    draft.refresh_from_db()
    assert draft.delivery_status == DeliveryStatus.DRAFT
    assert InteractionLogEntry.objects.filter(contact=contact, delivery_status__startswith="draft").count() == 1
    assert not InteractionLogEntry.objects.filter(sent_from_draft_entry_no=draft.entry_no).exists()

    # Reopened from its entry, and sent.
    page.goto(f"/interactions/log/{draft.entry_no}/")
    page.get_by_role("link", name="Reopen draft").click()
    expect(page.get_by_label("Text", exact=True)).to_have_value("Добрый день! Цены во вложении.")
    page.get_by_role("button", name="Send", exact=True).click()

    expect(page.get_by_role("alert").filter(has_text="is being sent")).to_be_visible()
    sent = InteractionLogEntry.objects.get(sent_from_draft_entry_no=draft.entry_no)
    expect(page).to_have_url(re.compile(rf"/interactions/log/{sent.entry_no}/$"))
    expect(page.locator("#sent-from-draft")).to_contain_text(f"entry {draft.entry_no}")
    draft.refresh_from_db()
    assert draft.delivery_status == DeliveryStatus.DRAFT_SENT and sent.template.code == "EMAIL"
    [raw] = smtp_server.messages
    message = parsed(raw)
    # Encoded, the subject is folded onto a line of its own (RFC 5322 folding): mail
    # programs, like this parser, read it with the folding white space in front.
    assert str(message["Subject"]).strip() == "Коммерческое предложение"
    assert message["To"].addresses[0].display_name == contact.name
    assert message.get_body(preferencelist=("plain",)).get_content().strip() == "Добрый день! Цены во вложении."


def invoice_of_a_contact_without_entries_today():
    invoices = Document.objects.filter(kind=DocumentKind.SALES_INVOICE).select_related("contact", "customer__contact")
    for invoice in invoices.order_by("number"):
        contact = invoice.contact or invoice.customer.contact
        if contact and not has_entries_today(contact):
            return invoice, contact
    raise AssertionError("the demo data has no sales invoice to print")


def test_a_printed_invoice_is_resent_by_email(page, smtp_server):
    invoice, contact = invoice_of_a_contact_without_entries_today()
    log_in(page, "sales")
    page.goto(f"/documents/{invoice.pk}/")
    page.get_by_role("link", name="Print…").click()
    page.get_by_label("Log interaction").check()
    page.get_by_label("PDF file").check()
    page.get_by_role("button", name="Print", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text="was recorded")).to_be_visible()
    printed = InteractionLogEntry.objects.filter(contact=contact).latest("entry_no")
    with printed.attachment.file.open("rb") as handle:
        pdf = handle.read()

    page.goto(f"/interactions/log/{printed.entry_no}/")
    page.get_by_role("link", name="Resend by e-mail").click()
    page.get_by_role("textbox", name="To").fill("buhgalteriya@example.com")
    page.get_by_label("Subject").fill(f"Счёт {invoice.number}")
    page.get_by_role("button", name="Send", exact=True).click()

    expect(page.get_by_role("alert").filter(has_text="is being sent")).to_be_visible()
    resent = InteractionLogEntry.objects.get(resent_from_entry_no=printed.entry_no)
    expect(page.locator("#resent-from")).to_contain_text(f"entry {printed.entry_no}")
    assert resent.contact_via == "buhgalteriya@example.com" and resent.template.code == "EMAIL"
    [raw] = smtp_server.messages
    message = parsed(raw)
    assert str(message["Subject"]).strip() == f"Счёт {invoice.number}"
    assert message["To"].addresses[0].addr_spec == "buhgalteriya@example.com"
    [attached] = list(message.iter_attachments())
    assert attached.get_content_type() == "application/pdf" and attached.get_content() == pdf

    page.goto(f"/interactions/log/{printed.entry_no}/")
    expect(page.locator("#resent-as")).to_contain_text(f"entry {resent.entry_no}")
