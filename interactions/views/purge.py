"""/interactions/purge/: delete canceled interaction log entries (sales managers).

The filter form, the count that would be deleted, a confirmation, then the purge task is
queued and the page follows its progress. Without a broker the task runs in-process and
the result is shown at once.
"""

import uuid

from celery.result import EagerResult
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .. import conf
from ..forms.purge import PurgeFilterForm
from ..permissions import PURGE
from ..services.purge.runs import PurgeQueueUnavailable, purge_progress, queue_purge
from ..services.purge.service import deleted_message, purge_canceled_interactions


@permission_required(PURGE, raise_exception=True)
@require_http_methods(["GET", "POST"])
def purge(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _start(request)
    form = PurgeFilterForm(request.GET or None)
    count = None
    if form.is_bound and form.is_valid():
        count = purge_canceled_interactions(filters=form.purge_filter(), dry_run=True, user=request.user)
        if request.GET.get("action") == "confirm" and count:
            query = request.GET.copy()
            query.pop("action", None)
            return render(
                request,
                "interactions/purge/confirm.html",
                {
                    "form": form,
                    "count": count,
                    "filter_query": query.urlencode(),
                    "archived": bool(conf.settings.PURGE_ARCHIVE_DIR),
                },
            )
    return render(request, "interactions/purge/form.html", {"form": form, "count": count})


def _start(request: HttpRequest) -> HttpResponse:
    form = PurgeFilterForm(request.POST)
    if not form.is_valid():
        return render(request, "interactions/purge/form.html", {"form": form}, status=400)
    try:
        result = queue_purge(filters=form.purge_filter(), user=request.user)
    except PurgeQueueUnavailable as error:
        return render(request, "interactions/purge/form.html", {"form": form, "queue_error": str(error)}, status=503)
    if isinstance(result, EagerResult):  # no broker: it ran in-process already
        outcome = result.get()
        messages.success(request, deleted_message(outcome["deleted"]))
        return redirect("interactions:purge")
    return redirect("interactions:purge-progress", task_id=result.id)


@permission_required(PURGE, raise_exception=True)
@require_http_methods(["GET"])
def progress(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    context = {"progress": purge_progress(str(task_id)), "task_id": task_id}
    # htmx polls for the fragment alone; it stops when the purge has finished.
    if request.headers.get("HX-Request"):
        return render(request, "interactions/purge/_progress.html", context)
    return render(request, "interactions/purge/progress.html", context)
