"""Segment pages: the list (and a new segment), a segment with its header, lines, criteria
steps and logging; editing the header (then, if lines carry the old defaults, the question
whether to update them), a line, the criteria of an add/reduce/refine step. The logged
segments page: every "log segment" run with its number of interactions; cancel or restore one
(with all its entries), delete the canceled ones (their entries stay, without the link)."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST
from django_tables2 import RequestConfig

from crm.paging import DeferredJoinTableData, SafePaginator

from ..forms.segments import (
    LineSelectionForm,
    LogSegmentForm,
    SegmentCreateForm,
    SegmentCriteriaForm,
    SegmentHeaderForm,
    SegmentLineForm,
    UpdateLinesForm,
)
from ..models import LoggedSegment, Segment, SegmentAction, SegmentLine
from ..permissions import (
    ADD_SEGMENT,
    ADD_SEGMENT_LINES,
    CANCEL_LOGGED_SEGMENT,
    CHANGE_SEGMENT,
    CHANGE_SEGMENT_LINES,
    DELETE_LOGGED_SEGMENTS,
    DELETE_SEGMENT,
    DELETE_SEGMENT_LINES,
    LOG_SEGMENT,
    RECORD,
    SAVE_CRITERIA,
    VIEW_LOGGED_SEGMENTS,
    VIEW_SEGMENTS,
)
from ..selectors import segments as selectors
from ..selectors.segment_recipes import describe_step, saved_recipes
from ..services import segments as services
from ..services.purge.service import delete_canceled_logged_segments
from ..services.segment_content import review_segment
from ..tables.segments import LoggedSegmentTable, SegmentLineTable, SegmentTable, log_url

PER_PAGE = 50


def _segment(number: str) -> Segment:
    return get_object_or_404(Segment.objects.select_related("salesperson", "template", "campaign"), number=number)


def _error_messages(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _refused_as_logged(request, segment: Segment) -> bool:
    """A logged segment's pages that change it answer with the refusal and the segment."""
    logged = services.logged_segment_of(segment)
    if logged is None:
        return False
    messages.error(
        request,
        _(
            "Segment %(number)s has been logged (logged segment %(logged)s) and can no longer be changed: "
            "reuse it or create a follow-up segment to send again."
        )
        % {"number": segment.number, "logged": logged.pk},
    )
    return True


@require_http_methods(["GET", "POST"])
@permission_required(VIEW_SEGMENTS, raise_exception=True)
def segment_list(request):
    if request.method == "POST":
        if not request.user.has_perm(ADD_SEGMENT):
            raise PermissionDenied
        form = SegmentCreateForm(request.POST)
        if form.is_valid():
            segment = services.create_segment(user=request.user, **form.cleaned_data)
            messages.success(request, _("Segment %(number)s has been created.") % {"number": segment.number})
            return redirect("interactions:segment-detail", number=segment.number)
    else:
        salesperson = getattr(request.user, "salesperson", None)
        form = SegmentCreateForm(initial={"salesperson": salesperson})
    table = SegmentTable(selectors.segments())
    RequestConfig(request, paginate={"paginator_class": SafePaginator, "per_page": PER_PAGE}).configure(table)
    return render(request, "interactions/segments/list.html", {"table": table, "form": form})


@permission_required(VIEW_SEGMENTS, raise_exception=True)
def segment_detail(request, number: str):
    segment = _segment(number)
    lines = SegmentLineTable(DeferredJoinTableData(selectors.segment_lines(segment)), segment=segment)
    if not request.user.has_perm(DELETE_SEGMENT_LINES):
        lines.exclude = ("selection",)
    if not request.user.has_perm(CHANGE_SEGMENT_LINES):
        lines.exclude = (*lines.exclude, "edit")
    if not request.user.has_perm(RECORD):
        lines.exclude = (*lines.exclude, "call", "record", "cover_sheet")
    read_only = services.logged_segment_of(segment)
    if read_only is not None:
        lines.exclude = (*lines.exclude, "selection", "edit")
    RequestConfig(request, paginate={"paginator_class": SafePaginator, "per_page": PER_PAGE}).configure(lines)
    logged = list(selectors.segment_logged_segments(segment))
    steps = list(
        segment.criteria_steps.select_related("created_by")
        .defer("added_contact_ids", "added_line_ids", "removed_lines")
        .order_by("step")
    )
    return render(
        request,
        "interactions/segments/detail.html",
        {
            "segment": segment,
            "lines": lines,
            "line_count": lines.paginator.count,
            "steps": [(step, _describe_step(step)) for step in steps],
            "last_step": _describe_step(steps[-1]) if steps else None,
            "logged_segments": logged,
            "is_logged": any(not logged_segment.canceled for logged_segment in logged),
            "read_only": read_only,
            "log_form": LogSegmentForm(),
            "segment_log_url": log_url(segment=segment.number),
            "saved_recipes": saved_recipes(),
        },
    )


