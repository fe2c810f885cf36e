"""The purge as a Celery task runs it: one purge at a time, runs of limited length, progress
that the page follows, and the queueing of a purge asked for on the page.

The task interactions.tasks.purge_canceled_interactions calls `run_purge`, which runs the
purge service under the conditions of a worker:

- One purge at a time: a Redis lock (on the broker), taken without waiting. A purge that
  finds it taken waits and asks again (a retry every LOCK_WAIT_SECONDS, for about two
  hours). The lock expires INTERACTIONS_PURGE_LOCK_TIMEOUT seconds after its worker died;
  a running purge renews it after every batch, and stops when it lost it (a batch slower
  than the timeout: another purge may be running by then).
- A limited time per run: the run stops between batches before INTERACTIONS_PURGE_SOFT_TIME_LIMIT
  seconds have passed and queues a new run for the rest ("continued_as"); the worker's soft
  time limit is the backstop for a batch that hangs.
- Delivered again when its worker died (acks_late), retried with backoff when the database
  or the broker went away.
- Progress in the database (PurgeRun, one row per purge, across all its runs): each batch
  adds what its DELETE removed to the row in the batch's own transaction, so the count is
  exact whatever crashed when; the page reads the row and never needs Redis. A purge whose
  next sign of life is overdue (`expected_by`: the lock's expiry after a batch, or its
  retry's due time) shows as stalled, and the recovery sweep (`take_over_stalled_purges`)
  queues a run that takes it over, if the broker's redelivery did not come first.

All of that is safe because a purge is idempotent: a run deletes whatever canceled entries
are left, and only canceled ones (the condition is in the DELETE itself). Without a broker
the task runs in-process (eagerly): no lock, no deadline, no progress reports.

The services never import interactions.tasks: they queue the task by its registered name
(services/task_queue.py).
"""

import contextlib
import dataclasses
import datetime
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import redis
from celery.app.task import Task
from celery.exceptions import Retry, SoftTimeLimitExceeded
from celery.result import AsyncResult
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, InterfaceError, OperationalError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.lock import Lock

from ... import conf
from ...models import PurgeRun, PurgeRunState
from ..task_queue import BROKER_UNREACHABLE, queue_task
from .service import PurgeFilter, purge_canceled_interactions

logger = logging.getLogger(__name__)

PURGE_TASK = "interactions.tasks.purge_canceled_interactions"
PURGE_LOCK_NAME = "interactions:purge-canceled-interactions:lock"
# A purge waiting for another one asks again this often, for about two hours.
LOCK_WAIT_SECONDS = 60
LOCK_WAIT_RETRIES = 120
# The database or the broker went away: the run is tried again later with what is left.
RETRY_ON = (OperationalError, InterfaceError, redis.exceptions.ConnectionError, BrokerOperationalError)
MAX_RETRIES = 12
# A purge that keeps stalling (its runs crash the worker) is given up after this many takeovers.
MAX_TAKEOVERS = 10
# Redis gives up at once instead of keeping a worker waiting for a server that is down.
REDIS_TIMEOUTS = {"socket_connect_timeout": 2, "socket_timeout": 10}


# The message is an argument so that the result backend can rebuild the exception.
class PurgeAlreadyRunning(Exception):
    def __init__(self, message: str | None = None):
        super().__init__(message or _("Another purge of canceled interaction log entries is running."))


class PurgeQueueUnavailable(Exception):
    def __init__(self, message: str | None = None):
        super().__init__(
            message or _("The task queue cannot be reached, so nothing was deleted. Please try again later.")
        )


@contextlib.contextmanager
def purge_lock(*, eager: bool) -> Iterator[Lock | None]:
    """Held while a purge runs. Eager (in-process) runs have no worker to share it with."""
    if eager:
        yield None
        return
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured("The purge lock needs the Redis broker (CELERY_BROKER_URL=redis://...).")
    # The lock expires when its worker dies; a running purge extends it after every batch.
    lock = redis.Redis.from_url(url, **REDIS_TIMEOUTS).lock(
        PURGE_LOCK_NAME, timeout=conf.settings.PURGE_LOCK_TIMEOUT, blocking=False
    )
    if not lock.acquire():
        raise PurgeAlreadyRunning()
    try:
        yield lock
    finally:
        with contextlib.suppress(redis.exceptions.LockError):
            lock.release()


