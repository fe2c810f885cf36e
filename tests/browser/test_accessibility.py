"""Accessibility basics, in the browser: every visible form field of the main pages has a
label, and the log's selection and actions work with the keyboard alone."""

import pytest
from playwright.sync_api import expect

from crm.contacts.models import Contact
from crm.documents.models import Document
from crm.documents.types import DocumentKind
from interactions.models import InteractionLogEntry, Segment

from .helpers import log_in

pytestmark = pytest.mark.browser

# The visible inputs, selects and text areas of the page that have neither a <label for>,
# nor an aria-label, nor an aria-labelledby naming an element of the page.
UNLABELLED_FIELDS = """
() => {
  const described = (field) =>
    `${field.tagName.toLowerCase()}${field.type ? `[type=${field.type}]` : ""}` +
    `${field.id ? `#${field.id}` : ""}${field.name ? `[name=${field.name}]` : ""}`;
  const buttons = new Set(["hidden", "submit", "button", "reset", "image"]);
  return [...document.querySelectorAll("input, select, textarea")]
    .filter((field) => !(field.tagName === "INPUT" && buttons.has(field.type)))
    .filter((field) => field.getClientRects().length > 0 && getComputedStyle(field).visibility !== "hidden")
    .filter((field) => {
      if (field.id && document.querySelector(`label[for="${CSS.escape(field.id)}"]`)?.textContent.trim()) return false;
      if ((field.getAttribute("aria-label") || "").trim()) return false;
      const labelledBy = (field.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean);
      if (labelledBy.length && labelledBy.every((id) => document.getElementById(id))) return false;
      return true;
    })
    .map(described);
}
"""


def unlabelled_fields(page) -> list[str]:
    """What UNLABELLED_FIELDS finds once every collapsed <details> (filters, new segment) is open."""
    page.evaluate("document.querySelectorAll('details').forEach((details) => { details.open = true; })")
    fields = page.evaluate(UNLABELLED_FIELDS)
    assert page.locator("input:visible, select:visible, textarea:visible").count() > 0
    return fields


def test_every_visible_form_field_of_the_main_pages_has_a_label(page):
    contact = Contact.objects.filter(type=Contact.Type.PERSON).order_by("number").first()
    segment = Segment.objects.filter(lines__isnull=False).order_by("number").first()
    invoice = Document.objects.filter(kind=DocumentKind.SALES_INVOICE).order_by("number").first()
    log_in(page, "manager")

    pages = {
        "log": "/interactions/log/",
        "contact card": f"/contacts/{contact.number}/",
        "segments": "/interactions/segments/",
        "segment": f"/interactions/segments/{segment.number}/",
        "segment criteria": f"/interactions/segments/{segment.number}/contacts/",
        "print dialog": f"/documents/{invoice.pk}/print/",
        "purge": "/interactions/purge/",
    }
    problems = {}
    for name, path in pages.items():
        page.goto(path)
        problems[name] = unlabelled_fields(page)

    # The new interaction, at each of its content steps: a merged text, a file to import.
    page.goto(f"/interactions/new/?contact={contact.number}")
    problems["new interaction"] = unlabelled_fields(page)
    for template, step_field in [
        ("BUS Business letter", "#id_merged_body"),
        ("ABSTRACT Abstract of meeting", "#id_upload"),
    ]:
        page.get_by_label("Interaction template").select_option(label=template)
        expect(page.locator(step_field)).to_be_visible()
        problems[f"new interaction, {template}"] = unlabelled_fields(page)

    assert {name: fields for name, fields in problems.items() if fields} == {}


def focused_is(page, selector: str) -> bool:
    return page.evaluate("(selector) => document.activeElement?.matches(selector) ?? false", selector)


def press_until_focused(page, key: str, selector: str, *, limit: int = 120) -> None:
    for _press in range(limit):
        page.keyboard.press(key)
        if focused_is(page, selector):
            return
    raise AssertionError(f"{key} never reached {selector}")


def test_log_entries_are_selected_and_canceled_with_the_keyboard_alone(page):
    log_in(page, "manager")
    page.goto("/interactions/log/")
    first_row = page.locator("#interaction-log tbody tr[data-entry]").first
    number = first_row.get_attribute("data-entry")
    checkbox = f'#interaction-log input[name="entry"][value="{number}"]'

    # From the top of the page, Tab reaches the row's check box; Space checks it.
    page.locator("body").focus()
    press_until_focused(page, "Tab", checkbox)
    page.keyboard.press("Space")
    expect(page.locator(checkbox)).to_be_checked()

    # "Cancel selected" stands above the table: Shift+Tab goes back to it; Enter presses it.
    press_until_focused(page, "Shift+Tab", '#log-actions button[value="cancel"]')
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Cancel these interaction log entries?")).to_be_visible()
    listed = page.locator("main table tbody tr")
    expect(listed).to_have_count(1)
    expect(listed.locator("td").first).to_have_text(number)

    # And the confirmation too: Tab to "Yes, cancel them", Enter.
    page.locator("body").focus()
    press_until_focused(page, "Tab", "main form button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert").filter(has_text="1 entry has been canceled.")).to_be_visible()
    assert InteractionLogEntry.objects.get(entry_no=number).canceled
