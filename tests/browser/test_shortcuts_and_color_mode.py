"""Keyboard shortcuts (static/crm/shortcuts.js) and the color mode (static/crm/theme.js):
j/k move through the log, x selects, g then l goes to the log, "?" lists the shortcuts;
the color mode follows the system until the user chooses one in the user menu."""

import re

import pytest
from playwright.sync_api import expect

from .helpers import log_in

pytestmark = pytest.mark.browser


def test_the_log_is_worked_with_shortcuts_and_question_mark_lists_them(page):
    log_in(page, "manager")
    page.keyboard.press("g")
    page.keyboard.press("l")
    expect(page).to_have_url(re.compile(r"/interactions/log/$"))
    page.wait_for_load_state()  # the address changes before the page's scripts have run

    rows = page.locator("#interaction-log [data-entry]")
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile("shortcut-current"))
    page.keyboard.press("k")
    expect(rows.nth(0)).to_have_class(re.compile("shortcut-current"))
    page.keyboard.press("x")
    expect(rows.nth(0).locator('input[name="entry"]')).to_be_checked()
    page.keyboard.press("x")
    expect(rows.nth(0).locator('input[name="entry"]')).not_to_be_checked()

    page.keyboard.press("?")
    help_overlay = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_overlay).to_be_visible()
    expect(help_overlay).to_contain_text("Go to the interaction log")
    expect(help_overlay).to_contain_text("Select or unselect the entry")
    expect(help_overlay).to_be_focused()  # opened (its fade over)
    page.keyboard.press("Escape")
    expect(help_overlay).to_be_hidden()

    number = rows.nth(0).get_attribute("data-entry")
    page.keyboard.press("o")
    expect(page).to_have_url(re.compile(rf"/interactions/log/{number}/$"))


def test_pages_register_their_own_shortcuts_and_the_overlay_lists_them(page):
    log_in(page, "sales")
    page.evaluate(
        """window.crmShortcuts.register({keys: ["c", "n"], group: "Composer", description: "New note",
                                          run: () => { document.body.dataset.ran = "yes"; }})"""
    )
    page.keyboard.press("c")
    page.keyboard.press("n")
    expect(page.locator("body")).to_have_attribute("data-ran", "yes")
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_contain_text("New note")


def test_the_color_mode_follows_the_system_until_the_user_chooses_one(page):
    page.emulate_media(color_scheme="dark")
    log_in(page, "sales")
    html = page.locator("html")
    expect(html).to_have_attribute("data-bs-theme", "dark")

    page.locator("#user-menu").click()
    page.get_by_role("button", name="Light").click()
    expect(html).to_have_attribute("data-bs-theme", "light")
    page.reload()
    expect(html).to_have_attribute("data-bs-theme", "light")  # remembered in this browser

    page.locator("#user-menu").click()
    page.get_by_role("button", name="As the system").click()
    expect(html).to_have_attribute("data-bs-theme", "dark")
    page.emulate_media(color_scheme="light")
    expect(html).to_have_attribute("data-bs-theme", "light")
