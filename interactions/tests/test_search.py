"""The module in the search (crm/search): its pages and actions found by their English and
Russian names and by the original's names (NAV), its records by number, description or
code, each only for those who may open it."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .factories import (
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    LoggedSegmentFactory,
    SegmentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SUGGESTIONS = "/search/suggestions/"
LOG = "/interactions/log/"
PURGE = "/interactions/purge/"


def found(client, text: str, *, prefix: str = "") -> list[dict]:
    response = client.get(prefix + SUGGESTIONS, {"q": text})
    assert response.status_code == 200, text
    return response.json()["results"]


def urls(results: list[dict]) -> list[str]:
    return [result["url"] for result in results]


def pages(results: list[dict]) -> list[str]:
    return [result["url"] for result in results if result["kind"] in ("page", "action")]


# --- Pages and actions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "журналы взаимодействий",  # the original's Russian help: "Поиск страницы или отчета"
        "Журнал взаимодействий",
        "журнал операций взаимодействия",  # the original's Russian page names
        "операции журнала взаимодействий",
        "interaction log entries",  # the original's English page name
        "Interaction Log",
        "log",
        "журнал",
    ],
)
def test_the_log_is_found_first_by_its_names_and_the_originals(sales_client, text):
    assert pages(found(sales_client, text))[0] == LOG


@pytest.mark.parametrize(
    "text",
    [
        "удалить отмененные",
        "Удалить отменённые операции журнала взаимодействий",
        "удалить отмененные операции журналов взаимодействий",  # as the original's help spells it
        "Delete Canceled Interaction Log Entries",
        "delete canceled",
        "purge",
    ],
)
def test_sales_managers_find_the_purge_by_its_names_and_the_originals(manager_client, text):
    assert pages(found(manager_client, text))[0] == PURGE


@pytest.mark.parametrize("text", ["удалить отмененные", "Delete Canceled Interaction Log Entries", "purge", "log"])
def test_sales_staff_are_not_offered_the_purge(sales_client, text):
    assert PURGE not in urls(found(sales_client, text))
    assert PURGE not in sales_client.get("/search/", {"q": text}).content.decode()


def test_the_russian_pages_show_russian_names_and_russian_addresses(sales_client):
    results = found(sales_client, "interaction log entries", prefix="/ru")
    assert (results[0]["title"], results[0]["url"]) == ("Журнал взаимодействий", "/ru/interactions/log/")


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("new interaction", "/interactions/new/"),
        ("создать взаимодействие", "/interactions/new/"),
        ("отложенные", "/interactions/postponed/"),
        ("сегменты", "/interactions/segments/"),
        ("new segment", "/interactions/segments/#segment-create"),
        ("logged segments", "/interactions/logged-segments/"),
        ("зарегистрированные сегменты", "/interactions/logged-segments/"),
        ("шаблоны взаимодействия", "/interactions/templates/"),
        ("interaction template setup", "/interactions/setup/"),
        ("настройка шаблонов", "/interactions/setup/"),
        ("группы взаимодействий", "/interactions/groups/"),
        ("продавцы", "/interactions/salespeople/"),
    ],
)
def test_every_page_of_the_menu_is_found(sales_client, text, url):
    assert pages(found(sales_client, text))[0] == url


def test_actions_are_offered_to_those_who_may_do_them(sales_client, client):
    assert "/interactions/templates/new/" not in urls(found(sales_client, "new interaction template"))
    client.force_login(UserFactory(username="setup-admin", groups=["Administrator"]))
    assert pages(found(client, "new interaction template"))[0] == "/interactions/templates/new/"


def test_the_results_page_marks_actions(manager_client):
    page = manager_client.get("/search/", {"q": "удалить отмененные"}).content.decode()
    assert f'href="{PURGE}"' in page and "Action" in page


# --- Log entries ---------------------------------------------------------------------------


def test_a_log_entry_is_found_by_its_number(sales_client):
    entry = InteractionLogEntryFactory(description="Discussed the offer")
    results = found(sales_client, str(entry.entry_no))
    entry_results = [result for result in results if result["kind"] == "log-entries"]
    assert [(result["url"], result["title"]) for result in entry_results] == [
        (entry.get_absolute_url(), f"Interaction log entry {entry.entry_no}")
    ]
    assert "Discussed the offer" in entry_results[0]["detail"]
    assert entry.get_absolute_url() in urls(found(sales_client, f"#{entry.entry_no}"))


def test_postponed_interactions_are_found_by_their_owner_and_managers_only(sales_client, sales_user, manager_user):
    manager_client = Client()
    manager_client.force_login(manager_user)
    other = UserFactory(username="other-sales", groups=["Sales staff"])
    own = InteractionLogEntryFactory(postponed=True, user=sales_user)
    others = InteractionLogEntryFactory(postponed=True, user=other)
    resume = lambda entry: reverse("interactions:postponed-resume", args=[entry.entry_no])  # noqa: E731

    assert resume(own) in urls(found(sales_client, str(own.entry_no)))
    assert found(sales_client, str(others.entry_no)) == []
    assert resume(others) in urls(found(manager_client, str(others.entry_no)))
    assert sales_client.get(resume(own)).status_code == 200


def test_users_without_the_log_permission_find_no_entries(client):
    entry = InteractionLogEntryFactory()
    client.force_login(UserFactory(username="outsider"))
    assert found(client, str(entry.entry_no)) == []


# --- Segments, logged segments, templates --------------------------------------------------


def test_a_segment_is_found_by_its_number_and_by_a_part_of_its_description(sales_client):
    segment = SegmentFactory(description="Spring mailing to partners")
    url = reverse("interactions:segment-detail", args=[segment.number])
    assert url in urls(found(sales_client, segment.number.lower()))
    assert url in urls(found(sales_client, "mailing"))


def test_a_logged_segment_is_found_by_its_number_and_description(sales_client):
    logged = LoggedSegmentFactory(description="Autumn newsletter", segment_number="SM00077")
    url = f"{LOG}?logged_segment={logged.pk}"
    assert url in urls(found(sales_client, str(logged.pk)))
    assert url in urls(found(sales_client, "newsletter"))
    assert url in urls(found(sales_client, "sm00077"))
    assert sales_client.get(url).status_code == 200


def test_a_template_is_found_by_its_code(sales_client):
    template = InteractionTemplateFactory(code="MEMO", description="Internal memo")
    InteractionTemplateFactory(code="BUS", description="Business letter")
    results = [result for result in found(sales_client, "memo") if result["kind"] == "templates"]
    assert [(result["title"], result["url"]) for result in results] == [
        ("MEMO", reverse("interactions:template-detail", args=[template.code]))
    ]


# --- Speed ---------------------------------------------------------------------------------


def test_a_search_runs_at_most_one_query_per_kind_of_record(manager_client):
    for index in range(6):
        entry = InteractionLogEntryFactory(description=f"Entry {index}")
        SegmentFactory(description=f"Segment 1{index}")
        LoggedSegmentFactory(description=f"Logged 1{index}")
        InteractionTemplateFactory(code=f"T1{index}", description=f"Template 1{index}")
    number = str(entry.entry_no)
    manager_client.get(SUGGESTIONS, {"q": "warm-up"})
    with CaptureQueriesContext(connection) as queries:
        results = found(manager_client, number)
    assert {result["kind"] for result in results} >= {"log-entries"}
    tables = [
        "contacts_contact",
        "contacts_campaign",
        "documents_document",
        "interactions_interactionlogentry",
        "interactions_segment",
        "interactions_loggedsegment",
        "interactions_interactiontemplate",
    ]
    for table in tables:
        assert len([q for q in queries.captured_queries if f'FROM "{table}"' in q["sql"]]) <= 1, table
    # The session, the user, their permissions (two) and one query per kind at most.
    assert len(queries) <= 4 + len(tables)


# --- PostgreSQL: the trigram indexes serve the search ------------------------------------


def test_segments_and_logged_segments_are_searched_through_their_trigram_indexes_on_postgresql(postgresql, sales_user):
    from crm.tests.test_search import plans_of
    from interactions.selectors.search import find_logged_segments, find_segments

    SegmentFactory(description="Spring mailing")
    LoggedSegmentFactory(description="Spring mailing")
    segments = plans_of(find_segments, "mailing", sales_user)
    assert "segment_number_trgm" in segments and "segment_description_trgm" in segments
    assert "logged_segment_description_trgm" in plans_of(find_logged_segments, "mailing", sales_user)
