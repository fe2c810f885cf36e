"""Campaign flags on the selected lines of a segment (buttons of the segment page's line
selection). The campaign pages themselves are the host's (crm/contacts); the module fills
their panels (templatetags/interactions_campaign.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from ..forms.segments import LineSelectionForm
from ..models import Segment
from ..permissions import CHANGE_SEGMENT_LINES
from ..services.campaigns import set_line_campaign_flags

# The flag buttons: name=value -> the keyword arguments of the service.
FLAGS = {
    "target-on": {"campaign_target": True},
    "target-off": {"campaign_target": False},
    "response-on": {"campaign_response": True},
    "response-off": {"campaign_response": False},
}


@require_POST
@permission_required(CHANGE_SEGMENT_LINES, raise_exception=True)
def segment_lines_campaign_flags(request, number: str):
    segment = get_object_or_404(Segment, number=number)
    form = LineSelectionForm(request.POST)
    flags = FLAGS.get(request.POST.get("flags", ""))
    if flags is None or not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("interactions:segment-detail", number=segment.number)
    try:
        updated = set_line_campaign_flags(
            segment=segment, line_ids=form.cleaned_data["line"], user=request.user, **flags
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("interactions:segment-detail", number=segment.number)
    messages.success(
        request,
        ngettext(
            "The campaign flags of %(count)d line have been set.",
            "The campaign flags of %(count)d lines have been set.",
            updated,
        )
        % {"count": updated},
    )
    return redirect("interactions:segment-detail", number=segment.number)
