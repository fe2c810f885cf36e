"""A sales manager deletes canceled entries from the purge page: count, confirm, result."""

import re

import pytest
from playwright.sync_api import expect

from interactions.models import InteractionLogEntry

from .helpers import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def purge_runs_in_process(settings):
    """The page then runs the purge at once and shows its result; with a broker (CI) it
    would queue it for a worker, which the purge task tests cover."""
    from crm.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_manager_counts_confirms_and_deletes_the_canceled_phone_calls(page, purge_runs_in_process):
    canceled = InteractionLogEntry.objects.filter(canceled=True)
    phone_calls = canceled.filter(group__code="PHONE").count()
    others = canceled.exclude(group__code="PHONE").count()
    assert phone_calls > 1 and others > 0, "the demo data has canceled entries of several groups"
    log_in(page, "manager")

    page.goto("/interactions/log/")
    page.get_by_role("link", name="Delete canceled entries").click()
    expect(page.get_by_role("heading", name="Delete canceled interaction log entries")).to_be_visible()
    page.get_by_label("Interaction group").select_option(label="PHONE Telephone calls")
    page.get_by_role("button", name="Count").click()
    expect(page.locator("#purge-count")).to_have_text(
        f"{phone_calls} canceled interaction log entries match the filter and would be deleted."
    )

    page.get_by_role("button", name="Delete…").click()
    expect(page.locator("#purge-confirmation")).to_contain_text(
        f"{phone_calls} canceled interaction log entries will be deleted"
    )
    expect(page.locator("main dl")).to_contain_text("PHONE Telephone calls")
    page.get_by_role("button", name="Delete", exact=True).click()

    expect(page).to_have_url(re.compile(r"/interactions/purge/$"))
    expect(page.get_by_role("alert")).to_contain_text(f"{phone_calls} interaction log entries have been deleted.")
    assert not canceled.filter(group__code="PHONE").exists()
    assert canceled.count() == others
