"""Forms of the contact card's panels: the timeline's filter, and the composer's note.

The composer's call, meeting and e-mail use the forms of their full pages
(forms.communication) as they are. A note is an interaction recorded by hand: the
composer shows a few fields of the interaction form (forms.recording.InteractionForm) and
fills every other one, as the API does, with the defaults of the chosen template, the
contact and the user (`values_with_defaults_where_missing`), then validates the whole form:
the same form, the same defaults and the same service as /interactions/new/.
"""

import dataclasses
import datetime
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.contacts.models import Contact
from crm.forms import style_form

from ..models import InformationFlow, InteractionGroup, WizardAction
from ..selectors import contact_card as card_selectors
from ..selectors.mail_capture import thread_timeline
from ..selectors.recording import template_for_recording
from . import recording as forms_recording
from .widgets import DateInput

# The fields of the interaction form that the composer's note shows, in this order.
NOTE_FIELDS = ("template", "date", "time", "description", "subject", "information_flow", "evaluation")


class TimelineFilterForm(forms.Form):
    """The timeline's filter; its fields are named timeline-group, timeline-flow, ... in the
    card's address, beside the statistics' period."""

    group = forms.ModelChoiceField(
        label=_("Group"), queryset=InteractionGroup.objects.order_by("code"), required=False, empty_label=_("All")
    )
    flow = forms.ChoiceField(
        label=_("Direction"), choices=[("", _("All")), *InformationFlow.choices[1:]], required=False
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "timeline")
        super().__init__(*args, **kwargs)
        style_form(self)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The start of the period is after its end."))
        return data

    @property
    def filters(self) -> dict[str, Any]:
        """The timeline selector's keyword arguments (none while the filter is not valid)."""
        if not self.is_bound or not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "group_id": data["group"].pk if data.get("group") else None,
            "information_flow": data.get("flow") or "",
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }


def _as_form_value(value: Any) -> str:
    if value is None or value is False:
        return ""
    if value is True:
        return "on"
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _as_note(form: forms_recording.InteractionForm) -> forms_recording.InteractionForm:
    """The interaction form as the composer shows it: styled, the description optional
    (left empty, it is the template's, which the note's values hold by then)."""
    style_form(form)
    # A template that imports a file needs the file, which the composer does not take: it
    # is offered on the full form only (saving would refuse it here).
    template = form.fields["template"]
    template.queryset = template.queryset.exclude(wizard_action=WizardAction.IMPORT)
    template.help_text = _("Templates that import a file are on the full form.")
    description = form.fields["description"]
    description.required = False
    description.help_text = _("Left empty: the template's description.")
    return form


def note_form(data, *, contact: Contact, user) -> forms_recording.InteractionForm:
    """The interaction form for a note written in the composer: what the user typed in the
    note's fields, every other field the default the full form would have filled in."""
    typed = {name: (data.get(name) or "").strip() for name in NOTE_FIELDS}
    template_pk = typed["template"]
    template = template_for_recording(template_pk) if template_pk.isdigit() and len(template_pk) < 12 else None
    today, now = forms_recording.local_now()
    # Left empty, the date and time are now's, as the full form starts with.
    typed_values = {name: value for name, value in typed.items() if value}
    values: dict[str, Any] = {"date": today, "time": now, "was_successful": True, **typed_values, "contact": contact}
    given = {name for name, value in typed.items() if value} | {"contact", "was_successful"}
    values = forms_recording.values_with_defaults_where_missing(values, given=given, user=user, template=template)
    form_data = {name: _as_form_value(value) for name, value in values.items()}
    return _as_note(forms_recording.InteractionForm(form_data, user=user, auto_id="composer_%s"))


def blank_note_form(*, contact: Contact, user) -> forms_recording.InteractionForm:
    initial, _warnings = forms_recording.initial_for_new({"contact": contact.number}, user=user)
    initial.pop("description", None)  # the template's, once one is chosen
    return _as_note(forms_recording.InteractionForm(initial=initial, user=user, auto_id="composer_%s"))


# --- The timeline's state in the card's address ------------------------------------------


def timeline_context(request, contact: Contact) -> dict:
    """What the timeline shows for the card's address (its filter) and a page's cursor."""
    bound = any(name.startswith("timeline-") for name in request.GET)
    form = TimelineFilterForm(request.GET if bound else None)
    cursor = card_selectors.TimelineCursor.decode(request.GET.get("after"))
    page = (
        card_selectors.timeline_page(contact, **form.filters, after=cursor)
        if not form.is_bound or form.is_valid()
        else card_selectors.TimelinePage(entries=[], next_cursor=None)
    )
    # E-mail replies shown together with the message they answer (within the page).
    page = dataclasses.replace(page, entries=thread_timeline(page.entries, user=request.user))
    filter_query = urlencode(
        [(name, value) for name, value in request.GET.items() if name.startswith("timeline-") and value]
    )
    return {
        "contact": contact,
        "timeline_form": form,
        "timeline": page,
        "continues_day": cursor.date if cursor is not None else None,
        "timeline_url": reverse("interactions:contact-timeline", args=[contact.number]),
        "timeline_filter_query": filter_query,
        "card_url": reverse("contacts:detail", args=[contact.number]),
    }
