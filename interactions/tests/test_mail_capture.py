"""E-mail capture end to end: messages APPENDed to a real Dovecot over IMAP, the mailbox read
by the capture service (as the Celery task does), the log, the folders and the health rows
checked as a user would see them."""

import datetime
import email.utils
import json
from pathlib import Path

import pytest
from django.utils import timezone

from interactions.models import (
    CapturedEmail,
    DeliveryStatus,
    InformationFlow,
    InteractionLogEntry,
    LogMode,
    Mailbox,
    MailboxRun,
    MailboxRunState,
    MailCaptureSettings,
    SkippedMessage,
    SkipReason,
)
from interactions.services.communication import emails as email_services
from interactions.services.mail_capture import runs
from interactions.services.mail_capture.runs import MailboxBusy, acquire_lease, read_mailbox

from .email_support import set_up_templates
from .factories import UserFactory
from .mail_capture_support import bounce_of, build_message, make_mailbox

CORPUS = Path(__file__).parent / "mail_corpus"


def run(mailbox: Mailbox) -> runs.RunResult:
    return read_mailbox(mailbox_id=mailbox.pk)


def entries_of(contact) -> list[InteractionLogEntry]:
    return list(InteractionLogEntry.objects.filter(contact=contact).order_by("entry_no"))


def test_a_message_with_two_known_contacts_is_logged_once_for_each_and_moved(dovecot, mail_people, monkeypatch):
    mailbox = make_mailbox(dovecot, monkeypatch)
    dovecot.append(
        build_message(
            sender="Alice Buyer <alice@customer.example>",
            to="Anna Seller <ANNA@ours.example>",
            cc=["bob@CUSTOMER.example"],
            subject="Re: chairs, delivery next week?",
            date="Tue, 03 Nov 2026 10:15:00 +0000",
        )
    )

    result = run(mailbox)

    assert result.state == MailboxRunState.SUCCEEDED and result.read == 1 and result.logged == 1
    (alice_entry,) = entries_of(mail_people["alice"])
    (bob_entry,) = entries_of(mail_people["bob"])
    for entry in (alice_entry, bob_entry):
        assert entry.description == "Re: chairs, delivery next week?"
        assert entry.information_flow == InformationFlow.INBOUND
        assert entry.salesperson == mail_people["seller"]
        assert entry.template == mail_people["templates"]["emails"]
        assert entry.date == datetime.date(2026, 11, 3)
        assert entry.attachment.content_type == "message/rfc822"
    assert alice_entry.attachment_id == bob_entry.attachment_id
    assert dovecot.count("INBOX") == 0 and dovecot.count("CRM-processed") == 1

    again = run(mailbox)
    assert again.read == 0
    assert InteractionLogEntry.objects.count() == 2


def test_a_message_a_salesperson_sent_is_outbound_and_theirs(dovecot, mail_people, monkeypatch):
    mailbox = make_mailbox(dovecot, monkeypatch)
    dovecot.append(build_message(sender="anna@ours.example", to="alice@customer.example", subject="Our offer"))

    run(mailbox)

    (entry,) = entries_of(mail_people["alice"])
    assert entry.information_flow == InformationFlow.OUTBOUND
    assert entry.salesperson == mail_people["seller"]
    assert entry.contact_via == "alice@customer.example"


def test_the_same_message_in_a_second_mailbox_is_skipped_as_a_duplicate(dovecot, mail_people, monkeypatch):
    raw = build_message(sender="alice@customer.example", to="anna@ours.example")
    dovecot.append(raw)
    dovecot.append(raw, folder="Personal")
    journal = make_mailbox(dovecot, monkeypatch)
    personal = make_mailbox(
        dovecot,
        monkeypatch,
        name="Anna",
        folder="Personal",
        processed_folder="Personal-done",
        kind="personal",
        salesperson=mail_people["seller"],
    )

    run(journal)
    result = run(personal)

    assert len(entries_of(mail_people["alice"])) == 1
    skipped = SkippedMessage.objects.get(mailbox=personal)
    assert skipped.reason == SkipReason.DUPLICATE
    assert skipped.duplicate_of_id == entries_of(mail_people["alice"])[0].entry_no
    assert result.skipped == {SkipReason.DUPLICATE: 1}
    assert dovecot.count("Personal") == 0 and dovecot.count("Personal-done") == 1


