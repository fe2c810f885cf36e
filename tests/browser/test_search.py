"""The "Tell me" palette: opened with the keyboard, it finds pages by the original's
Russian names and contacts by a part of their phone number, and opens the choice with
Enter; sales staff are not offered the purge."""

import re

import pytest
from playwright.sync_api import Page, expect

from crm.contacts.models import Contact

from .helpers import log_in

pytestmark = pytest.mark.browser


def palette(page: Page):
    return page.locator("#search-results")


def options(page: Page):
    return page.locator("#search-results [role=option]")


def type_query(page: Page, text: str) -> None:
    page.keyboard.type(text)
    # The palette has answered this text: its last option is "All results for “text”".
    expect(options(page).last).to_have_text(f"All results for “{text}”")


def test_ctrl_k_opens_the_palette_which_finds_and_opens_the_log_by_its_russian_nav_name(page):
    log_in(page, "manager")
    page.locator("main").click()
    page.keyboard.press("Control+K")
    expect(page.locator("#search-input")).to_be_focused()

    type_query(page, "журналы взаимодействий")
    expect(palette(page)).to_be_visible()
    expect(options(page).first).to_contain_text("Interaction log")
    expect(options(page).first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/interactions/log/$"))
    expect(page.get_by_role("heading", name="Interaction log", exact=True)).to_be_visible()
    page.wait_for_load_state()  # the palette's script runs at the end of the page

    # Chosen once, the log comes first next time, under "Recent", before anything is typed.
    page.keyboard.press("Control+K")
    expect(palette(page).locator(".dropdown-header").first).to_have_text("Recent")
    expect(options(page).first).to_contain_text("Interaction log")

    # Esc closes the palette.
    page.keyboard.press("Escape")
    expect(palette(page)).to_be_hidden()


def test_slash_opens_the_palette_and_the_arrows_choose_the_purge_by_its_russian_nav_name(page):
    log_in(page, "manager")
    page.locator("main").click()
    page.keyboard.press("/")
    expect(page.locator("#search-input")).to_be_focused()
    type_query(page, "удалить отмененные")
    expect(options(page).first).to_contain_text("Delete canceled interaction log entries")
    # Down to "All results", and back up to the purge.
    page.keyboard.press("ArrowDown")
    expect(options(page).first).to_have_attribute("aria-selected", "false")
    page.keyboard.press("ArrowUp")
    expect(options(page).first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/interactions/purge/$"))
    expect(page.get_by_role("heading", name="Delete canceled interaction log entries")).to_be_visible()


def test_slash_in_a_field_is_typed_not_a_shortcut(page):
    log_in(page, "manager")
    page.goto("/interactions/log/")
    page.locator("details:has(#log-filter) > summary").click()
    field = page.locator("#log-filter input[name=q]")
    field.click()
    page.keyboard.type("a/b")
    expect(field).to_have_value("a/b")
    expect(page.locator("#search-input")).not_to_be_focused()


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def test_a_contact_is_found_by_a_part_of_its_phone_number(page):
    # A person's mobile number, "+7 916 123-45-67", found by its end as written: "123-45-67".
    everyone = list(Contact.objects.order_by("number"))
    contact, part = next(
        (contact, contact.mobile[-9:])
        for contact in everyone
        if contact.mobile
        and sum(digits(contact.mobile[-9:]) in digits(f"{other.phone},{other.mobile}") for other in everyone) == 1
    )
    log_in(page, "sales")
    page.locator("main").click()
    page.keyboard.press("Control+K")
    type_query(page, part)
    match = options(page).filter(has_text=contact.name).first
    expect(match).to_be_visible()
    match.click()
    expect(page).to_have_url(re.compile(rf"/contacts/{contact.number}/$"))


def test_sales_staff_are_not_offered_the_purge(page):
    log_in(page, "sales")
    page.locator("main").click()
    page.keyboard.press("Control+K")
    type_query(page, "удалить отмененные")
    expect(palette(page).locator("a[href$='/interactions/purge/']")).to_have_count(0)
    # Not on the results page either (Enter on "All results").
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q="))
    expect(page.locator("#search-nothing")).to_be_visible()
    expect(page.locator("main a[href$='/interactions/purge/']")).to_have_count(0)
