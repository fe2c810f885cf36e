"""Logging a segment keeps what each contact received (merged in the line's language, an
"open" template's file shared, letters as pages of one PDF), and "Deliver" sends the e-mail
lines through Django's SMTP backend to a real SMTP server (aiosmtpd), one message per
contact, with retries (4xx), errors at once (5xx), unsubscribe headers and per-line
reasons for addresses that cannot be sent to. Tasks run in this process here;
test_segment_delivery_worker.py runs them on real workers."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from crm.contacts.models import CorrespondenceType
from interactions.models import (
    Attachment,
    BulkEmailOptOut,
    DeliveryStatus,
    InformationFlow,
    InteractionLogEntry,
    SegmentEntryContent,
    WizardAction,
)
from interactions.services import segments as segment_services
from interactions.services.attachments import store_attachment
from interactions.services.recovery import recover_queued_work
from interactions.services.segment_content import review_segment

from .factories import (
    CompanyFactory,
    InteractionTemplateFactory,
    InteractionTemplateLanguageFactory,
    PersonFactory,
    SalespersonFactory,
    SegmentFactory,
    SegmentLineFactory,
    UserFactory,
)
from .smtp_server import SmtpServer, use_smtp_server

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]

EN_BODY = "Dear {contact.name},\nour offer for {contact.company_name} in {contact.city}.\n{salesperson.name}"
RU_BODY = "Уважаемый(ая) {contact.name}!\nПредложение для {contact.company_name}, {contact.city}.\n{salesperson.name}"


@pytest.fixture
def smtp_server(settings):
    with SmtpServer() as server:
        use_smtp_server(settings, server)
        yield server


@pytest.fixture
def logger_user(db):
    return UserFactory(username="marketing", groups=["Sales manager"])


def merge_template(**fields):
    template = InteractionTemplateFactory(
        code="LETTER", description="Offer", wizard_action=WizardAction.MERGE, language_default="en", **fields
    )
    InteractionTemplateLanguageFactory(template=template, language="en", description="Offer", merge_body=EN_BODY)
    InteractionTemplateLanguageFactory(template=template, language="ru", description="Предложение", merge_body=RU_BODY)
    return template


def segment_with(template, contacts, *, correspondence_type=CorrespondenceType.EMAIL, subject="Our offer"):
    salesperson = SalespersonFactory(name="Ольга Петрова", email="olga@example.com")
    segment = SegmentFactory(
        description="Spring mailing", template=template, salesperson=salesperson, subject_default=subject
    )
    for contact in contacts:
        SegmentLineFactory(
            segment=segment,
            contact=contact,
            template=template,
            language=contact.language or "en",
            correspondence_type=correspondence_type,
        )
    return segment


def log(segment, user, **options):
    return segment_services.log_segment(segment=segment, user=user, **options)


def test_each_entry_keeps_its_letter_merged_in_its_language(logger_user, django_capture_on_commit_callbacks):
    company = CompanyFactory(name="ООО Ромашка")
    ivan = PersonFactory(name="Иван Петров", company=company, city="Москва", language="ru")
    anna = PersonFactory(name="Anna Smith", company=company, city="", language="en")
    segment = segment_with(merge_template(), [ivan, anna])

    review = review_segment(segment)
    # Anna has no city: said before logging, per line.
    assert [(line.contact_name, line.missing) for line in review.lines] == [("Anna Smith", ["{contact.city}"])]

    with django_capture_on_commit_callbacks(execute=True):
        result = log(segment, logger_user)

    contents = {c.entry.contact_id: c for c in SegmentEntryContent.objects.select_related("entry")}
    assert contents[ivan.pk].body == "Уважаемый(ая) Иван Петров!\nПредложение для ООО Ромашка, Москва.\nОльга Петрова"
    assert contents[ivan.pk].language == "ru"
    assert "<p>Уважаемый(ая) Иван Петров!<br>" in contents[ivan.pk].html
    assert contents[anna.pk].missing_placeholders == "{contact.city}"
    assert contents[anna.pk].body.startswith("Dear Anna Smith,")
    assert result.entry_count == 2
    # Not delivered: nothing queued, nothing sent.
    assert not InteractionLogEntry.objects.exclude(delivery_status="").exists()


def test_an_open_templates_file_is_shared_by_every_entry_never_copied(logger_user):
    template = InteractionTemplateFactory(code="BROCHURE", wizard_action=WizardAction.OPEN, language_default="en")
    brochure = store_attachment(content=b"%PDF-1.4 brochure", file_name="brochure.pdf")
    InteractionTemplateLanguageFactory(template=template, language="en", attachment=brochure)
    segment = segment_with(template, PersonFactory.create_batch(5))
    before = Attachment.objects.count()

    log(segment, logger_user)

    assert set(InteractionLogEntry.objects.values_list("attachment_id", flat=True)) == {brochure.pk}
    assert Attachment.objects.count() == before


def test_hard_copy_letters_are_pages_of_one_pdf_with_optional_cover_sheets(logger_user):
    people = [
        PersonFactory(name="Иван Петров", city="Москва", address="ул. Ленина 1", language="ru"),
        PersonFactory(name="Anna Smith", city="London", address="1 High St", language="en"),
    ]
    segment = segment_with(merge_template(), people, correspondence_type=CorrespondenceType.HARD_COPY)

    log(segment, logger_user, deliver=True, cover_sheets=True)

    entries = list(InteractionLogEntry.objects.order_by("entry_no").select_related("attachment", "segment_content"))
    assert len({entry.attachment_id for entry in entries}) == 1
    pdf = PdfReader(io.BytesIO(entries[0].attachment.file.read()))
    assert len(pdf.pages) == 4
    assert [entry.segment_content.letter_page for entry in entries] == [2, 4]
    assert "Иван Петров" in pdf.pages[0].extract_text()  # the cover sheet: the recipient's address
    assert "Иван Петров" in pdf.pages[1].extract_text()
    assert "Anna Smith" in pdf.pages[3].extract_text()
    # Letters are not e-mails: nothing queued.
    assert not InteractionLogEntry.objects.exclude(delivery_status="").exists()


def test_deliver_sends_one_message_per_contact_with_html_text_and_unsubscribe_headers(
    logger_user, smtp_server, django_capture_on_commit_callbacks
):
    company = CompanyFactory(name="ООО Ромашка")
    ivan = PersonFactory(name="Иван Петров", company=company, city="Москва", language="ru", email="ivan@example.com")
    anna = PersonFactory(name="Anna Smith", company=company, city="Leeds", language="en", email="anna@example.com")
    segment = segment_with(merge_template(), [ivan, anna], subject="Весеннее предложение")

    with django_capture_on_commit_callbacks(execute=True):
        result = log(segment, logger_user, deliver=True)

    assert result.delivery.queued is True
    messages = {str(m["To"]): m for m in smtp_server.parsed()}
    assert set(messages) == {"Иван Петров <ivan@example.com>", "Anna Smith <anna@example.com>"}
    russian = messages["Иван Петров <ivan@example.com>"]
    assert str(russian["Subject"]) == "Весеннее предложение"
    assert str(russian["Reply-To"]) == "Ольга Петрова <olga@example.com>"
    assert russian["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert russian["List-Unsubscribe"].strip().startswith("<http://localhost:8000/ru/interactions/unsubscribe/")
    assert russian.get_body(("plain",)).get_content().startswith("Уважаемый(ая) Иван Петров!")
    assert "<p>Уважаемый(ая) Иван Петров!<br>" in russian.get_body(("html",)).get_content()
    entry = InteractionLogEntry.objects.select_related("segment_content").get(contact=ivan)
    assert russian["Message-ID"] == entry.segment_content.message_id
    assert entry.delivery_status == DeliveryStatus.BLANK
    assert entry.segment_content.handed_over_at is not None


def test_an_open_templates_file_goes_with_each_message_under_its_name(
    logger_user, smtp_server, django_capture_on_commit_callbacks
):
    template = InteractionTemplateFactory(code="BROCHURE", wizard_action=WizardAction.OPEN, language_default="en")
    brochure = store_attachment(content=b"%PDF-1.4 brochure \x00\xff", file_name="Прайс весна.pdf")
    InteractionTemplateLanguageFactory(template=template, language="en", description="Brochure", attachment=brochure)
    people = [PersonFactory(name=f"Reader {n}", email=f"reader{n}@example.com", language="en") for n in range(2)]
    segment = segment_with(template, people)

    with django_capture_on_commit_callbacks(execute=True):
        log(segment, logger_user, deliver=True)

    messages = smtp_server.parsed()
    assert len(messages) == 2
    for message in messages:
        (attached,) = list(message.iter_attachments())
        assert attached.get_filename() == "Прайс весна.pdf"
        assert attached.get_content_type() == "application/pdf"
        assert attached.get_content() == b"%PDF-1.4 brochure \x00\xff"
        assert message.get_body(("plain",)).get_content().strip() == "Please find the document attached."
        assert message.get_body(("html",)) is not None
    assert set(InteractionLogEntry.objects.values_list("delivery_status", flat=True)) == {DeliveryStatus.BLANK}


def test_a_letter_with_a_line_longer_than_smtp_allows_arrives_whole(
    logger_user, smtp_server, django_capture_on_commit_callbacks
):
    template = InteractionTemplateFactory(code="LONG", wizard_action=WizardAction.MERGE, language_default="ru")
    long_line = "Съешь же ещё этих мягких французских булок, да выпей чаю. " * 40  # about 4,000 octets
    InteractionTemplateLanguageFactory(
        template=template, language="ru", description="Длинное письмо", merge_body="{contact.name}\n" + long_line
    )
    person = PersonFactory(name="Иван Петров", email="ivan@example.com", language="ru")
    segment = segment_with(template, [person], subject="")

    with django_capture_on_commit_callbacks(execute=True):
        log(segment, logger_user, deliver=True)

    (message,) = smtp_server.parsed()
    assert all(len(line) <= 998 for line in smtp_server.messages[0].split(b"\r\n"))
    assert str(message["Subject"]) == "Длинное письмо"
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # quoted-printable keeps CRLF
    assert text.rstrip("\n") == "Иван Петров\n" + long_line
    assert long_line.split(".")[0] in message.get_body(("html",)).get_content()


def test_a_busy_server_451_and_421_is_tried_again_and_550_is_an_error_at_once_with_its_reason(
    logger_user, smtp_server, django_capture_on_commit_callbacks
):
    people = [PersonFactory(name=f"Person {n}", email=f"p{n}@example.com", language="en") for n in range(3)]
    smtp_server.reject_recipient("p2@example.com", "550 5.1.1 <p2@example.com>: Recipient address rejected")
    smtp_server.answer_next("451 4.3.0 Try again later", "421 4.7.0 Too busy, come back later")
    segment = segment_with(merge_template(), people)

    with django_capture_on_commit_callbacks(execute=True):
        log(segment, logger_user, deliver=True)

    entries = {e.contact_id: e for e in InteractionLogEntry.objects.select_related("segment_content")}
    assert sorted(str(m["To"]) for m in smtp_server.parsed()) == [
        "Person 0 <p0@example.com>",
        "Person 1 <p1@example.com>",
    ]
    assert smtp_server.refused == 2 and smtp_server.duplicates == 0
    assert entries[people[0].pk].delivery_status == DeliveryStatus.BLANK
    assert entries[people[0].pk].segment_content.attempts + entries[people[1].pk].segment_content.attempts == 2
    refused = entries[people[2].pk]
    assert refused.delivery_status == DeliveryStatus.ERROR
    assert refused.delivery_error == "550 5.1.1 <p2@example.com>: Recipient address rejected"
    assert refused.segment_content.attempts == 1  # not tried again


def test_a_message_refused_4xx_too_often_ends_in_error_with_the_servers_answer(
    logger_user, smtp_server, settings, django_capture_on_commit_callbacks
):
    settings.INTERACTIONS_EMAIL_MAX_RETRIES = 1
    segment = segment_with(merge_template(), [PersonFactory(email="busy@example.com")])
    smtp_server.answer_next("451 4.3.0 Greylisted", "451 4.3.0 Greylisted")

    with django_capture_on_commit_callbacks(execute=True):
        log(segment, logger_user, deliver=True)

    entry = InteractionLogEntry.objects.get()
    assert (entry.delivery_status, entry.delivery_error) == (DeliveryStatus.ERROR, "451 4.3.0 Greylisted")
    assert smtp_server.received == 0


def test_bad_addresses_get_a_reason_per_line_before_sending_and_are_never_sent(
    logger_user, smtp_server, django_capture_on_commit_callbacks
):
    no_address = PersonFactory(name="No Address", email="")
    invalid = PersonFactory(name="Invalid", email="")
    cyrillic_mailbox = PersonFactory(name="Кириллица", email="")
    idn = PersonFactory(name="Домен", email="")
    # Stored as users typed them (the contact form's validation aside: imports, the API).
    from crm.contacts.models import Contact

    Contact.objects.filter(pk=invalid.pk).update(email="not-an-address@")
    Contact.objects.filter(pk=cyrillic_mailbox.pk).update(email="иван@example.com")
    Contact.objects.filter(pk=idn.pk).update(email="info@пример.рф")
    segment = segment_with(merge_template(), [no_address, invalid, cyrillic_mailbox, idn])

    review = {line.contact_name: line for line in review_segment(segment).lines}
    assert review["No Address"].problem == "The contact has no e-mail address."
    assert review["Invalid"].problem == "“not-an-address@” is not a valid e-mail address."
    assert "non-Latin letters" in review["Кириллица"].problem
    assert review["Домен"].problem == ""
    assert review["Домен"].notice == "International domain: sent to info@xn--e1afmkfd.xn--p1ai."

    with django_capture_on_commit_callbacks(execute=True):
        log(segment, logger_user, deliver=True)

    errors = dict(InteractionLogEntry.objects.values_list("contact__name", "delivery_error"))
    assert errors["No Address"] == "The contact has no e-mail address."
    assert "non-Latin letters" in errors["Кириллица"]
    assert errors["Домен"] == ""
    assert smtp_server.recipients == [["info@xn--e1afmkfd.xn--p1ai"]]


def test_a_server_refusing_connections_leaves_the_lines_queued_until_it_is_back(
    logger_user, settings, django_capture_on_commit_callbacks
):
    server = SmtpServer().start()
    use_smtp_server(settings, server)
    settings.INTERACTIONS_EMAIL_REQUEUE_AFTER = 1
    server.stop()  # connections refused from now on
    segment = segment_with(merge_template(), PersonFactory.create_batch(3))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = log(segment, logger_user, deliver=True)

        assert result.entry_count == 3
        assert set(InteractionLogEntry.objects.values_list("delivery_status", flat=True)) == {
            DeliveryStatus.IN_PROGRESS
        }
        server.start()  # the same port again
        # Nobody presses anything: the recovery sweep (celery beat) queues them again once overdue.
        InteractionLogEntry.objects.update(delivery_due_at=timezone.now() - datetime.timedelta(minutes=5))
        assert len(recover_queued_work()["segment_emails"]) == 3
        assert set(InteractionLogEntry.objects.values_list("delivery_status", flat=True)) == {DeliveryStatus.BLANK}
        assert server.received == 3 and server.duplicates == 0
    finally:
        server.stop()


def test_a_task_that_finds_the_message_handed_over_marks_it_sent_and_does_not_send_again(
    logger_user, smtp_server, django_capture_on_commit_callbacks
):
    from interactions.tasks import deliver_segment_emails

    segment = segment_with(merge_template(), PersonFactory.create_batch(2))
    log(segment, logger_user, deliver=True)  # queued, not yet sent (on_commit not run)
    first, second = InteractionLogEntry.objects.order_by("entry_no")
    # A worker handed the first one over and was killed before marking it sent.
    SegmentEntryContent.objects.filter(entry=first).update(handed_over_at=timezone.now())

    outcome = deliver_segment_emails.apply(args=[[first.entry_no, second.entry_no]]).get()

    assert outcome["already_handed_over"] == 1
    assert smtp_server.received == 1
    assert set(InteractionLogEntry.objects.values_list("delivery_status", flat=True)) == {DeliveryStatus.BLANK}


def test_the_delivery_page_counts_and_retry_failed_resends_only_those(
    client, logger_user, smtp_server, django_capture_on_commit_callbacks
):
    people = [PersonFactory(email=f"r{n}@example.com") for n in range(3)]
    smtp_server.reject_recipient("r1@example.com", "550 5.7.1 Mailbox full")
    segment = segment_with(merge_template(), people)
    client.force_login(logger_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("interactions:segment-log", args=[segment.number]), {"deliver": "on"})
    logged = segment_services.logged_segment_of(segment)
    assert response.status_code == 302 and response["Location"].endswith(f"/logged-segments/{logged.pk}/delivery/")

    page = client.get(response["Location"]).content.decode()
    assert 'data-count="sent">2<' in page and 'data-count="failed">1<' in page and 'data-count="queued">0<' in page
    assert "550 5.7.1 Mailbox full" in page
    partial = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert partial.startswith('<div id="delivery-counts"') and "hx-get" not in partial  # finished: no more polling

    smtp_server.rejected.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("interactions:logged-segment-retry-failed", args=[logged.pk]))
    assert smtp_server.received == 3 and smtp_server.duplicates == 0
    assert not InteractionLogEntry.objects.exclude(delivery_status="").exists()


def test_sales_staff_without_the_log_permission_cannot_retry(client, smtp_server):
    from .factories import LoggedSegmentFactory

    logged = LoggedSegmentFactory()
    client.force_login(UserFactory(username="viewer", groups=[]))
    assert client.post(reverse("interactions:logged-segment-retry-failed", args=[logged.pk])).status_code == 403
    assert client.get(reverse("interactions:logged-segment-delivery", args=[logged.pk])).status_code == 403


def test_the_log_dialog_lists_what_lines_lack_before_logging(client, logger_user):
    anna = PersonFactory(name="Anna Smith", city="", email="")
    segment = segment_with(merge_template(), [anna])
    client.force_login(logger_user)

    page = client.get(reverse("interactions:segment-log", args=[segment.number])).content.decode()

    assert "Anna Smith" in page and "{contact.city}" in page
    assert "The contact has no e-mail address." in page
    assert 'name="deliver"' in page and not InteractionLogEntry.objects.exists()


def test_one_click_unsubscribe_needs_no_login_sets_the_flag_and_logs_an_inbound_interaction(
    client, logger_user, smtp_server, django_capture_on_commit_callbacks
):
    ivan = PersonFactory(name="Иван", email="ivan@example.com", language="ru")
    segment = segment_with(merge_template(), [ivan])
    with django_capture_on_commit_callbacks(execute=True):
        log(segment, logger_user, deliver=True)
    url = smtp_server.parsed()[0]["List-Unsubscribe"].strip()[1:-1]
    path = url.removeprefix("http://localhost:8000")

    confirmation = client.get(path)  # a mail scanner following the link changes nothing
    assert confirmation.status_code == 200 and not BulkEmailOptOut.objects.exists()
    from django.test import Client

    one_click = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    assert BulkEmailOptOut.objects.filter(contact=ivan).exists()
    inbound = InteractionLogEntry.objects.get(contact=ivan, information_flow=InformationFlow.INBOUND)
    assert inbound.description == "Отписка от массовой рассылки"  # in the contact's language (Russian)
    Client().post(path)  # a second click: nothing more
    assert InteractionLogEntry.objects.filter(contact=ivan, information_flow=InformationFlow.INBOUND).count() == 1
    assert client.get(path[:-5] + "xxxx/").status_code == 404

    # The next segment's e-mail to Ivan is not sent, and says why.
    again = segment_with(merge_template_again(), [ivan])
    with translation.override("en"):  # the unsubscribe page spoke Ivan's language
        assert "unsubscribed from bulk e-mail" in review_segment(again).lines[0].problem


def merge_template_again():
    from interactions.models import InteractionTemplate

    return InteractionTemplate.objects.get(code="LETTER")


def test_adding_contacts_leaves_out_unsubscribed_ones_as_email_lines_unless_told_to_ignore_it(logger_user):
    from interactions.selectors.segments import SegmentCriteria, SegmentOptions

    unsubscribed = PersonFactory(city="Тверь", correspondence_type=CorrespondenceType.EMAIL)
    subscribed = PersonFactory(city="Тверь", correspondence_type=CorrespondenceType.EMAIL)
    letter = PersonFactory(city="Тверь", correspondence_type=CorrespondenceType.HARD_COPY)
    BulkEmailOptOut.objects.create(contact=unsubscribed)
    BulkEmailOptOut.objects.create(contact=letter)
    segment = SegmentFactory(template=merge_template())
    criteria = SegmentCriteria(city="Тверь")

    segment_services.add_contacts(segment=segment, criteria=criteria, options=SegmentOptions(), user=logger_user)
    assert set(segment.lines.values_list("contact_id", flat=True)) == {subscribed.pk, letter.pk}

    segment_services.add_contacts(
        segment=segment, criteria=criteria, options=SegmentOptions(ignore_no_bulk_email=True), user=logger_user
    )
    assert set(segment.lines.values_list("contact_id", flat=True)) == {subscribed.pk, letter.pk, unsubscribed.pk}


def test_the_letters_pdf_is_downloaded_from_the_delivery_page(client, logger_user):
    segment = segment_with(
        merge_template(), [PersonFactory(name="Anna Smith")], correspondence_type=CorrespondenceType.HARD_COPY
    )
    logged = log(segment, logger_user, deliver=True).logged_segment
    client.force_login(logger_user)

    page = client.get(reverse("interactions:logged-segment-delivery", args=[logged.pk])).content.decode()
    response = client.get(reverse("interactions:logged-segment-letters", args=[logged.pk]))

    assert 'id="letters-pdf"' in page and 'data-count="letters">1<' in page
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "Anna Smith" in PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages[0].extract_text()
