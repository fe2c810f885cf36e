"""Resend: e-mail what an interaction log entry keeps (a printed invoice's PDF, a merged
letter, an e-mail sent before) to the contact's address or another one typed in, as NAV
resends any entry's attachment.

Invariants:
- The resend is a new e-mail, recorded with the setup's "E-mails" template like every
  e-mail (services.communication.emails.send_email) and delivered by the same Celery task
  with its claim, retries and recovery: a mail server that is down leaves the new entry
  "in progress" until it is delivered, a task queue that is down leaves it for the sweep.
  Its entry refers to the original (`resent_from_entry_no`); the original shows the
  resends. The original is never changed.
- What goes out: an e-mail kept as an .eml goes again as it was (subject, text, files) to
  the address given, as a new message; any other attachment goes as the file of an e-mail
  whose subject and text the user may change.
- Only an entry with an attachment, not canceled (a canceled entry records something
  that did not happen), not postponed and not a draft (a draft is sent, not resent).
- Who: recording needs RECORD; the owner rule of permissions.py, as for resending a failed
  e-mail: the entry's user and those who may act on others' entries.
"""

from email import policy
from email.parser import BytesParser

from django.utils.translation import gettext as _

from ...models import DeliveryStatus, InteractionLogEntry
from ...permissions import RECORD, may_act_on_entry, require_may_act_on_entry, require_permission
from . import emails

NOT_RESENDABLE_STATUSES = (DeliveryStatus.DRAFT, DeliveryStatus.DRAFT_SENT)


class NothingToResend(Exception):
    """The entry keeps nothing that can be resent (why: the message)."""


def resendable(entry: InteractionLogEntry) -> bool:
    return (
        entry.attachment_id is not None
        and not entry.canceled
        and not entry.postponed
        and entry.delivery_status not in NOT_RESENDABLE_STATUSES
    )


def may_resend(*, entry: InteractionLogEntry, user) -> bool:
    """Whether `user` sees "Resend" on `entry`."""
    return resendable(entry) and user.has_perm(RECORD) and may_act_on_entry(user=user, entry=entry)


def keeps_an_email(entry: InteractionLogEntry) -> bool:
    return entry.attachment is not None and entry.attachment.content_type == emails.EML_CONTENT_TYPE


def default_subject(entry: InteractionLogEntry) -> str:
    if keeps_an_email(entry):
        try:
            raw = emails.stored_message_bytes(entry)
        except emails.UndeliverableEmail:
            return entry.subject or entry.description
        subject = BytesParser(policy=policy.default).parsebytes(raw)["Subject"]
        return " ".join(str(subject or entry.subject).split())
    return entry.subject or entry.description


def default_body(entry: InteractionLogEntry) -> str:
    return _("Please find attached %(name)s.") % {"name": entry.attachment.file_name}


def _outgoing(entry: InteractionLogEntry, *, subject: str, body: str) -> tuple[str, str, list[emails.OutgoingFile]]:
    """Subject, text and files of the resend."""
    if keeps_an_email(entry):
        try:
            parsed = BytesParser(policy=policy.default).parsebytes(emails.stored_message_bytes(entry))
        except emails.UndeliverableEmail as missing:
            raise NothingToResend(str(missing)) from None
        body_part = parsed.get_body(preferencelist=("plain", "html"))
        files = [
            emails.OutgoingFile(
                name=part.get_filename() or "attachment",
                content=part.get_content(),
                content_type=part.get_content_type(),
            )
            for part in parsed.iter_attachments()
        ]
        return (
            " ".join(str(parsed["Subject"] or subject).split()),
            body_part.get_content() if body_part is not None else body,
            files,
        )
    try:
        file = emails.OutgoingFile.from_attachment(entry.attachment)
    except FileNotFoundError:
        raise NothingToResend(
            _("The attachment of interaction %(number)s is missing from storage; it cannot be sent.")
            % {"number": entry.entry_no}
        ) from None
    return subject, body, [file]


def resend_attachment(
    *, entry: InteractionLogEntry, user, address: str | None = None, subject: str = "", body: str = ""
) -> emails.SendResult:
    """E-mail what `entry` keeps to `address` (default the contact's), recorded as a new
    e-mail entry that refers to `entry`. `subject` and `body`: for a file (an e-mail kept
    as .eml goes as it was). Raises PermissionDenied (the owner rule), NothingToResend,
    ValidationError (by field) for what cannot be sent."""
    require_permission(user, RECORD)
    require_may_act_on_entry(user=user, entry=entry)
    if not resendable(entry):
        raise NothingToResend(
            _("Interaction %(number)s keeps no attachment that can be resent.") % {"number": entry.entry_no}
        )
    subject, body, files = _outgoing(entry, subject=subject, body=body)
    if not body.strip():
        # An e-mail needs a text; a file alone goes with the usual line.
        body = default_body(entry)
    return emails.send_email(
        contact=entry.contact,
        subject=subject,
        body=body,
        attachments=files,
        user=user,
        address=address,
        entry_values={"resent_from_entry_no": entry.entry_no},
    )
