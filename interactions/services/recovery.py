"""The recovery sweep: what waits in the database for a task that never came is queued
again, so that a Redis that was down, a task it lost or a worker that died needs nobody to
press a button. Run by the task interactions.tasks.recover_queued_work, every
INTERACTIONS_RECOVERY_INTERVAL seconds (celery beat) and when a worker starts.

- E-mails still "in progress" past their due time and INTERACTIONS_EMAIL_REQUEUE_AFTER:
  their delivery is queued again (communication/emails.py). A task that turns up after all
  finds the entry claimed or delivered: one delivery.
- Purges whose next sign of life is overdue (stalled): a new run takes over
  (purge/runs.py), counting on from what the database deleted.
- E-mails of logged segments ("Deliver") likewise, in chunks (segment_delivery.py).
- Webhook deliveries still waiting past their due time and the same grace period: queued
  again (webhooks.py).

Safe to run at any time and in several processes at once: every takeover is a conditional
UPDATE, and what it queues is harmless twice.
"""

import logging
from typing import Any

from .communication.emails import requeue_overdue_emails
from .purge.runs import take_over_stalled_purges
from .segment_delivery import requeue_overdue_segment_emails
from .webhooks import requeue_overdue_deliveries

logger = logging.getLogger(__name__)


def recover_queued_work() -> dict[str, Any]:
    """Queue again what is overdue. Returns {"emails": [entry numbers], "segment_emails":
    [entry numbers], "purges": [ids], "webhooks": [delivery ids]}."""
    return {
        "emails": requeue_overdue_emails(),
        "segment_emails": requeue_overdue_segment_emails(),
        "purges": take_over_stalled_purges(),
        "webhooks": requeue_overdue_deliveries(),
    }
