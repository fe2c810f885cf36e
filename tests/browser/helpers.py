"""What the browser tests do again and again, in the words of the pages."""

from django.db.models import Q
from django.utils import timezone
from playwright.sync_api import Page, expect

from crm.contacts.models import Contact
from interactions.models import InteractionLogEntry

PASSWORDS = {"sales": "demo-sales", "manager": "demo-manager", "admin": "demo-admin"}


def log_in(page: Page, username: str, *, prefix: str = "") -> None:
    """Log in on the login page (`prefix` "/ru" for the Russian pages) as a demo login."""
    page.goto(f"{prefix}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORDS[username])
    page.locator("form:has(#id_password) button[type=submit]").click()
    expect(page.locator("#user-menu")).to_be_visible()


def open_menu(page: Page, name: str) -> None:
    """Open a menu of the navigation bar ("Interactions", "Setup"), expanding the collapsed
    bar first on a narrow window."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
    page.locator("#main-nav").get_by_role("button", name=name, exact=True).click()


def log_out(page: Page) -> None:
    page.locator("#user-menu").click()
    page.locator("form[action$='/logout/'] button").click()
    expect(page.locator("#id_username")).to_be_visible()


def has_entries_today(contact: Contact) -> bool:
    return InteractionLogEntry.objects.filter(
        Q(contact=contact) | Q(contact_company=contact), date__gte=timezone.localdate()
    ).exists()


def person_without_entries_today(*, language: str) -> Contact:
    """A person who speaks `language` and has nothing dated today yet, so that what a test
    records is the newest entry on the contact's timeline."""
    persons = Contact.objects.filter(type=Contact.Type.PERSON, language=language).order_by("number")
    return next(person for person in persons if not has_entries_today(person))
