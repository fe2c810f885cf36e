"""Webhooks: other systems are told, by a signed HTTP POST, when something happens in the log.

Subscriptions (administrators, MANAGE_WEBHOOKS): `subscribe`, `update_subscription`,
`rotate_secret`, `send_test_event`. A subscription names an address, the events it wants
(models.WebhookEvent) and a secret made here, shown once.

Events: the services that cause them call `announce(event, payload)` (or
`announce_entries`, `announce_purged`, `announce_logged_segment`), one line each. When the
caller's transaction commits (`transaction.on_commit`), and only when an active subscription
wants the event, one delivery row per subscription is written (the body is built then, from
the committed rows) and queued. So a rolled-back change announces nothing, the caller's
transaction holds no lock and runs no query for it, and the request that caused the event
never waits for a receiver: with a broker a worker delivers; without one (development) the
task runs in-process, one attempt, after the commit. Nothing here ever fails the caller: a
failure to announce or to queue is logged (a delivery that could not be queued stays
"pending").

Delivery (the task interactions.tasks.deliver_webhook, `attempt_delivery`): a POST of the
JSON body with a short timeout (INTERACTIONS_WEBHOOK_TIMEOUT), redirects not followed; a 2xx
answer is success. A failure is tried again by the worker with exponential backoff
(INTERACTIONS_WEBHOOK_RETRY_BACKOFF seconds, doubling, at most an hour apart,
INTERACTIONS_WEBHOOK_MAX_RETRIES times). Every attempt is a row of the delivery log. After
INTERACTIONS_WEBHOOK_DISABLE_AFTER consecutive failed attempts the subscription is disabled
and the administrators are told by e-mail; a success sets the count back to 0.

The body: {"id": <uuid, the same at every attempt>, "event": "entry.created", "occurred_at":
<ISO 8601>, "data": {...}}. The signature: header `X-CRM-Signature: t=<unix time>,v1=<hex>`,
v1 = HMAC-SHA256(secret, "<t>." + body); docs/webhook_receiver.py verifies it.
"""

import datetime
import functools
import hashlib
import hmac
import http.client
import json
import logging
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from celery.utils.time import get_exponential_backoff_interval
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.roles import ADMINISTRATOR

