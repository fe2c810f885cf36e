"""Number series: every automatic number (contacts, campaigns here; customers, vendors,
documents and segments in their apps' tests) comes from one mechanism that skips the
numbers users typed by hand, and draws under a row lock so that concurrent creations
never get the same number."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from crm.contacts.models import Campaign, Contact, NumberSeries, NumberSeriesExhausted

pytestmark = pytest.mark.django_db


def series(code: str) -> NumberSeries:
    return NumberSeries.objects.get(code=code)


def test_an_automatic_contact_number_skips_the_number_typed_by_hand():
    Contact.objects.create(name="Typed Ltd", number="CT000001")

    automatic = Contact.objects.create(name="Automatic Ltd")

    assert automatic.number == "CT000002"
    assert series("CONTACT").last_number == 2


def test_the_series_skips_a_run_of_typed_numbers_and_goes_on_from_the_last_one_it_gave():
    for n in (1, 2, 3, 5):
        Contact.objects.create(name=f"Typed {n}", number=f"CT{n:06d}")

    numbers = [Contact.objects.create(name=f"Automatic {n}").number for n in range(3)]

    assert numbers == ["CT000004", "CT000006", "CT000007"]
    assert series("CONTACT").last_number == 7


def test_an_automatic_campaign_number_skips_the_number_typed_by_hand():
    Campaign.objects.create(description="Typed", number="CP0001")

    assert Campaign.objects.create(description="Automatic").number == "CP0002"


def test_an_administrator_types_a_contact_number_then_adds_one_without(admin_client):
    add = reverse("admin:contacts_contact_add")
    typed = admin_client.post(add, {"number": "CT000001", "type": "company", "name": "Typed Ltd"})
    automatic = admin_client.post(add, {"number": "", "type": "company", "name": "Automatic Ltd"})

    assert typed.status_code == automatic.status_code == 302
    assert list(Contact.objects.order_by("number").values_list("number", "name")) == [
        ("CT000001", "Typed Ltd"),
        ("CT000002", "Automatic Ltd"),
    ]


def test_numbers_grow_past_the_digits_of_the_series():
    NumberSeries.objects.create(code="CONTACT", prefix="CT", width=2, last_number=99)

    assert Contact.objects.create(name="Hundredth").number == "CT100"


def test_a_series_whose_next_number_does_not_fit_the_field_says_so():
    NumberSeries.objects.create(code="CONTACT", prefix="CONTACT-NO", width=6, last_number=9_999_999_999)

    with pytest.raises(NumberSeriesExhausted) as error:
        Contact.objects.create(name="One too many")

    assert str(error.value.messages[0]) == (
        "Number series CONTACT has no number left: the next one, CONTACT-NO10000000000, is longer than "
        "the 20 characters a number may have. Give the series a shorter prefix."
    )
    assert not Contact.objects.exists()
    assert series("CONTACT").last_number == 9_999_999_999


def test_the_admin_shows_that_the_series_has_no_number_left(admin_client):
    NumberSeries.objects.create(code="CONTACT", prefix="CONTACT-NO", width=6, last_number=9_999_999_999)

    response = admin_client.post(
        reverse("admin:contacts_contact_add"), {"number": "", "type": "company", "name": "One too many"}
    )

    assert response.status_code == 200
    assert "Number series CONTACT has no number left" in response.content.decode()
    assert not Contact.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_creations_get_distinct_numbers(postgresql):
    """Eight sessions create contacts at once, one of them among numbers typed by hand:
    no number is given twice and none collides with a typed one."""
    Contact.objects.create(name="Typed", number="CT000004")
    Contact.objects.create(name="Typed", number="CT000009")
    start = threading.Barrier(8)
    errors = []

    def create_contacts():
        try:
            start.wait(timeout=30)
            for n in range(5):
                Contact.objects.create(name=f"Contact {n}")
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=create_contacts) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    numbers = sorted(Contact.objects.values_list("number", flat=True))
    assert numbers == [f"CT{n:06d}" for n in range(1, 43)]
    assert series("CONTACT").last_number == 42
