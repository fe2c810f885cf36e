"""Every filter and every sort of the log page is served by an index on PostgreSQL: the
query that reads a page's entry numbers never scans the log table, and, ordered by the
page's sort, never sorts it (the index gives the order, so a page reads only its rows).

The cases are derived from the page itself: every sortable column of InteractionLogTable
(both directions) and every filter of InteractionLogFilter, each requested through the
page, whose own query is captured and explained. A filter or sort added to the page without
an index fails here; so does one without a sample value below (add one).

How the plans are judged: with `enable_seqscan = off` and `enable_sort = off`, on a few
thousand entries. A test table of millions of rows would take minutes to build, and on a
small table the planner rightly prefers a sequential scan and a sort of a few hundred rows,
so "no Seq Scan at natural costs" would say nothing about the indexes. With both priced
out (not forbidden), the planner still falls back to them when no index fits, which is
what this test catches; it also checks that the index used is the filter's own (the
filtered column in the index condition), not the date index read whole with the filter
applied row by row. What the planner picks at natural costs on 1M entries is measured,
with each plan, by bench/log_plans.py (no sequential scan, no sort there either).
"""

import datetime
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.documents.types import DocumentType
from interactions.filters import InteractionLogFilter
from interactions.models import Evaluation, InformationFlow, InteractionLogEntry
from interactions.selectors import log as selectors_log
from interactions.tables.log import InteractionLogTable

from .factories import (
    CampaignFactory,
    CompanyFactory,
    InteractionCommentFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    LoggedSegmentFactory,
    PersonFactory,
    SalespersonFactory,
)

pytestmark = pytest.mark.django_db
LOG = reverse("interactions:log")
LOG_TABLE = InteractionLogEntry._meta.db_table
COPIES = 300  # entries per sample entry: about 4,000 in all


@pytest.fixture
def sample_log(postgresql):
    """One entry per filtered value, each copied COPIES times over two years, and one
    filter value per filter of the page."""
    company = CompanyFactory()
    person = PersonFactory(company=company)
    template = InteractionTemplateFactory()
    salesperson = SalespersonFactory()
    campaign = CampaignFactory()
    logged_segment = LoggedSegmentFactory()
    day = datetime.date(2026, 3, 10)
    InteractionLogEntryFactory(contact=person, contact_company=company, date=day)
    InteractionLogEntryFactory(template=template, group=template.group, date=day)
    InteractionLogEntryFactory(salesperson=salesperson, date=day)
    InteractionLogEntryFactory(campaign=campaign, date=day)
    InteractionLogEntryFactory(segment_number="SM00042", logged_segment=logged_segment, date=day)
    InteractionLogEntryFactory(canceled=True, date=day)
    InteractionLogEntryFactory(document_type=DocumentType.SALES_INVOICE, document_number="INV-00017", date=day)
    InteractionLogEntryFactory(evaluation=Evaluation.NEGATIVE, date=day)
    InteractionLogEntryFactory(information_flow=InformationFlow.INBOUND, date=day)
    InteractionLogEntryFactory(description="Quarterly contract renewal", date=day)
    InteractionLogEntryFactory(postponed=True, date=day)
    InteractionCommentFactory(entry=InteractionLogEntryFactory(date=day), text="warehouse visit")
    columns = [
        field.column
        for field in InteractionLogEntry._meta.concrete_fields
        if field.column not in ("entry_no", "date", "cost", "duration")
    ]
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {LOG_TABLE} ({names}, date, cost, duration) "
            f"SELECT {names}, date - (copy * 7 %% 730), copy %% 37, copy %% 53 "
            f"FROM {LOG_TABLE}, generate_series(1, %s) AS copy",
            [COPIES],
        )
        # A settled table, as autovacuum leaves it: the GIN indexes' pending lists merged
        # (the planner prices a long pending list as a read of all of it) and statistics.
        cursor.execute("SELECT gin_clean_pending_list('log_search_document_idx'::regclass)")
        cursor.execute("SELECT gin_clean_pending_list('log_document_number_trgm'::regclass)")
        cursor.execute(f"ANALYZE {LOG_TABLE}")
    return {
        "q": "contract",
        "contact": person.number,
        "contact_company": company.number,
        "salesperson": salesperson.pk,
        "template": template.pk,
        "group": template.group_id,
        "campaign": campaign.pk,
        "segment": "SM00042",
        "logged_segment": logged_segment.pk,
        "date_from": "2026-01-01",
        "date_to": "2025-01-01",
        "document_type": DocumentType.SALES_INVOICE.value,
        "evaluation": Evaluation.NEGATIVE.value,
        "information_flow": InformationFlow.INBOUND.value,
        "canceled": "true",
    }


