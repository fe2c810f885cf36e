"""Resend on any entry with an attachment: what the entry keeps goes by e-mail to the
contact's address or one typed in, through the Celery e-mail delivery to a real SMTP
server, recorded as a new e-mail entry that refers to the original ("resent from entry N"
on the new one, "resent as" on the original). The owner rule decides who may."""

from email import policy
from email.parser import BytesParser

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from interactions.models import DeliveryStatus, InteractionLogEntry
from interactions.services.communication import emails as email_services
from interactions.services.communication import resend

from .email_support import SmtpSink, closed_port, salesperson_for, set_up_templates
from .factories import InteractionLogEntryFactory, PersonFactory, UserFactory
from .purge_support import attachment

pytestmark = pytest.mark.django_db
INVOICE = b"%PDF-1.4 invoice S-INV-0001"


@pytest.fixture(autouse=True)
def tasks_here(request):
    """Tasks run in this process, except where the task queue is down."""
    if "broker_down" not in request.fixturenames:
        request.getfixturevalue("tasks_in_process")


def smtp_backend(settings, port: int, *, retries: int = 0) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 30
    settings.INTERACTIONS_EMAIL_MAX_RETRIES = retries


def printed_invoice(user, **fields):
    """An entry as printing an invoice with logging records it: the PDF attached."""
    contact = fields.pop("contact", None) or PersonFactory(name="Иван Смирнов", email="ivan@example.com")
    return InteractionLogEntryFactory(
        contact=contact,
        user=user,
        description="Sales invoice S-INV-0001",
        attachment=attachment("sales-invoice-S-INV-0001.pdf", INVOICE),
        document_type="sales_invoice",
        document_number="S-INV-0001",
        **fields,
    )


def resend_url(entry) -> str:
    return reverse("interactions:entry-resend-attachment", args=[entry.entry_no])


def parsed(raw: bytes):
    return BytesParser(policy=policy.default).parsebytes(raw)


def test_a_printed_invoice_is_resent_to_the_contact_through_the_smtp_server(
    sales_client, sales_user, settings, django_capture_on_commit_callbacks
):
    templates = set_up_templates()
    salesperson_for(sales_user, name="Ольга Иванова", email="olga@example.com")
    invoice = printed_invoice(sales_user)
    form = sales_client.get(resend_url(invoice)).content.decode()
    assert 'value="ivan@example.com"' in form and 'value="Sales invoice S-INV-0001"' in form

    with SmtpSink().running() as sink, django_capture_on_commit_callbacks(execute=True):
        smtp_backend(settings, sink.port)
        response = sales_client.post(
            resend_url(invoice),
            {"address": "ivan@example.com", "subject": "Счёт S-INV-0001", "body": "Иван, счёт во вложении."},
        )

    resent = InteractionLogEntry.objects.exclude(pk=invoice.pk).get()
    assert response.status_code == 302 and response["Location"] == resent.get_absolute_url()
    assert (resent.template, resent.resent_from_entry_no, resent.contact) == (
        templates["emails"],
        invoice.entry_no,
        invoice.contact,
    )
    assert (resent.contact_via, resent.correspondence_type, resent.delivery_status) == ("ivan@example.com", "email", "")
    [raw] = sink.messages
    message = parsed(raw)
    assert message["Subject"] == "Счёт S-INV-0001"
    assert message["To"].addresses[0].display_name == "Иван Смирнов"
    assert message["Reply-To"].addresses[0].display_name == "Ольга Иванова"
    assert message.get_body(preferencelist=("plain",)).get_content().strip() == "Иван, счёт во вложении."
    [file] = list(message.iter_attachments())
    assert (file.get_filename(), file.get_content_type(), file.get_content()) == (
        "sales-invoice-S-INV-0001.pdf",
        "application/pdf",
        INVOICE,
    )
    invoice.refresh_from_db()
    assert invoice.delivery_status == "" and invoice.attachment.file_name == "sales-invoice-S-INV-0001.pdf"

    new_page = sales_client.get(resent.get_absolute_url()).content.decode()
    original_page = sales_client.get(invoice.get_absolute_url()).content.decode()
    assert "Resent from" in new_page and f'href="{invoice.get_absolute_url()}"' in new_page
    assert "Resent as" in original_page and f'href="{resent.get_absolute_url()}"' in original_page


def test_a_typed_address_is_used_and_an_email_kept_as_eml_goes_again_as_it_was(
    sales_user, django_capture_on_commit_callbacks, mailoutbox
):
    set_up_templates()
    contact = PersonFactory(email="anna@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        first = email_services.send_email(
            contact=contact,
            subject="Предложение",
            body="Текст",
            attachments=[email_services.OutgoingFile(name="offer.pdf", content=b"%PDF offer")],
            user=sales_user,
        ).entry
        result = resend.resend_attachment(entry=first, user=sales_user, address="anna.private@example.com")

    assert result.entry.resent_from_entry_no == first.entry_no
    assert result.entry.contact_via == "anna.private@example.com"
    again = mailoutbox[1]
    assert again.to == [f"{contact.name} <anna.private@example.com>"]
    assert (again.subject, again.body) == ("Предложение", "Текст")
    assert [(name, content) for name, content, _type in again.attachments] == [("offer.pdf", b"%PDF offer")]
    assert again.extra_headers.get("Message-ID") != mailoutbox[0].extra_headers.get("Message-ID")


