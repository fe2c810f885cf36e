"""Webhook deliveries to a real HTTP server (webhook_support.Receiver), with tasks run
in-process as without a broker: what is sent (signed JSON with an id, the event, its time
and the entries), which events are announced and when (after the commit, never for a
rolled-back change), failures (500, timeouts, a receiver that is down) logged and counted,
the retry schedule, disabling after consecutive failures with an e-mail to the
administrators, and the request that caused an event succeeding whatever the receiver does.

The real Celery worker's retries: test_webhook_worker.py."""

import datetime
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from interactions.models import InteractionLogEntry, WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription
from interactions.services import log_entries, webhooks
from interactions.services.purge.service import purge_canceled_interactions
from interactions.services.recording import InteractionDetails, record_interaction
from interactions.services.segments import log_segment

from .email_support import closed_port
from .factories import (
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    PersonFactory,
    SalespersonFactory,
    SegmentFactory,
    SegmentLineFactory,
    UserFactory,
)
from .webhook_support import HANG, Receiver

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]

Status = WebhookDelivery.Status


@pytest.fixture(autouse=True)
def short_timeout(settings):
    settings.INTERACTIONS_WEBHOOK_TIMEOUT = 0.5


@pytest.fixture
def receiver():
    with Receiver().running() as running:
        yield running


@pytest.fixture
def subscribe(receiver):
    def make(*events: str, url: str | None = None) -> WebhookSubscription:
        subscription = webhooks.subscribe(
            description="Shop", url=url or receiver.url, events=events or WebhookEvent.values, user=None
        )
        receiver.secret = subscription.secret
        return subscription

    return make


def record(description: str = "Visit about the spring order") -> InteractionLogEntry:
    contact = PersonFactory(name="Anna Petrova")
    return record_interaction(
        details=InteractionDetails(
            contact=contact,
            template=InteractionTemplateFactory(code="VISIT"),
            salesperson=SalespersonFactory(code="JO"),
            date=datetime.date(2026, 3, 2),
            description=description,
        ),
        user=None,
    )


def attempts(subscription) -> list[tuple]:
    return list(
        WebhookAttempt.objects.filter(subscription=subscription)
        .order_by("pk")
        .values_list("number", "succeeded", "response_code")
    )


# --- What is sent ----------------------------------------------------------------------


def test_a_recorded_interaction_is_posted_signed_with_the_subscriptions_secret(
    subscribe, receiver, django_capture_on_commit_callbacks
):
    subscription = subscribe(WebhookEvent.ENTRY_CREATED)
    with django_capture_on_commit_callbacks(execute=True):
        entry = record()

    [request] = receiver.wait_for(1)
    assert request.signature_valid
    assert request.path == "/hooks/crm"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-CRM-Event"] == "entry.created"
    body = request.json
    assert set(body) == {"id", "event", "occurred_at", "data"}
    assert body["event"] == "entry.created"
    assert request.headers["X-CRM-Delivery"] == body["id"] and uuid.UUID(body["id"])
    assert abs(datetime.datetime.fromisoformat(body["occurred_at"]) - timezone.now()) < datetime.timedelta(minutes=5)
    [sent] = body["data"]["entries"]
    assert sent["entry_no"] == entry.entry_no
    assert sent["contact"] == {"number": entry.contact.number, "name": "Anna Petrova"}
    assert sent["description"] == "Visit about the spring order"
    assert sent["template"] == "VISIT" and sent["salesperson"] == "JO" and sent["date"] == "2026-03-02"
    assert sent["canceled"] is False
    assert attempts(subscription) == [(1, True, 204)]
    assert WebhookDelivery.objects.get().status == Status.SUCCEEDED


def test_a_signature_made_with_another_secret_does_not_verify(subscribe, receiver, django_capture_on_commit_callbacks):
    subscribe(WebhookEvent.ENTRY_CREATED)
    receiver.secret = "whsec_not-the-subscriptions"
    with django_capture_on_commit_callbacks(execute=True):
        record()
    [request] = receiver.wait_for(1)
    assert not request.signature_valid


