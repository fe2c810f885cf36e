"""Celery tasks of the interactions module. Thin: they translate their arguments and call
services, imported inside the task (the services never import this module: they queue a
task by its name, services/task_queue.py). The names are public interface: celery beat and
queued messages refer to them.

- purge_canceled_interactions: a run of the purge under the conditions of a worker (one
  purge at a time, limited time per run, re-queued for the rest, retried when the database
  or the broker went away); services/purge/runs.py.
- deliver_email, deliver_unrecorded_email: send what the e-mail services recorded, with
  retries and backoff; services/communication/delivery.py.
- deliver_segment_emails: send a chunk of a logged segment's e-mails ("Deliver");
  services/segment_delivery.py.
- recover_queued_work: the recovery sweep (celery beat, and when a worker starts): queues
  again the e-mails and purges that wait in the database for a task that never came;
  services/recovery.py.
- deliver_webhook: post one webhook delivery, retried with backoff; services/webhooks.py.
- build_log_export, delete_expired_log_exports: the log's Excel export and the hourly
  cleanup of expired ones (celery beat); services/log_exports.py.
"""

import base64
from typing import Any

from celery import shared_task
from celery.signals import worker_ready

from . import conf

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
    purge_id: str | None = None,
) -> dict[str, Any]:
    """Delete canceled interaction log entries; see the purge service for the parameters.

    `filters`: a PurgeFilter as a dict (JSON). `canceled_days_ago`: only entries canceled
    more than that many days ago (the nightly schedule). `user_id`: whose permission the
    service checks. `purge_id`: the purge this run belongs to (its progress row; default:
    this task's id). `deleted_before`: what a purge without a row had deleted (messages
    queued by earlier versions).
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
        purge_id=purge_id,
    )


# --- E-mail delivery ---------------------------------------------------------------------
# The e-mail services record the entry ("in progress") and queue these when it commits;
# the delivery service sends, retries with backoff and records the outcome.


@shared_task(
    bind=True,
    name="interactions.tasks.deliver_email",
    # Acknowledged when done: a task whose worker died is delivered again. The service
    # sends only an entry still "in progress", so a finished one is not sent twice.
    acks_late=True,
    reject_on_worker_lost=True,
    # Retries are counted against the setting by the delivery service itself.
    max_retries=None,
)
def deliver_email(self, entry_no: int) -> str:
    """Deliver the stored e-mail of log entry `entry_no`. Returns "sent", "skipped" (not
    waiting for delivery any more) or "error" (given up; the entry says why)."""
    from .services.communication.delivery import deliver_entry_email

    return deliver_entry_email(task=self, entry_no=entry_no)


@shared_task(bind=True, name="interactions.tasks.deliver_unrecorded_email", acks_late=True, max_retries=None)
def deliver_unrecorded_email(self, message: str) -> str:
    """Deliver an e-mail that no log entry records (`message`: the .eml, base64)."""
    from .services.communication.delivery import deliver_unrecorded

    return deliver_unrecorded(task=self, raw=base64.b64decode(message))


@shared_task(
    bind=True,
    name="interactions.tasks.deliver_segment_emails",
    # Acknowledged when done: a chunk whose worker died is delivered again; the claims and
    # the hand-over record make each e-mail go at most once.
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
)
def deliver_segment_emails(self, entry_nos: list[int]) -> dict[str, int]:
    """Deliver the e-mails of these entries of logged segments over one connection."""
    from .services.segment_delivery import deliver_chunk

    return deliver_chunk(task=self, entry_nos=[int(entry_no) for entry_no in entry_nos])


# --- Recovery ----------------------------------------------------------------------------

RECOVER_TASK = "interactions.tasks.recover_queued_work"


@shared_task(name=RECOVER_TASK, ignore_result=True)
def recover_queued_work() -> dict[str, Any]:
    """Queue again the e-mails and purges that wait in the database for a task that never
    came (the broker was down or lost it, a worker died)."""
    from .services.recovery import recover_queued_work

    return recover_queued_work()


@worker_ready.connect
def recover_when_a_worker_starts(sender, **kwargs) -> None:
    """A worker that starts (after a crash, a deployment) sweeps once, on a queue it reads."""
    queues = list(sender.app.amqp.queues.consume_from or ())
    sender.app.send_task(RECOVER_TASK, ignore_result=True, retry=False, **({"queue": queues[0]} if queues else {}))


# --- Webhooks ----------------------------------------------------------------------------
# The services announce an event by writing a delivery per subscription and queue this when
# their transaction commits; the webhook service posts, logs the attempt and says when to
# try again.


@shared_task(
    bind=True,
    name="interactions.tasks.deliver_webhook",
    # Acknowledged when done: a task whose worker died is delivered again (at least once;
    # the payload's id lets the receiver ignore a repeat).
    acks_late=True,
    reject_on_worker_lost=True,
    # Retries are counted against the setting by the webhook service itself.
    max_retries=None,
)
def deliver_webhook(self, delivery_id: int) -> str:
    """Deliver webhook delivery `delivery_id` (one attempt), retried with backoff while it
    fails. Returns its status: "succeeded", "retrying", "failed" or "abandoned"."""
    from .services.webhooks import attempt_delivery

    outcome = attempt_delivery(delivery_id=delivery_id, can_retry=not self.request.is_eager)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


# --- Excel exports of the log ------------------------------------------------------------


@shared_task(name="interactions.tasks.build_log_export", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def build_log_export(export_id: str) -> None:
    """Build the Excel file of LogExport `export_id`: the log filtered by the export's
    filters (the log page's filter form, in the language the user asked in)."""
    from django.utils import translation

    from .filters import InteractionLogFilter
    from .models import LogExport
    from .selectors.log import log_entries
    from .services.log_exports import build_log_export

    export = LogExport.objects.filter(pk=export_id).first()
    if export is None:
        return
    with translation.override(export.language or None):
        filterset = InteractionLogFilter(export.filters or None, queryset=log_entries())
        if filterset.is_bound and not filterset.is_valid():
            build_log_export(
                export_id=export_id,
                entries=None,
                error=translation.gettext("The filter no longer holds (something it names is gone): %(errors)s")
                % {"errors": "; ".join(str(error) for errors in filterset.errors.values() for error in errors)},
            )
            return
        build_log_export(export_id=export_id, entries=filterset.qs)


@shared_task(name="interactions.tasks.delete_expired_log_exports", ignore_result=True)
def delete_expired_log_exports() -> int:
    """Delete the Excel exports past INTERACTIONS_EXPORT_RETENTION_HOURS (celery beat, hourly)."""
    from .services.log_exports import delete_expired_log_exports

    return delete_expired_log_exports()


# --- E-mail capture ------------------------------------------------------------------------
# celery beat queues one reading per active mailbox every INTERACTIONS_MAIL_CAPTURE_INTERVAL
# minutes; a reading holds the mailbox's lease (two workers never read one mailbox at once).


@shared_task(name="interactions.tasks.capture_mailboxes", ignore_result=True)
def capture_mailboxes() -> list[int]:
    """Queue a reading of every active mailbox that is not being read now."""
    from .services.mail_capture.mailboxes import queue_due_mailboxes

    return queue_due_mailboxes()


@shared_task(
    name="interactions.tasks.capture_mailbox",
    # Acknowledged when done: a reading whose worker died is delivered again and goes on
    # (what committed is only moved on); the lease keeps a second reader out meanwhile.
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def capture_mailbox(mailbox_id: int) -> dict[str, Any]:
    """Read mailbox `mailbox_id` once. Returns the run's figures, or {"busy": True} when
    another reader holds the mailbox."""
    from .services.mail_capture.runs import MailboxBusy, read_mailbox

    try:
        result = read_mailbox(mailbox_id=mailbox_id)
    except MailboxBusy:
        return {"busy": True}
    return {
        "run": result.run_id,
        "state": result.state,
        "read": result.read,
        "logged": result.logged,
        "skipped": result.skipped,
        "error": result.error,
    }
