"""Sending e-mails to contacts: recorded at once ("in progress"), delivered by the Celery
task through Django's e-mail backend, "error" with the reason after the retries, resent
from the log entry; and nothing recorded, with the reason, without a template.

Tasks run in this process here (tasks_in_process); test_email_worker.py runs them on a
real worker with the Redis broker."""

import datetime
from email.utils import formataddr

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from crm.contacts.models import CorrespondenceType
from interactions.models import DeliveryStatus, InformationFlow, InteractionLogEntry
from interactions.services.communication import emails as email_services
from interactions.tasks import deliver_email

from .email_support import RefusingSmtpServer, closed_port, salesperson_for, set_up_templates, stored_message
from .factories import (
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    InteractionTemplateLanguageFactory,
    PersonFactory,
    UserFactory,
)
from .purge_support import attachment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]

NEW_EMAIL = "/interactions/email/new/"


def post_email(client, contact, **fields):
    data = {"action": "send", "address": contact.email, "subject": "Price list 2026", "body": "Dear customer", **fields}
    return client.post(f"{NEW_EMAIL}?contact={contact.number}", data)


def smtp_backend(settings, port: int, *, retries: int = 2) -> None:
    """Django's real SMTP backend, pointed at `port` on this machine."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_TIMEOUT = 30  # the refusing server answers at once; generous on a busy machine
    settings.INTERACTIONS_EMAIL_MAX_RETRIES = retries


def test_the_entry_is_in_progress_until_the_committed_task_delivers_it(sales_user, django_capture_on_commit_callbacks):
    set_up_templates()
    # A dot in the name makes RFC 5322 quote it ("Anna J. Smith" <anna@example.com>).
    contact = PersonFactory(name="Anna J. Smith", email="anna@example.com")

    with django_capture_on_commit_callbacks(execute=False) as queued:
        result = email_services.send_email(
            contact=contact, subject="Price list", body="Dear Anna", attachments=[], user=sales_user
        )
        entry = InteractionLogEntry.objects.get(pk=result.entry.pk)
        assert entry.delivery_status == DeliveryStatus.IN_PROGRESS  # written before anything is sent
    # The task is queued only when the entry is committed (then the entry's webhook event).
    assert mail.outbox == [] and len(queued) == 2

    queued[0]()

    assert [message.to for message in mail.outbox] == [[formataddr((contact.name, "anna@example.com"))]]
    entry.refresh_from_db()
    assert (entry.delivery_status, entry.delivery_error) == ("", "")
    assert result.ticket.queued is True


def test_the_entry_page_says_queued_then_delivered(sales_client, sales_user, django_capture_on_commit_callbacks):
    """A user looks for "delivered" on a sent e-mail's page (a blank status said nothing)."""
    set_up_templates()
    contact = PersonFactory(name="Anna Smith", email="anna@example.com")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        result = email_services.send_email(
            contact=contact, subject="Price list", body="Dear Anna", attachments=[], user=sales_user
        )
    page = sales_client.get(result.entry.get_absolute_url()).content.decode()
    assert 'data-delivery="queued"' in page and 'data-delivery="delivered"' not in page

    queued[0]()

    page = sales_client.get(result.entry.get_absolute_url()).content.decode()
    assert 'data-delivery="delivered"' in page and "Delivered" in page


def test_sending_from_the_page_records_the_address_template_and_message(
    sales_client, sales_user, django_capture_on_commit_callbacks
):
    templates = set_up_templates()
    salesperson = salesperson_for(sales_user, email="olga@example.com", name="Olga Ivanova")
    contact = PersonFactory(email="anna@example.com", correspondence_type=CorrespondenceType.HARD_COPY)
    price_list = SimpleUploadedFile("prices.pdf", b"%PDF-1.4 prices", content_type="application/pdf")

    with django_capture_on_commit_callbacks(execute=True):
        response = post_email(
            sales_client, contact, address="anna.private@example.com", attachments=[price_list], body="Привет, Анна"
        )

    entry = InteractionLogEntry.objects.get()
    assert response.status_code == 302 and response["Location"] == entry.get_absolute_url()
    assert entry.template == templates["emails"]
    assert entry.contact_via == "anna.private@example.com"
    assert entry.correspondence_type == CorrespondenceType.EMAIL  # an e-mail, whatever the contact prefers
    assert (entry.subject, entry.salesperson, entry.user) == ("Price list 2026", salesperson, sales_user)
    assert entry.delivery_status == ""
    stored = stored_message(entry)
    assert entry.attachment.file_name.endswith(".eml")
    assert stored["Subject"] == "Price list 2026"
    assert [part.get_filename() for part in stored.iter_attachments()] == ["prices.pdf"]
    sent = mail.outbox[0]
    assert sent.subject == "Price list 2026" and sent.body == "Привет, Анна"
    assert sent.reply_to == [formataddr(("Olga Ivanova", "olga@example.com"))]
    assert [(name, content) for name, content, _type in sent.attachments] == [("prices.pdf", b"%PDF-1.4 prices")]
    page = sales_client.get(response["Location"]).content.decode()
    assert "is being sent; interaction" in page
    assert "anna.private@example.com" in page