from .. import conf
from ..models import (
    TEST_EVENT,
    InteractionLogEntry,
    LoggedSegment,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from ..permissions import MANAGE_WEBHOOKS, require_permission
from .task_queue import BROKER_UNREACHABLE, queue_task

logger = logging.getLogger(__name__)

DELIVER_WEBHOOK_TASK = "interactions.tasks.deliver_webhook"
SIGNATURE_HEADER = "X-CRM-Signature"
# At most this many entries in one event; a larger change is announced in several.
ENTRIES_PER_EVENT = 500
# Of a receiver's answer only this much is read (and nothing of it is kept).
RESPONSE_READ_LIMIT = 64 * 1024
USER_AGENT = "CRM-Interactions-Webhooks/1"

Status = WebhookDelivery.Status

# The events, for the services that announce them (`webhooks.ENTRY_CREATED`).
ENTRY_CREATED = WebhookEvent.ENTRY_CREATED
ENTRY_CANCELED = WebhookEvent.ENTRY_CANCELED
ENTRY_RESTORED = WebhookEvent.ENTRY_RESTORED
ENTRY_PURGED = WebhookEvent.ENTRY_PURGED
SEGMENT_LOGGED = WebhookEvent.SEGMENT_LOGGED
SEGMENT_CANCELED = WebhookEvent.SEGMENT_CANCELED
SEGMENT_RESTORED = WebhookEvent.SEGMENT_RESTORED
EMAIL_DELIVERY_FAILED = WebhookEvent.EMAIL_DELIVERY_FAILED

# --- Signing -------------------------------------------------------------------------------


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """The X-CRM-Signature header's value for `body` sent at `timestamp` (Unix seconds)."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


# --- Subscriptions -------------------------------------------------------------------------


def _clean(*, description: str, url: str, events: Iterable[str]) -> tuple[str, str, list[str]]:
    errors: dict[str, str] = {}
    description = description.strip()
    url = url.strip()
    wanted = sorted(set(events))
    if not description:
        errors["description"] = _("Enter a description.")
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        errors["url"] = _("Enter an http:// or https:// address.")
    unknown = [event for event in wanted if event not in WebhookEvent.values]
    if unknown:
        errors["events"] = _("Unknown events: %(events)s.") % {"events": ", ".join(unknown)}
    elif not wanted:
        errors["events"] = _("Choose at least one event.")
    if errors:
        raise ValidationError(errors)
    return description, url, wanted


def subscribe(*, description: str, url: str, events: Iterable[str], user) -> WebhookSubscription:
    """A new, active subscription with a new secret (`.secret`: show it once)."""
    require_permission(user, MANAGE_WEBHOOKS)
    description, url, events = _clean(description=description, url=url, events=events)
    return WebhookSubscription.objects.create(
        description=description,
        url=url,
        events=events,
        secret=new_secret(),
        created_by=user if user is not None and user.is_authenticated else None,
    )


def update_subscription(
    *, subscription: WebhookSubscription, description: str, url: str, events: Iterable[str], active: bool, user
) -> WebhookSubscription:
    """Change the address, the events or the active flag; enabling it again starts the count
    of consecutive failures over."""
    require_permission(user, MANAGE_WEBHOOKS)
    description, url, events = _clean(description=description, url=url, events=events)
    values: dict[str, Any] = {"description": description, "url": url, "events": events, "active": active}
    if active and not subscription.active:
        values.update(consecutive_failures=0, disabled_at=None)
    WebhookSubscription.objects.filter(pk=subscription.pk).update(**values)
    subscription.refresh_from_db()
    return subscription


def disable_subscription(*, subscription: WebhookSubscription, user) -> None:
    require_permission(user, MANAGE_WEBHOOKS)
    WebhookSubscription.objects.filter(pk=subscription.pk).update(active=False)
    subscription.active = False


def rotate_secret(*, subscription: WebhookSubscription, user) -> str:
    """A new secret for the subscription, in force for the next attempt of every delivery;
    returns it (show it once)."""
    require_permission(user, MANAGE_WEBHOOKS)
    secret = new_secret()
    WebhookSubscription.objects.filter(pk=subscription.pk).update(secret=secret, secret_rotated_at=timezone.now())
    subscription.secret = secret
    return secret


def send_test_event(*, subscription: WebhookSubscription, user) -> WebhookDelivery:
    """Deliver a "webhook.test" event to the subscription (active or not), once, no retries;
    the delivery log shows the outcome."""
    require_permission(user, MANAGE_WEBHOOKS)
    data = {
        "message": "This is a test event sent from the CRM's webhook page.",
        "subscription": {"id": subscription.pk, "description": subscription.description},
    }
    [delivery] = _create_deliveries(event=TEST_EVENT, data=data, subscription_ids=[subscription.pk])
    return delivery


# --- Announcing ----------------------------------------------------------------------------


def announce(event: str, payload: dict[str, Any] | Callable[[], dict[str, Any]]) -> None:
    """Tell the subscriptions that want `event` (a WebhookEvent value) about it once the
    current transaction commits (at once outside one); nothing when it rolls back.
    `payload`: the event's "data", or a function that makes it, called after the commit and
    only when someone is subscribed. Costs the caller's transaction nothing, and never
    raises: a webhook must not slow down or fail the change that caused it."""
    transaction.on_commit(functools.partial(_announce_committed, event, payload), robust=True)


def _announce_committed(event: str, payload: dict[str, Any] | Callable[[], dict[str, Any]]) -> None:
    try:
        # One query of two columns per event, run for every entry recorded: plain values,
        # no model instances (most of its cost when nobody is subscribed).
        subscription_ids = [
            pk
            for pk, events in WebhookSubscription.objects.filter(active=True).values_list("pk", "events")
            if event in events
        ]
        if not subscription_ids:
            return
        with transaction.atomic():
            data = payload() if callable(payload) else payload
            _create_deliveries(event=event, data=data, subscription_ids=subscription_ids)
    except Exception:
        logger.exception("Could not announce the webhook event %s", event)


def announce_entries(event: str, entry_numbers: Iterable[int]) -> None:
    """Announce `event` for log entries: "data" is {"entries": [...]}, each entry as
    `entry_data` shows it (as committed), at most ENTRIES_PER_EVENT to an event."""
    numbers = sorted(set(entry_numbers))
    for start in range(0, len(numbers), ENTRIES_PER_EVENT):
        chunk = numbers[start : start + ENTRIES_PER_EVENT]
        announce(event, lambda chunk=chunk: {"entries": entry_data(chunk)})


def announce_purged(entry_numbers: Iterable[int]) -> None:
    """Announce entries deleted by a purge: "data" is {"entry_numbers": [...]} (what is left of
    them), at most ENTRIES_PER_EVENT to an event."""
    numbers = sorted(set(entry_numbers))
    for start in range(0, len(numbers), ENTRIES_PER_EVENT):
        announce(ENTRY_PURGED, {"entry_numbers": numbers[start : start + ENTRIES_PER_EVENT]})


def announce_logged_segment(logged_segment: LoggedSegment, *, entry_count: int, event: str = SEGMENT_LOGGED) -> None:
    """Announce a logged segment logged (or, with `event`, canceled or restored as a whole):
    "data" is {"logged_segment": {...}} with how many entries it logged or switched (they are
    not listed: a segment may log 100,000 of them)."""
    announce(
        event,
        lambda: {
            "logged_segment": {
                "id": logged_segment.pk,
                "segment_number": logged_segment.segment_number,
                "description": logged_segment.description,
                "created_at": logged_segment.created_at,
                "user": _code(logged_segment.user, "username"),
                "entry_count": entry_count,
            }
        },
    )


def entry_data(entry_numbers: list[int]) -> list[dict[str, Any]]:
    """Log entries as a webhook shows them, in the order of their numbers."""
    entries = (
        InteractionLogEntry.objects.filter(entry_no__in=entry_numbers)
        .select_related("contact", "contact_company", "template", "group", "salesperson", "campaign", "user")
        .order_by("entry_no")
    )
    return [_entry(entry) for entry in entries]


def _code(related, field: str) -> str | None:
    return getattr(related, field) if related is not None else None


def _entry(entry: InteractionLogEntry) -> dict[str, Any]:
    return {
        "entry_no": entry.entry_no,
        "url": entry.get_absolute_url(),
        "contact": {"number": entry.contact.number, "name": entry.contact.name},
        "company_number": _code(entry.contact_company, "number"),
        "date": entry.date,
        "time": entry.time,
        "description": entry.description,
        "subject": entry.subject,
        "information_flow": entry.information_flow,
        "initiated_by": entry.initiated_by,
        "template": _code(entry.template, "code"),
        "group": _code(entry.group, "code"),
        "language": entry.language,
        "cost": entry.cost,
        "duration": entry.duration,
        "user": _code(entry.user, "username"),
        "salesperson": _code(entry.salesperson, "code"),
        "campaign": _code(entry.campaign, "number"),
        "campaign_target": entry.campaign_target,
        "campaign_response": entry.campaign_response,
        "segment_number": entry.segment_number,
        "logged_segment": entry.logged_segment_id,
        "evaluation": entry.evaluation,
        "attempt_failed": entry.attempt_failed,
        "delivery_status": entry.delivery_status,
        "delivery_error": entry.delivery_error,
        "canceled": entry.canceled,
        "correspondence_type": entry.correspondence_type,
        "contact_via": entry.contact_via,
        "document_type": entry.document_type,
        "document_number": entry.document_number,
        "document_version": entry.document_version,
        "opportunity_number": entry.opportunity_number,
        "has_attachment": entry.attachment_id is not None,
        "created_at": entry.created_at,
    }


def _create_deliveries(*, event: str, data: dict[str, Any], subscription_ids: list[int]) -> list[WebhookDelivery]:
    payload_id = uuid.uuid4()
    now = timezone.now()
    body = json.dumps(
        {"id": str(payload_id), "event": event, "occurred_at": now, "data": data},
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                subscription_id=subscription_id,
                payload_id=payload_id,
                event=event,
                body=body,
                created_at=now,
                due_at=now,
            )
            for subscription_id in subscription_ids
        ]
    )
    ids = [delivery.pk for delivery in deliveries]
    if None in ids:  # a database without RETURNING on bulk inserts
        ids = list(WebhookDelivery.objects.filter(payload_id=payload_id).values_list("pk", flat=True))
    transaction.on_commit(lambda: queue_deliveries(ids), robust=True)
    return deliveries


def queue_deliveries(delivery_ids: Iterable[int]) -> int:
    """Hand the deliveries to the task queue; returns how many were queued. A broker that
    cannot be reached leaves the rest "pending" (logged)."""
    queued = 0
    for delivery_id in delivery_ids:
        try:
            queue_task(DELIVER_WEBHOOK_TASK, args=[delivery_id], queue=conf.settings.WEBHOOK_QUEUE)
        except BROKER_UNREACHABLE:
            logger.exception("The task queue is unreachable; webhook delivery %s stays pending", delivery_id)
            break
        except Exception:
            # Without a broker the delivery runs here: whatever it does, the caller goes on.
            logger.exception("Webhook delivery %s failed", delivery_id)
        queued += 1
    return queued


def requeue_overdue_deliveries(*, now: datetime.datetime | None = None) -> list[int]:
    """Queue again every delivery still waiting INTERACTIONS_EMAIL_REQUEUE_AFTER seconds past
    its due time (queued while the task queue could not be reached, or its task or retry
    lost with a worker). Returns their ids. Stops at the first failure to queue: the next
    sweep tries again. Deliveries are at least once: a task that turns up after all posts
    the same payload id again, which receivers are told to ignore."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=conf.settings.EMAIL_REQUEUE_AFTER)
    overdue = list(
        WebhookDelivery.objects.filter(status__in=(Status.PENDING, Status.RETRYING), due_at__lt=cutoff)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:1000]
    )
    requeued = []
    for delivery_id in overdue:
        # Due again now: the next sweep leaves it alone unless this queueing is lost too.
        WebhookDelivery.objects.filter(pk=delivery_id, due_at__lt=cutoff).update(due_at=now)
        if queue_deliveries([delivery_id]) == 0:
            WebhookDelivery.objects.filter(pk=delivery_id).update(due_at=cutoff - datetime.timedelta(seconds=1))
            break
        requeued.append(delivery_id)
    if requeued:
        logger.info("Queued again webhook deliveries %s", requeued)
    return requeued


