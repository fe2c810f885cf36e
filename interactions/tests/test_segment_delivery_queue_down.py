"""The task queue unreachable when a segment is logged with "Deliver": the segment is logged,
its e-mail lines wait "queued" in the database, and are delivered when a task comes (the
recovery sweep's), without anyone pressing anything."""

import datetime

import pytest
from django.utils import timezone

from interactions.models import DeliveryStatus, InteractionLogEntry
from interactions.services.recovery import recover_queued_work

from .factories import PersonFactory, UserFactory
from .smtp_server import SmtpServer, use_smtp_server
from .test_segment_delivery import log, merge_template, segment_with

pytestmark = pytest.mark.django_db(transaction=True)


def test_logged_while_the_queue_is_down_the_lines_wait_queued_and_the_sweep_delivers_them(settings, broker_down):
    from crm.celery import app

    with SmtpServer() as server:
        use_smtp_server(settings, server)
        segment = segment_with(merge_template(), PersonFactory.create_batch(3))
        result = log(segment, UserFactory(is_superuser=True), deliver=True)

        assert result.delivery.queued is False
        assert list(InteractionLogEntry.objects.values_list("delivery_status", flat=True)) == ["in_progress"] * 3
        assert server.received == 0

        app.conf.task_always_eager = True  # the queue is back (in-process here)
        InteractionLogEntry.objects.update(delivery_due_at=timezone.now() - datetime.timedelta(minutes=5))
        assert len(recover_queued_work()["segment_emails"]) == 3
        assert set(InteractionLogEntry.objects.values_list("delivery_status", flat=True)) == {DeliveryStatus.BLANK}
        assert server.received == 3 and server.duplicates == 0
