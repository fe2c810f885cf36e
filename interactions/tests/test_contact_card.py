"""The contact list and the contact card with its interaction statistics, chart and timeline."""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from interactions.models import InitiatedBy

from .factories import CompanyFactory, InteractionLogEntryFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def card(client, contact, **params):
    return client.get(reverse("contacts:detail", args=[contact.number]), params)


def statistics(response):
    return response.context["statistics"]


@pytest.fixture
def company_with_history():
    company = CompanyFactory(name="Acme Ltd")
    anna, boris = PersonFactory(company=company, name="Anna"), PersonFactory(company=company, name="Boris")
    day = datetime.date(2026, 5, 20)
    entries = {
        "anna": InteractionLogEntryFactory(
            contact=anna, date=day, cost=Decimal("10.00"), duration=30, initiated_by=InitiatedBy.US
        ),  # fmt: skip
        "boris": InteractionLogEntryFactory(
            contact=boris,
            date=day - datetime.timedelta(days=40),
            cost=Decimal("5.50"),
            duration=15,
            initiated_by=InitiatedBy.THEM,
        ),  # fmt: skip
        "company": InteractionLogEntryFactory(
            contact=company,
            date=day - datetime.timedelta(days=400),
            cost=Decimal("1.00"),
            duration=5,
            initiated_by=InitiatedBy.US,
        ),  # fmt: skip
        "failed": InteractionLogEntryFactory(
            contact=anna,
            date=day + datetime.timedelta(days=3),
            cost=Decimal("2.00"),
            duration=1,
            attempt_failed=True,
            initiated_by=InitiatedBy.US,
        ),  # fmt: skip
        "canceled": InteractionLogEntryFactory(contact=anna, date=day, cost=Decimal("100"), canceled=True),
        "postponed": InteractionLogEntryFactory(contact=anna, date=day, cost=Decimal("100"), postponed=True),
    }
    return company, anna, boris, entries


def test_company_statistics_include_its_persons_and_leave_out_canceled_and_postponed(
    sales_client, company_with_history
):
    company, anna, boris, entries = company_with_history
    figures = statistics(card(sales_client, company))
    assert figures.count == 4
    assert figures.cost == Decimal("18.50")
    assert figures.duration == 51
    # The last interaction is the last one that did not fail; the last attempt the last one we started.
    assert figures.last_interaction_date == entries["anna"].date
    assert figures.last_attempted_date == entries["failed"].date


def test_person_statistics_are_its_own(sales_client, company_with_history):
    company, anna, boris, entries = company_with_history
    figures = statistics(card(sales_client, boris))
    assert (figures.count, figures.cost, figures.duration) == (1, Decimal("5.50"), 15)
    assert figures.last_attempted_date is None


def test_statistics_for_a_date_range(sales_client, company_with_history):
    company, *_ = company_with_history
    figures = statistics(card(sales_client, company, date_from="2026-04-01", date_to="2026-05-21"))
    assert (figures.count, figures.cost) == (2, Decimal("15.50"))


def test_a_reversed_date_range_is_explained(sales_client, company_with_history):
    company, *_ = company_with_history
    response = card(sales_client, company, date_from="2026-06-01", date_to="2026-01-01")
    assert response.status_code == 200
    assert "The start of the period is after its end." in response.content.decode()


def test_timeline_is_newest_first_and_marks_canceled_entries(sales_client, company_with_history):
    company, anna, boris, entries = company_with_history
    response = card(sales_client, anna)
    timeline = response.context["timeline"].entries
    assert [e.entry_no for e in timeline][0] == entries["failed"].entry_no
    assert entries["postponed"].entry_no not in {e.entry_no for e in timeline}
    page = response.content.decode()
    canceled_row = page.split(f'data-entry="{entries["canceled"].entry_no}"')[1][:800]
    assert "Canceled" in canceled_row


def test_chart_counts_interactions_per_month(sales_client):
    person = PersonFactory()
    today = timezone.localdate()
    InteractionLogEntryFactory.create_batch(3, contact=person, date=today)
    InteractionLogEntryFactory(contact=person, date=today, canceled=True)
    response = card(sales_client, person)
    data = json.loads(
        response.content.decode().split('id="interactions-per-month" type="application/json">')[1].split("</script>")[0]
    )
    assert data["labels"][-1] == date_format(today.replace(day=1), "YEAR_MONTH_FORMAT")  # "Nov 2026"
    assert data["values"][-1] == 3
    assert len(data["labels"]) == 24


def test_card_links_to_the_filtered_log(sales_client, company_with_history):
    company, anna, *_ = company_with_history
    assert f"/interactions/log/?contact_company={company.number}" in card(sales_client, company).content.decode()
    assert f"/interactions/log/?contact={anna.number}" in card(sales_client, anna).content.decode()


def test_card_runs_the_same_queries_for_10_and_100_entries(sales_client):
    company = CompanyFactory()
    persons = PersonFactory.create_batch(3, company=company)

    def queries_for(count):
        for index in range(count - company.company_interaction_log_entries.count()):
            InteractionLogEntryFactory(contact=persons[index % 3], contact_company=company)
        with CaptureQueriesContext(connection) as context:
            assert card(sales_client, company).status_code == 200
        return len(context.captured_queries)

    assert queries_for(10) == queries_for(100)


def test_contact_list_searches_by_name_number_email_and_phone(sales_client):
    jane = PersonFactory(name="Jane Marple", email="jane@stmary.example", phone="+44 20 7946 0001")
    PersonFactory(name="Hercule Poirot", email="hp@example.com", phone="+32 2 555 0000")
    url = reverse("contacts:list")
    for term in ["Marple", jane.number, "stmary", "7946"]:
        found = [row.record.pk for row in sales_client.get(url, {"q": term}).context["table"].page.object_list]
        assert found == [jane.pk], term


def test_contact_list_runs_the_same_queries_for_10_and_40_rows(sales_client):
    from crm.contacts.models import Contact

    def queries_for(count):
        while Contact.objects.count() < count:
            PersonFactory()
        with CaptureQueriesContext(connection) as context:
            response = sales_client.get(reverse("contacts:list"))
        assert len(response.context["table"].page.object_list) == Contact.objects.count()
        return len(context.captured_queries)

    assert queries_for(10) == queries_for(40)


def test_contact_pages_need_permission(client):
    person = PersonFactory()
    client.force_login(UserFactory())
    assert client.get(reverse("contacts:list")).status_code == 403
    assert client.get(reverse("contacts:detail", args=[person.number])).status_code == 403


def test_unknown_contact_is_a_404(sales_client):
    assert sales_client.get(reverse("contacts:detail", args=["NOPE"])).status_code == 404


def test_contact_name_is_escaped_on_the_card(sales_client):
    person = PersonFactory(name='<img src=x onerror="alert(1)">')
    page = card(sales_client, person).content.decode()
    assert '<img src=x onerror="alert(1)">' not in page


def test_timeline_puts_an_entry_without_a_time_last_in_its_day(sales_client):
    person = PersonFactory()
    today = timezone.localdate()
    untimed = InteractionLogEntryFactory(contact=person, date=today, time=None)
    timed = InteractionLogEntryFactory(contact=person, date=today, time=datetime.time(9, 0))
    timeline = card(sales_client, person).context["timeline"].entries
    assert [e.entry_no for e in timeline] == [timed.entry_no, untimed.entry_no]