def test_a_refused_connection_ends_in_error_after_the_retries_with_the_reason_shown(
    sales_client, sales_user, settings, django_capture_on_commit_callbacks
):
    set_up_templates()
    contact = PersonFactory(email="anna@example.com")
    smtp_backend(settings, closed_port(), retries=2)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_email(sales_client, contact)

    entry = InteractionLogEntry.objects.get()
    assert entry.delivery_status == DeliveryStatus.ERROR
    assert "Connection refused" in entry.delivery_error
    page = sales_client.get(response["Location"]).content.decode()
    assert 'data-delivery="failed"' in page and "Delivery failed" in page and "Connection refused" in page
    assert "Resend" in page


def test_a_busy_server_is_tried_again_and_a_refusing_one_is_not(
    sales_user, settings, django_capture_on_commit_callbacks
):
    set_up_templates()
    contact = PersonFactory(email="anna@example.com")

    with RefusingSmtpServer("421 4.3.2 Service not available, try later").running() as busy:
        smtp_backend(settings, busy.port, retries=3)
        with django_capture_on_commit_callbacks(execute=True):
            tried = email_services.send_email(contact=contact, subject="S", body="B", attachments=[], user=sales_user)
        assert busy.connections == 4  # the first try and three retries
    with RefusingSmtpServer("554 5.7.1 Relaying denied").running() as refusing:
        smtp_backend(settings, refusing.port, retries=3)
        with django_capture_on_commit_callbacks(execute=True):
            refused = email_services.send_email(contact=contact, subject="S", body="B", attachments=[], user=sales_user)
        assert refusing.connections == 1  # a permanent refusal does not change on a retry

    tried.entry.refresh_from_db()
    refused.entry.refresh_from_db()
    assert (tried.entry.delivery_status, tried.entry.delivery_error) == (
        "error",
        "421 4.3.2 Service not available, try later",
    )
    assert (refused.entry.delivery_status, refused.entry.delivery_error) == ("error", "554 5.7.1 Relaying denied")


def test_resend_delivers_the_same_message_again(sales_client, sales_user, settings, django_capture_on_commit_callbacks):
    set_up_templates()
    contact = PersonFactory(email="anna@example.com")
    smtp_backend(settings, closed_port(), retries=0)
    with django_capture_on_commit_callbacks(execute=True):
        post_email(sales_client, contact, subject="Invoice copy")
    entry = InteractionLogEntry.objects.get()
    assert entry.delivery_status == DeliveryStatus.ERROR
    first_message_id = stored_message(entry)["Message-ID"]

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the server is back
    with django_capture_on_commit_callbacks(execute=True):
        response = sales_client.post(reverse("interactions:entry-resend", args=[entry.pk]))

    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.delivery_status, entry.delivery_error) == ("", "")
    [resent] = mail.outbox
    assert resent.subject == "Invoice copy" and resent.body == "Dear customer"
    assert resent.extra_headers["Message-ID"] == first_message_id
    assert "is being sent again" in sales_client.get(response["Location"]).content.decode()

    # Delivered: there is nothing left to resend, and nothing is sent twice.
    response = sales_client.post(reverse("interactions:entry-resend", args=[entry.pk]), follow=True)
    assert "there is nothing to resend" in response.content.decode()
    assert len(mail.outbox) == 1


