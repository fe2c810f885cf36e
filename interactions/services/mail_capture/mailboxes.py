"""Mailbox setup, the capture settings, "run now", the scheduled reading, logging a skipped
message by hand, and recording the application's own sent e-mails for the exactly-once rule.

Permissions are checked here as in the views: the setup (mailboxes and settings) and "run
now" are the administrators'; the health pages and skipped messages are the administrators'
and sales managers' (permissions.VIEW_MAIL_CAPTURE_HEALTH, LOG_SKIPPED_MESSAGE).
"""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm.contacts.models import Contact

from ... import conf
from ...models import CapturedEmail, InteractionLogEntry, Mailbox, MailCaptureSettings, SkippedMessage, SkipReason
from ...models.mailboxes import message_key
from ...permissions import (
    CHANGE_MAILBOXES,
    LOG_SKIPPED_MESSAGE,
    RUN_MAILBOX,
    require_permission,
)
from .. import webhooks
from ..attachments import atomic_with_files
from ..communication.automatic_entries import EMAILS_EVENT, no_template_reason, setup_template
from ..recording import lock_template_for_recording
from ..task_queue import BROKER_UNREACHABLE, queue_task
from .batch import write_entries
from .capture import decide
from .parsing import UnreadableMessage, normalize_email, parse_message
from .rules import CaptureRules

logger = logging.getLogger(__name__)

CAPTURE_MAILBOX_TASK = "interactions.tasks.capture_mailbox"

MAILBOX_FIELDS = (
    "name",
    "host",
    "port",
    "security",
    "username",
    "password_source",
    "password_reference",
    "folder",
    "processed_folder",
    "kind",
    "salesperson",
    "private",
    "active",
)
SETTINGS_FIELDS = ("internal_domains", "never_log", "log_mode", "match_company_domains", "skip_auto_replies")


def save_mailbox(*, mailbox: Mailbox, values: dict, user) -> Mailbox:
    """Create or change a mailbox from `values` (MAILBOX_FIELDS); ValidationError by field."""
    require_permission(user, CHANGE_MAILBOXES)
    for name in MAILBOX_FIELDS:
        if name in values:
            setattr(mailbox, name, values[name])
    mailbox.full_clean(exclude=["lock_token", "locked_until"])
    mailbox.save()
    return mailbox


def save_capture_settings(*, values: dict, user) -> MailCaptureSettings:
    require_permission(user, CHANGE_MAILBOXES)
    row = MailCaptureSettings.load()
    for name in SETTINGS_FIELDS:
        if name in values:
            setattr(row, name, values[name])
    errors = {}
    for field in ("internal_domains", "never_log"):
        bad = [
            line
            for line in MailCaptureSettings.lines(getattr(row, field))
            if not normalize_email(line if "@" in line else f"x@{line}")
        ]
        if bad:
            errors[field] = _("Not an address or domain: %(items)s") % {"items": ", ".join(bad[:5])}
    if errors:
        raise ValidationError(errors)
    row.full_clean()
    row.save()
    return row


class QueueUnavailable(Exception):
    """The task queue could not be reached; nothing was queued."""


def run_now(*, mailbox: Mailbox, user) -> None:
    """Queue a reading of `mailbox` now (run at once in-process without a broker). Raises
    QueueUnavailable when the broker is down."""
    require_permission(user, RUN_MAILBOX)
    if not mailbox.active:
        raise ValidationError(_("Mailbox %(name)s is not active.") % {"name": mailbox.name})
    try:
        queue_task(CAPTURE_MAILBOX_TASK, args=[mailbox.pk], queue=conf.settings.MAIL_CAPTURE_QUEUE)
    except BROKER_UNREACHABLE as unreachable:
        raise QueueUnavailable(str(unreachable)) from None


def queue_due_mailboxes() -> list[int]:
    """celery beat's run: one reading queued per active mailbox not being read now."""
    from .runs import due_mailboxes

    queued = []
    for mailbox_id in due_mailboxes():
        try:
            queue_task(CAPTURE_MAILBOX_TASK, args=[mailbox_id], queue=conf.settings.MAIL_CAPTURE_QUEUE)
        except BROKER_UNREACHABLE as unreachable:
            logger.warning("The task queue is unreachable (%s); mailboxes wait for the next schedule", unreachable)
            break
        queued.append(mailbox_id)
    return queued