# --- Delivering ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptOutcome:
    """Where a delivery stands after an attempt; `retry_in`: seconds until the next one."""

    status: str
    retry_in: float | None = None


def retry_countdown(retries: int) -> float:
    """Seconds before retry number `retries` + 1."""
    return get_exponential_backoff_interval(
        factor=conf.settings.WEBHOOK_RETRY_BACKOFF, retries=retries, maximum=3600, full_jitter=False
    )


def _post(*, url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int | None, str]:
    """POST `body`; the answer's status (None when there was none) and what went wrong."""
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = None
    try:
        connection = connection_class(parts.hostname or "", parts.port, timeout=timeout)
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(RESPONSE_READ_LIMIT)
    except (OSError, http.client.HTTPException, ValueError) as failure:
        return None, (f"{type(failure).__name__}: {failure}".strip())[:500]
    finally:
        if connection is not None:
            connection.close()
    if 200 <= response.status < 300:
        return response.status, ""
    return response.status, f"HTTP {response.status} {response.reason}"[:500]


def attempt_delivery(*, delivery_id: int, can_retry: bool) -> AttemptOutcome:
    """One attempt of delivery `delivery_id`, logged. `can_retry`: a worker can come back
    later (not so in-process). A delivery already finished is not sent again; one whose
    subscription is disabled (or deleted) is abandoned, except a test event."""
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None:
        return AttemptOutcome(Status.ABANDONED)
    if delivery.status not in (Status.PENDING, Status.RETRYING):
        return AttemptOutcome(delivery.status)
    subscription = delivery.subscription
    is_test = delivery.event == TEST_EVENT
    if not subscription.active and not is_test:
        _finish(delivery, Status.ABANDONED)
        return AttemptOutcome(Status.ABANDONED)

    number = delivery.attempts + 1
    body = delivery.body.encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-CRM-Event": delivery.event,
        "X-CRM-Delivery": str(delivery.payload_id),
        SIGNATURE_HEADER: signature(secret=subscription.secret, timestamp=timestamp, body=body),
    }
    started = time.monotonic()
    response_code, error = _post(
        url=subscription.url, body=body, headers=headers, timeout=conf.settings.WEBHOOK_TIMEOUT
    )
    duration_ms = round((time.monotonic() - started) * 1000)
    succeeded = not error
    WebhookAttempt.objects.create(
        delivery=delivery,
        subscription=subscription,
        event=delivery.event,
        payload_id=delivery.payload_id,
        number=number,
        succeeded=succeeded,
        response_code=response_code,
        duration_ms=duration_ms,
        error=error,
    )
    if succeeded:
        WebhookSubscription.objects.filter(pk=subscription.pk).exclude(consecutive_failures=0).update(
            consecutive_failures=0
        )
        _finish(delivery, Status.SUCCEEDED, attempts=number)
        return AttemptOutcome(Status.SUCCEEDED)

    still_active = _count_failure(subscription=subscription, error=error)
    if can_retry and not is_test and still_active and number <= conf.settings.WEBHOOK_MAX_RETRIES:
        retry_in = retry_countdown(number - 1)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=Status.RETRYING, attempts=number, due_at=timezone.now() + datetime.timedelta(seconds=retry_in)
        )
        return AttemptOutcome(Status.RETRYING, retry_in=retry_in)
    _finish(delivery, Status.FAILED, attempts=number)
    return AttemptOutcome(Status.FAILED)


