"""Totals per template, group and salesperson for a date range, and the dashboard on the
landing page: interactions per week by group, headline figures, links."""

import datetime
import html
import json
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.formats import date_format

from interactions.selectors import statistics as selectors

from .factories import (
    InteractionGroupFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    InteractionTemplateLanguageFactory,
    SalespersonFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
SALESPEOPLE = reverse("interactions:salespeople")


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """The locale middleware activates a request's language in the test's thread and leaves
    it active: put the default back, so that after a Russian page other tests still reverse
    unprefixed URLs."""
    yield
    translation.deactivate()


def client_for(*groups, user=None) -> Client:
    client = Client()
    client.force_login(user or UserFactory(groups=list(groups)))
    return client


def optional_url(name):
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def chart_data(response) -> dict:
    match = re.search(
        r'<script id="interactions-per-week-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, "the dashboard has no chart data"
    return json.loads(match.group(1))


# Totals ---------------------------------------------------------------------------------


def test_totals_exclude_canceled_and_postponed_entries_and_respect_the_date_range():
    salesperson = SalespersonFactory(code="AK")
    template = InteractionTemplateFactory(code="CALL", unit_cost=Decimal("1.20"), unit_duration=15)

    def entry(day, **flags):
        return InteractionLogEntryFactory(
            template=template, salesperson=salesperson, date=datetime.date(2026, 3, day), **flags
        )

    entry(1)
    entry(15)
    entry(31)
    entry(15, canceled=True)
    entry(15, postponed=True)
    period = {"date_from": datetime.date(2026, 3, 10), "date_to": datetime.date(2026, 3, 31)}

    # (The contacts' factories add salespeople of their own.)
    [people] = [row for row in selectors.salespeople_with_totals(**period) if row.salesperson == salesperson]
    [group] = selectors.templates_by_group_with_totals(**period)
    [group_totals] = selectors.groups_with_totals(**period)
    everything = selectors.templates_by_group_with_totals()[0].templates[0].totals

    assert (people.totals.count, people.totals.cost, people.totals.duration) == (2, Decimal("2.40"), 30)
    assert group.templates[0].totals == people.totals == group_totals.totals
    assert everything.count == 3


def test_salespeople_page_shows_totals_for_the_period_and_links_to_their_log():
    anna = SalespersonFactory(code="AK", name="Anna Kuznetsova")
    SalespersonFactory(code="JR", name="John Roberts")
    template = InteractionTemplateFactory(unit_cost=Decimal("2.00"), unit_duration=10)
    InteractionLogEntryFactory(template=template, salesperson=anna, date=datetime.date(2026, 5, 5))
    InteractionLogEntryFactory(template=template, salesperson=anna, date=datetime.date(2025, 5, 5))
    InteractionLogEntryFactory(template=template, salesperson=anna, date=datetime.date(2026, 5, 6), canceled=True)
    client = client_for("Sales staff")

    response = client.get(SALESPEOPLE, {"date_from": "2026-01-01", "date_to": "2026-12-31"})

    assert response.status_code == 200
    rows = {row.salesperson.code: row.totals for row in response.context["table"].data}
    assert (rows["AK"].count, rows["AK"].cost, rows["AK"].duration) == (1, Decimal("2.00"), 10)
    assert rows["JR"].count == 0
    text = page_text(response)
    assert "Anna Kuznetsova" in text and "John Roberts" in text
    log_url, new_url = optional_url("interactions:log"), optional_url("interactions:new")
    if log_url:
        assert f'href="{log_url}?salesperson={anna.pk}"' in text
    if new_url:
        assert f'href="{new_url}?salesperson=AK"' in text


def test_salespeople_page_with_malformed_dates_shows_the_error_not_a_server_error():
    client = client_for("Sales staff")

    response = client.get(SALESPEOPLE, {"date_from": "31.02.2026", "date_to": "2026-99-01"})

    assert response.status_code == 200
    assert "Enter a valid date." in page_text(response)


def test_salespeople_page_needs_the_permission_to_read_the_log():
    user = UserFactory()  # in no group
    assert client_for(user=user).get(SALESPEOPLE).status_code == 403


# Dashboard ------------------------------------------------------------------------------


@pytest.fixture
def weekly_log():
    today = datetime.date(2026, 6, 17)  # a Wednesday
    letters = InteractionGroupFactory(code="LETTER", description="Letters")
    calls = InteractionGroupFactory(code="PHONE", description="Telephone calls")
    letter = InteractionTemplateFactory(group=letters)
    call = InteractionTemplateFactory(group=calls)
    InteractionLogEntryFactory.create_batch(2, template=letter, date=today)
    InteractionLogEntryFactory(template=letter, date=today - datetime.timedelta(weeks=3))
    InteractionLogEntryFactory(template=call, date=today - datetime.timedelta(weeks=25))  # the first week shown
    InteractionLogEntryFactory(template=call, date=today - datetime.timedelta(weeks=26))  # before it
    InteractionLogEntryFactory(template=letter, date=today, canceled=True)
    InteractionLogEntryFactory(template=letter, date=today, postponed=True)
    return today


def test_weekly_interactions_by_group_are_aggregated_in_one_query(weekly_log, django_assert_num_queries):
    with django_assert_num_queries(1):
        weekly = selectors.interactions_per_week_by_group(weeks=26, today=weekly_log)

    assert weekly.weeks[0] == datetime.date(2025, 12, 22)  # the Monday 25 weeks before this week's
    assert weekly.weeks[-1] == datetime.date(2026, 6, 15)
    counts = {dataset.label: dataset.counts for dataset in weekly.datasets}
    assert counts["Letters"] == [0] * 22 + [1, 0, 0, 2]
    assert counts["Telephone calls"] == [1] + [0] * 25


def test_dashboard_is_the_landing_page_and_shows_the_chart_data_for_the_weeks(weekly_log, monkeypatch):
    monkeypatch.setattr(selectors.timezone, "localdate", lambda *args: weekly_log)
    client = client_for("Sales staff")

    response = client.get("/")

    assert response.status_code == 200
    data = chart_data(response)
    assert len(data["labels"]) == 26
    assert data["labels"][0] == date_format(datetime.date(2025, 12, 22), "SHORT_DATE_FORMAT")
    assert data["labels"][-1] == date_format(datetime.date(2026, 6, 15), "SHORT_DATE_FORMAT")
    datasets = {dataset["label"]: dataset["data"] for dataset in data["datasets"]}
    assert datasets == {"Letters": [0] * 22 + [1, 0, 0, 2], "Telephone calls": [1] + [0] * 25}
    text = page_text(response)
    # The chart is drawn by a static script, never by inline script.
    assert "interactions/dashboard.js" in text and "chart.umd.min.js" in text
    assert "new Chart" not in text
    assert f'href="{reverse("interactions:templates")}"' in text


def test_dashboard_data_cannot_break_out_of_its_script_element(monkeypatch):
    today = datetime.date(2026, 6, 17)
    monkeypatch.setattr(selectors.timezone, "localdate", lambda *args: today)
    group = InteractionGroupFactory(code="XSS", description="</script><script>alert(1)</script>")
    InteractionLogEntryFactory(template=InteractionTemplateFactory(group=group), date=today)

    response = client_for("Sales staff").get("/")

    assert "<script>alert(1)" not in response.content.decode()
    assert chart_data(response)["datasets"][0]["label"] == "</script><script>alert(1)</script>"


def test_dashboard_headline_figures_count_this_month_canceled_and_my_postponed(monkeypatch):
    today = datetime.date(2026, 6, 17)
    monkeypatch.setattr(selectors.timezone, "localdate", lambda *args: today)
    user = UserFactory(groups=["Sales staff"])
    template = InteractionTemplateFactory()
    InteractionLogEntryFactory.create_batch(3, template=template, date=datetime.date(2026, 6, 1))
    InteractionLogEntryFactory(template=template, date=datetime.date(2026, 6, 30))
    InteractionLogEntryFactory(template=template, date=datetime.date(2026, 5, 31))
    InteractionLogEntryFactory.create_batch(2, template=template, date=today, canceled=True)
    InteractionLogEntryFactory(template=template, date=today, postponed=True, user=user)
    InteractionLogEntryFactory(template=template, date=today, postponed=True)  # someone else's

    figures = selectors.dashboard_figures(user=user)
    text = page_text(client_for(user=user).get("/"))

    assert figures == selectors.DashboardFigures(
        interactions_this_month=4, canceled_awaiting_purge=2, postponed_of_user=1
    )
    assert '<p class="display-6 mb-0" id="figure-this-month">4</p>' in text
    assert '<p class="display-6 mb-0" id="figure-canceled">2</p>' in text
    assert '<p class="display-6 mb-0" id="figure-postponed">1</p>' in text


def test_the_dashboards_canceled_figure_is_the_purge_pages_count_and_reads_no_log_row():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = UserFactory(groups=["Sales manager"])
    InteractionLogEntryFactory.create_batch(3, canceled=True)
    InteractionLogEntryFactory.create_batch(2)
    with CaptureQueriesContext(connection) as queries:
        figures = selectors.dashboard_figures(user=user)
    assert figures.canceled_awaiting_purge == 3
    # The summary's canceled count (kept by cancel, restore and the purge), not the log.
    counts = [query["sql"] for query in queries.captured_queries if "canceled" in query["sql"]]
    assert counts and all("interactions_interactiondaysummary" in sql for sql in counts), counts


def test_dashboard_without_interactions_says_so_instead_of_an_empty_chart():
    response = client_for("Sales staff").get("/")

    assert response.status_code == 200
    assert "No interactions in the last 26 weeks." in page_text(response)
    assert 'id="interactions-per-week-data"' not in response.content.decode()


# Russian ---------------------------------------------------------------------------------


@pytest.fixture
def russian_pages():
    template = InteractionTemplateFactory(code="BUS", language_default="ru")
    InteractionTemplateLanguageFactory(template=template, language="ru", merge_body="Уважаемый {contact.name}!")
    InteractionLogEntryFactory(template=template)
    return [
        "/ru/",
        "/ru/interactions/templates/",
        "/ru/interactions/templates/?date_from=bad",
        "/ru/interactions/templates/new/",
        "/ru/interactions/templates/BUS/",
        "/ru/interactions/templates/BUS/edit/",
        "/ru/interactions/templates/BUS/delete/",
        "/ru/interactions/groups/",
        "/ru/interactions/groups/new/",
        f"/ru/interactions/groups/{template.group.code}/edit/",
        "/ru/interactions/setup/",
        "/ru/interactions/salespeople/",
    ]


def test_every_page_works_in_russian(russian_pages):
    administrator = client_for("Administrator")
    sales_staff = client_for("Sales staff")
    for url in russian_pages:
        response = administrator.get(url)
        assert response.status_code == 200, url
        assert '<html lang="ru"' in response.content.decode(), url
    for url in ["/ru/", "/ru/interactions/templates/BUS/", "/ru/interactions/setup/"]:
        assert sales_staff.get(url).status_code == 200, url
    # The Russian labels of the chart are dates in the Russian format.
    assert re.search(r"\d{2}\.\d{2}\.\d{4}", html.unescape(administrator.get("/ru/").content.decode()))
