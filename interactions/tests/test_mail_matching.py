"""Matching of captured e-mail addresses to contacts and salespeople
(interactions.selectors.mail_matching): case-insensitive, IDNA spellings equal, companies by
their domain but never by a free-mail one, in a fixed number of queries that use the
e-mail indexes on PostgreSQL."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from interactions.selectors.mail_matching import (
    contacts_for_addresses,
    salespeople_for_addresses,
    salesperson_for_address,
)

from .factories import CompanyFactory, PersonFactory, SalespersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def northwind():
    company = CompanyFactory(name="Northwind", email="Office@Northwind.example")
    anna = PersonFactory(name="Anna Petrova", company=company, email="ANNA.Petrova@northwind.EXAMPLE")
    return company, anna


def test_addresses_match_contacts_whatever_the_case_of_either(northwind):
    company, anna = northwind
    other = PersonFactory(email="someone@elsewhere.example")

    found = contacts_for_addresses(
        ["anna.petrova@NORTHWIND.example", "office@northwind.example", "nobody@nowhere.example"],
        match_company_domains=False,
    )

    assert found == {
        "anna.petrova@northwind.example": [anna.id],
        "office@northwind.example": [company.id],
        "nobody@nowhere.example": [],
    }
    assert other.id not in {contact for ids in found.values() for contact in ids}


def test_invalid_addresses_are_left_out_and_duplicates_asked_once(northwind):
    _company, anna = northwind
    found = contacts_for_addresses(
        ["not an address", "", "Anna.Petrova@northwind.example", "<anna.petrova@northwind.example>"],
        match_company_domains=False,
    )
    assert found == {"anna.petrova@northwind.example": [anna.id]}


@pytest.mark.parametrize(
    "stored",
    [
        "ivan@xn--e1afmkfd.xn--p1ai",
        "IVAN@XN--E1AFMKFD.XN--P1AI",
        "ivan@пример.рф",
        "Ivan@ПРИМЕР.РФ",
        "ivan@Пример.Рф",
    ],
)
@pytest.mark.parametrize("received", ["Ivan@xn--e1afmkfd.xn--p1ai", "ivan@ПРИМЕР.рф"])
def test_idna_domains_match_in_either_spelling_and_any_case(stored, received):
    ivan = PersonFactory(email=stored)
    PersonFactory(email="ivan@example.com")

    found = contacts_for_addresses([received], match_company_domains=False)

    assert found == {"ivan@пример.рф": [ivan.id]}


def test_every_contact_sharing_an_address_is_matched():
    first = PersonFactory(email="shared@northwind.example")
    second = PersonFactory(email="SHARED@northwind.example")
    found = contacts_for_addresses(["shared@northwind.example"], match_company_domains=False)
    assert found == {"shared@northwind.example": sorted([first.id, second.id])}


def test_an_unknown_address_matches_the_company_of_its_domain_only_when_asked(northwind):
    company, _anna = northwind

    assert contacts_for_addresses(["boris@northwind.example"], match_company_domains=False) == {
        "boris@northwind.example": []
    }
    assert contacts_for_addresses(["boris@NORTHWIND.example"], match_company_domains=True) == {
        "boris@northwind.example": [company.id]
    }


def test_a_person_who_matches_is_preferred_to_the_company_of_the_domain(northwind):
    _company, anna = northwind
    found = contacts_for_addresses(["anna.petrova@northwind.example"], match_company_domains=True)
    assert found == {"anna.petrova@northwind.example": [anna.id]}


def test_a_company_is_found_by_the_domain_of_its_persons_too():
    company = CompanyFactory(name="Contoso", email="")
    PersonFactory(company=company, email="lena@contoso.example")
    PersonFactory(company=None, email="freelancer@independent.example")

    found = contacts_for_addresses(["boss@contoso.example", "other@independent.example"], match_company_domains=True)

    assert found == {"boss@contoso.example": [company.id], "other@independent.example": []}


def test_a_free_mail_domain_never_matches_a_company(settings):
    sole_trader = CompanyFactory(name="Sole trader", email="soletrader@gmail.com")
    CompanyFactory(name="Yandex user", email="shop@Yandex.ru")
    own = CompanyFactory(name="Own domain", email="office@own.example")

    found = contacts_for_addresses(
        ["stranger@gmail.com", "stranger@yandex.ru", "stranger@own.example", "soletrader@gmail.com"],
        match_company_domains=True,
    )
    assert found == {
        "stranger@gmail.com": [],
        "stranger@yandex.ru": [],
        "stranger@own.example": [own.id],
        "soletrader@gmail.com": [sole_trader.id],  # the full address still matches
    }

    settings.INTERACTIONS_MAIL_FREE_DOMAINS = ["Own.Example"]
    found = contacts_for_addresses(["stranger@own.example", "stranger@gmail.com"], match_company_domains=True)
    assert found == {"stranger@own.example": [], "stranger@gmail.com": [sole_trader.id]}


def test_company_domains_match_in_idna_spellings():
    company = CompanyFactory(name="Пример", email="info@XN--E1AFMKFD.xn--p1ai")
    found = contacts_for_addresses(["director@пример.рф"], match_company_domains=True)
    assert found == {"director@пример.рф": [company.id]}


def test_a_domain_that_only_ends_like_a_companys_does_not_match():
    CompanyFactory(name="Northwind", email="office@northwind.example")
    found = contacts_for_addresses(
        ["someone@mail.northwind.example", "someone@northwind.example.evil"], match_company_domains=True
    )
    assert found == {"someone@mail.northwind.example": [], "someone@northwind.example.evil": []}


def test_many_addresses_are_matched_in_two_queries(django_assert_num_queries):
    companies = [CompanyFactory(email=f"office@company{number}.example") for number in range(30)]
    persons = [
        PersonFactory(company=company, email=f"buyer@company{number}.example")
        for number, company in enumerate(companies)
    ]
    asked = [f"buyer@company{number}.example" for number in range(30)]
    asked += [f"unknown@company{number}.example" for number in range(30)]
    asked += [f"ivan{number}@пример.рф" for number in range(30)]

    with django_assert_num_queries(2):
        found = contacts_for_addresses(asked, match_company_domains=True)
    assert [found[f"buyer@company{number}.example"] for number in range(30)] == [[p.id] for p in persons]
    assert [found[f"unknown@company{number}.example"] for number in range(30)] == [[c.id] for c in companies]

    with django_assert_num_queries(1):
        contacts_for_addresses(asked, match_company_domains=False)
    with django_assert_num_queries(0):
        assert contacts_for_addresses([], match_company_domains=True) == {}


def test_salespeople_are_found_in_one_query(django_assert_num_queries):
    people = [SalespersonFactory(code=f"S{number:02d}", email=f"s{number}@ourcompany.example") for number in range(20)]
    with django_assert_num_queries(1):
        found = salespeople_for_addresses([f"S{number}@ourcompany.example" for number in range(20)] + ["x@y.example"])
    assert found == {f"s{number}@ourcompany.example": person.id for number, person in enumerate(people)}


def test_salespeople_are_found_by_their_address():
    smirnov = SalespersonFactory(code="SS", email="S.Smirnov@OurCompany.example")
    petrov = SalespersonFactory(code="IP", email="ip@xn--e1afmkfd.xn--p1ai")
    SalespersonFactory(code="NOMAIL", email="")

    assert salesperson_for_address("s.smirnov@ourcompany.example") == smirnov.id
    assert salesperson_for_address("IP@пример.рф") == petrov.id
    assert salesperson_for_address("customer@northwind.example") is None
    assert salesperson_for_address("") is None
    assert salespeople_for_addresses(["s.smirnov@ourcompany.example", "ip@ПРИМЕР.РФ", "x@y.example"]) == {
        "s.smirnov@ourcompany.example": smirnov.id,
        "ip@пример.рф": petrov.id,
    }


def plans(run) -> str:
    """The plans of the queries `run` makes, sequential scans discouraged (the test's tables
    are tiny): an index the query can use shows in its plan."""
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        run()
        found = []
        with connection.cursor() as cursor:
            for query in queries.captured_queries:
                if query["sql"].startswith("SELECT"):
                    cursor.execute("EXPLAIN " + query["sql"])
                    found += [row[0] for row in cursor.fetchall()]
    return "\n".join(found)


def test_the_lookups_use_the_email_indexes_on_postgresql(postgresql):
    CompanyFactory(email="office@northwind.example")
    PersonFactory(email="ivan@пример.рф")

    plan = plans(lambda: contacts_for_addresses(["ivan@ПРИМЕР.РФ", "x@northwind.example"], match_company_domains=True))

    # Each lookup reads an index on the e-mail's expression: contact_email_upper_idx, or the
    # search's trigram index on the same UPPER(email) (contacts/0004), which serves equality
    # too; which one the planner takes on a tiny table is its choice. Never the whole table.
    assert "Seq Scan on contacts_contact" not in plan, plan
    assert "contact_email_upper_idx" in plan or "contact_email_trgm" in plan, plan
    assert "contact_email_domain_idx" in plan, plan


def test_a_lookup_of_hundreds_of_addresses_reads_the_btree_not_the_search_trigrams(postgresql):
    # A small CRM's contacts, analyzed: with a plain IN list of a few hundred spellings the
    # planner took the search's trigram index on the same UPPER(email) (contact_email_trgm),
    # seconds for one batch of captured mail where the B-tree takes milliseconds.
    from crm.contacts.models import Contact

    Contact.objects.bulk_create(
        Contact(
            number=f"T{n:06d}", type=Contact.Type.PERSON, name=f"Customer {n}", email=f"customer{n}@c{n % 97}.example"
        )
        for n in range(2000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contacts_contact")
    addresses = [f"customer{n}@c{n % 97}.example" for n in range(0, 2000, 10)]

    with CaptureQueriesContext(connection) as queries:
        found = contacts_for_addresses(addresses, match_company_domains=False)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + queries.captured_queries[0]["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert all(len(ids) == 1 for ids in found.values()) and len(found) == 200
    assert "contact_email_trgm" not in plan, plan
