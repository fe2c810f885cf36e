"""The document pages: list, document, print dialog and output, archived versions, and
"show document" for a log entry."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.contacts.tests.factories import UserFactory
from crm.documents.models import Document, DocumentVersion
from crm.documents.services import archive_document, delete_document
from crm.documents.signals import document_printed
from crm.documents.types import DocumentKind, DocumentType

from .factories import CustomerFactory, DocumentFactory, VendorFactory

pytestmark = pytest.mark.django_db


def listed_numbers(response) -> list[str]:
    return [row.record.number for row in response.context["table"].page.object_list]


def test_document_list_filters_by_kind_customer_vendor_and_date(sales_client):
    customer, vendor = CustomerFactory(), VendorFactory()
    march_invoice = DocumentFactory(customer=customer, date=datetime.date(2026, 3, 10))
    may_invoice = DocumentFactory(customer=customer, date=datetime.date(2026, 5, 2))
    quote = DocumentFactory(kind=DocumentKind.SALES_QUOTE, date=datetime.date(2026, 5, 3))
    purchase = DocumentFactory(kind=DocumentKind.PURCHASE_ORDER, vendor=vendor, date=datetime.date(2026, 4, 1))
    url = reverse("documents:list")

    everything = sales_client.get(url)
    by_kind = sales_client.get(url, {"kind": DocumentKind.SALES_INVOICE})
    by_customer = sales_client.get(url, {"customer": customer.number})
    by_vendor = sales_client.get(url, {"vendor": vendor.number})
    by_date = sales_client.get(url, {"date_from": "2026-04-01", "date_to": "2026-05-02"})

    assert listed_numbers(everything) == [quote.number, may_invoice.number, purchase.number, march_invoice.number]
    assert listed_numbers(by_kind) == [may_invoice.number, march_invoice.number]
    assert listed_numbers(by_customer) == [may_invoice.number, march_invoice.number]
    assert listed_numbers(by_vendor) == [purchase.number]
    assert listed_numbers(by_date) == [may_invoice.number, purchase.number]
    page = everything.content.decode()
    assert customer.name in page and vendor.name in page
    assert f'href="/documents/{quote.pk}/"' in page


def test_an_invalid_filter_shows_its_error_and_no_documents(sales_client):
    DocumentFactory()

    response = sales_client.get(reverse("documents:list"), {"date_from": "not a date"})

    assert listed_numbers(response) == []
    assert "Enter a valid date." in response.content.decode()


def test_the_document_list_reads_the_same_number_of_queries_for_5_or_30_documents(sales_client):
    def queries_for_list():
        with CaptureQueriesContext(connection) as queries:
            assert sales_client.get(reverse("documents:list")).status_code == 200
        return len(queries)

    for _ in range(5):
        DocumentFactory(contact=None)
    few = queries_for_list()
    for index in range(25):
        DocumentFactory(kind=DocumentKind.PURCHASE_INVOICE if index % 2 else DocumentKind.SALES_ORDER)
    many = queries_for_list()

    assert many == few


def test_the_document_page_shows_lines_totals_counters_and_versions(sales_client):
    order = DocumentFactory(kind=DocumentKind.SALES_ORDER, description="Meeting room")
    version = archive_document(document=order, user=None)

    page = sales_client.get(reverse("documents:detail", args=[order.pk])).content.decode()

    assert f"Sales order {order.number}" in page
    assert "ATHENS Desk" in page and "Meeting room" in page
    assert "2,150.40" in page
    assert "Occurrence 1 of this number" in page
    assert "printed 0 times" in page and "1 archived version\n" in page
    assert f'href="{version.get_absolute_url()}"' in page
    assert reverse("documents:print", args=[order.pk]) in page


def test_the_print_dialog_without_a_logging_module_disables_log_interaction_and_says_why(sales_client, nobody_listens):
    invoice = DocumentFactory()

    response = sales_client.get(reverse("documents:print", args=[invoice.pk]))

    page = response.content.decode()
    form = response.context["form"]
    assert form.fields["log_interaction"].disabled is True
    assert form["log_interaction"].value() is False
    assert "No module that records interactions is installed." in page
    assert 'name="log_interaction"' in page and " disabled" in page


def test_printing_counts_the_print_and_leads_to_the_output(sales_client, nobody_listens):
    invoice = DocumentFactory()
    url = reverse("documents:print", args=[invoice.pk])

    response = sales_client.post(url, {"action": "print", "language": "ru", "output": "pdf"}, follow=True)

    assert response.redirect_chain[0][0] == f"{reverse('documents:printed', args=[invoice.pk])}?language=ru&output=pdf"
    page = response.content.decode()
    assert f"Sales invoice {invoice.number} has been printed." in page
    assert f"{reverse('documents:pdf', args=[invoice.pk])}?language=ru" in page
    assert f"{reverse('documents:printout', args=[invoice.pk])}?language=ru" in page
    assert Document.objects.get(pk=invoice.pk).no_printed == 1


def test_a_disabled_log_interaction_stays_off_whatever_is_posted(sales_client, nobody_listens):
    quote = DocumentFactory(kind=DocumentKind.SALES_QUOTE)

    response = sales_client.post(
        reverse("documents:print", args=[quote.pk]),
        {"action": "print", "language": "en", "output": "pdf", "log_interaction": "on"},
        follow=True,
    )

    assert "No interaction was logged" not in response.content.decode()
    assert not DocumentVersion.objects.exists()


def test_a_preview_shows_the_output_and_counts_nothing(sales_client, nobody_listens):
    invoice = DocumentFactory()
    url = reverse("documents:print", args=[invoice.pk])

    html = sales_client.post(url, {"action": "preview", "language": "en", "output": "html"})
    pdf = sales_client.post(url, {"action": "preview", "language": "en", "output": "pdf"})

    assert html.status_code == 200
    assert b"<h1>Invoice</h1>" in html.content and invoice.number.encode() in html.content
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith("inline")
    assert pdf.content.startswith(b"%PDF")
    assert Document.objects.get(pk=invoice.pk).no_printed == 0


def test_the_pdf_downloads_as_a_file_and_the_print_ready_page_is_in_the_language_asked(sales_client):
    invoice = DocumentFactory()

    pdf = sales_client.get(reverse("documents:pdf", args=[invoice.pk]), {"language": "en"})
    page = sales_client.get(reverse("documents:printout", args=[invoice.pk]), {"language": "ru"})
    unknown = sales_client.get(reverse("documents:printout", args=[invoice.pk]), {"language": "xx"})

    assert pdf["Content-Disposition"] == f'attachment; filename="sales-invoice-{invoice.number}.pdf"'
    assert pdf.content.startswith(b"%PDF")
    assert '<html lang="ru">' in page.content.decode()
    assert "1 298,80" in page.content.decode().replace("\xa0", " ")
    assert unknown.status_code == 400
    assert Document.objects.get(pk=invoice.pk).no_printed == 0


def test_a_failure_while_printing_shows_an_error_and_counts_nothing(sales_client, nobody_listens):
    invoice = DocumentFactory()

    def failing_receiver(sender, **kwargs):
        raise RuntimeError("the log is unavailable")

    document_printed.connect(failing_receiver, weak=False)
    try:
        response = sales_client.post(
            reverse("documents:print", args=[invoice.pk]), {"action": "print", "language": "en", "output": "pdf"}
        )
    finally:
        document_printed.disconnect(failing_receiver)

    assert response.status_code == 500
    assert "The document could not be printed, and nothing was recorded" in response.content.decode()
    assert Document.objects.get(pk=invoice.pk).no_printed == 0


def test_a_manager_archives_a_version_and_sales_staff_may_not(client, sales_client, manager_user):
    order = DocumentFactory(kind=DocumentKind.SALES_ORDER)
    url = reverse("documents:archive", args=[order.pk])

    assert sales_client.post(url).status_code == 403
    client.force_login(manager_user)
    response = client.post(url, follow=True)

    assert f"Version 1 of Sales order {order.number} has been archived." in response.content.decode()
    assert DocumentVersion.objects.get().archived_by == manager_user


def test_an_archived_version_shows_the_document_as_it_was_even_once_deleted(sales_client):
    order = DocumentFactory(kind=DocumentKind.SALES_ORDER, description="As sent")
    version = archive_document(document=order, user=None)
    delete_document(document=order, user=None)

    page = sales_client.get(version.get_absolute_url()).content.decode()

    assert f"Sales order {order.number}" in page and "version 1" in page
    assert "As sent" in page and "ATHENS Desk" in page and "2,150.40" in page
    assert "The document itself has been deleted." in page


def show(client, **params):
    return client.get(reverse("documents:show"), params)


def test_show_document_opens_the_document_or_its_archived_version(sales_client):
    order = DocumentFactory(kind=DocumentKind.SALES_ORDER)
    version = archive_document(document=order, user=None)
    confirmation = DocumentType.SALES_ORDER_CONFIRMATION

    to_document = show(sales_client, type=confirmation, number=order.number, occurrence=1, version=0)
    to_version = show(sales_client, type=confirmation, number=order.number, occurrence=1, version=1)

    assert to_document["Location"] == order.get_absolute_url()
    assert to_version["Location"] == version.get_absolute_url()


def test_show_document_tells_when_the_document_no_longer_exists(sales_client):
    quote = DocumentFactory(kind=DocumentKind.SALES_QUOTE, number="Q-5")
    delete_document(document=quote, user=None)
    reused = DocumentFactory(kind=DocumentKind.SALES_QUOTE, number="Q-5")

    gone = show(sales_client, type=DocumentType.SALES_QUOTE, number="Q-5", occurrence=1, version=0)
    current = show(sales_client, type=DocumentType.SALES_QUOTE, number="Q-5", occurrence=2, version=0)
    cover_sheet = show(sales_client, type=DocumentType.COVER_SHEET, number="CS-1", occurrence=1)
    nonsense = show(sales_client, type="letter", number="", occurrence="x")

    assert gone.status_code == 404
    assert "Sales quote Q-5 no longer exists." in gone.content.decode()
    assert current["Location"] == reused.get_absolute_url()
    assert (
        cover_sheet.status_code == 404 and "Cover sheet CS-1 is not kept as a document." in cover_sheet.content.decode()
    )
    assert nonsense.status_code == 400 and "The link does not name a document." in nonsense.content.decode()


def test_show_document_falls_back_to_the_document_when_its_version_is_gone(sales_client):
    order = DocumentFactory(kind=DocumentKind.SALES_ORDER)

    response = show(
        sales_client, type=DocumentType.SALES_ORDER_CONFIRMATION, number=order.number, occurrence=1, version=3
    )

    assert response["Location"] == order.get_absolute_url()


def test_pages_need_a_login_and_the_documents_permissions(client):
    invoice = DocumentFactory()
    pages = [
        reverse("documents:list"),
        reverse("documents:detail", args=[invoice.pk]),
        reverse("documents:print", args=[invoice.pk]),
        reverse("documents:pdf", args=[invoice.pk]),
        reverse("documents:printout", args=[invoice.pk]),
    ]

    for url in pages:
        assert client.get(url)["Location"].startswith(reverse("login"))
    client.force_login(UserFactory(username="no-groups"))
    for url in pages:
        assert client.get(url).status_code == 403


def test_the_navigation_has_documents(sales_client):
    page = sales_client.get(reverse("home")).content.decode()

    assert f'href="{reverse("documents:list")}">Documents</a>' in page


def test_an_administrator_adds_a_document_in_the_admin_and_gets_the_next_number(client):
    admin = UserFactory(username="administrator", groups=["Administrator"])
    admin.is_staff = True
    admin.save()
    customer = CustomerFactory()
    client.force_login(admin)

    response = client.post(
        reverse("admin:documents_document_add"),
        {
            "kind": DocumentKind.SALES_INVOICE,
            "number": "",
            "date": "2026-05-04",
            "customer": customer.pk,
            "vat_percent": "20",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-line_no": "10",
            "lines-0-description": "ATHENS Desk",
            "lines-0-quantity": "2",
            "lines-0-unit_price": "100.00",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    document = Document.objects.get()
    assert (document.number, document.occurrence, document.created_by) == ("S-INV00001", 1, admin)
    assert document.amount_including_vat == Decimal("240.00")
