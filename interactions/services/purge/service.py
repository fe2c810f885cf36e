"""Deleting canceled interaction log entries (the purge) and canceled logged segments.

One service behind the management command, the Celery task and the page. The rules:

- Only canceled entries go, and the condition `canceled` is part of the DELETE statement
  itself: an entry restored a moment before its batch is deleted stays.
- The log holds millions of rows, so the purge walks the canceled entries in batches in
  date order (keyset: `(date, entry_no) > last`, served by the partial index
  `log_canceled_idx`), each batch its own short transaction. Memory stays flat and no
  lock is held for long.
- Each batch's DELETE takes what it deleted out of the day summary's count of canceled
  entries in the same statement (`summaries.delete_canceled_entries`), so that the count the
  page, the dry run and the progress show (`selectors.purge.canceled_entry_count`) stays
  exact without counting in the log.
- With each entry go its comments, its attachment when nothing else uses it (the stored
  file after the transaction commits), and an archived document version that existed only
  for it (see `_delete_orphaned_document_versions`).
- Optionally every deleted entry is first written to an archive file (JSON Lines, see
  `purge_archive.py`) from which `restore_purged_interactions` brings it back.
"""

import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.db import NotSupportedError, connection, transaction
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.utils.translation import ngettext

from ... import conf
from ...models import InteractionComment, InteractionLogEntry, LoggedSegment, SegmentEntryContent
from ...permissions import DELETE_LOGGED_SEGMENTS, PURGE, require_permission
from ...selectors.purge import PurgeFilter, canceled_entries, canceled_entry_count
from .. import summaries, webhooks
from ..attachments import delete_unused_attachments
from ..printing import delete_orphaned_document_versions
from ..sql import in_list
from .archive import ArchiveWriter

logger = logging.getLogger(__name__)

# Both databases take this many bound parameters in one statement (SQLite: 32766).
MAX_BATCH_SIZE = conf.MAX_PURGE_BATCH_SIZE


def deleted_message(count: int) -> str:
    """The purge's report, the same on the command line and the page."""
    return ngettext(
        "%(count)d interaction log entry has been deleted.",
        "%(count)d interaction log entries have been deleted.",
        count,
    ) % {"count": count}


def purge_canceled_interactions(
    *,
    filters: PurgeFilter | None = None,
    batch_size: int | None = None,
    dry_run: bool = False,
    archive_path: str | Path | None = None,
    user=None,
    on_batch: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    in_batch: Callable[[int], None] | None = None,
) -> int:
    """Delete the canceled entries that match `filters`; return how many were deleted.

    `batch_size`: entries per transaction (default: setting INTERACTIONS_PURGE_BATCH_SIZE).
    `dry_run` returns how many would be deleted and changes nothing. `archive_path`: append
    every deleted entry with its comments (and the content of attachments deleted with it)
    to this JSON Lines file first. `on_batch(deleted_so_far, total)` is called after every
    batch; `should_stop()` is asked before every batch, and a true answer ends the purge
    there (the caller goes on later: a purge is idempotent). `user`: the person asking, whose
    permission is checked; None for system callers. `in_batch(deleted)` is called inside
    each batch's transaction with the number of entries its DELETE removed (RETURNING), so
    what it records commits with the batch or not at all.
    """
    require_permission(user, PURGE)
    filters = filters or PurgeFilter()
    if batch_size is None:
        batch_size = conf.settings.PURGE_BATCH_SIZE
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_SIZE}, not {batch_size}")
    if connection.vendor == "sqlite" and connection.Database.sqlite_version_info < (3, 35):
        raise NotSupportedError("The purge needs DELETE ... RETURNING: SQLite 3.35 or later, or PostgreSQL.")
    matching = canceled_entries(filters=filters)
    total = canceled_entry_count(filters=filters)
    if dry_run:
        return total
    pause = conf.settings.PURGE_BATCH_PAUSE
    deleted = 0
    last_seen = None  # (date, entry no.) of the last entry of the previous batch
    with ArchiveWriter.open(archive_path) as archive:
        while should_stop is None or not should_stop():
            # Keyset pagination in date order: the next batch starts after the last (date,
            # entry no.) seen, so every batch costs the same however far the purge has got,
            # and a batch's entries share few days: its DELETE takes them out of a few
            # summary rows (a batch in entry-number order touched a row per entry where
            # dates are scattered).
            batch_entries = matching
            if last_seen is not None:
                batch_entries = batch_entries.filter(
                    RawSQL('("date", "entry_no") > (%s, %s)', last_seen, output_field=BooleanField())
                )
            batch = list(batch_entries.order_by("date", "entry_no").values_list("date", "entry_no")[:batch_size])
            if not batch:
                break
            last_seen = batch[-1]
            deleted += _delete_batch(
                entry_numbers=[entry_no for _date, entry_no in batch], archive=archive, in_batch=in_batch
            )
            if on_batch is not None:
                on_batch(deleted, total)
            if pause:
                # Throttle (INTERACTIONS_PURGE_BATCH_PAUSE): room for other writers and replicas.
                time.sleep(pause)
    return deleted


