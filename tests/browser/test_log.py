"""A sales manager filters the interaction log, exports it, and cancels entries."""

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from interactions.models import InteractionLogEntry
from interactions.selectors.log import EXPORT_COLUMNS

from .helpers import log_in

pytestmark = pytest.mark.browser


def test_manager_filters_the_log_by_template_exports_it_and_cancels_two_entries(page):
    outgoing_calls = InteractionLogEntry.objects.filter(template__code="OUTGOING", postponed=False)
    log_in(page, "manager")

    page.goto("/interactions/log/")
    page.locator("details:has(#log-filter) > summary").click()
    page.get_by_label("Interaction template").select_option(label="OUTGOING Outgoing phone call")
    page.get_by_role("button", name="Apply filter").click()
    expect(page).to_have_url(re.compile(r"[?&]template=\d+"))
    rows = page.locator("#interaction-log tbody tr[data-entry]")
    expect(rows.first).to_be_visible()
    for title in rows.locator("td:nth-child(6)").all_inner_texts():
        assert "Outgoing phone call" in title

    # The export has what the filter shows: the outgoing calls, all of them.
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename.endswith(".csv")
    with open(download.value.path(), encoding="utf-8-sig", newline="") as exported:
        lines = list(csv.reader(io.StringIO(exported.read())))
    assert lines[0] == [str(header) for header, _path in EXPORT_COLUMNS]
    assert lines[0][:2] == ["Entry No.", "Date"]
    assert sorted(int(line[0]) for line in lines[1:]) == sorted(outgoing_calls.values_list("entry_no", flat=True))

    # Select the first two entries that are not canceled yet, and cancel them.
    open_rows = page.locator("#interaction-log tbody tr[data-entry]:not(.text-decoration-line-through)")
    numbers = [open_rows.nth(0).get_attribute("data-entry"), open_rows.nth(1).get_attribute("data-entry")]
    for number in numbers:
        page.get_by_label(f"Select entry {number}", exact=True).check()
    page.get_by_role("button", name="Cancel selected").click()

    expect(page.get_by_role("heading", name="Cancel these interaction log entries?")).to_be_visible()
    listed = page.locator("main table tbody tr")
    expect(listed).to_have_count(2)
    assert sorted(listed.locator("td:first-child").all_inner_texts()) == sorted(numbers)
    page.get_by_role("button", name="Yes, cancel them").click()

    expect(page.get_by_role("alert").filter(has_text="2 entries have been canceled.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/interactions/log/\?.*template="))
    for number in numbers:
        expect(page.locator(f'#interaction-log tr[data-entry="{number}"]')).to_have_class(
            re.compile("text-decoration-line-through")
        )
    assert set(InteractionLogEntry.objects.filter(entry_no__in=numbers).values_list("canceled", flat=True)) == {True}
