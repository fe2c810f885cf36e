"""The e-mail capture pages: who may set up, run and look; the password never shown back;
"Run now"; skipped messages looked at and logged by hand; private mailboxes' entries."""

import pytest

from interactions.models import (
    CapturedEmail,
    InteractionLogEntry,
    Mailbox,
    MailboxRun,
    SkippedMessage,
    SkipReason,
)
from interactions.services.mail_capture.runs import read_mailbox

from .factories import PersonFactory, SalespersonFactory, UserFactory
from .mail_capture_support import PASSWORD_VARIABLE, build_message, make_mailbox

MAILBOX_FORM = {
    "name": "Journal",
    "host": "imap.example.org",
    "port": "993",
    "security": "ssl",
    "username": "journal@ours.example",
    "password_source": "env",
    "password_reference": "JOURNAL_IMAP_PASSWORD",
    "folder": "INBOX",
    "processed_folder": "CRM-processed",
    "kind": "journal",
    "active": "on",
}


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(username="admin-user", groups=["Administrator"]))
    return client


def test_only_administrators_set_up_mailboxes_and_managers_see_health(client, sales_user, manager_user, db):
    mailbox = Mailbox.objects.create(name="M", host="h", username="u", password_reference="X")
    client.force_login(sales_user)
    assert client.get("/interactions/mailboxes/").status_code == 403
    assert client.get(f"/interactions/mailboxes/{mailbox.pk}/").status_code == 403
    client.force_login(manager_user)
    assert client.get("/interactions/mailboxes/").status_code == 200
    assert client.get(f"/interactions/mailboxes/{mailbox.pk}/").status_code == 200
    assert client.get("/interactions/mailboxes/new/").status_code == 403
    assert client.post("/interactions/mailboxes/new/", MAILBOX_FORM).status_code == 403
    assert client.post(f"/interactions/mailboxes/{mailbox.pk}/run/").status_code == 403
    assert client.post("/interactions/mailboxes/", {"internal_domains": "evil.example"}).status_code == 403
    assert Mailbox.objects.count() == 1


def test_an_administrator_sets_up_a_mailbox_whose_password_stays_out_of_the_database(admin_client):
    response = admin_client.post("/interactions/mailboxes/new/", MAILBOX_FORM)

    assert response.status_code == 302
    mailbox = Mailbox.objects.get()
    assert mailbox.password_reference == "JOURNAL_IMAP_PASSWORD"
    page = admin_client.get(f"/interactions/mailboxes/{mailbox.pk}/edit/").content.decode()
    assert 'type="password"' not in page


def test_a_salespersons_mailbox_needs_its_salesperson_and_another_processed_folder(admin_client):
    form = {**MAILBOX_FORM, "kind": "personal", "processed_folder": "INBOX"}
    page = admin_client.post("/interactions/mailboxes/new/", form).content.decode()

    assert "A salesperson&#x27;s mailbox needs its salesperson." in page
    assert "Processed messages must go to another folder than the one read." in page
    assert not Mailbox.objects.exists()


def test_capture_settings_refuse_what_is_no_address_or_domain(admin_client):
    page = admin_client.post(
        "/interactions/mailboxes/",
        {"internal_domains": "ours.example\nnot a domain", "never_log": "", "log_mode": "all"},
    ).content.decode()
    assert "Not an address or domain: not a domain" in page


def test_run_now_reads_the_mailbox_and_the_health_page_shows_the_run(
    admin_client, dovecot, mail_people, monkeypatch, tasks_in_process
):
    mailbox = make_mailbox(dovecot, monkeypatch)
    dovecot.append(build_message(sender="alice@customer.example", to="anna@ours.example"))
    dovecot.append(build_message(sender="stranger@elsewhere.example", to="anna@ours.example", subject="Unknown"))

    response = admin_client.post(f"/interactions/mailboxes/{mailbox.pk}/run/", follow=True)

    page = response.content.decode()
    assert "is being read" in page
    assert 'id="last-run-read">2<' in page and 'id="last-run-logged">1<' in page
    assert "No known contact: 1" in page
    assert "Unknown" in page  # the skipped message, listed
    assert MailboxRun.objects.get().read == 2


def test_a_dead_task_queue_is_a_clear_message_not_a_server_error(admin_client, broker_down, db, monkeypatch):
    mailbox = Mailbox.objects.create(name="M", host="h", username="u", password_reference=PASSWORD_VARIABLE)

    page = admin_client.post(f"/interactions/mailboxes/{mailbox.pk}/run/", follow=True).content.decode()

    assert "The task queue cannot be reached" in page


