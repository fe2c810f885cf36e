"""The capture of one message: from its raw bytes to log entries, a bounce recorded on the
original entry, or a skipped message with its reason.

Invariants (see also models/mailboxes.py):
- One transaction per batch of messages: their entries, CapturedEmail rows, shared .eml
  attachments and SkippedMessages commit together or not at all; the caller moves the
  batch out of the folder only after that commit. The database is asked a constant number
  of queries per batch (lookups read once, writes in bulk), not per message.
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
from collections.abc import Iterable, Sequence

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from crm.contacts.models import Contact, CorrespondenceType, Salesperson

from ... import conf
from ...models import (
    Attachment,
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
from .. import webhooks
from ..attachments import atomic_with_files, store_attachment, track_stored_file
from ..communication.automatic_entries import DESCRIPTION_MAX_LENGTH, EMAILS_EVENT, automatic_entry, setup_template
from ..communication.emails import DELIVERY_ERROR_MAX_LENGTH, EML_CONTENT_TYPE
from ..recording import lock_template_for_recording
from .parsing import CapturedMessage, UnreadableMessage, normalize_email, parse_message

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


# --- Parsing (a pure function of the bytes: it may run in another process) --------------


@dataclasses.dataclass(frozen=True)
class ParsedMessage:
    """One fetched message, parsed: its key, and the message or why it cannot be read."""

    raw: bytes
    too_large: bool
    key: str
    message: CapturedMessage | None
    unreadable: str = ""


def parse_fetched(raw: bytes, *, too_large: bool, attachment_limit: int) -> ParsedMessage:
    """`raw` (the whole message, or only its headers when `too_large`) parsed for the capture."""
    try:
        message = parse_message(raw, attachment_limit=attachment_limit)
    except UnreadableMessage as unreadable:
        return ParsedMessage(raw=raw, too_large=too_large, key=raw_key(raw), message=None, unreadable=str(unreadable))
    return ParsedMessage(
        raw=raw, too_large=too_large, key=message_key(message.message_id, fallback=raw[:65536]), message=message
    )


# --- A batch of messages ---------------------------------------------------------------


def already_decided(*, mailbox: Mailbox, key: str) -> bool:
    return (
        CapturedEmail.objects.filter(mailbox=mailbox, message_key=key).exists()
        or SkippedMessage.objects.filter(mailbox=mailbox, message_key=key).exists()
    )


def capture_message(*, raw: bytes, rules: CaptureRules, too_large: bool = False) -> MessageResult:
    """Decide and record one message: `capture_batch` of one."""
    parsed = parse_fetched(raw, too_large=too_large, attachment_limit=rules.attachment_limit)
    return capture_batch(parsed=[parsed], rules=rules)[0]


def capture_batch(*, parsed: Sequence[ParsedMessage], rules: CaptureRules) -> list[MessageResult]:
    """Decide and record a batch of parsed messages, in their order, in one transaction
    (a savepoint inside the caller's), with a constant number of queries for the batch:
    one to find what this mailbox has decided and what the log already has of their keys
    and of the messages they answer, one for the salespeople and one (two with company
    domains) for the contacts of all their addresses, then bulk inserts of the attachments,
    entries, CapturedEmail rows and skipped messages. Each message is decided exactly as if
    the batch's earlier messages had been committed before it (`BatchState`).

    Never raises for what a message contains: each ends logged, recorded as a bounce, or
    skipped with a reason. Database errors do raise (the run fails, the batch stays in the
    folder). A race with another reader writing the same message (the unique constraints)
    rolls the batch back and decides it again, now seeing what the other wrote."""
    for attempt in range(2):
        try:
            with atomic_with_files():
                return _capture_batch(parsed=parsed, rules=rules)
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


def _capture_batch(*, parsed: Sequence[ParsedMessage], rules: CaptureRules) -> list[MessageResult]:
    state = BatchState.load(
        rules=rules,
        messages=[item.message for item in parsed if item.message is not None and not item.too_large],
        keys=[item.key for item in parsed],
    )
    results = []
    for item in parsed:
        results.append(_decide_and_plan(item=item, rules=rules, state=state))
    state.flush()
    # Entry numbers are known once the batch's entries are inserted.
    return [
        dataclasses.replace(result, entry_numbers=tuple(entry.entry_no for entry in state.entries_by_key[item.key]))
        if result.outcome == Outcome.LOGGED
        else result
        for item, result in zip(parsed, results, strict=True)
    ]


def _decide_and_plan(*, item: ParsedMessage, rules: CaptureRules, state: "BatchState") -> MessageResult:
    key, message = item.key, item.message
    if message is None:
        if state.decided_here(key):
            return MessageResult(Outcome.SEEN, SkipReason.UNREADABLE)
        return state.skip(key=key, reason=SkipReason.UNREADABLE, raw=item.raw, detail=item.unreadable)
    if state.decided_here(key):
        return MessageResult(Outcome.SEEN, SkipReason.DUPLICATE)
    if item.too_large:
        return state.skip(
            key=key,
            reason=SkipReason.TOO_LARGE,
            raw=item.raw,
            message=message,
            detail=_("Larger than %(limit)s bytes: only its headers were read.")
            % {"limit": conf.settings.MAIL_CAPTURE_MAX_MESSAGE_SIZE},
        )
    if message.kind == "bounce":
        # Rare: what the batch has planned is written first, then the bounce is recorded as
        # a single message is (it updates the original entries, which may be in the batch).
        state.flush()
        result = _record_bounce(rules=rules, key=key, raw=item.raw, message=message)
        if result.outcome == Outcome.SKIPPED:
            state.mark_decided(key)
        return result
    if message.kind == "auto_reply" and rules.skip_auto_replies:
        return state.skip(key=key, reason=SkipReason.AUTO_REPLY, raw=item.raw, message=message)

    decision = decide_with(message=message, rules=rules, state=state)
    if decision.reason:
        return state.skip(key=key, reason=decision.reason, raw=item.raw, message=message, detail=decision.detail)
    return state.log(key=key, message=message, decision=decision)


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
    """The decision for one message, from what is committed (a manager logging it by hand)."""
    return decide_with(message=message, rules=rules, state=BatchState.load(rules=rules, messages=[message], keys=[]))


def decide_with(*, message, rules: CaptureRules, state: "BatchState") -> Decision:
    sender, recipients = _addresses(message)
    everyone = ([sender] if sender else []) + recipients
    salespeople = {address: rules.salesperson(state.salespeople.get(address)) for address in everyone}
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
    for address in allowed:
        for contact_id in state.contacts.get(address, ()):
            decision.contacts.setdefault(contact_id, address)
    if not decision.contacts:
        decision.reason = SkipReason.NO_KNOWN_CONTACT
        decision.detail = ", ".join(external) or _("no external address")
        return decision

    referenced = _referenced_keys(message)
    if referenced:
        # The newest message of the thread that each contact has logged: In-Reply-To first,
        # then References from the last (the closest ancestor) to the first.
        best: dict[int, tuple[int, EntryRef]] = {}
        for rank, reference in enumerate(referenced):
            for contact_id, entry, _mailbox_id in state.captured.get(reference, ()):
                if contact_id in decision.contacts and contact_id not in best:
                    best[contact_id] = (rank, entry)
        decision.replies_to = {contact: entry for contact, (_rank, entry) in best.items()}
    if rules.log_mode == LogMode.REPLIES and not decision.outbound:
        if not any(reference in state.outbound_keys for reference in referenced):
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


# An entry already in the log (its number) or one planned in this batch (not yet inserted).
EntryRef = int | InteractionLogEntry


def _entry_number(entry: EntryRef | None) -> int | None:
    return entry.entry_no if isinstance(entry, InteractionLogEntry) else entry


def _in_chunks(values: Iterable[str], size: int = 5000) -> Iterable[list[str]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


class BatchState:
    """What deciding a batch reads from the database, read once for the whole batch, and
    what the batch has decided so far: each message is decided as if the messages before
    it in the batch had been committed (a copy later in the batch is a duplicate, a reply is
    threaded to an original earlier in it). Writes are planned, then inserted in bulk by
    `flush`, inside the caller's transaction."""

    def __init__(self, *, rules: CaptureRules | None):
        self.rules = rules
        self.salespeople: dict[str, int] = {}
        self.contacts: dict[str, list[int]] = {}
        self.contact_rows: dict[int, Contact] = {}
        # message key -> (contact id, entry, mailbox id) of every contact that has it logged
        self.captured: dict[str, list[tuple[int, EntryRef, int | None]]] = {}
        self.outbound_keys: set[str] = set()  # keys with an outbound entry (replies mode)
        self.decided: set[str] = set()  # keys logged or skipped by this mailbox
        self.entries_by_key: dict[str, list[InteractionLogEntry]] = {}
        self._attachments: list[tuple[Attachment, bytes]] = []
        self._entries: list[InteractionLogEntry] = []
        self._captured_rows: list[tuple[CapturedEmail, InteractionLogEntry, EntryRef | None]] = []
        self._skipped: list[tuple[SkippedMessage, bytes | None, EntryRef | None]] = []
        self._template_locked = False

    @classmethod
    def load(cls, *, rules: CaptureRules, messages: Sequence, keys: Iterable[str]) -> "BatchState":
        """The lookups of `messages` (parsed, whole) and of the batch's message `keys`."""
        state = cls(rules=rules)
        mailbox = rules.mailbox
        everyone: set[str] = set()
        referenced: set[str] = set()
        for message in messages:
            sender, recipients = _addresses(message)
            everyone.update(recipients)
            if sender:
                everyone.add(sender)
            referenced.update(_referenced_keys(message))
        if everyone:
            state.salespeople = salespeople_for_addresses(everyone)
        candidates = [
            address
            for address in everyone
            if not rules.is_internal(address, rules.salesperson(state.salespeople.get(address)))
            and not rules.never_logged(address)
        ]
        if candidates:
            state.contacts = contacts_for_addresses(candidates, match_company_domains=rules.match_company_domains)
            wanted = {contact_id for ids in state.contacts.values() for contact_id in ids}
            if wanted:
                state.contact_rows = Contact.objects.select_related("salesperson").in_bulk(list(wanted))
        keys = set(keys)
        for chunk in _in_chunks(keys | referenced):
            rows = CapturedEmail.objects.filter(message_key__in=chunk).order_by("id")
            for key, contact_id, entry_id, mailbox_id in rows.values_list(
                "message_key", "contact_id", "entry_id", "mailbox_id"
            ):
                state.captured.setdefault(key, []).append((contact_id, entry_id, mailbox_id))
                if mailbox_id == mailbox.pk:
                    state.decided.add(key)
        for chunk in _in_chunks(keys):
            state.decided.update(
                SkippedMessage.objects.filter(mailbox=mailbox, message_key__in=chunk).values_list(
                    "message_key", flat=True
                )
            )
        if rules.log_mode == LogMode.REPLIES:
            for chunk in _in_chunks(referenced):
                state.outbound_keys.update(
                    CapturedEmail.objects.filter(
                        message_key__in=chunk, entry__information_flow=InformationFlow.OUTBOUND
                    ).values_list("message_key", flat=True)
                )
        return state

    def decided_here(self, key: str) -> bool:
        return key in self.decided

    def mark_decided(self, key: str) -> None:
        self.decided.add(key)

    def skip(
        self,
        *,
        key: str,
        reason: str,
        raw: bytes | None,
        message=None,
        detail: str = "",
        duplicate_of: EntryRef | None = None,
    ) -> MessageResult:
        rules = self.rules
        skipped = SkippedMessage(
            mailbox=rules.mailbox, run_id=rules.run_id, message_key=key, reason=reason, detail=detail[:2000]
        )
        if message is not None:
            skipped.sender = str(message.sender or "")[:255]
            skipped.recipients = ", ".join(str(address) for address in [*message.to, *message.cc])
            skipped.subject = (message.subject or "")[:255]
            skipped.sent_at = message.date
        self._skipped.append((skipped, raw, duplicate_of))
        self.decided.add(key)
        return MessageResult(Outcome.SKIPPED, reason)

    def log(self, *, key: str, message, decision: Decision) -> MessageResult:
        rules = self.rules
        mailbox = rules.mailbox
        already = {}
        for contact_id, entry, _mailbox_id in self.captured.get(key, ()):
            if contact_id in decision.contacts:
                already.setdefault(contact_id, entry)
        new_contacts = [contact_id for contact_id in decision.contacts if contact_id not in already]
        if not new_contacts:
            return self.skip(
                key=key,
                reason=SkipReason.DUPLICATE,
                raw=None,
                message=message,
                duplicate_of=next(iter(already.values())),
            )
        kind = CapturedEmail.Kind.AUTO_REPLY if message.kind == "auto_reply" else CapturedEmail.Kind.MESSAGE
        attachment = _eml_attachment(message)
        self._attachments.append((attachment, message.eml))
        entries = _new_entries(
            template=rules.template,
            message=message,
            contacts={contact_id: decision.contacts[contact_id] for contact_id in new_contacts},
            contact_rows=self.contact_rows,
            outbound=decision.outbound,
            salesperson=decision.salesperson,
            kind=kind,
            private=mailbox.private,
            attachment=attachment,
            user=None,
        )
        subject = (message.subject or "").strip()
        for entry in entries:
            row = CapturedEmail(
                contact_id=entry.contact_id,
                message_key=key,
                mailbox=mailbox,
                kind=kind,
                subject=subject[:255],
                private=mailbox.private,
                truncated=bool(message.truncated),
            )
            self._captured_rows.append((row, entry, decision.replies_to.get(entry.contact_id)))
            self.captured.setdefault(key, []).append((entry.contact_id, entry, mailbox.pk))
        self._entries.extend(entries)
        self.entries_by_key[key] = entries
        self.decided.add(key)
        if decision.outbound and entries:
            self.outbound_keys.add(key)
        return MessageResult(Outcome.LOGGED)

    def flush(self) -> None:
        """Insert what is planned (inside the caller's `atomic_with_files`)."""
        if self._attachments:
            for attachment, content in self._attachments:
                attachment.file.save(attachment.file_name, ContentFile(content), save=False)
                track_stored_file(attachment.file.name)
            Attachment.objects.bulk_create([attachment for attachment, _content in self._attachments])
            self._attachments = []
        if self._entries:
            if not self._template_locked:
                lock_template_for_recording(self.rules.template, field=None)
                self._template_locked = True
            InteractionLogEntry.objects.bulk_create(self._entries)
            self._entries = []
        if self._captured_rows:
            rows = []
            for row, entry, replies_to in self._captured_rows:
                row.entry_id = entry.entry_no
                row.replies_to_id = _entry_number(replies_to)
                rows.append(row)
            CapturedEmail.objects.bulk_create(rows)
            self._captured_rows = []
        if self._skipped:
            rows = []
            for skipped, raw, duplicate_of in self._skipped:
                skipped.duplicate_of_id = _entry_number(duplicate_of)
                if raw is not None:
                    skipped.size = len(raw)
                    name = f"{hashlib.sha1(skipped.message_key.encode()).hexdigest()}.eml"
                    skipped.raw.save(name, ContentFile(raw), save=False)
                    track_stored_file(skipped.raw.name)
                rows.append(skipped)
            SkippedMessage.objects.bulk_create(rows)
            self._skipped = []


def _eml_attachment(message) -> Attachment:
    """The unsaved attachment row of a message's .eml (its file is stored with the row)."""
    stamp = (message.date or timezone.now()).strftime("%Y%m%d-%H%M%S")
    return Attachment(
        file_name=get_valid_filename(f"email-{stamp}.eml")[:255], content_type=EML_CONTENT_TYPE, size=len(message.eml)
    )


def _new_entries(
    *,
    template: InteractionTemplate,
    message,
    contacts: dict[int, str],
    contact_rows: dict[int, Contact],
    outbound: bool,
    salesperson: Salesperson | None,
    kind: str,
    private: bool,
    attachment: Attachment,
    user,
) -> list[InteractionLogEntry]:
    """One unsaved entry per contact of `contacts` (contact id -> the address used) still in
    `contact_rows`."""
    sent_at = timezone.localtime(message.date) if message.date else timezone.localtime()
    subject = (message.subject or "").strip()
    description = _description(subject=subject, template=template, kind=kind, private=private)
    entries = []
    for contact_id, address in contacts.items():
        contact = contact_rows.get(contact_id)
        if contact is None:
            continue
        entries.append(
            automatic_entry(
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
        )
    return entries


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
    rows, written now (a message logged by hand). Inside the caller's transaction
    (atomic_with_files)."""
    template = template or rules.template
    planned = _eml_attachment(message)
    attachment = store_attachment(content=message.eml, file_name=planned.file_name, content_type=EML_CONTENT_TYPE)
    entries = _new_entries(
        template=template,
        message=message,
        contacts=contacts,
        contact_rows=Contact.objects.select_related("salesperson").in_bulk(list(contacts)),
        outbound=outbound,
        salesperson=salesperson,
        kind=kind,
        private=private,
        attachment=attachment,
        user=user,
    )
    InteractionLogEntry.objects.bulk_create(entries)
    subject = (message.subject or "").strip()
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
