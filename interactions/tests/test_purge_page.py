"""The page /interactions/purge/: filter, count, confirm, delete; for sales managers only.

The task runs in-process here (as without a broker); test_purge_task.py drives the page
against a real worker.
"""

import datetime
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from interactions.models import InteractionLogEntry
from interactions.tasks import purge_canceled_interactions as purge_task

from .factories import InteractionLogEntryFactory, InteractionTemplateFactory, PersonFactory, UserFactory
from .purge_support import canceled_entry

pytestmark = pytest.mark.django_db

PURGE_URL = "/interactions/purge/"


@pytest.fixture
def tasks_in_process():
    app = purge_task.app
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


def logged_in(*groups: str) -> Client:
    client = Client()
    client.force_login(UserFactory(groups=list(groups)))
    return client


@pytest.fixture
def manager() -> Client:
    return logged_in("Sales manager")


def test_the_url_name_is_interactions_purge():
    assert reverse("interactions:purge") == PURGE_URL


@pytest.mark.parametrize(
    "groups, status",
    [(["Sales manager"], 200), (["Administrator"], 200), (["Sales staff"], 403), ([], 403)],
    ids=["sales-manager", "administrator", "sales-staff", "no-group"],
)
def test_only_sales_managers_and_administrators_reach_the_page(groups, status):
    assert logged_in(*groups).get(PURGE_URL).status_code == status


