"""E-mail drafts: an e-mail written on the e-mail page and saved instead of sent, logged with
the template setup's "E-mail drafts" template; reopened (from its entry or the contact's
card), edited, saved again, and at last sent.

Invariants:
- A draft is one log entry: delivery status "draft", the message as it stands kept as its
  attachment (an .eml, as a sent e-mail keeps it), the subject and the address in the
  entry. Saving it again replaces that message (the draft is the user's work in progress,
  not a record of something that happened); the earlier file goes when nothing else uses
  it. Nothing is ever sent from a draft's entry itself.
- Sending a draft sends a new e-mail (services.communication.emails.send_email: recorded
  with the "E-mails" template, delivered by the Celery task with its claim and recovery)
  whose entry refers to the draft (`sent_from_draft_entry_no`), and turns the draft into
  "draft sent", in the same transaction: both or neither. Every change of a draft is one
  UPDATE conditioned on its status "draft", so a draft sent in another tab is neither
  saved over nor sent twice.
- Without a template for drafts nothing can keep the draft: saving is refused with the
  reason (the page says so before), never silently dropped.
- Who: recording needs RECORD; a draft is its user's (the owner rule of permissions.py):
  only that user and those who may act on others' entries reopen, save or send it.
"""

import dataclasses
from collections.abc import Sequence
from email import policy
from email.parser import BytesParser

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from crm.contacts.models import Contact, CorrespondenceType

from ...models import DeliveryStatus, InteractionLogEntry
from ...permissions import RECORD, require_may_act_on_entry, require_permission
from .. import summaries, webhooks
from ..attachments import atomic_with_files, delete_unused_attachments
from ..recording import default_salesperson, lock_template_for_recording
from . import emails
from .automatic_entries import automatic_entry, no_template_reason, setup_template

EMAIL_DRAFTS_EVENT = "email_drafts"


class DraftNotEditable(Exception):
    """The entry is not (any more) a draft: sent meanwhile, canceled, or no draft at all."""


@dataclasses.dataclass(frozen=True)
class DraftContent:
    """What a draft holds, read back from its stored message."""

    address: str
    subject: str
    body: str
    files: tuple[emails.OutgoingFile, ...]


def no_template_notice() -> str:
    """Shown on the e-mail page: "" when drafts can be saved."""
    if setup_template(EMAIL_DRAFTS_EVENT) is not None:
        return ""
    return _("Drafts cannot be saved: %(reason)s") % {"reason": no_template_reason(EMAIL_DRAFTS_EVENT)}


def is_open_draft(entry: InteractionLogEntry) -> bool:
    return entry.delivery_status == DeliveryStatus.DRAFT and not entry.canceled


def draft_content(entry: InteractionLogEntry) -> DraftContent:
    """The address, subject, text and files of draft `entry`, from its stored message."""
    parsed = BytesParser(policy=policy.default).parsebytes(emails.stored_message_bytes(entry))
    addresses = parsed["To"].addresses if parsed["To"] is not None else ()
    body_part = parsed.get_body(preferencelist=("plain",))
    files = tuple(
        emails.OutgoingFile(
            name=part.get_filename() or "attachment", content=part.get_content(), content_type=part.get_content_type()
        )
        for part in parsed.iter_attachments()
    )
    return DraftContent(
        address=addresses[0].addr_spec if addresses else "",
        # A long subject is folded onto a line of its own: no leading space is the user's.
        subject=" ".join(str(parsed["Subject"] or "").split()),
        body=body_part.get_content() if body_part is not None else "",
        files=files,
    )


def _draft_message(*, contact: Contact, address: str, subject: str, body: str, files, user) -> bytes:
    errors = {}
    if address:
        try:
            validate_email(address)
        except ValidationError:
            errors["address"] = _("Enter a valid e-mail address, or leave it empty for now.")
    if not (address or subject.strip() or body.strip() or files):
        errors["body"] = _("The draft is empty: write something before saving it.")
    if errors:
        raise ValidationError(errors)
    salesperson = default_salesperson(user=user, contact=contact)
    message = emails.compose_email(
        to=[emails.recipient(name=contact.name, address=address)] if address else [],
        subject=subject.strip(),
        body=body,
        files=files,
        reply_to=emails.salesperson_reply_to(salesperson),
    )
    return emails.message_bytes(message)


