"""The Django admin's list of log entries: the log without its postponed entries (those
have a list of their own), no date hierarchy, no count of the whole table, the same number
of queries however many rows, a search served by the log's indexes (on PostgreSQL the
plan reads no table whole)."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from interactions.admin import CappedCountPaginator

from .factories import InteractionCommentFactory, InteractionLogEntryFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:interactions_interactionlogentry_changelist")
POSTPONED = reverse("admin:interactions_postponedinteraction_changelist")
LOG_TABLE = "interactions_interactionlogentry"


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def listed(response) -> set[int]:
    return {entry.entry_no for entry in response.context["cl"].result_list}


def test_the_log_entries_leave_out_postponed_ones_which_have_their_own_list(admin_client):
    logged = InteractionLogEntryFactory()
    postponed = InteractionLogEntryFactory(postponed=True)
    response = admin_client.get(CHANGELIST)
    assert listed(response) == {logged.entry_no}
    assert response.context["cl"].date_hierarchy is None
    assert listed(admin_client.get(POSTPONED)) == {postponed.entry_no}
    assert (
        admin_client.get(reverse("admin:interactions_interactionlogentry_change", args=[logged.pk])).status_code == 200
    )


def test_the_search_finds_words_entry_numbers_contact_numbers_and_document_numbers(admin_client):
    person = PersonFactory()
    by_word = InteractionLogEntryFactory(description="Warehouse visit")
    by_comment = InteractionLogEntryFactory(description="Call")
    InteractionCommentFactory(entry=by_comment, text="warehouse keys")
    by_contact = InteractionLogEntryFactory(contact=person, description="Letter")
    by_document = InteractionLogEntryFactory(document_type="sales_invoice", document_number="INV-31337")
    InteractionLogEntryFactory(description="Warehouse draft", postponed=True)
    assert listed(admin_client.get(CHANGELIST, {"q": "warehouse"})) == {by_word.entry_no, by_comment.entry_no}
    assert by_contact.entry_no in listed(admin_client.get(CHANGELIST, {"q": person.number.lower()}))
    assert listed(admin_client.get(CHANGELIST, {"q": str(by_document.entry_no)})) >= {by_document.entry_no}
    assert listed(admin_client.get(CHANGELIST, {"q": "31337"})) == {by_document.entry_no}


def test_the_changelist_runs_the_same_queries_for_10_and_40_entries_and_never_counts_the_table(admin_client):
    def queries_for(count, parameters):
        InteractionLogEntryFactory.create_batch(count - InteractionLogEntryFactory._meta.model.objects.count())
        with CaptureQueriesContext(connection) as context:
            response = admin_client.get(CHANGELIST, parameters)
        assert response.status_code == 200
        return [query["sql"] for query in context.captured_queries]

    for parameters in ({}, {"q": "call"}, {"canceled__exact": "0"}):
        ten, forty = queries_for(10, parameters), queries_for(40, parameters)
        assert len(ten) == len(forty), parameters
        counts = [sql for sql in forty if "COUNT(" in sql.upper()]
        # At most one count, of at most CAP rows (a LIMIT inside it), never one of the whole
        # table (a search that matches nothing needs none).
        assert len(counts) <= 1 and all(f"LIMIT {CappedCountPaginator.CAP}" in sql for sql in counts), counts


def test_the_changelist_reads_the_log_through_its_indexes(postgresql, admin_client):
    person = PersonFactory()
    InteractionLogEntryFactory(contact=person, description="Warehouse visit", document_number="INV-31337")
    InteractionLogEntryFactory.create_batch(3)
    failures = {}
    for parameters in ({}, {"q": "warehouse"}, {"q": person.number}, {"q": "31337"}, {"canceled__exact": "1"}):
        with CaptureQueriesContext(connection) as context:
            assert admin_client.get(CHANGELIST, parameters).status_code == 200
        for sql in (query["sql"] for query in context.captured_queries):
            if f'FROM "{LOG_TABLE}"' not in sql:
                continue
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
                plan = cursor.fetchone()[0]
            plan = json.dumps(plan) if not isinstance(plan, str) else plan
            if '"Seq Scan"' in plan and f'"Relation Name": "{LOG_TABLE}"' in plan:
                failures[f"{parameters}: {sql[:200]}"] = plan
    assert failures == {}


def test_a_search_with_few_matches_reads_them_by_their_entry_numbers_newest_first(admin_client):
    import datetime

    today = datetime.date.today()
    found = [
        InteractionLogEntryFactory(description="Quetzal fair", date=today - datetime.timedelta(days=days))
        for days in (5, 1, 9)
    ]
    InteractionLogEntryFactory.create_batch(3, description="Call")
    with CaptureQueriesContext(connection) as context:
        response = admin_client.get(CHANGELIST, {"q": "quetzal"})
    rows = [entry.entry_no for entry in response.context["cl"].result_list]
    assert rows == [found[1].entry_no, found[0].entry_no, found[2].entry_no]
    # The rows' query names the few matches (their estimate exact: contacts joined by index
    # at 10M entries, not hashed whole for a guessed 0.5 % of the log).
    page_query = [query["sql"] for query in context.captured_queries if query["sql"].endswith('"entry_no" DESC')]
    assert page_query and '"entry_no" IN (' in page_query[0], page_query
