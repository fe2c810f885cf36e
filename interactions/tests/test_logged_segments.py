"""The logged segments page: its columns without a query per row, cancel and restore
cascading to the entries in one statement, the restore refusal for a single entry, deleting
canceled logged segments, and who may do what."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from interactions.models import InteractionLogEntry, LoggedSegment
from interactions.services import segments as services
from interactions.services.log_entries import restore_entries

from .factories import (
    InteractionLogEntryFactory,
    LoggedSegmentFactory,
    PersonFactory,
    SegmentFactory,
    SegmentLineFactory,
)

pytestmark = pytest.mark.django_db
PAGE = reverse("interactions:logged-segments")


def logged_with_entries(count: int, user, **segment_values) -> LoggedSegment:
    segment = SegmentFactory(**segment_values)
    for _number in range(count):
        SegmentLineFactory(segment=segment)
    return services.log_segment(segment=segment, user=user).logged_segment


def cancel_url(logged_segment) -> str:
    return reverse("interactions:logged-segment-cancel", args=[logged_segment.pk])


def test_page_lists_number_date_user_segment_description_and_interactions(sales_client, sales_user):
    logged = logged_with_entries(3, sales_user, description="Spring fair invitation")
    response = sales_client.get(PAGE)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Spring fair invitation" in page and logged.segment_number in page and sales_user.username in page
    row = response.context["table"].rows[0]
    assert row.record.entry_count == 3
    assert f'?logged_segment={logged.pk}"' in page  # each links to its entries in the log


def test_page_runs_no_query_per_row(sales_client, sales_user):
    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert sales_client.get(PAGE).status_code == 200
        return len(context)

    logged_with_entries(2, sales_user)
    few = queries()
    for _number in range(6):
        logged_with_entries(2, sales_user)
    assert queries() == few


def test_canceling_a_logged_segment_cancels_all_its_entries_in_one_statement(manager_user):
    logged = logged_with_entries(4, manager_user)
    other = InteractionLogEntryFactory()
    table = InteractionLogEntry._meta.db_table
    with CaptureQueriesContext(connection) as context:
        switched = services.set_logged_segment_canceled(logged_segment=logged, canceled=True, user=manager_user)
    updates = [q["sql"] for q in context.captured_queries if q["sql"].startswith(f'UPDATE "{table}"')]
    assert switched == 4 and len(updates) == 1
    entries = InteractionLogEntry.objects.filter(logged_segment=logged)
    assert (
        entries.filter(canceled=True, canceled_changed_by=manager_user, canceled_changed_at__isnull=False).count() == 4
    )
    assert LoggedSegment.objects.get(pk=logged.pk).canceled
    other.refresh_from_db()
    assert not other.canceled


def test_a_single_entry_cannot_be_restored_while_its_logged_segment_is_canceled(manager_user):
    logged = logged_with_entries(2, manager_user)
    services.set_logged_segment_canceled(logged_segment=logged, canceled=True, user=manager_user)
    entry = InteractionLogEntry.objects.filter(logged_segment=logged).first()
    result = restore_entries(entry_numbers=[entry.pk], user=manager_user)
    assert result.refused == [entry.pk] and result.changed == []
    entry.refresh_from_db()
    assert entry.canceled

    services.set_logged_segment_canceled(logged_segment=logged, canceled=False, user=manager_user)
    assert not InteractionLogEntry.objects.filter(logged_segment=logged, canceled=True).exists()
    assert not LoggedSegment.objects.get(pk=logged.pk).canceled


def test_manager_cancels_from_the_page_after_confirmation(manager_client, manager_user):
    logged = logged_with_entries(3, manager_user, description="Price list by e-mail")
    response = manager_client.post(cancel_url(logged), {"canceled": "1"})
    page = response.content.decode()
    assert response.status_code == 200
    assert f"Cancel logged segment {logged.pk}?" in page and "All its 3 interactions will be canceled with it." in page
    assert not LoggedSegment.objects.get(pk=logged.pk).canceled

    response = manager_client.post(cancel_url(logged), {"canceled": "1", "confirmed": "on"}, follow=True)
    assert f"Logged segment {logged.pk} has been canceled with its 3 interactions." in response.content.decode()
    assert InteractionLogEntry.objects.filter(logged_segment=logged, canceled=True).count() == 3

    manager_client.post(cancel_url(logged), {"canceled": "0", "confirmed": "on"})
    assert not InteractionLogEntry.objects.filter(logged_segment=logged, canceled=True).exists()


def test_sales_staff_cannot_cancel_a_logged_segment(sales_client, sales_user):
    logged = logged_with_entries(2, sales_user)
    assert 'name="canceled"' not in sales_client.get(PAGE).content.decode()
    response = sales_client.post(cancel_url(logged), {"canceled": "1", "confirmed": "on"})
    assert response.status_code == 403
    assert not LoggedSegment.objects.get(pk=logged.pk).canceled
    assert not InteractionLogEntry.objects.filter(canceled=True).exists()
    with pytest.raises(PermissionDenied):
        services.set_logged_segment_canceled(logged_segment=logged, canceled=True, user=sales_user)


def test_deleting_canceled_logged_segments_keeps_their_entries_without_the_link(manager_client, manager_user):
    canceled = logged_with_entries(2, manager_user)
    kept = logged_with_entries(1, manager_user)
    services.set_logged_segment_canceled(logged_segment=canceled, canceled=True, user=manager_user)
    url = reverse("interactions:logged-segments-delete-canceled")

    response = manager_client.post(url)
    assert "Delete the canceled logged segments?" in response.content.decode()
    assert LoggedSegment.objects.filter(pk=canceled.pk).exists()

    response = manager_client.post(url, {"confirmed": "on"}, follow=True)
    assert "1 canceled logged segment has been deleted; its interactions stay in the log." in response.content.decode()
    assert list(LoggedSegment.objects.values_list("pk", flat=True)) == [kept.pk]
    orphans = InteractionLogEntry.objects.filter(segment_number=canceled.segment_number)
    assert orphans.count() == 2
    assert not orphans.filter(logged_segment__isnull=False).exists()
    assert all(orphans.values_list("canceled", flat=True))
    assert InteractionLogEntry.objects.filter(logged_segment=kept).count() == 1


def test_sales_staff_cannot_delete_canceled_logged_segments(sales_client):
    logged = LoggedSegmentFactory(canceled=True)
    assert "canceled logged segment" not in sales_client.get(PAGE).content.decode()
    response = sales_client.post(reverse("interactions:logged-segments-delete-canceled"), {"confirmed": "on"})
    assert response.status_code == 403
    assert LoggedSegment.objects.filter(pk=logged.pk).exists()


def test_the_entries_of_a_logged_segment_are_reached_from_it(sales_client, sales_user):
    person = PersonFactory(name="Reachable Person")
    segment = SegmentFactory(description="Reach")
    SegmentLineFactory(segment=segment, contact=person)
    logged = services.log_segment(segment=segment, user=sales_user).logged_segment
    page = sales_client.get(f"{reverse('interactions:log')}?logged_segment={logged.pk}").content.decode()
    assert "Reachable Person" in page
