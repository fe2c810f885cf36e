"""A batch of captured messages being decided and written: what the decisions read from the
database, read once for the batch (`BatchState.load`), what the batch has decided so far,
and the rows it writes, inserted in bulk (`BatchState.flush`). Also the entries of one
message logged by hand (`write_entries`).

Invariants:
- Each message of a batch is decided as if the messages before it had been committed: a
  copy later in the batch is a duplicate, a reply is threaded to an original earlier in it,
  a message answering an outbound one earlier in it is a reply.
- The database is asked a constant number of queries for a batch, whatever its size: the
  lookups (salespeople, contacts, what the log has of the batch's keys and of the messages
  they answer, what this mailbox skipped), then one bulk insert per table (split only by the
  database's limit of parameters per statement).
- Nothing is written outside the caller's transaction (`atomic_with_files`): the files of a
  batch rolled back go with it.
"""

import dataclasses
import hashlib
from collections.abc import Iterable, Sequence

from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from crm.contacts.models import Contact, CorrespondenceType, Salesperson

from ...models import (
    Attachment,
    CapturedEmail,
    InformationFlow,
    InitiatedBy,
    InteractionLogEntry,
    InteractionTemplate,
    LogMode,
    Mailbox,
    SkippedMessage,
    SkipReason,
)
from ...models.mailboxes import message_key
from ...selectors.mail_matching import contacts_for_addresses, salespeople_for_addresses
from .. import summaries
from ..attachments import save_new_file, store_attachment
from ..communication.automatic_entries import DESCRIPTION_MAX_LENGTH, automatic_entry
from ..communication.emails import EML_CONTENT_TYPE
from ..recording import lock_template_for_recording
from .rules import CaptureRules


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


@dataclasses.dataclass
class Decision:
    """Whom a message is logged for, in which direction, by which salesperson; or why not."""

    contacts: dict[int, str] = dataclasses.field(default_factory=dict)  # contact id -> address used
    outbound: bool = False
    salesperson: Salesperson | None = None
    replies_to: dict[int, int] = dataclasses.field(default_factory=dict)  # contact id -> entry no.
    reason: str = ""
    detail: str = ""


def addresses_of(message) -> tuple[str | None, list[str]]:
    """The sender's address and the others (To, Cc), each once, in the parser's normal form."""
    sender = message.sender.email if message.sender else None
    others = []
    for address in [*message.to, *message.cc]:
        if address.email and address.email not in others and address.email != sender:
            others.append(address.email)
    return sender, others


def referenced_keys(message) -> list[str]:
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
            sender, recipients = addresses_of(message)
            everyone.update(recipients)
            if sender:
                everyone.add(sender)
            referenced.update(referenced_keys(message))
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
                save_new_file(attachment.file, attachment.file_name, content)
            Attachment.objects.bulk_create([attachment for attachment, _content in self._attachments])
            self._attachments = []
        if self._entries:
            if not self._template_locked:
                lock_template_for_recording(self.rules.template, field=None)
                self._template_locked = True
            InteractionLogEntry.objects.bulk_create(self._entries)
            # The summary tables count the batch's entries in the same transaction.
            summaries.new_entries_logged(
                InteractionLogEntry.objects.filter(entry_no__in=[entry.entry_no for entry in self._entries])
            )
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
                    save_new_file(skipped.raw, name, raw)
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
    summaries.new_entries_logged(InteractionLogEntry.objects.filter(entry_no__in=[entry.entry_no for entry in entries]))
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
