"""Creating an interaction by hand: template defaults, the language, correspondence type
and salesperson rules, prefill from links, the content step (open, import, merge), the
first comment, "finish later", permissions."""

import datetime
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.contacts.models import CorrespondenceType
from interactions.models import (
    Attachment,
    InformationFlow,
    InitiatedBy,
    InteractionComment,
    InteractionLogEntry,
    WizardAction,
)
from interactions.services import recording
from interactions.services.recording import InteractionDetails

from .factories import (
    CampaignFactory,
    CompanyFactory,
    InteractionGroupFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    InteractionTemplateLanguageFactory,
    PersonFactory,
    SalespersonFactory,
    SegmentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
NEW = reverse("interactions:new")
SEARCH = reverse("interactions:contact-search")


@pytest.fixture
def own_salesperson(sales_user):
    return SalespersonFactory(
        code="OWN", name="Olga Own", email="olga@example.com", phone="+7 495 000", user=sales_user
    )


@pytest.fixture
def campaign():
    return CampaignFactory(description="Spring fair")


@pytest.fixture
def template(campaign):
    """A template whose every default differs from the blank value."""
    return InteractionTemplateFactory(
        code="VISIT",
        group=InteractionGroupFactory(code="MEETING", description="Meetings"),
        description="Visit at the customer",
        unit_cost=Decimal("45.50"),
        unit_duration=90,
        information_flow=InformationFlow.INBOUND,
        initiated_by=InitiatedBy.THEM,
        campaign=campaign,
        campaign_target=True,
        campaign_response=True,
        correspondence_type=CorrespondenceType.HARD_COPY,
        language_default="en",
    )


@pytest.fixture
def person():
    company = CompanyFactory(name="Northwind Ltd", address="1 Harbour St", post_code="E1 6AN", city="London")
    return PersonFactory(
        company=company,
        name="Anna Smith",
        email="anna@northwind.example",
        phone="+44 20 1234",
        mobile="",
        address="7 Baker St",
        post_code="NW1 6XE",
        city="London",
        language="de",
        correspondence_type=CorrespondenceType.EMAIL,
    )


def stored_file(name: str, content: bytes = b"%PDF-1.4 offer") -> Attachment:
    attachment = Attachment(file_name=name, content_type="application/pdf", size=len(content))
    attachment.file.save(name, ContentFile(content), save=False)
    attachment.save()
    return attachment


def form_initial(response) -> dict:
    form = response.context["form"]
    return {name: form[name].value() for name in form.fields}


def valid_post(contact, template, salesperson, /, **overrides) -> dict:
    """A complete POST of the form; `overrides` replace fields (None leaves one out)."""
    data = {
        "action": "save",
        "contact": contact.number,
        "template": template.pk,
        "salesperson": salesperson.pk,
        "date": "2026-03-02",
        "time": "09:30",
        "description": "Visit about the spring order",
        "subject": "Spring order",
        "information_flow": InformationFlow.OUTBOUND,
        "initiated_by": InitiatedBy.US,
        "language": "en",
        "correspondence_type": CorrespondenceType.EMAIL,
        "contact_via": contact.email,
        "evaluation": "positive",
        "was_successful": "on",
        "cost": "12.30",
        "duration": "45",
        "campaign": "",
        "opportunity_number": "OP-1001",
        "first_comment": "",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


# --- The rules, as pure functions ------------------------------------------------------


def test_template_defaults_are_copied(template, person, sales_user, own_salesperson, campaign):
    defaults = recording.interaction_defaults(template=template, contact=person, user=sales_user)
    assert defaults["group"] == template.group
    assert defaults["description"] == "Visit at the customer"
    assert defaults["cost"] == Decimal("45.50")
    assert defaults["duration"] == 90
    assert defaults["information_flow"] == InformationFlow.INBOUND
    assert defaults["initiated_by"] == InitiatedBy.THEM
    assert defaults["campaign"] == campaign
    assert defaults["campaign_target"] is True and defaults["campaign_response"] is True


def test_language_is_the_contacts_when_the_template_has_a_row_for_it(template, person, sales_user):
    InteractionTemplateLanguageFactory(template=template, language="en")
    InteractionTemplateLanguageFactory(template=template, language="de")
    assert recording.interaction_defaults(template=template, contact=person, user=sales_user)["language"] == "de"


def test_language_is_the_templates_default_when_it_has_no_row_for_the_contacts(template, person, sales_user):
    InteractionTemplateLanguageFactory(template=template, language="en")
    InteractionTemplateLanguageFactory(template=template, language="ru")
    assert recording.interaction_defaults(template=template, contact=person, user=sales_user)["language"] == "en"


def test_correspondence_type_is_the_templates_when_it_ignores_the_contacts(template, person, sales_user):
    template.ignore_contact_correspondence_type = True
    defaults = recording.interaction_defaults(template=template, contact=person, user=sales_user)
    assert defaults["correspondence_type"] == CorrespondenceType.HARD_COPY
    assert defaults["contact_via"] == "7 Baker St, NW1 6XE, London"


def test_correspondence_type_is_the_contacts_when_the_template_does_not_ignore_it(template, person, sales_user):
    defaults = recording.interaction_defaults(template=template, contact=person, user=sales_user)
    assert defaults["correspondence_type"] == CorrespondenceType.EMAIL
    assert defaults["contact_via"] == "anna@northwind.example"


def test_correspondence_type_is_the_templates_when_the_contact_has_none(template, person, sales_user):
    person.correspondence_type = ""
    defaults = recording.interaction_defaults(template=template, contact=person, user=sales_user)
    assert defaults["correspondence_type"] == CorrespondenceType.HARD_COPY


def test_contact_via_is_the_phone_without_a_correspondence_type(person):
    assert recording.contact_via_for(correspondence_type="", contact=person) == "+44 20 1234"


def test_salesperson_is_the_users_own(template, person, sales_user, own_salesperson):
    assert recording.interaction_defaults(template=template, contact=person, user=sales_user)["salesperson"] == (
        own_salesperson
    )


def test_salesperson_is_the_contacts_when_the_user_has_none(template, person, sales_user):
    defaults = recording.interaction_defaults(template=template, contact=person, user=sales_user)
    assert defaults["salesperson"] == person.salesperson


def test_merge_fills_the_whitelisted_placeholders(person, own_salesperson):
    body = (
        "Dear {contact.name} of {contact.company_name}, {contact.address}, {contact.city}, {contact.email}, "
        "{contact.phone}; {salesperson.name} {salesperson.email} {salesperson.phone}; {date}"
    )
    merged = recording.merge_template_body(
        body=body, contact=person, salesperson=own_salesperson, date=datetime.date(2026, 3, 2), language="en"
    )
    assert merged == (
        "Dear Anna Smith of Northwind Ltd, 7 Baker St, London, anna@northwind.example, +44 20 1234; "
        "Olga Own olga@example.com +7 495 000; Mar 2, 2026"
    )


def test_merge_leaves_other_placeholders_as_they_are(person, own_salesperson):
    body = "{contact.__class__} {0} {contact.name.upper} {salesperson.user.password} {contact} {{contact.name}} {date"
    merged = recording.merge_template_body(
        body=body, contact=person, salesperson=own_salesperson, date=datetime.date(2026, 3, 2)
    )
    assert (
        merged
        == "{contact.__class__} {0} {contact.name.upper} {salesperson.user.password} {contact} {Anna Smith} {date"
    )


def test_merge_does_not_fill_placeholders_found_in_the_contacts_data(person, own_salesperson):
    person.name = "{salesperson.email}"
    merged = recording.merge_template_body(
        body="Dear {contact.name}", contact=person, salesperson=own_salesperson, date=datetime.date(2026, 3, 2)
    )
    assert merged == "Dear {salesperson.email}"


def test_company_name_of_a_company_is_its_own(own_salesperson):
    company = CompanyFactory(name="Contoso")
    merged = recording.merge_template_body(
        body="{contact.company_name}", contact=company, salesperson=own_salesperson, date=datetime.date(2026, 3, 2)
    )
    assert merged == "Contoso"


# --- The form page: defaults and prefill -------------------------------------------------


def test_new_interaction_page_shows_the_template_defaults(sales_client, template, person, own_salesperson, campaign):
    InteractionTemplateLanguageFactory(template=template, language="en")
    response = sales_client.get(NEW, {"contact": person.number, "template": template.code})
    assert response.status_code == 200
    values = form_initial(response)
    assert values["contact"] == person.number
    assert values["description"] == "Visit at the customer"
    assert str(values["cost"]) == "45.50" and values["duration"] == 90
    assert values["information_flow"] == InformationFlow.INBOUND and values["initiated_by"] == InitiatedBy.THEM
    assert values["campaign"] == campaign.pk and values["campaign_target"] and values["campaign_response"]
    assert values["correspondence_type"] == CorrespondenceType.EMAIL
    assert values["contact_via"] == "anna@northwind.example"
    assert values["language"] == "en"  # no German row: the template's default
    assert values["salesperson"] == own_salesperson.pk
    assert values["was_successful"] is True
    assert values["date"] == timezone.localdate()
    page = response.content.decode()
    assert "Group: MEETING Meetings." in page
    assert 'value="Visit at the customer"' in page


def test_prefill_from_query_parameters(sales_client, template, person, own_salesperson):
    other = SalespersonFactory(code="OTHER")
    campaign = CampaignFactory(description="Autumn")
    segment = SegmentFactory(template=template)
    response = sales_client.get(
        NEW,
        {
            "contact": person.number,
            "template": template.code,
            "salesperson": other.code,
            "campaign": campaign.number,
            "segment": segment.number,
        },
    )
    values = form_initial(response)
    assert values["contact"] == person.number
    assert values["template"] == template.pk
    assert values["salesperson"] == other.pk  # named in the link: wins over the user's own
    assert values["campaign"] == campaign.pk  # named in the link: wins over the template's
    assert values["segment_number"] == segment.number


def test_segment_prefill_brings_its_template(sales_client, template, person):
    segment = SegmentFactory(template=template)
    values = form_initial(sales_client.get(NEW, {"contact": person.number, "segment": segment.number}))
    assert values["template"] == template.pk
    assert values["description"] == "Visit at the customer"


@pytest.mark.parametrize(
    "query",
    [
        {"contact": "NOPE"},
        {"template": "NOPE"},
        {"salesperson": "NOPE"},
        {"campaign": "NOPE"},
        {"segment": "NOPE"},
        {"contact": "x" * 5000, "template": "'; DROP TABLE x; --", "campaign": "&", "segment": "%"},
    ],
)
def test_unknown_query_values_are_ignored_with_a_warning(sales_client, query):
    response = sales_client.get(NEW, query)
    assert response.status_code == 200
    assert "it was ignored" in response.content.decode() or "choose the contact below" in response.content.decode()
    assert not InteractionLogEntry.objects.exists()


def test_changing_the_template_applies_its_defaults_and_keeps_what_the_user_changed(
    sales_client, template, person, own_salesperson
):
    first = sales_client.get(NEW, {"contact": person.number, "template": template.code})
    values = {name: value for name, value in form_initial(first).items() if value not in (None, False)}
    other = InteractionTemplateFactory(
        code="CALL", description="Phone call", unit_cost=Decimal("1.20"), unit_duration=15, campaign=None
    )
    data = dict(values)
    data.update(template=other.pk, subject="Typed by the user", duration="120", action="apply_defaults")
    data["campaign_target"] = data["campaign_response"] = "on"
    data["was_successful"] = "on"
    response = sales_client.post(NEW, data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="interaction-fields"')  # the fields alone, for htmx
    refreshed = form_initial(response)
    assert refreshed["description"] == "Phone call"  # untouched: the new template's
    assert str(refreshed["cost"]) == "1.20"
    assert refreshed["campaign"] is None and refreshed["campaign_target"] is False
    assert refreshed["duration"] == "120"  # changed by the user: kept
    assert refreshed["subject"] == "Typed by the user"
    assert refreshed["contact"] == person.number
    assert not InteractionLogEntry.objects.exists()


def test_apply_template_defaults_button_works_without_javascript(sales_client, template, person, own_salesperson):
    data = valid_post(person, template, own_salesperson, description="", cost="", duration="", action="apply_defaults")
    response = sales_client.post(NEW, data)
    assert response.status_code == 200
    assert "<html" in response.content.decode()  # the whole page again
    values = form_initial(response)
    assert values["description"] == "Visit at the customer"
    assert str(values["cost"]) == "45.50"
    assert json.loads(values["applied_defaults"])  # remembers what it applied
    assert "The template defaults have been applied" in response.content.decode()
    assert not InteractionLogEntry.objects.exists()


def test_contact_search_suggests_contacts_by_name_and_number(sales_client, person):
    CompanyFactory(name="Unrelated Corp")
    response = sales_client.get(SEARCH, {"contact": "anna"})
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-fill-contact="{person.number}"' in page and "Anna Smith" in page
    assert "Unrelated" not in page
    assert (
        f'data-fill-contact="{person.number}"' in sales_client.get(SEARCH, {"contact": person.number}).content.decode()
    )


def test_contact_search_survives_odd_input(sales_client):
    for text in ("%", "_", "x" * 5000, "' OR 1=1 --"):
        assert sales_client.get(SEARCH, {"contact": text}).status_code == 200
    # A NUL names nothing (PostgreSQL refuses it in text): refused as a bad request.
    assert sales_client.get(SEARCH, {"contact": "\x00"}).status_code == 400


def test_contact_search_shows_at_most_20(sales_client):
    for number in range(25):
        CompanyFactory(name=f"Acme {number:02d}")
    page = sales_client.get(SEARCH, {"contact": "acme"}).content.decode()
    assert page.count("data-fill-contact=") == 20
    assert "Only the first 20 matches are shown" in page


# --- Recording ------------------------------------------------------------------------------


def test_recording_stores_the_entry_and_goes_to_the_contact_card(
    sales_client, sales_user, template, person, own_salesperson
):
    response = sales_client.post(
        NEW, valid_post(person, template, own_salesperson, was_successful=None, campaign_target="on")
    )
    entry = InteractionLogEntry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:detail", args=[person.number])
    assert entry.contact == person and entry.contact_company == person.company
    assert entry.template == template and entry.group == template.group
    assert entry.salesperson == own_salesperson and entry.user == sales_user
    assert entry.date == datetime.date(2026, 3, 2) and entry.time == datetime.time(9, 30)
    assert entry.description == "Visit about the spring order" and entry.subject == "Spring order"
    assert entry.cost == Decimal("12.30") and entry.duration == 45
    assert entry.evaluation == "positive"
    assert entry.attempt_failed is True  # "was successful" unchecked
    assert entry.campaign_target is True and entry.campaign_response is False
    assert entry.contact_via == "anna@northwind.example" and entry.opportunity_number == "OP-1001"
    assert entry.postponed is False and entry.canceled is False
    assert entry.attachment is None


def test_contact_company_of_a_company_is_the_company_itself(sales_client, template, own_salesperson):
    company = CompanyFactory()
    sales_client.post(NEW, valid_post(company, template, own_salesperson))
    assert InteractionLogEntry.objects.get().contact_company == company


def test_required_fields_give_form_errors_and_write_nothing(sales_client, template, person, own_salesperson):
    data = valid_post(
        person, template, own_salesperson, contact="", template="", salesperson="", date="", description=""
    )
    response = sales_client.post(NEW, data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"contact", "template", "salesperson", "date", "description"} <= set(errors)
    assert "The interaction was not recorded" in response.content.decode()
    assert not InteractionLogEntry.objects.exists() and not InteractionComment.objects.exists()


def test_the_not_recorded_banner_goes_when_choosing_a_template_clears_the_errors(
    sales_client, template, person, own_salesperson
):
    failed = sales_client.post(NEW, valid_post(person, template, own_salesperson, template="", description=""))
    page = failed.content.decode()
    # The banner stands in the part of the form that choosing a template replaces (htmx) ...
    assert page.index("The interaction was not recorded") > page.index('<div id="interaction-fields"')
    # ... and the replacement, whose fields have no errors, has none.
    data = valid_post(person, template, own_salesperson, description="", action="apply_defaults")
    refreshed = sales_client.post(NEW, data, headers={"HX-Request": "true"}).content.decode()
    assert refreshed.lstrip().startswith('<div id="interaction-fields"')
    assert "not recorded" not in refreshed and "invalid-feedback" not in refreshed


def test_an_unknown_contact_number_is_a_form_error(sales_client, template, person, own_salesperson):
    response = sales_client.post(NEW, valid_post(person, template, own_salesperson, contact="CT999999"))
    assert "There is no contact with number CT999999." in response.content.decode()
    assert not InteractionLogEntry.objects.exists()


def test_a_negative_cost_is_a_form_error(sales_client, template, person, own_salesperson):
    response = sales_client.post(NEW, valid_post(person, template, own_salesperson, cost="-1"))
    assert "cost" in response.context["form"].errors
    assert not InteractionLogEntry.objects.exists()


def test_a_first_comment_is_stored(sales_client, sales_user, template, person, own_salesperson):
    sales_client.post(NEW, valid_post(person, template, own_salesperson, first_comment="  Wants a discount  "))
    comment = InteractionComment.objects.get()
    assert comment.entry == InteractionLogEntry.objects.get()
    assert comment.text == "Wants a discount" and comment.author == sales_user
    assert comment.date == datetime.date(2026, 3, 2)


def test_wizard_open_keeps_the_templates_attachment_shared_not_copied(sales_client, template, person, own_salesperson):
    template.wizard_action = WizardAction.OPEN
    template.save()
    offer_de = stored_file("angebot.pdf")
    InteractionTemplateLanguageFactory(template=template, language="en", attachment=stored_file("offer.pdf"))
    InteractionTemplateLanguageFactory(template=template, language="de", attachment=offer_de)
    page = sales_client.get(NEW, {"contact": person.number, "template": template.code}).content.decode()
    assert reverse("interactions:attachment-download", args=[offer_de.pk]) in page and "angebot.pdf" in page
    sales_client.post(NEW, valid_post(person, template, own_salesperson, language="de"))
    assert InteractionLogEntry.objects.get().attachment_id == offer_de.pk
    assert Attachment.objects.count() == 2


def test_wizard_import_stores_the_uploaded_file_as_the_attachment(sales_client, template, person, own_salesperson):
    template.wizard_action = WizardAction.IMPORT
    template.save()
    upload = SimpleUploadedFile("minutes.txt", b"Minutes of the meeting", content_type="text/plain")
    response = sales_client.post(NEW, valid_post(person, template, own_salesperson, upload=upload))
    assert response.status_code == 302
    attachment = InteractionLogEntry.objects.get().attachment
    assert attachment.file_name == "minutes.txt" and attachment.size == 22
    with attachment.file.open("rb") as handle:
        assert handle.read() == b"Minutes of the meeting"


def test_wizard_import_requires_a_file_and_writes_nothing_without(sales_client, template, person, own_salesperson):
    template.wizard_action = WizardAction.IMPORT
    template.save()
    response = sales_client.post(NEW, valid_post(person, template, own_salesperson))
    assert response.status_code == 200
    assert "choose the file to attach" in response.content.decode()
    assert not InteractionLogEntry.objects.exists() and not Attachment.objects.exists()


def test_wizard_import_refuses_a_file_type_that_cannot_be_attached(sales_client, template, person, own_salesperson):
    template.wizard_action = WizardAction.IMPORT
    template.save()
    upload = SimpleUploadedFile("evil.html", b"<script>alert(1)</script>", content_type="text/html")
    response = sales_client.post(NEW, valid_post(person, template, own_salesperson, upload=upload))
    assert "Files of type .html cannot be attached" in response.content.decode()
    assert not InteractionLogEntry.objects.exists() and not Attachment.objects.exists()


def test_wizard_merge_shows_the_filled_body_and_stores_the_reviewed_text(
    sales_client, template, person, own_salesperson
):
    template.wizard_action = WizardAction.MERGE
    template.save()
    InteractionTemplateLanguageFactory(
        template=template, language="en", merge_body="Dear {contact.name},\n{contact.__class__} {0}\n{salesperson.name}"
    )
    response = sales_client.get(NEW, {"contact": person.number, "template": template.code})
    assert form_initial(response)["merged_body"] == "Dear Anna Smith,\n{contact.__class__} {0}\nOlga Own"
    reviewed = "Dear Anna Smith,\r\nthank you for the visit.\r\nOlga Own"
    sales_client.post(NEW, valid_post(person, template, own_salesperson, merged_body=reviewed))
    attachment = InteractionLogEntry.objects.get().attachment
    assert attachment.file_name.endswith(".txt") and attachment.content_type.startswith("text/plain")
    with attachment.file.open("rb") as handle:
        assert handle.read().decode("utf-8") == "Dear Anna Smith,\nthank you for the visit.\nOlga Own"


def test_merge_text_with_markup_is_shown_escaped(sales_client, template, person, own_salesperson):
    template.wizard_action = WizardAction.MERGE
    template.save()
    InteractionTemplateLanguageFactory(
        template=template, language="en", merge_body="<script>x()</script>{contact.name}"
    )
    page = sales_client.get(NEW, {"contact": person.number, "template": template.code}).content.decode()
    assert "<script>x()</script>" not in page and "&lt;script&gt;x()&lt;/script&gt;Anna Smith" in page


def test_finish_later_stores_a_postponed_entry_with_only_contact_and_template(
    sales_client, sales_user, template, person
):
    data = {"action": "postpone", "contact": person.number, "template": template.pk}
    response = sales_client.post(NEW, data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("interactions:postponed")
    entry = InteractionLogEntry.objects.get()
    assert entry.postponed is True and entry.user == sales_user
    assert entry.description == "Visit at the customer"  # the template's
    assert entry.cost == Decimal("45.50") and entry.duration == 90
    assert entry.date == timezone.localdate()
    assert "saved for later" in response.content.decode()


def test_finish_later_still_needs_contact_and_template(sales_client):
    response = sales_client.post(NEW, {"action": "postpone", "contact": "", "template": ""})
    assert {"contact", "template"} <= set(response.context["form"].errors)
    assert not InteractionLogEntry.objects.exists()


def test_recording_needs_the_add_permission_on_get_and_post(template, person, own_salesperson):
    client = Client()
    client.force_login(UserFactory(username="no-group"))
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, valid_post(person, template, own_salesperson)).status_code == 403
    assert (
        client.post(NEW, {"action": "postpone", "contact": person.number, "template": template.pk}).status_code == 403
    )
    assert client.get(SEARCH, {"contact": "a"}).status_code == 403
    assert not InteractionLogEntry.objects.exists()


def test_pages_need_login(client):
    response = client.get(NEW)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_service_refuses_a_user_without_permission(template, person):
    user = UserFactory(username="no-group")
    with pytest.raises(PermissionDenied):
        recording.record_interaction(
            details=InteractionDetails(contact=person, template=template), user=user, postpone=True
        )
    assert not InteractionLogEntry.objects.exists()


def test_the_service_refuses_an_incomplete_interaction(template, person, sales_user):
    with pytest.raises(ValidationError) as refused:
        recording.record_interaction(details=InteractionDetails(contact=person, template=template), user=sales_user)
    assert {"salesperson", "date", "description"} <= set(refused.value.message_dict)
    assert not InteractionLogEntry.objects.exists()


def test_a_refused_interaction_leaves_no_row_and_no_stored_file(template, person, own_salesperson, settings):
    # May record and attach, but not comment: the comment is refused after the file is stored.
    user = UserFactory(username="no-comments")
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="interactions", codename__in=["add_interactionlogentry", "add_attachment"]
        )
    )
    template.wizard_action = WizardAction.IMPORT
    template.save()
    details = InteractionDetails(
        contact=person, template=template, salesperson=own_salesperson, date=datetime.date(2026, 3, 2),
        description="Meeting", upload=SimpleUploadedFile("minutes.txt", b"Minutes"), first_comment="A comment",
    )  # fmt: skip
    with pytest.raises(PermissionDenied):
        recording.record_interaction(details=details, user=user)
    assert not InteractionLogEntry.objects.exists() and not Attachment.objects.exists()
    assert not [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def test_the_log_links_to_a_prefilled_new_interaction(sales_client, template, person):
    InteractionLogEntryFactory(contact=person, template=template)
    page = sales_client.get(reverse("interactions:log"), {"contact": person.number}).content.decode()
    assert f"{NEW}?contact={person.number}" in page
