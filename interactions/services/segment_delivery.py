"""Delivering a logged segment by e-mail ("Deliver" on the log dialog, NAV's "Send"): one
message per contact, sent by the Celery task interactions.tasks.deliver_segment_emails in
chunks (INTERACTIONS_BULK_EMAIL_CHUNK_SIZE entries over one SMTP connection, which a worker
keeps open for its next chunk: `MailSession`).

Per chunk: one query reads the contents with their contacts and salespeople, one UPDATE
claims them, the messages are built as bytes by segment_messages.MessageBuilder (what they
share prepared once), one UPDATE per message records its hand-over, one UPDATE marks the
chunk sent. A worker sends over as many connections as it runs chunk tasks at once: run the
e-mail queue's workers with a thread pool (`--pool=threads --concurrency=4`) so that the
round trips of one connection overlap the others' (bench/segment_delivery.py).

Invariants:
- The entry's delivery status is the queue of record, as for single e-mails: "in progress"
  (queued), "sending" (claimed by one task: `emails.claim_for_delivery`, one conditional
  UPDATE), blank after the server accepted it, "error" with the server's reason. The
  recovery sweep (`requeue_overdue_segment_emails`, services/recovery.py) queues again what
  waits past its due time: a broker that was down, a lost task, a dead worker, a mail
  server that refused connections for longer than the task's retries.
- At most once, by the entry's Message-ID: the message's DATA is sent up to the final dot,
  then `handed_over_at` is committed, then the dot. A task that finds it set (its worker
  was killed after handing the message over) marks the entry sent and sends nothing; a
  worker killed before the dot leaves the server with a message it discards. The window
  between the commit and the dot is the only way to lose one (microseconds; counted in the
  tests, as are duplicates).
- 4xx answers are tried again with backoff (INTERACTIONS_EMAIL_RETRY_BACKOFF, doubling) up
  to INTERACTIONS_EMAIL_MAX_RETRIES times per message; 5xx is an error at once, with the
  server's answer on the entry. A refused or lost connection puts the rest of the chunk
  back in the queue, retried by the task and, past its retries, by the sweep.
- INTERACTIONS_BULK_EMAIL_RATE_PER_MINUTE: a token bucket in Redis shared by every worker
  (GCRA: each message reserves the next free slot), in-process without Redis.
- Every message carries List-Unsubscribe (a signed URL, no login) and
  List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058). An unsubscribe sets the
  contact's "no bulk e-mail" flag and is logged on the contact as an inbound interaction.
"""

import contextlib
import dataclasses
import datetime
import logging
import re
import smtplib
import socket
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core import signing
from django.core.mail import get_connection
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.contacts.models import Contact, CorrespondenceType

from .. import conf
from ..models import (
    BulkEmailOptOut,
    DeliveryChannel,
    DeliveryStatus,
    InformationFlow,
    InitiatedBy,
    InteractionLogEntry,
    LoggedSegment,
    SegmentEntryContent,
)
from ..permissions import LOG_SEGMENT, require_permission
from . import summaries, webhooks
from .communication import emails
from .communication.delivery import EMAIL_RETRY_ON, retry_countdown
from .segment_messages import CONTENT_VALUES, UNSUBSCRIBE_SALT, MessageBuilder, Outgoing
from .sql import in_list
from .task_queue import BROKER_UNREACHABLE, queue_task

logger = logging.getLogger(__name__)

DELIVER_SEGMENT_TASK = "interactions.tasks.deliver_segment_emails"
PENDING = (DeliveryStatus.IN_PROGRESS, DeliveryStatus.SENDING)


# --- Queuing -----------------------------------------------------------------------------


def chunks(entry_nos: list[int]) -> list[list[int]]:
    size = conf.settings.BULK_EMAIL_CHUNK_SIZE
    return [entry_nos[start : start + size] for start in range(0, len(entry_nos), size)]


