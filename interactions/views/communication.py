"""Sending an e-mail, making a phone call and inviting to a meeting from a contact's card
(and from an interaction, a segment line), and resending an e-mail from its log entry."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from crm.contacts.models import Contact
from crm.contacts.selectors import contact_by_number

from ..forms.communication import FILL_FROM_TEMPLATE, CallForm, EmailForm, MeetingForm
from ..models import InformationFlow, InteractionLogEntry, SegmentLine
from ..permissions import RECORD, may_act_on_entry, require_may_see_entry
from ..services.communication import calls as call_services
from ..services.communication import emails as email_services
from ..services.communication import meetings as meeting_services
from ..services.communication.automatic_entries import (
    EMAILS_EVENT,
    MEETING_INVITATIONS_EVENT,
    OUTGOING_CALLS_EVENT,
    no_template_reason,
    not_recorded_message,
    setup_template,
)
from ..services.recording import default_salesperson
from .recording import _first_url


def _contact_url(contact: Contact) -> str:
    return _first_url(("contacts:detail", [contact.number]), ("interactions:log", []))


def _contact_from_query(request) -> Contact:
    number = request.GET.get("contact", "").strip()
    if not number:
        raise Http404(_("Choose the contact first: this page is opened from a contact's card."))
    contact = contact_by_number(number)
    if contact is None:
        raise Http404(_("There is no such contact."))
    return contact


def _no_template_notice(event: str) -> str:
    """Shown on the form when the action will record nothing."""
    if setup_template(event) is not None:
        return ""
    return _("No interaction will be recorded: %(reason)s") % {"reason": no_template_reason(event)}


def _queue_unavailable_message(entries) -> str:
    numbers = ", ".join(str(entry.entry_no) for entry in entries)
    if not numbers:
        return _(
            "The task queue cannot be reached, so the e-mail was not sent and, as no interaction records it, "
            "it cannot be resent: please send it again later."
        )
    return ngettext(
        "The task queue cannot be reached: the e-mail waits in interaction %(numbers)s, shown as in progress, "
        "and is sent automatically when the queue is back.",
        "The task queue cannot be reached: the e-mails wait in interactions %(numbers)s, shown as in progress, "
        "and are sent automatically when the queue is back.",
        len(entries),
    ) % {"numbers": numbers}


# --- E-mail ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(RECORD, raise_exception=True)
def email_new(request):
    """/interactions/email/new/?contact=<number>, or ?entry=<entry no.> to answer an
    interaction (or send its attachment) by e-mail."""
    reply_to_entry = None
    if request.GET.get("entry"):
        reply_to_entry = get_object_or_404(
            InteractionLogEntry.objects.select_related("contact", "attachment"), entry_no=_int(request.GET["entry"])
        )
        require_may_see_entry(user=request.user, entry=reply_to_entry)
        contact = reply_to_entry.contact
    else:
        contact = _contact_from_query(request)

    if request.method == "GET":
        form = EmailForm(initial=_email_initial(contact, reply_to_entry), reply_to_entry=reply_to_entry)
        return _render_email(request, form, contact=contact, reply_to_entry=reply_to_entry)

    form = EmailForm(request.POST, request.FILES, reply_to_entry=reply_to_entry)
    if request.POST.get("action") == FILL_FROM_TEMPLATE:
        return _fill_from_template(request, form, contact=contact, reply_to_entry=reply_to_entry)
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = email_services.send_email(
                contact=contact,
                subject=data["subject"],
                body=data["body"],
                attachments=data["attachments"],
                user=request.user,
                template=data["template"],
                reply_to_entry=form.entry_to_attach(),
                address=data["address"],
            )
        except ValidationError as refused:
            form.add_service_error(refused)
        else:
            return _after_sending(request, result, contact=contact, address=data["address"])
    messages.error(request, _("The e-mail was not sent: please correct the errors below."))
    return _render_email(request, form, contact=contact, reply_to_entry=reply_to_entry)


def _int(value: str) -> int:
    """An entry number from the query string; anything else (or out of the column's
    range) is a page that does not exist."""
    try:
        number = int(value)
    except ValueError:
        raise Http404 from None
    if not 0 < number < 2**63:
        raise Http404
    return number


def _email_initial(contact: Contact, reply_to_entry: InteractionLogEntry | None) -> dict:
    initial = {"address": email_services.email_address_of(contact)}
    if reply_to_entry is not None:
        subject = reply_to_entry.subject or reply_to_entry.description
        # An answer to what the contact sent reads "Re: ..."; our own letter sent by e-mail
        # keeps its subject.
        if reply_to_entry.information_flow == InformationFlow.INBOUND and not subject.lower().startswith("re:"):
            subject = _("Re: %(subject)s") % {"subject": subject}
        initial["subject"] = subject
        initial["attach_entry_attachment"] = bool(reply_to_entry.attachment_id)
    return initial


def _fill_from_template(request, form: EmailForm, *, contact, reply_to_entry):
    """Show the form again with the chosen template's merge text as the e-mail's text."""
    values = {name: form[name].value() for name in form.fields if name != "attachments"}
    form.is_valid()  # for the chosen template, and to show other mistakes now rather than later
    template = form.cleaned_data.get("template")
    if template is None:
        messages.warning(request, _("Choose a template with a merge text first."))
    else:
        salesperson = default_salesperson(user=request.user, contact=contact)
        merged = email_services.merged_email_body(template=template, contact=contact, salesperson=salesperson)
        if merged:
            values["body"] = merged
            messages.info(
                request, _("The text of template %(template)s has been filled in.") % {"template": template.code}
            )
        else:
            messages.warning(
                request,
                _("Template %(template)s has no merge text in the contact's language or its default language.")
                % {"template": template.code},
            )
    # Files cannot be shown again in a file field: the user chooses them when sending.
    refreshed = EmailForm(initial=values, reply_to_entry=reply_to_entry)
    return _render_email(request, refreshed, contact=contact, reply_to_entry=reply_to_entry)


def _after_sending(request, result: email_services.SendResult, *, contact: Contact, address: str):
    if result.entry is None:
        messages.warning(request, not_recorded_message(result.not_recorded_reason))
        if result.queue_unavailable:
            messages.error(request, _queue_unavailable_message([]))
        else:
            messages.success(request, _("The e-mail to %(address)s is being sent.") % {"address": address})
        return redirect(_contact_url(contact))
    if result.queue_unavailable:
        messages.warning(request, _queue_unavailable_message([result.entry]))
    else:
        messages.success(
            request,
            _("The e-mail to %(address)s is being sent; interaction %(number)s records it and shows its delivery.")
            % {"address": address, "number": result.entry.entry_no},
        )
    return redirect(result.entry)


def _render_email(request, form: EmailForm, *, contact: Contact, reply_to_entry):
    return render(
        request,
        "interactions/communication/email_form.html",
        {
            "form": form,
            "contact": contact,
            "reply_to_entry": reply_to_entry,
            "no_template_notice": _no_template_notice(EMAILS_EVENT),
            "cancel_url": reply_to_entry.get_absolute_url() if reply_to_entry else _contact_url(contact),
        },
    )


@require_POST
@permission_required(RECORD, raise_exception=True)
def entry_resend(request, entry_no: int):
    """Deliver an interaction's e-mail again (its delivery failed)."""
    entry = get_object_or_404(InteractionLogEntry, entry_no=entry_no)
    if not may_act_on_entry(user=request.user, entry=entry):
        messages.error(request, _("Only the user who sent this e-mail and sales managers can resend it."))
        return redirect(entry)
    try:
        ticket = email_services.resend_email(entry=entry, user=request.user)
    except PermissionDenied as refused:
        messages.error(request, str(refused))
    except email_services.EmailDeliveryUnderWay:
        messages.info(
            request,
            _("The e-mail of interaction %(number)s is on its way; it can be resent only if its delivery fails.")
            % {"number": entry.entry_no},
        )
    except email_services.EmailNotResendable:
        messages.info(
            request,
            _("Interaction %(number)s has no e-mail waiting to be delivered: there is nothing to resend.")
            % {"number": entry.entry_no},
        )
    else:
        if ticket.queued is False:
            messages.warning(request, _queue_unavailable_message([entry]))
        else:
            messages.success(
                request, _("The e-mail of interaction %(number)s is being sent again.") % {"number": entry.entry_no}
            )
    return redirect(entry)


