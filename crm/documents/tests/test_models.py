"""Documents, their numbers and occurrences, lines and totals, archived versions."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from crm.contacts.tests.factories import CompanyFactory, PersonFactory
from crm.documents.models import Document, DocumentVersion
from crm.documents.services import LineInput, archive_document, create_document, delete_document
from crm.documents.types import KIND_INFO, PURCHASE_KINDS, DocumentKind, DocumentType, print_event

from .factories import CustomerFactory, DocumentFactory, VendorFactory

pytestmark = pytest.mark.django_db


def test_a_new_document_takes_the_next_number_of_its_kinds_series():
    first = DocumentFactory(kind=DocumentKind.SALES_INVOICE)
    second = DocumentFactory(kind=DocumentKind.SALES_INVOICE)
    order = DocumentFactory(kind=DocumentKind.PURCHASE_ORDER)

    assert (first.number, second.number, order.number) == ("S-INV00001", "S-INV00002", "P-ORD00001")
    assert (first.occurrence, second.occurrence) == (1, 1)


def test_the_series_skips_a_number_that_a_user_typed():
    typed = DocumentFactory(kind=DocumentKind.SALES_INVOICE, number="S-INV00001")
    drawn = DocumentFactory(kind=DocumentKind.SALES_INVOICE)

    assert typed.number == "S-INV00001"
    assert drawn.number == "S-INV00002"


def test_a_number_in_use_is_refused_with_a_clear_message():
    DocumentFactory(kind=DocumentKind.SALES_QUOTE, number="Q-1")

    with pytest.raises(ValidationError) as refused:
        DocumentFactory(kind=DocumentKind.SALES_QUOTE, number="Q-1")

    assert "A document of this kind with this number already exists." in str(refused.value)
    assert Document.objects.filter(number="Q-1").count() == 1
    # Another kind may carry the same number.
    assert DocumentFactory(kind=DocumentKind.SALES_ORDER, number="Q-1").occurrence == 1


def test_a_number_used_again_after_deletion_is_its_next_occurrence():
    customer = CustomerFactory()
    first = DocumentFactory(kind=DocumentKind.SALES_QUOTE, number="Q-7", customer=customer)
    delete_document(document=first, user=None)
    second = DocumentFactory(kind=DocumentKind.SALES_QUOTE, number="Q-7", customer=customer)
    delete_document(document=second, user=None)
    third = DocumentFactory(kind=DocumentKind.SALES_QUOTE, number="Q-7", customer=customer)

    assert (first.occurrence, second.occurrence, third.occurrence) == (1, 2, 3)
    assert DocumentFactory(kind=DocumentKind.SALES_INVOICE, number="Q-7").occurrence == 1


def test_archived_versions_count_per_occurrence_and_outlive_the_document():
    quote = DocumentFactory(kind=DocumentKind.SALES_QUOTE, number="Q-9")
    one = archive_document(document=quote, user=None)
    two = archive_document(document=quote, user=None)
    delete_document(document=quote, user=None)
    reused = DocumentFactory(kind=DocumentKind.SALES_QUOTE, number="Q-9")
    first_of_reused = archive_document(document=reused, user=None)

    assert [(v.occurrence, v.version_no) for v in (one, two, first_of_reused)] == [(1, 1), (1, 2), (2, 1)]
    one.refresh_from_db()
    assert one.document is None
    assert Document.objects.get(pk=reused.pk).no_of_archived_versions == 1
    assert DocumentVersion.objects.filter(number="Q-9").count() == 3


def test_a_version_keeps_the_document_as_it_was():
    lines = [LineInput(description="ANTWERP Conference Table", quantity=Decimal(1), unit_price=Decimal("420.40"))]
    order = DocumentFactory(kind=DocumentKind.SALES_ORDER, description="Meeting room", lines=lines)
    version = archive_document(document=order, user=None)
    Document.objects.filter(pk=order.pk).update(description="Changed later")

    version.refresh_from_db()
    assert version.snapshot["description"] == "Meeting room"
    assert version.snapshot["lines"] == [
        {"line_no": 10, "description": "ANTWERP Conference Table", "quantity": "1.00", "unit_price": "420.40",
         "amount": "420.40"}
    ]  # fmt: skip
    assert version.snapshot["amount_including_vat"] == "504.48"
    assert version.snapshot["partner"]["number"] == order.customer.number
    assert version.archived_when_printed is False


def test_totals_are_the_sum_of_the_lines_with_vat():
    lines = [
        LineInput(description="ATHENS Desk", quantity=Decimal(3), unit_price=Decimal("649.40")),
        LineInput(description="AMSTERDAM Lamp", quantity=Decimal("2.5"), unit_price=Decimal("35.61")),
    ]
    invoice = DocumentFactory(lines=lines, vat_percent=Decimal(18))

    stored = Document.objects.get(pk=invoice.pk)
    assert [line.amount for line in stored.lines.all()] == [Decimal("1948.20"), Decimal("89.03")]
    assert stored.amount == Decimal("2037.23")
    assert stored.vat_amount == Decimal("366.70")
    assert stored.amount_including_vat == Decimal("2403.93")


def test_sales_and_service_documents_need_a_customer_and_purchase_documents_a_vendor():
    customer, vendor = CustomerFactory(), VendorFactory()

    with pytest.raises(ValidationError) as refused:
        create_document(kind=DocumentKind.PURCHASE_ORDER, customer=customer, user=None)
    assert set(refused.value.message_dict) == {"vendor", "customer"}
    with pytest.raises(ValidationError):
        create_document(kind=DocumentKind.SERVICE_ORDER, vendor=vendor, user=None)
    # The database keeps the rule too, whoever writes.
    for kind, fields in [
        (DocumentKind.SALES_INVOICE, {"customer": customer, "vendor": vendor}),
        (DocumentKind.SALES_INVOICE, {}),
        (DocumentKind.PURCHASE_INVOICE, {"customer": customer}),
    ]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Document.objects.create(kind=kind, number="X-1", occurrence=1, **fields)
    assert not Document.objects.exists()


def test_the_contact_person_must_be_the_partners_contact_or_one_of_its_persons():
    company = CompanyFactory()
    customer = CustomerFactory(contact=company)
    person = PersonFactory(company=company)

    assert DocumentFactory(customer=customer, contact=person).contact == person
    assert DocumentFactory(customer=customer, contact=company).contact == company
    with pytest.raises(ValidationError) as refused:
        DocumentFactory(customer=customer, contact=PersonFactory())
    assert "must be" in str(refused.value.message_dict["contact"])
    with pytest.raises(ValidationError):
        DocumentFactory(customer=CustomerFactory(contact=None), contact=person)


def test_only_service_orders_are_posted_and_a_posted_one_prints_as_posted():
    created = DocumentFactory(kind=DocumentKind.SERVICE_ORDER)
    posted = DocumentFactory(kind=DocumentKind.SERVICE_ORDER, posted=True)

    assert created.print_event == DocumentType.SERVICE_ORDER_CREATED
    assert posted.print_event == DocumentType.SERVICE_ORDER_POSTED
    with pytest.raises(ValidationError):
        DocumentFactory(kind=DocumentKind.SALES_INVOICE, posted=True)


def test_a_sales_order_prints_as_an_order_confirmation_and_every_kind_records_a_document_type():
    assert print_event(kind=DocumentKind.SALES_ORDER) == DocumentType.SALES_ORDER_CONFIRMATION
    assert print_event(kind=DocumentKind.PURCHASE_RETURN_ORDER) == DocumentType.PURCHASE_RETURN_ORDER_CONFIRMATION
    assert set(KIND_INFO) == set(DocumentKind.values)
    for kind in DocumentKind.values:
        assert print_event(kind=kind) in DocumentType.values
        assert (kind in PURCHASE_KINDS) == kind.startswith("purchase_")


def test_the_salesperson_defaults_to_the_customers():
    customer = CustomerFactory()

    assert customer.salesperson is not None
    assert DocumentFactory(customer=customer).salesperson == customer.salesperson
