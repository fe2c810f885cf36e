"""Attachments: files exchanged with contacts, stored once and shared by log entries and
template languages."""

import mimetypes

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .. import conf
from ..models import (
    Attachment,
)

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


def attachment_from_upload(upload) -> Attachment:
    """A new (unsaved) Attachment for an uploaded file, keeping the user's file name."""
    import os

    name = os.path.basename(upload.name)[:255]
    return Attachment(
        file=upload,
        file_name=name,
        content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
        size=upload.size,
    )
