"""Faults: the database refusing a write while a document is printed or a segment is
logged leaves nothing half-written and shows an error page; the broker being down when a
purge or an e-mail is queued says so and loses nothing.

The database's refusal is real: the INSERT into the log is replaced by a statement the
database itself rejects (on PostgreSQL that aborts the transaction, as a real refusal
does), not by a Python exception raised before the database is reached.
"""

import contextlib
import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.template.loader import get_template
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.celery import app
from crm.documents.models import Document, DocumentVersion
from crm.documents.tests.factories import DocumentFactory, grant_document_permissions_to_groups
from crm.documents.types import DocumentKind, DocumentType
from interactions import conf
from interactions.models import (
    Attachment,
    DeliveryStatus,
    InformationFlow,
    InitiatedBy,
    InteractionLogEntry,
    InteractionTemplateSetup,
    LoggedSegment,
    Segment,
)
from interactions.tasks import recover_queued_work

from .factories import (
    InteractionTemplateFactory,
    PersonFactory,
    SegmentFactory,
    SegmentLineFactory,
    UserFactory,
)
from .purge_support import canceled_entry

pytestmark = pytest.mark.django_db

LOG_TABLE = InteractionLogEntry._meta.db_table


@contextlib.contextmanager
def database_refuses_inserts_into(table: str):
    """Every INSERT into `table` is replaced by a statement the database rejects."""
    refused = []

    def wrapper(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT") and f'"{table}"' in sql:
            refused.append(sql)
            return execute('INSERT INTO "no_such_table_the_database_refuses" VALUES (1)', None, False, context)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield refused
    assert refused, f"no INSERT into {table} was attempted"


def client_for(user) -> Client:
    # A server error is answered with the error page, as in production, not raised.
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def stored_files() -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


# --- Printing -----------------------------------------------------------------------------


@pytest.fixture
def printer():
    grant_document_permissions_to_groups()
    return UserFactory(username="printer", groups=["Sales staff"])


@pytest.fixture
def quote_template():
    template = InteractionTemplateFactory(
        code="S-QUOTE", unit_cost=Decimal("1.50"), unit_duration=5,
        information_flow=InformationFlow.OUTBOUND, initiated_by=InitiatedBy.US,
    )  # fmt: skip
    setup = InteractionTemplateSetup.load()
    setattr(setup, DocumentType.SALES_QUOTE, template)
    setup.save()
    return template


def test_a_database_refusal_while_printing_shows_an_error_and_changes_nothing(printer, quote_template):
    quote = DocumentFactory(kind=DocumentKind.SALES_QUOTE)  # printed with logging: also archived
    client = client_for(printer)

    with database_refuses_inserts_into(LOG_TABLE):
        response = client.post(
            reverse("documents:print", args=[quote.pk]),
            {"action": "print", "language": "en", "output": "pdf", "log_interaction": "on"},
        )

    assert response.status_code == 500
    page = response.content.decode()
    assert "The document could not be printed, and nothing was recorded" in page
    stored = Document.objects.get(pk=quote.pk)
    assert (stored.no_printed, stored.no_of_archived_versions) == (0, 0)
    assert not DocumentVersion.objects.exists()
    assert not InteractionLogEntry.objects.exists()
    assert not Attachment.objects.exists()
    assert stored_files() == []
    # The user is still logged in and the next print goes through.
    again = client.post(
        reverse("documents:print", args=[quote.pk]),
        {"action": "print", "language": "en", "output": "pdf", "log_interaction": "on"},
    )
    assert again.status_code == 302
    assert InteractionLogEntry.objects.count() == 1


# --- Logging a segment --------------------------------------------------------------------


def test_a_database_refusal_while_logging_a_segment_shows_the_error_page_and_leaves_nothing():
    user = UserFactory(groups=["Sales staff"])
    segment = SegmentFactory(description="Spring letters")
    for _ in range(3):
        SegmentLineFactory(segment=segment)
    client = client_for(user)

    with database_refuses_inserts_into(LOG_TABLE):
        response = client.post(reverse("interactions:segment-log", args=[segment.number]), {"create_follow_up": "on"})

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert not LoggedSegment.objects.exists()
    assert not InteractionLogEntry.objects.exists()
    assert Segment.objects.count() == 1  # no follow-up segment either
    # Nothing is stuck: logging it again works.
    assert client.post(reverse("interactions:segment-log", args=[segment.number])).status_code == 302
    assert InteractionLogEntry.objects.count() == 3


def test_the_error_page_needs_no_request_and_no_database():
    """500.html is rendered by Django without the request context; it must not need it."""
    page = get_template("500.html").render()
    assert "Something went wrong" in page
    assert "{%" not in page


@pytest.mark.parametrize("template", ["403.html", "404.html"])
def test_the_403_and_404_pages_are_the_projects(template):
    client = client_for(UserFactory(groups=["Sales staff"]))
    url = reverse("interactions:purge") if template == "403.html" else "/interactions/log/999999/"
    response = client.get(url)
    assert response.status_code == int(template[:3])
    assert template in [t.name for t in response.templates]
    assert "CRM interactions" in response.content.decode()  # the site's navigation


# --- The broker is down -------------------------------------------------------------------


def test_with_the_broker_down_a_purge_says_so_with_503_and_deletes_nothing(broker_down):
    entries = [canceled_entry() for _ in range(3)]
    client = client_for(UserFactory(groups=["Sales manager"]))

    response = client.post(reverse("interactions:purge"), {})

    assert response.status_code == 503
    assert "The task queue cannot be reached, so nothing was deleted. Please try again later." in (
        response.content.decode()
    )
    assert InteractionLogEntry.objects.filter(pk__in=[e.pk for e in entries]).count() == 3


# Committed for real, as in production: the page learns whether the task could be queued
# only when the transaction that recorded the e-mail commits.
@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_an_email_stays_in_progress_and_is_delivered_by_the_sweep_later(broker_down):
    """(test_email.py holds the e-mail engineer's own test of the first half; test_redis_down.py
    the same with the result backend down too, and on a real worker.)"""
    from django.contrib.auth.models import Permission
    from django.core import mail

    from .email_support import set_up_templates

    set_up_templates()
    # Permissions given directly: transactional tests flush the groups of the data migration.
    sender = UserFactory()
    sender.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_interactionlogentry", "view_interactionlogentry"])
    )
    contact = PersonFactory(email="anna@example.com")
    client = client_for(sender)

    response = client.post(
        f"{reverse('interactions:email-new')}?contact={contact.number}",
        {"action": "send", "address": contact.email, "subject": "Price list", "body": "Dear Anna"},
    )
    page = client.get(response["Location"]).content.decode()

    assert "The task queue cannot be reached" in page
    entry = InteractionLogEntry.objects.get()
    assert entry.delivery_status == DeliveryStatus.IN_PROGRESS
    assert mail.outbox == []

    # "Resend" is not offered while it waits: it could deliver it twice.
    assert reverse("interactions:entry-resend", args=[entry.entry_no]) not in page

    # The broker is back (here: tasks in-process): the recovery sweep delivers it, nobody clicks.
    app.conf.task_always_eager = True
    nothing = {"emails": [], "segment_emails": [], "purges": [], "webhooks": []}
    assert recover_queued_work.apply().get() == nothing  # not overdue yet
    # Past the grace period (INTERACTIONS_EMAIL_REQUEUE_AFTER) the sweep queues it again.
    overdue = timezone.now() - datetime.timedelta(seconds=conf.settings.EMAIL_REQUEUE_AFTER + 1)
    InteractionLogEntry.objects.filter(pk=entry.pk).update(delivery_due_at=overdue)
    assert recover_queued_work.apply().get() == {**nothing, "emails": [entry.entry_no]}
    entry.refresh_from_db()
    assert entry.delivery_status == DeliveryStatus.BLANK
    assert [message.subject for message in mail.outbox] == ["Price list"]