def queue_chunks(entry_nos: list[int]) -> bool:
    """Queue the delivery of `entry_nos` in chunks. False when the broker cannot be reached
    (the entries stay queued in the database; the sweep queues them when it is back)."""
    for chunk in chunks(entry_nos):
        try:
            queue_task(DELIVER_SEGMENT_TASK, args=[chunk], queue=conf.settings.EMAIL_QUEUE)
        except BROKER_UNREACHABLE as unreachable:
            logger.warning("The task queue is unreachable (%s); segment e-mails wait for the sweep", unreachable)
            return False
    return True


class QueueTicket:
    """Whether the delivery was handed to the task queue once the logging committed."""

    def __init__(self) -> None:
        self.queued: bool | None = None


def queue_on_commit(entry_nos: list[int]) -> QueueTicket:
    ticket = QueueTicket()

    def queue() -> None:
        ticket.queued = queue_chunks(entry_nos) if entry_nos else True

    transaction.on_commit(queue)
    return ticket


# --- Rate limit ----------------------------------------------------------------------------

# GCRA: the key holds the time (ms, Redis clock) at which the next message may go; each
# caller takes that slot and moves it one interval on. Returns how long to wait (ms).
_GCRA = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local interval = tonumber(ARGV[1])
local next_free = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(next_free, now_ms)
redis.call('SET', KEYS[1], slot + interval, 'PX', slot + interval - now_ms + 60000)
return slot - now_ms
"""
RATE_KEY = "interactions:bulk-email-rate"


class RateLimiter:
    """Messages per minute for all workers together (Redis), else for this process."""

    _local_lock = threading.Lock()
    _local_next = 0.0
    _script = None
    _client = None

    def __init__(self, per_minute: int | None = None):
        self.per_minute = conf.settings.BULK_EMAIL_RATE_PER_MINUTE if per_minute is None else per_minute

    @classmethod
    def _redis(cls):
        url = getattr(settings, "CELERY_BROKER_URL", "") or ""
        if not url.startswith(("redis://", "rediss://")):
            return None
        if cls._client is None:
            import redis

            cls._client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=5)
            cls._script = cls._client.register_script(_GCRA)
        return cls._script

    def wait(self) -> None:
        if not self.per_minute:
            return
        interval_ms = 60000.0 / self.per_minute
        script = self._redis()
        if script is not None:
            try:
                delay_ms = int(script(keys=[RATE_KEY], args=[interval_ms]))
            except Exception:  # noqa: BLE001 - Redis down: limit this process alone
                logger.warning("The bulk e-mail rate limit falls back to this process", exc_info=True)
            else:
                if delay_ms > 0:
                    time.sleep(delay_ms / 1000)
                return
        with self._local_lock:
            now = time.monotonic()
            slot = max(RateLimiter._local_next, now)
            RateLimiter._local_next = slot + interval_ms / 1000
        if slot > now:
            time.sleep(slot - now)


# --- SMTP: the send recorded before the transaction ends ---------------------------------------


class HandedOverUnconfirmed(Exception):
    """The final dot went out but the server's answer did not come back: the message may
    have been accepted, so it counts as sent (never twice), and the connection is gone."""


_LEADING_DOT = re.compile(rb"(?m)^\.")
_LINE_ENDS = re.compile(rb"\r\n|\r|\n")


def transmit(smtp: smtplib.SMTP, *, from_addr: str, recipients: list[str], raw: bytes, before_end: Callable) -> None:
    """One SMTP transaction on an open connection, calling `before_end()` after the message
    data and before the final dot; if it raises, the connection is dropped, so the server
    discards the message. Raises smtplib's exceptions as sendmail does."""
    smtp.ehlo_or_helo_if_needed()
    code, answer = smtp.mail(from_addr)
    if code != 250:
        _reset(smtp)
        raise smtplib.SMTPSenderRefused(code, answer, from_addr)
    refused = {}
    for address in recipients:
        code, answer = smtp.rcpt(address)
        if code not in (250, 251):
            refused[address] = (code, answer)
    if len(refused) == len(recipients):
        _reset(smtp)
        raise smtplib.SMTPRecipientsRefused(refused)
    code, answer = smtp.docmd("DATA")
    if code != 354:
        _reset(smtp)
        raise smtplib.SMTPDataError(code, answer)
    data = _LEADING_DOT.sub(b"..", _LINE_ENDS.sub(b"\r\n", raw))
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    smtp.send(data)
    try:
        before_end()
    except BaseException:
        smtp.close()
        raise
    smtp.send(b".\r\n")
    try:
        code, answer = smtp.getreply()
    except (smtplib.SMTPServerDisconnected, OSError) as lost:
        raise HandedOverUnconfirmed(str(lost)) from lost
    if code != 250:
        raise smtplib.SMTPDataError(code, answer)


