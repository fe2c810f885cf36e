"""The mailbox reading on real Celery workers (Redis broker, the test PostgreSQL database,
the test Dovecot): a worker SIGKILLed in the middle of a run and another started log every
message exactly once and lose none.

Skipped on SQLite without Redis; required in CI (REQUIRE_SERVICES=1)."""

import signal
from pathlib import Path

import pytest
import redis
from django.utils import timezone

from crm.celery import app
from interactions.models import InteractionLogEntry, Mailbox, MailboxRun, MailboxRunState
from interactions.tasks import capture_mailbox

from .celery_workers import Workers, wait_until
from .dovecot_support import PASSWORD
from .mail_capture_support import PASSWORD_VARIABLE, build_message, make_mailbox

# Workers see only committed rows, hence transactional tests.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql, pytest.mark.redis]


@pytest.fixture
def capture_workers(postgresql, redis_broker, tmp_path, settings):
    saved_eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    started = Workers(
        broker_url=redis_broker, log_dir=tmp_path, media_root=Path(settings.MEDIA_ROOT), queue_prefix="capture-test"
    )
    yield started
    started.stop_all()
    app.conf.task_always_eager = saved_eager
    started.forget_queue(redis.Redis.from_url(redis_broker))
    print(started.logs())  # pytest shows it when the test failed


def test_a_worker_killed_mid_run_and_another_started_log_every_message_once(
    capture_workers, dovecot, mail_people, monkeypatch
):
    total = 300
    dovecot.append_many(
        build_message(sender="alice@customer.example", to="anna@ours.example", subject=f"Message {n}")
        for n in range(total)
    )
    mailbox = make_mailbox(dovecot, monkeypatch)
    environment = {
        PASSWORD_VARIABLE: PASSWORD,
        "INTERACTIONS_MAIL_CAPTURE_LOCK_TIMEOUT": "3",
        "INTERACTIONS_MAIL_CAPTURE_BATCH_SIZE": "10",
    }
    first = capture_workers.start(**environment)
    capture_mailbox.apply_async(args=[mailbox.pk], queue=capture_workers.queue)
    wait_until(lambda: InteractionLogEntry.objects.count() >= 20, what="the first worker has logged some messages")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    logged_when_killed = InteractionLogEntry.objects.count()
    assert logged_when_killed < total, "the run ended before the worker was killed: nothing was tested"
    assert MailboxRun.objects.get().state == MailboxRunState.RUNNING

    capture_workers.start(**environment)
    # The dead worker's lease expires; the next scheduled reading (and the redelivered task)
    # goes on where it stopped.
    wait_until(
        lambda: (
            Mailbox.objects.filter(pk=mailbox.pk, locked_until__lt=timezone.now()).exists()
            or not Mailbox.objects.filter(pk=mailbox.pk).exclude(lock_token="").exists()
        ),
        what="the dead worker's lease expires",
    )
    capture_mailbox.apply_async(args=[mailbox.pk], queue=capture_workers.queue)
    wait_until(
        lambda: MailboxRun.objects.filter(mailbox=mailbox, state=MailboxRunState.SUCCEEDED).exists(),
        what="a run succeeds",
        seconds=180,
    )

    subjects = list(InteractionLogEntry.objects.values_list("description", flat=True))
    assert sorted(subjects) == sorted(f"Message {n}" for n in range(total))
    assert dovecot.count("INBOX") == 0 and dovecot.count("CRM-processed") == total
    interrupted = MailboxRun.objects.get(mailbox=mailbox, state=MailboxRunState.FAILED)
    assert "Interrupted" in interrupted.error
