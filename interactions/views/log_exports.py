"""/interactions/log/exports/: the log's Excel exports. The log page's "Export Excel" posts
its filter here; the export is built by a Celery task while its page shows the progress
(htmx polls the fragment every second until it has finished) and then the download link.
An export is its owner's alone: anyone else gets 404, as for one that has expired."""

import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ..filters import InteractionLogFilter
from ..models import LogExportState
from ..permissions import EXPORT, VIEW_LOG
from ..selectors import log as selectors_log
from ..services import log_exports as export_services


def _log_url(query: str) -> str:
    return f"{reverse('interactions:log')}?{query}" if query else reverse("interactions:log")


@permission_required([VIEW_LOG, EXPORT], raise_exception=True)
@require_http_methods(["GET", "POST"])
def log_exports(request: HttpRequest) -> HttpResponse:
    """GET: the user's exports of the last day. POST: export the log filtered by the query
    string (the log page's filter)."""
    if request.method == "GET":
        return render(
            request, "interactions/log_exports/list.html", {"exports": export_services.user_exports(user=request.user)}
        )
    filterset = InteractionLogFilter(request.GET or None, queryset=selectors_log.log_entries())
    back = _log_url(request.GET.urlencode())
    if filterset.is_bound and not filterset.is_valid():
        messages.error(request, _("Correct the filter before exporting."))
        return redirect(back)
    try:
        export = export_services.request_log_export(
            user=request.user, filters=filterset.active_filters, language=get_language() or ""
        )
    except export_services.ExportQueueUnavailable as error:
        messages.error(request, str(error))
        return redirect(back)
    return redirect("interactions:log-export", export_id=export.pk)


def _own_export(request: HttpRequest, export_id: uuid.UUID):
    export = export_services.user_export(user=request.user, export_id=export_id)
    if export is None:
        raise Http404(_("There is no such export, or it has expired."))
    return export


@permission_required([VIEW_LOG, EXPORT], raise_exception=True)
@require_GET
def log_export(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    export = _own_export(request, export_id)
    context = {"export": export, "log_url": _log_url(urlencode(export.filters))}
    if request.headers.get("HX-Request"):
        return render(request, "interactions/log_exports/_progress.html", context)
    return render(request, "interactions/log_exports/detail.html", context)


@permission_required([VIEW_LOG, EXPORT], raise_exception=True)
@require_GET
def log_export_download(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    export = _own_export(request, export_id)
    if export.state != LogExportState.DONE or not export.file:
        raise Http404(_("The export is not ready."))
    try:
        content = default_storage.open(export.file, "rb")
    except FileNotFoundError:
        raise Http404(_("The export's file is gone.")) from None
    return FileResponse(
        content,
        as_attachment=True,
        filename=export_services.export_file_name(export),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