def test_with_the_smtp_server_down_the_resend_waits_with_the_reason_and_no_server_error(
    sales_client, sales_user, settings, django_capture_on_commit_callbacks
):
    set_up_templates()
    invoice = printed_invoice(sales_user)
    smtp_backend(settings, closed_port())
    with django_capture_on_commit_callbacks(execute=True):
        response = sales_client.post(resend_url(invoice), {"address": "ivan@example.com", "subject": "S", "body": ""})
    resent = InteractionLogEntry.objects.get(resent_from_entry_no=invoice.entry_no)
    assert response.status_code == 302
    # In-process there is no worker to come back later: the retries are used up at once.
    assert resent.delivery_status == DeliveryStatus.ERROR and "refused" in resent.delivery_error.lower()


# The task is queued when the transaction that recorded the e-mail commits: a real commit.
@pytest.mark.django_db(transaction=True)
def test_with_the_task_queue_down_the_resend_stays_queued_and_the_page_says_so(broker_down, sales_client, sales_user):
    set_up_templates()
    invoice = printed_invoice(sales_user)
    response = sales_client.post(
        resend_url(invoice), {"address": "ivan@example.com", "subject": "S", "body": ""}, follow=True
    )
    resent = InteractionLogEntry.objects.get(resent_from_entry_no=invoice.entry_no)
    assert response.status_code == 200
    assert resent.delivery_status == DeliveryStatus.IN_PROGRESS  # the recovery sweep queues it later
    assert "The task queue cannot be reached" in response.content.decode()


@pytest.mark.parametrize("bad", [{"address": ""}, {"address": "not an address"}, {"subject": ""}])
def test_bad_input_sends_and_records_nothing(sales_client, sales_user, mailoutbox, bad):
    set_up_templates()
    invoice = printed_invoice(sales_user)
    data = {"address": "ivan@example.com", "subject": "S", "body": "", **bad}
    response = sales_client.post(resend_url(invoice), data)
    assert response.status_code == 200
    assert "The e-mail was not sent: please correct the errors below." in response.content.decode()
    assert InteractionLogEntry.objects.count() == 1 and mailoutbox == []


def test_the_owner_rule_decides_who_may_resend(client, sales_user, manager_user, mailoutbox):
    set_up_templates()
    invoice = printed_invoice(sales_user)
    colleague = UserFactory(username="colleague", groups=["Sales staff"])
    client.force_login(colleague)
    page = client.get(invoice.get_absolute_url()).content.decode()
    assert resend_url(invoice) not in page
    response = client.post(resend_url(invoice), {"address": "ivan@example.com", "subject": "S"})
    assert response.status_code == 302 and response["Location"] == invoice.get_absolute_url()
    with pytest.raises(PermissionDenied):
        resend.resend_attachment(entry=invoice, user=colleague)

    reader = UserFactory(username="reader")
    reader.user_permissions.add(Permission.objects.get(codename="view_interactionlogentry"))
    client.force_login(reader)
    assert client.get(resend_url(invoice)).status_code == 403
    assert InteractionLogEntry.objects.count() == 1 and mailoutbox == []

    client.force_login(manager_user)
    assert resend_url(invoice) in client.get(invoice.get_absolute_url()).content.decode()
    assert client.get(resend_url(invoice)).status_code == 200


@pytest.mark.parametrize("kind", ["no attachment", "canceled", "postponed", "draft"])
def test_an_entry_without_something_to_resend_is_refused(sales_client, sales_user, kind):
    set_up_templates()
    fields = {
        "no attachment": {},
        "canceled": {"canceled": True},
        "postponed": {"postponed": True},
        "draft": {"delivery_status": DeliveryStatus.DRAFT},
    }[kind]
    if kind == "no attachment":
        entry = InteractionLogEntryFactory(user=sales_user)
    else:
        entry = printed_invoice(sales_user, **fields)
    page = sales_client.get(entry.get_absolute_url()).content.decode()
    assert resend_url(entry) not in page
    response = sales_client.post(resend_url(entry), {"address": "ivan@example.com", "subject": "S"})
    assert response.status_code == 302 and response["Location"] == entry.get_absolute_url()
    with pytest.raises(resend.NothingToResend):
        resend.resend_attachment(entry=entry, user=sales_user, address="ivan@example.com")
    assert InteractionLogEntry.objects.count() == 1


def test_an_entry_whose_original_was_purged_says_so(sales_client, sales_user):
    set_up_templates()
    entry = InteractionLogEntryFactory(user=sales_user, resent_from_entry_no=987654)
    page = sales_client.get(entry.get_absolute_url()).content.decode()
    assert "entry 987654 (no longer exists)" in page


def test_the_service_refuses_an_address_that_is_no_address(sales_user):
    set_up_templates()
    invoice = printed_invoice(sales_user)
    with pytest.raises(ValidationError):
        resend.resend_attachment(entry=invoice, user=sales_user, address="nobody", subject="S")
    assert InteractionLogEntry.objects.count() == 1
