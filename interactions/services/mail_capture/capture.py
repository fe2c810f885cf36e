"""The capture of one message: from its raw bytes to log entries, a bounce recorded on the
original entry, or a skipped message with its reason.

Invariants (see also models/mailboxes.py):
- One transaction per message: its entries, their CapturedEmail rows, the shared .eml
  attachment, or its SkippedMessage, commit together or not at all; the caller moves the
  message out of the folder only after that commit.
- Exactly once per contact: before writing, the contacts that already have the message
  (CapturedEmail with its key) are left out; the unique constraint settles a race with
  another mailbox reading a copy at the same moment (the loser's transaction rolls back and
  the message is decided again, now as a duplicate).
- A message already decided in this very mailbox (logged or skipped: the run died before it
  was moved) is only moved on, counted as a duplicate, recorded nowhere again.
- The outcome depends on the message and the stored data only, never on the run: a message
  read twice is decided the same way.
"""

import dataclasses
import datetime
import hashlib
import logging
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from crm.contacts.models import Contact, CorrespondenceType, Salesperson

from ... import conf
from ...models import (
    CapturedEmail,
    DeliveryStatus,
    InformationFlow,
    InitiatedBy,
    InteractionLogEntry,
    InteractionTemplate,
    LogMode,
    Mailbox,
    MailboxKind,
    MailCaptureSettings,
    SkippedMessage,
    SkipReason,
)
from ...models.mailboxes import message_key
from ...selectors.mail_matching import contacts_for_addresses, salespeople_for_addresses
from .. import summaries, webhooks
from ..attachments import atomic_with_files, store_attachment, track_stored_file
from ..communication.automatic_entries import DESCRIPTION_MAX_LENGTH, EMAILS_EVENT, automatic_entry, setup_template
from ..communication.emails import DELIVERY_ERROR_MAX_LENGTH, EML_CONTENT_TYPE
from ..recording import lock_template_for_recording
from .parsing import UnreadableMessage, normalize_email, parse_message

logger = logging.getLogger(__name__)


class Outcome:
    LOGGED = "logged"
    BOUNCE = "bounce"
    SKIPPED = "skipped"
    SEEN = "seen"  # decided before in this mailbox; only moved on


@dataclasses.dataclass(frozen=True)
class MessageResult:
    outcome: str
    reason: str = ""
    entry_numbers: tuple[int, ...] = ()


# --- What the run knows once ------------------------------------------------------------


@dataclasses.dataclass
class CaptureRules:
    """The capture settings and the lookups every message of a run uses, read once a run."""

    mailbox: Mailbox
    template: InteractionTemplate
    internal_domains: frozenset[str]
    never_log: frozenset[str]
    log_mode: str
    match_company_domains: bool
    skip_auto_replies: bool
    attachment_limit: int
    run_id: int | None = None
    _salespeople: dict[int, Salesperson] | None = None

    @classmethod
    def load(cls, mailbox: Mailbox, *, run_id: int | None = None) -> "CaptureRules":
        template = setup_template(EMAILS_EVENT)
        if template is None:
            raise CaptureNotSetUp(
                _(
                    "The interaction template setup has no template for E-mails, so captured messages "
                    "cannot be logged: choose one on the setup page."
                )
            )
        # The template's languages once, not once per entry (services.recording reads them).
        prefetch_related_objects([template], "languages")
        row = MailCaptureSettings.load()
        return cls(
            mailbox=mailbox,
            template=template,
            internal_domains=frozenset(_domain(d) for d in MailCaptureSettings.lines(row.internal_domains)),
            never_log=frozenset(_never_log_item(item) for item in MailCaptureSettings.lines(row.never_log)),
            log_mode=row.log_mode,
            match_company_domains=row.match_company_domains,
            skip_auto_replies=row.skip_auto_replies,
            attachment_limit=conf.settings.MAIL_CAPTURE_ATTACHMENT_LIMIT,
            run_id=run_id,
        )

    def salesperson(self, salesperson_id: int | None) -> Salesperson | None:
        """A salesperson by id, read once a run (there are few)."""
        if salesperson_id is None:
            return None
        if self._salespeople is None:
            self._salespeople = Salesperson.objects.in_bulk()
        return self._salespeople.get(salesperson_id)

    def is_internal(self, address: str, salesperson: Salesperson | None) -> bool:
        return salesperson is not None or _domain_of(address) in self.internal_domains

    def never_logged(self, address: str) -> bool:
        return address in self.never_log or _domain_of(address) in self.never_log


