"""The interaction template setup page: read-only for everyone who may view it, edited by
users who may change it, with the admin's form and rules."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from interactions.models import SETUP_EVENTS, InteractionTemplateSetup

from .factories import InteractionTemplateFactory, InteractionTemplateLanguageFactory, UserFactory

pytestmark = pytest.mark.django_db
SETUP = reverse("interactions:setup")


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


@pytest.fixture
def setup_with_email():
    email = InteractionTemplateFactory(code="EMAIL", description="E-mail")
    setup = InteractionTemplateSetup.load()
    setup.emails = email
    setup.save()
    return setup


def setup_data(setup: InteractionTemplateSetup, **changes) -> dict:
    """The setup form as the page submits it: every event, its current template or empty."""
    data = {event: getattr(setup, f"{event}_id") or "" for event in SETUP_EVENTS}
    data.update(changes)
    return data


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_sales_staff_see_the_setup_read_only_grouped_general_sales_purchases_service(
    sales_staff_client, setup_with_email
):
    response = sales_staff_client.get(SETUP)

    assert response.status_code == 200
    text = page_text(response)
    headings = re.findall(r'<h2 class="card-header h6 mb-0" id="setup-section-\d">([^<]+)</h2>', text)
    assert headings == ["General", "Sales", "Purchases", "Service"]
    main = text.split('<main id="main"')[1]  # the navigation has a language switch
    assert "<select" not in main and 'name="emails"' not in main
    assert f'href="{reverse("interactions:template-detail", args=["EMAIL"])}">EMAIL</a>' in text
    assert "Outgoing calls" in text and "(do not record)" in text


def test_sales_staff_get_403_on_post_and_nothing_is_written(sales_staff_client, setup_with_email):
    other = InteractionTemplateFactory(code="OTHER")

    response = sales_staff_client.post(SETUP, setup_data(setup_with_email, emails=other.pk))

    assert response.status_code == 403
    assert InteractionTemplateSetup.load().emails.code == "EMAIL"


def test_administrator_edits_the_setup_in_sections_with_a_label_for_every_event(administrator_client, setup_with_email):
    text = page_text(administrator_client.get(SETUP))

    legends = re.findall(r"<legend[^>]*>([^<]+)</legend>", text)
    assert legends == ["General", "Sales", "Purchases", "Service"]
    for event in SETUP_EVENTS:
        assert f'<label class="form-label" for="id_{event}">' in text
    assert re.search(r'<option value="\d+" selected>EMAIL E-mail</option>', text)


def test_setup_page_refuses_a_template_with_languages_with_the_clear_message(administrator_client, setup_with_email):
    letter = InteractionTemplateFactory(code="BUS", language_default="en")
    InteractionTemplateLanguageFactory(template=letter, language="en")

    response = administrator_client.post(SETUP, setup_data(setup_with_email, emails=letter.pk))

    assert response.status_code == 200
    assert (
        "Template BUS has language rows (attachments), so it cannot record automatic interactions. "
        "Choose a template without languages, or remove its languages."
    ) in page_text(response)
    assert InteractionTemplateSetup.load().emails.code == "EMAIL"


def test_setup_lists_mark_templates_with_languages_disabled_and_say_why(administrator_client, setup_with_email):
    letter = InteractionTemplateFactory(code="BUS", description="Business letter", language_default="en")
    InteractionTemplateLanguageFactory(template=letter, language="en")
    InteractionTemplateFactory(code="CALL", description="Call")

    text = page_text(administrator_client.get(SETUP))

    select = re.search(r'<select name="outgoing_calls".*?</select>', text).group(0)
    assert re.search(rf'<option value="{letter.pk}" disabled>BUS Business letter — has languages</option>', select)
    assert re.search(r'<option value="\d+">CALL Call</option>', select)
    assert "Templates with languages (attachments) cannot record automatic interactions" in text


def test_setup_page_saves_a_valid_choice(administrator_client, setup_with_email):
    call = InteractionTemplateFactory(code="OUTGOING")

    response = administrator_client.post(
        SETUP, setup_data(setup_with_email, outgoing_calls=call.pk, emails=""), follow=True
    )

    assert response.redirect_chain[-1][0] == SETUP
    assert "The interaction template setup has been saved." in page_text(response)
    setup = InteractionTemplateSetup.load()
    assert setup.outgoing_calls == call
    assert setup.emails is None


def test_setup_page_refuses_an_unknown_template_with_a_form_error(administrator_client, setup_with_email):
    response = administrator_client.post(SETUP, setup_data(setup_with_email, emails="999999"))

    assert response.status_code == 200
    assert "Select a valid choice." in page_text(response)
    assert InteractionTemplateSetup.load().emails.code == "EMAIL"


def test_setup_page_reads_the_templates_once_not_once_per_event_or_template(administrator_client, setup_with_email):
    def queries(client):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(SETUP).status_code == 200
        return len(captured.captured_queries)

    sales_staff_client = client_for("Sales staff")
    before = (queries(administrator_client), queries(sales_staff_client))
    for number in range(30):
        template = InteractionTemplateFactory(code=f"T{number}")
        if number < len(SETUP_EVENTS):
            setattr(setup_with_email, SETUP_EVENTS[number], template)
    setup_with_email.save()
    after = (queries(administrator_client), queries(sales_staff_client))

    assert after == before
    # The form's thirty selects share one read of the templates.
    assert before[0] < len(SETUP_EVENTS) / 2


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(SETUP)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
