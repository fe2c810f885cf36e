"""Deleting canceled interaction log entries: the service, its archive, the commands."""

import datetime
import io
import itertools
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from interactions.models import Attachment, InteractionComment, InteractionLogEntry, LoggedSegment
from interactions.services.purge import service as purge_module
from interactions.services.purge.archive import ArchiveRefused, restore_purged_interactions
from interactions.services.purge.service import (
    PurgeFilter,
    _delete_batch,
    delete_canceled_logged_segments,
    purge_canceled_interactions,
)

from .factories import (
    CampaignFactory,
    InteractionCommentFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    InteractionTemplateLanguageFactory,
    LoggedSegmentFactory,
    PersonFactory,
    SalespersonFactory,
    UserFactory,
)
from .purge_support import archive_lines, attachment, canceled_entry, many_entries

pytestmark = pytest.mark.django_db


def exists(entry) -> bool:
    return InteractionLogEntry.objects.filter(pk=entry.pk).exists()


def snapshot(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


# --- Which entries go ---------------------------------------------------------------------


def test_only_canceled_entries_are_deleted():
    canceled = [canceled_entry() for _ in range(3)]
    kept = [InteractionLogEntryFactory() for _ in range(2)]

    deleted = purge_canceled_interactions()

    assert deleted == 3
    assert not any(exists(entry) for entry in canceled)
    assert all(exists(entry) for entry in kept)


def _by_entry_numbers():
    before, inside, inside_not_canceled, last_inside, after = (
        canceled_entry(),
        canceled_entry(),
        InteractionLogEntryFactory(),
        canceled_entry(),
        canceled_entry(),
    )
    return (
        PurgeFilter(entry_from=inside.pk, entry_to=last_inside.pk),
        [inside, last_inside],
        [before, inside_not_canceled, after],
    )


def _by_contact():
    contact = PersonFactory()
    return (
        lambda: PurgeFilter(contact_id=contact.pk),
        [canceled_entry(contact=contact)],
        [canceled_entry(), InteractionLogEntryFactory(contact=contact)],
    )


def _by_dates():
    day = datetime.date
    return (
        PurgeFilter(date_from=day(2024, 3, 1), date_to=day(2024, 3, 20)),
        [canceled_entry(date=day(2024, 3, 1)), canceled_entry(date=day(2024, 3, 20))],
        [
            canceled_entry(date=day(2024, 2, 29)),
            canceled_entry(date=day(2024, 3, 21)),
            InteractionLogEntryFactory(date=day(2024, 3, 10)),
        ],
    )


def _by_campaign():
    campaign = CampaignFactory()
    return (
        PurgeFilter(campaign_id=campaign.pk),
        [canceled_entry(campaign=campaign)],
        [canceled_entry(campaign=CampaignFactory()), canceled_entry(), InteractionLogEntryFactory(campaign=campaign)],
    )


def _by_group():
    template = InteractionTemplateFactory()
    return (
        PurgeFilter(group_id=template.group_id),
        [canceled_entry(template=template)],
        [canceled_entry(), InteractionLogEntryFactory(template=template)],
    )


def _by_template():
    template = InteractionTemplateFactory()
    same_group = InteractionTemplateFactory(group=template.group)
    return (
        PurgeFilter(template_id=template.pk),
        [canceled_entry(template=template)],
        [canceled_entry(template=same_group), InteractionLogEntryFactory(template=template)],
    )


def _by_salesperson():
    salesperson = SalespersonFactory()
    return (
        PurgeFilter(salesperson_id=salesperson.pk),
        [canceled_entry(salesperson=salesperson)],
        [canceled_entry(salesperson=SalespersonFactory()), InteractionLogEntryFactory(salesperson=salesperson)],
    )


def _by_time_of_cancellation():
    now = timezone.now()
    return (
        PurgeFilter(canceled_before=now - datetime.timedelta(days=30)),
        [canceled_entry(canceled_changed_at=now - datetime.timedelta(days=40))],
        [
            canceled_entry(canceled_changed_at=now - datetime.timedelta(days=10)),
            # No time of cancellation: not known to be old enough.
            canceled_entry(canceled_changed_at=None),
        ],
    )


@pytest.mark.parametrize(
    "case",
    [
        _by_entry_numbers,
        _by_contact,
        _by_dates,
        _by_campaign,
        _by_group,
        _by_template,
        _by_salesperson,
        _by_time_of_cancellation,
    ],
    ids=lambda case: case.__name__.lstrip("_"),
)
def test_a_filter_deletes_only_the_canceled_entries_it_matches(case):
    filters, going, staying = case()
    filters = filters() if callable(filters) else filters

    assert purge_canceled_interactions(filters=filters, dry_run=True) == len(going)
    deleted = purge_canceled_interactions(filters=filters, batch_size=1)

    assert deleted == len(going)
    assert [exists(entry) for entry in going] == [False] * len(going)
    assert [exists(entry) for entry in staying] == [True] * len(staying)


def test_a_filter_travels_to_the_task_as_json_and_back_unchanged():
    import json

    filters = PurgeFilter(
        entry_from=5,
        entry_to=900,
        contact_id=3,
        date_from=datetime.date(2024, 1, 1),
        date_to=datetime.date(2024, 12, 31),
        campaign_id=7,
        group_id=8,
        template_id=9,
        salesperson_id=10,
        canceled_before=timezone.now(),
    )
    assert PurgeFilter.from_dict(json.loads(json.dumps(filters.to_dict()))) == filters
    assert PurgeFilter.from_dict({}) == PurgeFilter()
    with pytest.raises(ValueError):
        PurgeFilter.from_dict({"customer_id": 1})


def test_a_batch_never_deletes_an_entry_that_is_no_longer_canceled():
    # The batch was chosen while both were canceled; one has been restored since.
    canceled, restored = canceled_entry(), canceled_entry()
    InteractionLogEntry.objects.filter(pk=restored.pk).update(canceled=False)

    assert _delete_batch(entry_numbers=[canceled.pk, restored.pk], archive=None) == 1

    assert not exists(canceled)
    assert exists(restored)


def test_a_dry_run_counts_and_changes_nothing(tmp_path):
    entries = [canceled_entry() for _ in range(3)]
    InteractionCommentFactory(entry=entries[0])
    archive = tmp_path / "archive.jsonl"

    assert purge_canceled_interactions(dry_run=True, archive_path=archive) == 3

    assert all(exists(entry) for entry in entries)
    assert InteractionComment.objects.count() == 1
    assert not archive.exists()


def test_the_purge_goes_through_all_batches_and_reports_progress():
    canceled, kept = many_entries(25, canceled_every=5)  # 20 canceled, 5 kept
    reports = []

    deleted = purge_canceled_interactions(batch_size=6, on_batch=lambda done, total: reports.append((done, total)))

    assert deleted == 20
    assert reports == [(6, 20), (12, 20), (18, 20), (20, 20)]
    assert set(InteractionLogEntry.objects.values_list("entry_no", flat=True)) == kept


def test_the_purge_takes_the_canceled_entries_in_date_order_batch_after_batch(tmp_path):
    # Entry numbers and dates in different orders (back-dated entries, imports): each batch
    # takes the oldest dates left, so that it touches few days of the summary tables.
    today = datetime.date.today()
    days_ago = [3, 9, 1, 7, 5, 8, 2, 6]
    for days in days_ago:
        canceled_entry(date=today - datetime.timedelta(days=days))
    archive = tmp_path / "purged.jsonl"
    assert purge_canceled_interactions(batch_size=3, archive_path=archive) == len(days_ago)
    archived_dates = [line["date"] for line in archive_lines(archive) if "date" in line]
    assert len(archived_dates) == len(days_ago)
    batches = [sorted(archived_dates[start : start + 3]) for start in range(0, len(archived_dates), 3)]
    assert all(earlier[-1] < later[0] for earlier, later in itertools.pairwise(batches)), batches


def test_a_purge_told_to_stop_stops_between_batches_and_a_second_run_finishes_it():
    canceled, _ = many_entries(10)
    batches = []

    first = purge_canceled_interactions(
        batch_size=4, on_batch=lambda done, total: batches.append(done), should_stop=lambda: len(batches) == 2
    )
    assert first == 8
    assert InteractionLogEntry.objects.filter(canceled=True).count() == 2

    assert purge_canceled_interactions(batch_size=4) == 2
    assert purge_canceled_interactions(batch_size=4) == 0  # idempotent
    assert not InteractionLogEntry.objects.filter(pk__in=canceled).exists()


def test_each_batch_costs_the_same_number_of_queries_however_many_entries_it_holds(tmp_path):
    def queries_to_purge(count: int) -> int:
        entries = [canceled_entry(attachment=attachment()) for _ in range(count)]
        for entry in entries:
            InteractionCommentFactory.create_batch(2, entry=entry)
        with CaptureQueriesContext(connection) as queries:
            assert purge_canceled_interactions(batch_size=100, archive_path=tmp_path / f"{count}.jsonl") == count
        return len(queries)

    assert queries_to_purge(2) == queries_to_purge(40)


def test_the_batch_size_must_be_positive():
    entry = canceled_entry()
    with pytest.raises(ValueError):
        purge_canceled_interactions(batch_size=0)
    assert exists(entry)


def test_the_service_refuses_a_user_without_the_purge_permission():
    entry = canceled_entry()
    with pytest.raises(PermissionDenied):
        purge_canceled_interactions(user=UserFactory(groups=["Sales staff"]))
    assert exists(entry)

    assert purge_canceled_interactions(user=UserFactory(groups=["Sales manager"])) == 1


# --- Comments and attachments -------------------------------------------------------------


def test_comments_go_with_their_entry_only():
    canceled, kept = canceled_entry(), InteractionLogEntryFactory()
    InteractionCommentFactory.create_batch(2, entry=canceled)
    kept_comment = InteractionCommentFactory(entry=kept)

    purge_canceled_interactions()

    assert list(InteractionComment.objects.all()) == [kept_comment]


def test_an_attachment_no_other_entry_uses_goes_and_its_file_after_the_commit(django_capture_on_commit_callbacks):
    file = attachment()
    path = Path(file.file.path)
    canceled_entry(attachment=file)
    assert path.exists()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        purge_canceled_interactions()
    assert not Attachment.objects.filter(pk=file.pk).exists()
    assert path.exists()  # the transaction has not committed yet

    for callback in callbacks:
        callback()
    assert not path.exists()


def test_a_shared_attachment_stays_while_an_entry_or_a_template_uses_it(django_capture_on_commit_callbacks):
    used_by_entry, used_by_template = attachment("a.pdf"), attachment("b.pdf")
    canceled_entry(attachment=used_by_entry)
    InteractionLogEntryFactory(attachment=used_by_entry)
    canceled_entry(attachment=used_by_template)
    InteractionTemplateLanguageFactory(attachment=used_by_template)

    with django_capture_on_commit_callbacks(execute=True):
        assert purge_canceled_interactions() == 2

    for file in (used_by_entry, used_by_template):
        assert Attachment.objects.filter(pk=file.pk).exists()
        assert Path(file.file.path).exists()


def test_an_attachment_shared_only_by_canceled_entries_goes_with_the_last_of_them(
    django_capture_on_commit_callbacks,
):
    shared = attachment()
    canceled_entry(attachment=shared), canceled_entry(attachment=shared)

    with django_capture_on_commit_callbacks(execute=True):
        assert purge_canceled_interactions(batch_size=1) == 2

    assert not Attachment.objects.filter(pk=shared.pk).exists()
    assert not Path(shared.file.path).exists()


# --- The archive and restoring from it -----------------------------------------------------


def test_the_archive_holds_exactly_the_deleted_entries_with_their_comments(tmp_path):
    going = [canceled_entry(cost="12.50") for _ in range(3)]
    comment = InteractionCommentFactory(entry=going[1], text="Called back")
    InteractionLogEntryFactory()  # not canceled
    archive = tmp_path / "purge.jsonl"

    assert purge_canceled_interactions(archive_path=archive, batch_size=2) == 3

    lines = archive_lines(archive)
    assert [line["entry_no"] for line in lines] == [entry.pk for entry in going]
    assert lines[0]["cost"] == "12.50"
    assert lines[0]["date"] == going[0].date.isoformat()
    assert lines[0]["canceled"] is True
    assert lines[1]["comments"] == [
        {
            "id": comment.pk,
            "date": comment.date.isoformat(),
            "text": "Called back",
            "author_id": None,
            "created_at": comment.created_at.isoformat(),
        }
    ]
    assert {field.attname for field in InteractionLogEntry._meta.concrete_fields} <= set(lines[0])


def test_a_failing_batch_leaves_its_entries_and_no_lines_in_the_archive(tmp_path, monkeypatch):
    entries = [canceled_entry() for _ in range(4)]
    archive = tmp_path / "purge.jsonl"
    calls = []

    def fail_on_second_batch(*, entries):
        calls.append(entries)
        if len(calls) == 2:
            raise RuntimeError("the database went away")

    monkeypatch.setattr(purge_module, "_delete_orphaned_document_versions", fail_on_second_batch)
    with pytest.raises(RuntimeError):
        purge_canceled_interactions(archive_path=archive, batch_size=2)

    assert [line["entry_no"] for line in archive_lines(archive)] == [entries[0].pk, entries[1].pk]
    assert [exists(entry) for entry in entries] == [False, False, True, True]


def test_restoring_the_archive_brings_back_entries_comments_and_attachments(
    tmp_path, django_capture_on_commit_callbacks
):
    user = UserFactory()
    file = attachment("quote.pdf", b"%PDF-1.4 the quote")
    going = [
        canceled_entry(attachment=file, user=user, canceled_changed_by=user, cost="3.10", time=datetime.time(9, 5)),
        canceled_entry(attachment=file),
        canceled_entry(),
    ]
    comments = [InteractionCommentFactory(entry=going[0], author=user), InteractionCommentFactory(entry=going[2])]
    before = [snapshot(entry) for entry in InteractionLogEntry.objects.order_by("entry_no")]
    comments_before = [snapshot(comment) for comment in comments]
    archive = tmp_path / "purge.jsonl"
    with django_capture_on_commit_callbacks(execute=True):
        assert purge_canceled_interactions(archive_path=archive, batch_size=1) == 3
    assert not InteractionLogEntry.objects.exists()
    assert not Attachment.objects.exists()

    result = restore_purged_interactions(path=archive)

    assert result.restored == 3
    assert [snapshot(entry) for entry in InteractionLogEntry.objects.order_by("entry_no")] == before
    assert [snapshot(comment) for comment in InteractionComment.objects.order_by("id")] == comments_before
    restored_file = Attachment.objects.get(pk=file.pk)
    assert restored_file.file_name == "quote.pdf"
    assert restored_file.created_at == file.created_at
    with restored_file.file.open("rb") as stored:
        assert stored.read() == b"%PDF-1.4 the quote"


def test_new_entries_after_a_restore_get_new_numbers(tmp_path):
    entries = [canceled_entry() for _ in range(3)]
    archive = tmp_path / "purge.jsonl"
    purge_canceled_interactions(archive_path=archive)
    restore_purged_interactions(path=archive)

    assert InteractionLogEntryFactory().pk > max(entry.pk for entry in entries)


def test_restore_refuses_entries_that_exist_and_then_imports_nothing(tmp_path):
    entries = [canceled_entry() for _ in range(3)]
    archive = tmp_path / "purge.jsonl"
    purge_canceled_interactions(archive_path=archive)
    InteractionLogEntryFactory(entry_no=entries[1].pk)  # the number is taken again

    with pytest.raises(ArchiveRefused) as refused:
        restore_purged_interactions(path=archive)

    assert refused.value.problems == [f"Line 2: interaction log entry {entries[1].pk} already exists."]
    assert not InteractionLogEntry.objects.filter(pk__in=[entries[0].pk, entries[2].pk]).exists()


def test_restore_can_skip_entries_that_exist(tmp_path):
    entries = [canceled_entry() for _ in range(3)]
    archive = tmp_path / "purge.jsonl"
    purge_canceled_interactions(archive_path=archive)
    taken = InteractionLogEntryFactory(entry_no=entries[1].pk, description="Taken")

    result = restore_purged_interactions(path=archive, skip_existing=True)

    assert (result.restored, result.skipped_existing) == (2, 1)
    assert InteractionLogEntry.objects.get(pk=taken.pk).description == "Taken"
    assert InteractionLogEntry.objects.filter(pk__in=[entries[0].pk, entries[2].pk]).count() == 2


def test_restore_refuses_a_damaged_archive_and_imports_nothing(tmp_path):
    entries = [canceled_entry() for _ in range(2)]
    archive = tmp_path / "purge.jsonl"
    purge_canceled_interactions(archive_path=archive)
    with archive.open("a", encoding="utf-8") as file:
        file.write("{not json\n")

    with pytest.raises(ArchiveRefused) as refused:
        restore_purged_interactions(path=archive)

    assert refused.value.problems[0].startswith("Line 3 is not JSON")
    assert not InteractionLogEntry.objects.filter(pk__in=[entry.pk for entry in entries]).exists()


def test_restore_refuses_entries_whose_contact_no_longer_exists(tmp_path):
    entry = canceled_entry()
    archive = tmp_path / "purge.jsonl"
    purge_canceled_interactions(archive_path=archive)
    contact_id = entry.contact_id
    with connection.cursor() as cursor:  # gone, whatever other apps would cascade
        cursor.execute("DELETE FROM contacts_contact WHERE id = %s", [contact_id])

    with pytest.raises(ArchiveRefused) as refused:
        restore_purged_interactions(path=archive)

    assert refused.value.problems == [f"Contact {contact_id} no longer exists; restore it first."]
    assert not InteractionLogEntry.objects.exists()


def test_an_entry_archived_twice_by_a_killed_purge_is_restored_once_as_last_archived(tmp_path):
    entry = canceled_entry(description="First")
    archive = tmp_path / "purge.jsonl"
    purge_canceled_interactions(archive_path=archive)
    first_line = archive.read_text(encoding="utf-8")
    archive.write_text(first_line + first_line.replace('"First"', '"Second"'), encoding="utf-8")

    assert restore_purged_interactions(path=archive).restored == 1
    assert InteractionLogEntry.objects.get(pk=entry.pk).description == "Second"


# --- Logged segments -------------------------------------------------------------------------


def test_deleting_canceled_logged_segments_keeps_their_entries_and_clears_the_link():
    canceled_segment, active_segment = LoggedSegmentFactory(canceled=True), LoggedSegmentFactory()
    unlinked = [canceled_entry(logged_segment=canceled_segment) for _ in range(2)]
    linked = InteractionLogEntryFactory(logged_segment=active_segment)

    assert delete_canceled_logged_segments() == 1

    assert list(LoggedSegment.objects.all()) == [active_segment]
    assert [InteractionLogEntry.objects.get(pk=e.pk).logged_segment_id for e in unlinked] == [None, None]
    assert InteractionLogEntry.objects.get(pk=linked.pk).logged_segment_id == active_segment.pk


def test_only_the_chosen_canceled_logged_segments_are_deleted():
    chosen, other, not_canceled = (
        LoggedSegmentFactory(canceled=True),
        LoggedSegmentFactory(canceled=True),
        LoggedSegmentFactory(),
    )

    assert delete_canceled_logged_segments(logged_segment_ids=[chosen.pk, not_canceled.pk]) == 1

    assert set(LoggedSegment.objects.all()) == {other, not_canceled}


def test_deleting_logged_segments_needs_the_permission():
    segment = LoggedSegmentFactory(canceled=True)
    with pytest.raises(PermissionDenied):
        delete_canceled_logged_segments(user=UserFactory(groups=["Sales staff"]))
    assert LoggedSegment.objects.filter(pk=segment.pk).exists()

    assert delete_canceled_logged_segments(user=UserFactory(groups=["Sales manager"])) == 1


# --- The management commands ------------------------------------------------------------------


def run_command(*args, **options) -> str:
    out = io.StringIO()
    call_command("purge_canceled_interactions", *args, stdout=out, **options)
    return out.getvalue()


def test_the_command_deletes_canceled_entries_and_says_how_many():
    [canceled_entry() for _ in range(2)]
    kept = InteractionLogEntryFactory()

    assert run_command().splitlines()[-1] == "2 interaction log entries have been deleted."

    assert list(InteractionLogEntry.objects.all()) == [kept]
    assert run_command("--batch-size", "5").splitlines()[-1] == "0 interaction log entries have been deleted."


def test_the_command_reports_a_single_entry_in_the_singular():
    canceled_entry()
    assert run_command() == "1 interaction log entry has been deleted.\n"


def test_the_command_filters_by_codes_and_numbers():
    contact, salesperson, campaign = PersonFactory(), SalespersonFactory(code="SP-PURGE"), CampaignFactory()
    template = InteractionTemplateFactory(code="LETTER")
    going = canceled_entry(
        contact=contact, template=template, salesperson=salesperson, campaign=campaign, date=datetime.date(2024, 5, 2)
    )
    staying = [
        canceled_entry(template=template, salesperson=salesperson, campaign=campaign, date=datetime.date(2024, 5, 2)),
        canceled_entry(
            contact=contact,
            template=template,
            salesperson=salesperson,
            campaign=campaign,
            date=datetime.date(2024, 5, 3),
        ),
    ]

    output = run_command(
        "--contact", contact.number,
        "--template", "letter",
        "--group", template.group.code,
        "--salesperson", "SP-PURGE",
        "--campaign", campaign.number,
        "--after", "2024-05-01",
        "--before", "2024-05-03",
        "--entry-from", str(going.pk),
        "--entry-to", str(staying[-1].pk),
    )  # fmt: skip

    assert output == "1 interaction log entry has been deleted.\n"
    assert not exists(going)
    assert all(exists(entry) for entry in staying)


def test_the_command_dry_run_counts_and_deletes_nothing():
    entries = [canceled_entry() for _ in range(2)]
    assert run_command("--dry-run") == "2 interaction log entries would be deleted.\n"
    assert all(exists(entry) for entry in entries)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--contact", "CT999999"], "There is no contact CT999999."),
        (["--template", "NOSUCH"], "There is no interaction template NOSUCH."),
        (["--group", "NOSUCH"], "There is no interaction group NOSUCH."),
        (["--salesperson", "NOSUCH"], "There is no salesperson NOSUCH."),
        (["--campaign", "CP9999"], "There is no campaign CP9999."),
        (["--before", "2024-13-01"], "--before: 2024-13-01 is not a date; write it as YYYY-MM-DD."),
        (["--after", "yesterday"], "--after: yesterday is not a date; write it as YYYY-MM-DD."),
        (["--batch-size", "0"], "--batch-size: 0 is not a number from 1 to 10000."),
        (["--batch-size", "many"], "--batch-size: many is not a number from 1 to 10000."),
        (["--entry-from", "-3"], "--entry-from: -3 is not an entry number."),
        (["--entry-from", "9", "--entry-to", "3"], "--entry-from cannot be greater than --entry-to."),
        (["--after", "2024-05-02", "--before", "2024-05-03"], "No day is both after --after and before --before."),
    ],
)
def test_bad_command_arguments_stop_it_with_a_message_before_anything_is_deleted(arguments, message):
    entry = canceled_entry()

    with pytest.raises(CommandError) as error:
        run_command(*arguments)

    assert str(error.value) == message
    assert error.value.returncode != 0
    assert exists(entry)


