"""The log's references without a database constraint (NO_DATABASE_FOREIGN_KEY) are held
on delete by Django's on_delete everywhere and, on PostgreSQL, by triggers on the
referenced tables (migration 0006): any writer, not only Django, is refused or has the
reference cleared."""

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from crm.contacts.models import Contact
from interactions.models import InteractionGroup, InteractionLogEntry, LoggedSegment
from interactions.models.log import NO_DATABASE_FOREIGN_KEY

from .factories import CompanyFactory, InteractionGroupFactory, InteractionLogEntryFactory, LoggedSegmentFactory

pytestmark = pytest.mark.django_db


def _raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _raw_delete(instance) -> None:
    _raw(f"DELETE FROM {connection.ops.quote_name(instance._meta.db_table)} WHERE id = %s", [instance.pk])


def test_the_log_keeps_database_constraints_on_what_the_entry_is_about():
    table = InteractionLogEntry._meta.db_table
    with connection.cursor() as cursor:
        constrained = {
            columns[0]
            for constraint in connection.introspection.get_constraints(cursor, table).values()
            if constraint["foreign_key"]
            for columns in [constraint["columns"]]
        }
    assert constrained == {
        "contact_id",
        "template_id",
        "salesperson_id",
        "campaign_id",
        "attachment_id",
        "canceled_changed_by_id",
    }
    assert {f"{field}_id" for field in NO_DATABASE_FOREIGN_KEY}.isdisjoint(constrained)


def test_a_group_the_log_refers_to_cannot_be_deleted_or_renumbered_by_any_writer(postgresql):
    entry = InteractionLogEntryFactory()
    group = entry.group
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_delete(group)
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw("UPDATE interactions_interactiongroup SET id = id + 1000 WHERE id = %s", [group.pk])
    with pytest.raises(ProtectedError):
        group.delete()
    assert InteractionGroup.objects.filter(pk=group.pk).exists()
    entry.refresh_from_db()
    assert entry.group_id == group.pk

    unused = InteractionGroupFactory()
    _raw("UPDATE interactions_interactiongroup SET description = 'renamed' WHERE id = %s", [unused.pk])
    _raw_delete(unused)
    assert not InteractionGroup.objects.filter(pk=unused.pk).exists()


def test_a_company_the_log_refers_to_cannot_be_deleted_after_its_person_moved_on(postgresql):
    entry = InteractionLogEntryFactory()
    person, old_company = entry.contact, entry.contact_company
    assert old_company.type == Contact.Type.COMPANY
    # The entry keeps the company of the day it was logged; the person then moves.
    person.company = CompanyFactory()
    person.save()
    assert not Contact.objects.filter(company=old_company).exists()

    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_delete(old_company)
    assert Contact.objects.filter(pk=old_company.pk).exists()
    with pytest.raises(ProtectedError):
        old_company.delete()


def test_deleting_a_user_or_a_logged_segment_clears_the_log_reference_and_keeps_the_entry(postgresql):
    user = get_user_model().objects.create_user("leaving")
    logged = LoggedSegmentFactory()
    entry = InteractionLogEntryFactory(user=user, logged_segment=logged, segment_number="SM1")

    _raw_delete(user)
    _raw_delete(logged)

    entry.refresh_from_db()
    assert (entry.user_id, entry.logged_segment_id, entry.segment_number) == (None, None, "SM1")
    assert not LoggedSegment.objects.filter(pk=logged.pk).exists()


def test_django_protects_the_group_and_company_and_clears_the_user_and_logged_segment():
    user = get_user_model().objects.create_user("leaving")
    logged = LoggedSegmentFactory()
    entry = InteractionLogEntryFactory(user=user, logged_segment=logged)
    with pytest.raises(ProtectedError):
        entry.group.delete()
    with pytest.raises(ProtectedError):
        entry.contact_company.delete()
    user.delete()
    logged.delete()
    entry.refresh_from_db()
    assert (entry.user_id, entry.logged_segment_id) == (None, None)
    assert entry.group is not None and entry.contact_company is not None
