"""Printing as the documents app does it on its own: rendering, counting, archiving and
announcing the print, whoever listens."""

import io
import struct
from array import array

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import connection
from django.utils import translation
from pypdf import PdfReader

from crm.contacts.tests.factories import CompanyFactory, UserFactory
from crm.documents import rendering
from crm.documents.checks import pdf_font_is_installed
from crm.documents.models import Document, DocumentVersion
from crm.documents.printing import logging_availability
from crm.documents.selectors import documents_for_printing
from crm.documents.services import archive_document, print_document
from crm.documents.signals import document_printed
from crm.documents.types import DocumentKind, DocumentType

from .factories import CustomerFactory, DocumentFactory

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def for_printing(document: Document) -> Document:
    return documents_for_printing().get(pk=document.pk)


def print_it(document, *, user=None, log_interaction=False, preview=False, language="en"):
    return print_document(
        document=for_printing(document), user=user, log_interaction=log_interaction, preview=preview, language=language
    )


@pytest.fixture
def announcements(nobody_listens):
    """Every `document_printed` sent, with its arguments and whether it came inside a
    transaction."""
    received = []

    def receiver(sender, **kwargs):
        received.append({**kwargs, "in_transaction": connection.in_atomic_block})

    document_printed.connect(receiver, weak=False)
    yield received
    document_printed.disconnect(receiver)


def test_printing_counts_the_print_and_announces_it_inside_its_transaction(announcements):
    invoice = DocumentFactory(kind=DocumentKind.SALES_INVOICE)

    result = print_it(invoice)
    print_it(invoice)

    assert Document.objects.get(pk=invoice.pk).no_printed == 2
    assert len(announcements) == 2
    sent = announcements[0]
    assert sent["document"].pk == invoice.pk
    assert sent["document_type"] == DocumentType.SALES_INVOICE
    assert sent["log_interaction"] is False
    assert sent["language"] == "en"
    assert sent["pdf"] == result.pdf and sent["pdf"].startswith(b"%PDF")
    assert sent["pdf_file_name"] == f"sales-invoice-{invoice.number}.pdf"
    assert sent["version_no"] == 0
    assert sent["result"] is result
    assert sent["in_transaction"] is True


def test_a_preview_counts_nothing_archives_nothing_and_announces_nothing(announcements):
    quote = DocumentFactory(kind=DocumentKind.SALES_QUOTE)

    result = print_it(quote, preview=True, log_interaction=True)

    assert result.pdf.startswith(b"%PDF")
    assert result.log_requested is False
    assert announcements == []
    assert Document.objects.get(pk=quote.pk).no_printed == 0
    assert not DocumentVersion.objects.exists()


def test_a_quote_printed_with_log_interaction_is_archived_as_a_new_version(announcements):
    quote = DocumentFactory(kind=DocumentKind.SALES_QUOTE)

    print_it(quote, log_interaction=False)
    first = print_it(quote, log_interaction=True)
    second = print_it(quote, log_interaction=True)

    versions = list(DocumentVersion.objects.filter(number=quote.number).order_by("version_no"))
    assert [(v.version_no, v.archived_when_printed) for v in versions] == [(1, True), (2, True)]
    assert (first.version_no, second.version_no) == (1, 2)
    assert [sent["version_no"] for sent in announcements] == [0, 1, 2]
    assert Document.objects.get(pk=quote.pk).no_of_archived_versions == 2


def test_an_invoice_is_not_archived_by_printing_and_carries_the_versions_it_has(announcements):
    invoice = DocumentFactory(kind=DocumentKind.SALES_INVOICE)
    archive_document(document=invoice, user=None)

    result = print_it(invoice, log_interaction=True)

    assert result.version_no == 1
    assert announcements[0]["version_no"] == 1
    assert DocumentVersion.objects.count() == 1


def test_a_failing_receiver_undoes_the_print_counter_and_the_archived_version(nobody_listens, tmp_path):
    quote = DocumentFactory(kind=DocumentKind.SALES_QUOTE)
    left_behind = tmp_path / "written-by-the-receiver.pdf"

    def failing_receiver(sender, *, result, **kwargs):
        left_behind.write_bytes(kwargs["pdf"])
        result.on_rollback(left_behind.unlink)
        raise RuntimeError("the disk is full")

    document_printed.connect(failing_receiver, weak=False)
    try:
        document = for_printing(quote)
        with pytest.raises(RuntimeError, match="the disk is full"):
            print_document(document=document, user=None, log_interaction=True, preview=False, language="en")
    finally:
        document_printed.disconnect(failing_receiver)

    stored = Document.objects.get(pk=quote.pk)
    assert (stored.no_printed, stored.no_of_archived_versions) == (0, 0)
    assert (document.no_printed, document.no_of_archived_versions) == (0, 0)
    assert not DocumentVersion.objects.exists()
    assert not left_behind.exists()


def test_without_a_module_that_logs_the_dialog_says_so_and_a_print_reports_why(nobody_listens):
    invoice = DocumentFactory()

    availability = logging_availability(document=invoice, user=None)
    result = print_it(invoice, log_interaction=True)

    assert availability.available is False
    assert availability.reason == "No module that records interactions is installed."
    assert result.logged is False
    assert result.not_logged_reason == "No module that records interactions is installed."
    assert Document.objects.get(pk=invoice.pk).no_printed == 1


