"""Attachments: files exchanged with contacts, stored once and shared by log entries and
template languages. The one place that stores them, refuses uploads, deletes the files of
a rolled-back transaction and deletes attachments that nothing uses any more.

- `store_attachment` (bytes under a name and type), `store_upload` (an uploaded file,
  refused by `validate_attachment_upload` when it is of a kind or size interactions do not
  take) and `restore_attachment` (the purge archive's) store the file and its row.
- A database rollback cannot take a stored file with it: write attachments inside
  `atomic_with_files()`, a `transaction.atomic` that deletes the files stored in it when it
  is rolled back. Outside one, each store is its own such block.
- `delete_unused_attachments`: an attachment goes when nothing uses it any more (the purge,
  a replaced template attachment, a deleted postponed interaction); its file after commit.
"""

import contextlib
import logging
import mimetypes
import os
import secrets
from collections.abc import Iterable, Iterator
from contextvars import ContextVar

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from .. import conf
from ..models import (
    Attachment,
)
from .sql import in_list

logger = logging.getLogger(__name__)

# Attachments: what sales staff exchange with contacts; no executables, no HTML.
ATTACHMENT_EXTENSIONS = {
    ".pdf", ".txt", ".rtf", ".odt", ".ods", ".doc", ".docx", ".xls", ".xlsx", ".csv",
    ".png", ".jpg", ".jpeg", ".gif", ".eml", ".msg", ".ics",
}  # fmt: skip


def attachment_max_size() -> int:
    return conf.settings.ATTACHMENT_MAX_SIZE


def validate_attachment_upload(upload) -> None:
    import os

    extension = os.path.splitext(upload.name)[1].lower()
    if extension not in ATTACHMENT_EXTENSIONS:
        raise ValidationError(
            _("Files of type %(extension)s cannot be attached. Allowed: %(allowed)s."),
            params={"extension": extension or "?", "allowed": ", ".join(sorted(ATTACHMENT_EXTENSIONS))},
            code="attachment_type",
        )
    if upload.size > attachment_max_size():
        raise ValidationError(
            _("The file is too large (%(size)s MB); the limit is %(limit)s MB."),
            params={
                "size": round(upload.size / 1024 / 1024, 1),
                "limit": round(attachment_max_size() / 1024 / 1024, 1),
            },
            code="attachment_size",
        )


# --- Storing --------------------------------------------------------------------------

# The names of the files stored in each open `atomic_with_files` block, innermost last.
_open_blocks: ContextVar[tuple[list[str], ...]] = ContextVar("interactions_attachment_blocks", default=())


@contextlib.contextmanager
def atomic_with_files(*, savepoint: bool = True) -> Iterator[None]:
    """`transaction.atomic(savepoint=...)` that also deletes the files stored in it (by the
    functions of this module) when it rolls back, by an exception or `set_rollback`, so
    a refused or failed write leaves no file behind.

    Nested in another such block, its files become the outer block's once it succeeds:
    they are safe only when the outermost commits. Inside a transaction of someone else's
    (a print's), whoever owns that transaction deletes them should it roll back later
    (`delete_stored_files`)."""
    files: list[str] = []
    enclosing = _open_blocks.get()
    token = _open_blocks.set((*enclosing, files))
    try:
        with transaction.atomic(savepoint=savepoint):
            yield
            rolled_back = transaction.get_rollback()
    except BaseException:
        delete_stored_files(files)
        raise
    finally:
        _open_blocks.reset(token)
    if rolled_back:
        delete_stored_files(files)
    elif enclosing:
        enclosing[-1].extend(files)


def track_stored_file(name: str) -> None:
    """Delete the file `name` (stored by the caller, not by this module) with the files of
    the enclosing `atomic_with_files` block should it roll back."""
    blocks = _open_blocks.get()
    if not blocks:
        raise RuntimeError("track_stored_file() outside atomic_with_files()")
    blocks[-1].append(name)


def save_new_file(field_file, file_name: str, content: bytes) -> None:
    """`field_file.save(file_name, ContentFile(content), save=False)`, tracked like
    `track_stored_file`, for writers of many files at once (the mail capture: one .eml a
    message). On the local file system the file is written in one call under a name made
    unique by a random token and created exclusively (O_EXCL), so neither the existence
    checks of Storage.get_available_name nor File's chunked copy are paid; any surprise (a
    folder not made yet, another storage, a name taken) takes the ordinary way."""
    storage = field_file.storage
    if storage.__class__ is FileSystemStorage:  # (the default storage is a lazy proxy of it)
        root, extension = os.path.splitext(file_name)
        name = field_file.field.generate_filename(field_file.instance, f"{root}-{secrets.token_hex(6)}{extension}")
        path = storage.path(name)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except OSError:
            descriptor = None
        if descriptor is not None:
            try:
                with os.fdopen(descriptor, "wb") as file:
                    file.write(content)
                if storage.file_permissions_mode is not None:
                    os.chmod(path, storage.file_permissions_mode)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.remove(path)
                raise
            field_file.name = name
            setattr(field_file.instance, field_file.field.attname, name)
            field_file._committed = True
            track_stored_file(name)
            return
    field_file.save(file_name, ContentFile(content), save=False)
    track_stored_file(field_file.name)


