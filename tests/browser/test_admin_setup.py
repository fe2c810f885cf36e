"""An administrator sets up an interaction template and the template setup in the Django admin."""

import pytest
from playwright.sync_api import expect

from interactions.models import InteractionTemplate, InteractionTemplateSetup

from .helpers import log_in

pytestmark = pytest.mark.browser


def test_admin_creates_a_template_and_sets_it_for_outgoing_calls(page):
    log_in(page, "admin")

    page.goto("/admin/interactions/interactiontemplate/add/")
    page.locator("#id_code").fill("E2E-CALL")
    page.locator("#id_group").select_option(label="PHONE Telephone calls")
    page.locator("#id_description").fill("Follow-up call from the browser test")
    page.locator("#id_unit_cost").fill("3.50")
    page.locator("#id_unit_duration").fill("12")
    page.locator("#id_information_flow").select_option("outbound")
    page.locator("#id_initiated_by").select_option("us")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist .success")).to_contain_text("E2E-CALL")
    template = InteractionTemplate.objects.get(code="E2E-CALL")
    assert not template.languages.exists()

    # The template setup is a single page: the change list leads straight to it.
    page.goto("/admin/interactions/interactiontemplatesetup/")
    page.locator("#id_outgoing_calls").select_option(label="E2E-CALL Follow-up call from the browser test")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist .success")).to_contain_text("The interaction template setup has been saved.")
    assert InteractionTemplateSetup.template_for("outgoing_calls") == template

    page.goto("/interactions/templates/")
    row = page.locator("tr", has_text="E2E-CALL")
    expect(row).to_contain_text("Follow-up call from the browser test")
    # The module's own setup page (an editable form for an administrator) shows it too.
    page.goto("/interactions/setup/")
    expect(page.get_by_label("Outgoing calls", exact=True)).to_have_value(str(template.pk))
