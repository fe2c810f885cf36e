"""The log for people: its bounded count, the entries of a day in time order, the column
picker, and saved views (private or shared, only the owner changes them, one default)."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from interactions.models import LogView

from .factories import InteractionLogEntryFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
LOG = reverse("interactions:log")
CREATE = reverse("interactions:log-view-create")


def rows(response) -> list[int]:
    table = response.context["table"]
    return [row.record.entry_no for row in table.page.object_list] if table.page else []


def count_text(response) -> str:
    page = response.content.decode()
    return " ".join(page.split('id="log-count"')[1].split(">", 1)[1].split("</p>")[0].split())


# --- The count ---------------------------------------------------------------------------


def test_the_count_is_exact_up_to_the_limit_and_shows_the_last_page(sales_client, settings):
    settings.INTERACTIONS_LOG_COUNT_LIMIT = 10
    person = PersonFactory()
    InteractionLogEntryFactory.create_batch(7, contact=person)
    InteractionLogEntryFactory.create_batch(3)
    # Postponed entries are not in the log, and do not count, however many there are.
    InteractionLogEntryFactory.create_batch(4, contact=person, postponed=True)
    assert count_text(sales_client.get(LOG)) == "10 entries"
    assert count_text(sales_client.get(LOG, {"contact": person.number})) == "7 entries"
    assert count_text(sales_client.get(LOG, {"contact": "NOPE"})) == "0 entries"
    response = sales_client.get(LOG, {"per_page": 25, "contact": person.number})
    assert response.context["table"].paginator.count == 7


def test_beyond_the_limit_the_count_says_more_than(sales_client, settings):
    settings.INTERACTIONS_LOG_COUNT_LIMIT = 10
    InteractionLogEntryFactory.create_batch(11)
    response = sales_client.get(LOG)
    assert count_text(response) == "More than 10 entries"
    # The count reads at most limit + 1 rows.
    with CaptureQueriesContext(connection) as context:
        sales_client.get(LOG)
    # One count of the log's own entries (not postponed), at most limit + 1 rows.
    counts = [q["sql"] for q in context.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "LIMIT 11" in counts[0].upper() and "POSTPONED" in counts[0].upper()


def test_drafts_never_push_the_count_over_the_limit(sales_client, settings):
    settings.INTERACTIONS_LOG_COUNT_LIMIT = 10
    InteractionLogEntryFactory.create_batch(10)
    InteractionLogEntryFactory.create_batch(3, postponed=True)
    assert count_text(sales_client.get(LOG)) == "10 entries"
    InteractionLogEntryFactory()
    assert count_text(sales_client.get(LOG)) == "More than 10 entries"


def test_a_count_limit_out_of_range_is_refused_by_the_settings_check(settings):
    from django.core.exceptions import ImproperlyConfigured

    from interactions import conf

    settings.INTERACTIONS_LOG_COUNT_LIMIT = 0
    with pytest.raises(ImproperlyConfigured, match="INTERACTIONS_LOG_COUNT_LIMIT"):
        conf.settings.LOG_COUNT_LIMIT  # noqa: B018


def test_the_entries_of_a_day_come_in_time_order(sales_client):
    day = datetime.date(2026, 4, 2)
    late = InteractionLogEntryFactory(date=day, time=datetime.time(16, 0))
    early = InteractionLogEntryFactory(date=day, time=datetime.time(8, 30))
    noon = InteractionLogEntryFactory(date=day, time=datetime.time(12, 0))
    yesterday = InteractionLogEntryFactory(date=day - datetime.timedelta(days=1), time=datetime.time(23, 0))
    assert rows(sales_client.get(LOG)) == [late.entry_no, noon.entry_no, early.entry_no, yesterday.entry_no]
    assert rows(sales_client.get(LOG, {"sort": "date"})) == [
        yesterday.entry_no, early.entry_no, noon.entry_no, late.entry_no,
    ]  # fmt: skip


def test_rows_carry_their_column_names_for_the_stacked_layout(sales_client):
    entry = InteractionLogEntryFactory()
    page = sales_client.get(LOG).content.decode()
    assert 'data-column="contact" data-label="Contact"' in page
    assert 'data-column="date" data-label="Date"' in page and f'data-entry="{entry.entry_no}"' in page
    assert "interactions/log.css" in page


# --- Columns -----------------------------------------------------------------------------


def test_the_chosen_columns_are_shown_and_remembered(sales_client):
    InteractionLogEntryFactory()
    response = sales_client.get(LOG, {"columns_chosen": "1", "columns": ["date", "contact", "title"]})
    assert [column.name for column in response.context["table"].columns if column.name != "selection"] == [
        "date", "title", "contact",
    ]  # fmt: skip
    again = sales_client.get(LOG, {"all": "1"})
    assert "cost" not in [column.name for column in again.context["table"].columns]
    assert "contact" in [column.name for column in again.context["table"].columns]


def test_no_column_or_an_unknown_one_is_refused_and_keeps_the_columns(sales_client):
    InteractionLogEntryFactory()
    response = sales_client.get(LOG, {"columns_chosen": "1"}, follow=True)
    assert "Choose at least one column" in response.content.decode()
    assert "cost" in [column.name for column in response.context["table"].columns]
    response = sales_client.get(LOG, {"columns_chosen": "1", "columns": ["date", "password"]})
    assert "cost" in [column.name for column in response.context["table"].columns]


# --- Saved views -------------------------------------------------------------------------


def save(client, name, query="", columns=(), **flags):
    data = {"name": name, "query_string": query, "columns": list(columns)}
    data.update({flag: "on" for flag, on in flags.items() if on})
    return client.post(CREATE, data)


def test_a_saved_view_keeps_filter_sort_and_columns(sales_client, sales_user):
    person = PersonFactory()
    mine = InteractionLogEntryFactory(contact=person, cost=5)
    dear = InteractionLogEntryFactory(contact=person, cost=50)
    InteractionLogEntryFactory(cost=100)
    response = save(
        sales_client, "  Big  deals ", f"contact={person.number}&sort=-cost&page=3&export=csv", ["date", "cost"]
    )
    view = LogView.objects.get()
    assert (view.owner, view.name, view.shared, view.is_default) == (sales_user, "Big deals", False, False)
    assert view.query_string == f"contact={person.number}&sort=-cost"  # no page, no export
    assert view.columns == ["date", "cost"]
    assert response.status_code == 302 and response["Location"].endswith(f"view={view.pk}")
    opened = sales_client.get(response["Location"])
    assert rows(opened) == [dear.entry_no, mine.entry_no]
    assert [c.name for c in opened.context["table"].columns if c.name != "selection"] == ["date", "cost"]
    assert opened.context["current_view"] == view


def colleague_client() -> Client:
    client = Client()
    client.force_login(UserFactory(username="colleague", groups=["Sales staff"]))
    return client


def test_private_views_are_the_owners_and_shared_ones_the_teams(sales_client, sales_user):
    save(sales_client, "Mine only")
    save(sales_client, "For the team", shared=True)
    client = colleague_client()
    response = client.get(LOG)
    assert [view.name for view in response.context["views"]] == ["For the team"]
    private = LogView.objects.get(name="Mine only")
    opened = client.get(LOG, {"view": private.pk})
    assert opened.context["current_view"] is None
    assert "does not exist or is not shared with you" in opened.content.decode()
    shared = LogView.objects.get(name="For the team")
    assert client.get(LOG, {"view": shared.pk}).context["current_view"] == shared
    assert "Change view" not in client.get(LOG, {"view": shared.pk}).content.decode()


def test_only_the_owner_renames_deletes_or_shares_a_view(sales_client):
    save(sales_client, "Team view", shared=True)
    view = LogView.objects.get()
    client = colleague_client()
    change = reverse("interactions:log-view-change", args=[view.pk])
    delete = reverse("interactions:log-view-delete", args=[view.pk])
    assert client.post(change, {"name": "Hijacked"}).status_code == 403
    assert client.post(delete).status_code == 403
    view.refresh_from_db()
    assert (view.name, view.shared) == ("Team view", True)
    # The owner may.
    assert sales_client.post(change, {"name": "Renamed"}).status_code == 302
    view.refresh_from_db()
    assert (view.name, view.shared) == ("Renamed", False)
    assert sales_client.post(delete).status_code == 302
    assert not LogView.objects.exists()


def test_the_default_view_opens_the_log_and_is_one_per_user(sales_client):
    person = PersonFactory()
    save(sales_client, "First", f"contact={person.number}", default=True)
    save(sales_client, "Second", "canceled=false", default=True)
    assert list(LogView.objects.filter(is_default=True).values_list("name", flat=True)) == ["Second"]
    second = LogView.objects.get(name="Second")
    response = sales_client.get(LOG)
    assert response.status_code == 302 and response["Location"] == f"{LOG}?canceled=false&view={second.pk}"
    # Clearing the filter shows everything, not the default view again.
    assert sales_client.get(LOG, {"all": "1"}).status_code == 200
    first = LogView.objects.get(name="First")
    sales_client.post(reverse("interactions:log-view-change", args=[first.pk]), {"name": "First", "default": "on"})
    assert list(LogView.objects.filter(is_default=True).values_list("name", flat=True)) == ["First"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"name": "   "}, "This field is required."),
        ({"name": "x" * 81}, "at most 80 characters"),
        ({"name": "Mine", "columns": ["password"]}, "Select a valid choice."),
        ({"name": "Taken"}, "You already have a view named “Taken”."),
        ({"name": "tAKEN"}, "You already have a view named “tAKEN”."),
        ({"name": "Long", "query_string": "q=" + "x" * 2100}, "The filter is too long to be saved."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_saves_nothing(sales_client, data, message):
    save(sales_client, "Taken")
    response = sales_client.post(CREATE, data, follow=True)
    assert message in response.content.decode()
    assert LogView.objects.count() == 1


def test_a_view_of_another_user_with_the_same_name_is_fine(sales_client):
    save(sales_client, "Today")
    save(colleague_client(), "Today")
    assert LogView.objects.filter(name="Today").count() == 2


def test_the_log_page_with_views_runs_the_same_queries_for_few_and_many_views(sales_client, sales_user):
    InteractionLogEntryFactory.create_batch(3)
    save(sales_client, "One", shared=True)

    def queries():
        with CaptureQueriesContext(connection) as context:
            sales_client.get(LOG, {"all": "1"})
        return len(context.captured_queries)

    few = queries()
    for n in range(5):
        other = UserFactory(username=f"other{n}", groups=["Sales staff"])
        LogView.objects.create(owner=other, name=f"Shared {n}", shared=True)
    assert queries() == few
