import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from crm.contacts.models import Campaign, Contact, NumberSeries, Series

from .factories import CompanyFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_contact_numbers_are_assigned_in_sequence():
    first = Contact.objects.create(name="Alpha Ltd")
    second = Contact.objects.create(name="Beta Ltd")
    assert first.number == "CT000001"
    assert second.number == "CT000002"


def test_a_typed_contact_number_is_kept():
    contact = Contact.objects.create(name="Gamma Ltd", number="KEEP-1")
    assert Contact.objects.get(pk=contact.pk).number == "KEEP-1"


def test_a_number_series_counts_on_without_gaps():
    drawn = [NumberSeries.next_free(Series("TEST", prefix="T", width=3), taken=Contact.objects.all()) for _ in range(4)]
    assert drawn == ["T001", "T002", "T003", "T004"]


def test_contact_numbers_are_unique_in_the_database():
    Contact.objects.create(name="One", number="DUP")
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(name="Two", number="DUP")


def test_database_refuses_a_person_whose_company_is_a_person():
    person = PersonFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(type=Contact.Type.PERSON, name="Wrong", company=person)


def test_database_refuses_a_company_that_belongs_to_a_company():
    company = CompanyFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(type=Contact.Type.COMPANY, name="Sub", company=company)


def test_database_refuses_to_turn_a_company_with_persons_into_a_person():
    person = PersonFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.filter(pk=person.company_id).update(type=Contact.Type.PERSON)


def test_database_refuses_moving_a_person_to_a_person():
    person, other = PersonFactory(), PersonFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.filter(pk=person.pk).update(company=other)


def test_validation_explains_that_a_persons_company_must_be_a_company():
    person = PersonFactory()
    contact = Contact(type=Contact.Type.PERSON, name="Wrong", company=person)
    with pytest.raises(ValidationError) as error:
        contact.full_clean()
    assert "company" in error.value.message_dict


def test_a_person_of_a_company_is_accepted():
    company = CompanyFactory()
    person = Contact.objects.create(type=Contact.Type.PERSON, name="Anna Petrova", company=company)
    person.full_clean()
    assert list(company.persons.all()) == [person]


def test_campaign_cannot_end_before_it_starts():
    import datetime

    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.create(
            description="Spring", starting_date=datetime.date(2026, 5, 1), ending_date=datetime.date(2026, 4, 1)
        )


def test_campaign_numbers_are_assigned():
    assert Campaign.objects.create(description="Spring").number == "CP0001"