def test_after_rotating_the_secret_deliveries_are_signed_with_the_new_one(
    subscribe, receiver, django_capture_on_commit_callbacks
):
    subscription = subscribe(WebhookEvent.ENTRY_CREATED)
    old = subscription.secret
    new = webhooks.rotate_secret(subscription=subscription, user=None)
    assert new != old and new.startswith("whsec_")
    receiver.secret = new
    with django_capture_on_commit_callbacks(execute=True):
        record()
    [request] = receiver.wait_for(1)
    assert request.signature_valid


def test_only_the_chosen_events_of_active_subscriptions_are_sent(
    subscribe, receiver, django_capture_on_commit_callbacks
):
    subscribe(WebhookEvent.ENTRY_CANCELED)
    disabled = subscribe(WebhookEvent.ENTRY_CREATED)
    webhooks.disable_subscription(subscription=disabled, user=None)
    with django_capture_on_commit_callbacks(execute=True):
        entry = record()
    assert not WebhookDelivery.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        log_entries.cancel_entries(entry_numbers=[entry.entry_no], user=None)
    [request] = receiver.wait_for(1)
    assert request.json["event"] == "entry.canceled"
    assert [sent["entry_no"] for sent in request.json["data"]["entries"]] == [entry.entry_no]
    assert request.json["data"]["entries"][0]["canceled"] is True


def test_canceling_restoring_and_purging_are_announced(subscribe, receiver, django_capture_on_commit_callbacks):
    subscribe(WebhookEvent.ENTRY_CANCELED, WebhookEvent.ENTRY_RESTORED, WebhookEvent.ENTRY_PURGED)
    first, second = InteractionLogEntryFactory.create_batch(2)
    numbers = sorted([first.entry_no, second.entry_no])
    with django_capture_on_commit_callbacks(execute=True):
        log_entries.cancel_entries(entry_numbers=numbers, user=None)
    with django_capture_on_commit_callbacks(execute=True):
        log_entries.restore_entries(entry_numbers=[first.entry_no], user=None)
    with django_capture_on_commit_callbacks(execute=True):
        purge_canceled_interactions(user=None)

    canceled, restored, purged = (request.json for request in receiver.wait_for(3))
    assert canceled["event"] == "entry.canceled"
    assert [entry["entry_no"] for entry in canceled["data"]["entries"]] == numbers
    assert restored["event"] == "entry.restored"
    assert [entry["entry_no"] for entry in restored["data"]["entries"]] == [first.entry_no]
    assert purged["event"] == "entry.purged" and purged["data"] == {"entry_numbers": [second.entry_no]}
    assert len({canceled["id"], restored["id"], purged["id"]}) == 3


def test_logging_a_segment_is_announced_once_with_its_entry_count(
    subscribe, receiver, django_capture_on_commit_callbacks
):
    subscribe(WebhookEvent.SEGMENT_LOGGED, WebhookEvent.ENTRY_CREATED)
    segment = SegmentFactory(description="Spring mailing", template=InteractionTemplateFactory())
    for _index in range(3):
        SegmentLineFactory(segment=segment)
    with django_capture_on_commit_callbacks(execute=True):
        result = log_segment(segment=segment, user=None)

    [request] = receiver.wait_for(1)
    assert request.json["event"] == "segment.logged"
    logged = request.json["data"]["logged_segment"]
    assert logged["id"] == result.logged_segment.pk
    assert logged["segment_number"] == segment.number and logged["entry_count"] == 3
    assert logged["description"] == "Spring mailing"


def test_canceling_and_restoring_a_logged_segment_is_announced_once_each_with_its_entry_count(
    subscribe, receiver, django_capture_on_commit_callbacks
):
    from interactions.services.segments import set_logged_segment_canceled

    segment = SegmentFactory(description="Autumn mailing", template=InteractionTemplateFactory())
    for _index in range(3):
        SegmentLineFactory(segment=segment)
    logged = log_segment(segment=segment, user=None).logged_segment
    subscribe(WebhookEvent.SEGMENT_CANCELED, WebhookEvent.SEGMENT_RESTORED)

    with django_capture_on_commit_callbacks(execute=True):
        set_logged_segment_canceled(logged_segment=logged, canceled=True, user=None)
    with django_capture_on_commit_callbacks(execute=True):
        set_logged_segment_canceled(logged_segment=logged, canceled=True, user=None)  # already: nothing
    with django_capture_on_commit_callbacks(execute=True):
        set_logged_segment_canceled(logged_segment=logged, canceled=False, user=None)

    requests = receiver.wait_for(2)
    assert [request.json["event"] for request in requests] == ["segment.canceled", "segment.restored"]
    for request in requests:
        data = request.json["data"]["logged_segment"]
        assert data["id"] == logged.pk and data["entry_count"] == 3