def _describe_step(step) -> dict:
    return {
        "number": step.step,
        **describe_step(action=step.action, criteria=step.criteria, options=step.options),
        "added": step.added_count,
        "removed": step.removed_count,
        "created_by": step.created_by,
        "created_at": step.created_at,
    }


@require_http_methods(["GET", "POST"])
@permission_required(CHANGE_SEGMENT, raise_exception=True)
def segment_edit(request, number: str):
    segment = _segment(number)
    if _refused_as_logged(request, segment):
        return redirect("interactions:segment-detail", number=segment.number)
    form = SegmentHeaderForm(request.POST or None, instance=_segment(number))
    if request.method == "POST" and form.is_valid():
        try:
            changes = services.update_segment_header(segment=segment, changes=form.changes(), user=request.user)
        except ValidationError as error:
            _error_messages(request, error)
        else:
            messages.success(request, _("Segment %(number)s has been saved.") % {"number": segment.number})
            if changes:
                # The question is this response, not a redirect: the changes travel in its form.
                return render(
                    request,
                    "interactions/segments/update_lines.html",
                    {"segment": segment, "changes": changes, "form": UpdateLinesForm.for_changes(changes)},
                )
            return redirect("interactions:segment-detail", number=segment.number)
    return render(request, "interactions/segments/header_form.html", {"segment": segment, "form": form})


@require_POST
@permission_required(CHANGE_SEGMENT_LINES, raise_exception=True)
def segment_update_lines(request, number: str):
    segment = _segment(number)
    form = UpdateLinesForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("interactions:segment-detail", number=segment.number)
    chosen = set(form.cleaned_data["update"])
    updated = 0
    try:
        for field, old_value in form.cleaned_data["changes"]:
            if field in chosen:
                updated += services.update_lines_from_header(
                    segment=segment, field=field, old_value=old_value, user=request.user
                )
    except ValidationError as error:
        _error_messages(request, error)
        return redirect("interactions:segment-detail", number=segment.number)
    if updated:
        messages.success(
            request,
            ngettext("%(count)d line has been updated.", "%(count)d lines have been updated.", updated)
            % {"count": updated},
        )
    else:
        messages.info(request, _("The lines have been left as they were."))
    return redirect("interactions:segment-detail", number=segment.number)


@require_http_methods(["GET", "POST"])
@permission_required(DELETE_SEGMENT, raise_exception=True)
def segment_delete(request, number: str):
    segment = _segment(number)
    if request.method == "POST":
        services.delete_segment(segment=segment, user=request.user)
        messages.success(request, _("Segment %(number)s has been deleted.") % {"number": number})
        return redirect("interactions:segments")
    return render(
        request,
        "interactions/segments/delete_confirm.html",
        {"segment": segment, "line_count": SegmentLine.objects.filter(segment=segment).count()},
    )


@require_http_methods(["GET", "POST"])
@permission_required(CHANGE_SEGMENT_LINES, raise_exception=True)
def segment_line_edit(request, number: str, pk: int):
    segment = _segment(number)
    line = get_object_or_404(SegmentLine.objects.select_related("contact", "contact_company"), segment=segment, pk=pk)
    if _refused_as_logged(request, segment):
        return redirect("interactions:segment-detail", number=segment.number)
    form = SegmentLineForm(request.POST or None, instance=line)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_line(line=form.instance, user=request.user, typed_fields=form.changed_data)
        except ValidationError as error:
            _error_messages(request, error)
            return redirect("interactions:segment-detail", number=segment.number)
        messages.success(request, _("The line of %(contact)s has been saved.") % {"contact": line.contact.name})
        return redirect("interactions:segment-detail", number=segment.number)
    return render(request, "interactions/segments/line_form.html", {"segment": segment, "line": line, "form": form})


@require_POST
@permission_required(DELETE_SEGMENT_LINES, raise_exception=True)
def segment_lines_remove(request, number: str):
    segment = _segment(number)
    form = LineSelectionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        try:
            removed = services.remove_lines(segment=segment, line_ids=form.cleaned_data["line"], user=request.user)
        except ValidationError as error:
            _error_messages(request, error)
            return redirect("interactions:segment-detail", number=segment.number)
        messages.success(
            request,
            ngettext("%(count)d line has been removed.", "%(count)d lines have been removed.", removed)
            % {"count": removed},
        )
    return redirect("interactions:segment-detail", number=segment.number)