def _delete_batch(
    *, entry_numbers: list[int], archive: ArchiveWriter | None, in_batch: Callable[[int], None] | None = None
) -> int:
    """Delete those of `entry_numbers` that are still canceled, in one short transaction."""
    comment_table = connection.ops.quote_name(InteractionComment._meta.db_table)
    with ArchiveWriter.batch(archive), transaction.atomic():
        archived_rows = None
        if archive is not None:
            # Read what is about to go while locking it (PostgreSQL: FOR UPDATE), so that a
            # concurrent restore waits for this batch and the archive matches the DELETE.
            archived_rows = {
                entry.entry_no: entry
                for entry in InteractionLogEntry.objects.select_for_update()
                .filter(entry_no__in=entry_numbers, canceled=True)
                .order_by("entry_no")
            }
        with connection.cursor() as cursor:
            # `canceled` is in the DELETE itself: nothing restored since the batch was
            # chosen can go. RETURNING says exactly which entries went (PostgreSQL, and
            # SQLite from 3.35), and the day summary's canceled count goes down by those
            # in the same statement.
            condition, parameters = in_list(entry_numbers)
            columns = [
                "entry_no",
                "attachment_id",
                "document_type",
                "document_number",
                "document_occurrence",
                "document_version",
            ]
            gone = [
                dict(zip(columns, row, strict=True))
                for row in summaries.delete_canceled_entries(
                    condition=f"entry_no {condition}", params=parameters, returning=columns
                )
            ]
            if not gone:
                return 0
            gone_numbers = sorted(entry["entry_no"] for entry in gone)
            webhooks.announce_purged(gone_numbers)
            # Comments cascade in Django only, not in the database: delete them here, in
            # the same transaction (the foreign key is checked at commit).
            comments_by_entry: dict[int, list[InteractionComment]] = {}
            if archive is not None:
                for comment in InteractionComment.objects.filter(entry_id__in=gone_numbers).order_by("entry_id", "id"):
                    comments_by_entry.setdefault(comment.entry_id, []).append(comment)
            condition, parameters = in_list(gone_numbers)
            cursor.execute(f"DELETE FROM {comment_table} WHERE entry_id {condition}", parameters)
            # What a logged segment's entry sent (its merged text) goes with it.
            content_table = connection.ops.quote_name(SegmentEntryContent._meta.db_table)
            cursor.execute(f"DELETE FROM {content_table} WHERE entry_id {condition}", parameters)
        orphaned = delete_unused_attachments(
            attachment_ids={entry["attachment_id"] for entry in gone if entry["attachment_id"]}
        )
        _delete_orphaned_document_versions(entries=gone)
        if archive is not None:
            for entry_no in gone_numbers:
                archive.write_entry(
                    archived_rows[entry_no], comments=comments_by_entry.get(entry_no, []), orphaned=orphaned
                )
            archive.flush()
        if in_batch is not None:
            in_batch(len(gone))
    return len(gone)


def _delete_orphaned_document_versions(*, entries: list[dict[str, Any]]) -> None:
    """Delete the archived document versions that existed only for `entries`.

    Called inside the batch transaction with the deleted entries (entry_no,
    document_type, document_number, document_occurrence, document_version). A version
    goes when a print with "Log interaction" archived it and no remaining log entry
    refers to it; versions archived by hand stay (see `printing.delete_orphaned_document_versions`).
    """
    delete_orphaned_document_versions(entries=entries)


def delete_canceled_logged_segments(*, logged_segment_ids: Iterable[int] | None = None, user=None) -> int:
    """Delete canceled logged segments (all, or those of `logged_segment_ids`); their entries
    stay and lose the link. Returns how many logged segments were deleted."""
    require_permission(user, DELETE_LOGGED_SEGMENTS)
    candidates = LoggedSegment.objects.filter(canceled=True)
    if logged_segment_ids is not None:
        candidates = candidates.filter(pk__in=list(logged_segment_ids))
    table = connection.ops.quote_name(LoggedSegment._meta.db_table)
    deleted = 0
    # Logged segments are few; each goes in its own transaction so a large one does not
    # hold up the others.
    for pk in list(candidates.order_by("pk").values_list("pk", flat=True)):
        with transaction.atomic():
            # Locked, a logged segment cannot be restored while its entries are unlinked.
            locked = LoggedSegment.objects.select_for_update().filter(pk=pk, canceled=True)
            still_canceled = list(locked.values_list("pk", flat=True))
            if not still_canceled:
                continue
            InteractionLogEntry.objects.filter(logged_segment_id=pk).update(logged_segment=None)
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {table} WHERE id = %s AND canceled = %s", [pk, True])
                deleted += cursor.rowcount
    return deleted
