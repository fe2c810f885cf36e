"""The search of the host (crm/search): its pages, contacts and documents, found by what
users type, for those who may open them. Passes without the interactions module too
(`CRM_WITHOUT_APPS=interactions pytest crm`); the module's pages and records are tested in
interactions/tests/test_search.py, the whole endpoint with hypothesis in tests/."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.contacts.tests.factories import CampaignFactory, CompanyFactory, PersonFactory, UserFactory
from crm.documents.tests.factories import DocumentFactory
from crm.search import MAX_LENGTH, Query, match_score, normalize

pytestmark = pytest.mark.django_db

SUGGESTIONS = "/search/suggestions/"


@pytest.fixture
def sales_client(client):
    client.force_login(UserFactory(username="searcher", groups=["Sales staff"]))
    return client


def found(client, text: str, *, path: str = SUGGESTIONS) -> list[dict]:
    response = client.get(path, {"q": text})
    assert response.status_code == 200, text
    return response.json()["results"]


def urls(results: list[dict]) -> list[str]:
    return [result["url"] for result in results]


# --- Pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["contacts", "CONTACTS", "cont", "Контакты", "контакт", "список контактов"])
def test_the_contact_list_is_found_by_its_english_and_russian_names(sales_client, text):
    assert reverse("contacts:list") in urls(found(sales_client, text))


def test_pages_are_named_in_the_language_of_the_page(sales_client):
    results = found(sales_client, "документы", path="/ru" + SUGGESTIONS)
    assert [(result["title"], result["url"]) for result in results] == [("Документы", "/ru/documents/")]


def test_administration_is_offered_to_staff_only(client):
    client.force_login(UserFactory(username="clerk", groups=["Sales manager"]))
    assert reverse("admin:index") not in urls(found(client, "administration"))
    client.force_login(UserFactory(username="boss", groups=["Administrator"], is_staff=True))
    assert reverse("admin:index") in urls(found(client, "administration"))


def test_a_user_without_groups_finds_no_contacts_and_no_documents(client):
    PersonFactory(name="Hidden Person")
    client.force_login(UserFactory(username="nobody"))
    assert found(client, "contacts") == []
    assert found(client, "Hidden") == []
    assert urls(found(client, "dashboard")) == [reverse("home")]


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(SUGGESTIONS, {"q": "contacts"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- Contacts ------------------------------------------------------------------------------


def test_a_contact_is_found_by_a_part_of_its_name_in_any_case(sales_client):
    person = PersonFactory(name="Иванов Пётр Сергеевич")
    PersonFactory(name="Smith John")
    for text in ("иванов", "ИВАНОВ", "пётр серг", "Сергеевич"):
        assert urls(found(sales_client, text)) == [person.get_absolute_url()], text


def test_a_contact_is_found_by_its_number_in_any_case_and_by_its_e_mail(sales_client):
    person = PersonFactory(name="Anna Lee", email="anna.lee@northwind.example")
    assert found(sales_client, person.number.lower())[0]["url"] == person.get_absolute_url()
    assert urls(found(sales_client, "northwind")) == [person.get_absolute_url()]
    assert found(sales_client, "northwind")[0]["detail"].startswith(person.number)


@pytest.mark.parametrize("text", ["495123", "495 123", "(495) 123-45", "+7 495 1234567", "1234567", "916 555"])
def test_a_contact_is_found_by_the_digits_of_its_phone_however_written(sales_client, text):
    person = PersonFactory(name="Phone Person", phone="+7 (495) 123-45-67", mobile="8 916 555-12-12")
    PersonFactory(name="Other Person", phone="+44 20 7946 0000", mobile="")
    assert urls(found(sales_client, text)) == [person.get_absolute_url()]


def test_a_phone_search_does_not_run_from_the_phone_into_the_mobile_number(sales_client):
    PersonFactory(name="Phone Person", phone="+7 495 111", mobile="222 333")
    assert found(sales_client, "111222") == []


def test_the_contact_with_exactly_the_number_typed_comes_first(sales_client):
    company = CompanyFactory(name="CT000042 Holdings")
    PersonFactory(name="Somebody", company=company, number="CT000042")
    results = found(sales_client, "ct000042")
    assert [result["title"] for result in results] == ["Somebody", "CT000042 Holdings"]


def test_short_queries_find_a_contact_by_its_exact_number_only(sales_client):
    PersonFactory(name="Xy Ab")
    exact = PersonFactory(name="Numbered", number="XY")
    assert urls(found(sales_client, "xy")) == [exact.get_absolute_url()]


def test_at_most_five_contacts_are_suggested_and_twenty_listed(sales_client):
    for index in range(25):
        PersonFactory(name=f"Petrov {index:02d}")
    assert len(found(sales_client, "petrov")) == 5
    response = sales_client.get("/search/", {"q": "petrov"})
    assert response.content.decode().count('href="/contacts/CT') == 20


# --- Documents -----------------------------------------------------------------------------


def test_a_document_is_found_by_a_part_of_its_number(sales_client):
    document = DocumentFactory()
    other = DocumentFactory()
    results = found(sales_client, document.number.lower())
    assert urls(results)[0] == document.get_absolute_url()
    assert str(document.number) in results[0]["title"]
    assert set(urls(found(sales_client, "INV0"))) >= {document.get_absolute_url(), other.get_absolute_url()}


# --- The results page without JavaScript ---------------------------------------------------


def test_the_results_page_lists_pages_and_records_as_links(sales_client):
    person = PersonFactory(name="Contact Contactson")
    response = sales_client.get("/search/", {"q": "contact"})
    page = response.content.decode()
    assert response.status_code == 200
    assert f'href="{reverse("contacts:list")}"' in page
    assert f'href="{person.get_absolute_url()}"' in page
    assert "Contact Contactson" in page


def test_the_results_page_says_when_nothing_is_found(sales_client):
    response = sales_client.get("/search/", {"q": "zzqqxx"})
    assert response.status_code == 200
    assert "Nothing found for “zzqqxx”." in response.content.decode()


def test_the_navigation_bar_has_the_search_box(sales_client):
    page = sales_client.get("/").content.decode()
    assert 'id="search-input"' in page and 'action="/search/"' in page
    assert "crm/search.js" in page


# --- Whatever is typed ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "%",
        "_",
        "\\",
        "'",
        '"; DROP TABLE contacts_contact; --',
        "%%%___",
        "😀",
        "x" * 10_000,
        "\ufffd\u202e",
        "999999999999999999",  # a record number as large as one can be
        "9223372036854775808",  # too large to be one
        "#0",
    ],
)
def test_any_query_answers_200(sales_client, text):
    PersonFactory(name="Anybody")
    assert sales_client.get(SUGGESTIONS, {"q": text}).status_code == 200
    assert sales_client.get("/search/", {"q": text}).status_code == 200


def test_a_nul_character_is_a_bad_request_not_an_error(sales_client):
    assert sales_client.get(SUGGESTIONS, {"q": "a\x00b"}).status_code == 400


def test_wildcards_are_searched_as_themselves(sales_client):
    percent = PersonFactory(name="Hundred % Ltd")
    PersonFactory(name="Hundred Ltd")
    assert urls(found(sales_client, "d % l")) == [percent.get_absolute_url()]


def test_a_long_query_is_cut_to_the_maximum_length():
    query = Query.parse("a" * 1000)
    assert query.text == "a" * MAX_LENGTH


def test_post_is_not_allowed(sales_client):
    assert sales_client.post(SUGGESTIONS, {"q": "x"}).status_code == 405


# --- Speed ---------------------------------------------------------------------------------


def test_a_search_runs_one_query_per_kind_of_record(sales_client):
    for index in range(10):
        PersonFactory(name=f"Kowalski {index}", phone=f"+48 22 100 {index:04d}")
        DocumentFactory(description=f"Kowalski {index}")
    sales_client.get(SUGGESTIONS, {"q": "warm-up"})  # the session and permissions cached
    with CaptureQueriesContext(connection) as queries:
        results = found(sales_client, "kowalski")
    contact_queries = [q for q in queries.captured_queries if 'FROM "contacts_contact"' in q["sql"]]
    document_queries = [q for q in queries.captured_queries if 'FROM "documents_document"' in q["sql"]]
    assert len(contact_queries) == 1 and len(document_queries) == 1
    assert len([result for result in results if result["group"] == "Contacts"]) == 5


# --- Matching names ------------------------------------------------------------------------


def test_names_are_compared_without_case_accents_and_yo():
    assert normalize("Отменённые  ОПЕРАЦИИ, журнала!") == "отмененные операции журнала"
    assert normalize("Café-Log") == "cafe log"
    assert normalize("Йошкар-Ола") == "йошкар ола"


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("журналы", True),  # the plural of "журнал"
        ("журнала взаимодействия", True),  # other endings of both words
        ("журн", True),  # the beginning of a word
        ("журавль", False),
        ("взаимо", True),
        ("отношения", False),
    ],
)
def test_russian_words_match_with_other_endings(text, matches):
    from crm.search import Destination

    destination = Destination(url_name="home", name="Log", kind="page", keywords=("Журнал взаимодействий",))
    assert bool(match_score(destination, Query.parse(text))) is matches


# --- PostgreSQL: the trigram indexes serve the search ------------------------------------


def plans_of(find, text: str, user) -> str:
    """The plans of the queries `find` runs for `text`, sequential scans discouraged (the
    test's tables are tiny): an index the query can use shows in its plan."""
    from django.db import transaction

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        find(Query.parse(text), user=user, limit=5)
        plans = []
        with connection.cursor() as cursor:
            for query in queries.captured_queries:
                if "SELECT" in query["sql"] and "auth_" not in query["sql"]:
                    cursor.execute("EXPLAIN " + query["sql"])
                    plans += [row[0] for row in cursor.fetchall()]
    return "\n".join(plans)


def test_contacts_are_searched_through_their_trigram_indexes_on_postgresql(postgresql):
    from crm.contacts.search import find_contacts

    user = UserFactory(username="planner", groups=["Sales staff"])
    PersonFactory(name="Trigram Person", phone="+7 (495) 123-45-67", email="trigram@example.com")
    plans = plans_of(find_contacts, "Trigram", user)
    for index in ("contact_name_trgm", "contact_email_trgm", "contact_number_trgm"):
        assert index in plans
    assert "contact_phone_digits_trgm" in plans_of(find_contacts, "495 123", user)


def test_documents_are_searched_through_their_trigram_index_on_postgresql(postgresql):
    from crm.documents.search import find_documents

    user = UserFactory(username="planner", groups=["Sales staff"])
    DocumentFactory()
    assert "document_number_trgm" in plans_of(find_documents, "INV0", user)


# --- Campaigns -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["campaigns", "Кампании", "список кампаний"])
def test_the_campaign_list_is_found_by_its_english_and_russian_names(sales_client, text):
    assert reverse("contacts:campaigns") in urls(found(sales_client, text))


def test_a_campaign_is_found_by_its_number_in_any_case_and_a_part_of_its_description(sales_client):
    campaign = CampaignFactory(description="Spring fair 2027")
    CampaignFactory(description="Autumn mailing")
    for text in (campaign.number.lower(), "spring", "FAIR 20"):
        assert urls(found(sales_client, text)) == [campaign.get_absolute_url()], text


def test_a_user_without_groups_finds_no_campaigns(client):
    CampaignFactory(description="Secret launch")
    client.force_login(UserFactory(username="outsider"))
    assert found(client, "Secret launch") == []
    assert found(client, "campaigns") == []
