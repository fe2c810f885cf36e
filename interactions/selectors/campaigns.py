"""Reads for the campaign card's panels: a campaign's segments, its logged segments and the
statistics of its interactions."""

import dataclasses
from decimal import Decimal

from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.db.models.functions import Coalesce

from crm.contacts.models import Campaign

from ..models import InteractionLogEntry, LoggedSegment, Segment
from . import segments as segment_selectors
from .statistics import SUMMARY_TOTALS, day_summaries


@dataclasses.dataclass(frozen=True)
class CampaignStatistics:
    count: int
    cost: Decimal
    duration: int
    targets: int  # entries flagged "campaign target"
    responses: int  # entries flagged "campaign response"


def campaign_statistics(campaign: Campaign) -> CampaignStatistics:
    """The campaign's counted entries (neither canceled nor postponed), in one query on the
    day summary's campaign index."""
    figures = (
        day_summaries()
        .filter(campaign=campaign)
        .aggregate(
            **SUMMARY_TOTALS,
            targets=Coalesce(Sum("campaign_targets"), 0),
            responses=Coalesce(Sum("campaign_responses"), 0),
        )
    )
    return CampaignStatistics(**figures)


def campaign_segments(campaign: Campaign) -> QuerySet[Segment]:
    """The segments whose header names the campaign, with their line counts (one query)."""
    return segment_selectors.segments().filter(campaign=campaign).order_by("-number")


def campaign_logged_segments(campaign: Campaign) -> QuerySet[LoggedSegment]:
    """The logged segments that logged entries for the campaign, with their entry counts."""
    of_campaign = InteractionLogEntry.objects.filter(logged_segment=OuterRef("pk"), campaign=campaign)
    return segment_selectors.logged_segments().filter(Exists(of_campaign)).order_by("-id")
