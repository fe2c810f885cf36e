"""The purge archive: deleted entries written to a file, and brought back from it.

Format: JSON Lines, one deleted log entry a line: every concrete field of the entry by
attribute name (`contact_id`, ...; dates and times as ISO strings, amounts as strings),
plus `comments` (the entry's comments, each with every field but `entry_id`), plus, on
the first entry of a batch that used it, `attachment`: an attachment deleted with the
entry, its fields and its file's content in base64. So a purge can be undone completely.

A batch's lines are written and flushed to disk before its transaction commits, and cut
off again when the batch fails. Only a process killed between those two moments leaves
lines for entries that were not deleted: restoring such a file refuses them unless told
to skip entries that already exist.
"""

import base64
import binascii
import contextlib
import dataclasses
import datetime
import json
import logging
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ...models import Attachment, InteractionComment, InteractionLogEntry
from ...permissions import PURGE, require_permission
from .. import summaries
from ..attachments import atomic_with_files, restore_attachment

logger = logging.getLogger(__name__)

# Lines checked and inserted together when restoring: a few queries per chunk, not per line.
RESTORE_CHUNK_SIZE = 1000
# A wrong file is reported with this many problems, not with one per line.
MAX_REPORTED_PROBLEMS = 20


def _encode(value: Any) -> Any:
    if isinstance(value, FieldFile):
        return value.name
    if isinstance(value, (datetime.date, datetime.time)):  # datetimes included
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _fields_of(instance: models.Model, *, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        field.attname: _encode(getattr(instance, field.attname))
        for field in instance._meta.concrete_fields
        if field.attname not in leave_out
    }


class ArchiveWriter:
    """Appends deleted entries to an archive file; used by the purge, batch by batch."""

    def __init__(self, file: IO[bytes]):
        self._file = file
        self._embedded: set[int] = set()

    @classmethod
    @contextlib.contextmanager
    def open(cls, path: str | Path | None) -> Iterator["ArchiveWriter | None"]:
        if path is None:
            yield None
            return
        # Append: a purge that goes on where an earlier run stopped adds to the same file.
        with open(path, "ab") as file:
            yield cls(file)

    @staticmethod
    @contextlib.contextmanager
    def batch(archive: "ArchiveWriter | None") -> Iterator[None]:
        """Around one batch: when it fails, its lines are cut off the file again."""
        if archive is None:
            yield
            return
        start = archive._file.tell()
        archive._embedded = set()
        try:
            yield
        except BaseException:
            archive._file.truncate(start)
            archive._file.seek(start)
            raise

    def write_entry(
        self, entry: InteractionLogEntry, *, comments: list[InteractionComment], orphaned: dict[int, Attachment]
    ) -> None:
        line = _fields_of(entry)
        line["comments"] = [_fields_of(comment, leave_out=("entry_id",)) for comment in comments]
        attachment = orphaned.get(entry.attachment_id)
        if attachment is not None and attachment.pk not in self._embedded:
            self._embedded.add(attachment.pk)
            line["attachment"] = {**_fields_of(attachment), "content": self._content_of(attachment)}
        self._file.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")

    @staticmethod
    def _content_of(attachment: Attachment) -> str | None:
        # Still on disk: files are deleted only after the batch commits.
        try:
            with attachment.file.storage.open(attachment.file.name, "rb") as stored:
                return base64.b64encode(stored.read()).decode("ascii")
        except (OSError, ValueError):
            logger.warning("Attachment %s has no stored file; archived without content", attachment.pk)
            return None

    def flush(self) -> None:
        """On disk before the batch commits: a deleted entry is never missing from the file."""
        self._file.flush()
        os.fsync(self._file.fileno())


# --- Restoring ---------------------------------------------------------------------------