def _finish(delivery: WebhookDelivery, status: str, *, attempts: int | None = None) -> None:
    values: dict[str, Any] = {"status": status, "finished_at": timezone.now()}
    if attempts is not None:
        values["attempts"] = attempts
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**values)


def _count_failure(*, subscription: WebhookSubscription, error: str) -> bool:
    """Count a failed attempt; disable the subscription (and tell the administrators) at
    the limit. Returns whether it is still active."""
    rows = WebhookSubscription.objects.filter(pk=subscription.pk)
    rows.update(consecutive_failures=F("consecutive_failures") + 1)
    counted = rows.values_list("consecutive_failures", "active").first()
    if counted is None:  # deleted meanwhile
        return False
    failures, active = counted
    if active and failures >= conf.settings.WEBHOOK_DISABLE_AFTER:
        # Conditioned on `active`: of two workers failing at once, one disables and writes.
        if rows.filter(active=True).update(active=False, disabled_at=timezone.now()):
            subscription.refresh_from_db()
            _tell_administrators(subscription=subscription, error=error)
        return False
    return active


def _tell_administrators(*, subscription: WebhookSubscription, error: str) -> None:
    recipients = list(
        get_user_model()
        .objects.filter(groups__name=ADMINISTRATOR, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    logger.warning(
        "Webhook subscription %s (%s) disabled after %s consecutive failures",
        subscription.pk,
        subscription.url,
        subscription.consecutive_failures,
    )
    if not recipients:
        return
    subject = _("Webhook disabled: %(description)s") % {"description": subscription.description}
    message = _(
        "The webhook subscription “%(description)s” (%(url)s) has been disabled after %(count)s "
        "consecutive failed deliveries.\n\nLast error: %(error)s\n\n"
        "Once the receiver works again, enable the subscription on its page: %(page)s"
    ) % {
        "description": subscription.description,
        "url": subscription.url,
        "count": subscription.consecutive_failures,
        "error": error,
        "page": reverse("interactions:webhook-detail", args=[subscription.pk]),
    }
    try:
        send_mail(subject, message, None, recipients)
    except Exception:
        logger.exception("Could not tell the administrators that webhook %s was disabled", subscription.pk)
