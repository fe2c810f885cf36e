"""Celery tasks of the interactions module. Thin: they call services.

The e-mail task (deliver_email, at the end) delivers what the e-mail services recorded.

The purge task runs the purge service under the conditions of a worker: one purge at a
time (a Redis lock that expires when its worker dies), a limited time per run (it stops
between batches and re-queues itself for the rest), delivered again when its worker died
(acks_late) and retried when the database or the broker went away. All of that is safe
because a purge is idempotent: a run deletes whatever canceled entries are left.
"""

import base64
import contextlib
import dataclasses
import datetime
import logging
import smtplib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import redis
from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.result import AsyncResult
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.lock import Lock

from . import conf
from .services.communication import emails as email_services
from .services.purge.service import PurgeFilter
from .services.purge.service import purge_canceled_interactions as purge_service

logger = logging.getLogger(__name__)

PURGE_LOCK_NAME = "interactions:purge-canceled-interactions:lock"
# Read once for the task's options; the run's own deadline reads the setting when it starts.
SOFT_TIME_LIMIT = conf.settings.PURGE_SOFT_TIME_LIMIT
# A purge waiting for another one asks again this often, for about two hours.
LOCK_WAIT_SECONDS = 60
LOCK_WAIT_RETRIES = 120
# The page follows a purge through its re-queued runs; more than this is a loop.
MAX_RUNS_FOLLOWED = 10_000


# The message is an argument so that the result backend can rebuild the exception.
class PurgeAlreadyRunning(Exception):
    def __init__(self, message: str | None = None):
        super().__init__(message or _("Another purge of canceled interaction log entries is running."))


class PurgeQueueUnavailable(Exception):
    def __init__(self, message: str | None = None):
        super().__init__(
            message or _("The task queue cannot be reached, so nothing was deleted. Please try again later.")
        )


def _lock_timeout() -> int:
    return conf.settings.PURGE_LOCK_TIMEOUT


@contextlib.contextmanager
def _purge_lock(*, eager: bool) -> Iterator[Lock | None]:
    """Held while a purge runs. Eager (in-process) runs have no worker to share it with."""
    if eager:
        yield None
        return
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured("The purge lock needs the Redis broker (CELERY_BROKER_URL=redis://...).")
    # The lock expires when its worker dies; a running purge extends it after every batch.
    lock = redis.Redis.from_url(url).lock(PURGE_LOCK_NAME, timeout=_lock_timeout(), blocking=False)
    if not lock.acquire():
        raise PurgeAlreadyRunning()
    try:
        yield lock
    finally:
        with contextlib.suppress(redis.exceptions.LockError):
            lock.release()


class _RunControl:
    """Progress reports and the reasons to stop between batches: the run's time is up (the
    worker's soft time limit is the backstop, this stops first and cleanly), or the lock
    was lost (it expired during a batch slower than its timeout: another purge may run)."""

    def __init__(self, task, *, lock, deleted_before: int):
        self.task = task
        self.lock = lock
        self.deleted_before = deleted_before
        self.deleted = 0
        self.total = 0
        self.stopped = False
        started = time.monotonic()
        run_time = conf.settings.PURGE_SOFT_TIME_LIMIT
        self.deadline = None if task.request.is_eager else started + run_time
        self.last_batch_end = started
        self.slowest_batch = 0.0
        self.lock_lost = False

    def on_batch(self, deleted: int, total: int) -> None:
        now = time.monotonic()
        self.slowest_batch = max(self.slowest_batch, now - self.last_batch_end)
        self.last_batch_end = now
        self.deleted, self.total = deleted, total
        if not self.task.request.is_eager:
            # Right after the batch's commit: a redelivered task starts counting from here.
            self.task.update_state(state="PROGRESS", meta=self.progress())
        if self.lock is not None:
            try:
                self.lock.reacquire()
            except redis.exceptions.LockNotOwnedError:
                self.lock_lost = True

    def should_stop(self) -> bool:
        if self.deleted == 0 and self.slowest_batch == 0:
            return False  # every run makes progress
        # Stop when the next batch might not finish in time (twice the slowest so far).
        out_of_time = self.deadline is not None and time.monotonic() + 2 * self.slowest_batch >= self.deadline
        self.stopped = self.stopped or out_of_time or self.lock_lost
        return self.stopped

    def progress(self) -> dict[str, int]:
        return {"deleted": self.deleted_before + self.deleted, "total": self.deleted_before + self.total}