STEP_MESSAGES = {
    SegmentAction.ADD: lambda result: (
        ngettext("%(count)d contact has been added.", "%(count)d contacts have been added.", result.added)
        % {"count": result.added}
    ),
    SegmentAction.REDUCE: lambda result: (
        ngettext("%(count)d contact has been removed.", "%(count)d contacts have been removed.", result.removed)
        % {"count": result.removed}
    ),
    SegmentAction.REFINE: lambda result: (
        ngettext(
            "%(count)d contact did not match and has been removed.",
            "%(count)d contacts did not match and have been removed.",
            result.removed,
        )
        % {"count": result.removed}
    ),
}


@require_http_methods(["GET", "POST"])
@permission_required(CHANGE_SEGMENT, raise_exception=True)
def segment_criteria(request, number: str):
    """Add, reduce or refine the contacts by criteria; save the criteria (saved criteria are
    replayed from the segment page, views/segment_recipes.py)."""
    segment = _segment(number)
    if _refused_as_logged(request, segment):
        return redirect("interactions:segment-detail", number=segment.number)
    if request.method == "POST":
        form = SegmentCriteriaForm(request.POST)
        if form.is_valid():
            action = form.cleaned_data["action"]
            if action == "save":
                return _save_criteria(request, segment, form)
            if action in (SegmentAction.REDUCE, SegmentAction.REFINE) and not request.user.has_perm(
                DELETE_SEGMENT_LINES
            ):
                raise PermissionDenied
            if action == SegmentAction.ADD and not request.user.has_perm(ADD_SEGMENT_LINES):
                raise PermissionDenied
            try:
                result = services.apply_criteria(
                    segment=segment, action=action, criteria=form.criteria(), options=form.options(), user=request.user
                )
            except ValidationError as error:
                _error_messages(request, error)
                return redirect("interactions:segment-detail", number=segment.number)
            messages.success(request, STEP_MESSAGES[action](result))
            return redirect("interactions:segment-detail", number=segment.number)
        messages.error(request, _("Nothing was changed: please correct the errors below."))
    else:
        form = SegmentCriteriaForm()
    return render(
        request,
        "interactions/segments/criteria.html",
        {
            "segment": segment,
            "form": form,
            "line_count": SegmentLine.objects.filter(segment=segment).count(),
        },
    )


def _save_criteria(request, segment: Segment, form: SegmentCriteriaForm):
    if not request.user.has_perm(SAVE_CRITERIA):
        raise PermissionDenied
    try:
        saved = services.save_criteria(
            code=form.cleaned_data["save_code"],
            description=form.cleaned_data["save_description"],
            action=form.cleaned_data["save_action"] or SegmentAction.ADD,
            criteria=form.criteria(),
            options=form.options(),
            user=request.user,
        )
    except ValidationError as error:
        for message in error.messages:
            form.add_error("save_code", message)
        messages.error(request, _("The criteria were not saved: please correct the errors below."))
        return render(
            request,
            "interactions/segments/criteria.html",
            {
                "segment": segment,
                "form": form,
                "line_count": SegmentLine.objects.filter(segment=segment).count(),
            },
        )
    messages.success(request, _("The criteria have been saved as %(code)s.") % {"code": saved.code})
    return redirect("interactions:segment-criteria", number=segment.number)


@require_POST
@permission_required(CHANGE_SEGMENT, raise_exception=True)
def segment_go_back(request, number: str):
    segment = _segment(number)
    try:
        step = services.go_back(segment=segment, user=request.user)
    except ValidationError as error:
        _error_messages(request, error)
    else:
        messages.success(
            request,
            _("Step %(step)d (%(action)s) has been undone.") % {"step": step.step, "action": step.get_action_display()},
        )
    return redirect("interactions:segment-detail", number=segment.number)


