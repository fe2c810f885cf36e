"""Delivering a logged segment on real Celery workers (Redis broker, PostgreSQL) to a real
SMTP server (aiosmtpd, in this process): a worker SIGKILLed in the middle of 2,000
messages and another started; every entry ends sent, none is lost, and the messages the
server received twice are counted (none: the hand-over is recorded before the final dot).

Skipped on SQLite without Redis; required in CI (REQUIRE_SERVICES=1)."""

from pathlib import Path

import pytest
import redis
from django.db.models import Count

from crm.celery import app
from crm.contacts.models import Contact, CorrespondenceType
from interactions.models import DeliveryStatus, InteractionLogEntry, SegmentEntryContent, SegmentLine, WizardAction
from interactions.services import segments as segment_services

from .celery_workers import Workers, wait_until
from .factories import (
    InteractionTemplateFactory,
    InteractionTemplateLanguageFactory,
    SalespersonFactory,
    SegmentFactory,
    UserFactory,
)
from .smtp_server import SmtpServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql, pytest.mark.redis]

MESSAGES = 2000


@pytest.fixture
def segment_workers(postgresql, redis_broker, tmp_path, settings):
    saved_eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    started = Workers(
        broker_url=redis_broker, log_dir=tmp_path, media_root=Path(settings.MEDIA_ROOT), queue_prefix="segment-mail"
    )
    settings.INTERACTIONS_EMAIL_QUEUE = started.queue
    settings.INTERACTIONS_BULK_EMAIL_CHUNK_SIZE = 50
    yield started
    started.stop_all()
    app.conf.task_always_eager = saved_eager
    started.forget_queue(redis.Redis.from_url(redis_broker))
    print(started.logs())


def worker_environment(server: SmtpServer, queue: str) -> dict[str, str]:
    return {
        "EMAIL_URL": f"smtp://127.0.0.1:{server.port}",
        "INTERACTIONS_EMAIL_QUEUE": queue,
        "INTERACTIONS_BULK_EMAIL_CHUNK_SIZE": "50",
        "INTERACTIONS_BULK_EMAIL_RATE_PER_MINUTE": "0",
        # A claim of the killed worker goes stale after 5 s; the sweep runs every 2 s.
        "INTERACTIONS_EMAIL_SENDING_TIMEOUT": "5",
        "INTERACTIONS_EMAIL_REQUEUE_AFTER": "1",
        "INTERACTIONS_RECOVERY_INTERVAL": "2",
        "INTERACTIONS_EMAIL_RETRY_BACKOFF": "1",
    }


def big_segment(count: int):
    template = InteractionTemplateFactory(code="NEWS", wizard_action=WizardAction.MERGE, language_default="en")
    InteractionTemplateLanguageFactory(template=template, language="en", merge_body="Hello {contact.name}!")
    segment = SegmentFactory(description="News", template=template, salesperson=SalespersonFactory())
    contacts = Contact.objects.bulk_create(
        Contact(
            number=f"KW{n:05d}",
            type=Contact.Type.PERSON,
            name=f"Получатель {n}",
            email=f"r{n}@example.com",
            correspondence_type=CorrespondenceType.EMAIL,
        )
        for n in range(count)
    )
    SegmentLine.objects.bulk_create(
        SegmentLine(segment=segment, contact=contact, template=template, correspondence_type="email")
        for contact in contacts
    )
    return segment


def pending() -> int:
    return InteractionLogEntry.objects.filter(
        delivery_status__in=[DeliveryStatus.IN_PROGRESS, DeliveryStatus.SENDING]
    ).count()


def test_a_worker_killed_while_delivering_2000_messages_loses_none_and_sends_none_twice(segment_workers, tmp_path):
    with SmtpServer(keep_messages=False) as server:
        environment = worker_environment(server, segment_workers.queue)
        segment = big_segment(MESSAGES)
        result = segment_services.log_segment(segment=segment, user=UserFactory(is_superuser=True), deliver=True)
        assert result.delivery.queued is True  # committed (transactional test): queued

        doomed = segment_workers.start(**environment)
        wait_until(lambda: server.received >= MESSAGES // 4, what="the first worker has sent a quarter", seconds=180)
        doomed.kill()  # SIGKILL, in the middle of a chunk
        doomed.wait(timeout=30)
        at_kill = server.received
        assert at_kill < MESSAGES

        segment_workers.start(arguments=("--beat", f"--schedule={tmp_path / 'beat-schedule'}"), **environment)
        wait_until(lambda: pending() == 0, what="every e-mail is delivered", seconds=300, every=0.5)

    statuses = dict(
        InteractionLogEntry.objects.values_list("delivery_status")
        .annotate(n=Count("*"))
        .values_list("delivery_status", "n")
    )
    message_ids = set(SegmentEntryContent.objects.values_list("message_id", flat=True))
    received_ids = set(server.by_message_id)
    lost = len(message_ids - received_ids)
    print(f"killed after {at_kill} messages; received {server.received}, duplicates {server.duplicates}, lost {lost}")
    assert statuses == {DeliveryStatus.BLANK: MESSAGES}  # every entry ends sent
    assert lost == 0
    assert server.duplicates == 0
    assert SegmentEntryContent.objects.filter(handed_over_at__isnull=True).count() == 0
