"""Concurrent writers keep the summary tables exact (PostgreSQL, connections of their own):
entries logged at once into the same summary rows all count (the upsert's row lock makes the
second writer add after the first), an entry canceled on its own while its logged
segment is being canceled is taken out once, and a purge racing a restore or a cancel of
entries of the same summary row leaves the canceled count exact."""

import datetime
from decimal import Decimal

import pytest
from django.db import connections

from interactions.models import InteractionDaySummary, InteractionLogEntry
from interactions.services import segments as segment_services
from interactions.services.log_entries import cancel_entries, restore_entries
from interactions.services.purge.service import purge_canceled_interactions
from interactions.services.recording import InteractionDetails, record_interaction

from .factories import (
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    LoggedSegmentFactory,
    PersonFactory,
    SalespersonFactory,
    UserFactory,
)
from .race_support import at_once
from .test_summaries import expected_summaries, stored_summaries

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql]


@pytest.fixture
def manager(postgresql):
    return UserFactory(username="manager", groups=["Sales manager"])


def test_entries_logged_at_once_into_the_same_rows_all_count(manager, racers):
    person = PersonFactory()
    template = InteractionTemplateFactory(code="CALL")
    salesperson = SalespersonFactory()
    details = InteractionDetails(
        contact=person,
        template=template,
        salesperson=salesperson,
        date=datetime.date(2026, 3, 2),
        description="Call",
        cost=Decimal("2.50"),
        duration=5,
    )

    def record():
        return record_interaction(details=details, user=manager)

    first = racers(record, hold=True).start().wait_called()
    second = racers(record).start()
    assert second.wait_blocked_or_done(), "the second writer did not wait for the first one's summary rows"
    first.commit()
    first.join()
    second.join()
    many = [racers(call) for call in at_once(*[record] * 6)]
    for racer in many:
        racer.start()
    for racer in many:
        racer.join()
    connections.close_all()

    [row] = InteractionDaySummary.objects.all()
    assert (row.count, row.cost, row.duration) == (8, Decimal("20.00"), 40)
    assert stored_summaries() == expected_summaries()


def cancel(entry, manager):
    return lambda: cancel_entries(entry_numbers=[entry.pk], user=manager)


def cancel_segment(logged, manager):
    return lambda: segment_services.set_logged_segment_canceled(logged_segment=logged, canceled=True, user=manager)


def test_an_entry_canceled_while_its_segment_is_canceled_is_taken_out_once(manager, racers):
    for _try in range(10):
        logged = LoggedSegmentFactory()
        entries = InteractionLogEntryFactory.create_batch(3, logged_segment=logged)
        entry = entries[0]
        canceling_entry = racers(cancel(entry, manager), hold=True)
        canceling_entry.start().wait_called()
        canceling_segment = racers(cancel_segment(logged, manager)).start()
        assert canceling_segment.wait_blocked_or_done(), "the segment's cancel did not wait for the entry's"
        canceling_entry.commit()
        canceling_entry.join()
        assert canceling_segment.join() == 2
        assert stored_summaries() == expected_summaries()
        # Both at once, then restored: still exact.
        logged = LoggedSegmentFactory()
        entries = InteractionLogEntryFactory.create_batch(3, logged_segment=logged)
        both = at_once(cancel(entries[1], manager), cancel_segment(logged, manager))
        racing = [racers(call) for call in both]
        for racer in racing:
            racer.start()
        for racer in racing:
            racer.join()
        assert stored_summaries() == expected_summaries()
        segment_services.set_logged_segment_canceled(logged_segment=logged, canceled=False, user=manager)
        restore_entries(entry_numbers=[entries[1].pk], user=manager)
        assert stored_summaries() == expected_summaries()
    connections.close_all()
    assert InteractionLogEntry.objects.filter(canceled=False).exists()


def test_a_purge_racing_a_restore_and_a_cancel_in_the_same_summary_row_keeps_the_canceled_count_exact(manager, racers):
    template = InteractionTemplateFactory(code="LETTER")
    person = PersonFactory()
    salesperson = SalespersonFactory()

    def entries(count):
        made = InteractionLogEntryFactory.create_batch(
            count, template=template, contact=person, salesperson=salesperson, date=datetime.date(2026, 3, 2)
        )
        cancel_entries(entry_numbers=[entry.pk for entry in made[:-1]], user=manager)  # the last one stays
        return made

    def purge():
        return purge_canceled_interactions(batch_size=1000)

    # A restore holds its entry: the purge's DELETE waits for it, then leaves it.
    made = entries(3)
    restoring = racers(lambda: restore_entries(entry_numbers=[made[0].pk], user=manager), hold=True)
    restoring.start().wait_called()
    purging = racers(purge).start()
    assert purging.wait_blocked_or_done(), "the purge did not wait for the restore"
    restoring.commit()
    restoring.join()
    assert purging.join() == 1
    assert stored_summaries() == expected_summaries()

    # A purge holds its batch and its summary row: a restore of a purged entry finds it gone,
    # and a cancel in the same summary row adds after the purge.
    made = entries(3)
    purging = racers(purge, hold=True)
    purging.start().wait_called()
    restoring = racers(lambda: restore_entries(entry_numbers=[made[0].pk], user=manager)).start()
    canceling = racers(cancel(made[2], manager)).start()
    assert restoring.wait_blocked_or_done(), "the restore did not wait for the purge"
    assert canceling.wait_blocked_or_done(), "the cancel did not wait for the purge's summary row"
    purging.commit()
    assert purging.join() == 2
    assert restoring.join().changed == []
    canceling.join()
    connections.close_all()
    assert stored_summaries() == expected_summaries()
    [row] = InteractionDaySummary.objects.filter(canceled__gt=0)
    assert row.canceled == 1  # the entry canceled meanwhile, waiting for the next purge
