"""Purging a log entry deletes the archived document version that existed only because of
it: a version archived by a print with "Log interaction" that no other entry refers to."""

import pytest

from crm.documents.models import DocumentVersion
from crm.documents.selectors import documents_for_printing
from crm.documents.services import archive_document, delete_document, print_document
from crm.documents.tests.factories import DocumentFactory, grant_document_permissions_to_groups
from crm.documents.types import DocumentKind
from interactions.models import InteractionLogEntry, InteractionTemplateSetup
from interactions.services.log_entries import cancel_entries
from interactions.services.purge.service import purge_canceled_interactions

from .factories import InteractionLogEntryFactory, InteractionTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _templates(db):
    grant_document_permissions_to_groups()
    setup = InteractionTemplateSetup.load()
    setup.sales_quote = InteractionTemplateFactory(code="S-QUOTE")
    setup.sales_invoice = InteractionTemplateFactory(code="S-INVOICE")
    setup.save()


def print_logged(document) -> InteractionLogEntry:
    result = print_document(
        document=documents_for_printing().get(pk=document.pk),
        user=None,
        log_interaction=True,
        preview=False,
        language="en",
    )
    return InteractionLogEntry.objects.get(entry_no=result.logged_entry_no)


def purge(*entries) -> int:
    cancel_entries(entry_numbers=[entry.entry_no for entry in entries], user=None)
    return purge_canceled_interactions(user=None)


def remaining_versions(number: str) -> list[int]:
    return list(
        DocumentVersion.objects.filter(number=number).order_by("version_no").values_list("version_no", flat=True)
    )


def test_purging_an_entry_deletes_the_version_archived_for_it_and_no_other():
    quote = DocumentFactory(kind=DocumentKind.SALES_QUOTE)
    archive_document(document=quote, user=None)  # version 1, by hand
    first = print_logged(quote)  # version 2
    print_logged(quote)  # version 3

    assert purge(first) == 1

    assert remaining_versions(quote.number) == [1, 3]


def test_a_version_another_entry_still_refers_to_stays():
    quote = DocumentFactory(kind=DocumentKind.SALES_QUOTE)
    printed = print_logged(quote)
    InteractionLogEntryFactory(
        document_type=printed.document_type,
        document_number=printed.document_number,
        document_occurrence=printed.document_occurrence,
        document_version=printed.document_version,
    )

    assert purge(printed) == 1

    assert remaining_versions(quote.number) == [1]


def test_a_version_archived_by_hand_stays_when_the_entry_that_names_it_is_purged():
    invoice = DocumentFactory(kind=DocumentKind.SALES_INVOICE)
    archive_document(document=invoice, user=None)
    printed = print_logged(invoice)  # an invoice is not archived by printing: it names version 1
    assert printed.document_version == 1

    assert purge(printed) == 1

    assert remaining_versions(invoice.number) == [1]


def test_versions_of_another_occurrence_of_the_number_are_left_alone():
    quote = DocumentFactory(kind=DocumentKind.SALES_QUOTE, number="Q-1")
    old = print_logged(quote)
    delete_document(document=quote, user=None)
    reused = DocumentFactory(kind=DocumentKind.SALES_QUOTE, number="Q-1")
    print_logged(reused)

    assert purge(old) == 1

    assert list(DocumentVersion.objects.values_list("occurrence", "version_no")) == [(2, 1)]
