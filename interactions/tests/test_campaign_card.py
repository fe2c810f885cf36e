"""The interactions module's panels on the campaign card: statistics of the campaign's
entries (count, cost, duration, targets, responses), its segments and logged segments, and
its interaction log (the log page filtered by the campaign); in a fixed number of queries."""

from decimal import Decimal

import pytest
from django.urls import reverse

from interactions.models import SegmentLine
from interactions.selectors.segments import SegmentCriteria, SegmentOptions
from interactions.services import segments as services

from .factories import CampaignFactory, InteractionLogEntryFactory, PersonFactory, SegmentFactory

pytestmark = pytest.mark.django_db


def card(client, campaign) -> str:
    response = client.get(reverse("contacts:campaign-detail", args=[campaign.number]))
    assert response.status_code == 200
    return response.content.decode()


def statistic(html: str, name: str) -> str:
    start = html.index(f'data-statistic="{name}">') + len(f'data-statistic="{name}">')
    return html[start : html.index("</div>", start)]


def test_the_card_counts_the_campaigns_entries_but_not_canceled_or_postponed_ones(sales_client):
    campaign, other = CampaignFactory(), CampaignFactory()
    InteractionLogEntryFactory(campaign=campaign, cost=Decimal("2.50"), duration=10, campaign_target=True)
    InteractionLogEntryFactory(campaign=campaign, cost=Decimal("1.00"), duration=5, campaign_target=True,
                               campaign_response=True)  # fmt: skip
    InteractionLogEntryFactory(campaign=campaign, cost=Decimal("9.00"), canceled=True)
    InteractionLogEntryFactory(campaign=campaign, cost=Decimal("9.00"), postponed=True)
    InteractionLogEntryFactory(campaign=other, cost=Decimal("9.00"))
    html = card(sales_client, campaign)
    assert f'<a href="/interactions/log/?campaign={campaign.pk}">2</a>' in statistic(html, "count")
    assert statistic(html, "cost") == "3.50"
    assert statistic(html, "duration") == "15"
    assert statistic(html, "targets") == "2"
    assert statistic(html, "responses") == "1"


def test_the_card_lists_the_campaigns_segments_and_logged_segments(sales_client, sales_user):
    campaign = CampaignFactory()
    PersonFactory.create_batch(2, city="Oslo")
    mailing = SegmentFactory(description="Oslo mailing", campaign=campaign)
    services.add_contacts(segment=mailing, criteria=SegmentCriteria(city="Oslo"), options=SegmentOptions(),
                          user=sales_user)  # fmt: skip
    logged = services.log_segment(segment=mailing, user=sales_user).logged_segment
    SegmentFactory(description="Not this campaign")
    html = card(sales_client, campaign)
    assert "Oslo mailing" in html and "Not this campaign" not in html
    logged_table = html[html.index('id="campaign-logged-segments"') :]
    assert f"?logged_segment={logged.pk}" in logged_table
    assert ">2</td>" in logged_table  # its two interactions


def test_the_campaigns_interaction_log_is_the_log_filtered_by_the_campaign(sales_client):
    campaign = CampaignFactory()
    InteractionLogEntryFactory(campaign=campaign, description="About the fair")
    InteractionLogEntryFactory(description="Something else")
    html = card(sales_client, campaign)
    assert f'href="/interactions/log/?campaign={campaign.pk}" id="campaign-log"' in html
    log = sales_client.get(reverse("interactions:log"), {"campaign": campaign.pk}).content.decode()
    assert "About the fair" in log and "Something else" not in log


def test_the_card_runs_the_same_queries_however_many_entries_and_segments(
    sales_client, sales_user, django_assert_max_num_queries
):
    campaign = CampaignFactory()
    InteractionLogEntryFactory(campaign=campaign)
    SegmentFactory(campaign=campaign)
    with django_assert_max_num_queries(99) as few:
        card(sales_client, campaign)
    InteractionLogEntryFactory.create_batch(20, campaign=campaign)
    for _index in range(5):
        segment = SegmentFactory(campaign=campaign)
        SegmentLine.objects.create(segment=segment, contact=PersonFactory())
        services.log_segment(segment=segment, user=sales_user)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = card(sales_client, campaign)
    assert html.count("/interactions/segments/SM") >= 6


def test_campaign_flags_are_editable_on_a_segments_line(sales_client):
    campaign = CampaignFactory()
    segment = SegmentFactory(campaign=campaign)
    line = SegmentLine.objects.create(segment=segment, contact=PersonFactory(), campaign=campaign)
    url = reverse("interactions:segment-line-edit", args=[segment.number, line.pk])
    page = sales_client.get(url).content.decode()
    assert 'name="campaign_target"' in page and 'name="campaign_response"' in page


def test_selected_lines_are_marked_as_campaign_targets_and_responses_in_one_go(sales_client):
    segment = SegmentFactory(campaign=CampaignFactory())
    first, second, third = (SegmentLine.objects.create(segment=segment, contact=PersonFactory()) for _i in range(3))
    url = reverse("interactions:segment-lines-campaign-flags", args=[segment.number])
    response = sales_client.post(url, {"line": [first.pk, second.pk], "flags": "target-on"})
    assert response.status_code == 302
    sales_client.post(url, {"line": [second.pk], "flags": "response-on"})
    flags = dict(
        (pk, (target, response))
        for pk, target, response in SegmentLine.objects.values_list("pk", "campaign_target", "campaign_response")
    )
    assert flags == {first.pk: (True, False), second.pk: (True, True), third.pk: (False, False)}
    page = sales_client.get(reverse("interactions:segment-detail", args=[segment.number])).content.decode()
    assert 'value="target-on"' in page


def test_campaign_flags_of_a_logged_segments_lines_stay_as_logged(sales_client, sales_user):
    segment = SegmentFactory(campaign=CampaignFactory())
    line = SegmentLine.objects.create(segment=segment, contact=PersonFactory())
    services.log_segment(segment=segment, user=sales_user)
    response = sales_client.post(
        reverse("interactions:segment-lines-campaign-flags", args=[segment.number]),
        {"line": [line.pk], "flags": "target-on"},
        follow=True,
    )
    assert "can no longer be changed" in response.content.decode()
    line.refresh_from_db()
    assert line.campaign_target is False
