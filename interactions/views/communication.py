"""Sending an e-mail, making a phone call and inviting to a meeting from a contact's card
(and from an interaction, a segment line), and resending an e-mail from its log entry."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from crm.contacts.models import Contact
from crm.contacts.selectors import contact_by_number

from ..forms.communication import FILL_FROM_TEMPLATE, SAVE_DRAFT, CallForm, EmailForm, MeetingForm, ResendForm
from ..models import InformationFlow, InteractionLogEntry, SegmentLine
from ..permissions import RECORD, may_act_on_entry, require_may_act_on_entry, require_may_see_entry
from ..services.communication import calls as call_services
from ..services.communication import drafts as draft_services
from ..services.communication import emails as email_services
from ..services.communication import meetings as meeting_services
from ..services.communication import resend as resend_services
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

    action = request.POST.get("action")
    form = EmailForm(request.POST, request.FILES, reply_to_entry=reply_to_entry, saving_draft=action == SAVE_DRAFT)
    if action == FILL_FROM_TEMPLATE:
        return _fill_from_template(request, form, contact=contact, reply_to_entry=reply_to_entry)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if action == SAVE_DRAFT:
                files = list(data["attachments"])
                if form.entry_to_attach() is not None:
                    files.insert(0, _entry_file(reply_to_entry))
                draft = draft_services.save_draft(
                    contact=contact,
                    address=data["address"],
                    subject=data["subject"],
                    body=data["body"],
                    attachments=files,
                    user=request.user,
                )
                messages.success(
                    request,
                    _("The draft has been saved as interaction %(number)s; reopen it to finish and send it.")
                    % {"number": draft.entry_no},
                )
                return _redirect_next(request, default=reverse("interactions:email-draft", args=[draft.entry_no]))
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
    messages.error(request, _not_done_message(action))
    return _render_email(request, form, contact=contact, reply_to_entry=reply_to_entry)


def _not_done_message(action: str | None) -> str:
    if action == SAVE_DRAFT:
        return _("The draft was not saved: please correct the errors below.")
    return _("The e-mail was not sent: please correct the errors below.")


def _entry_file(entry: InteractionLogEntry) -> email_services.OutgoingFile:
    try:
        return email_services.OutgoingFile.from_attachment(entry.attachment)
    except FileNotFoundError:
        raise ValidationError(
            _("The attachment of interaction %(number)s is missing from storage; it cannot be sent.")
            % {"number": entry.entry_no}
        ) from None


def _redirect_next(request, *, default: str):
    """To the link the user clicked when the leave prompt saved the form, if it is one of
    this site's; else to `default`."""
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect(default)


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


def _fill_from_template(request, form: EmailForm, *, contact, reply_to_entry, draft=None):
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
    refreshed = EmailForm(initial=values, reply_to_entry=reply_to_entry, draft_files=form.kept_draft_files)
    return _render_email(request, refreshed, contact=contact, reply_to_entry=reply_to_entry, draft=draft)


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