def _reset(smtp: smtplib.SMTP) -> None:
    try:
        smtp.rset()
    except (smtplib.SMTPException, OSError):
        pass


def refusal(failure: BaseException) -> tuple[int, str]:
    """The server's code and answer for a refused message."""
    if isinstance(failure, smtplib.SMTPRecipientsRefused):
        code, answer = next(iter(failure.recipients.values()))
        text = answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
        return code, f"{code} {text}"
    return failure.smtp_code, emails.failure_reason(failure)


# --- The task's work ---------------------------------------------------------------------------


@dataclasses.dataclass
class ChunkOutcome:
    sent: list[int] = dataclasses.field(default_factory=list)
    failed: list[int] = dataclasses.field(default_factory=list)
    retry: list[int] = dataclasses.field(default_factory=list)
    connection_failed: bool = False
    # Found handed over by a task before (its worker died): marked sent, not sent again.
    already_handed_over: int = 0


class AlreadyHandedOver(Exception):
    """Another task handed this message to the server meanwhile: it counts as sent."""


def claim_chunk(entry_nos: list[int]) -> set[int]:
    """Claim the e-mails of `entry_nos` for the task that calls: the e-mail delivery claim
    ("in progress", or "sending" gone stale -> "sending", conditioned on that status) for a
    whole chunk in one UPDATE, which says by RETURNING exactly which rows it claimed: of two
    tasks for the same entries each gets only what the other has not. The claim lasts
    INTERACTIONS_EMAIL_SENDING_TIMEOUT plus the time the rate limit gives the chunk."""
    if not entry_nos:
        return set()
    now = timezone.now()
    rate = conf.settings.BULK_EMAIL_RATE_PER_MINUTE
    paced = len(entry_nos) * 60.0 / rate if rate else 0.0
    due = now + datetime.timedelta(seconds=conf.settings.EMAIL_SENDING_TIMEOUT + paced)
    table = connection.ops.quote_name(InteractionLogEntry._meta.db_table)
    condition, parameters = in_list(entry_nos)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET delivery_status = %s, delivery_due_at = %s "
            f"WHERE entry_no {condition} AND canceled = %s "
            "AND (delivery_status = %s OR (delivery_status = %s AND delivery_due_at < %s)) RETURNING entry_no",
            [
                DeliveryStatus.SENDING, due, *parameters, False,
                DeliveryStatus.IN_PROGRESS, DeliveryStatus.SENDING, now,
            ],
        )  # fmt: skip
        return {row[0] for row in cursor.fetchall()}


class _HandOverRecord:
    """Records that a message is handed over: one UPDATE, committed (autocommit) before
    the final dot, on one cursor for the chunk (the statement is written once)."""

    def __init__(self) -> None:
        quote = connection.ops.quote_name
        handed_over_at = quote(SegmentEntryContent._meta.get_field("handed_over_at").column)
        self.sql = (
            f"UPDATE {quote(SegmentEntryContent._meta.db_table)} SET {handed_over_at} = %s "
            f"WHERE {quote(SegmentEntryContent._meta.get_field('entry').column)} = %s AND {handed_over_at} IS NULL"
        )
        self.cursor = None

    def __call__(self, entry_no: int) -> None:
        if self.cursor is None:
            self.cursor = connection.cursor()
        self.cursor.execute(self.sql, [connection.ops.adapt_datetimefield_value(timezone.now()), entry_no])
        if self.cursor.rowcount != 1:
            raise AlreadyHandedOver(entry_no)

    def close(self) -> None:
        if self.cursor is not None:
            with contextlib.suppress(DatabaseError):
                self.cursor.close()
            self.cursor = None


