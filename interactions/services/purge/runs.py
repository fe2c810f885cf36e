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
  or the broker went away; a run carries on the count of the runs before it, so the page
  shows the whole purge.

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
from celery import current_app
from celery.app.task import Task
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

from ... import conf
from ..task_queue import BROKER_UNREACHABLE, queue_task
from .service import PurgeFilter, purge_canceled_interactions

logger = logging.getLogger(__name__)

PURGE_TASK = "interactions.tasks.purge_canceled_interactions"
PURGE_LOCK_NAME = "interactions:purge-canceled-interactions:lock"
# A purge waiting for another one asks again this often, for about two hours.
LOCK_WAIT_SECONDS = 60
LOCK_WAIT_RETRIES = 120
# The page follows a purge through its re-queued runs; more than this is a loop.
MAX_RUNS_FOLLOWED = 10_000
# The database or the broker went away: the run is tried again later with what is left.
RETRY_ON = (OperationalError, InterfaceError, redis.exceptions.ConnectionError, BrokerOperationalError)
MAX_RETRIES = 12


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
    lock = redis.Redis.from_url(url).lock(PURGE_LOCK_NAME, timeout=conf.settings.PURGE_LOCK_TIMEOUT, blocking=False)
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

    def __init__(self, task: Task, *, lock, deleted_before: int):
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
) -> dict[str, Any]:
    """One run of the purge task `task` (the bound Celery task: its request, progress
    reports, retries and re-queueing); the other arguments are the task's, see there.

    Returns {"deleted", "total", "dry_run", "archive_path", "continued_as"}. Raises the
    task's Retry when the purge must wait for another one or for the database or broker.
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
        # Named by the task: delivered again after its worker died, it appends to the same file.
        archive_path = str(Path(archive_dir) / f"purge-{task.request.id}.jsonl")
    if not task.request.is_eager:
        deleted_before = max(deleted_before, _deleted_by_an_earlier_delivery(task, task.request.id))
    control = RunControl(task, lock=None, deleted_before=deleted_before)

    def later(**options):
        """This task again later, for what is left, with everything resolved that must not
        change between runs (the nightly cutoff, the archive file, the count so far)."""
        kwargs = {
            **task.request.kwargs,
            "filters": purge_filter.to_dict(),
            "canceled_days_ago": None,
            "archive_path": archive_path,
            "deleted_before": control.progress()["deleted"],
        }
        return task.retry(kwargs=kwargs, **options)

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
                )
            except SoftTimeLimitExceeded:
                # Raised inside a batch: its transaction rolled back and its archive lines
                # were cut off. The rest goes to the next run.
                logger.warning("Purge %s reached its soft time limit; re-queuing the rest", task.request.id)
                control.stopped = True
    except PurgeAlreadyRunning as busy:
        raise later(
            exc=busy, countdown=min(LOCK_WAIT_SECONDS, conf.settings.PURGE_LOCK_TIMEOUT), max_retries=LOCK_WAIT_RETRIES
        ) from busy
    except RETRY_ON as lost:
        if task.request.is_eager:
            raise  # in-process, whoever asked sees the error at once
        backoff = get_exponential_backoff_interval(
            factor=5, retries=task.request.retries, maximum=600, full_jitter=True
        )
        raise later(exc=lost, countdown=backoff, max_retries=MAX_RETRIES) from lost

    outcome = {**control.progress(), "dry_run": False, "archive_path": archive_path, "continued_as": None}
    if control.stopped:
        outcome["continued_as"] = _requeue(
            task,
            filters=purge_filter.to_dict(),
            batch_size=batch_size,
            archive_path=archive_path,
            user_id=user_id,
            deleted_before=outcome["deleted"],
        )
    return outcome


def _deleted_by_an_earlier_delivery(task: Task, task_id: str) -> int:
    """How many entries this very task had deleted when its worker died (its last progress
    report), so that the purge's count stays whole when the task is delivered again."""
    earlier = AsyncResult(task_id, app=task.app)
    if earlier.state == "PROGRESS" and isinstance(earlier.info, dict):
        return int(earlier.info.get("deleted", 0))
    return 0


def _requeue(task: Task, **kwargs) -> str:
    """A new run for the rest, on the queue this run came from."""
    routing_key = (task.request.delivery_info or {}).get("routing_key")
    return task.apply_async(kwargs=kwargs, **({"queue": routing_key} if routing_key else {})).id


def queue_purge(*, filters: PurgeFilter, user, batch_size: int | None = None) -> AsyncResult:
    """Queue a purge requested by `user` (or run it now when tasks run in-process: an
    EagerResult then, already finished).

    Raises PurgeQueueUnavailable when the broker cannot be reached: nothing is deleted then.
    """
    try:
        return queue_task(
            PURGE_TASK,
            kwargs={"filters": filters.to_dict(), "batch_size": batch_size, "user_id": user.pk},
            queue=conf.settings.PURGE_QUEUE,
        )
    except BROKER_UNREACHABLE as error:
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

    app = current_app._get_current_object()
    deleted, total, archive_path = 0, None, None
    for _run in range(MAX_RUNS_FOLLOWED):
        result = AsyncResult(task_id, app=app)
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
