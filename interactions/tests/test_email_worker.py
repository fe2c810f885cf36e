"""The e-mail task on a real Celery worker with the Redis broker (not eager), against the
test PostgreSQL database: the page queues it when the entry is committed, the worker sends
through the e-mail backend its own environment configures (a file backend, or an SMTP
server that refuses), retries with backoff, records "error", and "resend" delivers.

Skipped on SQLite without Redis; required in CI (REQUIRE_SERVICES=1)."""

from pathlib import Path

import pytest
import redis
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client
from django.urls import reverse

from crm.celery import app
from interactions.models import DeliveryStatus, InteractionLogEntry
from interactions.tasks import deliver_email

from .celery_workers import Workers, wait_until
from .email_support import SmtpSink, closed_port, set_up_templates
from .factories import PersonFactory, UserFactory

# Workers see only committed rows, hence transactional tests.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql, pytest.mark.redis]


@pytest.fixture
def email_workers(postgresql, redis_broker, tmp_path, settings):
    saved_eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    started = Workers(
        broker_url=redis_broker, log_dir=tmp_path, media_root=Path(settings.MEDIA_ROOT), queue_prefix="email-test"
    )
    settings.INTERACTIONS_EMAIL_QUEUE = started.queue
    yield started
    started.stop_all()
    app.conf.task_always_eager = saved_eager
    started.forget_queue(redis.Redis.from_url(redis_broker))
    print(started.logs())  # pytest shows it when the test failed


def file_backend(mail_dir: Path) -> dict[str, str]:
    """A worker's environment that writes every message it sends into `mail_dir`."""
    return {"EMAIL_URL": "filemail://", "EMAIL_FILE_PATH": str(mail_dir)}


def sender_client() -> Client:
    # Permissions given directly: earlier transactional tests flushed the groups that a data
    # migration creates.
    user = UserFactory()
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_interactionlogentry", "view_interactionlogentry"])
    )
    client = Client()
    client.force_login(user)
    return client


def sent_files(mail_dir: Path) -> list[str]:
    return [path.read_text(errors="replace") for path in sorted(mail_dir.glob("*.log"))] if mail_dir.exists() else []


def delivery_of(entry: InteractionLogEntry) -> tuple[str, str]:
    entry.refresh_from_db()
    return entry.delivery_status, entry.delivery_error


def test_a_worker_delivers_the_email_queued_by_the_page(email_workers, tmp_path):
    mail_dir = tmp_path / "sent-mail"
    email_workers.start(**file_backend(mail_dir))
    set_up_templates()
    contact = PersonFactory(email="anna@example.com")
    client = sender_client()

    response = client.post(
        f"/interactions/email/new/?contact={contact.number}",
        {"action": "send", "address": contact.email, "subject": "Price list 2026", "body": "Dear Anna"},
    )

    assert response.status_code == 302
    entry = InteractionLogEntry.objects.get()
    wait_until(lambda: delivery_of(entry) == ("", ""), what="the worker has delivered the e-mail")
    [sent] = sent_files(mail_dir)
    assert "Subject: Price list 2026" in sent and "anna@example.com" in sent
    # Sent by the worker (its own file backend), not in this process.
    assert mail.outbox == []
    wait_until(
        lambda: "Task interactions.tasks.deliver_email" in (logs := email_workers.logs()) and "succeeded" in logs,
        what="the worker reports the task done",
    )


