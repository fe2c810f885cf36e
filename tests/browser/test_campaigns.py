"""Sales staff open a campaign from the campaign list, read its card and open its
interaction log."""

import re

import pytest
from playwright.sync_api import expect

from crm.contacts.models import Campaign
from interactions.models import InteractionLogEntry

from .helpers import log_in

pytestmark = pytest.mark.browser


def test_sales_open_a_campaign_and_its_interaction_log(page):
    counted_entries = InteractionLogEntry.objects.filter(canceled=False, postponed=False)
    campaign = Campaign.objects.filter(pk__in=counted_entries.values("campaign")).order_by("number").first()
    assert campaign is not None, "the demo data has campaigns with interactions"
    counted = counted_entries.filter(campaign=campaign).count()
    log_in(page, "sales")

    page.locator("#main-nav").get_by_role("link", name="Campaigns").click()
    expect(page).to_have_url(re.compile(r"/contacts/campaigns/$"))
    page.locator("#campaigns").get_by_role("link", name=campaign.number).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(campaign.description)
    expect(page.locator("#campaign-details")).to_contain_text(campaign.status)
    expect(page.locator('#campaign-statistics [data-statistic="count"]')).to_have_text(str(counted))

    page.locator("#campaign-log").click()
    expect(page).to_have_url(re.compile(rf"/interactions/log/\?campaign={campaign.pk}$"))
    expect(page.locator("#interaction-log tbody tr[data-entry]").first).to_be_visible()