# The log's column each filter compares (what the index condition must name); the text
# search names the entry's search document, or the document number's trigram index.
FILTERED_COLUMN = {
    "q": "search_document",
    "contact": "contact_id",
    "contact_company": "contact_company_id",
    "salesperson": "salesperson_id",
    "template": "template_id",
    "group": "group_id",
    "campaign": "campaign_id",
    "segment": "segment_number",
    "logged_segment": "logged_segment_id",
    "date_from": "date",
    "date_to": "date",
    "document_type": "document_type",
    "evaluation": "evaluation",
    "information_flow": "information_flow",
    # A boolean: a partial index of canceled entries on (date, entry no.), the log's own
    # (canceled and not postponed) or the purge's (canceled); the planner takes either.
    "canceled": "log_canceled_date_idx|log_canceled_idx",
}


def page_query(client, parameters: dict) -> str:
    """The SQL of the page's query for its entry numbers (the deferred join's first step)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LOG, parameters)
    assert response.status_code == 200, parameters
    assert response.context["table"].page.object_list, f"the sample data has no row for {parameters}"
    selects = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith(f'SELECT "{LOG_TABLE}"."entry_no" AS "pk" FROM')
        and query["sql"].rstrip().split(" LIMIT ")[-1].split(" OFFSET ")[0].isdigit()
        # not the search's probe for its few matches (selectors.log.few_match_numbers)
        and not query["sql"].rstrip().endswith(f" LIMIT {selectors_log.FEW_MATCHES}")
    ]
    assert len(selects) == 1, selects
    return selects[0]


def plan_of(sql: str) -> list[dict]:
    """The plan's nodes (EXPLAIN as JSON, flattened), sequential scans and sorts priced out."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        (plan,) = cursor.fetchone()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes, pending = [], [plan[0]["Plan"]]
    while pending:
        node = pending.pop()
        nodes.append(node)
        pending.extend(node.get("Plans", []))
    return nodes


def describe(nodes: list[dict]) -> str:
    return "; ".join(
        " ".join(str(node.get(key, "")) for key in ("Node Type", "Index Name", "Index Cond", "Recheck Cond", "Filter"))
        for node in nodes
    )


def log_scans(nodes: list[dict]) -> list[dict]:
    return [node for node in nodes if node.get("Relation Name") == LOG_TABLE or node.get("Index Name")]


def sortable_columns() -> list[str]:
    return [column.name for column in InteractionLogTable([]).columns if column.orderable]


def test_the_page_offers_the_sorts_and_filters_this_test_knows(postgresql):
    assert set(InteractionLogFilter.base_filters) == set(FILTERED_COLUMN)
    assert sortable_columns(), "the log has sortable columns"


def test_every_sort_of_the_log_reads_an_index_in_its_order(sales_client, sample_log):
    failures = {}
    for name in sortable_columns():
        for sort in (name, f"-{name}"):
            for page in (1, 3):
                sql = page_query(sales_client, {"sort": sort, "page": page, "per_page": 25})
                nodes = plan_of(sql)
                if any(node["Node Type"] in ("Seq Scan", "Sort", "Incremental Sort") for node in nodes):
                    failures[f"sort={sort} page={page}"] = describe(nodes)
    assert failures == {}