@contextlib.contextmanager
def _commits_without_waiting_for_the_disk():
    """While a chunk is sent, PostgreSQL commits this session's statements without waiting
    for the disk (synchronous_commit off): each is visible to every other worker at once and
    a killed worker cannot undo it; only a crash of the database server itself within a
    fraction of a second could lose the last records, and then a message would go twice,
    never be lost. A commit per message that waits for the disk was most of a message's cost."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except DatabaseError:
            logger.warning("Could not reset synchronous_commit", exc_info=True)


def _take_back(entry_no: int) -> None:
    SegmentEntryContent.objects.filter(entry_id=entry_no).update(handed_over_at=None)


def _fail(entry_no: int, reason: str) -> None:
    if emails.record_delivery_failure(entry_no=entry_no, reason=reason):
        webhooks.announce_entries(webhooks.EMAIL_DELIVERY_FAILED, [entry_no])


# --- The connection: one per chunk, kept for the next chunk on a worker -------------------------


def _email_settings() -> tuple:
    return tuple(
        getattr(settings, name, None)
        for name in (
            "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD",
            "EMAIL_USE_TLS", "EMAIL_USE_SSL", "EMAIL_TIMEOUT",
        )
    )  # fmt: skip


class MailSession:
    """The e-mail backend a chunk sends through, opened at its first message. With `keep`
    (a worker, which takes chunk after chunk), its SMTP connection stays open for the next
    chunk of this process (and thread) that starts within KEEP_IDLE seconds, checked by a
    NOOP before it is used again and replaced when that fails or the e-mail settings
    changed; after any failure it is dropped, and the rest of the chunk, or the next one,
    opens a new one. (A connection idle for longer is closed: servers drop idle clients.)"""

    KEEP_IDLE = 30.0
    _kept = threading.local()

    def __init__(self, *, keep: bool) -> None:
        self.keep = keep
        self.backend = None

    def get(self):
        if self.backend is None:
            self.backend = self._take_kept() if self.keep else None
        if self.backend is None:
            backend = get_connection(fail_silently=False)
            backend.open()
            _no_delay(backend)
            self.backend = backend
        return self.backend

    def _take_kept(self):
        kept = getattr(self._kept, "value", None)
        self._kept.value = None
        if kept is None:
            return None
        key, kept_at, backend = kept
        smtp = getattr(backend, "connection", None)
        fresh = time.monotonic() - kept_at < self.KEEP_IDLE
        if fresh and key == _email_settings() and isinstance(smtp, smtplib.SMTP):
            try:
                if smtp.noop()[0] == 250:
                    return backend
            except (smtplib.SMTPException, OSError):
                pass
        _close_quietly(backend)
        return None

    def drop(self) -> None:
        _close_quietly(self.backend)
        self.backend = None

    def finish(self) -> None:
        if self.keep and isinstance(getattr(self.backend, "connection", None), smtplib.SMTP):
            self._kept.value = (_email_settings(), time.monotonic(), self.backend)
        else:
            _close_quietly(self.backend)
        self.backend = None


def _hand_over(session: MailSession, message: Outgoing, record: _HandOverRecord) -> None:
    backend = session.get()
    smtp = getattr(backend, "connection", None)
    if isinstance(smtp, smtplib.SMTP):
        try:
            transmit(
                smtp,
                from_addr=message.envelope_from,
                recipients=message.recipients,
                raw=message.raw,
                before_end=lambda: record(message.entry_no),
            )
        except (HandedOverUnconfirmed, AlreadyHandedOver):
            raise  # the record stands: sent (by this task, or by another)
        except BaseException:
            _take_back(message.entry_no)
            raise
        return
    # Another backend (console, file, locmem): no SMTP transaction to hold open.
    record(message.entry_no)
    try:
        if backend.send_messages([message.django_message()]) != 1:
            raise emails.UndeliverableEmail(_("The e-mail backend did not accept the message."))
    except BaseException:
        _take_back(message.entry_no)
        raise


def _send_chunk(entry_nos: list[int], *, keep_connection: bool = False) -> ChunkOutcome:
    with _commits_without_waiting_for_the_disk():
        return _send_claimed_chunk(entry_nos, session=MailSession(keep=keep_connection))


def _contents(entry_nos: list[int]) -> dict[int, dict]:
    """The chunk's e-mails: content, contact, salesperson and attachment, one query."""
    return {
        row["entry_id"]: row
        for row in SegmentEntryContent.objects.filter(entry_id__in=entry_nos, channel=DeliveryChannel.EMAIL).values(
            *CONTENT_VALUES
        )
    }


