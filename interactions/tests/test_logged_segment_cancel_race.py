"""An entry restored on its own while its logged segment is being canceled never stays
restored inside the canceled segment: the restore and the segment's cancel both lock the
logged segment's row, so one waits for the other, whichever comes first (PostgreSQL, two
connections)."""

import pytest
from django.db import connections

from interactions.models import InteractionLogEntry, LoggedSegment
from interactions.services import segments as segment_services
from interactions.services.log_entries import cancel_entries, restore_entries

from .factories import InteractionLogEntryFactory, LoggedSegmentFactory, UserFactory
from .race_support import at_once

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql]


@pytest.fixture
def manager(postgresql):
    return UserFactory(username="manager", groups=["Sales manager"])


def segment_with_one_entry_canceled(manager) -> tuple[LoggedSegment, InteractionLogEntry]:
    """A logged segment (not canceled) of three entries, one of them canceled on its own."""
    logged = LoggedSegmentFactory()
    entries = InteractionLogEntryFactory.create_batch(3, logged_segment=logged)
    cancel_entries(entry_numbers=[entries[0].pk], user=manager)
    return logged, entries[0]


def restore(entry, manager):
    return lambda: restore_entries(entry_numbers=[entry.pk], user=manager)


def cancel_segment(logged, manager):
    return lambda: segment_services.set_logged_segment_canceled(logged_segment=logged, canceled=True, user=manager)


def assert_no_entry_restored_inside_a_canceled_segment():
    inconsistent = InteractionLogEntry.objects.filter(logged_segment__canceled=True, canceled=False)
    assert list(inconsistent.values_list("entry_no", flat=True)) == []


def test_a_segment_canceled_while_a_restore_is_uncommitted_cancels_the_restored_entry(manager, racers):
    logged, entry = segment_with_one_entry_canceled(manager)
    restoring = racers(restore(entry, manager), hold=True).start().wait_called()
    canceling = racers(cancel_segment(logged, manager)).start()
    assert canceling.wait_blocked_or_done(), "the segment's cancel did not wait for the restore"
    restoring.commit()
    assert restoring.join().changed == [entry.pk]
    canceling.join()

    assert InteractionLogEntry.objects.get(pk=entry.pk).canceled
    assert not InteractionLogEntry.objects.filter(logged_segment=logged, canceled=False).exists()


def test_a_restore_while_the_segments_cancel_is_uncommitted_is_refused(manager, racers):
    logged, entry = segment_with_one_entry_canceled(manager)
    canceling = racers(cancel_segment(logged, manager), hold=True).start().wait_called()
    restoring = racers(restore(entry, manager)).start()
    assert restoring.wait_blocked_or_done(), "the restore did not wait for the segment's cancel"
    canceling.commit()
    canceling.join()
    result = restoring.join()

    assert (result.changed, result.refused) == ([], [entry.pk])
    assert InteractionLogEntry.objects.get(pk=entry.pk).canceled
    assert_no_entry_restored_inside_a_canceled_segment()


def test_restores_racing_segment_cancels_never_leave_an_entry_restored_in_a_canceled_segment(manager, racers):
    tries = 40
    for _try in range(tries):
        logged, entry = segment_with_one_entry_canceled(manager)
        both = [racers(call) for call in at_once(restore(entry, manager), cancel_segment(logged, manager))]
        for racer in both:
            racer.start()
        for racer in both:
            racer.join()
        assert_no_entry_restored_inside_a_canceled_segment()
    connections.close_all()
