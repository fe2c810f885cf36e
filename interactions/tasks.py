"""Celery tasks of the interactions module. Thin: they translate their arguments and call
services, imported inside the task (the services never import this module: they queue a
task by its name, services/task_queue.py). The names are public interface: celery beat and
queued messages refer to them.

- purge_canceled_interactions: a run of the purge under the conditions of a worker (one
  purge at a time, limited time per run, re-queued for the rest, retried when the database
  or the broker went away); services/purge/runs.py.
- deliver_email, deliver_unrecorded_email: send what the e-mail services recorded, with
  retries and backoff.
"""

import base64
import logging
import smtplib
from collections.abc import Callable
from typing import Any

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.db import InterfaceError, OperationalError

from . import conf
from .services.communication import emails as email_services

logger = logging.getLogger(__name__)

# Read once, for the task's options (the worker's limits); a run's own deadline reads the
# setting when it starts.
SOFT_TIME_LIMIT = conf.settings.PURGE_SOFT_TIME_LIMIT


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
    """Delete canceled interaction log entries; see the purge service for the parameters.

    `filters`: a PurgeFilter as a dict (JSON). `canceled_days_ago`: only entries canceled
    more than that many days ago (the nightly schedule). `user_id`: whose permission the
    service checks. `deleted_before`: what earlier runs of the same purge deleted (a
    re-queued run reports the whole purge).
    Returns {"deleted", "total", "dry_run", "archive_path", "continued_as"}; a run that
    stopped early names the task that goes on in "continued_as".
    """
    from .services.purge.runs import run_purge

    return run_purge(
        task=self,
        filters=filters,
        batch_size=batch_size,
        dry_run=dry_run,
        archive_path=archive_path,
        canceled_days_ago=canceled_days_ago,
        user_id=user_id,
        deleted_before=deleted_before,
    )


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
