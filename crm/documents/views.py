"""Pages of the documents app: the list, the document and its archived versions, the print
dialog and the printed output, and "show document" for a log entry."""

import datetime
import logging
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from crm.paging import SafeLazyPaginator

from . import rendering, selectors, services
from .filters import DocumentFilter
from .forms import PrintForm, PrintoutForm
from .models import Document, DocumentVersion
from .permissions import ARCHIVE_PERMISSION, PRINT_PERMISSION, VIEW_PERMISSION
from .printing import PrintResult, logging_availability
from .tables import DocumentTable
from .types import DocumentArea, DocumentType, kind_of_document_type

logger = logging.getLogger(__name__)


@permission_required(VIEW_PERMISSION, raise_exception=True)
def document_list(request):
    filterset = DocumentFilter(request.GET or None, queryset=selectors.documents_for_list())
    # An invalid filter shows its errors and no rows, never everything.
    documents = filterset.qs if not filterset.is_bound or filterset.is_valid() else Document.objects.none()
    table = DocumentTable(documents)
    RequestConfig(request, paginate={"per_page": 50, "paginator_class": SafeLazyPaginator}).configure(table)
    return render(request, "documents/document_list.html", {"filter": filterset, "table": table})


@permission_required(VIEW_PERMISSION, raise_exception=True)
def document_detail(request, pk: int):
    document = get_object_or_404(selectors.documents_for_printing(), pk=pk)
    return render(
        request,
        "documents/document_detail.html",
        {
            "document": document,
            "partner": document.partner,
            "lines": document.lines.all(),
            "versions": selectors.versions_of(document),
        },
    )


@require_POST
@permission_required(ARCHIVE_PERMISSION, raise_exception=True)
def archive_document(request, pk: int):
    document = get_object_or_404(selectors.documents_for_printing(), pk=pk)
    version = services.archive_document(document=document, user=request.user)
    messages.success(
        request,
        _("Version %(version)s of %(document)s has been archived.")
        % {"version": version.version_no, "document": document},
    )
    return redirect(document)


@permission_required("documents.view_documentversion", raise_exception=True)
def version_detail(request, pk: int):
    version = get_object_or_404(DocumentVersion.objects.select_related("archived_by", "document"), pk=pk)
    return render(
        request, "documents/version_detail.html", {"version": version, "snapshot": _shown_snapshot(version.snapshot)}
    )


def _shown_snapshot(snapshot: dict) -> dict:
    """A version's snapshot (JSON: dates and amounts as text) with the types the document
    page shows, so both share one template."""
    amounts = ("vat_percent", "amount", "vat_amount", "amount_including_vat")
    return {
        **snapshot,
        **{name: Decimal(snapshot[name]) for name in amounts},
        "date": datetime.date.fromisoformat(snapshot["date"]),
        "is_purchase": snapshot.get("area") == DocumentArea.PURCHASES,
        "lines": [
            {**line, **{name: Decimal(line[name]) for name in ("quantity", "unit_price", "amount")}}
            for line in snapshot["lines"]
        ],
    }


def _default_print_language(document: Document) -> str:
    """The language of the contact the document goes to, when documents can be printed in
    it; else the language of the page."""
    languages = services.print_languages()
    contact = document.contact or (document.partner.contact if document.partner else None)
    if contact is not None and contact.language in languages:
        return contact.language
    current = translation.get_language()
    return current if current in languages else settings.LANGUAGE_CODE


def _pdf_response(pdf: bytes, file_name: str, *, as_attachment: bool) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(as_attachment, file_name)
    return response


def _report(request, result: PrintResult) -> None:
    document = result.document
    messages.success(request, _("%(document)s has been printed.") % {"document": document})
    if result.version_archived:
        messages.info(request, _("It has been archived as version %(version)s.") % {"version": result.version_no})
    if result.logged:
        entry = (
            format_html('<a href="{}">{}</a>', result.logged_entry_url, result.logged_entry_no)
            if result.logged_entry_url
            else result.logged_entry_no
        )
        # Translators: keep {entry}: it becomes the entry number, linked to the entry.
        messages.success(request, format_html(_("Interaction log entry {entry} was recorded."), entry=entry))
    elif result.log_requested:
        messages.warning(request, _("No interaction was logged: %(reason)s") % {"reason": result.not_logged_reason})