# The database or the broker went away: the run is tried again later with what is left.
RETRY_ON = (OperationalError, InterfaceError, redis.exceptions.ConnectionError, BrokerOperationalError)
MAX_RETRIES = 12


@shared_task(
    bind=True,
    name="interactions.tasks.purge_canceled_interactions",
    # Acknowledged when done, not when received: a task whose worker died is delivered
    # again (after the broker's visibility timeout) and goes on where it stopped.
    acks_late=True,
    reject_on_worker_lost=True,
    # Backstops for a batch that hangs; the run itself stops at SOFT_TIME_LIMIT (prefork
    # pool only: the solo pool enforces no limits, the run's own deadline still works).
    soft_time_limit=SOFT_TIME_LIMIT + 60,
    time_limit=SOFT_TIME_LIMIT + 120,
)
def purge_canceled_interactions(
    self,
    *,
    filters: dict[str, Any] | None = None,
    batch_size: int | None = None,
    dry_run: bool = False,
    archive_path: str | None = None,
    canceled_days_ago: int | None = None,
    user_id: int | None = None,
    deleted_before: int = 0,
) -> dict[str, Any]:
    """Delete canceled interaction log entries; see the service for the parameters.

    `canceled_days_ago`: only entries canceled more than that many days ago (the nightly
    schedule). `user_id`: whose permission the service checks. `deleted_before`: what
    earlier runs of the same purge deleted (a re-queued run reports the whole purge).
    Returns {"deleted", "total", "dry_run", "archive_path", "continued_as"}; a run that
    stopped early names the task that goes on in "continued_as".
    """
    purge_filter = PurgeFilter.from_dict(filters)
    if canceled_days_ago is not None:
        cutoff = timezone.now() - datetime.timedelta(days=canceled_days_ago)
        purge_filter = dataclasses.replace(purge_filter, canceled_before=cutoff)
    if dry_run:
        user = get_user_model()._default_manager.get(pk=user_id) if user_id is not None else None
        total = purge_service(filters=purge_filter, batch_size=batch_size, dry_run=True, user=user)
        return {"deleted": 0, "total": total, "dry_run": True, "archive_path": None, "continued_as": None}

    if archive_path is None and conf.settings.PURGE_ARCHIVE_DIR:
        archive_dir = Path(conf.settings.PURGE_ARCHIVE_DIR)
        archive_dir.mkdir(parents=True, exist_ok=True)
        # Named by the task: delivered again after its worker died, it appends to the same file.
        archive_path = str(archive_dir / f"purge-{self.request.id}.jsonl")
    if not self.request.is_eager:
        deleted_before = max(deleted_before, _deleted_by_an_earlier_delivery(self.request.id))
    control = _RunControl(self, lock=None, deleted_before=deleted_before)

    def later(**options):
        """This task again later, for what is left, with everything resolved that must not
        change between runs (the nightly cutoff, the archive file, the count so far)."""
        kwargs = {
            **self.request.kwargs,
            "filters": purge_filter.to_dict(),
            "canceled_days_ago": None,
            "archive_path": archive_path,
            "deleted_before": control.progress()["deleted"],
        }
        return self.retry(kwargs=kwargs, **options)

    try:
        user = get_user_model()._default_manager.get(pk=user_id) if user_id is not None else None
        with _purge_lock(eager=self.request.is_eager) as lock:
            control.lock = lock
            try:
                purge_service(
                    filters=purge_filter,
                    batch_size=batch_size,
                    archive_path=archive_path,
                    user=user,
                    on_batch=control.on_batch,
                    should_stop=control.should_stop,
                )
            except SoftTimeLimitExceeded:
                # Raised inside a batch: its transaction rolled back and its archive lines
                # were cut off. The rest goes to the next run.
                logger.warning("Purge %s reached its soft time limit; re-queuing the rest", self.request.id)
                control.stopped = True
    except PurgeAlreadyRunning as busy:
        raise later(
            exc=busy, countdown=min(LOCK_WAIT_SECONDS, _lock_timeout()), max_retries=LOCK_WAIT_RETRIES
        ) from busy
    except RETRY_ON as lost:
        if self.request.is_eager:
            raise  # in-process, whoever asked sees the error at once
        backoff = get_exponential_backoff_interval(
            factor=5, retries=self.request.retries, maximum=600, full_jitter=True
        )
        raise later(exc=lost, countdown=backoff, max_retries=MAX_RETRIES) from lost

    outcome = {**control.progress(), "dry_run": False, "archive_path": archive_path, "continued_as": None}
    if control.stopped:
        outcome["continued_as"] = _requeue(
            self,
            filters=purge_filter.to_dict(),
            batch_size=batch_size,
            archive_path=archive_path,
            user_id=user_id,
            deleted_before=outcome["deleted"],
        )
    return outcome


