"""The logged segments page: every "log segment" run with its number of interactions;
cancel or restore one (with all its entries), delete the canceled ones (their entries
stay, without the link)."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from crm.paging import SafePaginator

from ..models import LoggedSegment
from ..permissions import CANCEL_LOGGED_SEGMENT, DELETE_LOGGED_SEGMENTS, VIEW_LOGGED_SEGMENTS
from ..selectors import segments as selectors
from ..services import segments as services
from ..services.purge.service import delete_canceled_logged_segments
from ..tables.segments import LoggedSegmentTable

PER_PAGE = 50


@permission_required(VIEW_LOGGED_SEGMENTS, raise_exception=True)
def logged_segment_list(request):
    table = LoggedSegmentTable(selectors.logged_segments())
    if not request.user.has_perm(CANCEL_LOGGED_SEGMENT):
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
