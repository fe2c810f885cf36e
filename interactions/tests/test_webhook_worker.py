"""Webhooks delivered by a real Celery worker with the Redis broker (not in-process), against
the test PostgreSQL database, to a real HTTP receiver: the page that caused the event answers
while the worker is still waiting for the receiver, the worker's request is signed, and a
failing receiver is tried again with backoff until it answers.

Skipped on SQLite without Redis; required in CI (REQUIRE_SERVICES=1)."""

from pathlib import Path

import pytest
import redis
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from crm.celery import app
from interactions.models import InteractionLogEntry, WebhookAttempt, WebhookDelivery, WebhookEvent
from interactions.services import webhooks

from .celery_workers import Workers, wait_until
from .factories import InteractionLogEntryFactory, UserFactory
from .webhook_support import HANG, Receiver

# Workers see only committed rows, hence transactional tests.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql, pytest.mark.redis]

Status = WebhookDelivery.Status


@pytest.fixture
def webhook_workers(postgresql, redis_broker, tmp_path, settings):
    saved_eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    started = Workers(
        broker_url=redis_broker, log_dir=tmp_path, media_root=Path(settings.MEDIA_ROOT), queue_prefix="webhook-test"
    )
    settings.INTERACTIONS_WEBHOOK_QUEUE = started.queue
    yield started
    started.stop_all()
    app.conf.task_always_eager = saved_eager
    started.forget_queue(redis.Redis.from_url(redis_broker))
    print(started.logs())  # pytest shows it when the test failed


@pytest.fixture
def receiver():
    with Receiver().running() as running:
        yield running


def subscribe(receiver: Receiver):
    subscription = webhooks.subscribe(
        description="Shop", url=receiver.url, events=[WebhookEvent.ENTRY_CANCELED], user=None
    )
    receiver.secret = subscription.secret
    return subscription


def cancel_on_the_page(entry) -> object:
    # Permissions given directly: transactional tests flush the groups.
    user = UserFactory()
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["cancel_interactionlogentry", "view_interactionlogentry"])
    )
    client = Client()
    client.force_login(user)
    return client.post(
        reverse("interactions:log-actions"),
        {"action": "cancel", "entry": [entry.pk], "confirmed": "on", "next": "/interactions/log/"},
    )


def delivery_status() -> str:
    return WebhookDelivery.objects.values_list("status", flat=True).get()


def test_the_page_answers_while_the_worker_still_waits_for_the_receiver(webhook_workers, receiver):
    webhook_workers.start(INTERACTIONS_WEBHOOK_TIMEOUT="30")
    subscription = subscribe(receiver)
    receiver.answers.append(HANG)
    entry = InteractionLogEntryFactory()

    response = cancel_on_the_page(entry)

    assert response.status_code == 302
    assert InteractionLogEntry.objects.get(pk=entry.pk).canceled
    # The worker's request has reached the receiver, which holds it: the page did not wait.
    wait_until(receiver.hanging.is_set, what="the worker's request reaches the receiver")
    assert delivery_status() == Status.PENDING
    receiver.released.set()
    wait_until(lambda: delivery_status() == Status.SUCCEEDED, what="the worker records the delivery")
    [request] = receiver.received
    assert request.signature_valid and request.json["event"] == "entry.canceled"
    assert [sent["entry_no"] for sent in request.json["data"]["entries"]] == [entry.entry_no]
    assert list(WebhookAttempt.objects.filter(subscription=subscription).values_list("number", "succeeded")) == [
        (1, True)
    ]


def test_the_worker_retries_a_failing_receiver_with_backoff_until_it_answers(webhook_workers, receiver):
    webhook_workers.start(INTERACTIONS_WEBHOOK_MAX_RETRIES="3", INTERACTIONS_WEBHOOK_RETRY_BACKOFF="0.2")
    subscription = subscribe(receiver)
    receiver.answers.extend([500, 503])

    assert cancel_on_the_page(InteractionLogEntryFactory()).status_code == 302

    wait_until(lambda: delivery_status() == Status.SUCCEEDED, what="the worker delivers after two retries")
    attempts = WebhookAttempt.objects.filter(subscription=subscription).order_by("number")
    assert [(a.number, a.succeeded, a.response_code) for a in attempts] == [
        (1, False, 500),
        (2, False, 503),
        (3, True, 204),
    ]
    # The same event each time, signed anew each time.
    assert len({request.json["id"] for request in receiver.received}) == 1
    assert all(request.signature_valid for request in receiver.received)
    # Retried by the worker, after the backoff (0.2 s, then 0.4 s).
    logs = webhook_workers.logs()
    assert logs.count("Retry in") == 2 and "Retry in 0.2s" in logs and "Retry in 0.4s" in logs
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0
