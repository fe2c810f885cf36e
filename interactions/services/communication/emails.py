"""E-mails to contacts: sent by a Celery task, recorded at once, their delivery tracked.

`send_email` writes the log entry (template "E-mails" of the setup) with delivery status
"in progress" and the message as it will go out (an .eml file, the entry's attachment), and
queues `interactions.tasks.deliver_email` (by its name) when that transaction commits, so a
worker never looks for an entry that is not there yet. The task (its steps and retries are
in delivery.py) first claims the entry ("in progress" -> "sending", one conditional UPDATE:
of two tasks for the same entry only one gets it), then sends the stored message through
Django's e-mail backend; when the backend accepts it the status is cleared, when it keeps
refusing it the status becomes "error" with the reason, and `resend_email` (only then)
tries again with the very same message. Every change of status is one UPDATE conditioned
on the status it changes, so a late task, a resend and a redelivered task cannot overwrite
each other.

The database is the queue of record: an entry "in progress" whose delivery is overdue (the
task queue was unreachable, or lost the task) is queued again by the recovery sweep
(`requeue_overdue_emails`, run by celery beat and when a worker starts), so nothing waits
for someone to press a button.

Without a template in the setup the e-mail still goes out, by the same task, and nothing is
recorded: the caller is told why.
"""

import base64
import dataclasses
import datetime
import logging
import mimetypes
import smtplib
from collections.abc import Iterable, Sequence
from email import policy
from email.headerregistry import Address
from email.parser import BytesParser
from email.utils import formataddr

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from crm.contacts.models import Contact, CorrespondenceType, Salesperson

from ... import conf
from ...models import Attachment, CapturedEmail, DeliveryStatus, InteractionLogEntry, InteractionTemplate
from ...models.mailboxes import message_key
from ...permissions import (
    RECORD,
    may_open_private_email,
    require_may_act_on_entry,
    require_may_see_entry,
    require_permission,
)
from .. import summaries, webhooks
from ..attachments import atomic_with_files, store_attachment, validate_attachment_upload
from ..recording import (
    default_salesperson,
    lock_template_for_recording,
    merge_template_body,
    resolve_language,
    template_language_codes,
)
from ..task_queue import BROKER_UNREACHABLE, queue_task
from .automatic_entries import (
    EMAILS_EVENT,
    automatic_entry,
    no_template_reason,
    setup_template,
)

logger = logging.getLogger(__name__)

EML_CONTENT_TYPE = "message/rfc822"
# The Celery tasks that deliver (interactions/tasks.py; services/communication/delivery.py).
DELIVER_EMAIL_TASK = "interactions.tasks.deliver_email"
DELIVER_UNRECORDED_EMAIL_TASK = "interactions.tasks.deliver_unrecorded_email"
DELIVERY_ERROR_MAX_LENGTH = 2000


# --- What goes out ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class OutgoingFile:
    """A file attached to an e-mail."""

    name: str
    content: bytes
    content_type: str = ""

    @classmethod
    def from_upload(cls, upload) -> "OutgoingFile":
        """An uploaded file, refused (ValidationError) when it is of a kind or size that
        interactions do not take as attachments."""
        validate_attachment_upload(upload)
        upload.seek(0)
        return cls(name=upload.name, content=upload.read(), content_type=upload.content_type or "")

    @classmethod
    def from_attachment(cls, attachment: Attachment) -> "OutgoingFile":
        with attachment.file.open("rb") as handle:
            content = handle.read()
        return cls(name=attachment.file_name, content=content, content_type=attachment.content_type)

    @property
    def mimetype(self) -> str:
        # The stored type may carry parameters ("text/plain; charset=utf-8"); Django wants
        # the bare type and finds the charset itself.
        declared = self.content_type.split(";", 1)[0].strip()
        return declared or mimetypes.guess_type(self.name)[0] or "application/octet-stream"