def test_the_command_refuses_an_archive_file_that_exists(tmp_path):
    entry = canceled_entry()
    archive = tmp_path / "old.jsonl"
    archive.write_text("keep me\n")

    with pytest.raises(CommandError, match="exists already"):
        run_command("--archive", str(archive))

    assert exists(entry)
    assert archive.read_text() == "keep me\n"


@pytest.mark.parametrize("arguments", [["--batch-size", "0"], ["--before", "31.12.2024"]])
def test_bad_arguments_exit_non_zero_from_the_command_line_without_touching_the_database(arguments, tmp_path):
    database = tmp_path / "untouched.sqlite3"
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}

    finished = subprocess.run(
        [sys.executable, "manage.py", "purge_canceled_interactions", *arguments],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert finished.returncode != 0
    assert arguments[0] in finished.stderr
    assert not database.exists()


def test_the_command_archives_and_the_restore_command_brings_the_entries_back(tmp_path):
    entries = [canceled_entry() for _ in range(3)]
    InteractionCommentFactory(entry=entries[0])
    archive = tmp_path / "purge.jsonl"

    output = run_command("--archive", str(archive))
    assert output.splitlines() == [
        "3 interaction log entries have been deleted.",
        f"They are archived in {archive}; restore_purged_interactions {archive} brings them back.",
    ]
    assert not InteractionLogEntry.objects.exists()

    out = io.StringIO()
    call_command("restore_purged_interactions", str(archive), stdout=out)
    assert out.getvalue() == "3 interaction log entries have been restored.\n"
    assert set(InteractionLogEntry.objects.values_list("entry_no", flat=True)) == {e.pk for e in entries}
    assert InteractionComment.objects.filter(entry_id=entries[0].pk).count() == 1

    with pytest.raises(CommandError) as refused:  # a second time: they exist now
        call_command("restore_purged_interactions", str(archive), stdout=io.StringIO())
    assert f"interaction log entry {entries[0].pk} already exists" in str(refused.value)
    assert refused.value.returncode != 0


@pytest.mark.parametrize("command", ["purge_canceled_interactions", "restore_purged_interactions"])
def test_the_commands_explain_themselves(command):
    from django.core.management import load_command_class

    help_text = load_command_class("interactions", command).create_parser("manage.py", command).format_help()
    assert "interaction log entries" in help_text


def test_the_restore_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="is not a file"):
        call_command("restore_purged_interactions", str(tmp_path / "missing.jsonl"))


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_command_shows_a_progress_bar_on_a_terminal():
    many_entries(5)
    out = Terminal()

    call_command("purge_canceled_interactions", "--batch-size", "2", stdout=out)

    output = out.getvalue()
    assert "\r[############..................] 2/5" in output
    assert "\r[##############################] 5/5\n" in output
    assert output.endswith("5 interaction log entries have been deleted.\n")


