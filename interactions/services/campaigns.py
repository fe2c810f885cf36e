"""Campaign flags on a segment's lines: mark the chosen lines as campaign targets or
responses (or clear the marks), in one UPDATE."""

from collections.abc import Iterable

from ..models import Segment, SegmentLine
from ..permissions import CHANGE_SEGMENT_LINES, require_permission
from .segments import refuse_if_logged


def set_line_campaign_flags(
    *,
    segment: Segment,
    line_ids: Iterable[int],
    campaign_target: bool | None = None,
    campaign_response: bool | None = None,
    user,
) -> int:
    """Set "campaign target" and/or "campaign response" (None: leave it) on the segment's
    lines `line_ids`; returns how many lines were updated. Refused on a logged segment's
    segment (read-only)."""
    require_permission(user, CHANGE_SEGMENT_LINES)
    refuse_if_logged(segment)
    changes = {}
    if campaign_target is not None:
        changes["campaign_target"] = campaign_target
    if campaign_response is not None:
        changes["campaign_response"] = campaign_response
    if not changes:
        return 0
    return SegmentLine.objects.filter(segment=segment, pk__in=list(line_ids)).update(**changes)