# --- Phone call ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(RECORD, raise_exception=True)
def call_new(request):
    """/interactions/calls/new/?contact=<number>[&segment=<segment no.>]: the numbers to
    dial (tel: links), then the call recorded."""
    contact = _contact_from_query(request)
    segment_line = None
    if request.GET.get("segment") and "\x00" not in request.GET["segment"]:
        segment_line = (
            SegmentLine.objects.select_related("segment")
            .filter(segment__number=request.GET["segment"], contact=contact)
            .first()
        )
    numbers = call_services.numbers_to_dial(
        contact, segment_line_number=segment_line.contact_via if segment_line is not None else ""
    )
    template = setup_template(OUTGOING_CALLS_EVENT)
    if request.method == "GET":
        form = CallForm(
            initial={
                "phone_number": numbers[0].number if numbers else "",
                "duration": template.unit_duration if template is not None else 0,
                "successful": True,
                "subject": segment_line.subject if segment_line is not None else "",
            }
        )
    else:
        form = CallForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                outcome = call_services.record_phone_call(
                    contact=contact,
                    phone_number=data["phone_number"],
                    duration=data["duration"],
                    successful=data["successful"],
                    description=data["description"],
                    evaluation=data["evaluation"],
                    subject=data["subject"],
                    segment_number=segment_line.segment.number if segment_line is not None else "",
                    user=request.user,
                )
            except ValidationError as refused:
                form.add_service_error(refused)
            else:
                if outcome.recorded:
                    entry = outcome.entries[0]
                    messages.success(
                        request,
                        _("The call to %(number)s has been recorded as interaction %(entry)s.")
                        % {"number": entry.contact_via, "entry": entry.entry_no},
                    )
                else:
                    messages.warning(request, not_recorded_message(outcome.not_recorded_reason))
                if segment_line is not None:
                    return redirect("interactions:segment-detail", segment_line.segment.number)
                return redirect(_contact_url(contact))
        messages.error(request, _("The call was not recorded: please correct the errors below."))
    return render(
        request,
        "interactions/communication/call_form.html",
        {
            "form": form,
            "contact": contact,
            "numbers": numbers,
            "segment_line": segment_line,
            "template": template,
            "no_template_notice": _no_template_notice(OUTGOING_CALLS_EVENT),
            "cancel_url": _contact_url(contact),
        },
    )