class RunControl:
    """Progress reports and the reasons to stop between batches: the run's time is up (the
    worker's soft time limit is the backstop, this stops first and cleanly), or the lock
    was lost (it expired during a batch slower than its timeout: another purge may run)."""

    def __init__(self, task: Task, *, lock, purge_id: str, deleted_before: int):
        self.task = task
        self.lock = lock
        self.purge_id = purge_id
        self.deleted_before = deleted_before  # by the purge's earlier runs (its row's count)
        self.deleted = 0
        self.total = 0
        self.stopped = False
        started = time.monotonic()
        run_time = conf.settings.PURGE_SOFT_TIME_LIMIT
        self.deadline = None if task.request.is_eager else started + run_time
        self.last_batch_end = started
        self.slowest_batch = 0.0
        self.lock_lost = False

    def in_batch(self, deleted: int) -> None:
        """Inside the batch's transaction: the purge's row counts what the DELETE removed,
        committed with it, and shows the purge alive until the lock would expire."""
        PurgeRun.objects.filter(pk=self.purge_id).update(
            state=PurgeRunState.RUNNING,
            deleted=F("deleted") + deleted,
            error="",
            **alive_until(conf.settings.PURGE_LOCK_TIMEOUT + conf.settings.PURGE_BATCH_PAUSE),
        )

    def on_batch(self, deleted: int, total: int) -> None:
        now = time.monotonic()
        self.slowest_batch = max(self.slowest_batch, now - self.last_batch_end)
        self.last_batch_end = now
        if self.total != total:
            PurgeRun.objects.filter(pk=self.purge_id).update(total=self.deleted_before + total)
        self.deleted, self.total = deleted, total
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


def alive_until(seconds: float) -> dict[str, Any]:
    """The fields of a purge's row that say it is alive now and when to expect it next."""
    now = timezone.now()
    return {"heartbeat_at": now, "expected_by": now + datetime.timedelta(seconds=seconds)}


def _mark(purge_id: str, **fields) -> None:
    """Update the purge's row, unless the database is what went away (the page shows the
    purge stalled then, and the sweep takes it over if no retry does)."""
    try:
        PurgeRun.objects.filter(pk=purge_id).exclude(state=PurgeRunState.DONE).update(**fields)
    except DatabaseError:
        logger.warning("Could not record the state of purge %s", purge_id, exc_info=True)


def _user(user_id: int | None):
    return get_user_model()._default_manager.get(pk=user_id) if user_id is not None else None


