"""Interaction template and group pages besides the admin: lists with totals, a template's
page, creating, editing and deleting templates with their languages and attachments."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from interactions.models import (
    Attachment,
    InteractionGroup,
    InteractionTemplate,
    InteractionTemplateLanguage,
    InteractionTemplateSetup,
    WizardAction,
)

from .factories import (
    InteractionGroupFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    InteractionTemplateLanguageFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
TEMPLATES = reverse("interactions:templates")
TEMPLATE_CREATE = reverse("interactions:template-create")


def detail_url(code):
    return reverse("interactions:template-detail", args=[code])


def edit_url(code):
    return reverse("interactions:template-edit", args=[code])


def delete_url(code):
    return reverse("interactions:template-delete", args=[code])


def client_for(*groups) -> Client:
    client = Client()
    client.force_login(UserFactory(groups=list(groups)))
    return client


@pytest.fixture
def administrator_client():
    return client_for("Administrator")


@pytest.fixture
def sales_staff_client():
    return client_for("Sales staff")


def template_data(group, **changes) -> dict:
    data = {
        "code": "offer",
        "group": group.pk,
        "description": "Written offer",
        "unit_cost": "3.50",
        "unit_duration": "20",
        "information_flow": "outbound",
        "initiated_by": "us",
        "campaign": "",
        "correspondence_type": "hard_copy",
        "language_default": "",
        "wizard_action": WizardAction.OPEN,
    }
    data.update(changes)
    return data


def language_rows(*rows, initial: int = 0) -> dict:
    data = {
        "languages-TOTAL_FORMS": str(len(rows)),
        "languages-INITIAL_FORMS": str(initial),
        "languages-MIN_NUM_FORMS": "0",
        "languages-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"languages-{index}-{name}": value for name, value in row.items()})
    return data


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# Lists and totals ---------------------------------------------------------------------


def test_templates_page_shows_templates_by_group_with_totals_and_group_subtotals(administrator_client):
    letters = InteractionGroupFactory(code="LETTER", description="Letters")
    calls = InteractionGroupFactory(code="PHONE", description="Telephone calls")
    business = InteractionTemplateFactory(code="BUS", group=letters, unit_cost=Decimal("2.50"), unit_duration=10)
    intro = InteractionTemplateFactory(code="INTRO", group=letters, unit_cost=Decimal("1.00"), unit_duration=5)
    outgoing = InteractionTemplateFactory(code="OUTGOING", group=calls, unit_cost=Decimal("1.20"), unit_duration=15)
    for template, count in [(business, 2), (intro, 1), (outgoing, 3)]:
        InteractionLogEntryFactory.create_batch(count, template=template)
    InteractionLogEntryFactory(template=business, canceled=True)
    InteractionLogEntryFactory(template=intro, postponed=True)

    response = administrator_client.get(TEMPLATES)

    assert response.status_code == 200
    sections = {group.group.code: (group, table) for group, table in response.context["sections"]}
    assert list(sections) == ["LETTER", "PHONE"]
    letter_group = sections["LETTER"][0]
    assert [(row.template.code, row.totals.count) for row in letter_group.templates] == [("BUS", 2), ("INTRO", 1)]
    assert (letter_group.subtotal.count, letter_group.subtotal.cost, letter_group.subtotal.duration) == (
        3,
        Decimal("6.00"),
        25,
    )
    assert response.context["grand_total"].count == 6
    text = page_text(response)
    assert "Letters" in text and "Telephone calls" in text
    assert "Subtotal" in text
    assert f'href="{detail_url("BUS")}"' in text


def test_templates_page_runs_the_same_number_of_queries_for_3_and_for_30_templates(administrator_client):
    def add_templates(count):
        for _number in range(count):
            template = InteractionTemplateFactory(group=InteractionGroupFactory())
            InteractionLogEntryFactory(template=template)

    def queries_of_the_page():
        with CaptureQueriesContext(connection) as queries:
            response = administrator_client.get(TEMPLATES)
        assert response.status_code == 200
        return len(response.context["sections"]), len(queries.captured_queries)

    add_templates(3)
    groups_with_3, queries_with_3 = queries_of_the_page()
    add_templates(27)
    groups_with_30, queries_with_30 = queries_of_the_page()

    assert (groups_with_3, groups_with_30) == (3, 30)
    assert queries_with_30 == queries_with_3


def test_templates_page_counts_only_the_chosen_period(administrator_client):
    template = InteractionTemplateFactory(code="CALL")
    InteractionLogEntryFactory(template=template, date=datetime.date(2026, 1, 31))
    InteractionLogEntryFactory(template=template, date=datetime.date(2026, 2, 1))
    InteractionLogEntryFactory(template=template, date=datetime.date(2026, 2, 28))
    InteractionLogEntryFactory(template=template, date=datetime.date(2026, 3, 1))

    response = administrator_client.get(TEMPLATES, {"date_from": "2026-02-01", "date_to": "2026-02-28"})

    [(group, _table)] = response.context["sections"]
    assert group.templates[0].totals.count == 2
    assert "Totals from" in page_text(response)


@pytest.mark.parametrize(
    "period, message",
    [
        ({"date_from": "2026-13-45"}, "Enter a valid date."),
        ({"date_from": "yesterday", "date_to": "2026-01-01"}, "Enter a valid date."),
        ({"date_from": "2026-03-01", "date_to": "2026-02-01"}, "The start date is after the end date."),
    ],
)
def test_malformed_or_reversed_dates_give_form_errors_not_a_server_error(administrator_client, period, message):
    template = InteractionTemplateFactory()
    InteractionLogEntryFactory(template=template)

    response = administrator_client.get(TEMPLATES, period)

    assert response.status_code == 200
    text = page_text(response)
    assert message in text
    assert "Showing the totals for all dates." in text
    [(group, _table)] = response.context["sections"]
    assert group.templates[0].totals.count == 1


def test_groups_page_shows_totals_per_group(sales_staff_client):
    letters = InteractionGroupFactory(code="LETTER", description="Letters")
    InteractionGroupFactory(code="EMPTY", description="Nothing yet")
    template = InteractionTemplateFactory(group=letters, unit_cost=Decimal("2.00"), unit_duration=7)
    InteractionLogEntryFactory.create_batch(2, template=template)
    InteractionLogEntryFactory(template=template, canceled=True)

    response = sales_staff_client.get(reverse("interactions:groups"))

    assert response.status_code == 200
    rows = {row.group.code: row for row in response.context["table"].data}
    assert (rows["LETTER"].template_count, rows["LETTER"].totals.count, rows["LETTER"].totals.cost) == (
        1,
        2,
        Decimal("4.00"),
    )
    assert rows["EMPTY"].totals.count == 0
    text = page_text(response)
    assert "Nothing yet" in text
    assert reverse("interactions:group-create") not in text  # sales staff do not set up groups


def test_administrator_creates_and_edits_a_group(administrator_client):
    response = administrator_client.post(
        reverse("interactions:group-create"), {"code": "visit", "description": "Visits"}
    )
    assert response.status_code == 302
    group = InteractionGroup.objects.get(code="VISIT")

    response = administrator_client.post(
        reverse("interactions:group-edit", args=["VISIT"]), {"code": "VISIT", "description": "Customer visits"}
    )
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.description == "Customer visits"


def test_group_code_with_a_slash_is_refused_with_a_message(administrator_client):
    response = administrator_client.post(reverse("interactions:group-create"), {"code": "A/B", "description": "x"})

    assert response.status_code == 200
    assert "A code cannot contain a slash (/)." in page_text(response)
    assert not InteractionGroup.objects.exists()


def test_sales_staff_cannot_create_or_edit_groups(sales_staff_client):
    group = InteractionGroupFactory(code="LETTER", description="Letters")

    assert sales_staff_client.get(reverse("interactions:group-create")).status_code == 403
    response = sales_staff_client.post(
        reverse("interactions:group-edit", args=["LETTER"]), {"code": "LETTER", "description": "Changed"}
    )
    assert response.status_code == 403
    group.refresh_from_db()
    assert group.description == "Letters"


# A template's page ---------------------------------------------------------------------


def test_template_page_shows_fields_languages_attachments_merge_preview_totals_and_setup_events(
    sales_staff_client,
):
    template = InteractionTemplateFactory(
        code="BUS",
        description="Business letter",
        wizard_action=WizardAction.MERGE,
        language_default="en",
        unit_cost=Decimal("2.50"),
    )
    attachment = Attachment.objects.create(
        file=SimpleUploadedFile("price-list.pdf", b"%PDF-1.4 price list"), file_name="price-list.pdf", size=19
    )
    InteractionTemplateLanguageFactory(
        template=template,
        language="en",
        description="Business letter",
        attachment=attachment,
        merge_body="Dear {contact.name},\n<b>thanks</b>\n{salesperson.name}",
    )
    InteractionTemplateLanguageFactory(template=template, language="ru", description="Деловое письмо")
    InteractionLogEntryFactory.create_batch(2, template=template)
    InteractionLogEntryFactory(template=template, canceled=True)
    # The setup may not use a template with languages: show the events of another one.
    call = InteractionTemplateFactory(code="OUTGOING")
    setup = InteractionTemplateSetup.load()
    setup.outgoing_calls = call
    setup.save()

    response = sales_staff_client.get(detail_url("BUS"))

    assert response.status_code == 200
    text = page_text(response)
    assert "Business letter" in text and "Деловое письмо" in text
    assert reverse("interactions:attachment-download", args=[attachment.pk]) in text
    assert "price-list.pdf" in text
    # The body is escaped (it is user input) and its placeholders are marked.
    assert "&lt;b&gt;thanks&lt;/b&gt;" in text
    assert '<mark class="merge-field"' in text and "{contact.name}</mark>" in text
    assert response.context["totals"].count == 2
    assert response.context["totals"].cost == Decimal("5.00")
    assert response.context["setup_events"] == []
    try:
        log_url = reverse("interactions:log")
    except NoReverseMatch:
        log_url = ""
    if log_url:
        assert f'href="{log_url}?template={template.pk}"' in text
    # Sales staff read; they get no buttons to change anything.
    assert edit_url("BUS") not in text and delete_url("BUS") not in text

    call_page = page_text(sales_staff_client.get(detail_url("OUTGOING")))
    assert "General: Outgoing calls" in call_page


def test_unknown_template_code_is_not_found(administrator_client):
    assert administrator_client.get(detail_url("NOPE")).status_code == 404
    assert administrator_client.get(edit_url("NOPE")).status_code == 404
    assert administrator_client.post(delete_url("NOPE")).status_code == 404


# Creating and editing ------------------------------------------------------------------


def test_administrator_creates_a_template_with_languages_and_an_uploaded_attachment(administrator_client):
    group = InteractionGroupFactory(code="LETTER")
    data = template_data(group, language_default="en")
    data.update(
        language_rows(
            {
                "language": "en",
                "description": "Offer",
                "upload": SimpleUploadedFile("offer.pdf", b"%PDF-1.4 offer", content_type="application/pdf"),
            },
            {"language": "ru", "description": "Предложение", "merge_body": "Уважаемый {contact.name}!"},
        )
    )

    response = administrator_client.post(TEMPLATE_CREATE, data)

    assert response.status_code == 302
    assert response["Location"] == detail_url("OFFER")
    template = InteractionTemplate.objects.get(code="OFFER")
    assert (template.group, template.unit_cost, template.language_default) == (group, Decimal("3.50"), "en")
    rows = {row.language: row for row in template.languages.select_related("attachment")}
    assert set(rows) == {"en", "ru"}
    assert rows["en"].attachment.file_name == "offer.pdf"
    assert rows["en"].attachment.file.read() == b"%PDF-1.4 offer"
    assert rows["ru"].merge_body == "Уважаемый {contact.name}!"
    page = page_text(administrator_client.get(response["Location"]))
    assert "Interaction template OFFER has been created." in page
    assert reverse("interactions:attachment-download", args=[rows["en"].attachment.pk]) in page


def test_default_language_without_a_row_is_refused_with_its_message_on_the_page(administrator_client):
    group = InteractionGroupFactory()
    data = template_data(group, language_default="ru")
    data.update(language_rows({"language": "en", "description": "Offer"}))

    response = administrator_client.post(TEMPLATE_CREATE, data)

    assert response.status_code == 200
    assert "The default language Russian has no language row: add one, or clear the default." in page_text(response)
    assert not InteractionTemplate.objects.exists()
    assert not InteractionTemplateLanguage.objects.exists()


def test_attachment_of_a_forbidden_type_is_refused_and_nothing_is_saved(administrator_client):
    group = InteractionGroupFactory()
    data = template_data(group)
    data.update(language_rows({"language": "en", "upload": SimpleUploadedFile("run.exe", b"MZ", content_type="x/exe")}))

    response = administrator_client.post(TEMPLATE_CREATE, data)

    assert response.status_code == 200
    assert "Files of type .exe cannot be attached." in page_text(response)
    assert not InteractionTemplate.objects.exists()
    assert not Attachment.objects.exists()


def test_administrator_edits_a_template_replaces_and_removes_attachments_and_deletes_a_language(
    administrator_client,
):
    template = InteractionTemplateFactory(code="OFFER", description="Old", language_default="en")
    old = Attachment.objects.create(file=SimpleUploadedFile("old.pdf", b"old"), file_name="old.pdf", size=3)
    english = InteractionTemplateLanguageFactory(template=template, language="en", attachment=old)
    german = InteractionTemplateLanguageFactory(template=template, language="de", attachment=old)
    french = InteractionTemplateLanguageFactory(template=template, language="fr")
    data = template_data(template.group, code="OFFER", description="New", language_default="en")
    data.update(
        language_rows(
            {"id": english.pk, "language": "en", "upload": SimpleUploadedFile("new.pdf", b"new")},
            {"id": german.pk, "language": "de", "remove_attachment": "on"},
            {"id": french.pk, "language": "fr", "DELETE": "on"},
            initial=3,
        )
    )

    response = administrator_client.post(edit_url("OFFER"), data)

    assert response.status_code == 302
    template.refresh_from_db()
    assert template.description == "New"
    english.refresh_from_db()
    german.refresh_from_db()
    assert english.attachment.file_name == "new.pdf"
    assert german.attachment is None
    assert not InteractionTemplateLanguage.objects.filter(pk=french.pk).exists()


def test_a_template_of_the_template_setup_cannot_get_languages_with_the_clear_message(administrator_client):
    template = InteractionTemplateFactory(code="EMAIL")
    setup = InteractionTemplateSetup.load()
    setup.emails = template
    setup.save()
    data = template_data(template.group, code="EMAIL")
    data.update(language_rows({"language": "en", "description": "E-mail"}))

    response = administrator_client.post(edit_url("EMAIL"), data)

    assert response.status_code == 200
    assert (
        "Template EMAIL records automatic interactions in the template setup and so cannot have language rows."
    ) in page_text(response)
    assert not InteractionTemplateLanguage.objects.exists()


def test_template_code_with_a_slash_is_refused(administrator_client):
    data = template_data(InteractionGroupFactory(), code="A/B")
    data.update(language_rows())

    response = administrator_client.post(TEMPLATE_CREATE, data)

    assert response.status_code == 200
    assert "A code cannot contain a slash (/)." in page_text(response)


def test_sales_staff_see_no_setup_buttons_and_are_refused_on_every_change(sales_staff_client):
    template = InteractionTemplateFactory(code="OFFER", description="Offer")
    data = template_data(template.group, code="OFFER", description="Changed")
    data.update(language_rows())

    page = page_text(sales_staff_client.get(TEMPLATES))
    assert TEMPLATE_CREATE not in page
    assert sales_staff_client.get(TEMPLATE_CREATE).status_code == 403
    assert sales_staff_client.post(TEMPLATE_CREATE, template_data(template.group, code="NEW")).status_code == 403
    assert sales_staff_client.post(edit_url("OFFER"), data).status_code == 403
    assert sales_staff_client.post(delete_url("OFFER")).status_code == 403
    template.refresh_from_db()
    assert template.description == "Offer"
    assert list(InteractionTemplate.objects.values_list("code", flat=True)) == ["OFFER"]


def test_posting_without_the_csrf_token_is_refused():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(groups=["Administrator"]))
    data = template_data(InteractionGroupFactory())
    data.update(language_rows())

    assert client.post(TEMPLATE_CREATE, data).status_code == 403
    assert not InteractionTemplate.objects.exists()


# Deleting --------------------------------------------------------------------------------


def test_deleting_a_template_with_log_entries_is_refused_with_a_message(administrator_client):
    template = InteractionTemplateFactory(code="CALL")
    InteractionLogEntryFactory.create_batch(2, template=template)

    confirmation = page_text(administrator_client.get(delete_url("CALL")))
    assert "Template CALL has 2 interaction log entries, so it cannot be deleted" in confirmation
    assert 'type="submit"' not in confirmation.split('id="delete-blockers"')[1].split("</main>")[0]

    response = administrator_client.post(delete_url("CALL"), follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == detail_url("CALL")
    assert "Template CALL has 2 interaction log entries, so it cannot be deleted" in page_text(response)
    assert InteractionTemplate.objects.filter(code="CALL").exists()


def test_deleting_a_template_of_the_template_setup_is_refused_with_a_message(administrator_client):
    template = InteractionTemplateFactory(code="EMAIL")
    setup = InteractionTemplateSetup.load()
    setup.emails = template
    setup.save()

    response = administrator_client.post(delete_url("EMAIL"), follow=True)

    assert "choose another template for them in the interaction template setup first" in page_text(response)
    assert InteractionTemplate.objects.filter(code="EMAIL").exists()


def test_administrator_deletes_an_unused_template_with_its_languages(administrator_client):
    template = InteractionTemplateFactory(code="OLD")
    InteractionTemplateLanguageFactory(template=template, language="en")
    assert 'type="submit"' in page_text(administrator_client.get(delete_url("OLD")))

    response = administrator_client.post(delete_url("OLD"), follow=True)

    assert response.redirect_chain[-1][0] == TEMPLATES
    assert "Interaction template OLD has been deleted." in page_text(response)
    assert not InteractionTemplate.objects.filter(code="OLD").exists()
    assert not InteractionTemplateLanguage.objects.exists()


def test_a_replaced_template_attachment_is_deleted_when_nothing_else_uses_it():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from interactions.forms.setup import InteractionTemplateLanguageFormSet
    from interactions.models import Attachment
    from interactions.services.setup import save_template

    from .factories import InteractionTemplateFactory

    template = InteractionTemplateFactory(language_default="en")

    def save(upload_name):
        row = template.languages.first()
        data = {
            "languages-TOTAL_FORMS": "1", "languages-INITIAL_FORMS": "1" if row else "0",
            "languages-MIN_NUM_FORMS": "0", "languages-MAX_NUM_FORMS": "1000",
            "languages-0-language": "en", "languages-0-description": "Letter",
        }  # fmt: skip
        if row:
            data["languages-0-id"] = row.pk
        files = {"languages-0-upload": SimpleUploadedFile(upload_name, b"%PDF-1.4 x", content_type="application/pdf")}
        formset = InteractionTemplateLanguageFormSet(data, files, instance=template, prefix="languages")
        assert formset.is_valid(), formset.errors
        save_template(template=template, languages=formset.language_changes(), user=None)

    save("first.pdf")
    first = Attachment.objects.get()
    save("second.pdf")
    assert list(Attachment.objects.values_list("file_name", flat=True)) == ["second.pdf"]
    assert not Attachment.objects.filter(pk=first.pk).exists()
