"""Leaving the new-interaction form by a link with unsaved input asks "Finish later /
Discard / Stay"; without input, a link simply leaves."""

import re

import pytest
from playwright.sync_api import expect

from interactions.models import InteractionLogEntry

from .helpers import log_in, person_without_entries_today

pytestmark = pytest.mark.browser


def start_an_interaction(page, contact) -> None:
    page.goto(f"/interactions/new/?contact={contact.number}&template=MEETING")
    description = page.get_by_label("Description")
    expect(description).to_have_value("Meeting at the customer")
    description.fill("Talked about the spring offer")


def test_leaving_the_form_asks_and_each_answer_does_what_it_says(page):
    contact = person_without_entries_today(language="en")
    log_in(page, "sales")
    contacts_link = page.locator("#main-nav").get_by_role("link", name="Contacts", exact=True)

    # Nothing typed: the link leaves at once.
    page.goto("/interactions/new/")
    contacts_link.click()
    expect(page).to_have_url(re.compile(r"/contacts/$"))

    # Stay: the prompt closes, the input is still there.
    start_an_interaction(page, contact)
    contacts_link.click()
    prompt = page.get_by_role("dialog", name="Leave the interaction?")
    expect(prompt).to_be_visible()
    prompt.locator('[data-leave="stay"]').click()
    expect(prompt).to_be_hidden()
    expect(page.get_by_label("Description")).to_have_value("Talked about the spring offer")
    expect(page).to_have_url(re.compile(r"/interactions/new/\?"))

    # Discard: the link is followed and nothing is saved.
    contacts_link.click()
    prompt.get_by_role("button", name="Discard").click()
    expect(page).to_have_url(re.compile(r"/contacts/$"))
    assert not InteractionLogEntry.objects.filter(contact=contact, description="Talked about the spring offer").exists()

    # Finish later: saved as a postponed interaction, then the link is followed.
    start_an_interaction(page, contact)
    contacts_link.click()
    prompt.get_by_role("button", name="Finish later").click()
    expect(page).to_have_url(re.compile(r"/contacts/$"))
    expect(page.get_by_role("alert").filter(has_text="saved for later")).to_be_visible()
    entry = InteractionLogEntry.objects.get(contact=contact, description="Talked about the spring offer")
    assert entry.postponed