def test_an_email_sent_from_the_application_is_not_logged_again_from_the_journal(dovecot, mail_people, monkeypatch):
    sent = email_services.send_email(
        contact=mail_people["alice"],
        subject="Price list",
        body="Here it is.",
        attachments=[],
        user=mail_people["seller_user"],
    )
    # The message as it went out, its copy arriving in the journal mailbox.
    dovecot.append(_stored_eml(sent.entry))
    mailbox = make_mailbox(dovecot, monkeypatch)

    result = run(mailbox)

    assert entries_of(mail_people["alice"]) == [sent.entry]
    assert result.skipped == {SkipReason.DUPLICATE: 1}


def _stored_eml(entry) -> bytes:
    with entry.attachment.file.open("rb") as handle:
        return handle.read()


def test_a_reply_to_an_email_from_the_application_is_threaded_to_it(dovecot, mail_people, monkeypatch, client):
    sent = email_services.send_email(
        contact=mail_people["alice"],
        subject="Price list",
        body="Here it is.",
        attachments=[],
        user=mail_people["seller_user"],
    )
    original_id = CapturedEmail.objects.get(entry=sent.entry).message_key
    dovecot.append(
        build_message(
            sender="alice@customer.example",
            to="anna@ours.example",
            subject="Re: Price list",
            in_reply_to=f"<{original_id}>",
            references=[f"<{original_id}>"],
        )
    )
    mailbox = make_mailbox(dovecot, monkeypatch)

    run(mailbox)

    reply = InteractionLogEntry.objects.exclude(entry_no=sent.entry.entry_no).get(contact=mail_people["alice"])
    assert reply.captured_email.replies_to_id == sent.entry.entry_no
    client.force_login(mail_people["seller_user"])
    page = client.get(reply.get_absolute_url()).content.decode()
    assert 'id="email-thread"' in page and f'data-entry="{sent.entry.entry_no}"' in page
    card = client.get(mail_people["alice"].get_absolute_url()).content.decode()
    thread = card[card.index('class="list-unstyled ms-2 mt-1 ps-2 border-start email-thread"') :]
    assert f'data-entry="{reply.entry_no}"' in thread.split("</ul>")[0]


def test_a_bounce_marks_the_original_email_failed_instead_of_being_logged(dovecot, mail_people, monkeypatch):
    sent = email_services.send_email(
        contact=mail_people["alice"], subject="Offer", body="Text", attachments=[], user=mail_people["seller_user"]
    )
    original_id = CapturedEmail.objects.get(entry=sent.entry).message_key
    dovecot.append(bounce_of(original_id=f"<{original_id}>", recipient="alice@customer.example"))
    mailbox = make_mailbox(dovecot, monkeypatch)

    result = run(mailbox)

    sent.entry.refresh_from_db()
    assert sent.entry.delivery_status == DeliveryStatus.ERROR
    assert "550" in sent.entry.delivery_error or "alice@customer.example" in sent.entry.delivery_error
    assert result.bounces == 1 and result.logged == 0
    assert entries_of(mail_people["alice"]) == [sent.entry]


@pytest.mark.parametrize("never_log", ["alice@customer.example", "customer.example"])
def test_addresses_and_domains_on_the_never_log_list_are_skipped(dovecot, mail_people, monkeypatch, never_log):
    row = MailCaptureSettings.load()
    row.never_log = never_log
    row.save()
    dovecot.append(build_message(sender="alice@customer.example", to="anna@ours.example"))
    mailbox = make_mailbox(dovecot, monkeypatch)

    run(mailbox)

    assert InteractionLogEntry.objects.count() == 0
    assert SkippedMessage.objects.get().reason == SkipReason.NEVER_LOG
    assert dovecot.count("INBOX") == 0