def _send_claimed_chunk(entry_nos: list[int], *, session: MailSession) -> ChunkOutcome:
    outcome = ChunkOutcome()
    rows = _contents(entry_nos)
    builder = MessageBuilder()
    record = _HandOverRecord()
    limiter = RateLimiter()
    claimed_chunk = claim_chunk([entry_no for entry_no in entry_nos if entry_no in rows])
    claimed = None
    index = 0
    try:
        for index, entry_no in enumerate(entry_nos):  # noqa: B007 - read after the loop
            claimed = None
            row = rows.get(entry_no)
            if row is None or entry_no not in claimed_chunk:
                continue
            claimed = entry_no
            if row["handed_over_at"] is not None:
                outcome.sent.append(entry_no)
                outcome.already_handed_over += 1
                continue
            if row["problem"]:
                _fail(entry_no, row["problem"])
                outcome.failed.append(entry_no)
                continue
            try:
                message = builder.build(row)
            except (OSError, ValueError) as broken:
                _fail(entry_no, emails.failure_reason(broken))
                outcome.failed.append(entry_no)
                continue
            limiter.wait()
            try:
                _hand_over(session, message, record)
            except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as refused:
                if isinstance(refused, smtplib.SMTPServerDisconnected):
                    raise
                code, reason = refusal(refused)
                if code == 421:  # the server closes the connection
                    session.drop()
                attempts = row["attempts"] + 1
                SegmentEntryContent.objects.filter(entry_id=entry_no).update(attempts=attempts)
                if code >= 500 or attempts > conf.settings.EMAIL_MAX_RETRIES:
                    _fail(entry_no, reason)
                    outcome.failed.append(entry_no)
                else:
                    emails.release_claim(entry_no=entry_no, retry_in=retry_countdown(attempts - 1))
                    outcome.retry.append(entry_no)
                continue
            except AlreadyHandedOver:
                # Sent by another task meanwhile; the connection was dropped mid-message
                # (the server discards that copy): a new one for the rest.
                outcome.sent.append(entry_no)
                outcome.already_handed_over += 1
                session.drop()
                continue
            except emails.UndeliverableEmail as refused:
                _fail(entry_no, emails.failure_reason(refused))
                outcome.failed.append(entry_no)
                continue
            outcome.sent.append(entry_no)
        claimed = None
        index = len(entry_nos)
    except HandedOverUnconfirmed:
        outcome.sent.append(claimed)
        claimed = None
        outcome.connection_failed = True
        index += 1
    except EMAIL_RETRY_ON as failure:
        logger.warning("Segment e-mails wait for a retry: %s", failure)
        outcome.connection_failed = True
    finally:
        record.close()
        if outcome.connection_failed:
            session.drop()
            rest = [entry_no for entry_no in entry_nos[index:] if entry_no in claimed_chunk]
            for entry_no in rest:
                _release_quietly(entry_no, retry_countdown(0))
            outcome.retry.extend(rest)
        if outcome.sent:
            _mark_sent(outcome.sent)
        session.finish()
    return outcome