class CaptureNotSetUp(Exception):
    """Nothing can be logged until the setup is completed (the run fails, the messages stay)."""


def _domain(text: str) -> str:
    normal = normalize_email(f"x@{text}")
    return normal.rpartition("@")[2] if normal else text.lower()


def _never_log_item(text: str) -> str:
    if "@" in text:
        return normalize_email(text) or text.lower()
    return _domain(text)


def _domain_of(address: str) -> str:
    return address.rpartition("@")[2]


# --- Keys -------------------------------------------------------------------------------


def raw_key(raw: bytes) -> str:
    """The key of a message that could not be read at all: a hash of its bytes."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()


# --- One message ------------------------------------------------------------------------


def already_decided(*, mailbox: Mailbox, key: str) -> bool:
    return (
        CapturedEmail.objects.filter(mailbox=mailbox, message_key=key).exists()
        or SkippedMessage.objects.filter(mailbox=mailbox, message_key=key).exists()
    )


def capture_message(*, raw: bytes, rules: CaptureRules, too_large: bool = False) -> MessageResult:
    """Decide and record one message (`raw`: the whole message, or only its headers when
    `too_large`). Never raises for what the message contains: whatever it is ends logged,
    recorded as a bounce, or skipped with a reason. Database errors do raise (the run fails
    and the message stays in the folder)."""
    for attempt in range(2):
        try:
            return _capture(raw=raw, rules=rules, too_large=too_large)
        except IntegrityError:
            # Another reader logged or skipped the same message at the same moment: decide
            # again, now seeing what it wrote.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _capture(*, raw: bytes, rules: CaptureRules, too_large: bool) -> MessageResult:
    mailbox = rules.mailbox
    try:
        message = parse_message(raw, attachment_limit=rules.attachment_limit)
    except UnreadableMessage as unreadable:
        key = raw_key(raw)
        if already_decided(mailbox=mailbox, key=key):
            return MessageResult(Outcome.SEEN, SkipReason.UNREADABLE)
        return _skip(rules=rules, key=key, reason=SkipReason.UNREADABLE, raw=raw, detail=str(unreadable))

    key = message_key(message.message_id, fallback=raw[:65536])
    if already_decided(mailbox=mailbox, key=key):
        return MessageResult(Outcome.SEEN, SkipReason.DUPLICATE)
    if too_large:
        return _skip(
            rules=rules,
            key=key,
            reason=SkipReason.TOO_LARGE,
            raw=raw,
            message=message,
            detail=_("Larger than %(limit)s bytes: only its headers were read.")
            % {"limit": conf.settings.MAIL_CAPTURE_MAX_MESSAGE_SIZE},
        )
    if message.kind == "bounce":
        return _record_bounce(rules=rules, key=key, raw=raw, message=message)
    if message.kind == "auto_reply" and rules.skip_auto_replies:
        return _skip(rules=rules, key=key, reason=SkipReason.AUTO_REPLY, raw=raw, message=message)

    decision = decide(message=message, rules=rules)
    if decision.reason:
        return _skip(rules=rules, key=key, reason=decision.reason, raw=raw, message=message, detail=decision.detail)
    return _log(rules=rules, key=key, message=message, decision=decision)


@dataclasses.dataclass
class Decision:
    """Whom a message is logged for, in which direction, by which salesperson; or why not."""

    contacts: dict[int, str] = dataclasses.field(default_factory=dict)  # contact id -> address used
    outbound: bool = False
    salesperson: Salesperson | None = None
    replies_to: dict[int, int] = dataclasses.field(default_factory=dict)  # contact id -> entry no.
    reason: str = ""
    detail: str = ""


def _addresses(message) -> tuple[str | None, list[str]]:
    """The sender's address and the others (To, Cc), each once, in the parser's normal form."""
    sender = message.sender.email if message.sender else None
    others = []
    for address in [*message.to, *message.cc]:
        if address.email and address.email not in others and address.email != sender:
            others.append(address.email)
    return sender, others


def decide(*, message, rules: CaptureRules) -> Decision:
    sender, recipients = _addresses(message)
    everyone = ([sender] if sender else []) + recipients
    by_address = salespeople_for_addresses(everyone)
    salespeople = {address: rules.salesperson(by_address.get(address)) for address in everyone}
    internal = {address for address in everyone if rules.is_internal(address, salespeople[address])}
    decision = Decision()
    decision.outbound = sender is not None and sender in internal
    if decision.outbound:
        decision.salesperson = salespeople[sender]
    else:
        decision.salesperson = next((salespeople[a] for a in recipients if salespeople.get(a)), None)
    if decision.salesperson is None and rules.mailbox.kind == MailboxKind.PERSONAL:
        decision.salesperson = rules.mailbox.salesperson

    external = [address for address in everyone if address not in internal]
    allowed = [address for address in external if not rules.never_logged(address)]
    if external and not allowed:
        decision.reason = SkipReason.NEVER_LOG
        decision.detail = ", ".join(external)
        return decision
    matched = contacts_for_addresses(allowed, match_company_domains=rules.match_company_domains) if allowed else {}
    for address in allowed:
        for contact_id in matched.get(address, ()):
            decision.contacts.setdefault(contact_id, address)
    if not decision.contacts:
        decision.reason = SkipReason.NO_KNOWN_CONTACT
        decision.detail = ", ".join(external) or _("no external address")
        return decision

    referenced = _referenced_keys(message)
    if referenced:
        # The newest message of the thread that each contact has logged: In-Reply-To first,
        # then References from the last (the closest ancestor) to the first.
        rank = {key: position for position, key in enumerate(referenced)}
        for row in CapturedEmail.objects.filter(
            message_key__in=referenced, contact_id__in=list(decision.contacts)
        ).values("contact_id", "message_key", "entry_id"):
            current = decision.replies_to.get(row["contact_id"])
            if current is None or rank[row["message_key"]] < current[0]:
                decision.replies_to[row["contact_id"]] = (rank[row["message_key"]], row["entry_id"])
        decision.replies_to = {contact: entry for contact, (_rank, entry) in decision.replies_to.items()}
    if rules.log_mode == LogMode.REPLIES and not decision.outbound:
        answers_ours = CapturedEmail.objects.filter(
            message_key__in=referenced,
            entry__information_flow=InformationFlow.OUTBOUND,
        ).exists()
        if not answers_ours:
            decision.reason = SkipReason.NOT_A_REPLY
            return decision
    return decision


def _referenced_keys(message) -> list[str]:
    keys = []
    for reference in [message.in_reply_to, *reversed(message.references or [])]:
        if reference:
            key = message_key(reference)
            if key not in keys:
                keys.append(key)
    return keys


def _log(*, rules: CaptureRules, key: str, message, decision: Decision) -> MessageResult:
    mailbox = rules.mailbox
    with atomic_with_files():
        already = dict(
            CapturedEmail.objects.filter(message_key=key, contact_id__in=list(decision.contacts)).values_list(
                "contact_id", "entry_id"
            )
        )
        new_contacts = [contact_id for contact_id in decision.contacts if contact_id not in already]
        if not new_contacts:
            return _skip(
                rules=rules,
                key=key,
                reason=SkipReason.DUPLICATE,
                raw=None,
                message=message,
                duplicate_of=next(iter(already.values())),
            )
        lock_template_for_recording(rules.template, field=None)
        entries = write_entries(
            rules=rules,
            key=key,
            message=message,
            contacts={contact_id: decision.contacts[contact_id] for contact_id in new_contacts},
            outbound=decision.outbound,
            salesperson=decision.salesperson,
            replies_to=decision.replies_to,
            kind=CapturedEmail.Kind.AUTO_REPLY if message.kind == "auto_reply" else CapturedEmail.Kind.MESSAGE,
            mailbox=mailbox,
            private=mailbox.private,
        )
        numbers = [entry.entry_no for entry in entries]
    # The caller announces the new entries (webhooks), once for its whole batch.
    return MessageResult(Outcome.LOGGED, entry_numbers=tuple(numbers))


def write_entries(
    *,
    rules: CaptureRules | None,
    key: str,
    message,
    contacts: dict[int, str],
    outbound: bool,
    salesperson: Salesperson | None,
    replies_to: dict[int, int],
    kind: str,
    mailbox: Mailbox | None,
    private: bool,
    template: InteractionTemplate | None = None,
    user=None,
) -> list[InteractionLogEntry]:
    """One entry per contact for `message`, sharing one .eml attachment, with the exactly-once
    rows. Inside the caller's transaction (atomic_with_files)."""
    template = template or rules.template
    raw = message.eml
    stamp = (message.date or timezone.now()).strftime("%Y%m%d-%H%M%S")
    attachment = store_attachment(
        content=raw, file_name=get_valid_filename(f"email-{stamp}.eml"), content_type=EML_CONTENT_TYPE
    )
    sent_at = timezone.localtime(message.date) if message.date else timezone.localtime()
    subject = (message.subject or "").strip()
    description = _description(subject=subject, template=template, kind=kind, private=private)
    contact_rows = Contact.objects.select_related("salesperson").in_bulk(list(contacts))
    entries = []
    for contact_id, address in contacts.items():
        contact = contact_rows.get(contact_id)
        if contact is None:
            continue
        entry = automatic_entry(
            template=template,
            contact=contact,
            user=user,
            correspondence_type=CorrespondenceType.EMAIL,
            contact_via=address,
            # A private entry keeps its subject out of the log (CapturedEmail has it).
            subject="" if private else subject,
            attachment=attachment,
            description=description,
            information_flow=InformationFlow.OUTBOUND if outbound else InformationFlow.INBOUND,
            initiated_by=InitiatedBy.US if outbound else InitiatedBy.THEM,
            salesperson=salesperson or contact.salesperson,
            date=sent_at.date(),
            time=sent_at.time().replace(microsecond=0),
        )
        entries.append(entry)
    InteractionLogEntry.objects.bulk_create(entries)
    summaries.new_entries_logged(InteractionLogEntry.objects.filter(entry_no__in=[entry.entry_no for entry in entries]))
    CapturedEmail.objects.bulk_create(
        [
            CapturedEmail(
                entry_id=entry.entry_no,
                contact_id=entry.contact_id,
                message_key=key,
                mailbox=mailbox,
                kind=kind,
                subject=subject[:255],
                private=private,
                truncated=bool(message.truncated),
                replies_to_id=replies_to.get(entry.contact_id),
            )
            for entry in entries
        ]
    )
    return entries


