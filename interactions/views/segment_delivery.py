"""The delivery of a logged segment: the page with sent / queued / failed counts (its
counts refreshed by htmx while anything is queued), "Retry failed", the letters PDF to
download, and the unsubscribe page of bulk e-mail (no login: the link is signed; a POST
from the mail program is RFC 8058's one-click and carries no CSRF token)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from ..models import LoggedSegment
from ..permissions import LOG_SEGMENT, VIEW_ATTACHMENTS, VIEW_LOGGED_SEGMENTS
from ..selectors.segment_delivery import delivery_counts, undelivered_entries
from ..services import segment_delivery as services
from ..services.segment_letters import letters_attachment

PER_PAGE = 50


def _logged(pk: int) -> LoggedSegment:
    return get_object_or_404(LoggedSegment, pk=pk)


@permission_required(VIEW_LOGGED_SEGMENTS, raise_exception=True)
def delivery(request, pk: int):
    logged = _logged(pk)
    counts = delivery_counts(logged)
    if request.headers.get("HX-Request"):
        return render(request, "interactions/segments/_delivery_counts.html", {"logged": logged, "counts": counts})
    page = Paginator(undelivered_entries(logged), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "interactions/segments/delivery.html",
        {"logged": logged, "counts": counts, "page": page, "letters": letters_attachment(logged)},
    )


@require_POST
@permission_required(LOG_SEGMENT, raise_exception=True)
def retry_failed(request, pk: int):
    logged = _logged(pk)
    count, ticket = services.retry_failed(logged_segment=logged, user=request.user)
    if count:
        messages.success(
            request,
            ngettext("%(count)d e-mail has been queued again.", "%(count)d e-mails have been queued again.", count)
            % {"count": count},
        )
        if ticket.queued is False:
            messages.warning(
                request,
                _("The task queue cannot be reached: the e-mails stay queued and go out when it is back."),
            )
    else:
        messages.info(request, _("No e-mail failed at the mail server: there is nothing to retry."))
    return redirect("interactions:logged-segment-delivery", pk=logged.pk)


@permission_required([VIEW_LOGGED_SEGMENTS, VIEW_ATTACHMENTS], raise_exception=True)
def letters(request, pk: int):
    attachment = letters_attachment(_logged(pk))
    if attachment is None:
        raise Http404(_("This logged segment has no letters."))
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The letters PDF is missing from storage.")) from None
    return FileResponse(handle, as_attachment=True, filename=attachment.file_name, content_type="application/pdf")


@login_not_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET: a page that asks to confirm (mail scanners follow links: a GET changes nothing).
    POST: the one-click unsubscribe of RFC 8058 (from the mail program), or the page's button."""
    try:
        contact, _entry_no = services.read_unsubscribe_token(token)
    except services.BadUnsubscribeLink:
        return render(request, "interactions/segments/unsubscribe.html", {"bad_link": True}, status=404)
    if request.method == "POST":
        services.unsubscribe(token=token)
        return render(request, "interactions/segments/unsubscribe.html", {"contact": contact, "done": True})
    return render(
        request,
        "interactions/segments/unsubscribe.html",
        {"contact": contact, "already": services.is_unsubscribed(contact)},
    )
