"""Contact cover sheets (NAV's report "Contact - Cover Sheet"): printed as a PDF in the
contact's language from the contact's card or a segment line, logged with the setup's
"Cover sheets" template with the PDF attached; without a template printed all the same,
the page saying before and after that nothing is recorded; a preview records nothing."""

import io

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import formats, timezone, translation
from pypdf import PdfReader

from crm.contacts.models import CorrespondenceType
from crm.documents.types import DocumentType
from interactions.models import Attachment, InteractionLogEntry, InteractionTemplateSetup
from interactions.services import cover_sheets

from .email_support import salesperson_for
from .factories import (
    CompanyFactory,
    InteractionTemplateFactory,
    PersonFactory,
    SalespersonFactory,
    SegmentFactory,
    SegmentLineFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
NEW = reverse("interactions:cover-sheet")


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def set_up_cover_sheets():
    template = InteractionTemplateFactory(code="COVERSH", description="Cover sheet", unit_cost=1, unit_duration=2)
    setup = InteractionTemplateSetup.load()
    setup.cover_sheet = template
    setup.save()
    return template


def russian_person():
    company = CompanyFactory(name="ООО «Ромашка»", address="ул. Ленина, 5", post_code="101000", city="Москва")
    return PersonFactory(company=company, name="Анна Петрова", language="ru", city="Москва")


def post_print(client, contact, **fields):
    data = {"action": "print", "language": "ru", "page_count": "3", "log_interaction": "on", **fields}
    return client.post(f"{NEW}?contact={contact.number}", data)


def test_printing_from_the_card_logs_the_pdf_in_the_contacts_language(sales_client, sales_user, settings):
    settings.DOCUMENTS_COMPANY_NAME = "CRONUS International Ltd."
    template = set_up_cover_sheets()
    salesperson = salesperson_for(sales_user, name="Ольга Иванова", phone="+7 495 000-00-00")
    person = russian_person()

    form = sales_client.get(f"{NEW}?contact={person.number}").content.decode()
    assert 'value="ru" selected' in form  # the contact's language is the default
    response = post_print(
        sales_client, person, remarks=["for_your_information", "please_call"], custom_remark="Срочно", text="Договор"
    )

    entry = InteractionLogEntry.objects.get(contact=person)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('interactions:cover-sheet-printed')}?entry={entry.entry_no}"
    assert (entry.template, entry.document_type, entry.language) == (template, DocumentType.COVER_SHEET, "ru")
    assert (entry.correspondence_type, entry.salesperson, entry.user) == (
        CorrespondenceType.HARD_COPY,
        salesperson,
        sales_user,
    )
    assert entry.contact_via == "ООО «Ромашка», ул. Ленина, 5, 101000 Москва, GB"
    assert entry.attachment.content_type == "application/pdf"
    with entry.attachment.file.open("rb") as handle:
        text = pdf_text(handle.read())
    for printed in ["CRONUS International Ltd.", "Ольга Иванова", "Анна Петрова", "ООО «Ромашка»", "ул. Ленина, 5"]:
        assert printed in text
    assert "Срочно" in text and "Договор" in text and "3" in text
    with translation.override("ru"):
        assert formats.date_format(timezone.localdate()) in text  # the date as Russian pages write it

    page = sales_client.get(response["Location"]).content.decode()
    assert "The cover sheet for Анна Петрова has been printed." in page
    assert f"Interaction log entry {entry.entry_no} records it." in page
    assert reverse("interactions:attachment-download", args=[entry.attachment_id]) in page


def test_the_same_sheet_in_english_has_english_captions():
    person = russian_person()
    pdf = cover_sheets.render_cover_sheet(contact=person, remarks=["as_agreed"], page_count=2, language="en")
    text = pdf_text(pdf)
    assert "Cover sheet" in text and "As agreed upon" in text and "2 pages, this sheet included" in text


def test_without_a_template_the_sheet_is_printed_and_the_page_says_nothing_was_recorded(sales_client):
    person = russian_person()
    form = sales_client.get(f"{NEW}?contact={person.number}").content.decode()
    assert "No interaction will be recorded: the interaction template setup has no template for Cover sheets." in form
    assert 'name="log_interaction"' in form and "disabled" in form

    response = post_print(sales_client, person)

    assert response.status_code == 302 and not InteractionLogEntry.objects.exists()
    assert not Attachment.objects.exists()
    page = sales_client.get(response["Location"]).content.decode()
    assert "No interaction was recorded: the interaction template setup has no template for Cover sheets." in page
    pdf_url = response["Location"].replace("/printed/", "/pdf/")
    pdf = sales_client.get(pdf_url)
    assert pdf["Content-Type"] == "application/pdf" and "Анна Петрова" in pdf_text(pdf.content)
    assert not InteractionLogEntry.objects.exists()