def test_a_failed_email_delivery_is_announced(subscribe, receiver, settings, django_capture_on_commit_callbacks):
    from interactions.services.communication.emails import send_email

    from .email_support import set_up_templates

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 5
    settings.INTERACTIONS_EMAIL_MAX_RETRIES = 0
    subscribe(WebhookEvent.EMAIL_DELIVERY_FAILED)
    set_up_templates()
    contact = PersonFactory(email="anna@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        result = send_email(contact=contact, subject="Price list", body="Dear Anna", attachments=[], user=None)

    [request] = receiver.wait_for(1)
    assert request.json["event"] == "email.delivery_failed"
    [sent] = request.json["data"]["entries"]
    assert sent["entry_no"] == result.entry.entry_no
    assert sent["delivery_status"] == "error" and "refused" in sent["delivery_error"].lower()


def test_every_subscription_gets_the_same_payload_id(subscribe, receiver, django_capture_on_commit_callbacks):
    subscribe(WebhookEvent.ENTRY_CREATED)
    subscribe(WebhookEvent.ENTRY_CREATED)
    with django_capture_on_commit_callbacks(execute=True):
        record()
    first, second = receiver.wait_for(2)
    assert first.json["id"] == second.json["id"] and first.body == second.body


# --- After the commit, never for a rolled-back change ----------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_announces_nothing(subscribe, receiver):
    subscribe(WebhookEvent.ENTRY_CREATED)
    with pytest.raises(RuntimeError), transaction.atomic():
        record()
        raise RuntimeError("the request failed after recording")

    assert not InteractionLogEntry.objects.exists()
    assert not WebhookDelivery.objects.exists()
    # Something announced afterwards arrives alone: nothing of the rolled-back one was waiting.
    entry = record(description="Committed")
    [request] = receiver.wait_for(1)
    assert [sent["entry_no"] for sent in request.json["data"]["entries"]] == [entry.entry_no]


def test_nothing_is_sent_before_the_transaction_commits(subscribe, receiver, django_capture_on_commit_callbacks):
    subscribe(WebhookEvent.ENTRY_CREATED)
    with django_capture_on_commit_callbacks(execute=False) as callbacks, CaptureQueriesContext(connection) as queries:
        record()
    # Nothing in the transaction: not even a query for the subscriptions.
    assert receiver.received == [] and not WebhookDelivery.objects.exists()
    assert not any("webhook" in query["sql"] for query in queries.captured_queries)
    with django_capture_on_commit_callbacks(execute=True):  # the commit
        for callback in callbacks:
            callback()
    receiver.wait_for(1)
    assert WebhookDelivery.objects.get().status == Status.SUCCEEDED


# --- Failures, retries, disabling ------------------------------------------------------


def test_a_500_answer_is_a_failed_attempt_in_the_log(subscribe, receiver, django_capture_on_commit_callbacks):
    subscription = subscribe(WebhookEvent.ENTRY_CREATED)
    receiver.default = 500
    with django_capture_on_commit_callbacks(execute=True):
        record()
    receiver.wait_for(1)
    attempt = WebhookAttempt.objects.get()
    assert (attempt.number, attempt.succeeded, attempt.response_code) == (1, False, 500)
    assert attempt.error.startswith("HTTP 500") and attempt.event == "entry.created"
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 1 and subscription.active
    # In-process there is no worker to come back later: one attempt, then failed.
    assert WebhookDelivery.objects.get().status == Status.FAILED


def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(
    subscribe, receiver, django_capture_on_commit_callbacks
):
    subscribe(WebhookEvent.ENTRY_CREATED)
    receiver.answers.append(HANG)
    with django_capture_on_commit_callbacks(execute=True):
        record()
    attempt = WebhookAttempt.objects.get()
    assert not attempt.succeeded and attempt.response_code is None
    assert "timed out" in attempt.error
    assert attempt.duration_ms >= 500


def test_a_receiver_that_is_down_is_a_failed_attempt(subscribe, django_capture_on_commit_callbacks):
    subscribe(WebhookEvent.ENTRY_CREATED, url=f"http://127.0.0.1:{closed_port()}/hooks")
    with django_capture_on_commit_callbacks(execute=True):
        record()
    attempt = WebhookAttempt.objects.get()
    assert not attempt.succeeded and "Connection refused" in attempt.error


def test_a_failing_delivery_is_retried_with_exponential_backoff_then_given_up(subscribe, receiver, settings):
    settings.INTERACTIONS_WEBHOOK_MAX_RETRIES = 3
    settings.INTERACTIONS_WEBHOOK_RETRY_BACKOFF = 30
    subscription = subscribe(WebhookEvent.ENTRY_CANCELED)
    receiver.default = 503
    [delivery] = webhooks._create_deliveries(
        event=WebhookEvent.ENTRY_CANCELED, data={"entries": []}, subscription_ids=[subscription.pk]
    )
    # What a worker does: an attempt, then the retry the outcome asks for.
    outcomes = [webhooks.attempt_delivery(delivery_id=delivery.pk, can_retry=True) for _attempt in range(4)]

    assert [(outcome.status, outcome.retry_in) for outcome in outcomes] == [
        (Status.RETRYING, 30),
        (Status.RETRYING, 60),
        (Status.RETRYING, 120),
        (Status.FAILED, None),
    ]
    assert attempts(subscription) == [(1, False, 503), (2, False, 503), (3, False, 503), (4, False, 503)]
    assert len({request.json["id"] for request in receiver.wait_for(4)}) == 1
    # A task delivered again after the end sends nothing more.
    assert webhooks.attempt_delivery(delivery_id=delivery.pk, can_retry=True).status == Status.FAILED
    assert len(receiver.received) == 4


def test_a_retry_that_succeeds_ends_the_delivery_and_resets_the_failures(subscribe, receiver):
    subscription = subscribe(WebhookEvent.ENTRY_CANCELED)
    receiver.answers.extend([500, 500])
    [delivery] = webhooks._create_deliveries(
        event=WebhookEvent.ENTRY_CANCELED, data={"entries": []}, subscription_ids=[subscription.pk]
    )
    for _attempt in range(3):
        outcome = webhooks.attempt_delivery(delivery_id=delivery.pk, can_retry=True)
    assert outcome.status == Status.SUCCEEDED
    assert attempts(subscription) == [(1, False, 500), (2, False, 500), (3, True, 204)]
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0


def test_twenty_consecutive_failures_disable_the_subscription_and_tell_the_administrators(
    subscribe, receiver, django_capture_on_commit_callbacks
):
    UserFactory(username="boss", email="boss@example.com", groups=["Administrator"])
    UserFactory(username="seller", email="seller@example.com", groups=["Sales staff"])
    subscription = subscribe(WebhookEvent.ENTRY_CANCELED)
    receiver.default = 500
    for number in range(1, 21):
        with django_capture_on_commit_callbacks(execute=True):
            webhooks.announce(WebhookEvent.ENTRY_CANCELED, {"entries": [{"entry_no": number}]})
        subscription.refresh_from_db()
        if number < 20:
            assert subscription.active and subscription.consecutive_failures == number
            assert mail.outbox == []

    assert not subscription.active and subscription.disabled_at is not None
    [message] = mail.outbox
    assert message.to == ["boss@example.com"]
    assert "Webhook disabled: Shop" in message.subject
    assert receiver.url in message.body and "20 consecutive failed deliveries" in message.body
    assert "HTTP 500" in message.body

    # Disabled, it is sent nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.announce(WebhookEvent.ENTRY_CANCELED, {"entries": []})
    assert len(receiver.received) == 20 and WebhookDelivery.objects.count() == 20


def test_a_success_starts_the_count_of_consecutive_failures_over(
    subscribe, receiver, settings, django_capture_on_commit_callbacks
):
    settings.INTERACTIONS_WEBHOOK_DISABLE_AFTER = 3
    subscription = subscribe(WebhookEvent.ENTRY_CANCELED)
    receiver.answers.extend([500, 500, 204, 500, 500])
    for _event in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            webhooks.announce(WebhookEvent.ENTRY_CANCELED, {"entries": []})
    subscription.refresh_from_db()
    assert subscription.active and subscription.consecutive_failures == 2


def test_a_pending_retry_of_a_disabled_subscription_is_abandoned(subscribe, receiver):
    subscription = subscribe(WebhookEvent.ENTRY_CANCELED)
    [delivery] = webhooks._create_deliveries(
        event=WebhookEvent.ENTRY_CANCELED, data={"entries": []}, subscription_ids=[subscription.pk]
    )
    webhooks.disable_subscription(subscription=subscription, user=None)
    assert webhooks.attempt_delivery(delivery_id=delivery.pk, can_retry=True).status == Status.ABANDONED
    assert receiver.received == []


# --- The request that caused the event -------------------------------------------------


def manager_client() -> Client:
    # Permissions given directly: transactional tests flush the groups.
    user = UserFactory()
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["cancel_interactionlogentry", "view_interactionlogentry"])
    )
    client = Client()
    client.force_login(user)
    return client


