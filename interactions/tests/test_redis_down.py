"""Redis down, broker and result backend alike (the README's configuration): every page that
queues work answers at once with its message (or 503), never a 500 after Celery's 19 s of
retrying the result store; the e-mail waits "in progress" in the database and is delivered
when Redis is back, with nobody pressing anything; the purge's progress page reads the
database and answers throughout.

Redis is really unreachable: an address where nothing listens, or a TCP proxy in front of
the real Redis that is cut in the middle of a run and restored. The bounds on time are
generous (a busy machine): a page that answers within 10 s has not waited for 19."""

import datetime
import uuid
from pathlib import Path

import pytest
import redis
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.celery import app
from interactions import conf
from interactions.models import DeliveryStatus, InteractionLogEntry, PurgeRun, PurgeRunState
from interactions.services.communication.emails import requeue_overdue_emails
from interactions.services.purge.runs import PURGE_LOCK_NAME

from .celery_workers import Workers, wait_until
from .email_support import closed_port, set_up_templates
from .factories import PersonFactory, UserFactory
from .purge_support import canceled_entry, many_entries
from .redis_support import answered_within, celery_pointed_at
from .tcp_proxy import TcpProxy

# Committed for real, as in production: the page learns whether the task could be queued
# only when the transaction that recorded the e-mail commits.
pytestmark = pytest.mark.django_db(transaction=True)

QUEUE_DOWN = "The task queue cannot be reached"
SENT_WHEN_BACK = "is sent automatically when the queue is back"


def user_client(*codenames: str) -> Client:
    # Permissions given directly: transactional tests flush the groups of the data migration.
    user = UserFactory()
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = Client(raise_request_exception=False)  # a server error is a page, as in production
    client.force_login(user)
    return client


def sender_client() -> Client:
    return user_client("add_interactionlogentry", "view_interactionlogentry")


def send_email_page(client: Client, contact, subject: str = "Price list"):
    return client.post(
        f"{reverse('interactions:email-new')}?contact={contact.number}",
        {"action": "send", "address": contact.email, "subject": subject, "body": "Dear Anna"},
    )


@pytest.fixture
def redis_unreachable():
    """Broker and result backend at an address where nothing listens."""
    with celery_pointed_at(f"redis://127.0.0.1:{closed_port()}/0"):
        yield


# --- Nothing listens ------------------------------------------------------------------------


def test_sending_an_email_answers_at_once_and_the_entry_waits_in_progress(redis_unreachable):
    set_up_templates()
    contact = PersonFactory(email="anna@example.com")
    client = sender_client()

    response = answered_within(lambda: send_email_page(client, contact))

    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert QUEUE_DOWN in page and SENT_WHEN_BACK in page
    entry = InteractionLogEntry.objects.get()
    assert entry.delivery_status == DeliveryStatus.IN_PROGRESS
    assert mail.outbox == []


def test_resending_answers_at_once_and_the_email_waits_in_progress(redis_unreachable):
    set_up_templates()
    contact = PersonFactory(email="anna@example.com")
    client = sender_client()
    send_email_page(client, contact)
    entry = InteractionLogEntry.objects.get()
    # Its delivery failed earlier (the mail server refused it): "Resend" is offered.
    InteractionLogEntry.objects.filter(pk=entry.pk).update(delivery_status=DeliveryStatus.ERROR, delivery_error="421")

    response = answered_within(lambda: client.post(reverse("interactions:entry-resend", args=[entry.pk])))

    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert QUEUE_DOWN in page and SENT_WHEN_BACK in page
    entry.refresh_from_db()
    assert entry.delivery_status == DeliveryStatus.IN_PROGRESS


def test_a_meeting_invitation_answers_at_once_and_its_emails_wait_in_progress(redis_unreachable):
    set_up_templates()
    anna = PersonFactory(email="anna@example.com")
    client = sender_client()
    start = timezone.localtime() + datetime.timedelta(days=3)
    data = {
        "subject": "Kick-off",
        "date": start.strftime("%Y-%m-%d"),
        "time": "10:30",
        "duration": "60",
        "attendees": [anna.pk],
    }

    response = answered_within(lambda: client.post(f"/interactions/meetings/new/?contact={anna.number}", data))

    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert QUEUE_DOWN in page and SENT_WHEN_BACK in page
    assert InteractionLogEntry.objects.get().delivery_status == DeliveryStatus.IN_PROGRESS


