"""The interaction log page: filters, sorting, pagination without counting, export."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.documents.types import DocumentType
from interactions.models import Evaluation, InformationFlow

from .export_support import xlsx_export
from .factories import (
    CampaignFactory,
    CompanyFactory,
    InteractionCommentFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    LoggedSegmentFactory,
    PersonFactory,
    SalespersonFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
LOG = reverse("interactions:log")


def rows(response) -> set[int]:
    table = response.context["table"]
    return {row.record.entry_no for row in table.page.object_list} if table.page else set()


@pytest.fixture
def mixed_log():
    """Entries that differ in exactly one filtered attribute each from a plain one."""
    company = CompanyFactory(name="Acme Ltd")
    person = PersonFactory(company=company, name="Jane Doe")
    other_person = PersonFactory(name="Ivan Petrov")
    template = InteractionTemplateFactory(code="CALL", description="Phone call")
    salesperson = SalespersonFactory(code="AB")
    campaign = CampaignFactory()
    logged_segment = LoggedSegmentFactory()
    day = datetime.date(2026, 3, 10)
    return {
        "plain": InteractionLogEntryFactory(contact=other_person, date=day - datetime.timedelta(days=100)),
        "person": InteractionLogEntryFactory(contact=person, date=day),
        "company": InteractionLogEntryFactory(contact=company, date=day),
        "template": InteractionLogEntryFactory(template=template, date=day),
        "salesperson": InteractionLogEntryFactory(salesperson=salesperson, date=day),
        "campaign": InteractionLogEntryFactory(campaign=campaign, date=day),
        "segment": InteractionLogEntryFactory(segment_number="SM00042", logged_segment=logged_segment, date=day),
        "canceled": InteractionLogEntryFactory(canceled=True, date=day),
        "document": InteractionLogEntryFactory(
            document_type=DocumentType.SALES_INVOICE, document_number="INV-1", date=day
        ),
        "evaluated": InteractionLogEntryFactory(evaluation=Evaluation.NEGATIVE, date=day),
        "inbound": InteractionLogEntryFactory(information_flow=InformationFlow.INBOUND, date=day),
        "text": InteractionLogEntryFactory(subject="Annual contract renewal", date=day),
        "postponed": InteractionLogEntryFactory(postponed=True, date=day),
        "objects": {
            "company": company,
            "person": person,
            "template": template,
            "salesperson": salesperson,
            "campaign": campaign,
            "logged_segment": logged_segment,
        },  # fmt: skip
    }


def test_log_shows_every_entry_but_postponed_ones(sales_client, mixed_log):
    response = sales_client.get(LOG)
    assert response.status_code == 200
    expected = {e.entry_no for k, e in mixed_log.items() if k not in ("objects", "postponed")}
    assert rows(response) == expected


@pytest.mark.parametrize(
    "query, expected",
    [
        (lambda o: {"contact": o["person"].number}, {"person"}),
        (lambda o: {"contact_company": o["company"].number}, {"person", "company"}),
        (lambda o: {"template": o["template"].pk}, {"template"}),
        (lambda o: {"group": o["template"].group_id}, {"template"}),
        (lambda o: {"salesperson": o["salesperson"].pk}, {"salesperson"}),
        (lambda o: {"campaign": o["campaign"].pk}, {"campaign"}),
        (lambda o: {"segment": "SM00042"}, {"segment"}),
        (lambda o: {"logged_segment": o["logged_segment"].pk}, {"segment"}),
        (lambda o: {"canceled": "true"}, {"canceled"}),
        (lambda o: {"document_type": "sales_invoice"}, {"document"}),
        (lambda o: {"evaluation": "negative"}, {"evaluated"}),
        (lambda o: {"information_flow": "inbound"}, {"inbound"}),
        (lambda o: {"q": "contract renewal"}, {"text"}),
        (lambda o: {"date_to": "2026-01-01"}, {"plain"}),
    ],
)
def test_each_filter_returns_exactly_the_matching_entries(sales_client, mixed_log, query, expected):
    response = sales_client.get(LOG, query(mixed_log["objects"]))
    assert response.status_code == 200
    assert rows(response) == {mixed_log[name].entry_no for name in expected}


def test_date_range_and_not_canceled_combine(sales_client, mixed_log):
    response = sales_client.get(LOG, {"date_from": "2026-03-10", "date_to": "2026-03-10", "canceled": "false"})
    expected = {e.entry_no for k, e in mixed_log.items() if k not in ("objects", "postponed", "plain", "canceled")}
    assert rows(response) == expected


def test_an_unknown_contact_number_matches_nothing(sales_client, mixed_log):
    assert rows(sales_client.get(LOG, {"contact": "NO-SUCH"})) == set()


def test_an_invalid_filter_shows_its_error_and_no_entries(sales_client, mixed_log):
    response = sales_client.get(LOG, {"date_from": "31.02.2026", "salesperson": "999999"})
    assert response.status_code == 200
    assert "The filter is not valid" in response.content.decode()
    assert rows(response) == set()


def test_log_page_runs_the_same_queries_for_10_and_100_rows(sales_client):
    def queries_for(count):
        InteractionLogEntryFactory.create_batch(count - InteractionLogEntryFactory._meta.model.objects.count())
        with CaptureQueriesContext(connection) as context:
            response = sales_client.get(LOG, {"per_page": 100})
        assert len(rows(response)) == count
        return [q["sql"] for q in context.captured_queries]

    ten, hundred = queries_for(10), queries_for(100)
    assert len(ten) == len(hundred)
    # One count, bounded: COUNT over a LIMIT-ed subquery (LOG_COUNT_LIMIT), never the table.
    counts = [sql for sql in hundred if "COUNT(" in sql.upper()]
    assert len(counts) == 1 and "LIMIT" in counts[0].upper(), counts


def test_log_page_reads_its_rows_and_its_filter_lists_in_one_query_each(sales_client):
    entry = InteractionLogEntryFactory()
    InteractionCommentFactory(entry=entry)
    InteractionLogEntryFactory.create_batch(3)
    template, salesperson = entry.template, entry.salesperson
    with CaptureQueriesContext(connection) as context:
        response = sales_client.get(LOG, {"template": template.pk, "salesperson": salesperson.pk})
    log_queries = [q["sql"] for q in context.captured_queries if "interactions_interactionlogentry" in q["sql"]]
    list_queries = [q["sql"] for q in context.captured_queries if "contacts_campaign" in q["sql"]]
    # The bounded count (the matching entries up to the bound), the entry numbers of the
    # page, then its rows with contact, company, template, group, salesperson and the
    # comment marker: three queries on the log whatever is shown.
    assert len(log_queries) == 3
    assert "COUNT(" in log_queries[0].upper() and "LIMIT" in log_queries[0].upper()
    assert "interactions_interactioncomment" in log_queries[2]
    # The four set-up lists (and the check of the chosen ids) in one query.
    assert len(list_queries) == 1
    assert all(table in list_queries[0] for table in ["contacts_salesperson", "interactions_interactiongroup"])
    assert rows(response) == {entry.entry_no}
    page = response.content.decode()
    assert f'<option value="{template.pk}" selected>{template}</option>' in page
    assert f"template={template.code}" in response.context["new_interaction_url"]


def test_log_is_sorted_by_the_chosen_column(sales_client):
    cheap = InteractionLogEntryFactory(cost=1)
    dear = InteractionLogEntryFactory(cost=99)
    response = sales_client.get(LOG, {"sort": "-cost"})
    assert [row.record.entry_no for row in response.context["table"].page.object_list] == [
        dear.entry_no,
        cheap.entry_no,
    ]


def test_title_says_who_sent_and_who_received(sales_client):
    salesperson = SalespersonFactory(name="Olga Ivanova")
    InteractionLogEntryFactory(salesperson=salesperson, template__description="Business letter",
                               information_flow=InformationFlow.OUTBOUND)  # fmt: skip
    InteractionLogEntryFactory(contact=PersonFactory(name="John Smith"), template__description="Incoming call",
                               information_flow=InformationFlow.INBOUND)  # fmt: skip
    page = sales_client.get(LOG).content.decode()
    assert "Business letter by Olga Ivanova" in page
    assert "Incoming call from John Smith" in page


def test_entries_with_comments_are_marked(sales_client):
    InteractionCommentFactory()
    assert "Has comments" in sales_client.get(LOG).content.decode()


def _csv(response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_csv_export_holds_exactly_the_filtered_entries(sales_client, mixed_log):
    response = sales_client.get(LOG, {"contact_company": mixed_log["objects"]["company"].number, "export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    table = _csv(response)
    assert table[0][:3] == ["Entry No.", "Date", "Time"]
    assert {int(line[0]) for line in table[1:]} == {mixed_log["person"].entry_no, mixed_log["company"].entry_no}
    assert "Jane Doe" in {line[4] for line in table[1:]}


def test_export_neutralizes_spreadsheet_formulas(sales_client, tasks_in_process):
    InteractionLogEntryFactory(description='=HYPERLINK("http://evil")', subject="@SUM(A1)")
    table = _csv(sales_client.get(LOG, {"export": "csv"}))
    assert table[1][7] == '\'=HYPERLINK("http://evil")'
    assert table[1][8] == "'@SUM(A1)"

    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(xlsx_export(sales_client)))
    values = [cell.value for cell in next(workbook.active.iter_rows(min_row=2, max_row=2))]
    assert '\'=HYPERLINK("http://evil")' in values


def test_xlsx_export_holds_the_filtered_entries(sales_client, mixed_log, tasks_in_process):
    from openpyxl import load_workbook

    content = xlsx_export(sales_client, {"template": mixed_log["objects"]["template"].pk})
    sheet = load_workbook(io.BytesIO(content)).active
    data = list(sheet.iter_rows(values_only=True))
    assert data[0][0] == "Entry No."
    assert [line[0] for line in data[1:]] == [mixed_log["template"].entry_no]


def test_user_without_export_permission_cannot_export(client):
    from django.contrib.auth.models import Permission

    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_interactionlogentry"))
    client.force_login(user)
    assert client.get(LOG).status_code == 200
    assert client.get(LOG, {"export": "csv"}).status_code == 403


def test_log_requires_login_and_permission(client):
    response = client.get(LOG)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(UserFactory())
    assert client.get(LOG).status_code == 403


def test_russian_log_page(sales_client, mixed_log):
    response = sales_client.get("/ru/interactions/log/")
    assert response.status_code == 200
    assert 'lang="ru"' in response.content.decode()
