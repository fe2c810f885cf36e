from decimal import Decimal

import factory

from crm.contacts.tests.factories import CompanyFactory
from crm.documents.models import Customer, Document, Vendor
from crm.documents.services import LineInput, create_document
from crm.documents.types import PURCHASE_KINDS, DocumentKind

DEFAULT_LINES = [
    LineInput(description="ATHENS Desk", quantity=Decimal(2), unit_price=Decimal("649.40")),
    LineInput(description="LONDON Swivel Chair, blue", quantity=Decimal(4), unit_price=Decimal("123.30")),
]


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.LazyAttribute(lambda c: c.contact.name if c.contact else "Walk-in customer")
    contact = factory.SubFactory(CompanyFactory)
    salesperson = factory.LazyAttribute(lambda c: c.contact.salesperson if c.contact else None)
    address = factory.Faker("street_address")
    post_code = factory.Faker("postcode")
    city = factory.Faker("city")
    country = "GB"


class VendorFactory(CustomerFactory):
    class Meta:
        model = Vendor


class DocumentFactory(factory.django.DjangoModelFactory):
    """A document made as users make them, through `create_document` (number from the
    kind's series, occurrence, lines and totals). Pass `lines=[LineInput(...)]` to choose
    the lines."""

    class Meta:
        model = Document

    kind = DocumentKind.SALES_INVOICE
    customer = factory.LazyAttribute(lambda d: None if d.kind in PURCHASE_KINDS else CustomerFactory())
    vendor = factory.LazyAttribute(lambda d: VendorFactory() if d.kind in PURCHASE_KINDS else None)
    description = ""

    @classmethod
    def _create(cls, model_class, *args, lines=None, **kwargs):
        return create_document(user=None, lines=DEFAULT_LINES if lines is None else lines, **kwargs)


def grant_document_permissions_to_groups() -> None:
    """Give the project's groups what the installed apps grant them (crm/roles.py), as every
    migrate does: for tests that emptied the groups."""
    from crm.roles import sync_roles

    sync_roles()