def compose_email(
    *,
    to: Sequence[str],
    subject: str,
    body: str,
    files: Iterable[OutgoingFile] = (),
    reply_to: Sequence[str] = (),
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """The message as Django's e-mail backends send it, from the default sender address;
    replies go to `reply_to` (the salesperson)."""
    message = EmailMessage(
        # A header is one line: line breaks typed or pasted into the subject become spaces
        # (Django refuses them, to prevent header injection).
        subject=" ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        reply_to=list(reply_to),
        headers=headers or {},
    )
    for outgoing in files:
        message.attach(outgoing.name, outgoing.content, outgoing.mimetype)
    return message


def recipient(*, name: str, address: str) -> str:
    """ "Name <address>", the way mail programs show who a message is for."""
    return formataddr((name, address))


def salesperson_reply_to(salesperson: Salesperson | None) -> list[str]:
    if salesperson is None or not salesperson.email:
        return []
    return [recipient(name=salesperson.name, address=salesperson.email)]


def message_bytes(message: EmailMessage) -> bytes:
    """The message as it goes out (an .eml file)."""
    return message.message().as_bytes()


def message_from_bytes(raw: bytes) -> EmailMessage:
    """The stored message again, for Django's backends: same sender, recipients, subject,
    body, attachments and Message-ID (a receiving mail program that got the first attempt
    after all shows a resent one once); the date is that of the new attempt."""
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    body_part = parsed.get_body(preferencelist=("plain",))
    headers = {"Message-ID": str(parsed["Message-ID"])} if parsed["Message-ID"] else {}
    message = EmailMessage(
        subject=str(parsed["Subject"] or ""),
        body=body_part.get_content() if body_part is not None else "",
        from_email=str(parsed["From"] or settings.DEFAULT_FROM_EMAIL),
        to=_addresses(parsed["To"]),
        cc=_addresses(parsed["Cc"]),
        reply_to=_addresses(parsed["Reply-To"]),
        headers=headers,
    )
    for part in parsed.iter_attachments():
        message.attach(part.get_filename() or "attachment", part.get_content(), part.get_content_type())
    return message


def _addresses(header) -> list[str]:
    if header is None:
        return []
    return [_format_address(address) for address in header.addresses]


def _format_address(address: Address) -> str:
    return formataddr((address.display_name, address.addr_spec))


def stored_message_bytes(entry: InteractionLogEntry) -> bytes:
    """The .eml that `entry` keeps of the e-mail it records; UndeliverableEmail when there
    is none (an entry that is no e-mail, or its file was lost)."""
    attachment = entry.attachment
    if attachment is None or attachment.content_type != EML_CONTENT_TYPE:
        raise UndeliverableEmail(_("The entry keeps no e-mail message to send."))
    try:
        with attachment.file.open("rb") as handle:
            return handle.read()
    except FileNotFoundError as missing:
        raise UndeliverableEmail(
            _("The stored e-mail message %(name)s is missing.") % {"name": attachment.file_name}
        ) from missing


def merged_email_body(*, template: InteractionTemplate, contact: Contact, salesperson: Salesperson | None) -> str:
    """The template's merge body in the contact's language (else the template's default
    language), filled with the contact's and the salesperson's data; "" when it has none."""
    language = resolve_language(
        contact_language=contact.language,
        template_languages=template_language_codes(template),
        default_language=template.language_default,
    )
    row = template.language_row(language)
    if row is None or not row.merge_body.strip():
        return ""
    return merge_template_body(
        body=row.merge_body, contact=contact, salesperson=salesperson, date=timezone.localdate(), language=row.language
    )


def store_message(*, raw: bytes, contact: Contact, prefix: str = "email") -> Attachment:
    """A new attachment holding the message as sent (an .eml file). Call it inside
    `attachments.atomic_with_files` with the entry it belongs to."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    name = get_valid_filename(f"{prefix}-{contact.number}-{stamp}.eml")
    return store_attachment(content=raw, file_name=name, content_type=EML_CONTENT_TYPE)


# --- Queuing ---------------------------------------------------------------------------


class DeliveryTicket:
    """Whether a message was handed to the task queue: None until the transaction that
    recorded it commits (the task is queued then), then True, or False when the broker
    could not be reached (the entry stays "in progress"; the recovery sweep queues it again
    when the broker is back)."""

    def __init__(self) -> None:
        self.queued: bool | None = None


def queue_delivery_on_commit(*, entry_no: int | None = None, raw: bytes | None = None) -> DeliveryTicket:
    """Queue the delivery of entry `entry_no`'s stored message (or, for an e-mail that is
    not recorded, of `raw`) once the current transaction commits; at once outside one."""
    ticket = DeliveryTicket()

    def queue() -> None:
        ticket.queued = _queue_now(entry_no=entry_no, raw=raw)

    transaction.on_commit(queue)
    return ticket


def _queue_now(*, entry_no: int | None, raw: bytes | None) -> bool:
    # By the tasks' names: the tasks import the services, never the other way.
    try:
        if entry_no is not None:
            queue_task(DELIVER_EMAIL_TASK, args=[entry_no], queue=conf.settings.EMAIL_QUEUE)
        else:
            queue_task(
                DELIVER_UNRECORDED_EMAIL_TASK,
                args=[base64.b64encode(raw).decode("ascii")],
                queue=conf.settings.EMAIL_QUEUE,
            )
    except BROKER_UNREACHABLE as unreachable:
        logger.warning(
            "The task queue is unreachable (%s); e-mail of entry %s waits for the sweep", unreachable, entry_no
        )
        return False
    return True


# --- Sending, resending ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SendResult:
    """The entry that records the e-mail (None when nothing was recorded, and why), and
    whether its delivery was queued."""

    entry: InteractionLogEntry | None
    ticket: DeliveryTicket
    not_recorded_reason: str = ""

    @property
    def queue_unavailable(self) -> bool:
        return self.ticket.queued is False


def email_address_of(contact: Contact) -> str:
    return contact.email.strip()


def send_email(
    *,
    contact: Contact,
    subject: str,
    body: str,
    attachments: Sequence[OutgoingFile],
    user,
    template: InteractionTemplate | None = None,
    reply_to_entry: InteractionLogEntry | None = None,
    address: str | None = None,
    entry_values: dict | None = None,
    before_recording=None,
) -> SendResult:
    """Send an e-mail to `contact` and record it.

    `template`: an interaction template whose merge body is the e-mail's text when `body`
    is empty (the entry itself is recorded with the setup's template for E-mails).
    `reply_to_entry`: the interaction this e-mail answers or forwards; its attachment goes
    along. `address`: where to (default the contact's e-mail). `entry_values`: more fields of
    the entry (the entry it was resent from, the draft it was sent from). `before_recording()`:
    called inside the transaction that records the e-mail, before the entry is written
    (a draft marks itself sent there, so both or neither change).
    Raises ValidationError (by field) for what cannot be sent."""
    require_permission(user, RECORD)
    if reply_to_entry is not None:
        require_may_see_entry(user=user, entry=reply_to_entry)
        _refuse_closed_private_email(user=user, entry=reply_to_entry)
    address = (address if address is not None else email_address_of(contact)).strip()
    salesperson = default_salesperson(user=user, contact=contact)
    errors = {}
    if not address:
        errors["address"] = _("%(contact)s has no e-mail address: enter the address to write to.") % {
            "contact": contact.name
        }
    else:
        try:
            validate_email(address)
        except ValidationError:
            errors["address"] = _("Enter a valid e-mail address.")
    if not subject.strip():
        errors["subject"] = _("Enter the subject of the e-mail.")
    if not body.strip() and template is not None:
        body = merged_email_body(template=template, contact=contact, salesperson=salesperson)
    if not body.strip():
        errors["body"] = _("Write the text of the e-mail, or choose a template with a merge text.")
    if reply_to_entry is not None and reply_to_entry.contact_id != contact.pk:
        errors["contact"] = _("The interaction answered belongs to another contact.")
    if errors:
        raise ValidationError(errors)

    files = list(attachments)
    if reply_to_entry is not None and reply_to_entry.attachment_id:
        try:
            files.insert(0, OutgoingFile.from_attachment(reply_to_entry.attachment))
        except FileNotFoundError:
            raise ValidationError(
                _("The attachment of interaction %(number)s is missing from storage; it cannot be sent.")
                % {"number": reply_to_entry.entry_no}
            ) from None
    message = compose_email(
        to=[recipient(name=contact.name, address=address)],
        subject=subject.strip(),
        body=body,
        files=files,
        reply_to=salesperson_reply_to(salesperson),
    )
    raw = message_bytes(message)

    recording_template = setup_template(EMAILS_EVENT)
    if recording_template is None:
        with transaction.atomic():
            if before_recording is not None:
                before_recording()
            ticket = queue_delivery_on_commit(raw=raw)
        return SendResult(entry=None, ticket=ticket, not_recorded_reason=no_template_reason(EMAILS_EVENT))
    with atomic_with_files():
        if before_recording is not None:
            before_recording()
        lock_template_for_recording(recording_template, field=None)
        attachment = store_message(raw=raw, contact=contact)
        entry = automatic_entry(
            template=recording_template,
            contact=contact,
            user=user,
            correspondence_type=CorrespondenceType.EMAIL,
            contact_via=address,
            subject=subject,
            attachment=attachment,
            delivery_status=DeliveryStatus.IN_PROGRESS,
            delivery_due_at=timezone.now(),
            **(entry_values or {}),
        )
        entry.save(force_insert=True)
        summaries.entry_logged(entry)
        # Its Message-ID, so that its copy in a journal mailbox is not logged again, replies
        # thread to it and a bounce marks it failed (services/mail_capture/).
        record_sent_message(entry=entry, raw=raw)
        ticket = queue_delivery_on_commit(entry_no=entry.entry_no)
        webhooks.announce_entries(webhooks.ENTRY_CREATED, [entry.entry_no])
    return SendResult(entry=entry, ticket=ticket)


def _refuse_closed_private_email(*, user, entry: InteractionLogEntry) -> None:
    """A private captured e-mail's message goes along only for who may open it."""
    owners = list(
        CapturedEmail.objects.filter(entry_id=entry.entry_no, private=True).values_list(
            "entry__salesperson__user_id", flat=True
        )
    )
    if owners and not may_open_private_email(user=user, salesperson_user_id=owners[0]):
        raise PermissionDenied(_("This e-mail is private: only its salesperson and sales managers may open it."))


def record_sent_message(*, entry: InteractionLogEntry, raw: bytes) -> None:
    """The Message-ID of an e-mail sent from the application, recorded for the entry's
    contact: its copy in a journal mailbox is then not logged again, replies to it are
    threaded to the entry, and a bounce marks its delivery failed (services/mail_capture/)."""
    message_id = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True).get("Message-ID")
    if message_id:
        CapturedEmail.objects.create(
            entry=entry,
            contact_id=entry.contact_id,
            message_key=message_key(str(message_id)),
            kind=CapturedEmail.Kind.SENT,
            subject=entry.subject,
        )


class EmailNotResendable(Exception):
    """The entry's e-mail was delivered meanwhile, or the entry records no e-mail."""


class EmailDeliveryUnderWay(EmailNotResendable):
    """The entry's e-mail is queued or being sent: resending now could deliver it twice."""


# Waiting for a task, or claimed by one.
PENDING_STATUSES = (DeliveryStatus.IN_PROGRESS, DeliveryStatus.SENDING)


def can_resend(entry: InteractionLogEntry) -> bool:
    """An e-mail whose delivery failed. Not one still queued or being sent: that one is on
    its way (the recovery sweep queues it again if its task was lost)."""
    return entry.delivery_status == DeliveryStatus.ERROR and entry.attachment_id is not None and not entry.canceled


def resend_email(*, entry: InteractionLogEntry, user) -> DeliveryTicket:
    """Deliver the entry's stored e-mail again after its delivery failed. The entry's user
    and sales managers may; raises EmailDeliveryUnderWay while it is queued or being sent,
    EmailNotResendable when there is nothing to resend."""
    require_permission(user, RECORD)
    require_may_act_on_entry(user=user, entry=entry)
    with transaction.atomic():
        # The status condition is part of the UPDATE: of several clicks only one finds the
        # e-mail failed, and an e-mail on its way or delivered a moment ago is not sent again.
        changed = InteractionLogEntry.objects.filter(
            entry_no=entry.entry_no,
            delivery_status=DeliveryStatus.ERROR,
            attachment__content_type=EML_CONTENT_TYPE,
            canceled=False,
        ).update(delivery_status=DeliveryStatus.IN_PROGRESS, delivery_error="", delivery_due_at=timezone.now())
        if not changed:
            pending = InteractionLogEntry.objects.filter(
                entry_no=entry.entry_no, delivery_status__in=PENDING_STATUSES
            ).exists()
            raise (EmailDeliveryUnderWay if pending else EmailNotResendable)(entry.entry_no)
        return queue_delivery_on_commit(entry_no=entry.entry_no)


def requeue_overdue_emails(*, now: datetime.datetime | None = None) -> list[int]:
    """Queue again the delivery of every e-mail still waiting past its due time and the
    grace period INTERACTIONS_EMAIL_REQUEUE_AFTER: queued while the task queue could not be
    reached, its task lost, its retry lost, or claimed by a worker that died while sending.
    Returns the entry numbers queued. Stops at the first failure to queue (the queue is
    still down: the next sweep tries again). A task that turns up after all finds the entry
    claimed or delivered and sends nothing."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=conf.settings.EMAIL_REQUEUE_AFTER)
    overdue = (
        InteractionLogEntry.objects.filter(delivery_status__in=PENDING_STATUSES, canceled=False)
        .filter(Q(delivery_due_at__lt=cutoff) | Q(delivery_due_at__isnull=True))
        # A logged segment's e-mails go in chunks (services/segment_delivery.py).
        .filter(logged_segment__isnull=True)
        .order_by("delivery_due_at", "entry_no")
        .values_list("entry_no", flat=True)
    )
    queued = []
    for entry_no in list(overdue[:1000]):
        # Due again now: not queued a second time by the next sweep unless this one is lost
        # too. A claim that went stale (its worker died) becomes "in progress" again.
        InteractionLogEntry.objects.filter(
            Q(delivery_due_at__lt=cutoff) | Q(delivery_due_at__isnull=True),
            entry_no=entry_no,
            delivery_status__in=PENDING_STATUSES,
        ).update(delivery_status=DeliveryStatus.IN_PROGRESS, delivery_due_at=now)
        if not _queue_now(entry_no=entry_no, raw=None):
            # Not queued: due as it was, so the next sweep takes it again.
            InteractionLogEntry.objects.filter(entry_no=entry_no, delivery_status=DeliveryStatus.IN_PROGRESS).update(
                delivery_due_at=cutoff - datetime.timedelta(seconds=1)
            )
            break
        queued.append(entry_no)
    if queued:
        logger.info("Queued again the delivery of the e-mails of entries %s", queued)
    return queued


# --- Delivery (the task's work; delivery.py runs it with retries) ----------------------


class UndeliverableEmail(Exception):
    """Trying again cannot help: there is nothing to send, or the server refused for good."""


def is_permanent_failure(failure: BaseException) -> bool:
    """A 5xx answer of the SMTP server (unknown mailbox, refused sender) does not change
    on a retry; a refused connection or a 4xx answer may."""
    if isinstance(failure, UndeliverableEmail):
        return True
    if isinstance(failure, smtplib.SMTPRecipientsRefused):
        return bool(failure.recipients) and all(code >= 500 for code, _text in failure.recipients.values())
    if isinstance(failure, smtplib.SMTPResponseException):
        return failure.smtp_code >= 500
    return False


def failure_reason(failure: BaseException) -> str:
    """What the log shows as the reason of a failed delivery."""
    text = str(failure).strip()
    if isinstance(failure, smtplib.SMTPResponseException):
        error = (
            failure.smtp_error.decode(errors="replace") if isinstance(failure.smtp_error, bytes) else failure.smtp_error
        )
        text = f"{failure.smtp_code} {error}"
    return (text or type(failure).__name__)[:DELIVERY_ERROR_MAX_LENGTH]


def send_now(message: EmailMessage) -> None:
    """Hand `message` to the configured e-mail backend; raises what the backend raises."""
    with get_connection(fail_silently=False) as connection:
        if connection.send_messages([message]) != 1:
            raise UndeliverableEmail(_("The e-mail backend did not accept the message."))


def claim_for_delivery(*, entry_no: int) -> bool:
    """Claim entry `entry_no`'s e-mail for the task that calls: one conditional UPDATE from
    "in progress" to "sending" (or of a claim gone stale: its worker died while sending, past
    INTERACTIONS_EMAIL_SENDING_TIMEOUT). Committed at once (autocommit), so of two tasks for
    the same entry, however close together, only one gets it."""
    now = timezone.now()
    return bool(
        InteractionLogEntry.objects.filter(
            Q(delivery_status=DeliveryStatus.IN_PROGRESS)
            | Q(delivery_status=DeliveryStatus.SENDING, delivery_due_at__lt=now),
            entry_no=entry_no,
            canceled=False,
        ).update(
            delivery_status=DeliveryStatus.SENDING,
            delivery_due_at=now + datetime.timedelta(seconds=conf.settings.EMAIL_SENDING_TIMEOUT),
        )
    )


def release_claim(*, entry_no: int, retry_in: float = 0) -> bool:
    """Give entry `entry_no`'s claimed e-mail back ("sending" -> "in progress"), due again in
    `retry_in` seconds (a retry later; the sweep leaves it alone until then)."""
    return bool(
        InteractionLogEntry.objects.filter(entry_no=entry_no, delivery_status=DeliveryStatus.SENDING).update(
            delivery_status=DeliveryStatus.IN_PROGRESS,
            delivery_due_at=timezone.now() + datetime.timedelta(seconds=retry_in),
        )
    )


def postpone_delivery(*, entry_no: int, seconds: float) -> bool:
    """Entry `entry_no`'s e-mail, waiting for a retry, is due in `seconds`."""
    return bool(
        InteractionLogEntry.objects.filter(entry_no=entry_no, delivery_status=DeliveryStatus.IN_PROGRESS).update(
            delivery_due_at=timezone.now() + datetime.timedelta(seconds=seconds)
        )
    )


def deliver_recorded_email(*, entry_no: int) -> bool:
    """Claim entry `entry_no`'s stored e-mail, send it and clear its delivery status. Returns
    False when the entry is not waiting for delivery (claimed by another task, delivered,
    failed for good, canceled or deleted meanwhile): two tasks for one entry send once.
    Raises the backend's error, the claim given back (a retry claims it again)."""
    if not claim_for_delivery(entry_no=entry_no):
        return False
    try:
        entry = InteractionLogEntry.objects.select_related("attachment").get(entry_no=entry_no)
        send_now(message_from_bytes(stored_message_bytes(entry)))
    except BaseException:
        release_claim(entry_no=entry_no)
        raise
    # A worker that dies between sending and this UPDATE leaves the claim; it goes stale
    # after INTERACTIONS_EMAIL_SENDING_TIMEOUT and the e-mail is sent again: at least once,
    # as e-mail delivery is, never silently lost.
    InteractionLogEntry.objects.filter(entry_no=entry_no, delivery_status=DeliveryStatus.SENDING).update(
        delivery_status=DeliveryStatus.BLANK, delivery_error="", delivery_due_at=None
    )
    return True


def record_delivery_failure(*, entry_no: int, reason: str) -> bool:
    """Mark entry `entry_no`'s e-mail as not delivered, with the reason. Only an e-mail still
    on its way: one resent and delivered meanwhile keeps its blank status."""
    return bool(
        InteractionLogEntry.objects.filter(entry_no=entry_no, delivery_status__in=PENDING_STATUSES).update(
            delivery_status=DeliveryStatus.ERROR,
            delivery_error=reason[:DELIVERY_ERROR_MAX_LENGTH],
            delivery_due_at=None,
        )
    )


def deliver_unrecorded_email(*, raw: bytes) -> None:
    """Send an e-mail that no entry records (the setup has no template for E-mails)."""
    send_now(message_from_bytes(raw))