def _guessed_content_type(file_name: str) -> str:
    return mimetypes.guess_type(file_name)[0] or "application/octet-stream"


def _store(content: File, *, file_name: str, content_type: str, size: int) -> Attachment:
    if not _open_blocks.get():
        with atomic_with_files():
            return _store(content, file_name=file_name, content_type=content_type, size=size)
    attachment = Attachment(file_name=file_name[:255], content_type=content_type, size=size)
    attachment.file.save(file_name, content, save=False)
    _open_blocks.get()[-1].append(attachment.file.name)
    attachment.save()
    return attachment


def store_attachment(*, content: bytes, file_name: str, content_type: str | None = None) -> Attachment:
    """A new attachment (file and row) holding `content` under `file_name`; `content_type`
    by default is guessed from the name. The file goes again if the transaction rolls
    back (see `atomic_with_files`)."""
    return _store(
        ContentFile(content),
        file_name=file_name,
        content_type=content_type if content_type is not None else _guessed_content_type(file_name),
        size=len(content),
    )


def copy_attachment(*, attachment: Attachment) -> Attachment:
    """A new attachment with the same content, name and type as `attachment` (the
    original's "Copy from" of a template's language row)."""
    with attachment.file.open("rb") as source:
        content = source.read()
    return store_attachment(content=content, file_name=attachment.file_name, content_type=attachment.content_type)


def store_upload(upload: File) -> Attachment:
    """A new attachment for an uploaded file, keeping the user's file name; its type is
    guessed from the name, never taken from the browser. Refuses (ValidationError) a file
    that `validate_attachment_upload` refuses."""
    validate_attachment_upload(upload)
    name = os.path.basename(upload.name)[:255]
    return _store(upload, file_name=name, content_type=_guessed_content_type(name), size=upload.size)


def restore_attachment(*, attachment: Attachment, content: bytes) -> Attachment:
    """Write back an attachment deleted before (the purge archive keeps them): the row with
    its id and creation time, the file under its stored name (or one next to it, should
    that name be taken meanwhile). The file goes again if the transaction rolls back."""
    if not _open_blocks.get():
        with atomic_with_files():
            return restore_attachment(attachment=attachment, content=content)
    created_at = attachment.created_at
    storage = Attachment._meta.get_field("file").storage
    attachment.file.name = storage.save(attachment.file.name, ContentFile(content))
    _open_blocks.get()[-1].append(attachment.file.name)
    Attachment.objects.bulk_create([attachment])
    # auto_now_add stamped it anew; it keeps the time it was first stored.
    Attachment.objects.filter(pk=attachment.pk).update(created_at=created_at)
    return attachment


def delete_stored_files(names: Iterable[str]) -> None:
    """Delete stored files whose rows are gone (rolled back, or deleted and committed)."""
    storage = Attachment._meta.get_field("file").storage
    for name in names:
        if not name:
            continue
        try:
            storage.delete(name)
        except OSError:
            # The rows are gone; a file left behind wastes space but loses nothing.
            logger.exception("Could not delete the stored attachment file %s", name)


# --- Deleting --------------------------------------------------------------------------


def delete_unused_attachments(*, attachment_ids: set[int]) -> dict[int, Attachment]:
    """Delete those attachments that nothing uses any more; their files go after commit.
    Runs in the caller's transaction.

    Returns the deleted attachments by id (the purge archive keeps their content)."""
    if not attachment_ids:
        return {}
    # Lock first, then look for users: whoever starts using one of these attachments now
    # waits for this transaction, and then finds it gone instead of pointing at nothing.
    locked = list(Attachment.objects.select_for_update().filter(pk__in=attachment_ids).values_list("pk", flat=True))
    unused = Attachment.objects.filter(pk__in=locked)
    # Every model that points at an attachment (log entries, template languages, and any
    # added later) keeps it alive.
    for relation in Attachment._meta.related_objects:
        users = relation.related_model._base_manager.filter(**{relation.field.name: OuterRef("pk")})
        unused = unused.exclude(Exists(users))
    orphaned = {attachment.pk: attachment for attachment in unused}
    if not orphaned:
        return {}
    ids = sorted(orphaned)
    table = connection.ops.quote_name(Attachment._meta.db_table)
    with connection.cursor() as cursor:
        condition, parameters = in_list(ids)
        cursor.execute(f"DELETE FROM {table} WHERE id {condition}", parameters)
    names = [attachment.file.name for attachment in orphaned.values() if attachment.file.name]
    transaction.on_commit(lambda: delete_stored_files(names))
    return orphaned