def test_starting_a_purge_answers_503_at_once_and_deletes_nothing(redis_unreachable):
    entries = [canceled_entry() for _ in range(3)]
    client = user_client("purge_interactionlogentry")

    response = answered_within(lambda: client.post(reverse("interactions:purge"), {}))

    assert response.status_code == 503
    assert "The task queue cannot be reached, so nothing was deleted. Please try again later." in (
        response.content.decode()
    )
    assert InteractionLogEntry.objects.filter(pk__in=[e.pk for e in entries]).count() == 3
    assert not PurgeRun.objects.exists()  # no progress page for a purge that never started


def test_the_progress_page_of_a_purge_answers_from_the_database(redis_unreachable):
    run = PurgeRun.objects.create(
        state=PurgeRunState.RUNNING,
        deleted=40,
        total=100,
        heartbeat_at=timezone.now(),
        expected_by=timezone.now() + datetime.timedelta(minutes=5),
    )
    client = user_client("purge_interactionlogentry")

    response = answered_within(lambda: client.get(reverse("interactions:purge-progress", args=[run.pk])))

    assert response.status_code == 200
    assert "40 of 100 deleted so far" in response.content.decode()
    unknown = answered_within(lambda: client.get(reverse("interactions:purge-progress", args=[uuid.uuid4()])))
    assert unknown.status_code == 200
    assert "The purge is waiting in the queue" in unknown.content.decode()


def test_the_waiting_email_is_queued_again_by_the_sweep_once_the_queue_is_back(redis_unreachable):
    """The recovery sweep (celery beat's, and a starting worker's) finds what waits: here
    run in-process; on a real worker and beat below."""
    set_up_templates()
    contact = PersonFactory(email="anna@example.com")
    send_email_page(sender_client(), contact)
    entry = InteractionLogEntry.objects.get()
    later = timezone.now() + datetime.timedelta(seconds=conf.settings.EMAIL_REQUEUE_AFTER + 1)

    # Still down: the sweep queues nothing, and loses nothing.
    assert requeue_overdue_emails(now=later) == []
    entry.refresh_from_db()
    assert entry.delivery_status == DeliveryStatus.IN_PROGRESS

    app.conf.task_always_eager = True  # the queue is back (here: tasks in-process)
    assert requeue_overdue_emails(now=later) == [entry.entry_no]
    entry.refresh_from_db()
    assert entry.delivery_status == DeliveryStatus.BLANK
    assert [message.subject for message in mail.outbox] == ["Price list"]
    # Delivered once: a second sweep finds nothing.
    assert requeue_overdue_emails(now=later + datetime.timedelta(hours=1)) == []


# --- A proxy cut in the middle of a run -------------------------------------------------------


@pytest.fixture
def redis_proxy(postgresql, redis_broker):
    """A TCP proxy in front of the test's Redis; its URL has the same database number."""
    real = redis.Redis.from_url(redis_broker).connection_pool.connection_kwargs
    proxy = TcpProxy(target_host=real.get("host", "127.0.0.1"), target_port=int(real.get("port", 6379)))
    with proxy.running():
        proxy.redis_url = f"redis://{proxy.url_netloc}/{real.get('db', 0)}"
        yield proxy


@pytest.fixture
def workers_behind_the_proxy(redis_proxy, redis_broker, tmp_path, settings):
    """Workers (and this process) reach Redis through the proxy; the workers run celery
    beat too, with a recovery sweep every second, and deliver into tmp_path/sent-mail."""
    started = Workers(
        broker_url=redis_proxy.redis_url, log_dir=tmp_path, media_root=Path(settings.MEDIA_ROOT), queue_prefix="cut"
    )
    settings.INTERACTIONS_EMAIL_QUEUE = settings.INTERACTIONS_PURGE_QUEUE = started.queue
    real_redis = redis.Redis.from_url(redis_broker)
    real_redis.delete(PURGE_LOCK_NAME)
    with celery_pointed_at(redis_proxy.redis_url):
        yield started
        started.stop_all()
    real_redis.delete(PURGE_LOCK_NAME)
    started.forget_queue(real_redis)
    print(started.logs())  # pytest shows it when the test failed