def test_a_message_with_no_known_contact_is_skipped_and_kept(dovecot, mail_people, monkeypatch):
    raw = build_message(sender="stranger@elsewhere.example", to="anna@ours.example", subject="Who am I")
    dovecot.append(raw)
    mailbox = make_mailbox(dovecot, monkeypatch)

    run(mailbox)

    skipped = SkippedMessage.objects.get()
    assert skipped.reason == SkipReason.NO_KNOWN_CONTACT
    assert skipped.subject == "Who am I" and "stranger@elsewhere.example" in skipped.sender
    with skipped.raw.open("rb") as handle:
        assert b"Who am I" in handle.read()


def test_only_replies_to_our_messages_are_logged_in_replies_mode(dovecot, mail_people, monkeypatch):
    row = MailCaptureSettings.load()
    row.log_mode = LogMode.REPLIES
    row.save()
    sent = email_services.send_email(
        contact=mail_people["alice"], subject="Offer", body="Text", attachments=[], user=mail_people["seller_user"]
    )
    original_id = CapturedEmail.objects.get(entry=sent.entry).message_key
    dovecot.append(build_message(sender="bob@customer.example", to="anna@ours.example", subject="Cold message"))
    dovecot.append(
        build_message(
            sender="alice@customer.example", to="anna@ours.example", subject="Re: Offer", in_reply_to=f"<{original_id}>"
        )
    )
    mailbox = make_mailbox(dovecot, monkeypatch)

    result = run(mailbox)

    assert result.logged == 1
    assert entries_of(mail_people["bob"]) == []
    assert SkippedMessage.objects.get().reason == SkipReason.NOT_A_REPLY


def test_automatic_replies_are_logged_as_such_or_skipped_by_the_rule(dovecot, mail_people, monkeypatch):
    auto = {"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"}
    dovecot.append(
        build_message(sender="alice@customer.example", to="anna@ours.example", subject="Out of office", headers=auto)
    )
    mailbox = make_mailbox(dovecot, monkeypatch)
    run(mailbox)
    (entry,) = entries_of(mail_people["alice"])
    assert entry.captured_email.kind == CapturedEmail.Kind.AUTO_REPLY
    assert entry.description.startswith("Automatic reply")

    row = MailCaptureSettings.load()
    row.skip_auto_replies = True
    row.save()
    dovecot.append(build_message(sender="bob@customer.example", to="anna@ours.example", subject="Away", headers=auto))
    run(mailbox)
    assert entries_of(mail_people["bob"]) == []
    assert SkippedMessage.objects.get().reason == SkipReason.AUTO_REPLY


def test_a_message_over_the_attachment_limit_keeps_its_text_and_says_so(
    dovecot, mail_people, monkeypatch, settings, client
):
    settings.INTERACTIONS_MAIL_CAPTURE_ATTACHMENT_LIMIT = 50_000
    dovecot.append(
        build_message(
            sender="alice@customer.example", to="anna@ours.example", body="The drawings.", attachment=b"x" * 300_000
        )
    )
    mailbox = make_mailbox(dovecot, monkeypatch)

    run(mailbox)

    (entry,) = entries_of(mail_people["alice"])
    assert entry.captured_email.truncated
    assert entry.attachment.size <= 50_000
    client.force_login(mail_people["seller_user"])
    assert 'id="entry-truncated"' in client.get(entry.get_absolute_url()).content.decode()


def test_a_message_over_the_download_limit_is_skipped_as_too_large_with_its_headers(
    dovecot, mail_people, monkeypatch, settings
):
    settings.INTERACTIONS_MAIL_CAPTURE_MAX_MESSAGE_SIZE = 100_000
    dovecot.append(
        build_message(
            sender="alice@customer.example", to="anna@ours.example", subject="Huge", attachment=b"y" * 200_000
        )
    )
    mailbox = make_mailbox(dovecot, monkeypatch)

    run(mailbox)

    skipped = SkippedMessage.objects.get()
    assert skipped.reason == SkipReason.TOO_LARGE and skipped.subject == "Huge"
    assert skipped.size < 100_000
    assert dovecot.count("INBOX") == 0