class ArchiveRefused(Exception):
    """The archive cannot be restored; `problems` says why. Nothing was imported."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclasses.dataclass(frozen=True)
class RestoreResult:
    restored: int
    skipped_existing: int = 0
    without_attachment: int = 0


@dataclasses.dataclass
class _Line:
    number: int
    entry: InteractionLogEntry
    comments: list[InteractionComment]
    attachment: Attachment | None
    content: bytes | None


def _build(model: type[models.Model], data: dict[str, Any], *, where: str, leave_out: tuple[str, ...] = ()):
    """A model instance from archived field values, or ValidationError naming the field."""
    values = {}
    for field in model._meta.concrete_fields:
        if field.attname in leave_out:
            continue
        if field.attname in data:
            try:
                values[field.attname] = field.to_python(data[field.attname])
            except ValidationError as error:
                raise ValidationError(f"{where}, {field.attname}: {'; '.join(error.messages)}") from error
        elif field.has_default() or field.null:
            # A field added to the model after the archive was written.
            values[field.attname] = field.get_default()
        else:
            raise ValidationError(
                _("%(where)s: the field %(field)s is missing.") % {"where": where, "field": field.attname}
            )
    instance = model(**values)
    foreign_keys = [field.name for field in model._meta.concrete_fields if field.is_relation]
    try:
        instance.clean_fields(exclude=[*foreign_keys, *leave_out])
    except ValidationError as error:
        details = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
        raise ValidationError(f"{where}: {details}") from error
    return instance


def _parse(number: int, text: str) -> _Line:
    where = _("Line %(number)s") % {"number": number}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationError(_("%(where)s is not JSON: %(error)s") % {"where": where, "error": error}) from error
    if not isinstance(data, dict) or "entry_no" not in data:
        raise ValidationError(_("%(where)s is not an archived interaction log entry.") % {"where": where})
    entry = _build(InteractionLogEntry, data, where=where)
    comments_data = data.get("comments") or []
    if not isinstance(comments_data, list) or not all(isinstance(c, dict) for c in comments_data):
        raise ValidationError(_("%(where)s: the comments are not a list of comments.") % {"where": where})
    comments = []
    for comment_data in comments_data:
        comment = _build(InteractionComment, comment_data, where=where, leave_out=("entry_id",))
        comment.entry_id = entry.entry_no
        comments.append(comment)
    attachment = content = None
    if isinstance(data.get("attachment"), dict):
        attachment = _build(Attachment, data["attachment"], where=where)
        if data["attachment"].get("content") is not None:
            try:
                content = base64.b64decode(data["attachment"]["content"], validate=True)
            except (binascii.Error, TypeError) as error:
                raise ValidationError(
                    _("%(where)s: the attachment's content is damaged.") % {"where": where}
                ) from error
    return _Line(number=number, entry=entry, comments=comments, attachment=attachment, content=content)


def _numbered_lines(path: Path) -> Iterator[tuple[int, str]]:
    with open(path, encoding="utf-8") as file:
        for number, text in enumerate(file, start=1):
            if text.strip():
                yield number, text


def _chunks(lines: Iterator[_Line]) -> Iterator[list[_Line]]:
    chunk: list[_Line] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) == RESTORE_CHUNK_SIZE:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _existing(model: type[models.Model], ids) -> set:
    ids = {value for value in ids if value is not None}
    if not ids:
        return set()
    return set(model._base_manager.filter(pk__in=ids).values_list("pk", flat=True))


@dataclasses.dataclass
class _Plan:
    """What the check of the whole file found, for the import that follows."""

    last_line_of_duplicates: dict[int, int] = dataclasses.field(default_factory=dict)
    embedded_attachments: set[int] = dataclasses.field(default_factory=set)
    problems: list[str] = dataclasses.field(default_factory=list)
    problem_count: int = 0

    def refuse(self, message: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_REPORTED_PROBLEMS:
            self.problems.append(message)


_REQUIRED_REFERENCES = [
    field
    for field in InteractionLogEntry._meta.concrete_fields
    if field.is_relation and field.remote_field.on_delete is not models.SET_NULL and field.name != "attachment"
]


def _check(path: Path, *, skip_existing: bool) -> _Plan:
    """Read the whole file once, a chunk at a time, and find every reason to refuse it."""
    plan = _Plan()
    seen: set[int] = set()  # entry numbers only: a few dozen bytes per entry

    def valid_lines() -> Iterator[_Line]:
        for number, text in _numbered_lines(path):
            try:
                yield _parse(number, text)
            except ValidationError as error:
                plan.refuse(" ".join(error.messages))

    try:
        for chunk in _chunks(valid_lines()):
            for line in chunk:
                entry_no = line.entry.entry_no
                if entry_no in seen:
                    # A killed purge archived this batch and the next run archived it again:
                    # the last line is the state in which the entry was really deleted.
                    plan.last_line_of_duplicates[entry_no] = line.number
                seen.add(entry_no)
                if line.attachment is not None and line.content is not None:
                    plan.embedded_attachments.add(line.attachment.pk)
            existing = _existing(InteractionLogEntry, (line.entry.entry_no for line in chunk))
            if existing and not skip_existing:
                for line in chunk:
                    if line.entry.entry_no in existing:
                        plan.refuse(
                            _("Line %(line)s: interaction log entry %(entry)s already exists.")
                            % {"line": line.number, "entry": line.entry.entry_no}
                        )
            new = [line for line in chunk if line.entry.entry_no not in existing]
            for comment_id in sorted(_existing(InteractionComment, (c.pk for line in new for c in line.comments))):
                plan.refuse(_("Comment %(comment)s already exists.") % {"comment": comment_id})
            for field in _REQUIRED_REFERENCES:
                wanted = {getattr(line.entry, field.attname) for line in new} - {None}
                for missing in sorted(wanted - _existing(field.related_model, wanted)):
                    plan.refuse(
                        _("%(field)s %(id)s no longer exists; restore it first.")
                        % {"field": str(field.verbose_name).capitalize(), "id": missing}
                    )
    except (OSError, UnicodeDecodeError) as error:
        plan.refuse(_("The archive cannot be read: %(error)s") % {"error": error})
    return plan


def restore_purged_interactions(*, path: str | Path, skip_existing: bool = False, user=None) -> RestoreResult:
    """Bring back the entries of a purge archive with their numbers, comments and attachments.

    The whole file is checked first; an entry that exists already (unless `skip_existing`)
    or one whose contact, template... no longer exists refuses the file with ArchiveRefused,
    and nothing is imported. Otherwise everything is imported in one transaction.
    """
    require_permission(user, PURGE)
    path = Path(path)
    plan = _check(path, skip_existing=skip_existing)
    if plan.problem_count:
        problems = list(plan.problems)
        if plan.problem_count > len(problems):
            hidden = plan.problem_count - len(problems)
            problems.append(
                ngettext("… and %(count)d more problem.", "… and %(count)d more problems.", hidden) % {"count": hidden}
            )
        raise ArchiveRefused(problems)

    # The restored files go again if the import fails.
    with atomic_with_files():
        result = _import(path, plan=plan, skip_existing=skip_existing)
        _keep_sequences_ahead([InteractionLogEntry, InteractionComment, Attachment])
    return result


def _import(path: Path, *, plan: _Plan, skip_existing: bool) -> RestoreResult:
    restored = skipped = without_attachment = 0
    parsed = (_parse(number, text) for number, text in _numbered_lines(path))
    for chunk in _chunks(parsed):
        # Attachments first, from every line that carries one (a duplicate line dropped
        # below may be the one that does); the foreign keys are checked at commit.
        known_attachments = _existing(Attachment, (line.attachment.pk for line in chunk if line.attachment))
        for line in chunk:
            attachment = line.attachment
            if attachment is not None and line.content is not None and attachment.pk not in known_attachments:
                restore_attachment(attachment=attachment, content=line.content)
                known_attachments.add(attachment.pk)
        existing = _existing(InteractionLogEntry, (line.entry.entry_no for line in chunk)) if skip_existing else set()
        lines = [
            line for line in chunk if plan.last_line_of_duplicates.get(line.entry.entry_no, line.number) == line.number
        ]
        skipped += sum(1 for line in lines if line.entry.entry_no in existing)
        lines = [line for line in lines if line.entry.entry_no not in existing]
        # An attachment is restored by some line of this file or must still exist; a
        # vanished one leaves the entry without it (reported) rather than refusing it.
        referenced = {line.entry.attachment_id for line in lines} - {None}
        present = known_attachments | plan.embedded_attachments | _existing(Attachment, referenced - known_attachments)
        for line in lines:
            if line.entry.attachment_id and line.entry.attachment_id not in present:
                line.entry.attachment_id = None
                without_attachment += 1
        entries = [line.entry for line in lines]
        comments = [comment for line in lines for comment in line.comments]
        _clear_vanished(InteractionLogEntry, entries)
        _clear_vanished(InteractionComment, comments)
        InteractionLogEntry.objects.bulk_create(entries)
        # Purged entries were canceled, so they come back uncounted; any other is counted.
        summaries.new_entries_logged(
            InteractionLogEntry.objects.filter(entry_no__in=[entry.entry_no for entry in entries])
        )
        InteractionComment.objects.bulk_create(comments)
        restored += len(entries)
    return RestoreResult(restored=restored, skipped_existing=skipped, without_attachment=without_attachment)


def _clear_vanished(model: type[models.Model], instances: list[models.Model]) -> None:
    """References whose deletion sets them to NULL (users, logged segments) are cleared when
    their target is gone, as the deletion would have done."""
    for field in model._meta.concrete_fields:
        if field.is_relation and field.remote_field.on_delete is models.SET_NULL:
            wanted = {getattr(instance, field.attname) for instance in instances} - {None}
            present = _existing(field.related_model, wanted)
            for instance in instances:
                if getattr(instance, field.attname) not in present:
                    setattr(instance, field.attname, None)


def _keep_sequences_ahead(model_classes: list[type[models.Model]]) -> None:
    """After inserting explicit primary keys, make sure new rows never reuse a number.

    Not `sequence_reset_sql`: it sets a sequence to the highest number in the table, which
    after a purge can be *lower* than numbers already handed out, so entry numbers of purged
    entries would be reused. The sequence only ever moves forward here. (SQLite's
    AUTOINCREMENT keeps its own high-water mark.)
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in model_classes:
            table, column = model._meta.db_table, model._meta.pk.column
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
            sequence = cursor.fetchone()[0]
            if sequence is None:
                continue
            cursor.execute(
                f"SELECT setval(%s, GREATEST((SELECT COALESCE(MAX({connection.ops.quote_name(column)}), 0) "
                f"FROM {connection.ops.quote_name(table)}), (SELECT last_value FROM {sequence})))",
                [sequence],
            )