def _close_quietly(backend) -> None:
    if backend is not None:
        try:
            backend.close()
        except (smtplib.SMTPException, OSError):
            pass


def _no_delay(backend) -> None:
    """Send each write at once: the final dot is a small write after the data, and with
    Nagle's algorithm it would wait for the server's delayed ACK (40 ms a message)."""
    sock = getattr(getattr(backend, "connection", None), "sock", None)
    if sock is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass


def _release_quietly(entry_no: int, countdown: float) -> None:
    try:
        emails.release_claim(entry_no=entry_no, retry_in=countdown)
    except DatabaseError:
        logger.warning("Could not give back the claim of entry %s (the sweep takes it over)", entry_no)


def _mark_sent(entry_nos: list[int]) -> None:
    try:
        InteractionLogEntry.objects.filter(entry_no__in=entry_nos, delivery_status=DeliveryStatus.SENDING).update(
            delivery_status=DeliveryStatus.BLANK, delivery_error="", delivery_due_at=None
        )
    except DatabaseError:
        # Their claims go stale; whoever takes them over finds them handed over: not resent.
        logger.warning("Could not mark %d sent segment e-mails (the sweep will)", len(entry_nos), exc_info=True)


def deliver_chunk(*, task, entry_nos: list[int]) -> dict[str, int]:
    """Send the e-mails of `entry_nos` (entries of logged segments), with retries: on a
    worker by the task's retry (the rest of the chunk, later), in-process at once. Past the
    retries a refused connection leaves them queued for the recovery sweep."""
    rounds = task.request.retries
    totals = {"sent": 0, "failed": 0, "retry": 0, "already_handed_over": 0}
    pending = list(entry_nos)
    while True:
        outcome = _send_chunk(pending, keep_connection=not task.request.is_eager)
        totals["sent"] += len(outcome.sent)
        totals["failed"] += len(outcome.failed)
        totals["already_handed_over"] += outcome.already_handed_over
        if not outcome.retry:
            return totals
        if rounds >= conf.settings.EMAIL_MAX_RETRIES:
            # Left "in progress", due later: the sweep queues them again (the server may be
            # down for long; a message refused 4xx too often is an error already).
            totals["retry"] = len(outcome.retry)
            return totals
        countdown = max(retry_countdown(rounds), 0)
        if not task.request.is_eager:
            InteractionLogEntry.objects.filter(
                entry_no__in=outcome.retry, delivery_status=DeliveryStatus.IN_PROGRESS
            ).update(delivery_due_at=timezone.now() + datetime.timedelta(seconds=countdown))
            raise task.retry(args=[outcome.retry], countdown=countdown)
        rounds += 1
        pending = outcome.retry


