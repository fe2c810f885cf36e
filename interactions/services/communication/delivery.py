"""Delivery of e-mails by the Celery tasks interactions.tasks.deliver_email and
deliver_unrecorded_email: the steps they run, with their retries.

The e-mail services (emails.py) record the entry ("in progress") and queue the task when
that transaction commits; the task calls `deliver_entry_email`, which sends the stored
message through Django's e-mail backend and reports back through the e-mail services:

- A refused or unreachable server (or a database gone away) is tried again with
  exponential backoff: INTERACTIONS_EMAIL_RETRY_BACKOFF seconds, doubling, at most an hour
  apart, INTERACTIONS_EMAIL_MAX_RETRIES times; on a worker by the task's retry (the worker
  is free meanwhile), in-process (no broker) at once, as there is no worker to come back.
- After the last try, or at once for a permanent refusal (a 5xx answer, nothing to send),
  the entry shows "error" with the reason; "resend" starts over.
- A task sends only after claiming the entry ("in progress" -> "sending", one conditional
  UPDATE), and every change of its status is one UPDATE conditioned on the status it
  changes: of two tasks for one entry (resend clicks, a redelivered task, the recovery
  sweep's) only one sends; a task whose worker died while sending leaves a claim that goes
  stale after INTERACTIONS_EMAIL_SENDING_TIMEOUT, so it is sent at least once, never lost,
  and a late task never overwrites a resend.
"""

import logging
import smtplib
from collections.abc import Callable
from typing import Any

from celery.app.task import Task
from celery.utils.time import get_exponential_backoff_interval
from django.db import DatabaseError, InterfaceError, OperationalError

from ... import conf
from .. import webhooks
from . import emails

logger = logging.getLogger(__name__)

# The failures that may pass: tried again until the retries are used up.
EMAIL_RETRY_ON = (smtplib.SMTPException, OSError, OperationalError, InterfaceError)


def retry_countdown(retries: int) -> float:
    """Seconds before retry number `retries` + 1."""
    return get_exponential_backoff_interval(
        factor=conf.settings.EMAIL_RETRY_BACKOFF, retries=retries, maximum=3600, full_jitter=False
    )


def deliver_with_retries(
    *,
    task: Task,
    send: Callable[[], Any],
    give_up: Callable[[BaseException], None],
    before_retry: Callable[[float], None] | None = None,
) -> Any:
    """`send()`, tried again with exponential backoff while the failure may pass; after
    the last try, or at once for a permanent one, `give_up(failure)` and None.
    `before_retry(countdown)` is told when the next try is due.

    `task` is the bound Celery task that delivers: on a worker a retry is the task's
    (raised as its Retry), in-process it is tried again at once."""
    attempt = task.request.retries
    while True:
        try:
            return send()
        except EMAIL_RETRY_ON + (emails.UndeliverableEmail,) as failure:
            if attempt >= conf.settings.EMAIL_MAX_RETRIES or emails.is_permanent_failure(failure):
                give_up(failure)
                return None
            if not task.request.is_eager:
                countdown = retry_countdown(attempt)
                if before_retry is not None:
                    before_retry(countdown)
                raise task.retry(exc=failure, countdown=countdown) from failure
            # In-process (no broker) there is no worker to come back later: try again now.
            attempt += 1


def _postpone(*, entry_no: int, seconds: float) -> None:
    """The entry's next try is due in `seconds`; when the database is what failed, the retry
    goes ahead all the same (the sweep may queue one more task: the claim sends once)."""
    try:
        emails.postpone_delivery(entry_no=entry_no, seconds=seconds)
    except DatabaseError:
        logger.warning("Could not postpone the e-mail of interaction log entry %s", entry_no, exc_info=True)


def deliver_entry_email(*, task: Task, entry_no: int) -> str:
    """Deliver the stored e-mail of log entry `entry_no`. Returns "sent", "skipped" (not
    waiting for delivery any more) or "error" (given up; the entry says why)."""

    def give_up(failure: BaseException) -> None:
        if emails.record_delivery_failure(entry_no=entry_no, reason=emails.failure_reason(failure)):
            webhooks.announce_entries(webhooks.EMAIL_DELIVERY_FAILED, [entry_no])
        logger.warning("E-mail of interaction log entry %s not delivered: %s", entry_no, failure)

    sent = deliver_with_retries(
        task=task,
        send=lambda: emails.deliver_recorded_email(entry_no=entry_no),
        give_up=give_up,
        # The sweep leaves an e-mail waiting for its retry alone until the retry is due.
        before_retry=lambda countdown: _postpone(entry_no=entry_no, seconds=countdown),
    )
    if sent is None:
        return "error"
    return "sent" if sent else "skipped"


def deliver_unrecorded(*, task: Task, raw: bytes) -> str:
    """Deliver an e-mail that no log entry records (`raw`: the .eml). Returns "sent" or
    "error" (given up: the worker's log says why, there is no entry to show it on)."""

    def give_up(failure: BaseException) -> None:
        logger.error("An e-mail that no interaction records was not delivered: %s", failure)

    def send() -> bool:
        emails.deliver_unrecorded_email(raw=raw)
        return True

    return "sent" if deliver_with_retries(task=task, send=send, give_up=give_up) else "error"