def test_every_filter_of_the_log_reads_its_own_index(sales_client, sample_log):
    failures = {}
    for name in InteractionLogFilter.base_filters:
        sql = page_query(sales_client, {name: sample_log[name], "page": 2, "per_page": 25})
        nodes = plan_of(sql)
        scans = log_scans(nodes)
        conditions = " ".join(
            f"{node.get('Index Name', '')} {node.get('Index Cond', '')} {node.get('Recheck Cond', '')}"
            for node in scans
        )
        ordered_by_the_index = name == "q" or not any(node["Node Type"] == "Sort" for node in nodes)
        uses_own_index = re.search(rf"\b(?:{FILTERED_COLUMN[name]})\b", conditions) is not None
        if any(node["Node Type"] == "Seq Scan" for node in nodes) or not (uses_own_index and ordered_by_the_index):
            failures[name] = describe(nodes)
    assert failures == {}


def test_the_text_search_reads_the_search_document_index(sales_client, sample_log):
    nodes = plan_of(page_query(sales_client, {"q": "contract renewal"}))
    assert "log_search_document_idx" in {node.get("Index Name") for node in nodes}, describe(nodes)
    assert not any(node["Node Type"] == "Seq Scan" for node in nodes), describe(nodes)


def test_a_search_sorted_by_a_column_reads_few_matches_from_the_search_index_and_many_in_order(
    sales_client, sample_log, monkeypatch
):
    few = page_query(sales_client, {"q": "contract", "sort": "-date"})  # 301 matches
    assert "COALESCE" in few
    nodes = plan_of(few)
    assert "log_search_document_idx" in {node.get("Index Name") for node in nodes}, describe(nodes)
    monkeypatch.setattr(selectors_log, "FEW_MATCHES", 100)
    many = page_query(sales_client, {"q": "contract", "sort": "-date"})
    assert "COALESCE" not in many
    assert not any(node["Node Type"] in ("Seq Scan", "Sort") for node in plan_of(many))


def count_queries(client, parameters: dict) -> list[str]:
    """The SQL of the page's counts (the bounded count; a search also counts its matches up to
    a few, to choose its plan)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LOG, parameters)
    assert response.status_code == 200, parameters
    counts = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("SELECT COUNT(*)")]
    assert counts, "the page counted nothing"
    return counts


def test_the_count_of_every_filter_reads_an_index(sales_client, sample_log):
    # Counting the entries with the postponed ones (then subtracting the drafts) left the
    # indexes partial on NOT postponed unused: the search, the segment number, the document
    # type, the evaluation... counted with a sequential scan of the whole log.
    failures = {}
    for name in InteractionLogFilter.base_filters:
        for sql in count_queries(sales_client, {name: sample_log[name]}):
            nodes = plan_of(sql)
            if any(node["Node Type"] == "Seq Scan" for node in nodes):
                failures[name] = describe(nodes)
    assert failures == {}


@pytest.mark.parametrize("kind", ["company", "person"])
def test_a_contact_cards_unsent_drafts_are_read_from_their_own_small_index(postgresql, kind):
    # The card of a company with 70,000 entries read all of them for their delivery status
    # (the company's date index, filtered): 150 ms at 1M entries for the few drafts it has.
    from interactions.selectors.log import open_email_drafts

    company = CompanyFactory()
    person = PersonFactory(company=company)
    InteractionLogEntryFactory.create_batch(30, contact=person)
    InteractionLogEntryFactory(contact=person, delivery_status="draft")
    contact = company if kind == "company" else person
    sql, params = open_email_drafts(contact)[:20].query.sql_with_params()
    nodes = plan_of(connection.ops.compose_sql(sql, params))
    expected = "log_company_drafts_idx" if kind == "company" else "log_contact_drafts_idx"
    assert expected in {node.get("Index Name") for node in nodes}, describe(nodes)