def requeue_overdue_segment_emails(*, now: datetime.datetime | None = None, limit: int = 20000) -> list[int]:
    """Queue again (in chunks) the segment e-mails waiting past their due time and
    INTERACTIONS_EMAIL_REQUEUE_AFTER, and those whose claim went stale (their worker died).
    Stops at the first failure to queue; returns the entry numbers queued."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=conf.settings.EMAIL_REQUEUE_AFTER)
    overdue_filter = Q(delivery_due_at__lt=cutoff) | Q(delivery_due_at__isnull=True)
    overdue = list(
        InteractionLogEntry.objects.filter(overdue_filter, delivery_status__in=PENDING, canceled=False)
        .filter(logged_segment__isnull=False)
        .order_by("delivery_due_at", "entry_no")
        .values_list("entry_no", flat=True)[:limit]
    )
    queued: list[int] = []
    for chunk in chunks(overdue):
        InteractionLogEntry.objects.filter(overdue_filter, entry_no__in=chunk, delivery_status__in=PENDING).update(
            delivery_status=DeliveryStatus.IN_PROGRESS, delivery_due_at=now
        )
        if not queue_chunks(chunk):
            InteractionLogEntry.objects.filter(entry_no__in=chunk, delivery_status=DeliveryStatus.IN_PROGRESS).update(
                delivery_due_at=cutoff - datetime.timedelta(seconds=1)
            )
            break
        queued.extend(chunk)
    if queued:
        logger.info("Queued again %d segment e-mails", len(queued))
    return queued


def retry_failed(*, logged_segment: LoggedSegment, user) -> tuple[int, QueueTicket]:
    """Queue again the e-mails of the logged segment that the server refused (not those
    that cannot be sent: no address, unsubscribed). Returns how many, and the ticket."""
    require_permission(user, LOG_SEGMENT)
    with transaction.atomic():
        refused = SegmentEntryContent.objects.filter(
            logged_segment=logged_segment, channel=DeliveryChannel.EMAIL, problem="", handed_over_at__isnull=True
        ).values("entry_id")
        failed = InteractionLogEntry.objects.filter(
            logged_segment=logged_segment,
            delivery_status=DeliveryStatus.ERROR,
            canceled=False,
            entry_no__in=refused,
        )
        entry_nos = list(failed.order_by("entry_no").values_list("entry_no", flat=True))
        InteractionLogEntry.objects.filter(entry_no__in=entry_nos, delivery_status=DeliveryStatus.ERROR).update(
            delivery_status=DeliveryStatus.IN_PROGRESS, delivery_error="", delivery_due_at=timezone.now()
        )
        SegmentEntryContent.objects.filter(entry_id__in=entry_nos).update(attempts=0)
        return len(entry_nos), queue_on_commit(entry_nos)


# --- Unsubscribe ---------------------------------------------------------------------------


class BadUnsubscribeLink(Exception):
    """The link was not made by this site (or was altered)."""


def read_unsubscribe_token(token: str) -> tuple[Contact, int]:
    try:
        contact_id, entry_no = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        return Contact.objects.get(pk=int(contact_id)), int(entry_no)
    except (signing.BadSignature, ValueError, TypeError, Contact.DoesNotExist):
        raise BadUnsubscribeLink(token) from None


def is_unsubscribed(contact: Contact) -> bool:
    return BulkEmailOptOut.objects.filter(contact=contact).exists()


@transaction.atomic
def unsubscribe(*, token: str) -> tuple[Contact, bool]:
    """Set the contact's "no bulk e-mail" flag and log the unsubscribe on the contact as an
    inbound interaction (with the bulk e-mail's template). Returns the contact and whether
    this was new (a second click changes nothing)."""
    contact, entry_no = read_unsubscribe_token(token)
    source = InteractionLogEntry.objects.filter(entry_no=entry_no, contact=contact).select_related("template").first()
    opt_out, created = BulkEmailOptOut.objects.get_or_create(
        contact=contact, defaults={"source_entry_no": entry_no if source else None}
    )
    if not created or source is None:
        return contact, created
    with translation.override(contact.language or None):
        description = _("Unsubscribed from bulk e-mail")[:100]
    entry = InteractionLogEntry.objects.create(
        contact=contact,
        contact_company_id=contact.pk if contact.type == Contact.Type.COMPANY else contact.company_id,
        description=description,
        subject=source.subject,
        information_flow=InformationFlow.INBOUND,
        initiated_by=InitiatedBy.THEM,
        template=source.template,
        group_id=source.group_id,
        language=source.language,
        salesperson_id=source.salesperson_id,
        campaign_id=source.campaign_id,
        correspondence_type=CorrespondenceType.EMAIL,
        contact_via=source.contact_via or contact.email,
    )
    summaries.entry_logged(entry)
    BulkEmailOptOut.objects.filter(pk=opt_out.pk).update(entry=entry)
    webhooks.announce_entries(webhooks.ENTRY_CREATED, [entry.entry_no])
    return contact, True