def test_the_command_shows_no_progress_bar_when_not_on_a_terminal():
    many_entries(5)
    assert run_command("--batch-size", "2") == "5 interaction log entries have been deleted.\n"


def test_the_command_asks_on_a_terminal_and_deletes_nothing_unless_told_yes(monkeypatch):
    entry = canceled_entry()

    class Keyboard(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Keyboard("no\n"))
    assert run_command() == "Nothing has been deleted.\n"
    assert exists(entry)

    monkeypatch.setattr(sys, "stdin", Keyboard("yes\n"))
    assert run_command().endswith("1 interaction log entry has been deleted.\n")
    assert not exists(entry)


# --- Concurrency on PostgreSQL ------------------------------------------------------------------


def second_connection():
    """A connection of its own, as another user's request would have."""
    import psycopg

    params = connection.settings_dict
    return psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
    )


RESTORE_SQL = "UPDATE interactions_interactionlogentry SET canceled = false WHERE entry_no = %s"


@pytest.mark.django_db(transaction=True)
def test_restored_entry_survives_a_running_purge(postgresql, tmp_path):
    canceled, _ = many_entries(30)
    restored = sorted(canceled)[-5]  # in the last batch
    archive = tmp_path / "purge.jsonl"

    def restore_after_the_first_batch(deleted, total):
        if deleted == 10:
            with second_connection() as other:
                other.execute(RESTORE_SQL, [restored])

    deleted = purge_canceled_interactions(batch_size=10, on_batch=restore_after_the_first_batch, archive_path=archive)

    assert deleted == 29
    assert InteractionLogEntry.objects.filter(pk=restored, canceled=False).exists()
    assert not InteractionLogEntry.objects.filter(canceled=True).exists()
    assert restored not in {line["entry_no"] for line in archive_lines(archive)}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("archived", [False, True], ids=["without-archive", "with-archive"])