def worker_environment(workers: Workers, tmp_path: Path, **more: str) -> dict:
    return {
        "arguments": ("--beat", f"--schedule={tmp_path / 'beat-schedule'}"),
        "EMAIL_URL": "filemail://",
        "EMAIL_FILE_PATH": str(tmp_path / "sent-mail"),
        "INTERACTIONS_EMAIL_QUEUE": workers.queue,
        "INTERACTIONS_PURGE_QUEUE": workers.queue,
        "INTERACTIONS_RECOVERY_INTERVAL": "1",
        "INTERACTIONS_EMAIL_REQUEUE_AFTER": "1",
        **more,
    }


def sent_subjects(tmp_path: Path) -> list[str]:
    mail_dir = tmp_path / "sent-mail"
    files = sorted(mail_dir.glob("*.log")) if mail_dir.exists() else []
    return sorted(
        line.removeprefix("Subject: ")
        for path in files
        for line in path.read_text(errors="replace").splitlines()
        if line.startswith("Subject: ")
    )


@pytest.mark.postgresql
@pytest.mark.redis
def test_an_email_sent_while_redis_is_cut_is_delivered_when_it_is_back_without_a_click(
    workers_behind_the_proxy, redis_proxy, tmp_path
):
    workers_behind_the_proxy.start(**worker_environment(workers_behind_the_proxy, tmp_path))
    set_up_templates()
    contact = PersonFactory(email="anna@example.com")
    client = sender_client()
    send_email_page(client, contact, subject="Before the cut")
    wait_until(lambda: sent_subjects(tmp_path) == ["Before the cut"], what="the first e-mail is delivered")

    redis_proxy.cut()
    response = answered_within(lambda: send_email_page(client, contact, subject="During the cut"))

    assert response.status_code == 302
    assert QUEUE_DOWN in client.get(response["Location"]).content.decode()
    waiting = InteractionLogEntry.objects.get(subject="During the cut")
    assert waiting.delivery_status == DeliveryStatus.IN_PROGRESS

    redis_proxy.restore()  # and nobody presses anything

    def delivered() -> bool:
        waiting.refresh_from_db()
        return waiting.delivery_status == DeliveryStatus.BLANK

    wait_until(delivered, what="the waiting e-mail is delivered by the sweep", seconds=90)
    assert sent_subjects(tmp_path) == ["Before the cut", "During the cut"]  # each once


@pytest.mark.postgresql
@pytest.mark.redis
def test_a_purge_cut_off_from_redis_shows_its_progress_and_completes_exactly_when_it_is_back(
    workers_behind_the_proxy, redis_proxy, tmp_path
):
    workers_behind_the_proxy.start(
        **worker_environment(
            workers_behind_the_proxy,
            tmp_path,
            INTERACTIONS_PURGE_BATCH_SIZE="10",
            INTERACTIONS_PURGE_BATCH_PAUSE="0.1",
            INTERACTIONS_PURGE_LOCK_TIMEOUT="2",
        )
    )
    canceled, kept = many_entries(330, canceled_every=11)  # 300 canceled
    client = user_client("purge_interactionlogentry")
    started = client.post(reverse("interactions:purge"), {})
    assert started.status_code == 302
    progress_url = started["Location"]
    wait_until(lambda: PurgeRun.objects.get().deleted >= 20, what="the purge is under way", every=0.02)

    redis_proxy.cut()
    page = answered_within(lambda: client.get(progress_url, headers={"HX-Request": "true"}))
    assert page.status_code == 200
    assert "deleted so far" in page.content.decode() or "stopped answering" in page.content.decode()
    # The run cannot reach Redis (its lock) and stops; the page says so instead of "running".
    wait_until(
        lambda: "stopped answering" in client.get(progress_url, headers={"HX-Request": "true"}).content.decode(),
        what="the page shows the purge stalled",
    )
    assert InteractionLogEntry.objects.filter(canceled=True).count() > 0

    redis_proxy.restore()
    wait_until(
        lambda: (
            "300 interaction log entries have been deleted."
            in client.get(progress_url, headers={"HX-Request": "true"}).content.decode()
        ),
        what="the purge is taken over and completes",
        seconds=90,
    )
    assert set(InteractionLogEntry.objects.values_list("entry_no", flat=True)) == kept
    assert PurgeRun.objects.get().deleted == 300
