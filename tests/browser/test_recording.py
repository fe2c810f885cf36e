"""Sales staff create interactions from a contact's card: with a merge template (the
template's text, filled in with the contact's data) and with an import template (a file)."""

import re

import pytest
from playwright.sync_api import expect

from crm.contacts.models import Contact
from interactions.models import InteractionLogEntry

from .helpers import log_in, person_without_entries_today

pytestmark = pytest.mark.browser


def open_new_interaction_from_the_card(page, contact: Contact) -> None:
    page.goto(f"/contacts/{contact.number}/")
    page.get_by_role("link", name="Create interaction").click()
    expect(page.get_by_role("heading", name="New interaction")).to_be_visible()
    expect(page.locator("#id_contact")).to_have_value(contact.number)
    expect(page.locator("#contact-summary")).to_contain_text(contact.name)


def test_sales_records_a_merged_letter_and_an_imported_file_from_the_contact_card(page):
    contact = person_without_entries_today(language="en")
    log_in(page, "sales")

    # A merge template: choosing it brings its text, merged with the contact's data.
    open_new_interaction_from_the_card(page, contact)
    page.get_by_label("Interaction template").select_option(label="BUS Business letter")
    merged = page.get_by_label("Text of the interaction")
    expect(merged).to_have_value(re.compile(rf"^Dear {re.escape(contact.name)},"))
    expect(page.get_by_label("Description")).to_have_value("Business letter")
    # Reviewed and edited before saving: the edited text is what is kept.
    merged.fill(merged.input_value() + "\nP.S. See you at the fair.")
    page.get_by_role("button", name="Record interaction").click()

    expect(page).to_have_url(re.compile(rf"/contacts/{contact.number}/$"))
    expect(page.get_by_role("alert").filter(has_text="has been recorded")).to_contain_text(contact.name)
    letter = InteractionLogEntry.objects.filter(contact=contact, template__code="BUS").latest("entry_no")
    with letter.attachment.file.open("rb") as stored:
        text = stored.read().decode()
    assert text.startswith(f"Dear {contact.name},") and text.rstrip().endswith("P.S. See you at the fair.")
    first_on_timeline = page.locator("#contact-timeline [data-entry]").first
    expect(first_on_timeline).to_have_attribute("data-entry", str(letter.entry_no))
    expect(first_on_timeline).to_contain_text("Business letter")

    # An import template: the uploaded file becomes the interaction's attachment.
    open_new_interaction_from_the_card(page, contact)
    page.get_by_label("Interaction template").select_option(label="ABSTRACT Abstract of meeting")
    upload = page.locator("#id_upload")
    expect(upload).to_be_visible()
    upload.set_input_files(
        files=[{"name": "meeting-minutes.txt", "mimeType": "text/plain", "buffer": b"Minutes of the meeting.\n"}]
    )
    page.get_by_label("Subject").fill("Minutes of the kick-off meeting")
    page.get_by_role("button", name="Record interaction").click()

    expect(page).to_have_url(re.compile(rf"/contacts/{contact.number}/$"))
    abstract = InteractionLogEntry.objects.filter(contact=contact, template__code="ABSTRACT").latest("entry_no")
    assert abstract.attachment.file_name == "meeting-minutes.txt"
    first_on_timeline = page.locator("#contact-timeline [data-entry]").first
    expect(first_on_timeline).to_have_attribute("data-entry", str(abstract.entry_no))
    expect(first_on_timeline).to_contain_text("Minutes of the kick-off meeting")
    expect(first_on_timeline.get_by_role("link", name="Open attachment")).to_be_visible()

    first_on_timeline.get_by_role("link", name="Abstract of meeting").click()
    attachment_link = page.get_by_role("link", name="Open attachment meeting-minutes.txt")
    expect(attachment_link).to_be_visible()
    with page.expect_download() as download:
        attachment_link.click()
    assert download.value.suggested_filename == "meeting-minutes.txt"
    with open(download.value.path(), "rb") as downloaded:
        assert downloaded.read() == b"Minutes of the meeting.\n"