def _deleted_by_an_earlier_delivery(task_id: str) -> int:
    """How many entries this very task had deleted when its worker died (its last progress
    report), so that the purge's count stays whole when the task is delivered again."""
    earlier = AsyncResult(task_id, app=purge_canceled_interactions.app)
    if earlier.state == "PROGRESS" and isinstance(earlier.info, dict):
        return int(earlier.info.get("deleted", 0))
    return 0


def _requeue(task, **kwargs) -> str:
    """A new run for the rest, on the queue this run came from."""
    routing_key = (task.request.delivery_info or {}).get("routing_key")
    return task.apply_async(kwargs=kwargs, **({"queue": routing_key} if routing_key else {})).id


def queue_purge(*, filters: PurgeFilter, user, batch_size: int | None = None) -> AsyncResult:
    """Queue a purge requested by `user` (or run it now when tasks run in-process).

    Raises PurgeQueueUnavailable when the broker cannot be reached: nothing is deleted then.
    """
    options = {"queue": conf.settings.PURGE_QUEUE} if conf.settings.PURGE_QUEUE else {}
    try:
        return purge_canceled_interactions.apply_async(
            kwargs={"filters": filters.to_dict(), "batch_size": batch_size, "user_id": user.pk},
            # Fail fast instead of keeping a page waiting for a broker that is down.
            retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1},
            **options,
        )
    except (BrokerOperationalError, redis.exceptions.ConnectionError) as error:
        raise PurgeQueueUnavailable() from error


@dataclasses.dataclass(frozen=True)
class PurgeProgress:
    """Where a queued purge stands, across the runs it re-queued."""

    state: str  # "queued", "running", "waiting", "done" or "failed"
    deleted: int = 0
    total: int | None = None
    error: str = ""
    archive_path: str | None = None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, round(100 * self.deleted / self.total))


def purge_progress(task_id: str) -> PurgeProgress:
    """Read from the result backend; follows "continued_as" to the run that goes on."""
    from celery.backends.base import DisabledBackend

    deleted, total, archive_path = 0, None, None
    for _run in range(MAX_RUNS_FOLLOWED):
        result = AsyncResult(task_id, app=purge_canceled_interactions.app)
        try:
            # Celery's DisabledBackend raises AttributeError (not NotImplementedError) for
            # state and info in recent versions: check for it first.
            if isinstance(result.backend, DisabledBackend):
                raise NotImplementedError
            state, info = result.state, result.info
        except NotImplementedError:  # no result backend: tasks run in-process
            return PurgeProgress("failed", error=_("Without a result backend the progress cannot be followed."))
        if isinstance(info, dict):
            deleted = info.get("deleted", deleted)
            total = info.get("total", total)
            archive_path = info.get("archive_path", archive_path)
        if state == "SUCCESS" and isinstance(info, dict) and info.get("continued_as"):
            task_id = info["continued_as"]
            continue
        if state == "SUCCESS":
            return PurgeProgress("done", deleted=deleted, total=total, archive_path=archive_path)
        if state in ("FAILURE", "REVOKED"):
            return PurgeProgress("failed", deleted=deleted, total=total, error=str(info or ""))
        if state == "RETRY":
            return PurgeProgress("waiting", deleted=deleted, total=total, error=str(info or ""))
        if state in ("STARTED", "PROGRESS") or deleted:
            return PurgeProgress("running", deleted=deleted, total=total)
        return PurgeProgress("queued")
    return PurgeProgress("failed", deleted=deleted, total=total, error=_("The purge re-queued itself too often."))