def test_only_the_sender_and_sales_managers_may_resend(
    client, sales_user, manager_user, django_capture_on_commit_callbacks
):
    set_up_templates()
    contact = PersonFactory(email="anna@example.com")
    with django_capture_on_commit_callbacks(execute=False):
        entry = email_services.send_email(contact=contact, subject="S", body="B", attachments=[], user=sales_user).entry
    InteractionLogEntry.objects.filter(pk=entry.pk).update(delivery_status="error", delivery_error="timed out")
    colleague = UserFactory(groups=["Sales staff"])

    client.force_login(colleague)
    page = client.get(entry.get_absolute_url()).content.decode()
    assert reverse("interactions:entry-resend", args=[entry.pk]) not in page
    response = client.post(reverse("interactions:entry-resend", args=[entry.pk]), follow=True)
    assert "Only the user who sent this e-mail and sales managers can resend it." in response.content.decode()
    assert InteractionLogEntry.objects.get(pk=entry.pk).delivery_status == "error"

    client.force_login(manager_user)
    assert (
        reverse("interactions:entry-resend", args=[entry.pk]) in client.get(entry.get_absolute_url()).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("interactions:entry-resend", args=[entry.pk]))
    assert InteractionLogEntry.objects.get(pk=entry.pk).delivery_status == ""
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("status", [DeliveryStatus.IN_PROGRESS, DeliveryStatus.SENDING])
def test_resend_is_neither_offered_nor_accepted_while_the_email_is_queued_or_being_sent(
    sales_client, sales_user, status, django_capture_on_commit_callbacks
):
    set_up_templates()
    with django_capture_on_commit_callbacks(execute=False):
        entry = email_services.send_email(
            contact=PersonFactory(), subject="S", body="B", attachments=[], user=sales_user
        ).entry
    InteractionLogEntry.objects.filter(pk=entry.pk).update(delivery_status=status)
    resend_url = reverse("interactions:entry-resend", args=[entry.pk])

    assert resend_url not in sales_client.get(entry.get_absolute_url()).content.decode()
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = sales_client.post(resend_url, follow=True)

    assert f"The e-mail of interaction {entry.pk} is on its way" in response.content.decode()
    assert queued == []  # no second delivery queued
    assert InteractionLogEntry.objects.get(pk=entry.pk).delivery_status == status
    assert mail.outbox == []


def test_a_task_finds_the_email_claimed_by_another_and_sends_nothing(sales_user, django_capture_on_commit_callbacks):
    set_up_templates()
    with django_capture_on_commit_callbacks(execute=False):
        entry = email_services.send_email(
            contact=PersonFactory(), subject="S", body="B", attachments=[], user=sales_user
        ).entry
    # Another task claimed it a moment ago and is sending it.
    assert email_services.claim_for_delivery(entry_no=entry.pk)

    assert deliver_email.apply(args=[entry.pk]).get() == "skipped"
    assert mail.outbox == []
    # That task's worker died while sending: past INTERACTIONS_EMAIL_SENDING_TIMEOUT its
    # claim is stale, and the next task (redelivered, or the sweep's) sends it.
    InteractionLogEntry.objects.filter(pk=entry.pk).update(
        delivery_due_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert deliver_email.apply(args=[entry.pk]).get() == "sent"
    assert len(mail.outbox) == 1
    assert InteractionLogEntry.objects.get(pk=entry.pk).delivery_status == DeliveryStatus.BLANK


def test_a_task_delivered_twice_sends_once(sales_user, django_capture_on_commit_callbacks):
    set_up_templates()
    with django_capture_on_commit_callbacks(execute=True):
        entry = email_services.send_email(
            contact=PersonFactory(), subject="S", body="B", attachments=[], user=sales_user
        ).entry

    assert deliver_email.apply(args=[entry.pk]).get() == "skipped"
    assert len(mail.outbox) == 1


def test_without_a_template_the_email_goes_out_and_the_page_says_why_nothing_was_recorded(
    sales_client, django_capture_on_commit_callbacks
):
    set_up_templates(emails=False)
    contact = PersonFactory(email="anna@example.com")

    form = sales_client.get(f"{NEW_EMAIL}?contact={contact.number}").content.decode()
    assert "No interaction will be recorded: the interaction template setup has no template for E-mails." in form
    with django_capture_on_commit_callbacks(execute=True):
        response = post_email(sales_client, contact)

    page = sales_client.get(response["Location"]).content.decode()
    assert "No interaction was recorded: the interaction template setup has no template for E-mails." in page
    assert not InteractionLogEntry.objects.exists()
    assert [message.subject for message in mail.outbox] == ["Price list 2026"]


# Committed for real, as in production: the page learns whether the task could be queued.
@pytest.mark.django_db(transaction=True)
def test_when_the_broker_is_down_the_entry_waits_to_be_sent_when_it_is_back(client, broker_down):
    set_up_templates()
    # Permissions given directly: earlier transactional tests flushed the groups that a data
    # migration creates.
    sender = UserFactory()
    sender.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_interactionlogentry", "view_interactionlogentry"])
    )
    client.force_login(sender)
    contact = PersonFactory(email="anna@example.com")

    response = post_email(client, contact)

    entry = InteractionLogEntry.objects.get()
    assert entry.delivery_status == DeliveryStatus.IN_PROGRESS  # kept, not lost
    page = client.get(response["Location"]).content.decode()
    assert "The task queue cannot be reached" in page and "is sent automatically when the queue is back" in page
    # Not offered: a resend while it waits could deliver it twice.
    assert reverse("interactions:entry-resend", args=[entry.pk]) not in page
    assert mail.outbox == []