def test_the_hostile_corpus_never_stops_a_run(dovecot, mail_people, monkeypatch):
    corpus = sorted(CORPUS.glob("*.eml"))
    assert corpus, "the corpus of hostile messages is missing"
    dovecot.append_many(path.read_bytes() for path in corpus)
    dovecot.append(b"\x00\xff garbage that is no e-mail at all \r\n\r\n")
    dovecot.append(
        build_message(sender="alice@customer.example", to="anna@ours.example", attachment=b"z" * (30 * 1024 * 1024))
    )
    mailbox = make_mailbox(dovecot, monkeypatch)

    result = run(mailbox)

    assert result.state == MailboxRunState.SUCCEEDED, result.error
    total = len(corpus) + 2
    assert result.read == total
    decided = result.logged + result.bounces + sum(result.skipped.values())
    assert decided == total
    assert dovecot.count("INBOX") == 0 and dovecot.count("CRM-processed") == total


def test_a_wrong_password_fails_the_run_with_a_clear_error_and_loses_nothing(dovecot, mail_people, monkeypatch):
    dovecot.append(build_message(sender="alice@customer.example", to="anna@ours.example"))
    mailbox = make_mailbox(dovecot, monkeypatch)
    monkeypatch.setenv("CRM_TEST_IMAP_PASSWORD", "wrong")

    result = run(mailbox)

    assert result.state == MailboxRunState.FAILED
    assert "refused the user name or password" in result.error
    mailbox.refresh_from_db()
    assert mailbox.consecutive_failures == 1 and mailbox.last_error == result.error
    assert dovecot.count("INBOX") == 1


def test_a_password_from_a_secrets_file(dovecot, mail_people, monkeypatch, tmp_path):
    secret = tmp_path / "imap-password"
    secret.write_text("capture-secret\n")
    dovecot.append(build_message(sender="alice@customer.example", to="anna@ours.example"))
    mailbox = make_mailbox(dovecot, monkeypatch, password_source="file", password_reference=str(secret))

    assert run(mailbox).logged == 1


def test_a_missing_template_in_the_setup_fails_the_run_and_keeps_the_messages(dovecot, mail_people, monkeypatch):
    set_up_templates(emails=False)
    dovecot.append(build_message(sender="alice@customer.example", to="anna@ours.example"))
    mailbox = make_mailbox(dovecot, monkeypatch)

    result = run(mailbox)

    assert result.state == MailboxRunState.FAILED and "no template for E-mails" in result.error
    assert dovecot.count("INBOX") == 1


def test_a_mailbox_held_by_another_reader_is_not_read_until_its_lease_expires(
    dovecot, mail_people, monkeypatch, settings
):
    mailbox = make_mailbox(dovecot, monkeypatch)
    assert acquire_lease(mailbox_id=mailbox.pk, token="the-other-worker")
    with pytest.raises(MailboxBusy):
        run(mailbox)
    Mailbox.objects.filter(pk=mailbox.pk).update(locked_until=timezone.now() - datetime.timedelta(seconds=1))
    assert run(mailbox).state == MailboxRunState.SUCCEEDED


def test_a_connection_cut_mid_run_loses_nothing_and_logs_nothing_twice(dovecot, mail_people, monkeypatch, settings):
    from . import tcp_proxy

    settings.INTERACTIONS_MAIL_CAPTURE_BATCH_SIZE = 4
    settings.INTERACTIONS_MAIL_CAPTURE_TIMEOUT = 5
    total = 20
    dovecot.append_many(
        build_message(sender="alice@customer.example", to="anna@ours.example", subject=f"Message {n}")
        for n in range(total)
    )
    proxy = tcp_proxy.TcpProxy(target_host="127.0.0.1", target_port=dovecot.port).start()
    mailbox = make_mailbox(dovecot, monkeypatch, port=proxy.port)
    real_capture = runs.capture_batch
    batches = []

    def capture_then_cut(**kwargs):
        outcomes = real_capture(**kwargs)
        batches.append(outcomes)
        if len(batches) == 2:
            proxy.cut()  # the second batch decided, not yet committed nor moved; the first moved
        return outcomes

    monkeypatch.setattr(runs, "capture_batch", capture_then_cut)
    try:
        first = run(mailbox)
        assert first.state == MailboxRunState.FAILED and first.error
        assert 0 < InteractionLogEntry.objects.count() < total
        proxy.restore()
        second = run(mailbox)
    finally:
        proxy.stop()

    assert second.state == MailboxRunState.SUCCEEDED, second.error
    subjects = sorted(InteractionLogEntry.objects.values_list("description", flat=True))
    assert subjects == sorted(f"Message {n}" for n in range(total))
    assert dovecot.count("INBOX") == 0 and dovecot.count("CRM-processed") == total
    assert MailboxRun.objects.filter(mailbox=mailbox).count() == 2