def test_the_page_needs_a_login():
    response = Client().get(PURGE_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_sales_staff_cannot_delete_by_posting_either(tasks_in_process):
    entry = canceled_entry()
    response = logged_in("Sales staff").post(PURGE_URL, {})
    assert response.status_code == 403
    assert InteractionLogEntry.objects.filter(pk=entry.pk).exists()


def test_sales_staff_cannot_follow_a_purge():
    url = reverse("interactions:purge-progress", args=[uuid.uuid4()])
    assert logged_in("Sales staff").get(url).status_code == 403


def test_the_page_shows_the_filter_form(manager):
    content = manager.get(PURGE_URL).content.decode()
    for name in ("entry_from", "entry_to", "date_from", "date_to", "contact", "template", "group", "salesperson",
                 "campaign"):  # fmt: skip
        assert f'name="{name}"' in content
    assert 'type="date"' in content
    assert 'name="action" value="count"' in content


def test_count_shows_how_many_canceled_entries_the_filter_matches(manager):
    contact = PersonFactory()
    [canceled_entry(contact=contact) for _ in range(2)]
    canceled_entry()
    InteractionLogEntryFactory(contact=contact)

    response = manager.get(PURGE_URL, {"contact": contact.number, "action": "count"})

    assert "2 canceled interaction log entries match the filter and would be deleted." in response.content.decode()
    assert InteractionLogEntry.objects.count() == 4


def _log_queries(client: Client, query: dict) -> tuple[str, list[str]]:
    """The page's text and those of its queries that read the log table."""
    with CaptureQueriesContext(connection) as context:
        content = client.get(PURGE_URL, query).content.decode()
    table = InteractionLogEntry._meta.db_table
    return content, [captured["sql"] for captured in context.captured_queries if table in captured["sql"]]


def test_the_count_for_dates_and_a_template_reads_the_summary_not_the_log_and_matches_it(manager):
    """The count of a filter on dates, template, group, salesperson or campaign adds day
    summary rows (however long the log); one on a contact counts in the log."""
    template = InteractionTemplateFactory()
    contact = PersonFactory()
    old, recent = datetime.date(2026, 1, 10), datetime.date(2026, 3, 10)
    for date in (old, old, recent):
        canceled_entry(template=template, date=date, contact=contact)
    canceled_entry(date=old)  # another template
    InteractionLogEntryFactory(template=template, date=old)  # not canceled

    content, reads = _log_queries(manager, {"date_to": "2026-02-01", "template": template.pk, "action": "count"})
    assert "2 canceled interaction log entries match the filter and would be deleted." in content
    assert reads == []

    content, reads = _log_queries(manager, {"date_to": "2026-02-01", "action": "count"})
    assert "3 canceled interaction log entries match the filter and would be deleted." in content
    assert reads == []

    content, reads = _log_queries(manager, {"contact": contact.number, "date_to": "2026-02-01", "action": "count"})
    assert "2 canceled interaction log entries match the filter and would be deleted." in content
    assert reads  # the summary does not know the contact


def test_an_unknown_contact_is_a_form_error_and_nothing_is_counted(manager):
    response = manager.get(PURGE_URL, {"contact": "CT999999", "action": "confirm"})
    content = response.content.decode()
    assert "There is no contact CT999999." in content
    assert "would be deleted" not in content
    assert 'id="purge-confirmation"' not in content


def test_delete_asks_for_confirmation_with_the_count_first(manager):
    contact = PersonFactory()
    entries = [canceled_entry(contact=contact) for _ in range(3)]

    response = manager.get(PURGE_URL, {"contact": contact.number, "action": "confirm"})

    content = response.content.decode()
    assert "3 canceled interaction log entries will be deleted" in content
    assert 'id="purge-confirmation"' in content
    assert f'<form method="post" action="{PURGE_URL}"><input type="hidden" name="csrfmiddlewaretoken"' in content
    assert f'<input type="hidden" name="contact" value="{contact.number}"' in content
    assert InteractionLogEntry.objects.filter(pk__in=[e.pk for e in entries]).count() == 3


def test_with_nothing_to_delete_there_is_no_confirmation(manager):
    InteractionLogEntryFactory()
    content = manager.get(PURGE_URL, {"action": "confirm"}).content.decode()
    assert "0 canceled interaction log entries match the filter" in content
    assert 'id="purge-confirmation"' not in content


def test_confirming_deletes_the_matching_canceled_entries_and_shows_the_result(manager, tasks_in_process):
    contact = PersonFactory()
    going = [canceled_entry(contact=contact) for _ in range(2)]
    staying = [canceled_entry(), InteractionLogEntryFactory(contact=contact)]

    response = manager.post(PURGE_URL, {"contact": contact.number}, follow=True)

    assert response.redirect_chain == [(PURGE_URL, 302)]
    assert "2 interaction log entries have been deleted." in response.content.decode()
    assert not InteractionLogEntry.objects.filter(pk__in=[e.pk for e in going]).exists()
    assert InteractionLogEntry.objects.filter(pk__in=[e.pk for e in staying]).count() == 2


def test_a_post_with_a_bad_filter_deletes_nothing(manager, tasks_in_process):
    entry = canceled_entry()
    response = manager.post(PURGE_URL, {"date_from": "2024-05-03", "date_to": "2024-05-01"})
    assert response.status_code == 400
    assert "The end date cannot be before the start date." in response.content.decode()
    assert InteractionLogEntry.objects.filter(pk=entry.pk).exists()


def test_deleting_needs_the_csrf_token(tasks_in_process):
    entry = canceled_entry()
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(groups=["Sales manager"]))

    assert client.post(PURGE_URL, {}).status_code == 403
    assert InteractionLogEntry.objects.filter(pk=entry.pk).exists()


def test_with_the_broker_down_the_page_says_so_and_deletes_nothing(manager, broker_down):
    entry = canceled_entry()

    response = manager.post(PURGE_URL, {})

    assert response.status_code == 503
    assert "The task queue cannot be reached, so nothing was deleted." in response.content.decode()
    assert InteractionLogEntry.objects.filter(pk=entry.pk).exists()


def test_the_page_speaks_russian():
    client = logged_in("Sales manager")
    response = client.get("/ru" + PURGE_URL)
    assert response.status_code == 200
    assert response.wsgi_request.LANGUAGE_CODE == "ru"