def save_draft(
    *,
    contact: Contact,
    address: str,
    subject: str,
    body: str,
    attachments: Sequence[emails.OutgoingFile],
    user,
) -> InteractionLogEntry:
    """Save a new draft for `contact`, logged with the setup's "E-mail drafts" template.
    Raises ValidationError: nothing to save, an address that is no address, or no template
    to log drafts with."""
    require_permission(user, RECORD)
    address = address.strip()
    raw = _draft_message(
        contact=contact, address=address, subject=subject, body=body, files=list(attachments), user=user
    )
    template = setup_template(EMAIL_DRAFTS_EVENT)
    if template is None:
        raise ValidationError(no_template_notice(), code="no_template")
    with atomic_with_files():
        lock_template_for_recording(template, field=None)
        attachment = emails.store_message(raw=raw, contact=contact, prefix="draft")
        entry = automatic_entry(
            template=template,
            contact=contact,
            user=user,
            correspondence_type=CorrespondenceType.EMAIL,
            contact_via=address,
            subject=subject,
            attachment=attachment,
            delivery_status=DeliveryStatus.DRAFT,
        )
        entry.save(force_insert=True)
        summaries.entry_logged(entry)
        webhooks.announce_entries(webhooks.ENTRY_CREATED, [entry.entry_no])
    return entry


def _require_editable(*, entry: InteractionLogEntry, user) -> None:
    require_permission(user, RECORD)
    require_may_act_on_entry(user=user, entry=entry)
    if not is_open_draft(entry):
        raise DraftNotEditable(entry.entry_no)


def update_draft(
    *,
    entry: InteractionLogEntry,
    address: str,
    subject: str,
    body: str,
    attachments: Sequence[emails.OutgoingFile],
    user,
) -> InteractionLogEntry:
    """Save draft `entry` again with what it holds now (`attachments`: every file it keeps,
    those kept from before included). Raises DraftNotEditable when it was sent or canceled
    meanwhile, ValidationError for what cannot be saved."""
    _require_editable(entry=entry, user=user)
    address = address.strip()
    raw = _draft_message(
        contact=entry.contact, address=address, subject=subject, body=body, files=list(attachments), user=user
    )
    previous = entry.attachment_id
    with atomic_with_files():
        attachment = emails.store_message(raw=raw, contact=entry.contact, prefix="draft")
        changed = InteractionLogEntry.objects.filter(
            entry_no=entry.entry_no, delivery_status=DeliveryStatus.DRAFT, canceled=False
        ).update(
            attachment=attachment,
            subject=subject.strip()[: InteractionLogEntry._meta.get_field("subject").max_length],
            contact_via=address[:80],
        )
        if not changed:
            raise DraftNotEditable(entry.entry_no)
        if previous:
            delete_unused_attachments(attachment_ids={previous})
    entry.refresh_from_db()
    return entry


def send_draft(
    *,
    entry: InteractionLogEntry,
    address: str,
    subject: str,
    body: str,
    attachments: Sequence[emails.OutgoingFile],
    user,
) -> emails.SendResult:
    """Send draft `entry` as it is now: a new e-mail (recorded with the "E-mails" template,
    its entry referring to the draft) and the draft marked "draft sent", together. Raises
    DraftNotEditable when it was sent or canceled meanwhile, ValidationError (by field) for
    what cannot be sent."""
    _require_editable(entry=entry, user=user)

    def mark_sent() -> None:
        if not InteractionLogEntry.objects.filter(
            entry_no=entry.entry_no, delivery_status=DeliveryStatus.DRAFT, canceled=False
        ).update(delivery_status=DeliveryStatus.DRAFT_SENT):
            raise DraftNotEditable(entry.entry_no)

    return emails.send_email(
        contact=entry.contact,
        subject=subject,
        body=body,
        attachments=attachments,
        user=user,
        address=address,
        entry_values={"sent_from_draft_entry_no": entry.entry_no},
        before_recording=mark_sent,
    )