def test_a_manager_logs_a_skipped_message_by_hand_for_a_chosen_contact(
    client, manager_user, dovecot, mail_people, monkeypatch
):
    mailbox = make_mailbox(dovecot, monkeypatch)
    dovecot.append(build_message(sender="stranger@elsewhere.example", to="anna@ours.example", subject="New lead"))
    read_mailbox(mailbox_id=mailbox.pk)
    skipped = SkippedMessage.objects.get(reason=SkipReason.NO_KNOWN_CONTACT)
    client.force_login(manager_user)

    page = client.get(f"/interactions/mailboxes/skipped/{skipped.pk}/").content.decode()
    assert "No known contact" in page and "please find the quote below" in page
    missing = client.post(f"/interactions/mailboxes/skipped/{skipped.pk}/", {"contact": "CT999999"}).content.decode()
    assert "There is no contact CT999999." in missing
    response = client.post(f"/interactions/mailboxes/skipped/{skipped.pk}/", {"contact": mail_people["bob"].number})

    assert response.status_code == 302
    entry = InteractionLogEntry.objects.get(contact=mail_people["bob"])
    assert entry.description == "New lead" and entry.attachment is not None
    skipped.refresh_from_db()
    assert skipped.logged_entry_id == entry.entry_no and skipped.logged_by == manager_user
    again = client.post(f"/interactions/mailboxes/skipped/{skipped.pk}/", {"contact": mail_people["alice"].number})
    assert "already logged by hand" in again.content.decode()
    assert client.get(f"/interactions/mailboxes/skipped/{skipped.pk}/message.eml").status_code == 200


def test_sales_staff_cannot_open_skipped_messages(client, sales_user, db):
    mailbox = Mailbox.objects.create(name="M", host="h", username="u", password_reference="X")
    skipped = SkippedMessage.objects.create(mailbox=mailbox, message_key="k", reason=SkipReason.NO_KNOWN_CONTACT)
    client.force_login(sales_user)
    assert client.get(f"/interactions/mailboxes/skipped/{skipped.pk}/").status_code == 403
    assert client.get(f"/interactions/mailboxes/skipped/{skipped.pk}/message.eml").status_code == 403
    assert client.post(f"/interactions/mailboxes/skipped/{skipped.pk}/", {"contact": "CT1"}).status_code == 403


def test_a_private_mailboxs_entries_are_listed_for_others_without_subject_or_message(
    client, dovecot, mail_people, monkeypatch
):
    mailbox = make_mailbox(
        dovecot, monkeypatch, name="Anna", kind="personal", salesperson=mail_people["seller"], private=True
    )
    dovecot.append(build_message(sender="alice@customer.example", to="anna@ours.example", subject="Salary talk"))
    read_mailbox(mailbox_id=mailbox.pk)
    entry = InteractionLogEntry.objects.get(contact=mail_people["alice"])
    assert entry.captured_email.private and "Salary" not in entry.description and entry.subject == ""

    colleague = UserFactory(username="colleague", groups=["Sales staff"])
    client.force_login(colleague)
    assert "Salary talk" not in client.get("/interactions/log/").content.decode()
    assert f"/interactions/log/{entry.entry_no}/" in client.get("/interactions/log/").content.decode()
    detail = client.get(entry.get_absolute_url()).content.decode()
    assert "Salary talk" not in detail and "Private e-mail" in detail
    assert client.get(f"/interactions/attachments/{entry.attachment_id}/").status_code == 403
    assert "Salary talk" not in client.get(mail_people["alice"].get_absolute_url()).content.decode()

    client.force_login(mail_people["seller_user"])
    assert "Salary talk" in client.get(entry.get_absolute_url()).content.decode()
    assert client.get(f"/interactions/attachments/{entry.attachment_id}/").status_code == 200
    manager = UserFactory(username="the-manager", groups=["Sales manager"])
    client.force_login(manager)
    assert client.get(f"/interactions/attachments/{entry.attachment_id}/").status_code == 200


def test_a_private_email_cannot_be_forwarded_by_someone_who_may_not_open_it(dovecot, mail_people, monkeypatch):
    from django.core.exceptions import PermissionDenied

    from interactions.services.communication import emails as email_services

    mailbox = make_mailbox(dovecot, monkeypatch, kind="personal", salesperson=mail_people["seller"], private=True)
    dovecot.append(build_message(sender="alice@customer.example", to="anna@ours.example", subject="Secret"))
    read_mailbox(mailbox_id=mailbox.pk)
    entry = InteractionLogEntry.objects.get(contact=mail_people["alice"])
    colleague = UserFactory(username="colleague2", groups=["Sales staff"])
    SalespersonFactory(code="COLL", user=colleague)

    with pytest.raises(PermissionDenied):
        email_services.send_email(
            contact=mail_people["alice"],
            subject="Fwd",
            body="see",
            attachments=[],
            user=colleague,
            reply_to_entry=entry,
        )
    assert CapturedEmail.objects.filter(kind=CapturedEmail.Kind.SENT).count() == 0


def test_the_mailbox_list_takes_the_same_number_of_queries_for_more_mailboxes(
    admin_client, django_assert_max_num_queries
):
    for number in range(8):
        mailbox = Mailbox.objects.create(name=f"M{number}", host="h", username="u", password_reference="X")
        MailboxRun.objects.create(mailbox=mailbox, read=3, logged=1, skipped={"no_contact": 2})
    PersonFactory()
    with django_assert_max_num_queries(12):
        assert admin_client.get("/interactions/mailboxes/").status_code == 200
