"""The contact card as the hub: the composer that logs a note, a call, a meeting or an
e-mail without leaving the card, and the timeline's pages (filtered, loaded on scroll).

Both answer htmx with fragments of the card. The composer validates with the forms of the
full pages and records through their services (a note: forms.contact_card.note_form and
services.recording; a call, a meeting, an e-mail: forms.communication and
services.communication, the e-mail delivered by the task queue like any other); it holds no
rule of its own. After a success it answers with a fresh form and the event
"interactions:timeline-changed", on which the card's timeline reloads itself; after a
refusal, with the form and its errors in place.
"""

import json
from urllib.parse import urlencode

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from crm.contacts.models import Contact
from crm.contacts.selectors import contact_by_number

from ..forms.communication import CallForm, EmailForm, MeetingForm
from ..forms.contact_card import NOTE_FIELDS, blank_note_form, note_form, timeline_context
from ..permissions import RECORD, VIEW_LOG
from ..services import recording as recording_services
from ..services.communication import calls as call_services
from ..services.communication import emails as email_services
from ..services.communication import meetings as meeting_services
from ..services.communication.automatic_entries import (
    EMAILS_EVENT,
    MEETING_INVITATIONS_EVENT,
    OUTGOING_CALLS_EVENT,
    not_recorded_message,
    setup_template,
)
from .communication import _no_template_notice, _queue_unavailable_message

TIMELINE_CHANGED = "interactions:timeline-changed"
# The composer's tabs: kind -> (label, icon, keyboard shortcut). The shortcuts work on the
# card when no field has the focus (static/interactions/contact_card.js).
COMPOSER_KINDS = {
    "note": (gettext_lazy("Note"), "bi-journal-plus", "n"),
    "call": (gettext_lazy("Call"), "bi-telephone-outbound", "c"),
    "meeting": (gettext_lazy("Meeting"), "bi-calendar-plus", "m"),
    "email": (gettext_lazy("E-mail"), "bi-envelope", "e"),
}
AUTO_ID = "composer_%s"  # the card has other forms: the composer's ids are its own


def _contact(number: str) -> Contact:
    contact = contact_by_number(number)
    if contact is None:
        raise Http404(_("There is no such contact."))
    return contact


# --- The timeline ------------------------------------------------------------------------


@require_GET
@permission_required(VIEW_LOG, raise_exception=True)
def contact_timeline(request, number: str):
    """A page of the timeline: the first (the list replaced, the card's address updated to
    keep the filter) or the next after `after` (appended in place of the "more" marker)."""
    contact = _contact(number)
    context = timeline_context(request, contact)
    if request.GET.get("after"):
        return render(request, "interactions/contact_card/_timeline_items.html", context)
    response = render(request, "interactions/contact_card/_timeline_results.html", context)
    query = context["timeline_filter_query"]
    response["HX-Push-Url"] = f"{context['card_url']}?{query}" if query else context["card_url"]
    return response


# --- The composer ------------------------------------------------------------------------


class Outcome:
    """What one submission of the composer did: the message to show and its level."""

    def __init__(self, message: str = "", level: str = "success", extra: list[tuple[str, str]] | None = None):
        self.message = message
        self.level = level
        self.extra = extra or []  # further (level, message) pairs


def _note(request, contact: Contact):
    if request.method == "GET":
        return blank_note_form(contact=contact, user=request.user), None
    form = note_form(request.POST, contact=contact, user=request.user)
    if form.is_valid():
        try:
            entry = recording_services.record_interaction(details=form.details(), user=request.user)
        except ValidationError as refused:
            form.add_service_error(refused)
        else:
            return None, Outcome(
                _("Interaction %(number)s with %(contact)s has been recorded.")
                % {"number": entry.entry_no, "contact": contact.name}
            )
    return form, None


def _call(request, contact: Contact):
    template = setup_template(OUTGOING_CALLS_EVENT)
    if request.method == "GET":
        numbers = call_services.numbers_to_dial(contact)
        initial = {
            "phone_number": numbers[0].number if numbers else "",
            "duration": template.unit_duration if template is not None else 0,
            "successful": True,
        }
        return CallForm(initial=initial, auto_id=AUTO_ID), None
    form = CallForm(request.POST, auto_id=AUTO_ID)
    if form.is_valid():
        try:
            outcome = form.record(contact=contact, user=request.user)
        except ValidationError as refused:
            form.add_service_error(refused)
        else:
            if not outcome.recorded:
                return None, Outcome(not_recorded_message(outcome.not_recorded_reason), "warning")
            entry = outcome.entries[0]
            return None, Outcome(
                _("The call to %(number)s has been recorded as interaction %(entry)s.")
                % {"number": entry.contact_via, "entry": entry.entry_no}
            )
    return form, None