def _description(*, subject: str, template: InteractionTemplate, kind: str, private: bool) -> str:
    if private or not subject:
        text = template.description
    else:
        text = " ".join(subject.split())
    if kind == CapturedEmail.Kind.AUTO_REPLY:
        text = _("Automatic reply: %(subject)s") % {"subject": text}
    return text[:DESCRIPTION_MAX_LENGTH]


def _record_bounce(*, rules: CaptureRules, key: str, raw: bytes, message) -> MessageResult:
    """A delivery report: the original outbound entries' delivery failed, with the reason."""
    originals = [message_key(message.bounced_message_id)] if message.bounced_message_id else []
    reason = (message.bounce_reason or _("The message could not be delivered.")).strip()
    with transaction.atomic():
        numbers = (
            list(CapturedEmail.objects.filter(message_key__in=originals).values_list("entry_id", flat=True))
            if originals
            else []
        )
        if numbers:
            entries = InteractionLogEntry.objects.filter(entry_no__in=numbers, canceled=False)
            changed = list(entries.values_list("entry_no", flat=True))
            entries.update(
                delivery_status=DeliveryStatus.ERROR,
                delivery_error=reason[:DELIVERY_ERROR_MAX_LENGTH],
                delivery_due_at=None,
            )
            if changed:
                webhooks.announce_entries(webhooks.EMAIL_DELIVERY_FAILED, changed)
                return MessageResult(Outcome.BOUNCE, entry_numbers=tuple(changed))
    return _skip(
        rules=rules,
        key=key,
        reason=SkipReason.UNKNOWN_BOUNCE,
        raw=raw,
        message=message,
        detail=reason,
    )


def _skip(
    *,
    rules: CaptureRules,
    key: str,
    reason: str,
    raw: bytes | None,
    message=None,
    detail: str = "",
    duplicate_of: int | None = None,
) -> MessageResult:
    skipped = SkippedMessage(
        mailbox=rules.mailbox,
        run_id=rules.run_id,
        message_key=key,
        reason=reason,
        detail=detail[:2000],
        duplicate_of_id=duplicate_of,
    )
    if message is not None:
        skipped.sender = str(message.sender or "")[:255]
        skipped.recipients = ", ".join(str(address) for address in [*message.to, *message.cc])
        skipped.subject = (message.subject or "")[:255]
        skipped.sent_at = message.date
    with atomic_with_files():
        if raw is not None:
            skipped.size = len(raw)
            skipped.raw.save(f"{hashlib.sha1(key.encode()).hexdigest()}.eml", ContentFile(raw), save=False)
            track_stored_file(skipped.raw.name)
        skipped.save(force_insert=True)
    return MessageResult(Outcome.SKIPPED, reason)


def received_at(message) -> datetime.datetime:
    return message.date or timezone.now()


def contacts_named(ids: Iterable[int]) -> list[Contact]:
    return list(Contact.objects.filter(id__in=list(ids)))
