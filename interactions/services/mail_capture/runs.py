"""Reading a mailbox: one run under the mailbox's lease, batch after batch (one UID FETCH,
one transaction, one UID MOVE each), each batch committed before it is moved to the
processed folder; with parse processes (parse_pool), the next batch is parsed while one is
logged.

The lock (why a lease in the database): a run holds the mailbox for minutes of network
I/O, so a row lock (SELECT ... FOR UPDATE) would keep a transaction open across all of it,
and a PostgreSQL advisory lock is tied to one connection (and does not exist on SQLite). A
Redis lock would work but is not where the outcome lives. The lease is one conditional
UPDATE on the mailbox's row — "take it if nobody holds it or the holder's lease expired" —
which both databases do atomically, so of two workers only one gets it; the holder renews it
before every batch of messages (also an UPDATE conditioned on its own token: a holder that lost it, by
being too slow, stops at once instead of reading beside the new one). A worker SIGKILLed
mid-run holds it until it expires (INTERACTIONS_MAIL_CAPTURE_LOCK_TIMEOUT), then the next
run takes over and continues: the messages whose outcome committed are recognised
(`capture.already_decided`) and only moved on.

A run that fails (server unreachable, refused login, the connection cut, the setup
incomplete) records its error; the messages not yet committed stay in the folder for the
next run. Three failures in a row show on the administrators' dashboard.
"""

import dataclasses
import logging
import uuid
from collections import Counter
from datetime import timedelta

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ... import conf
from ...models import Mailbox, MailboxRun, MailboxRunState, SkipReason
from .. import webhooks
from ..attachments import atomic_with_files
from .batch import Outcome
from .capture import capture_batch
from .imap import ImapFolderReader, MailboxError
from .parse_pool import ParsePool
from .rules import CaptureNotSetUp, CaptureRules

logger = logging.getLogger(__name__)

# A batch fetched at once holds at most this many bytes of messages (memory stays flat
# whatever the backlog), and at most INTERACTIONS_MAIL_CAPTURE_BATCH_SIZE messages.
BATCH_BYTES = 16 * 1024 * 1024


class MailboxBusy(Exception):
    """Another reader holds the mailbox."""


class LeaseLost(Exception):
    """The run's lease expired and another reader may have taken the mailbox."""


@dataclasses.dataclass
class RunResult:
    run_id: int | None
    state: str
    read: int = 0
    logged: int = 0
    bounces: int = 0
    skipped: dict[str, int] = dataclasses.field(default_factory=dict)
    error: str = ""


def acquire_lease(*, mailbox_id: int, token: str) -> bool:
    now = timezone.now()
    return bool(
        Mailbox.objects.filter(Q(lock_token="") | Q(locked_until__lt=now), id=mailbox_id, active=True).update(
            lock_token=token, locked_until=now + timedelta(seconds=conf.settings.MAIL_CAPTURE_LOCK_TIMEOUT)
        )
    )


def renew_lease(*, mailbox_id: int, token: str) -> None:
    renewed = Mailbox.objects.filter(id=mailbox_id, lock_token=token).update(
        locked_until=timezone.now() + timedelta(seconds=conf.settings.MAIL_CAPTURE_LOCK_TIMEOUT)
    )
    if not renewed:
        raise LeaseLost(_("The run lost its hold on the mailbox (too long without progress); another run goes on."))


def release_lease(*, mailbox_id: int, token: str) -> None:
    Mailbox.objects.filter(id=mailbox_id, lock_token=token).update(lock_token="", locked_until=None)


def read_mailbox(*, mailbox_id: int) -> RunResult:
    """One run of mailbox `mailbox_id`. Raises MailboxBusy when another reader holds it (or
    it is not active); every other failure is recorded on the run and returned."""
    token = uuid.uuid4().hex
    if not acquire_lease(mailbox_id=mailbox_id, token=token):
        raise MailboxBusy(mailbox_id)
    try:
        mailbox = Mailbox.objects.select_related("salesperson").get(id=mailbox_id)
        # A run still "running" here was a reader that died: say so on its row.
        MailboxRun.objects.filter(mailbox=mailbox, state=MailboxRunState.RUNNING).update(
            state=MailboxRunState.FAILED,
            finished_at=timezone.now(),
            error=_("Interrupted: its worker stopped before the run ended; the next run went on."),
        )
        run = MailboxRun.objects.create(mailbox=mailbox)
        result = RunResult(run_id=run.pk, state=MailboxRunState.RUNNING)
        counts: Counter[str] = Counter()
        try:
            _read(mailbox=mailbox, run=run, token=token, result=result, counts=counts)
        except (MailboxError, CaptureNotSetUp, LeaseLost, OSError) as failure:
            result.error = str(failure)
        except Exception as failure:  # a bug or a database error: recorded, then raised
            result.error = _("Unexpected error: %(error)s") % {"error": repr(failure)[:500]}
            _finish(mailbox=mailbox, run=run, result=result, counts=counts)
            raise
        _finish(mailbox=mailbox, run=run, result=result, counts=counts)
        return result
    finally:
        release_lease(mailbox_id=mailbox_id, token=token)


