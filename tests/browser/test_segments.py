"""Sales staff build a segment by criteria and log it; a sales manager cancels the logged
segment."""

import re

import pytest
from django.db.models import Count
from playwright.sync_api import expect

from crm.contacts.models import Contact
from interactions.models import InteractionLogEntry, LoggedSegment, Segment

from .helpers import log_in, log_out

pytestmark = pytest.mark.browser


def city_with_a_few_contacts() -> str:
    """A city of the demo data with a few contacts (3 to 12) that segments may include."""
    cities = (
        Contact.objects.filter(exclude_from_segments=False)
        .exclude(city="")
        .values("city")
        .annotate(contacts=Count("id"))
        .filter(contacts__range=(3, 12))
        .order_by("-contacts", "city")
    )
    return cities[0]["city"]


def test_sales_builds_and_logs_a_segment_and_the_manager_cancels_the_logged_segment(page):
    city = city_with_a_few_contacts()
    log_in(page, "sales")

    page.goto("/interactions/segments/")
    page.locator("details:has(#segment-create) > summary").click()
    create = page.locator("#segment-create")
    create.get_by_label("Description").fill(f"Customers in {city}")
    create.get_by_label("Interaction template").select_option(label="EMAIL E-mail")
    create.get_by_role("button", name="Create segment").click()
    expect(page.get_by_role("alert").filter(has_text="has been created")).to_be_visible()
    segment = Segment.objects.get(description=f"Customers in {city}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Segment {segment.number}")

    page.get_by_role("link", name="Add, reduce or refine contacts").click()
    page.get_by_label("City", exact=True).fill(city)
    page.get_by_role("button", name="Add contacts").click()

    expect(page).to_have_url(re.compile(rf"/interactions/segments/{re.escape(segment.number)}/$"))
    cities = list(segment.lines.values_list("contact__city", flat=True))
    assert cities and set(cities) == {city}
    expect(page.locator("#lines-heading")).to_have_text(f"{len(cities)} lines")
    expect(page.locator("#criteria-steps")).to_contain_text(city)

    page.locator("#log-segment").get_by_role("button", name="Log segment").click()
    # The log dialog: what each line lacks, the options; then log.
    page.locator("#log-segment").get_by_role("button", name="Log segment").click()
    expect(page.get_by_role("alert").filter(has_text="have been logged")).to_contain_text(
        f"{len(cities)} interactions have been logged."
    )
    logged = LoggedSegment.objects.get(segment_number=segment.number)
    expect(page).to_have_url(re.compile(rf"/interactions/log/\?logged_segment={logged.pk}$"))
    expect(page.locator("#interaction-log tbody tr[data-entry]")).to_have_count(len(cities))

    log_out(page)
    log_in(page, "manager")
    page.goto("/interactions/logged-segments/")
    page.get_by_role("button", name=f"Cancel segment (logged segment {logged.pk})", exact=True).click()
    expect(page.get_by_role("heading", name=f"Cancel logged segment {logged.pk}?")).to_be_visible()
    expect(page.get_by_text(f"All its {len(cities)} interactions will be canceled with it.")).to_be_visible()
    page.get_by_role("button", name="Yes, cancel it").click()

    expect(page).to_have_url(re.compile(r"/interactions/logged-segments/$"))
    expect(page.get_by_role("button", name=f"Restore (logged segment {logged.pk})", exact=True)).to_be_visible()
    entries = InteractionLogEntry.objects.filter(logged_segment=logged)
    assert entries.count() == len(cities) and not entries.filter(canceled=False).exists()