def _render_email(request, form: EmailForm, *, contact: Contact, reply_to_entry, draft=None):
    if draft is not None:
        cancel_url = draft.get_absolute_url()
    else:
        cancel_url = reply_to_entry.get_absolute_url() if reply_to_entry else _contact_url(contact)
    return render(
        request,
        "interactions/communication/email_form.html",
        {
            "form": form,
            "contact": contact,
            "reply_to_entry": reply_to_entry,
            "draft": draft,
            "no_template_notice": _no_template_notice(EMAILS_EVENT),
            "drafts_notice": draft_services.no_template_notice() if draft is None else "",
            "cancel_url": cancel_url,
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required(RECORD, raise_exception=True)
def email_draft(request, entry_no: int):
    """/interactions/email/drafts/<entry no.>/: a saved draft reopened, to edit, save again
    or send."""
    draft = get_object_or_404(
        InteractionLogEntry.objects.select_related("contact", "contact__company", "attachment"), entry_no=entry_no
    )
    require_may_see_entry(user=request.user, entry=draft)
    require_may_act_on_entry(user=request.user, entry=draft)
    if not draft_services.is_open_draft(draft):
        messages.info(request, _draft_gone_message(draft))
        return redirect(draft)
    try:
        content = draft_services.draft_content(draft)
    except email_services.UndeliverableEmail as missing:
        messages.error(request, str(missing))
        return redirect(draft)
    contact = draft.contact
    if request.method == "GET":
        initial = {
            "address": content.address,
            "subject": content.subject,
            "body": content.body,
            "draft_files": list(range(len(content.files))),
        }
        form = EmailForm(initial=initial, draft_files=content.files)
        return _render_email(request, form, contact=contact, reply_to_entry=None, draft=draft)

    action = request.POST.get("action")
    form = EmailForm(request.POST, request.FILES, draft_files=content.files, saving_draft=action == SAVE_DRAFT)
    if action == FILL_FROM_TEMPLATE:
        return _fill_from_template(request, form, contact=contact, reply_to_entry=None, draft=draft)
    if form.is_valid():
        data = form.cleaned_data
        values = {
            "entry": draft,
            "address": data["address"],
            "subject": data["subject"],
            "body": data["body"],
            "attachments": form.chosen_draft_files() + list(data["attachments"]),
            "user": request.user,
        }
        try:
            if action == SAVE_DRAFT:
                draft_services.update_draft(**values)
                messages.success(request, _("Draft %(number)s has been saved.") % {"number": draft.entry_no})
                return _redirect_next(request, default=reverse("interactions:email-draft", args=[draft.entry_no]))
            result = draft_services.send_draft(**values)
        except draft_services.DraftNotEditable:
            messages.warning(request, _draft_gone_message(draft))
            return redirect(draft)
        except ValidationError as refused:
            form.add_service_error(refused)
        else:
            return _after_sending(request, result, contact=contact, address=data["address"])
    messages.error(request, _not_done_message(action))
    return _render_email(request, form, contact=contact, reply_to_entry=None, draft=draft)


def _draft_gone_message(draft: InteractionLogEntry) -> str:
    return _("Interaction %(number)s is not an open draft any more (it was sent or canceled): it cannot be edited.") % {
        "number": draft.entry_no
    }


@require_http_methods(["GET", "POST"])
@permission_required(RECORD, raise_exception=True)
def entry_resend_attachment(request, entry_no: int):
    """/interactions/log/<entry no.>/resend-attachment/: e-mail what the entry keeps (its
    attachment) to the contact or another address, recorded as a new e-mail entry."""
    entry = get_object_or_404(
        InteractionLogEntry.objects.select_related("contact", "contact__company", "attachment"), entry_no=entry_no
    )
    require_may_see_entry(user=request.user, entry=entry)
    if not may_act_on_entry(user=request.user, entry=entry):
        messages.error(request, _("Only the user who recorded this interaction and sales managers can resend it."))
        return redirect(entry)
    if not resend_services.resendable(entry):
        messages.info(
            request,
            _("Interaction %(number)s keeps no attachment that can be resent.") % {"number": entry.entry_no},
        )
        return redirect(entry)
    keeps_an_email = resend_services.keeps_an_email(entry)
    if request.method == "GET":
        form = ResendForm(
            initial={
                "address": email_services.email_address_of(entry.contact),
                "subject": resend_services.default_subject(entry),
                "body": resend_services.default_body(entry),
            },
            keeps_an_email=keeps_an_email,
        )
    else:
        form = ResendForm(request.POST, keeps_an_email=keeps_an_email)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = resend_services.resend_attachment(
                    entry=entry,
                    user=request.user,
                    address=data["address"],
                    subject=data.get("subject", ""),
                    body=data.get("body", ""),
                )
            except resend_services.NothingToResend as nothing:
                messages.error(request, str(nothing))
                return redirect(entry)
            except ValidationError as refused:
                form.add_service_error(refused)
            else:
                return _after_sending(request, result, contact=entry.contact, address=data["address"])
        messages.error(request, _("The e-mail was not sent: please correct the errors below."))
    return render(
        request,
        "interactions/communication/resend_form.html",
        {
            "form": form,
            "entry": entry,
            "contact": entry.contact,
            "keeps_an_email": keeps_an_email,
            "no_template_notice": _no_template_notice(EMAILS_EVENT),
            "cancel_url": entry.get_absolute_url(),
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
            try:
                outcome = form.record(
                    contact=contact,
                    user=request.user,
                    segment_number=segment_line.segment.number if segment_line is not None else "",
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