def run_purge(
    *,
    task: Task,
    filters: dict[str, Any] | None = None,
    batch_size: int | None = None,
    dry_run: bool = False,
    archive_path: str | None = None,
    canceled_days_ago: int | None = None,
    user_id: int | None = None,
    deleted_before: int = 0,
    purge_id: str | None = None,
) -> dict[str, Any]:
    """One run of the purge task `task` (the bound Celery task: its request, progress
    reports, retries and re-queueing); the other arguments are the task's, see there.

    `purge_id`: the purge this run belongs to (its PurgeRun row; default: this task's id,
    the row is made then). Returns {"deleted", "total", "dry_run", "archive_path",
    "continued_as"}, the counts of the whole purge. Raises the task's Retry when the purge
    must wait for another one or for the database or broker.
    """
    purge_filter = PurgeFilter.from_dict(filters)
    if canceled_days_ago is not None:
        cutoff = timezone.now() - datetime.timedelta(days=canceled_days_ago)
        purge_filter = dataclasses.replace(purge_filter, canceled_before=cutoff)
    if dry_run:
        total = purge_canceled_interactions(
            filters=purge_filter, batch_size=batch_size, dry_run=True, user=_user(user_id)
        )
        return {"deleted": 0, "total": total, "dry_run": True, "archive_path": None, "continued_as": None}

    archive_dir = conf.settings.PURGE_ARCHIVE_DIR
    if archive_path is None and archive_dir:
        Path(archive_dir).mkdir(parents=True, exist_ok=True)
        # Named by the purge: its runs, and a task delivered again after its worker died,
        # append to the same file.
        archive_path = str(Path(archive_dir) / f"purge-{purge_id or task.request.id}.jsonl")
    purge_id = str(purge_id or task.request.id)
    arguments = {
        "filters": purge_filter.to_dict(),
        "batch_size": batch_size,
        "archive_path": archive_path,
        "user_id": user_id,
    }
    run, _created = PurgeRun.objects.get_or_create(
        pk=purge_id, defaults={"arguments": arguments, "deleted": deleted_before}
    )
    if run.state == PurgeRunState.DONE:
        # A copy of a run that finished (redelivered late, or taken over meanwhile): the
        # purge has been done once, its count stands.
        return {**_outcome(run), "continued_as": None}
    PurgeRun.objects.filter(pk=purge_id).update(
        state=PurgeRunState.RUNNING, arguments=arguments, **alive_until(conf.settings.PURGE_LOCK_TIMEOUT)
    )
    control = RunControl(task, lock=None, purge_id=purge_id, deleted_before=run.deleted)

    def later(*, countdown: float, **options):
        """This task again later, for what is left, with everything resolved that must not
        change between runs (the nightly cutoff, the archive file, the purge's row)."""
        kwargs = {
            **task.request.kwargs,
            "filters": purge_filter.to_dict(),
            "canceled_days_ago": None,
            "archive_path": archive_path,
            "purge_id": purge_id,
        }
        _mark(
            purge_id,
            state=PurgeRunState.WAITING,
            error=str(options.get("exc") or ""),
            **alive_until(countdown + conf.settings.PURGE_LOCK_TIMEOUT),
        )
        return task.retry(kwargs=kwargs, countdown=countdown, **options)

    try:
        user = _user(user_id)
        with purge_lock(eager=task.request.is_eager) as lock:
            control.lock = lock
            try:
                purge_canceled_interactions(
                    filters=purge_filter,
                    batch_size=batch_size,
                    archive_path=archive_path,
                    user=user,
                    on_batch=control.on_batch,
                    should_stop=control.should_stop,
                    in_batch=control.in_batch,
                )
            except SoftTimeLimitExceeded:
                # Raised inside a batch: its transaction rolled back and its archive lines
                # were cut off. The rest goes to the next run.
                logger.warning("Purge %s reached its soft time limit; re-queuing the rest", purge_id)
                control.stopped = True
    except PurgeAlreadyRunning as busy:
        raise later(
            exc=busy, countdown=min(LOCK_WAIT_SECONDS, conf.settings.PURGE_LOCK_TIMEOUT), max_retries=LOCK_WAIT_RETRIES
        ) from busy
    except RETRY_ON as lost:
        if task.request.is_eager:
            _mark(purge_id, state=PurgeRunState.FAILED, error=str(lost), expected_by=None)
            raise  # in-process, whoever asked sees the error at once
        backoff = get_exponential_backoff_interval(
            factor=5, retries=task.request.retries, maximum=600, full_jitter=True
        )
        raise later(exc=lost, countdown=backoff, max_retries=MAX_RETRIES) from lost
    except Retry:
        raise
    except Exception as failure:
        _mark(purge_id, state=PurgeRunState.FAILED, error=str(failure) or type(failure).__name__, expected_by=None)
        raise

    continued_as = None
    if control.stopped:
        # Alive until the next run starts; if it never does, the sweep takes the purge over.
        PurgeRun.objects.filter(pk=purge_id).update(**alive_until(conf.settings.PURGE_LOCK_TIMEOUT))
        continued_as = _requeue(task, purge_id=purge_id, **arguments)
    else:
        PurgeRun.objects.filter(pk=purge_id).update(state=PurgeRunState.DONE, expected_by=None, error="")
    return {**_outcome(PurgeRun.objects.get(pk=purge_id)), "continued_as": continued_as}


def _outcome(run: PurgeRun) -> dict[str, Any]:
    return {
        "deleted": run.deleted,
        "total": run.total if run.total is not None else run.deleted,
        "dry_run": False,
        "archive_path": run.archive_path or run.arguments.get("archive_path"),
    }


def _requeue(task: Task, **kwargs) -> str:
    """A new run for the rest, on the queue this run came from."""
    routing_key = (task.request.delivery_info or {}).get("routing_key")
    return task.apply_async(kwargs=kwargs, ignore_result=True, **({"queue": routing_key} if routing_key else {})).id


