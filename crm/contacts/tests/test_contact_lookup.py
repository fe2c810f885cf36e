"""One rule for a contact number a user types: surrounding spaces ignored, letters in any case.
Numbers are stored in capitals (as the original's code fields), so the lookup is an exact
match on the indexed column."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from crm.contacts.models import Contact
from crm.contacts.selectors import contact_by_number

from .factories import CompanyFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales_client(client):
    user = UserFactory()
    user.groups.add(Group.objects.get(name="Sales staff"))
    client.force_login(user)
    return client


@pytest.mark.parametrize("typed", ["CT000001", "ct000001", "Ct000001", "  ct000001\t"])
def test_a_contact_is_found_by_its_number_typed_in_any_case(typed):
    contact = CompanyFactory()
    assert contact.number == "CT000001"

    assert contact_by_number(typed) == contact


@pytest.mark.parametrize("typed", ["", "   ", None, "CT000002", "CT00000", "ct\x00000001", "x" * 5000])
def test_anything_else_finds_no_contact(typed):
    CompanyFactory()

    assert contact_by_number(typed) is None


def test_the_found_contact_carries_its_company_and_salesperson_without_more_queries(django_assert_num_queries):
    person = PersonFactory()

    with django_assert_num_queries(1):
        found = contact_by_number(person.number.lower())
        assert (found.company.name, found.salesperson.code) == (person.company.name, person.salesperson.code)


def test_a_number_typed_in_small_letters_is_stored_in_capitals():
    contact = Contact.objects.create(name="Typed Ltd", number=" ct-typed-7 ")

    assert Contact.objects.get(pk=contact.pk).number == "CT-TYPED-7"
    assert contact_by_number("ct-typed-7") == contact


@pytest.mark.parametrize("typed", ["ct000001", " CT000001 "])
def test_the_contact_card_opens_from_a_number_in_any_case(sales_client, typed):
    CompanyFactory(name="Northwind Ltd")

    response = sales_client.get(reverse("contacts:detail", args=[typed]))

    assert response.status_code == 200
    assert "Northwind Ltd" in response.content.decode()


def test_the_contact_list_search_finds_a_number_in_any_case(sales_client):
    wanted, _other = CompanyFactory(name="Northwind Ltd"), CompanyFactory(name="Southwind Ltd")

    response = sales_client.get(reverse("contacts:list"), {"q": wanted.number.lower()})

    assert [row.record for row in response.context["table"].page.object_list] == [wanted]


def test_the_migration_brings_numbers_typed_before_to_capitals_unless_taken():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("crm.contacts.migrations.0003_contact_numbers_in_capitals")
    kept, typed, clashing = CompanyFactory(), CompanyFactory(), CompanyFactory()
    Contact.objects.filter(pk=typed.pk).update(number=" ct-old-1 ")
    Contact.objects.filter(pk=clashing.pk).update(number=kept.number.lower())

    migration.store_contact_numbers_in_capitals(apps, schema_editor=None)

    assert dict(Contact.objects.values_list("pk", "number")) == {
        kept.pk: "CT000001",
        typed.pk: "CT-OLD-1",
        clashing.pk: "ct000001",  # CT000001 is taken: left for an administrator to renumber
    }
