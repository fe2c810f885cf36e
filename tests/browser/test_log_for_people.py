"""The log for people, in the browser: the count, a saved view shared with the team, the
column picker, and the rows stacked as cards on a phone with the contact's name first."""

import re

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from interactions.models import InteractionLogEntry, LogView

from .helpers import log_in, log_out

pytestmark = pytest.mark.browser


def test_manager_saves_a_shared_view_that_sales_staff_open(page):
    log_in(page, "manager")
    page.goto("/interactions/log/?all=1")
    total = InteractionLogEntry.objects.filter(postponed=False).count()
    expect(page.locator("#log-count")).to_have_text(re.compile(rf"^\s*{total:,} entries\s*$"))

    page.locator("details:has(#log-filter) > summary").click()
    page.get_by_label("Information flow").select_option(label="Inbound")
    page.get_by_role("button", name="Apply filter").click()
    inbound = InteractionLogEntry.objects.filter(postponed=False, information_flow="inbound").count()
    expect(page.locator("#log-count")).to_have_text(re.compile(rf"^\s*{inbound:,} entr(y|ies)\s*$"))

    # Fewer columns, then save the view for the team.
    page.get_by_text("Columns", exact=True).click()
    page.get_by_label("Cost", exact=True).uncheck()
    page.get_by_label("Duration (min.)", exact=True).uncheck()
    page.get_by_role("button", name="Show these columns").click()
    expect(page.locator("#interaction-log thead")).not_to_contain_text("Cost")
    page.locator("summary", has_text="Save view").click()
    page.locator("#save-view-form").get_by_label("Name").fill("Inbound, short")
    page.locator("#save-view-form").get_by_label("Share with the team").check()
    page.locator("#save-view-form").get_by_role("button", name="Save view").click()
    expect(page.get_by_role("alert").filter(has_text="View “Inbound, short” has been saved.")).to_be_visible()
    view = LogView.objects.get(name="Inbound, short")
    assert view.shared and "information_flow=inbound" in view.query_string and "cost" not in view.columns

    log_out(page)
    log_in(page, "sales")
    page.goto("/interactions/log/?all=1")
    expect(page.locator("#interaction-log thead")).to_contain_text("Cost")
    page.locator("#log-views-menu").click()
    page.get_by_role("link", name=re.compile("Inbound, short")).click()
    expect(page.locator("#log-count")).to_have_text(re.compile(rf"^\s*{inbound:,} entr(y|ies)\s*$"))
    expect(page.locator("#interaction-log thead")).not_to_contain_text("Cost")
    expect(page.get_by_text("Change view")).to_have_count(0)  # only its owner changes it


@override_settings(INTERACTIONS_LOG_COUNT_LIMIT=50)
def test_beyond_the_bound_the_log_says_more_than(page):
    log_in(page, "sales")
    page.goto("/interactions/log/?all=1")
    expect(page.locator("#log-count")).to_have_text(re.compile(r"More than 50 entries"))


def test_on_a_phone_each_entry_is_a_card_with_the_contact_first(page):
    log_in(page, "sales")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/interactions/log/?all=1")
    first = page.locator("#interaction-log tbody tr[data-entry]").first
    expect(first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    cells = first.locator("td")
    # The contact comes first in the card (flex order), and every other cell says what it is.
    contact_top = first.locator('td[data-column="contact"]').bounding_box()["y"]
    date_top = first.locator('td[data-column="date"]').bounding_box()["y"]
    assert contact_top < date_top
    label = first.locator('td[data-column="date"]').evaluate("(cell) => getComputedStyle(cell, '::before').content")
    assert label == '"Date"'
    assert cells.count() > 5
