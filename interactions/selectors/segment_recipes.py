"""Reads for segment recipes: saved criteria with their steps, and a step in words."""

from typing import Any

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from ..models import SavedSegmentCriteria, SegmentAction
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
    """Saved criteria with their number of steps, in one query."""
    return SavedSegmentCriteria.objects.annotate(step_count=Count("steps")).order_by("code")