def test_a_worker_retries_records_the_error_and_resend_delivers(email_workers, tmp_path):
    refusing = email_workers.start(
        EMAIL_URL=f"smtp://127.0.0.1:{closed_port()}",
        INTERACTIONS_EMAIL_MAX_RETRIES="2",
        INTERACTIONS_EMAIL_RETRY_BACKOFF="0.2",
    )
    set_up_templates()
    contact = PersonFactory(email="anna@example.com")
    client = sender_client()
    client.post(
        f"/interactions/email/new/?contact={contact.number}",
        {"action": "send", "address": contact.email, "subject": "Invoice copy", "body": "Dear Anna"},
    )
    entry = InteractionLogEntry.objects.get()

    wait_until(lambda: delivery_of(entry)[0] == DeliveryStatus.ERROR, what="the worker has given up")
    assert "Connection refused" in entry.delivery_error
    assert email_workers.logs().count("Retry in") == 2
    page = client.get(entry.get_absolute_url()).content.decode()
    assert "Connection refused" in page and reverse("interactions:entry-resend", args=[entry.pk]) in page

    # The mail server is back (another worker, configured with it).
    email_workers.stop(refusing)
    mail_dir = tmp_path / "sent-mail"
    email_workers.start(**file_backend(mail_dir))
    response = client.post(reverse("interactions:entry-resend", args=[entry.pk]))

    assert response.status_code == 302
    wait_until(lambda: delivery_of(entry) == ("", ""), what="the resent e-mail is delivered")
    [sent] = sent_files(mail_dir)
    assert "Subject: Invoice copy" in sent


# --- Two processes, one e-mail ------------------------------------------------------------


def two_process_worker(email_workers, sink: SmtpSink):
    """A worker running two processes at once, whose mail server is slow to confirm each
    message (so two deliveries of one e-mail would overlap)."""
    return email_workers.start(pool="prefork", concurrency=2, EMAIL_URL=f"smtp://127.0.0.1:{sink.port}")


def worker_is_idle(workers: Workers) -> bool:
    """Every delivery task the worker received has finished (and one at least)."""
    lines = [line for line in workers.logs().splitlines() if "Task interactions.tasks.deliver_email[" in line]
    received = sum(line.endswith("] received") for line in lines)
    succeeded = sum("] succeeded in" in line for line in lines)
    return succeeded >= 1 and received == succeeded


def failed_email(client: Client, subject: str) -> InteractionLogEntry:
    """An e-mail recorded by the page whose delivery failed (the mail server refused it)."""
    contact = PersonFactory(email="anna@example.com")
    with_queue_paused = app.conf.task_always_eager
    app.conf.task_always_eager = True  # recorded (and sent) in this process, without the worker...
    try:
        client.post(
            f"/interactions/email/new/?contact={contact.number}",
            {"action": "send", "address": contact.email, "subject": subject, "body": "Dear Anna"},
        )
    finally:
        app.conf.task_always_eager = with_queue_paused
    entry = InteractionLogEntry.objects.get(subject=subject)
    # ...then shown as refused by the mail server.
    InteractionLogEntry.objects.filter(pk=entry.pk).update(
        delivery_status=DeliveryStatus.ERROR, delivery_error="421 try later"
    )
    return entry


def test_three_resend_clicks_on_a_two_process_worker_deliver_the_email_once(email_workers, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # this process sends nothing
    set_up_templates()
    client = sender_client()
    entry = failed_email(client, "Invoice copy")
    mail.outbox.clear()
    with SmtpSink(delay=1.0).running() as sink:
        two_process_worker(email_workers, sink)
        resend_url = reverse("interactions:entry-resend", args=[entry.pk])

        answers = [client.post(resend_url, follow=True).content.decode() for _click in range(3)]

        wait_until(lambda: delivery_of(entry) == ("", ""), what="the resent e-mail is delivered")
        wait_until(lambda: worker_is_idle(email_workers), what="the worker has finished every task it received")
        assert len(sink.messages) == 1
        assert mail.outbox == []
        assert "is being sent again" in answers[0]
        assert all("is on its way" in answer for answer in answers[1:])


def test_two_tasks_for_one_email_on_a_two_process_worker_deliver_it_once(email_workers):
    """What a task delivered again, a sweep's and the original in flight at once look like."""
    set_up_templates()
    client = sender_client()
    entry = failed_email(client, "Price list")
    InteractionLogEntry.objects.filter(pk=entry.pk).update(delivery_status=DeliveryStatus.IN_PROGRESS)
    with SmtpSink(delay=1.0).running() as sink:
        two_process_worker(email_workers, sink)

        tasks = [deliver_email.apply_async(args=[entry.pk], queue=email_workers.queue) for _task in range(2)]

        outcomes = sorted(task.get(timeout=60) for task in tasks)
        assert outcomes == ["sent", "skipped"]
        assert len(sink.messages) == 1
        assert delivery_of(entry) == ("", "")