# --- Meeting ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(RECORD, raise_exception=True)
def meeting_new(request):
    """/interactions/meetings/new/?contact=<number>: invite persons of the contact's company."""
    contact = _contact_from_query(request)
    if request.method == "GET":
        initial = {"attendees": [contact.pk] if not contact.is_company else []}
        form = MeetingForm(initial=initial, contact=contact)
    else:
        form = MeetingForm(request.POST, contact=contact)
        if form.is_valid():
            data = form.cleaned_data
            meeting = meeting_services.Meeting(
                subject=data["subject"],
                start=data["start"],
                duration=data["duration"],
                place=data["place"],
                message=data["message"],
            )
            try:
                result = meeting_services.invite_to_meeting(
                    contact=contact, attendees=list(data["attendees"]), meeting=meeting, user=request.user
                )
            except ValidationError as refused:
                form.add_service_error(refused)
            else:
                count = len(result.tickets)
                if result.queue_unavailable:
                    messages.warning(request, _queue_unavailable_message(result.entries))
                else:
                    messages.success(
                        request,
                        ngettext(
                            "The invitation to %(count)d person is being sent.",
                            "The invitations to %(count)d persons are being sent.",
                            count,
                        )
                        % {"count": count},
                    )
                if not result.entries:
                    messages.warning(request, not_recorded_message(result.not_recorded_reason))
                return redirect(_contact_url(contact))
        messages.error(request, _("The invitation was not sent: please correct the errors below."))
    return render(
        request,
        "interactions/communication/meeting_form.html",
        {
            "form": form,
            "contact": contact,
            "no_template_notice": _no_template_notice(MEETING_INVITATIONS_EVENT),
            "cancel_url": _contact_url(contact),
        },
    )