def test_three_failed_runs_in_a_row_warn_every_administrator_on_the_dashboard(
    dovecot, mail_people, monkeypatch, client
):
    mailbox = make_mailbox(dovecot, monkeypatch, password_reference="CRM_TEST_UNSET_VARIABLE")
    admin = UserFactory(username="boss", groups=["Administrator"])
    client.force_login(admin)
    for _attempt in range(2):
        run(mailbox)
        assert "failing-mailbox" not in client.get("/").content.decode()
    run(mailbox)
    page = client.get("/").content.decode()
    assert "failing-mailbox" in page and "Journal" in page and "CRM_TEST_UNSET_VARIABLE" in page
    client.force_login(mail_people["seller_user"])
    assert "failing-mailbox" not in client.get("/").content.decode()

    monkeypatch.setenv("CRM_TEST_UNSET_VARIABLE", "capture-secret")
    assert run(mailbox).state == MailboxRunState.SUCCEEDED
    client.force_login(admin)
    assert "failing-mailbox" not in client.get("/").content.decode()


def test_a_run_whose_worker_died_shows_as_interrupted_and_the_next_one_goes_on(dovecot, mail_people, monkeypatch):
    mailbox = make_mailbox(dovecot, monkeypatch)
    stale = MailboxRun.objects.create(mailbox=mailbox, started_at=timezone.now() - datetime.timedelta(minutes=10))
    dovecot.append(
        build_message(sender="alice@customer.example", to="anna@ours.example", date=email.utils.formatdate())
    )

    assert run(mailbox).logged == 1
    stale.refresh_from_db()
    assert stale.state == MailboxRunState.FAILED and "Interrupted" in stale.error


def test_captured_entries_are_announced_to_webhook_subscribers_once_the_batch_commits(
    dovecot, mail_people, monkeypatch, django_capture_on_commit_callbacks, tasks_in_process
):
    from interactions.models import WebhookDelivery, WebhookEvent
    from interactions.services import webhooks

    webhooks.subscribe(
        description="Shop", url="http://127.0.0.1:9/hook", events=[WebhookEvent.ENTRY_CREATED], user=None
    )
    monkeypatch.setattr(webhooks, "queue_task", lambda *args, **kwargs: None)
    dovecot.append(build_message(sender="alice@customer.example", to="anna@ours.example", cc=["bob@customer.example"]))
    mailbox = make_mailbox(dovecot, monkeypatch)

    with django_capture_on_commit_callbacks(execute=True):
        run(mailbox)

    delivery = WebhookDelivery.objects.get(event=WebhookEvent.ENTRY_CREATED)
    numbers = sorted(entry["entry_no"] for entry in json.loads(delivery.body)["data"]["entries"])
    assert numbers == sorted(InteractionLogEntry.objects.values_list("entry_no", flat=True))