# --- E-mail delivery ---------------------------------------------------------------------
# The e-mail services record the entry ("in progress") and queue these when it commits;
# the tasks send through Django's e-mail backend and report back through the services.
# A refused or unreachable server is tried again with exponential backoff; after the last
# try (or at once for a permanent refusal) the entry shows "error" with the reason.
EMAIL_RETRY_ON = (smtplib.SMTPException, OSError, OperationalError, InterfaceError)


def _email_retry_countdown(retries: int) -> float:
    return get_exponential_backoff_interval(
        factor=conf.settings.EMAIL_RETRY_BACKOFF, retries=retries, maximum=3600, full_jitter=False
    )


def _deliver_with_retries(task, send: Callable[[], Any], *, give_up: Callable[[BaseException], None]) -> Any:
    """`send()`, tried again with exponential backoff while the failure may pass; after
    the last try, or at once for a permanent one, `give_up(failure)`."""
    attempt = task.request.retries
    while True:
        try:
            return send()
        except EMAIL_RETRY_ON + (email_services.UndeliverableEmail,) as failure:
            if attempt >= conf.settings.EMAIL_MAX_RETRIES or email_services.is_permanent_failure(failure):
                give_up(failure)
                return None
            if not task.request.is_eager:
                raise task.retry(exc=failure, countdown=_email_retry_countdown(attempt)) from failure
            # In-process (no broker) there is no worker to come back later: try again now.
            attempt += 1


@shared_task(
    bind=True,
    name="interactions.tasks.deliver_email",
    # Acknowledged when done: a task whose worker died is delivered again. The service
    # sends only an entry still "in progress", so a finished one is not sent twice.
    acks_late=True,
    reject_on_worker_lost=True,
    # Retries are counted against the setting by the task itself (above).
    max_retries=None,
)
def deliver_email(self, entry_no: int) -> str:
    """Deliver the stored e-mail of log entry `entry_no`. Returns "sent", "skipped" (not
    waiting for delivery any more) or "error" (given up; the entry says why)."""

    def give_up(failure: BaseException) -> None:
        email_services.record_delivery_failure(entry_no=entry_no, reason=email_services.failure_reason(failure))
        logger.warning("E-mail of interaction log entry %s not delivered: %s", entry_no, failure)

    sent = _deliver_with_retries(
        self, lambda: email_services.deliver_recorded_email(entry_no=entry_no), give_up=give_up
    )
    if sent is None:
        return "error"
    return "sent" if sent else "skipped"


@shared_task(bind=True, name="interactions.tasks.deliver_unrecorded_email", acks_late=True, max_retries=None)
def deliver_unrecorded_email(self, message: str) -> str:
    """Deliver an e-mail that no log entry records (`message`: the .eml, base64)."""

    def give_up(failure: BaseException) -> None:
        # No entry to show it on: the worker's log is where it is seen.
        logger.error("An e-mail that no interaction records was not delivered: %s", failure)

    def send() -> bool:
        email_services.deliver_unrecorded_email(raw=base64.b64decode(message))
        return True

    return "sent" if _deliver_with_retries(self, send, give_up=give_up) else "error"
