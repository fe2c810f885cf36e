"""Sales staff build a segment with options, save its criteria (the whole recipe), replay
them on a new segment, log that one, and fill a third segment from the logged one."""

import re

import pytest
from playwright.sync_api import expect

from interactions.models import LoggedSegment, Segment

from .helpers import log_in
from .test_segments import city_with_a_few_contacts

pytestmark = pytest.mark.browser


def create_segment(page, description: str) -> Segment:
    page.goto("/interactions/segments/")
    page.locator("details:has(#segment-create) > summary").click()
    create = page.locator("#segment-create")
    create.get_by_label("Description").fill(description)
    create.get_by_label("Interaction template").select_option(label="EMAIL E-mail")
    create.get_by_role("button", name="Create segment").click()
    expect(page.get_by_role("alert").filter(has_text="has been created")).to_be_visible()
    return Segment.objects.get(description=description)


def contacts_of(segment: Segment) -> set[int]:
    return set(segment.lines.values_list("contact_id", flat=True))


def test_a_saved_recipe_is_replayed_on_a_new_segment_logged_and_reused(page):
    city = city_with_a_few_contacts()
    log_in(page, "sales")

    first = create_segment(page, f"Built in {city}")
    page.get_by_role("link", name="Add, reduce or refine contacts").click()
    page.get_by_label("City", exact=True).fill(city)
    page.locator("#id_allow_company_with_persons").check()
    page.get_by_role("button", name="Add contacts").click()
    expect(page.locator("#criteria-steps li")).to_have_count(1)
    page.get_by_role("link", name="Add, reduce or refine contacts").click()
    page.locator("#id_contact_type").select_option("company")
    page.get_by_role("button", name="Reduce contacts").click()
    expect(page.locator("#criteria-steps li")).to_have_count(2)
    built = contacts_of(first)
    assert built

    recipe = page.locator("#save-recipe")
    recipe.get_by_label("Code").fill("city-people")
    recipe.get_by_label("Description").fill(f"Persons in {city}")
    recipe.get_by_role("button", name="Save criteria (2 steps)").click()
    expect(page.get_by_role("alert").filter(has_text="saved as CITY-PEOPLE (2 steps)")).to_be_visible()

    second = create_segment(page, f"Replayed in {city}")
    page.locator("#reuse-criteria").get_by_label("Saved criteria").select_option("CITY-PEOPLE")
    page.get_by_role("button", name="Reuse criteria").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Criteria CITY-PEOPLE reused on segment {second.number}")
    rows = page.locator("#replay-results tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Add contacts")
    expect(rows.nth(1)).to_contain_text("Reduce contacts")
    assert contacts_of(second) == built

    page.get_by_role("link", name="Back to the segment").click()
    page.locator("#log-segment").get_by_role("button", name="Log segment").click()
    # The log dialog: what each line lacks, the options; then log.
    page.locator("#log-segment").get_by_role("button", name="Log segment").click()
    expect(page.get_by_role("alert").filter(has_text="have been logged")).to_be_visible()
    logged = LoggedSegment.objects.get(segment_number=second.number)

    third = create_segment(page, f"Reused in {city}")
    page.locator("#reuse-segment").get_by_label("Logged segment no.").fill(str(logged.pk))
    page.locator("#reuse-segment").get_by_role("button", name="Reuse segment").click()
    expect(page.get_by_role("alert").filter(has_text=f"of logged segment {logged.pk}")).to_contain_text(
        f"{len(built)} contacts of logged segment {logged.pk} have been added."
    )
    expect(page).to_have_url(re.compile(rf"/interactions/segments/{re.escape(third.number)}/$"))
    expect(page.locator("#criteria-steps")).to_contain_text(f"contacts of logged segment {logged.pk}")
    assert contacts_of(third) == built
