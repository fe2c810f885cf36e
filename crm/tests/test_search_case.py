"""Searches fold the case of every letter, Cyrillic included, on SQLite (crm/sqlite.py) as on
PostgreSQL: the first users search for Russian names."""

import pytest
from django.urls import reverse

from crm.contacts.models import Contact
from crm.contacts.tests.factories import CompanyFactory, PersonFactory
from crm.sqlite import like

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales_client(client, django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("searcher", password="pw")
    user.groups.add(Group.objects.get(name="Sales staff"))
    client.force_login(user)
    return client


def test_the_contact_search_finds_a_russian_name_whatever_its_case(sales_client):
    ivanov = PersonFactory(name="Иван Иванов", company=CompanyFactory(name="ООО Ромашка"))
    PersonFactory(name="Петр Петров", company=ivanov.company)
    for query in ["иванов", "ИВАНОВ", "Иванов"]:
        response = sales_client.get(reverse("contacts:list"), {"q": query})
        found = {row.record.pk for row in response.context["table"].page.object_list}
        assert found == {ivanov.pk}, query
        assert "Иван Иванов" in response.content.decode()
    assert Contact.objects.filter(name__icontains="%").count() == 0  # LIKE wildcards are escaped by Django


@pytest.mark.parametrize(
    ("pattern", "value", "escape", "matches"),
    [
        ("%ива%", "Иван", None, True),
        ("ИВАН", "иван", None, True),
        ("и_ан", "Иван", None, True),
        ("и_ан", "Ивван", None, False),
        ("%50\\%%", "скидка 50% сейчас", "\\", True),
        ("%50\\%%", "скидка 500 сейчас", "\\", False),
        ("a\\_b", "a_b", "\\", True),
        ("a\\_b", "axb", "\\", False),
        ("%", None, None, None),
    ],
)
def test_like_follows_sql_like(pattern, value, escape, matches):
    assert like(pattern, value, escape) is matches