def test_an_entry_restored_while_its_batch_is_being_deleted_survives(postgresql, tmp_path, archived):
    canceled, _ = many_entries(10)
    restored = min(canceled)
    archive = tmp_path / "purge.jsonl" if archived else None
    other = second_connection()
    # The restore has changed the row but not committed yet: the purge's batch must wait
    # for it, then see that the entry is no longer canceled.
    other.execute(RESTORE_SQL, [restored])
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        purge_pid = cursor.fetchone()[0]
    purge_waited = threading.Event()

    def commit_once_the_purge_waits_for_it():
        # Commit when the purge's batch is seen waiting for the restore's row lock (not after
        # a fixed delay, which a busy machine may take before the purge even starts); after
        # a generous deadline anyway, so that the purge cannot hang: the test then fails.
        try:
            with second_connection() as watcher:
                watcher.autocommit = True
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and not purge_waited.is_set():
                    row = watcher.execute(
                        "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [purge_pid]
                    ).fetchone()
                    if row and row[0] == "Lock":
                        purge_waited.set()
                    else:
                        time.sleep(0.05)
        finally:
            other.commit()

    committer = threading.Thread(target=commit_once_the_purge_waits_for_it)
    committer.start()
    try:
        deleted = purge_canceled_interactions(batch_size=100, archive_path=archive)
    finally:
        committer.join()
        other.close()

    assert purge_waited.is_set(), "the purge did not wait for the uncommitted restore"
    assert deleted == 9
    assert InteractionLogEntry.objects.filter(pk=restored, canceled=False).exists()
    assert not InteractionLogEntry.objects.filter(canceled=True).exists()
    if archived:
        assert sorted(line["entry_no"] for line in archive_lines(archive)) == sorted(canceled - {restored})