def test_log_interaction_cleared_records_nothing(sales_client):
    set_up_cover_sheets()
    person = russian_person()
    response = post_print(sales_client, person, log_interaction="")
    assert response.status_code == 302 and not InteractionLogEntry.objects.exists()
    page = sales_client.get(response["Location"]).content.decode()
    assert "No interaction was recorded: “Log interaction” was cleared." in page


def test_a_preview_shows_the_pdf_and_records_nothing(sales_client):
    set_up_cover_sheets()
    person = russian_person()
    response = post_print(sales_client, person, action="preview")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "Анна Петрова" in pdf_text(response.content)
    assert not InteractionLogEntry.objects.exists() and not Attachment.objects.exists()


@pytest.mark.parametrize(
    "bad",
    [
        {"page_count": "0"},
        {"page_count": "-1"},
        {"page_count": "x"},
        {"remarks": ["nonsense"]},
        {"language": "xx"},
        {"custom_remark": "x" * 101},
        {"text": "x" * 1001},
    ],
)
def test_bad_input_prints_and_records_nothing(sales_client, bad):
    set_up_cover_sheets()
    person = russian_person()
    response = post_print(sales_client, person, **bad)
    assert response.status_code == 200
    assert "The cover sheet was not printed: please correct the errors below." in response.content.decode()
    assert not InteractionLogEntry.objects.exists() and not Attachment.objects.exists()


def test_the_service_refuses_bad_values_too():
    person = russian_person()
    with pytest.raises(ValidationError) as refused:
        cover_sheets.print_cover_sheet(contact=person, user=None, page_count=0, remarks=["x"], language="xx")
    assert set(refused.value.error_dict) == {"page_count", "remarks", "language"}
    assert not InteractionLogEntry.objects.exists()


def test_an_unknown_contact_is_a_page_that_does_not_exist(sales_client):
    assert sales_client.get(f"{NEW}?contact=NOSUCH").status_code == 404
    assert sales_client.get(NEW).status_code == 404


def test_who_may_not_record_interactions_may_not_print_cover_sheets(client):
    set_up_cover_sheets()
    person = russian_person()
    reader = UserFactory(username="reader")
    reader.user_permissions.add(Permission.objects.get(codename="view_interactionlogentry"))
    client.force_login(reader)
    assert client.get(f"{NEW}?contact={person.number}").status_code == 403
    assert post_print(client, person).status_code == 403
    with pytest.raises(PermissionDenied):
        cover_sheets.print_cover_sheet(contact=person, user=reader, language="en")
    assert not InteractionLogEntry.objects.exists()


def test_the_contact_card_offers_the_cover_sheet(sales_client):
    person = PersonFactory()
    page = sales_client.get(reverse("contacts:detail", args=[person.number])).content.decode()
    assert f"{NEW}?contact={person.number}" in page and "Print cover sheet" in page


def test_printing_from_a_segment_line_carries_the_segment_and_the_lines_salesperson(sales_client):
    set_up_cover_sheets()
    person = russian_person()
    line_salesperson = SalespersonFactory(name="Пётр Сидоров")
    line = SegmentLineFactory(segment=SegmentFactory(), contact=person, salesperson=line_salesperson)
    segment_page = sales_client.get(reverse("interactions:segment-detail", args=[line.segment.number])).content
    url = f"{NEW}?contact={person.number}&segment={line.segment.number}"
    assert url.replace("&", "&amp;") in segment_page.decode()

    response = sales_client.post(url, {"action": "print", "language": "en", "log_interaction": "on"})

    entry = InteractionLogEntry.objects.get(contact=person)
    assert response.status_code == 302
    assert (entry.segment_number, entry.salesperson) == (line.segment.number, line_salesperson)
    with entry.attachment.file.open("rb") as handle:
        assert "Пётр Сидоров" in pdf_text(handle.read())


def test_the_printed_page_of_another_users_postponed_entry_is_refused(client, sales_user):
    set_up_cover_sheets()
    person = russian_person()
    entry = cover_sheets.print_cover_sheet(contact=person, user=sales_user, language="en").entry
    InteractionLogEntry.objects.filter(pk=entry.pk).update(postponed=True)
    other = UserFactory(username="other-sales", groups=["Sales staff"])
    client.force_login(other)
    url = f"{reverse('interactions:cover-sheet-printed')}?entry={entry.entry_no}"
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("entry", ["x", "0", "99999999999999999999999", "12"])
def test_the_printed_page_of_an_entry_that_is_not_there_is_not_found(sales_client, entry):
    url = f"{reverse('interactions:cover-sheet-printed')}?entry={entry}"
    assert sales_client.get(url).status_code == 404
