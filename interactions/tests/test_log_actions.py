"""Cancel and restore after confirmation, evaluate, comment; who may do what."""

import pytest
from django.urls import reverse

from interactions.models import InteractionComment, InteractionLogEntry

from .factories import InteractionLogEntryFactory, LoggedSegmentFactory, UserFactory

pytestmark = pytest.mark.django_db
ACTIONS = reverse("interactions:log-actions")


def reload(entry):
    return InteractionLogEntry.objects.get(pk=entry.pk)


def test_cancel_asks_for_confirmation_listing_the_entries_and_changes_nothing(manager_client):
    first, second = InteractionLogEntryFactory(description="First call"), InteractionLogEntryFactory()
    response = manager_client.post(ACTIONS, {"action": "cancel", "entry": [first.pk, second.pk]})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Cancel these interaction log entries?" in page
    assert "First call" in page
    assert not InteractionLogEntry.objects.filter(canceled=True).exists()


def test_confirmed_cancel_marks_the_entries_and_records_who_and_when(manager_client, manager_user):
    first, second, untouched = InteractionLogEntryFactory.create_batch(3)
    response = manager_client.post(
        ACTIONS, {"action": "cancel", "entry": [first.pk, second.pk], "confirmed": "on", "next": "/interactions/log/"}
    )
    assert response.status_code == 302 and response["Location"] == "/interactions/log/"
    for entry in (first, second):
        entry = reload(entry)
        assert entry.canceled and entry.canceled_changed_by == manager_user and entry.canceled_changed_at
    assert not reload(untouched).canceled


def test_confirmed_restore_clears_canceled(manager_client):
    entry = InteractionLogEntryFactory(canceled=True)
    manager_client.post(ACTIONS, {"action": "restore", "entry": [entry.pk], "confirmed": "on"})
    assert not reload(entry).canceled


def test_restore_is_refused_while_the_logged_segment_is_canceled(manager_client):
    segment = LoggedSegmentFactory(canceled=True)
    in_segment = InteractionLogEntryFactory(canceled=True, logged_segment=segment)
    alone = InteractionLogEntryFactory(canceled=True)
    response = manager_client.post(
        ACTIONS, {"action": "restore", "entry": [in_segment.pk, alone.pk], "confirmed": "on"}, follow=True
    )
    assert reload(in_segment).canceled
    assert not reload(alone).canceled
    assert "belong to a canceled logged segment" in response.content.decode()


def shown_messages(response) -> list[tuple[str, str]]:
    return [(message.level_tag, str(message)) for message in response.context["messages"]]


def test_restoring_only_entries_of_a_canceled_logged_segment_shows_the_refusal_alone(manager_client):
    segment = LoggedSegmentFactory(canceled=True)
    in_segment = InteractionLogEntryFactory(canceled=True, logged_segment=segment)
    response = manager_client.post(
        ACTIONS, {"action": "restore", "entry": [in_segment.pk], "confirmed": "on"}, follow=True
    )
    shown = shown_messages(response)
    assert [level for level, _text in shown] == ["error"], shown
    assert "belong to a canceled logged segment" in shown[0][1]
    assert "0 entries" not in response.content.decode()


def test_canceling_entries_already_canceled_says_nothing_changed_not_zero_canceled(manager_client):
    entry = InteractionLogEntryFactory(canceled=True)
    response = manager_client.post(ACTIONS, {"action": "cancel", "entry": [entry.pk], "confirmed": "on"}, follow=True)
    shown = shown_messages(response)
    assert shown == [("info", "Nothing has changed: the selected entries were canceled already.")]


def test_sales_staff_cannot_cancel_even_by_a_direct_post(sales_client):
    entry = InteractionLogEntryFactory()
    response = sales_client.post(ACTIONS, {"action": "cancel", "entry": [entry.pk], "confirmed": "on"})
    assert response.status_code == 403
    assert not reload(entry).canceled


def test_sales_staff_do_not_see_cancel_buttons_but_can_evaluate(sales_client):
    entry = InteractionLogEntryFactory()
    page = sales_client.get(reverse("interactions:log")).content.decode()
    assert 'value="cancel"' not in page
    assert 'value="evaluate"' in page
    sales_client.post(ACTIONS, {"action": "evaluate", "entry": [entry.pk], "evaluation": "very_positive"})
    assert reload(entry).evaluation == "very_positive"


