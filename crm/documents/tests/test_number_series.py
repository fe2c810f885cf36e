"""Customers, vendors and documents take their automatic numbers from the one number series
mechanism of crm.contacts: a number typed by hand is skipped, never given twice."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm.contacts.models import NumberSeries
from crm.documents.models import Customer, Document, Vendor
from crm.documents.types import DocumentKind

from .factories import CustomerFactory, DocumentFactory, VendorFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("factory", "series", "typed", "expected"),
    [
        (CustomerFactory, "CUSTOMER", "C00001", "C00002"),
        (VendorFactory, "VENDOR", "V00001", "V00002"),
    ],
    ids=["customer", "vendor"],
)
def test_an_automatic_partner_number_skips_the_number_typed_by_hand(factory, series, typed, expected):
    factory(number=typed)

    automatic = factory()

    assert automatic.number == expected
    assert NumberSeries.objects.get(code=series).last_number == 2


@pytest.mark.parametrize(
    ("model", "typed", "expected"),
    [(Customer, "C00001", "C00002"), (Vendor, "V00001", "V00002")],
    ids=["customer", "vendor"],
)
def test_an_administrator_types_a_partner_number_then_adds_one_without(admin_client, model, typed, expected):
    add = reverse(f"admin:documents_{model._meta.model_name}_add")

    typed_response = admin_client.post(add, {"number": typed, "name": "Typed"})
    automatic_response = admin_client.post(add, {"number": "", "name": "Automatic"})

    assert typed_response.status_code == automatic_response.status_code == 302
    assert list(model.objects.order_by("number").values_list("number", "name")) == [
        (typed, "Typed"),
        (expected, "Automatic"),
    ]


def test_each_document_kind_skips_the_numbers_typed_in_its_own_series():
    DocumentFactory(kind=DocumentKind.SALES_QUOTE, number="S-QUO00001")
    DocumentFactory(kind=DocumentKind.SALES_QUOTE, number="S-QUO00002")
    DocumentFactory(kind=DocumentKind.PURCHASE_ORDER, number="S-QUO00003")  # another kind's number space

    quote = DocumentFactory(kind=DocumentKind.SALES_QUOTE)
    order = DocumentFactory(kind=DocumentKind.PURCHASE_ORDER)

    assert (quote.number, order.number) == ("S-QUO00003", "P-ORD00001")
    assert NumberSeries.objects.get(code="S-QUO").last_number == 3


def test_a_document_series_without_a_number_left_is_a_clear_error():
    NumberSeries.objects.create(code="S-INV", prefix="S-INV-2026", width=5, last_number=9_999_999_999)

    with pytest.raises(ValidationError) as error:
        DocumentFactory(kind=DocumentKind.SALES_INVOICE)

    assert "Number series S-INV has no number left" in str(error.value)
    assert not Document.objects.exists()
