"""Panels of the interactions module for the campaign card (crm/contacts): its statistics,
its segments and logged segments, and the link to its interaction log."""

from django import template
from django.urls import reverse

from ..selectors import campaigns as selectors

register = template.Library()

# The panel lists at most this many segments and logged segments, newest first.
PANEL_ROWS = 20


def _log_url(campaign) -> str:
    return f"{reverse('interactions:log')}?campaign={campaign.pk}"


@register.inclusion_tag("interactions/campaign_actions.html", takes_context=True)
def campaign_interaction_actions(context, campaign):
    return {"perms": context.get("perms"), "campaign": campaign, "log_url": _log_url(campaign)}


@register.inclusion_tag("interactions/campaign_panels.html", takes_context=True)
def campaign_interactions(context, campaign):
    return {
        "perms": context.get("perms"),
        "campaign": campaign,
        "statistics": selectors.campaign_statistics(campaign),
        "segments": list(selectors.campaign_segments(campaign)[:PANEL_ROWS]),
        "logged_segments": list(selectors.campaign_logged_segments(campaign)[:PANEL_ROWS]),
        "log_url": _log_url(campaign),
        "rows": PANEL_ROWS,
    }
