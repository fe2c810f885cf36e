"""E-mail drafts: saved from the e-mail page with the setup's "E-mail drafts" template (the
draft's message kept as the entry's attachment, status "draft"), reopened from the entry
and the contact's card, edited, saved again and sent: the sent e-mail recorded with the
"E-mails" template, delivered through Django's SMTP backend to a real SMTP server, its
entry and the draft linked both ways, the draft marked "draft sent"."""

from email import policy
from email.parser import BytesParser

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from interactions.models import Attachment, DeliveryStatus, InteractionLogEntry, InteractionTemplateSetup
from interactions.services.communication import drafts

from .email_support import SmtpSink, salesperson_for, set_up_templates, stored_message
from .factories import InteractionTemplateFactory, PersonFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]
NEW_EMAIL = reverse("interactions:email-new")


def set_up_drafts(*, drafts_template: bool = True) -> dict:
    templates = set_up_templates()
    setup = InteractionTemplateSetup.load()
    templates["email_drafts"] = InteractionTemplateFactory(code="DRAFT", description="E-mail draft", unit_cost=0)
    setup.email_drafts = templates["email_drafts"] if drafts_template else None
    setup.save()
    return templates


def smtp_backend(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 30
    settings.INTERACTIONS_EMAIL_MAX_RETRIES = 0


def save_draft_on_the_page(client, contact, **fields):
    data = {"action": "save_draft", "address": contact.email, "subject": "", "body": "", **fields}
    return client.post(f"{NEW_EMAIL}?contact={contact.number}", data)


def draft_url(entry) -> str:
    return reverse("interactions:email-draft", args=[entry.entry_no])


def test_saving_a_draft_logs_it_with_the_drafts_template_and_keeps_the_message(sales_client, sales_user):
    templates = set_up_drafts()
    contact = PersonFactory(name="Анна Петрова", email="anna@example.com")
    price_list = SimpleUploadedFile("prices.pdf", b"%PDF-1.4 prices", content_type="application/pdf")

    response = save_draft_on_the_page(
        sales_client, contact, subject="Прайс-лист", body="Добрый день, Анна", attachments=[price_list]
    )

    draft = InteractionLogEntry.objects.get()
    assert response.status_code == 302 and response["Location"] == draft_url(draft)
    assert (draft.template, draft.delivery_status, draft.user) == (
        templates["email_drafts"],
        DeliveryStatus.DRAFT,
        sales_user,
    )
    assert (draft.subject, draft.contact_via, draft.contact) == ("Прайс-лист", "anna@example.com", contact)
    message = stored_message(draft)
    assert message["Subject"] == "Прайс-лист" and message["To"].addresses[0].display_name == "Анна Петрова"
    assert message.get_body(preferencelist=("plain",)).get_content().strip() == "Добрый день, Анна"
    assert [part.get_filename() for part in message.iter_attachments()] == ["prices.pdf"]
    page = sales_client.get(response["Location"]).content.decode()
    assert f"The draft has been saved as interaction {draft.entry_no}" in page
    assert 'value="Прайс-лист"' in page and "Добрый день, Анна" in page and "prices.pdf" in page


def test_an_unfinished_draft_may_be_saved_but_not_an_empty_one_nor_a_wrong_address(sales_client):
    set_up_drafts()
    contact = PersonFactory(email="")
    assert save_draft_on_the_page(sales_client, contact, body="Just an idea").status_code == 302
    assert InteractionLogEntry.objects.count() == 1

    empty = save_draft_on_the_page(sales_client, contact)
    wrong = save_draft_on_the_page(sales_client, contact, address="not an address", body="x")

    assert empty.status_code == wrong.status_code == 200
    assert "The draft is empty: write something before saving it." in empty.content.decode()
    assert "The draft was not saved: please correct the errors below." in wrong.content.decode()
    assert InteractionLogEntry.objects.count() == 1


def test_without_a_drafts_template_the_page_says_so_and_nothing_is_saved(sales_client):
    set_up_drafts(drafts_template=False)
    contact = PersonFactory()
    page = sales_client.get(f"{NEW_EMAIL}?contact={contact.number}").content.decode()
    assert "Drafts cannot be saved: the interaction template setup has no template for E-mail drafts." in page
    assert 'value="save_draft"' not in page

    response = save_draft_on_the_page(sales_client, contact, body="Draft")

    assert response.status_code == 200
    assert "Drafts cannot be saved" in response.content.decode()
    assert not InteractionLogEntry.objects.exists() and not Attachment.objects.exists()


def test_a_reopened_draft_is_saved_again_in_the_same_entry(sales_client):
    set_up_drafts()
    contact = PersonFactory(email="anna@example.com")
    save_draft_on_the_page(
        sales_client,
        contact,
        subject="First",
        body="One",
        attachments=[SimpleUploadedFile("a.pdf", b"%PDF a", content_type="application/pdf")],
    )
    draft = InteractionLogEntry.objects.get()
    first_attachment = draft.attachment_id

    response = sales_client.post(
        draft_url(draft),
        {"action": "save_draft", "address": "anna@example.com", "subject": "Second", "body": "Two", "draft_files": []},
    )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert InteractionLogEntry.objects.count() == 1
    assert draft.subject == "Second" and draft.delivery_status == DeliveryStatus.DRAFT
    assert draft.attachment_id != first_attachment and not Attachment.objects.filter(pk=first_attachment).exists()
    message = stored_message(draft)
    assert message["Subject"] == "Second" and list(message.iter_attachments()) == []


def test_sending_a_draft_delivers_it_to_the_smtp_server_and_links_both_entries(
    sales_client, sales_user, settings, django_capture_on_commit_callbacks
):
    templates = set_up_drafts()
    salesperson_for(sales_user, name="Ольга Иванова", email="olga@example.com")
    contact = PersonFactory(name="Анна Петрова", email="anna@example.com")
    save_draft_on_the_page(
        sales_client,
        contact,
        subject="Прайс-лист",
        body="Черновик",
        attachments=[SimpleUploadedFile("цены.pdf", b"%PDF-1.4 prices", content_type="application/pdf")],
    )
    draft = InteractionLogEntry.objects.get()

    with SmtpSink().running() as sink:
        smtp_backend(settings, sink.port)
        with django_capture_on_commit_callbacks(execute=True):
            response = sales_client.post(
                draft_url(draft),
                {
                    "action": "send",
                    "address": "anna@example.com",
                    "subject": "Прайс-лист 2026",
                    "body": "Добрый день, Анна!",
                    "draft_files": ["0"],
                },
            )

    sent = InteractionLogEntry.objects.exclude(pk=draft.pk).get()
    assert response.status_code == 302 and response["Location"] == sent.get_absolute_url()
    draft.refresh_from_db()
    assert draft.delivery_status == DeliveryStatus.DRAFT_SENT
    assert (sent.template, sent.sent_from_draft_entry_no, sent.delivery_status) == (
        templates["emails"],
        draft.entry_no,
        "",
    )
    assert len(sink.messages) == 1
    received = BytesParser(policy=policy.default).parsebytes(sink.messages[0])
    assert received["Subject"] == "Прайс-лист 2026"
    assert received["To"].addresses[0].display_name == "Анна Петрова"
    assert received["To"].addresses[0].addr_spec == "anna@example.com"
    assert received["Reply-To"].addresses[0].display_name == "Ольга Иванова"
    assert received.get_body(preferencelist=("plain",)).get_content().strip() == "Добрый день, Анна!"
    [attached] = list(received.iter_attachments())
    assert (attached.get_filename(), attached.get_content()) == ("цены.pdf", b"%PDF-1.4 prices")

    sent_page = sales_client.get(sent.get_absolute_url()).content.decode()
    draft_page = sales_client.get(draft.get_absolute_url()).content.decode()
    assert "Sent from draft" in sent_page and f'href="{draft.get_absolute_url()}"' in sent_page
    assert "Sent as" in draft_page and f'href="{sent.get_absolute_url()}"' in draft_page
    assert "Reopen draft" not in draft_page


def test_a_draft_sent_meanwhile_is_neither_sent_again_nor_saved_over(
    sales_client, sales_user, mailoutbox, django_capture_on_commit_callbacks
):
    set_up_drafts()
    contact = PersonFactory(email="anna@example.com")
    draft = drafts.save_draft(
        contact=contact, address="anna@example.com", subject="S", body="B", attachments=[], user=sales_user
    )
    values = {"address": "anna@example.com", "subject": "S", "body": "B"}
    with django_capture_on_commit_callbacks(execute=True):
        drafts.send_draft(entry=draft, attachments=[], user=sales_user, **values)
    assert len(mailoutbox) == 1

    with django_capture_on_commit_callbacks(execute=True):
        for action in ("send", "save_draft"):
            response = sales_client.post(draft_url(draft), {"action": action, **values})
            assert response.status_code == 302 and response["Location"] == draft.get_absolute_url()
        with pytest.raises(drafts.DraftNotEditable):
            drafts.send_draft(entry=draft, attachments=[], user=sales_user, **values)
    assert len(mailoutbox) == 1 and InteractionLogEntry.objects.count() == 2


def test_a_failed_send_leaves_the_draft_a_draft(sales_client, sales_user, mailoutbox):
    set_up_drafts()
    contact = PersonFactory(email="anna@example.com")
    draft = drafts.save_draft(
        contact=contact, address="", subject="", body="Only text", attachments=[], user=sales_user
    )
    response = sales_client.post(draft_url(draft), {"action": "send", "address": "", "subject": "", "body": "x"})
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.delivery_status == DeliveryStatus.DRAFT and InteractionLogEntry.objects.count() == 1
    assert mailoutbox == []


def test_another_users_draft_is_reopened_only_by_its_user_and_managers(client, sales_user, manager_user):
    set_up_drafts()
    contact = PersonFactory(email="anna@example.com")
    draft = drafts.save_draft(contact=contact, address="", subject="Mine", body="x", attachments=[], user=sales_user)
    colleague = UserFactory(username="colleague", groups=["Sales staff"])

    client.force_login(colleague)
    assert client.get(draft_url(draft)).status_code == 403
    assert (
        client.post(draft_url(draft), {"action": "send", "address": "a@example.com", "subject": "s"}).status_code == 403
    )
    card = client.get(reverse("contacts:detail", args=[contact.number])).content.decode()
    assert "Mine" in card and draft_url(draft) not in card  # listed, not offered
    with pytest.raises(PermissionDenied):
        drafts.update_draft(entry=draft, address="", subject="x", body="y", attachments=[], user=colleague)

    client.force_login(manager_user)
    assert client.get(draft_url(draft)).status_code == 200
    draft.refresh_from_db()
    assert draft.subject == "Mine" and draft.delivery_status == DeliveryStatus.DRAFT


def test_the_contact_card_and_the_entry_offer_to_reopen_the_draft(sales_client, sales_user):
    set_up_drafts()
    company = PersonFactory().company
    person = PersonFactory(company=company)
    draft = drafts.save_draft(contact=person, address="", subject="Offer", body="x", attachments=[], user=sales_user)
    for contact in (person, company):
        card = sales_client.get(reverse("contacts:detail", args=[contact.number])).content.decode()
        assert "E-mail drafts" in card and draft_url(draft) in card and "Offer" in card
    entry_page = sales_client.get(draft.get_absolute_url()).content.decode()
    assert "Reopen draft" in entry_page and draft_url(draft) in entry_page


def test_the_email_page_carries_the_leave_prompt_that_saves_a_draft(sales_client):
    set_up_drafts()
    contact = PersonFactory()
    page = sales_client.get(f"{NEW_EMAIL}?contact={contact.number}").content.decode()
    assert 'data-leave-prompt="save_draft"' in page and 'id="leave-prompt"' in page
    assert "Leave the e-mail?" in page and "interactions/leave_prompt.js" in page


def test_the_leave_prompts_save_draft_then_follows_the_link_but_only_inside_the_site(sales_client):
    set_up_drafts()
    contact = PersonFactory()
    inside = save_draft_on_the_page(sales_client, contact, body="x", next="/contacts/?q=x")
    outside = save_draft_on_the_page(sales_client, contact, body="y", next="https://evil.example/")
    assert inside["Location"] == "/contacts/?q=x"
    assert outside["Location"].startswith("/interactions/email/drafts/")
    assert InteractionLogEntry.objects.filter(delivery_status=DeliveryStatus.DRAFT).count() == 2


def test_a_reopened_draft_shows_a_long_cyrillic_subject_as_it_was_typed(sales_client):
    # Encoded, such a subject is folded onto a line of its own; reading it back must not
    # bring a space in front of it.
    set_up_drafts()
    contact = PersonFactory()
    save_draft_on_the_page(sales_client, contact, subject="Коммерческое предложение", body="x")
    draft = InteractionLogEntry.objects.get()
    page = sales_client.get(draft_url(draft)).content.decode()
    assert 'value="Коммерческое предложение"' in page