def cancel_on_the_page(entry) -> object:
    return manager_client().post(
        reverse("interactions:log-actions"),
        {"action": "cancel", "entry": [entry.pk], "confirmed": "on", "next": "/interactions/log/"},
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("receiver_does", ["answer 500", "hang", "refuse connections"])
def test_the_request_that_caused_the_event_succeeds_whatever_the_receiver_does(subscribe, receiver, receiver_does):
    if receiver_does == "refuse connections":
        subscribe(WebhookEvent.ENTRY_CANCELED, url=f"http://127.0.0.1:{closed_port()}/")
    else:
        subscribe(WebhookEvent.ENTRY_CANCELED)
        receiver.default = 500 if receiver_does == "answer 500" else HANG
    entry = InteractionLogEntryFactory()

    response = cancel_on_the_page(entry)

    assert response.status_code == 302 and response["Location"] == "/interactions/log/"
    assert InteractionLogEntry.objects.get(pk=entry.pk).canceled
    assert not WebhookAttempt.objects.get().succeeded


@pytest.mark.django_db(transaction=True)
def test_the_request_succeeds_when_the_task_queue_is_unreachable_and_the_delivery_waits(
    subscribe, receiver, broker_down
):
    subscribe(WebhookEvent.ENTRY_CANCELED)
    entry = InteractionLogEntryFactory()

    response = cancel_on_the_page(entry)

    assert response.status_code == 302
    assert InteractionLogEntry.objects.get(pk=entry.pk).canceled
    assert WebhookDelivery.objects.get().status == Status.PENDING
    assert receiver.received == []


@pytest.mark.django_db(transaction=True)
def test_a_failure_to_announce_does_not_fail_the_change(subscribe, receiver, monkeypatch):
    subscribe(WebhookEvent.ENTRY_CANCELED)

    def broken(_numbers):
        raise ValueError("a bug in the payload")

    monkeypatch.setattr(webhooks, "entry_data", broken)
    entry = InteractionLogEntryFactory()

    assert cancel_on_the_page(entry).status_code == 302
    assert InteractionLogEntry.objects.get(pk=entry.pk).canceled
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_delivery_left_pending_by_a_dead_queue_is_sent_by_the_recovery_sweep(subscribe, receiver, broker_down):
    from crm.celery import app
    from interactions.services.recovery import recover_queued_work

    subscribe(WebhookEvent.ENTRY_CANCELED)
    entry = InteractionLogEntryFactory()
    assert cancel_on_the_page(entry).status_code == 302
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.PENDING

    # Not yet overdue: the sweep leaves it to the task that may still come.
    assert recover_queued_work()["webhooks"] == []
    later = timezone.now() + datetime.timedelta(minutes=5)
    # Still down: it stays pending, and due, for the next sweep.
    assert webhooks.requeue_overdue_deliveries(now=later) == []
    assert WebhookDelivery.objects.get().status == Status.PENDING

    app.conf.task_always_eager = True  # the queue is back (tasks run here)
    assert webhooks.requeue_overdue_deliveries(now=later) == [delivery.pk]

    assert WebhookDelivery.objects.get().status == Status.SUCCEEDED
    assert [request.json["event"] for request in receiver.received] == ["entry.canceled"]
