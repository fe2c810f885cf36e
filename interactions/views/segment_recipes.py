"""Segment recipes on the segment page: save the segment's criteria (every step), reuse
saved criteria (replay every step, then show what each did), reuse a logged segment's
contacts; and "Reuse segment" from the logged segments page, into a new segment. Reusing
on a segment that already has steps asks first, as the original does."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from ..forms.segment_recipes import ReuseCriteriaForm, ReuseSegmentForm, SaveRecipeForm
from ..models import LoggedSegment, Segment, SegmentCriteriaStep
from ..permissions import ADD_SEGMENT, CHANGE_SEGMENT, SAVE_CRITERIA
from ..services import segment_recipes as services
from ..services import segments as segment_services


def _segment(number: str) -> Segment:
    return get_object_or_404(Segment, number=number)


def _form_errors(request, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def _refused_as_logged(request, segment: Segment) -> bool:
    """Reusing on a logged segment's segment (read-only) is refused before any question,
    by the service's own rule."""
    try:
        segment_services.refuse_if_logged(segment)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return True
    return False


def _step_count(segment: Segment) -> int:
    return SegmentCriteriaStep.objects.filter(segment=segment).count()


def _confirm(request, segment: Segment, form, *, what: str, step_count: int):
    return render(
        request,
        "interactions/segments/reuse_confirm.html",
        {"segment": segment, "form": form, "what": what, "step_count": step_count},
    )


@require_POST
@permission_required(SAVE_CRITERIA, raise_exception=True)
def save_recipe(request, number: str):
    segment = _segment(number)
    form = SaveRecipeForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("interactions:segment-detail", number=segment.number)
    try:
        saved = services.save_recipe(segment=segment, user=request.user, **form.cleaned_data)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        count = saved.steps.count()
        messages.success(
            request,
            ngettext(
                "The criteria of segment %(number)s have been saved as %(code)s (%(count)d step).",
                "The criteria of segment %(number)s have been saved as %(code)s (%(count)d steps).",
                count,
            )
            % {"number": segment.number, "code": saved.code, "count": count},
        )
    return redirect("interactions:segment-detail", number=segment.number)


@require_POST
@permission_required(CHANGE_SEGMENT, raise_exception=True)
def reuse_criteria(request, number: str):
    segment = _segment(number)
    form = ReuseCriteriaForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("interactions:segment-detail", number=segment.number)
    saved = form.cleaned_data["saved"]
    if _refused_as_logged(request, segment):
        return redirect("interactions:segment-detail", number=segment.number)
    step_count = _step_count(segment)
    if step_count and not form.cleaned_data["confirmed"]:
        return _confirm(request, segment, form, what=_("the saved criteria %(code)s") % {"code": saved.code},
                        step_count=step_count)  # fmt: skip
    try:
        results = services.replay_recipe(segment=segment, saved=saved, user=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("interactions:segment-detail", number=segment.number)
    return render(
        request,
        "interactions/segments/replay_result.html",
        {
            "segment": segment,
            "saved": saved,
            "results": results,
            "added": sum(result.added for result in results),
            "removed": sum(result.removed for result in results),
        },
    )


@require_POST
@permission_required(CHANGE_SEGMENT, raise_exception=True)
def reuse_segment(request, number: str):
    segment = _segment(number)
    form = ReuseSegmentForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("interactions:segment-detail", number=segment.number)
    logged_segment = form.cleaned_data["logged_segment"]
    if _refused_as_logged(request, segment):
        return redirect("interactions:segment-detail", number=segment.number)
    step_count = _step_count(segment)
    if step_count and not form.cleaned_data["confirmed"]:
        return _confirm(request, segment, form, what=_("logged segment %(number)s") % {"number": logged_segment.pk},
                        step_count=step_count)  # fmt: skip
    try:
        result = services.reuse_logged_segment(segment=segment, logged_segment=logged_segment, user=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _added_message(result.added, logged_segment))
    return redirect("interactions:segment-detail", number=segment.number)


def _added_message(added: int, logged_segment: LoggedSegment) -> str:
    return ngettext(
        "%(count)d contact of logged segment %(number)s has been added.",
        "%(count)d contacts of logged segment %(number)s have been added.",
        added,
    ) % {"count": added, "number": logged_segment.pk}


@require_POST
@permission_required(ADD_SEGMENT, raise_exception=True)
def logged_segment_reuse(request, pk: int):
    """A new segment with the contacts of logged segment `pk`."""
    logged_segment = get_object_or_404(LoggedSegment, pk=pk)
    segment, result = services.new_segment_from_logged(logged_segment=logged_segment, user=request.user)
    messages.success(request, _("Segment %(number)s has been created.") % {"number": segment.number})
    messages.info(request, _added_message(result.added, logged_segment))
    return redirect("interactions:segment-detail", number=segment.number)