@require_http_methods(["GET", "POST"])
@permission_required(LOG_SEGMENT, raise_exception=True)
def segment_log(request, number: str):
    """GET: the log dialog, with what each line lacks (placeholders, e-mail addresses) and
    the options; POST: log (and deliver)."""
    segment = _segment(number)
    if request.method == "GET":
        if _refused_as_logged(request, segment):
            return redirect("interactions:segment-detail", number=segment.number)
        return render(
            request,
            "interactions/segments/log_dialog.html",
            {
                "segment": segment,
                "review": review_segment(segment),
                "form": LogSegmentForm(initial={"create_follow_up": bool(request.GET.get("create_follow_up"))}),
            },
        )
    form = LogSegmentForm(request.POST)
    form.is_valid()  # optional check boxes: always valid
    deliver = form.cleaned_data.get("deliver", False)
    try:
        result = services.log_segment(
            segment=segment,
            user=request.user,
            create_follow_up=form.cleaned_data.get("create_follow_up", False),
            deliver=deliver,
            cover_sheets=form.cleaned_data.get("cover_sheets", False),
        )
    except ValidationError as error:
        _error_messages(request, error)
        return redirect("interactions:segment-detail", number=segment.number)
    messages.success(
        request,
        ngettext(
            "%(count)d interaction has been logged.", "%(count)d interactions have been logged.", result.entry_count
        )
        % {"count": result.entry_count},
    )
    if result.follow_up is not None:
        messages.info(
            request,
            _("The follow-up segment %(number)s has been created.") % {"number": result.follow_up.number},
        )
    if result.content is not None and result.content.problems:
        messages.warning(
            request,
            ngettext(
                "%(count)d e-mail line cannot be sent; the delivery page says why.",
                "%(count)d e-mail lines cannot be sent; the delivery page says why.",
                result.content.problems,
            )
            % {"count": result.content.problems},
        )
    if deliver:
        if result.delivery is not None and result.delivery.queued is False:
            messages.warning(
                request,
                _("The task queue cannot be reached: the e-mails stay queued and go out when it is back."),
            )
        return redirect("interactions:logged-segment-delivery", pk=result.logged_segment.pk)
    return redirect(log_url(logged_segment=result.logged_segment.pk))


@permission_required(VIEW_LOGGED_SEGMENTS, raise_exception=True)
def logged_segment_list(request):
    table = LoggedSegmentTable(selectors.logged_segments())
    if not request.user.has_perm(CANCEL_LOGGED_SEGMENT) and not request.user.has_perm(ADD_SEGMENT):
        table.exclude = ("actions",)
    RequestConfig(request, paginate={"paginator_class": SafePaginator, "per_page": PER_PAGE}).configure(table)
    return render(
        request,
        "interactions/segments/logged_list.html",
        {"table": table, "canceled_count": LoggedSegment.objects.filter(canceled=True).count()},
    )


@require_POST
@permission_required(CANCEL_LOGGED_SEGMENT, raise_exception=True)
def logged_segment_cancel(request, pk: int):
    """Cancel (canceled=1) or restore (canceled=0) a logged segment, after confirmation."""
    logged_segment = get_object_or_404(selectors.logged_segments(), pk=pk)
    canceled = request.POST.get("canceled") == "1"
    if not request.POST.get("confirmed"):
        return render(
            request,
            "interactions/segments/logged_confirm.html",
            {"logged_segment": logged_segment, "canceled": canceled},
        )
    switched = services.set_logged_segment_canceled(logged_segment=logged_segment, canceled=canceled, user=request.user)
    if canceled:
        message = ngettext(
            "Logged segment %(number)s has been canceled with its %(count)d interaction.",
            "Logged segment %(number)s has been canceled with its %(count)d interactions.",
            switched,
        )
    else:
        message = ngettext(
            "Logged segment %(number)s has been restored with its %(count)d interaction.",
            "Logged segment %(number)s has been restored with its %(count)d interactions.",
            switched,
        )
    messages.success(request, message % {"number": logged_segment.pk, "count": switched})
    return redirect("interactions:logged-segments")


@require_POST
@permission_required(DELETE_LOGGED_SEGMENTS, raise_exception=True)
def logged_segments_delete_canceled(request):
    canceled = LoggedSegment.objects.filter(canceled=True)
    if not request.POST.get("confirmed"):
        return render(
            request,
            "interactions/segments/logged_delete_confirm.html",
            {"logged_segments": list(selectors.logged_segments().filter(canceled=True).order_by("pk")[:100]),
             "count": canceled.count()},
        )  # fmt: skip
    deleted = delete_canceled_logged_segments(user=request.user)
    messages.success(
        request,
        ngettext(
            "%(count)d canceled logged segment has been deleted; its interactions stay in the log.",
            "%(count)d canceled logged segments have been deleted; their interactions stay in the log.",
            deleted,
        )
        % {"count": deleted},
    )
    return redirect("interactions:logged-segments")
