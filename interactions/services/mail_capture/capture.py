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
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.contacts.models import Contact

from ... import conf
from ...models import (
    CapturedEmail,
    DeliveryStatus,
    InteractionLogEntry,
    LogMode,
    Mailbox,
    MailboxKind,
    SkippedMessage,
    SkipReason,
)
from ...models.mailboxes import message_key
from .. import webhooks
from ..attachments import atomic_with_files, track_stored_file
from ..communication.emails import DELIVERY_ERROR_MAX_LENGTH
from .batch import BatchState, Decision, EntryRef, MessageResult, Outcome, addresses_of, referenced_keys
from .parsing import CapturedMessage, UnreadableMessage, parse_message
from .rules import CaptureRules

logger = logging.getLogger(__name__)


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


def _decide_and_plan(*, item: ParsedMessage, rules: CaptureRules, state: BatchState) -> MessageResult:
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


def decide(*, message, rules: CaptureRules) -> Decision:
    """The decision for one message, from what is committed (a manager logging it by hand)."""
    return decide_with(message=message, rules=rules, state=BatchState.load(rules=rules, messages=[message], keys=[]))


def decide_with(*, message, rules: CaptureRules, state: BatchState) -> Decision:
    sender, recipients = addresses_of(message)
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

    referenced = referenced_keys(message)
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
