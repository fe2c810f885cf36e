"""Printing a contact's cover sheet, from the contact's card or a segment line:
/interactions/cover-sheets/new/?contact=<no.>[&segment=<segment no.>]. "Preview" shows the
PDF and records nothing; "Print" makes it, logs it (services.cover_sheets) and shows what
happened with a link to the PDF."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ..forms.cover_sheets import CoverSheetForm
from ..models import InteractionLogEntry, SegmentLine
from ..permissions import RECORD, require_may_see_entry
from ..services import cover_sheets
from ..services.communication.automatic_entries import not_recorded_message
from ..services.recording import default_salesperson
from .communication import _contact_from_query, _contact_url, _int

FORM_FIELDS = ("language", "text", "remarks", "custom_remark", "page_count")


def _segment_line(request, contact) -> SegmentLine | None:
    number = request.GET.get("segment", "")
    if not number or "\x00" in number:
        return None
    return (
        SegmentLine.objects.select_related("segment", "salesperson")
        .filter(segment__number=number, contact=contact)
        .first()
    )


def _pdf_response(pdf: bytes, name: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, name)
    return response


def _print_values(data: dict) -> dict:
    return {
        "language": data["language"],
        "text": data["text"],
        "remarks": data["remarks"],
        "custom_remark": data["custom_remark"],
        "page_count": data["page_count"],
    }


def _add_service_errors(form: CoverSheetForm, refused: ValidationError) -> None:
    for field, errors in getattr(refused, "error_dict", {None: refused.error_list}).items():
        form.add_error(field if field in form.fields else None, errors)


@require_http_methods(["GET", "POST"])
@permission_required(RECORD, raise_exception=True)
def cover_sheet_new(request):
    contact = _contact_from_query(request)
    line = _segment_line(request, contact)
    notice = cover_sheets.logging_notice()
    can_log = not notice
    initial = {"language": cover_sheets.default_language(contact), "log_interaction": can_log}
    form = CoverSheetForm(request.POST if request.method == "POST" else None, initial=initial, can_log=can_log)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            salesperson = line.salesperson if line is not None and line.salesperson_id else None
            try:
                if request.POST.get("action") == CoverSheetForm.PREVIEW:
                    # A preview only shows the sheet: nothing is recorded.
                    pdf = cover_sheets.render_cover_sheet(
                        contact=contact,
                        salesperson=salesperson or default_salesperson(user=request.user, contact=contact),
                        **_print_values(data),
                    )
                    return _pdf_response(pdf, cover_sheets.file_name(contact))
                printed = cover_sheets.print_cover_sheet(
                    contact=contact,
                    user=request.user,
                    # Without a template the service says so (not "cleared").
                    log_interaction=data["log_interaction"] or not can_log,
                    segment_number=line.segment.number if line is not None else "",
                    salesperson=salesperson,
                    **_print_values(data),
                )
            except ValidationError as refused:
                _add_service_errors(form, refused)
            else:
                return _after_printing(request, printed, contact=contact, line=line, data=data)
        messages.error(request, _("The cover sheet was not printed: please correct the errors below."))
    return render(
        request,
        "interactions/cover_sheets/form.html",
        {
            "form": form,
            "contact": contact,
            "segment_line": line,
            "no_template_notice": notice,
            "cancel_url": reverse("interactions:segment-detail", args=[line.segment.number])
            if line is not None
            else _contact_url(contact),
        },
    )


def _after_printing(request, printed: cover_sheets.CoverSheetPrint, *, contact, line, data):
    messages.success(request, _("The cover sheet for %(contact)s has been printed.") % {"contact": contact.name})
    if printed.entry is not None:
        messages.success(
            request, _("Interaction log entry %(number)s records it.") % {"number": printed.entry.entry_no}
        )
        return redirect(f"{reverse('interactions:cover-sheet-printed')}?entry={printed.entry.entry_no}")
    messages.warning(request, not_recorded_message(printed.not_logged_reason))
    query = [("contact", contact.number)]
    if line is not None:
        query.append(("segment", line.segment.number))
    query += [(name, value) for name in FORM_FIELDS for value in _query_values(data[name])]
    return redirect(f"{reverse('interactions:cover-sheet-printed')}?{urlencode(query)}")


def _query_values(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


@require_GET
@permission_required(RECORD, raise_exception=True)
def cover_sheet_printed(request):
    """After printing: what happened (the messages) and the PDF: the one the entry keeps,
    or, when nothing was logged, the same sheet made again from the query."""
    entry = None
    if request.GET.get("entry"):
        entry = get_object_or_404(
            InteractionLogEntry.objects.select_related("contact", "attachment"), entry_no=_int(request.GET["entry"])
        )
        require_may_see_entry(user=request.user, entry=entry)
        if entry.attachment_id is None:
            raise Http404
        contact, pdf_url = entry.contact, reverse("interactions:attachment-download", args=[entry.attachment_id])
    else:
        contact = _contact_from_query(request)
        pdf_url = f"{reverse('interactions:cover-sheet-pdf')}?{request.GET.urlencode()}"
    return render(
        request,
        "interactions/cover_sheets/printed.html",
        {"contact": contact, "entry": entry, "pdf_url": pdf_url, "back_url": _contact_url(contact)},
    )


@require_GET
@permission_required(RECORD, raise_exception=True)
def cover_sheet_pdf(request):
    """The cover sheet made from the query, recorded nowhere (what "Print" made when it
    could not be logged)."""
    contact = _contact_from_query(request)
    line = _segment_line(request, contact)
    form = CoverSheetForm(request.GET, can_log=False)
    if not form.is_valid():
        raise Http404(_("These are not the values of a cover sheet."))
    salesperson = line.salesperson if line is not None and line.salesperson_id else None
    try:
        pdf = cover_sheets.render_cover_sheet(
            contact=contact,
            salesperson=salesperson or default_salesperson(user=request.user, contact=contact),
            **_print_values(form.cleaned_data),
        )
    except ValidationError:
        raise Http404(_("These are not the values of a cover sheet.")) from None
    return _pdf_response(pdf, cover_sheets.file_name(contact))