def _meeting(request, contact: Contact):
    if request.method == "GET":
        initial = {"attendees": [contact.pk] if not contact.is_company else []}
        return MeetingForm(initial=initial, contact=contact, auto_id=AUTO_ID), None
    form = MeetingForm(request.POST, contact=contact, auto_id=AUTO_ID)
    if form.is_valid():
        data = form.cleaned_data
        meeting = meeting_services.Meeting(
            subject=data["subject"], start=data["start"], duration=data["duration"], place=data["place"],
            message=data["message"],
        )  # fmt: skip
        try:
            result = meeting_services.invite_to_meeting(
                contact=contact, attendees=list(data["attendees"]), meeting=meeting, user=request.user
            )
        except ValidationError as refused:
            form.add_service_error(refused)
        else:
            extra = []
            if not result.entries:
                extra.append(("warning", not_recorded_message(result.not_recorded_reason)))
            if result.queue_unavailable:
                return None, Outcome(_queue_unavailable_message(result.entries), "warning", extra)
            count = len(result.tickets)
            return None, Outcome(
                ngettext(
                    "The invitation to %(count)d person is being sent.",
                    "The invitations to %(count)d persons are being sent.",
                    count,
                )
                % {"count": count},
                extra=extra,
            )
    return form, None


def _email(request, contact: Contact):
    if request.method == "GET":
        initial = {"address": email_services.email_address_of(contact)}
        return EmailForm(initial=initial, auto_id=AUTO_ID), None
    form = EmailForm(request.POST, request.FILES, auto_id=AUTO_ID)
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
                address=data["address"],
            )
        except ValidationError as refused:
            form.add_service_error(refused)
        else:
            if result.entry is None:
                extra = [("warning", not_recorded_message(result.not_recorded_reason))]
                if result.queue_unavailable:
                    return None, Outcome(_queue_unavailable_message([]), "danger", extra)
                return None, Outcome(
                    _("The e-mail to %(address)s is being sent.") % {"address": data["address"]}, extra=extra
                )
            if result.queue_unavailable:
                return None, Outcome(_queue_unavailable_message([result.entry]), "warning")
            return None, Outcome(
                _("The e-mail to %(address)s is being sent; interaction %(number)s records it and shows its delivery.")
                % {"address": data["address"], "number": result.entry.entry_no}
            )
    return form, None


HANDLERS = {"note": _note, "call": _call, "meeting": _meeting, "email": _email}
NOTICE_EVENTS = {"call": OUTGOING_CALLS_EVENT, "meeting": MEETING_INVITATIONS_EVENT, "email": EMAILS_EVENT}
FULL_PAGES = {"note": "interactions:new", "call": "interactions:call-new", "meeting": "interactions:meeting-new",
              "email": "interactions:email-new"}  # fmt: skip


def _shown_fields(kind: str, form) -> list:
    if kind == "note":
        return [form[name] for name in NOTE_FIELDS]
    return [field for field in form if field.name != "attachments" or kind == "email"]


@require_http_methods(["GET", "POST"])
@permission_required(RECORD, raise_exception=True)
def contact_composer(request, number: str, kind: str):
    """/interactions/contacts/<number>/composer/<kind>/: the composer with the form of
    `kind` (GET), or the submitted form recorded (POST)."""
    if kind not in HANDLERS:
        raise Http404
    contact = _contact(number)
    form, outcome = HANDLERS[kind](request, contact)
    if outcome is not None:
        form, _none = HANDLERS[kind](_as_get(request), contact)
    shown = _shown_fields(kind, form)
    shown_names = {field.name for field in shown}
    # Errors of fields the composer does not show (a note's salesperson, say) go on top.
    other_errors = [
        f"{form.fields[name].label}: {error}" if name in form.fields else error
        for name, errors in (form.errors.items() if form.is_bound else [])
        if name not in shown_names and name != "__all__"
        for error in errors
    ]
    response = render(
        request,
        "interactions/contact_card/_composer.html",
        {
            "contact": contact,
            "kind": kind,
            "kinds": [(name, label, icon, key) for name, (label, icon, key) in COMPOSER_KINDS.items()],
            "form": form,
            "fields": shown,
            "other_errors": other_errors,
            "outcome": outcome,
            "failed": outcome is None and request.method == "POST",
            "no_template_notice": _no_template_notice(NOTICE_EVENTS[kind]) if kind in NOTICE_EVENTS else "",
            "full_page_url": f"{reverse(FULL_PAGES[kind])}?{urlencode({'contact': contact.number})}",
            "composer_url": reverse("interactions:contact-composer", args=[contact.number, kind]),
        },
    )
    if outcome is not None:
        response["HX-Trigger"] = json.dumps({TIMELINE_CHANGED: {"kind": kind}})
    return response


class _GetRequest:
    """The request as a GET, for the fresh form shown after a success."""

    def __init__(self, request):
        self._request = request
        self.method = "GET"

    def __getattr__(self, name):
        return getattr(self._request, name)


def _as_get(request):
    return _GetRequest(request)