def test_an_email_interaction_can_be_sent_on_with_its_attachment(
    sales_client, sales_user, django_capture_on_commit_callbacks
):
    set_up_templates()
    contact = PersonFactory(email="anna@example.com")
    incoming = InteractionLogEntryFactory(
        contact=contact,
        subject="Question about prices",
        correspondence_type=CorrespondenceType.EMAIL,
        information_flow=InformationFlow.INBOUND,
        attachment=attachment("question.pdf", b"%PDF-1.4 question"),
    )
    page = sales_client.get(incoming.get_absolute_url()).content.decode()
    assert f"{NEW_EMAIL}?entry={incoming.pk}" in page

    form = sales_client.get(f"{NEW_EMAIL}?entry={incoming.pk}").content.decode()
    assert 'value="Re: Question about prices"' in form and "question.pdf" in form
    with django_capture_on_commit_callbacks(execute=True):
        sales_client.post(
            f"{NEW_EMAIL}?entry={incoming.pk}",
            {"action": "send", "address": contact.email, "subject": "Re: Question about prices", "body": "Answer",
             "attach_entry_attachment": "on"},
        )  # fmt: skip

    [sent] = mail.outbox
    assert [(name, content) for name, content, _type in sent.attachments] == [("question.pdf", b"%PDF-1.4 question")]
    assert InteractionLogEntry.objects.exclude(pk=incoming.pk).get().contact == contact


def test_the_text_can_be_filled_in_from_a_merge_template(sales_client, sales_user):
    set_up_templates()
    salesperson_for(sales_user, name="Olga Ivanova")
    letter = InteractionTemplateFactory(code="BUS", language_default="en")
    InteractionTemplateLanguageFactory(
        template=letter, language="en", merge_body="Dear {contact.name},\nyours, {salesperson.name}"
    )
    contact = PersonFactory(name="Anna Smith", email="anna@example.com")

    response = sales_client.post(
        f"{NEW_EMAIL}?contact={contact.number}",
        {
            "action": "fill_from_template",
            "address": contact.email,
            "subject": "Hello",
            "template": letter.pk,
            "body": "",
        },
    )

    page = response.content.decode()
    assert "Dear Anna Smith,\nyours, Olga Ivanova" in page
    assert not InteractionLogEntry.objects.exists() and mail.outbox == []


def test_what_cannot_be_sent_is_refused_with_a_message(sales_client, sales_user):
    set_up_templates()
    without_address = PersonFactory(email="")
    with pytest.raises(ValidationError) as refused:
        email_services.send_email(contact=without_address, subject="S", body="B", attachments=[], user=sales_user)
    assert "has no e-mail address" in str(refused.value)

    contact = PersonFactory(email="anna@example.com")
    program = SimpleUploadedFile("setup.exe", b"MZ", content_type="application/octet-stream")
    response = post_email(sales_client, contact, attachments=[program])
    page = response.content.decode()
    assert response.status_code == 200
    assert "The e-mail was not sent" in page
    assert "setup.exe: Files of type .exe cannot be attached." in page
    assert "Write the text of the e-mail" in post_email(sales_client, contact, body=" ").content.decode()
    assert not InteractionLogEntry.objects.exists() and mail.outbox == []


def test_the_contact_card_offers_email_call_and_meeting(sales_client):
    contact = PersonFactory()
    page = sales_client.get(reverse("contacts:detail", args=[contact.number])).content.decode()
    for url in ("/interactions/email/new/", "/interactions/calls/new/", "/interactions/meetings/new/"):
        assert f"{url}?contact={contact.number}" in page


def test_staff_without_the_permission_cannot_send(client):
    client.force_login(UserFactory())
    contact = PersonFactory()
    assert client.get(f"{NEW_EMAIL}?contact={contact.number}").status_code == 403
    assert post_email(client, contact).status_code == 403