def _finish(*, mailbox: Mailbox, run: MailboxRun, result: RunResult, counts: Counter) -> None:
    result.state = MailboxRunState.FAILED if result.error else MailboxRunState.SUCCEEDED
    result.skipped = dict(counts)
    MailboxRun.objects.filter(id=run.pk).update(
        state=result.state,
        finished_at=timezone.now(),
        read=result.read,
        logged=result.logged,
        bounces=result.bounces,
        skipped=result.skipped,
        error=result.error,
    )
    if result.error:
        logger.warning("Mailbox %s: run %s failed: %s", mailbox.name, run.pk, result.error)
        Mailbox.objects.filter(id=mailbox.pk).update(
            consecutive_failures=F("consecutive_failures") + 1, last_error=result.error
        )
    else:
        Mailbox.objects.filter(id=mailbox.pk).update(consecutive_failures=0, last_error="")


def _read(*, mailbox: Mailbox, run: MailboxRun, token: str, result: RunResult, counts: Counter) -> None:
    rules = CaptureRules.load(mailbox, run_id=run.pk)
    limit = conf.settings.MAIL_CAPTURE_MAX_MESSAGE_SIZE
    batch_size = conf.settings.MAIL_CAPTURE_BATCH_SIZE
    with (
        ImapFolderReader(mailbox, timeout=conf.settings.MAIL_CAPTURE_TIMEOUT) as reader,
        ParsePool(
            processes=conf.settings.MAIL_CAPTURE_PARSE_PROCESSES, attachment_limit=rules.attachment_limit
        ) as pool,
    ):
        listed = reader.list_messages()
        # A batch is fetched and given to the parser, then the previous one is logged and
        # moved: with parse processes, parsing one batch overlaps logging the one before.
        previous = None
        for batch in _batches(listed, limit=limit, batch_size=batch_size):
            # The lease is renewed once a batch (a batch takes far less than the lease lasts).
            renew_lease(mailbox_id=mailbox.pk, token=token)
            whole = [message.uid for message in batch if message.size <= limit]
            too_large = [message.uid for message in batch if message.size > limit]
            fetched = [(uid, raw, False) for uid, raw in reader.fetch(whole)]
            fetched += [(uid, raw, True) for uid, raw in reader.fetch(too_large, headers_only=True)]
            uids = [uid for uid, _raw, _headers_only in fetched]
            parsing = pool.parse([(raw, headers_only) for _uid, raw, headers_only in fetched])
            del fetched
            if previous is not None:
                _log_batch(reader=reader, run=run, rules=rules, batch=previous, result=result, counts=counts)
            previous = (uids, parsing)
        if previous is not None:
            _log_batch(reader=reader, run=run, rules=rules, batch=previous, result=result, counts=counts)


def _log_batch(*, reader, run: MailboxRun, rules: CaptureRules, batch, result: RunResult, counts: Counter) -> None:
    uids, parsing = batch
    parsed = parsing.result()
    tally: Counter[str] = Counter()
    # One transaction a batch: the batch's outcomes commit together, and only then leave
    # the folder. A failure rolls the batch back whole; its messages stay for the next run.
    created: list[int] = []
    with atomic_with_files():
        for outcome in capture_batch(parsed=parsed, rules=rules):
            if outcome.outcome == Outcome.LOGGED:
                created.extend(outcome.entry_numbers)
            if outcome.outcome == Outcome.SEEN:
                tally[SkipReason.DUPLICATE.value] += 1
            elif outcome.outcome == Outcome.SKIPPED:
                tally[str(outcome.reason)] += 1
            else:
                tally[outcome.outcome] += 1
        webhooks.announce_entries(webhooks.ENTRY_CREATED, created)
    result.read += len(uids)
    result.logged += tally.pop(Outcome.LOGGED, 0)
    result.bounces += tally.pop(Outcome.BOUNCE, 0)
    counts.update(tally)
    reader.move_to_processed(uids)
    MailboxRun.objects.filter(id=run.pk).update(
        read=result.read, logged=result.logged, bounces=result.bounces, skipped=dict(counts)
    )


def _batches(listed, *, limit: int, batch_size: int):
    batch, size = [], 0
    for message in listed:
        weight = min(message.size, limit)
        if batch and (len(batch) >= batch_size or size + weight > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(message)
        size += weight
    if batch:
        yield batch


def due_mailboxes() -> list[int]:
    """The active mailboxes not being read now (their lease free or expired)."""
    now = timezone.now()
    return list(
        Mailbox.objects.filter(Q(lock_token="") | Q(locked_until__lt=now), active=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