@permission_required(PRINT_PERMISSION, raise_exception=True)
def print_dialog(request, pk: int):
    document = get_object_or_404(selectors.documents_for_printing(), pk=pk)
    availability = logging_availability(document=document, user=request.user)
    form = PrintForm(
        request.POST if request.method == "POST" else None,
        availability=availability,
        initial={"language": _default_print_language(document)},
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if form.preview:
            # A preview only shows the document: nothing is counted, archived or logged.
            if data["output"] == PrintForm.OUTPUT_PDF:
                pdf = rendering.render_pdf(document, language=data["language"])
                return _pdf_response(pdf, rendering.pdf_file_name(document), as_attachment=False)
            return HttpResponse(rendering.render_printout(document, language=data["language"]))
        try:
            result = services.print_document(
                document=document,
                user=request.user,
                log_interaction=data["log_interaction"],
                preview=False,
                language=data["language"],
            )
        except Exception:
            # Printing spans modules (whoever logs it runs inside the print's
            # transaction); whatever failed, everything was rolled back.
            logger.exception("Printing %s failed", document)
            messages.error(
                request,
                _(
                    "The document could not be printed, and nothing was recorded: the print counter, "
                    "archived versions and the interaction log are as they were. Try again, or tell "
                    "your administrator if this happens again."
                ),
            )
            status = 500
        else:
            _report(request, result)
            query = urlencode({"language": data["language"], "output": data["output"]})
            return redirect(f"{reverse('documents:printed', args=[document.pk])}?{query}")
    return render(
        request,
        "documents/print_dialog.html",
        {"document": document, "form": form, "availability": availability},
        status=status,
    )


def _printout_language(request) -> str | None:
    form = PrintoutForm(request.GET)
    if not form.is_valid():
        return None
    return form.cleaned_data["language"] or translation.get_language()


@permission_required(PRINT_PERMISSION, raise_exception=True)
def printed(request, pk: int):
    """After printing: what happened (the messages) and the output."""
    document = get_object_or_404(Document, pk=pk)
    language = _printout_language(request)
    if language is None:
        return HttpResponseBadRequest(_("Unknown language."))
    output = request.GET.get("output", PrintForm.OUTPUT_PDF)
    query = urlencode({"language": language})
    return render(
        request,
        "documents/printed.html",
        {
            "document": document,
            "output": output,
            "printout_url": f"{reverse('documents:printout', args=[pk])}?{query}",
            "pdf_url": f"{reverse('documents:pdf', args=[pk])}?{query}",
        },
    )


@permission_required(PRINT_PERMISSION, raise_exception=True)
def printout(request, pk: int):
    """The print-ready page of a document (prints nothing, counts nothing)."""
    document = get_object_or_404(selectors.documents_for_printing(), pk=pk)
    language = _printout_language(request)
    if language is None:
        return HttpResponseBadRequest(_("Unknown language."))
    return HttpResponse(rendering.render_printout(document, language=language))


@permission_required(PRINT_PERMISSION, raise_exception=True)
def printout_pdf(request, pk: int):
    """The PDF of a document, as a download (prints nothing, counts nothing)."""
    document = get_object_or_404(selectors.documents_for_printing(), pk=pk)
    language = _printout_language(request)
    if language is None:
        return HttpResponseBadRequest(_("Unknown language."))
    pdf = rendering.render_pdf(document, language=language)
    return _pdf_response(pdf, rendering.pdf_file_name(document), as_attachment=True)


class ShowDocumentForm(forms.Form):
    """What a log entry keeps of the document it came from."""

    type = forms.ChoiceField(choices=DocumentType.choices[1:])
    number = forms.CharField(max_length=20)
    occurrence = forms.IntegerField(min_value=0)
    version = forms.IntegerField(min_value=0, required=False)


@permission_required(VIEW_PERMISSION, raise_exception=True)
def show_document(request):
    """ "Show document" of a log entry: the archived version the entry refers to, else the
    document; a page that says so when neither exists any more."""
    form = ShowDocumentForm(request.GET)
    if not form.is_valid():
        return render(
            request,
            "documents/document_gone.html",
            {"message": gettext_lazy("The link does not name a document.")},
            status=400,
        )
    data = form.cleaned_data
    document_type, number, version_no = data["type"], data["number"], data["version"] or 0
    document, version = selectors.find_printed_document(
        document_type=document_type, number=number, occurrence=data["occurrence"], version_no=version_no
    )
    if version is not None:
        return redirect(version)
    if document is not None:
        if version_no:
            messages.info(
                request,
                _("Version %(version)s of this document is no longer archived; this is the document as it is now.")
                % {"version": version_no},
            )
        return redirect(document)
    kind = kind_of_document_type(document_type)
    if kind is None:
        message = _("%(type)s %(number)s is not kept as a document.") % {
            "type": DocumentType(document_type).label,
            "number": number,
        }
    else:
        message = _("%(kind)s %(number)s no longer exists.") % {
            "kind": Document(kind=kind).get_kind_display(),
            "number": number,
        }
    return render(request, "documents/document_gone.html", {"message": message}, status=404)
