"""Reads for segment recipes: saved criteria with their steps, and a step in words."""

from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.utils.translation import gettext as _

from ..models import LoggedSegment, SavedSegmentCriteria, SavedSegmentCriteriaStep, SegmentAction
from .segments import SegmentCriteria, SegmentOptions


def describe_step(*, action: str, criteria: dict[str, Any], options: dict[str, Any]) -> dict[str, str]:
    """A step (of a segment or of saved criteria) in words: its action, its criteria and
    its options."""
    if action == SegmentAction.REUSE_LOGGED:
        return {
            "action": str(SegmentAction(action).label),
            "criteria": _("contacts of logged segment %(number)s") % {"number": criteria.get("logged_segment")},
            "options": "",
        }
    label = SegmentAction(action).label if action in SegmentAction.values else action
    return {
        "action": str(label),
        "criteria": SegmentCriteria.from_dict(criteria).describe(),
        "options": SegmentOptions.from_dict(options).describe(),
    }


def saved_recipes() -> QuerySet[SavedSegmentCriteria]:
    """Saved criteria with their number of steps and their steps (two queries in all)."""
    return (
        SavedSegmentCriteria.objects.annotate(step_count=Count("steps"))
        .prefetch_related(Prefetch("steps", queryset=SavedSegmentCriteriaStep.objects.order_by("step")))
        .order_by("code")
    )


def reusable_logged_segments() -> QuerySet[LoggedSegment]:
    """Logged segments whose contacts can be reused, newest first."""
    return LoggedSegment.objects.order_by("-id")
