"""An administrator sets up a mailbox on a real IMAP server (the test Dovecot), runs it now,
sees the logged e-mails on the contact's timeline with the reply threaded under the message
it answers, the health page with the skipped message and its reason, and logs that message
by hand for a contact."""

import re

import pytest
from playwright.sync_api import expect

from crm.contacts.models import Contact, Salesperson
from interactions.models import InteractionLogEntry, Mailbox, SkippedMessage
from interactions.tests.dovecot_support import PASSWORD, USER
from interactions.tests.mail_capture_support import build_message

from .helpers import log_in

pytestmark = pytest.mark.browser

PASSWORD_VARIABLE = "CRM_BROWSER_IMAP_PASSWORD"


@pytest.fixture
def mailbox_runs_in_process(settings):
    """ "Run now" then reads the mailbox at once; with a broker (CI) it would queue it for a
    worker, which the worker tests cover."""
    from crm.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_admin_sets_up_a_mailbox_runs_it_and_sees_the_thread_and_the_skipped_message(
    page, dovecot, monkeypatch, mailbox_runs_in_process
):
    monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)
    salesperson = Salesperson.objects.exclude(email="").order_by("code").first()
    contact = Contact.objects.filter(type=Contact.Type.PERSON).exclude(email="").order_by("number").first()
    other = Contact.objects.filter(type=Contact.Type.PERSON).exclude(email="").exclude(pk=contact.pk).first()
    original_id = "<offer-4711@ours.example>"
    dovecot.append_many(
        [
            build_message(
                sender=salesperson.email, to=contact.email, subject="Offer 4711 for 20 chairs", message_id=original_id
            ),
            build_message(
                sender=contact.email,
                to=salesperson.email,
                subject="Re: Offer 4711 for 20 chairs",
                in_reply_to=original_id,
                references=[original_id],
            ),
            build_message(sender="someone@unknown-firm.example", to=salesperson.email, subject="Cold lead from a fair"),
        ]
    )
    log_in(page, "admin")

    page.goto("/interactions/mailboxes/")
    page.get_by_role("link", name="New mailbox").click()
    page.locator("#id_name").fill("Journal")
    page.locator("#id_host").fill("127.0.0.1")
    page.locator("#id_port").fill(str(dovecot.port))
    page.locator("#id_security").select_option(label="None (unencrypted)")
    page.locator("#id_username").fill(USER)
    page.locator("#id_password_reference").fill(PASSWORD_VARIABLE)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Mailbox Journal has been saved.")
    assert Mailbox.objects.get().password_reference == PASSWORD_VARIABLE

    page.get_by_role("button", name="Run Journal now").click()
    expect(page.get_by_role("heading", name="Mailbox Journal")).to_be_visible()
    expect(page.locator("#last-run-read")).to_have_text("3")
    expect(page.locator("#last-run-logged")).to_have_text("2")
    expect(page.locator("#last-run-skipped")).to_have_text("No known contact: 1")
    expect(page.locator("#skipped-messages")).to_contain_text("Cold lead from a fair")
    expect(page.locator("#skipped-messages")).to_contain_text("No known contact")

    page.goto(contact.get_absolute_url())
    original = InteractionLogEntry.objects.get(contact=contact, description="Offer 4711 for 20 chairs")
    reply = InteractionLogEntry.objects.get(contact=contact, description="Re: Offer 4711 for 20 chairs")
    thread = page.locator(f'#contact-timeline li[data-entry="{original.entry_no}"] .email-thread')
    expect(thread.locator(f'li[data-entry="{reply.entry_no}"]')).to_contain_text(f"Reply to {original.entry_no}")

    page.goto(reply.get_absolute_url())
    expect(page.locator("#email-thread")).to_contain_text("Offer 4711 for 20 chairs")

    page.goto(Mailbox.objects.get().get_absolute_url())
    page.get_by_role("link", name="Cold lead from a fair").click()
    expect(page.locator("#skipped-details")).to_contain_text("No known contact")
    page.get_by_label("Contact No.").fill(other.number)
    page.get_by_role("button", name="Log for this contact").click()
    expect(page.get_by_role("alert")).to_contain_text(f"The message has been logged for {other.name}")
    assert SkippedMessage.objects.get().logged_entry.contact == other
    expect(page).to_have_url(re.compile(r"/interactions/mailboxes/skipped/\d+/$"))
