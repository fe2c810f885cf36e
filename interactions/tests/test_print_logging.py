"""Printed documents log themselves: the receiver of `document_printed` and the service
`log_printed_document`, the print dialog's "Log interaction", and the demo's prints."""

import datetime
import io
import random
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from conftest import loaded_once
from crm.contacts.demo import load_contacts_demo
from crm.documents.demo import load_documents_demo
from crm.documents.models import Document, DocumentVersion
from crm.documents.printing import logging_availability
from crm.documents.selectors import documents_for_printing
from crm.documents.services import archive_document, delete_document, print_document
from crm.documents.signals import document_printed
from crm.documents.tests.factories import (
    CustomerFactory,
    DocumentFactory,
    VendorFactory,
    grant_document_permissions_to_groups,
)
from crm.documents.types import KIND_INFO, DocumentKind, DocumentType, print_event
from interactions.demo import load_interactions_demo
from interactions.models import (
    SETUP_EVENTS,
    Attachment,
    InformationFlow,
    InitiatedBy,
    InteractionLogEntry,
    InteractionTemplateSetup,
)
from interactions.selectors import statistics as selectors
from interactions.services import summaries

from .factories import (
    CampaignFactory,
    CompanyFactory,
    InteractionTemplateFactory,
    PersonFactory,
    SalespersonFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _document_permissions(db):
    grant_document_permissions_to_groups()


@pytest.fixture
def printer(db):
    user = UserFactory(username="printer", groups=["Sales staff"])
    assert user.has_perm("documents.print_document") and user.has_perm("interactions.add_interactionlogentry")
    return user


def set_up_template(event: str, **fields):
    template = InteractionTemplateFactory(**fields)
    setup = InteractionTemplateSetup.load()
    setattr(setup, event, template)
    setup.save()
    return template


@pytest.fixture
def invoice_template():
    return set_up_template(
        DocumentType.SALES_INVOICE,
        code="S-INVOICE",
        description="Sales invoice",
        unit_cost=Decimal("1.50"),
        unit_duration=5,
        information_flow=InformationFlow.OUTBOUND,
        initiated_by=InitiatedBy.US,
    )


@pytest.fixture
def quote_template():
    return set_up_template(DocumentType.SALES_QUOTE, code="S-QUOTE", description="Sales quote")


def for_printing(document: Document) -> Document:
    return documents_for_printing().get(pk=document.pk)


def print_it(document, *, user, log_interaction=True, preview=False, language="en"):
    return print_document(
        document=for_printing(document), user=user, log_interaction=log_interaction, preview=preview, language=language
    )


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def stored_files() -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


# --- Which event a document records ----------------------------------------------------


def test_every_document_kind_records_an_event_of_the_template_setup():
    recorded = set()
    for kind in DocumentKind.values:
        for posted in (False, True) if kind == DocumentKind.SERVICE_ORDER else (False,):
            event = print_event(kind=kind, posted=posted)
            assert event in SETUP_EVENTS, kind
            recorded.add(event)

    document_events = {event for event in SETUP_EVENTS if event in DocumentType.values}
    # Every document event of the setup is recorded by some kind of document; a cover
    # sheet is printed for a letter, not as a business document.
    assert document_events - recorded == {DocumentType.COVER_SHEET}


# --- What an entry records --------------------------------------------------------------


def test_printing_with_log_interaction_records_one_entry_with_the_printed_pdf(printer, invoice_template):
    company = CompanyFactory()
    person = PersonFactory(company=company)
    customer = CustomerFactory(contact=company, address="1 High Street", post_code="SW1 1AA", city="London")
    invoice = DocumentFactory(customer=customer, contact=person, description="Reception desk")
    before = timezone.localtime().replace(microsecond=0)

    result = print_it(invoice, user=printer, language="en")

    entry = InteractionLogEntry.objects.get()
    assert result.logged_entry_no == entry.entry_no
    assert result.logged_entry_url == reverse("interactions:entry-detail", args=[entry.entry_no])
    assert (entry.contact, entry.contact_company) == (person, company)
    assert entry.salesperson == invoice.salesperson
    assert entry.description == "Reception desk"
    assert (entry.template, entry.group) == (invoice_template, invoice_template.group)
    assert (entry.cost, entry.duration) == (Decimal("1.50"), 5)
    assert (entry.information_flow, entry.initiated_by) == (InformationFlow.OUTBOUND, InitiatedBy.US)
    assert entry.correspondence_type == "hard_copy"
    assert entry.contact_via == "1 High Street, SW1 1AA, London"
    assert entry.date == before.date()
    assert before.time() <= entry.time <= timezone.localtime().time()
    assert (entry.user, entry.language) == (printer, "en")
    assert (entry.document_type, entry.document_number) == (DocumentType.SALES_INVOICE, invoice.number)
    assert (entry.document_occurrence, entry.document_version) == (1, 0)
    assert (entry.canceled, entry.postponed) == (False, False)
    # The PDF that was printed is the entry's attachment.
    attachment = entry.attachment
    assert attachment.file_name == f"sales-invoice-{invoice.number}.pdf"
    assert attachment.content_type == "application/pdf"
    with attachment.file.open("rb") as stored:
        content = stored.read()
    assert content == result.pdf and attachment.size == len(content)
    assert invoice.number in pdf_text(content)


def test_the_contact_is_the_contact_person_else_the_customers_or_vendors_contact(printer, invoice_template):
    order_template = set_up_template(DocumentType.PURCHASE_ORDER, code="P-ORDER")
    company = CompanyFactory()
    private = PersonFactory(company=None)
    cases = {
        "contact person": DocumentFactory(
            customer=CustomerFactory(contact=company), contact=PersonFactory(company=company)
        ),
        "customer's company": DocumentFactory(customer=CustomerFactory(contact=company)),
        "customer's person": DocumentFactory(customer=CustomerFactory(contact=private)),
        "vendor's company": DocumentFactory(kind=DocumentKind.PURCHASE_ORDER, vendor=VendorFactory(contact=company)),
    }  # fmt: skip

    entries = {name: InteractionLogEntry.objects.get(entry_no=print_it(doc, user=printer).logged_entry_no)
               for name, doc in cases.items()}  # fmt: skip

    assert (entries["contact person"].contact, entries["contact person"].contact_company) == (
        cases["contact person"].contact, company,
    )  # fmt: skip
    assert (entries["customer's company"].contact, entries["customer's company"].contact_company) == (company, company)
    assert (entries["customer's person"].contact, entries["customer's person"].contact_company) == (private, None)
    assert entries["vendor's company"].contact == company
    assert entries["vendor's company"].template == order_template


@pytest.mark.parametrize("kind", [DocumentKind.SALES_INVOICE, DocumentKind.PURCHASE_INVOICE])
def test_without_a_contact_nothing_is_logged_and_the_print_says_why(printer, kind):
    set_up_template(print_event(kind=kind))
    if kind == DocumentKind.PURCHASE_INVOICE:
        document = DocumentFactory(kind=kind, vendor=VendorFactory(contact=None, name="Cash Sales"))
    else:
        document = DocumentFactory(kind=kind, customer=CustomerFactory(contact=None, name="Cash Sales"))
    partner = document.partner

    warned = logging_availability(document=for_printing(document), user=printer)
    result = print_it(document, user=printer)

    which = "vendor" if kind == DocumentKind.PURCHASE_INVOICE else "customer"
    expected = f"no contact is linked to {which} {partner.number} Cash Sales, and the document has no contact person."
    assert result.logged is False
    assert result.not_logged_reason == expected
    assert warned.available is True and warned.warning == f"Nothing will be logged: {expected}"
    assert not InteractionLogEntry.objects.exists()
    assert not Attachment.objects.exists() and stored_files() == []
    assert Document.objects.get(pk=document.pk).no_printed == 1


def test_the_salesperson_is_the_documents_else_the_contacts(printer, invoice_template):
    contacts_salesperson, documents_salesperson = SalespersonFactory(), SalespersonFactory()
    company = CompanyFactory(salesperson=contacts_salesperson)
    unattended = CompanyFactory(salesperson=None)
    with_own = DocumentFactory(customer=CustomerFactory(contact=company), salesperson=documents_salesperson)
    without = DocumentFactory(customer=CustomerFactory(contact=company, salesperson=None))
    nobody = DocumentFactory(customer=CustomerFactory(contact=unattended, salesperson=None))
    assert (without.salesperson, nobody.salesperson) == (None, None)

    salespeople = [
        InteractionLogEntry.objects.get(entry_no=print_it(document, user=printer).logged_entry_no).salesperson
        for document in (with_own, without, nobody)
    ]

    assert salespeople == [documents_salesperson, contacts_salesperson, None]


def test_description_and_campaign_are_the_documents_else_the_templates(printer):
    template_campaign, document_campaign = CampaignFactory(), CampaignFactory()
    set_up_template(
        DocumentType.SALES_INVOICE,
        description="Invoice sent",
        campaign=template_campaign,
        campaign_target=True,
        campaign_response=False,
    )
    described = DocumentFactory(description="Chairs for the canteen", campaign=document_campaign)
    plain = DocumentFactory(description="")

    entries = [
        InteractionLogEntry.objects.get(entry_no=print_it(document, user=printer).logged_entry_no)
        for document in (described, plain)
    ]

    assert [(e.description, e.campaign) for e in entries] == [
        ("Chairs for the canteen", document_campaign),
        ("Invoice sent", template_campaign),
    ]
    assert all(e.campaign_target and not e.campaign_response for e in entries)


def test_a_preview_never_logs_and_an_unchecked_log_interaction_never_logs(printer, invoice_template):
    invoice = DocumentFactory()

    preview = print_it(invoice, user=printer, preview=True, log_interaction=True)
    unchecked = print_it(invoice, user=printer, log_interaction=False)

    assert not InteractionLogEntry.objects.exists() and not Attachment.objects.exists()
    assert (preview.logged, unchecked.logged) == (False, False)
    assert unchecked.not_logged_reason == "" and unchecked.log_requested is False
    assert Document.objects.get(pk=invoice.pk).no_printed == 1


def test_without_a_template_nothing_is_logged_and_the_dialog_and_the_print_say_why(printer):
    invoice = DocumentFactory()

    availability = logging_availability(document=for_printing(invoice), user=printer)
    result = print_it(invoice, user=printer)

    assert availability.available is False
    assert availability.reason == (
        "No interaction template is set up for sales invoice; an administrator chooses one in the "
        "interaction template setup."
    )
    assert result.not_logged_reason.startswith("no interaction template is set up for sales invoice")
    assert not InteractionLogEntry.objects.exists() and stored_files() == []
    assert Document.objects.get(pk=invoice.pk).no_printed == 1


def test_a_user_who_may_not_record_interactions_sees_logging_unavailable(invoice_template):
    invoice = DocumentFactory()
    reader = UserFactory(username="reader")

    availability = logging_availability(document=for_printing(invoice), user=reader)

    assert availability.available is False
    assert availability.reason == "You do not have permission to record interactions."


# --- Occurrence and version ---------------------------------------------------------------


def test_occurrence_and_version_are_right_after_archiving_and_after_a_number_is_reused(printer, quote_template):
    customer = CustomerFactory()
    quote = DocumentFactory(kind=DocumentKind.SALES_QUOTE, number="Q-42", customer=customer)
    archive_document(document=quote, user=None)  # by hand: version 1

    first = print_it(quote, user=printer)  # archived as version 2
    second = print_it(quote, user=printer)  # version 3
    delete_document(document=Document.objects.get(pk=quote.pk), user=None)
    reused = DocumentFactory(kind=DocumentKind.SALES_QUOTE, number="Q-42", customer=customer)
    third = print_it(reused, user=printer)  # occurrence 2, version 1

    rows = [
        InteractionLogEntry.objects.values_list("document_number", "document_occurrence", "document_version").get(
            entry_no=result.logged_entry_no
        )
        for result in (first, second, third)
    ]
    assert rows == [("Q-42", 1, 2), ("Q-42", 1, 3), ("Q-42", 2, 1)]
    versions = DocumentVersion.objects.filter(number="Q-42").order_by("occurrence", "version_no")
    assert [(v.occurrence, v.version_no, v.archived_when_printed) for v in versions] == [
        (1, 1, False), (1, 2, True), (1, 3, True), (2, 1, True),
    ]  # fmt: skip


def test_show_document_of_an_entry_opens_its_archived_version_or_says_the_document_is_gone(
    client, printer, quote_template, invoice_template
):
    quote = DocumentFactory(kind=DocumentKind.SALES_QUOTE)
    invoice = DocumentFactory()
    quote_entry = InteractionLogEntry.objects.get(entry_no=print_it(quote, user=printer).logged_entry_no)
    invoice_entry = InteractionLogEntry.objects.get(entry_no=print_it(invoice, user=printer).logged_entry_no)
    delete_document(document=invoice, user=None)
    client.force_login(printer)

    def show_document_link(entry):
        page = client.get(entry.get_absolute_url())
        return page.context["document_url"]

    to_version = client.get(show_document_link(quote_entry))
    gone = client.get(show_document_link(invoice_entry))

    version = DocumentVersion.objects.get(number=quote.number, version_no=1)
    assert to_version["Location"] == version.get_absolute_url()
    assert gone.status_code == 404
    assert f"Sales invoice {invoice.number} no longer exists." in gone.content.decode()


# --- All or nothing ---------------------------------------------------------------------


def test_a_failure_while_writing_the_entry_leaves_no_print_count_no_version_and_no_half_entry(
    printer, quote_template, monkeypatch
):
    quote = DocumentFactory(kind=DocumentKind.SALES_QUOTE)

    def failing_create(**fields):
        raise RuntimeError("injected failure while writing the log entry")

    monkeypatch.setattr(InteractionLogEntry.objects, "create", failing_create)
    with pytest.raises(RuntimeError, match="injected failure"):
        print_it(quote, user=printer)

    stored = Document.objects.get(pk=quote.pk)
    assert (stored.no_printed, stored.no_of_archived_versions) == (0, 0)
    assert not DocumentVersion.objects.exists()
    assert not InteractionLogEntry.objects.exists()
    assert not Attachment.objects.exists()
    assert stored_files() == []


def test_a_failure_after_the_entry_was_written_undoes_the_entry_and_its_stored_pdf(printer, invoice_template):
    invoice = DocumentFactory()

    def fails_after_logging(sender, **kwargs):
        raise RuntimeError("a later receiver failed")

    # Connected after the interactions module's receiver, so it runs once the entry exists.
    document_printed.connect(fails_after_logging, weak=False)
    try:
        with pytest.raises(RuntimeError, match="a later receiver failed"):
            print_it(invoice, user=printer)
    finally:
        document_printed.disconnect(fails_after_logging)

    assert Document.objects.get(pk=invoice.pk).no_printed == 0
    assert not InteractionLogEntry.objects.exists() and not Attachment.objects.exists()
    assert stored_files() == []


def test_the_print_page_reports_a_failed_log_and_nothing_is_written(client, printer, invoice_template, monkeypatch):
    invoice = DocumentFactory()
    monkeypatch.setattr(InteractionLogEntry.objects, "create", lambda **fields: 1 / 0)
    client.force_login(printer)

    response = client.post(
        reverse("documents:print", args=[invoice.pk]),
        {"action": "print", "language": "en", "output": "pdf", "log_interaction": "on"},
    )

    assert response.status_code == 500
    assert "nothing was recorded" in response.content.decode()
    assert Document.objects.get(pk=invoice.pk).no_printed == 0
    assert not InteractionLogEntry.objects.exists() and stored_files() == []


# --- Cost in queries ----------------------------------------------------------------------
# Three queries for the entry, plus the summary tables' upkeep (services/summaries.py: one
# statement on PostgreSQL, one per summary table on SQLite).


def queries_of_print(document, *, user, log_interaction) -> int:
    document = for_printing(document)
    with CaptureQueriesContext(connection) as queries:
        print_document(document=document, user=user, log_interaction=log_interaction, preview=False, language="en")
    return len(queries)


def test_printing_with_logging_costs_at_most_three_queries_more_than_without(printer, invoice_template):
    invoice = DocumentFactory(contact=None)
    printer.has_perm("documents.print_document")  # permissions read once, as a request does

    without = queries_of_print(invoice, user=printer, log_interaction=False)
    with_logging = queries_of_print(invoice, user=printer, log_interaction=True)

    assert InteractionLogEntry.objects.count() == 1
    assert with_logging - without <= 3 + summaries.statements_per_change()


def test_a_quote_printed_with_logging_costs_its_archived_version_on_top_of_those_three(printer, quote_template):
    quote = DocumentFactory(kind=DocumentKind.SALES_QUOTE)
    printer.has_perm("documents.print_document")

    without = queries_of_print(quote, user=printer, log_interaction=False)
    with_logging = queries_of_print(quote, user=printer, log_interaction=True)

    assert DocumentVersion.objects.count() == 1 and InteractionLogEntry.objects.count() == 1
    assert with_logging - without <= 3 + 1 + summaries.statements_per_change()


def test_the_print_page_with_logging_costs_at_most_three_queries_more(client, printer, invoice_template):
    invoice = DocumentFactory()
    client.force_login(printer)
    url = reverse("documents:print", args=[invoice.pk])

    def queries_of_post(**extra):
        with CaptureQueriesContext(connection) as queries:
            response = client.post(url, {"action": "print", "language": "en", "output": "pdf", **extra})
        assert response.status_code == 302
        return len(queries)

    queries_of_post()  # the first request of a session reads more (the session row itself)
    without = queries_of_post()
    with_logging = queries_of_post(log_interaction="on")

    assert InteractionLogEntry.objects.count() == 1
    assert with_logging - without <= 3 + summaries.statements_per_change()


# --- The print dialog -----------------------------------------------------------------------


def test_the_dialog_checks_log_interaction_when_a_template_is_set_up_and_reports_the_entry(
    client, printer, invoice_template
):
    invoice = DocumentFactory()
    client.force_login(printer)
    url = reverse("documents:print", args=[invoice.pk])

    dialog = client.get(url)
    printed = client.post(
        url, {"action": "print", "language": "en", "output": "pdf", "log_interaction": "on"}, follow=True
    )

    assert dialog.context["form"]["log_interaction"].value() is True
    assert dialog.context["form"].fields["log_interaction"].disabled is False
    assert f"Recorded with template {invoice_template}." in dialog.content.decode()
    entry = InteractionLogEntry.objects.get()
    assert (
        f'Interaction log entry <a href="{entry.get_absolute_url()}">{entry.entry_no}</a> was recorded.'
        in printed.content.decode()
    )


def test_a_preview_from_the_dialog_never_logs_even_with_log_interaction_checked(client, printer, invoice_template):
    invoice = DocumentFactory()
    client.force_login(printer)

    for output in ("pdf", "html"):
        response = client.post(
            reverse("documents:print", args=[invoice.pk]),
            {"action": "preview", "language": "en", "output": output, "log_interaction": "on"},
        )
        assert response.status_code == 200

    assert not InteractionLogEntry.objects.exists() and stored_files() == []
    assert Document.objects.get(pk=invoice.pk).no_printed == 0


def test_the_dialog_tells_why_a_print_was_not_logged(client, printer, invoice_template):
    invoice = DocumentFactory(customer=CustomerFactory(contact=None, name="Cash Sales"))
    client.force_login(printer)

    printed = client.post(
        reverse("documents:print", args=[invoice.pk]),
        {"action": "print", "language": "en", "output": "pdf", "log_interaction": "on"},
        follow=True,
    )

    assert (
        f"No interaction was logged: no contact is linked to customer {invoice.customer.number} Cash Sales"
        in printed.content.decode()
    )


# --- The demo -----------------------------------------------------------------------------


def load_demo():
    grant_document_permissions_to_groups()
    rng = random.Random(2026)
    sales = UserFactory(username="sales", groups=["Sales staff"])
    users = {"OI": sales}
    contacts = load_contacts_demo(rng=rng, users_by_salesperson=users)
    load_interactions_demo(rng=rng, contacts=contacts, users_by_salesperson=users, entry_count=300)
    documents = load_documents_demo(rng=rng, contacts=contacts, users_by_salesperson=users)
    return {"sales": sales, "contacts": contacts, "documents": documents}


@pytest.fixture(scope="class")
def demo(request):
    """The demo data, loaded once for the class's tests (see `loaded_once`)."""
    yield from loaded_once(request, load_demo)


class TestOnTheDemo:
    def test_the_demo_has_documents_of_every_kind_some_printed_with_their_entries_in_the_log(self, demo):
        documents = demo["documents"]

        assert Document.objects.count() >= 140
        assert set(Document.objects.values_list("kind", flat=True)) == set(KIND_INFO)
        printed_entries = InteractionLogEntry.objects.exclude(document_number="").filter(attachment__isnull=False)
        assert documents.prints_logged == printed_entries.count() >= 12
        assert documents.prints > documents.prints_logged  # one customer without a contact
        assert printed_entries.filter(user=demo["sales"]).exists()
        # The quote printed twice has two versions, each with its entry.
        twice = printed_entries.filter(document_type=DocumentType.SALES_QUOTE, document_version=2).get()
        assert DocumentVersion.objects.filter(number=twice.document_number, version_no__in=[1, 2]).count() == 2
        # A number used again: the new quote is occurrence 2, the entry of the deleted one says 1.
        reused = Document.objects.get(kind=DocumentKind.SALES_QUOTE, occurrence=2)
        assert printed_entries.filter(document_number=reused.number, document_occurrence=1).exists()
        # Loading again creates and prints nothing more.
        again = load_documents_demo(rng=random.Random(1), contacts=demo["contacts"], users_by_salesperson={})
        assert (again.documents_created, again.prints) == (0, 0)

    def test_a_demo_salesperson_prints_an_invoice_and_its_entry_with_the_pdf_tops_the_contacts_timeline(
        self, client, demo
    ):
        now = timezone.localtime()

        def nothing_later_than_now(contact) -> bool:
            # The interactions demo may date entries later today than now.
            newest = selectors.contact_timeline(contact, limit=1)
            return not newest or (newest[0].date, newest[0].time or datetime.time.min) <= (now.date(), now.time())

        invoice = next(
            document
            for document in documents_for_printing().filter(
                kind=DocumentKind.SALES_INVOICE, customer__contact__isnull=False
            )
            if nothing_later_than_now(document.contact or document.customer.contact)
        )
        contact = invoice.contact or invoice.customer.contact
        assert client.login(username="sales", password="secret-pass-123")
        url = reverse("documents:print", args=[invoice.pk])

        assert client.get(url).context["form"]["log_interaction"].value() is True
        printed = client.post(
            url, {"action": "print", "language": "ru", "output": "pdf", "log_interaction": "on"}, follow=True
        )

        entry = InteractionLogEntry.objects.latest("entry_no")
        assert "Interaction log entry <a" in printed.content.decode()
        assert selectors.contact_timeline(contact)[0] == entry
        assert (entry.contact, entry.document_number, entry.user.username) == (contact, invoice.number, "sales")
        with entry.attachment.file.open("rb") as stored:
            assert invoice.number in pdf_text(stored.read())