def queue_purge(*, filters: PurgeFilter, user, batch_size: int | None = None) -> AsyncResult:
    """Queue a purge requested by `user` (or run it now when tasks run in-process: an
    EagerResult then, already finished). Its id (the task's) names its progress.

    Raises PurgeQueueUnavailable when the broker cannot be reached: nothing is deleted then.
    """
    arguments = {"filters": filters.to_dict(), "batch_size": batch_size, "user_id": user.pk}
    run = PurgeRun.objects.create(arguments=arguments)
    try:
        return queue_task(
            PURGE_TASK,
            kwargs={**arguments, "purge_id": str(run.pk)},
            queue=conf.settings.PURGE_QUEUE,
            task_id=str(run.pk),
        )
    except BROKER_UNREACHABLE as error:
        run.delete()
        raise PurgeQueueUnavailable() from error


def take_over_stalled_purges(*, now: datetime.datetime | None = None) -> list[str]:
    """Queue a run for every purge whose next sign of life is overdue (its worker died and
    the broker did not deliver its task again, or lost it): the run goes on with what is
    left, counting on from the purge's row. A purge that stalled MAX_TAKEOVERS times is
    given up (failed, with the reason). Returns the ids of the purges taken over."""
    now = now or timezone.now()
    taken = []
    stalled = PurgeRun.objects.filter(state__in=[PurgeRunState.RUNNING, PurgeRunState.WAITING], expected_by__lt=now)
    for run in list(stalled.order_by("expected_by")[:100]):
        mine = PurgeRun.objects.filter(pk=run.pk, expected_by=run.expected_by, state=run.state)
        if run.takeovers >= MAX_TAKEOVERS:
            mine.update(
                state=PurgeRunState.FAILED,
                expected_by=None,
                error=_("The purge stopped answering %(count)d times; it was given up.") % {"count": run.takeovers},
            )
            continue
        # One sweep takes it (the UPDATE is conditioned on what it read); the purge is
        # expected to start again within the lock's timeout.
        if not mine.update(
            takeovers=F("takeovers") + 1,
            expected_by=now + datetime.timedelta(seconds=conf.settings.PURGE_LOCK_TIMEOUT),
        ):
            continue
        try:
            queue_task(PURGE_TASK, kwargs={**run.arguments, "purge_id": str(run.pk)}, queue=conf.settings.PURGE_QUEUE)
        except BROKER_UNREACHABLE:
            logger.warning("The task queue is unreachable; stalled purge %s waits for the next sweep", run.pk)
            PurgeRun.objects.filter(pk=run.pk).update(expected_by=run.expected_by, takeovers=run.takeovers)
            break
        logger.warning("Purge %s stopped answering; a new run takes it over", run.pk)
        taken.append(str(run.pk))
    return taken


@dataclasses.dataclass(frozen=True)
class PurgeProgress:
    """Where a queued purge stands, across the runs it re-queued."""

    state: str  # "queued", "running", "waiting", "stalled", "done" or "failed"
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
    """Where purge `task_id` stands (the id of its first task), read from the database: the
    page answers whether Redis is up or not. "stalled": its next sign of life is overdue
    (its worker died); it is taken over by a redelivered task or the recovery sweep."""
    run = PurgeRun.objects.filter(pk=task_id).first()
    if run is None:
        return PurgeProgress("queued")
    archive_path = run.archive_path or run.arguments.get("archive_path")
    if run.state == PurgeRunState.DONE:
        return PurgeProgress("done", deleted=run.deleted, total=run.total, archive_path=archive_path)
    if run.state == PurgeRunState.FAILED:
        return PurgeProgress("failed", deleted=run.deleted, total=run.total, error=run.error)
    if run.state == PurgeRunState.QUEUED:
        return PurgeProgress("queued")
    if run.expected_by is not None and run.expected_by < timezone.now():
        return PurgeProgress("stalled", deleted=run.deleted, total=run.total, error=run.error)
    state = "waiting" if run.state == PurgeRunState.WAITING else "running"
    return PurgeProgress(state, deleted=run.deleted, total=run.total, error=run.error)