# --- Skipped messages logged by hand -------------------------------------------------------


def skipped_message_bytes(skipped: SkippedMessage) -> bytes:
    if not skipped.raw:
        raise ValidationError(_("This skipped message keeps no copy of the message."))
    try:
        with skipped.raw.open("rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise ValidationError(_("The stored copy of this message is missing.")) from None


def log_skipped_message(*, skipped: SkippedMessage, contact: Contact, user) -> InteractionLogEntry:
    """Log a skipped message for `contact`, chosen by a manager: the same entry the capture
    would have written (direction and salesperson decided from the message's addresses),
    once per contact (ValidationError when that contact already has this message)."""
    require_permission(user, LOG_SKIPPED_MESSAGE)
    if skipped.logged_entry_id:
        raise ValidationError(
            _("This message was already logged by hand (entry %(number)s).") % {"number": skipped.logged_entry_id}
        )
    template = setup_template(EMAILS_EVENT)
    if template is None:
        raise ValidationError(
            _("No interaction was recorded: %(reason)s") % {"reason": no_template_reason(EMAILS_EVENT)}
        )
    raw = skipped_message_bytes(skipped)
    try:
        message = parse_message(raw, attachment_limit=conf.settings.MAIL_CAPTURE_ATTACHMENT_LIMIT)
    except UnreadableMessage:
        message = None
    mailbox = skipped.mailbox
    key = skipped.message_key if message is None else message_key(message.message_id, fallback=raw[:65536])
    if message is None:
        message = _UnparsedMessage(raw=raw, subject=skipped.subject)
        outbound, salesperson, replies_to = False, mailbox.salesperson, {}
    else:
        rules = CaptureRules.load(mailbox)
        decision = decide(message=message, rules=rules)
        outbound, salesperson = decision.outbound, decision.salesperson
        replies_to = {contact.pk: decision.replies_to[contact.pk]} if contact.pk in decision.replies_to else {}
    wanted = normalize_email(contact.email or "")
    address = next((a for a in _message_addresses(message) if a == wanted), contact.email or "")
    with atomic_with_files():
        locked = SkippedMessage.objects.select_for_update().get(pk=skipped.pk)
        if locked.logged_entry_id:
            raise ValidationError(_("This message was logged by hand meanwhile."))
        if CapturedEmail.objects.filter(contact=contact, message_key=key).exists():
            raise ValidationError(_("%(contact)s already has this message in the log.") % {"contact": contact.name})
        lock_template_for_recording(template, field=None)
        (entry,) = write_entries(
            rules=None,
            key=key,
            message=message,
            contacts={contact.pk: address},
            outbound=outbound,
            salesperson=salesperson,
            replies_to=replies_to,
            kind=CapturedEmail.Kind.BY_HAND,
            mailbox=None,
            private=mailbox.private,
            template=template,
            user=user,
        )
        SkippedMessage.objects.filter(pk=skipped.pk).update(logged_entry=entry, logged_by=user)
        webhooks.announce_entries(webhooks.ENTRY_CREATED, [entry.entry_no])
    return entry


def _message_addresses(message) -> list[str]:
    return [a.email for a in [message.sender, *message.to, *message.cc] if a]


class _UnparsedMessage:
    """What `write_entries` needs of a message that could not be parsed: the bytes as they are."""

    kind = "message"
    sender = None
    to: tuple = ()
    cc: tuple = ()
    date = None
    truncated = False
    message_id = None

    def __init__(self, *, raw: bytes, subject: str):
        self.eml = raw
        self.subject = subject


def skip_reason_label(reason: str) -> str:
    return str(dict(SkipReason.choices).get(reason, reason))


@transaction.atomic
def delete_mailbox(*, mailbox: Mailbox, user) -> None:
    require_permission(user, CHANGE_MAILBOXES)
    mailbox.delete()


def skipped_message_text(skipped: SkippedMessage) -> str:
    """The text of a skipped message, for a manager to read before logging it ("" when it
    keeps no copy or none can be read)."""
    if not skipped.raw:
        return ""
    try:
        raw = skipped_message_bytes(skipped)
        return parse_message(raw, attachment_limit=conf.settings.MAIL_CAPTURE_ATTACHMENT_LIMIT).text
    except (ValidationError, UnreadableMessage):
        return ""
