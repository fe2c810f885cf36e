"""The main flow in Russian, under /ru/: log in, open the log, record an interaction, see it
on the contact's card. The Russian catalogue is still being written: the test asserts the
language of the pages and Django's own Russian strings, and that the flow stays under /ru/."""

import re

import pytest
from playwright.sync_api import expect

from interactions.models import InteractionLogEntry

from .helpers import log_in, open_menu, person_without_entries_today

pytestmark = pytest.mark.browser


def expect_russian(page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    assert re.match(r"^https?://[^/]+/ru/", page.url), page.url
    # "Log out" as Django's own catalogue translates it.
    expect(page.locator("form[action$='/logout/'] button")).to_have_text("Выйти")


def test_russian_user_logs_in_reads_the_log_and_records_an_interaction(page):
    contact = person_without_entries_today(language="ru")
    log_in(page, "sales", prefix="/ru")
    expect(page).to_have_url(re.compile(r"/ru/$"))
    expect_russian(page)
    expect(page.locator("#language-menu")).to_have_accessible_name(re.compile(r"^Язык: ru \(Русский\)$"))

    open_menu(page, "Взаимодействия")
    page.locator('#main-nav a[href="/ru/interactions/log/"]').click()
    expect(page).to_have_url(re.compile(r"/ru/interactions/log/$"))
    expect_russian(page)
    expect(page.locator("#interaction-log tbody tr[data-entry]").first).to_be_visible()

    page.goto(f"/ru/contacts/{contact.number}/")
    expect_russian(page)
    # The card's button, not the composer's "Open the full form" (the same address).
    page.locator(f'a.btn-primary[href="/ru/interactions/new/?contact={contact.number}"]').click()
    expect_russian(page)
    expect(page.locator("#contact-summary")).to_contain_text(contact.name)
    page.locator("#id_template").select_option(label="OUTGOING Outgoing phone call")
    expect(page.locator("#id_description")).to_have_value("Outgoing phone call")
    page.locator("#id_subject").fill("Звонок по поводу поставки")
    page.locator("#interaction-form .btn-primary[name=action][value=save]").click()

    expect(page).to_have_url(re.compile(rf"/ru/contacts/{contact.number}/$"))
    expect_russian(page)
    entry = InteractionLogEntry.objects.filter(contact=contact).latest("entry_no")
    assert entry.template.code == "OUTGOING" and entry.subject == "Звонок по поводу поставки"
    newest = page.locator("#contact-timeline [data-entry]").first
    expect(newest).to_have_attribute("data-entry", str(entry.entry_no))
    expect(newest).to_contain_text("Звонок по поводу поставки")