def test_within_one_batch_a_copy_is_a_duplicate_and_a_reply_is_threaded_to_its_original(
    dovecot, mail_people, monkeypatch
):
    # One batch is decided together: each message as if the ones before it were committed.
    offer = build_message(sender="anna@ours.example", to="alice@customer.example", subject="Our offer")
    offer_id = email.message_from_bytes(offer)["Message-ID"]
    dovecot.append_many(
        [
            offer,
            offer,  # a copy of it (a journal rule that fired twice)
            build_message(
                sender="alice@customer.example",
                to="anna@ours.example",
                subject="Re: Our offer",
                in_reply_to=offer_id,
                references=[offer_id],
            ),
            bounce_of(original_id=offer_id, recipient="alice@customer.example"),
        ]
    )
    mailbox = make_mailbox(dovecot, monkeypatch)

    result = run(mailbox)

    assert result.read == 4 and result.logged == 2 and result.bounces == 1
    assert result.skipped == {SkipReason.DUPLICATE: 1}
    sent, reply = entries_of(mail_people["alice"])
    assert (sent.description, reply.description) == ("Our offer", "Re: Our offer")
    assert reply.captured_email.replies_to_id == sent.entry_no
    sent.refresh_from_db()
    assert sent.delivery_status == DeliveryStatus.ERROR
    assert dovecot.count("INBOX") == 0 and dovecot.count("CRM-processed") == 4


def test_a_batch_takes_as_many_queries_for_thirty_messages_as_for_three(dovecot, mail_people, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    mailbox = make_mailbox(dovecot, monkeypatch)
    counts = []
    for size in (3, 30):
        dovecot.append_many(
            build_message(
                sender="alice@customer.example",
                to="anna@ours.example",
                cc=["bob@customer.example", "nobody@unknown.example"],
                subject=f"Order {size}-{n}",
            )
            for n in range(size)
        )
        with CaptureQueriesContext(connection) as queries:
            result = run(mailbox)
        assert result.logged == size
        inserts = sum(query["sql"].startswith("INSERT") for query in queries.captured_queries)
        counts.append((len(queries.captured_queries) - inserts, inserts))

    # The same lookups and updates; the bulk inserts are split only by the database's limit
    # of parameters per statement (SQLite's 999), never a statement per message.
    (reads_3, inserts_3), (reads_30, inserts_30) = counts
    assert reads_3 == reads_30 and inserts_30 <= 2 * inserts_3, counts


def test_parse_processes_decide_every_message_as_the_run_alone_does(dovecot, mail_people, monkeypatch, settings):
    # The hostile corpus and a thread across batches, read twice from the same messages:
    # by the run alone, then with two parse processes (small batches, parsed ahead).
    settings.INTERACTIONS_MAIL_CAPTURE_BATCH_SIZE = 3
    offer = build_message(sender="anna@ours.example", to="alice@customer.example", subject="Our offer")
    offer_id = email.message_from_bytes(offer)["Message-ID"]
    messages = [offer, *(path.read_bytes() for path in sorted(CORPUS.glob("*.eml")))]
    messages.append(
        build_message(
            sender="alice@customer.example", to="anna@ours.example", subject="Re: Our offer", in_reply_to=offer_id
        )
    )
    outcomes = []
    for processes, folder in ((0, "Alone"), (2, "Pooled")):
        settings.INTERACTIONS_MAIL_CAPTURE_PARSE_PROCESSES = processes
        dovecot.append_many(messages, folder=folder)
        mailbox = make_mailbox(dovecot, monkeypatch, name=folder, folder=folder, processed_folder=f"{folder}-done")
        result = run(mailbox)
        assert result.state == MailboxRunState.SUCCEEDED, result.error
        assert dovecot.count(folder) == 0 and dovecot.count(f"{folder}-done") == len(messages)
        skipped = sorted(
            SkippedMessage.objects.filter(mailbox=mailbox)
            .exclude(reason=SkipReason.DUPLICATE)
            .values_list("message_key", "reason")
        )
        outcomes.append((result.read, result.bounces, skipped))
        if processes == 0:
            logged_alone = result.logged
            assert logged_alone >= 2
        else:
            # The second mailbox holds copies: what the first logged is a duplicate now.
            assert result.logged == 0 and result.skipped.get(SkipReason.DUPLICATE, 0) >= logged_alone
    assert outcomes[0] == outcomes[1]
    reply = InteractionLogEntry.objects.get(description="Re: Our offer")
    assert reply.captured_email.replies_to.description == "Our offer"