def test_without_a_module_that_logs_a_quote_printed_with_log_interaction_is_not_archived(nobody_listens):
    quote = DocumentFactory(kind=DocumentKind.SALES_QUOTE)

    result = print_it(quote, log_interaction=True)

    assert (result.logged, result.version_archived) == (False, False)
    assert result.not_logged_reason == "No module that records interactions is installed."
    stored = Document.objects.get(pk=quote.pk)
    assert (stored.no_printed, stored.no_of_archived_versions) == (1, 0)
    assert not DocumentVersion.objects.exists()


def test_the_pdf_holds_the_number_the_lines_the_totals_and_cyrillic_text(nobody_listens):
    customer = CustomerFactory(name="ООО «Северная звезда»", city="Москва", contact=CompanyFactory())
    invoice = DocumentFactory(customer=customer, description="Мебель для нового офиса")

    text = pdf_text(print_it(invoice).pdf)

    assert invoice.number in text
    assert "ООО «Северная звезда»" in text
    assert "Мебель для нового офиса" in text
    assert "ATHENS Desk" in text
    assert "2,150.40" in text
    assert "Page 1 of 1" in text


def test_a_russian_pdf_renders_without_font_warnings(nobody_listens, caplog):
    """The printed page's <title> is not in the PDF: xhtml2pdf drew it in Helvetica, which has
    no Cyrillic, and warned once per letter ("will come out blank") at every first print."""
    invoice = DocumentFactory(customer=CustomerFactory(name="ООО «Северная звезда»"))
    with caplog.at_level("WARNING"):
        pdf = rendering.render_pdf(documents_for_printing().get(pk=invoice.pk), language="ru")
    assert pdf.startswith(b"%PDF")
    assert [record.getMessage() for record in caplog.records if record.levelname == "WARNING"] == []


def write_mo(path, messages: dict[str, str]) -> None:
    """A compiled gettext catalog (the format of GNU msgfmt)."""
    messages = {"": "Content-Type: text/plain; charset=UTF-8\n", **messages}
    keys = sorted(messages)
    ids = strs = b""
    offsets = []
    for key in keys:
        key_bytes, value_bytes = key.encode(), messages[key].encode()
        offsets.append((len(ids), len(key_bytes), len(strs), len(value_bytes)))
        ids += key_bytes + b"\0"
        strs += value_bytes + b"\0"
    key_start = 7 * 4 + 16 * len(keys)
    value_start = key_start + len(ids)
    key_table, value_table = [], []
    for id_offset, id_length, str_offset, str_length in offsets:
        key_table += [id_length, id_offset + key_start]
        value_table += [str_length, str_offset + value_start]
    header = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + 8 * len(keys), 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + array("i", key_table).tobytes() + array("i", value_table).tobytes() + ids + strs)


@pytest.fixture
def russian_captions(settings, tmp_path):
    """A Russian catalog with the printout's captions (the project's own catalog is
    written by the translators; this test is about printing in the language asked for)."""
    write_mo(
        tmp_path / "locale" / "ru" / "LC_MESSAGES" / "django.mo",
        {
            "Invoice": "Счёт",
            "Quantity": "Количество",
            "Unit price": "Цена",
            "Total incl. VAT": "Итого с НДС",
            "Customer no.": "Номер клиента",
            "Page %(page)s of %(count)s": "Страница %(page)s из %(count)s",
        },
    )
    settings.LOCALE_PATHS = [tmp_path / "locale", *settings.LOCALE_PATHS]


def test_a_document_printed_in_russian_has_russian_captions_whatever_the_page_language(
    russian_captions, nobody_listens
):
    invoice = DocumentFactory()

    with translation.override("en"):
        pdf = pdf_text(print_it(invoice, language="ru").pdf)
        html = rendering.render_printout(for_printing(invoice), language="ru")
        english = rendering.render_printout(for_printing(invoice), language="en")
        assert translation.get_language() == "en"

    for text in (pdf, html):
        assert "Счёт" in text and "Количество" in text and "Итого с НДС" in text and "Номер клиента" in text
        assert "Quantity" not in text
        assert "1 298,80" in text.replace("\xa0", " ")  # Russian number format
    assert "Страница 1 из 1" in pdf
    assert '<html lang="ru">' in html
    assert "Quantity" in english and "Количество" not in english


def test_printing_in_a_language_the_project_does_not_have_is_refused(nobody_listens):
    with pytest.raises(ValueError, match="cannot print in 'de'"):
        print_it(DocumentFactory(), language="de")


def test_a_user_without_the_print_permission_cannot_print(nobody_listens):
    invoice = DocumentFactory()
    outsider = UserFactory()

    with pytest.raises(PermissionDenied):
        print_it(invoice, user=outsider)
    assert Document.objects.get(pk=invoice.pk).no_printed == 0


def test_a_missing_pdf_font_is_reported_at_start_up_and_when_printing(settings, tmp_path, nobody_listens):
    settings.DOCUMENTS_PDF_FONT_DIR = str(tmp_path)

    errors = pdf_font_is_installed(None)

    assert [error.id for error in errors] == ["documents.E001"]
    with pytest.raises(ImproperlyConfigured, match="DejaVu Sans"):
        print_it(DocumentFactory())