def test_user_without_evaluate_permission_cannot_evaluate(client):
    from django.contrib.auth.models import Permission

    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_interactionlogentry"))
    client.force_login(user)
    entry = InteractionLogEntryFactory()
    assert (
        client.post(ACTIONS, {"action": "evaluate", "entry": [entry.pk], "evaluation": "negative"}).status_code == 403
    )
    assert reload(entry).evaluation == ""


@pytest.mark.parametrize(
    "data",
    [
        {"action": "cancel"},
        {"action": "cancel", "entry": ["abc"]},
        {"action": "cancel", "entry": ["-5"]},
        {"action": "explode", "entry": ["1"]},
        {"action": "evaluate", "entry": ["1"], "evaluation": "superb"},
    ],
)
def test_bad_action_input_changes_nothing_and_says_why(manager_client, data):
    entry = InteractionLogEntryFactory()
    response = manager_client.post(ACTIONS, {**data, "confirmed": "on"}, follow=True)
    assert response.status_code == 200
    assert response.context["messages"]
    entry = reload(entry)
    assert not entry.canceled and entry.evaluation == ""


def test_next_must_stay_on_this_site(manager_client):
    entry = InteractionLogEntryFactory()
    response = manager_client.post(
        ACTIONS, {"action": "cancel", "entry": [entry.pk], "confirmed": "on", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("interactions:log")


def test_entry_page_shows_details_and_adds_a_comment(sales_client, sales_user):
    entry = InteractionLogEntryFactory(description="Price negotiation")
    url = reverse("interactions:entry-detail", args=[entry.pk])
    page = sales_client.get(url)
    assert page.status_code == 200 and "Price negotiation" in page.content.decode()
    response = sales_client.post(url, {"date": "2026-03-01", "text": "Call back on Monday"})
    assert response.status_code == 302
    comment = InteractionComment.objects.get(entry=entry)
    assert comment.text == "Call back on Monday" and comment.author == sales_user
    assert "Call back on Monday" in sales_client.get(url).content.decode()


def test_an_empty_comment_is_refused(sales_client):
    entry = InteractionLogEntryFactory()
    url = reverse("interactions:entry-detail", args=[entry.pk])
    response = sales_client.post(url, {"date": "2026-03-01", "text": ""})
    assert response.status_code == 200
    assert response.context["comment_form"].errors
    assert not InteractionComment.objects.exists()


def test_comment_text_is_escaped(sales_client):
    entry = InteractionLogEntryFactory()
    url = reverse("interactions:entry-detail", args=[entry.pk])
    sales_client.post(url, {"date": "2026-03-01", "text": "<script>alert(1)</script>"})
    page = sales_client.get(url).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_unknown_entry_is_a_404(sales_client):
    assert sales_client.get(reverse("interactions:entry-detail", args=[999999])).status_code == 404


def test_a_selection_at_the_limit_asks_for_confirmation(manager_client):
    from interactions.views import log as log_views

    entries = InteractionLogEntryFactory.create_batch(3)
    limit = log_views.MAX_SELECTION
    numbers = [entry.pk for entry in entries] + list(range(10**9, 10**9 + limit - len(entries)))
    response = manager_client.post(ACTIONS, {"action": "cancel", "entry": numbers})
    assert response.status_code == 200
    assert "Select at most" not in response.content.decode()


def test_a_selection_past_the_limit_is_refused_with_a_message_and_changes_nothing(manager_client):
    from interactions.views import log as log_views

    entries = InteractionLogEntryFactory.create_batch(3)
    limit = log_views.MAX_SELECTION
    numbers = [entry.pk for entry in entries] + list(range(10**9, 10**9 + limit + 1 - len(entries)))
    response = manager_client.post(ACTIONS, {"action": "cancel", "entry": numbers, "confirmed": "on"}, follow=True)
    assert response.status_code == 200
    assert f"Select at most {limit} entries at a time." in response.content.decode()
    assert not InteractionLogEntry.objects.filter(canceled=True).exists()
