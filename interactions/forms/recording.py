"""The interaction form: creating an interaction by hand, and resuming a postponed one.

The rules that fill an interaction (template defaults, language, correspondence type,
salesperson, merge) live in services.recording; this module turns requests into values
for them and back: the prefill of the query string, the values of a resumed entry, and
which defaults go into which field when the template or the contact changes (only into
fields that the user has not changed).
"""

import dataclasses
import datetime
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.contacts.models import Campaign, Contact, CorrespondenceType, Language, Salesperson
from crm.contacts.selectors import contact_by_number

from ..models import (
    Attachment,
    Evaluation,
    InformationFlow,
    InitiatedBy,
    InteractionLogEntry,
    InteractionTemplate,
    WizardAction,
)
from ..permissions import COMMENT
from ..selectors import recording as selectors
from ..services import recording as services
from ..services.attachments import validate_attachment_upload
from .widgets import DateInput, TimeInput

# The submit buttons of the form, by the value of their "action".
SAVE = "save"
POSTPONE = "postpone"
APPLY_DEFAULTS = "apply_defaults"
ACTIONS = (SAVE, POSTPONE, APPLY_DEFAULTS)

# Fields that take defaults from the template, the contact or the user (see
# services.recording.interaction_defaults), in the order of application.
TEMPLATE_DEFAULT_FIELDS = (
    "description",
    "cost",
    "duration",
    "information_flow",
    "initiated_by",
    "campaign",
    "campaign_target",
    "campaign_response",
    "language",
    "correspondence_type",
    "salesperson",
)

# Then the ones that depend on those: where the interaction goes, and the merged text.
DEFAULTED_FIELDS = (*TEMPLATE_DEFAULT_FIELDS, "contact_via", "merged_body")
# Checkboxes: unchecked is a value of its own, not "left empty".
BOOLEAN_FIELDS = frozenset({"campaign_target", "campaign_response"})
# Changing one of these fields brings new defaults into the form (htmx, or the "Apply
# template defaults" button without JavaScript).
REFRESHING_FIELDS = ("contact", "template", "salesperson", "language", "correspondence_type", "date")


def action_of(data: Mapping[str, Any]) -> str:
    action = data.get("action")
    return action if action in ACTIONS else SAVE


def local_now() -> tuple[datetime.date, datetime.time]:
    """Today and the time to the minute, in the local time zone."""
    now = timezone.localtime()
    return now.date(), now.time().replace(second=0, microsecond=0)


# --- Which field keeps the user's value ------------------------------------------------


def _comparable(value: Any) -> str:
    """A value as the browser sends it back, to tell whether the user changed a field."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, models.Model):
        return str(value.pk)
    # Browsers send the lines of a text area separated by CR LF.
    return str(value).replace("\r\n", "\n").strip()


def _fingerprint(value: Any) -> str:
    return hashlib.sha256(_comparable(value).encode()).hexdigest()[:16]


def _applied_fingerprints(raw: str | None) -> dict[str, str]:
    """The hidden field that says which default each field got last time. Only a hint for
    the next refresh: anything unexpected in it counts as "no default applied"."""
    try:
        applied = json.loads(raw or "{}")
    except ValueError:
        return {}
    if not isinstance(applied, dict):
        return {}
    return {name: value for name, value in applied.items() if name in DEFAULTED_FIELDS and isinstance(value, str)}


def _untouched(name: str, values: Mapping[str, Any], applied: Mapping[str, str]) -> bool:
    """A field the user has not changed: an empty text or choice, or a field that still
    shows the default applied last time. A checkbox never applied counts as untouched
    while unchecked."""
    value = values.get(name)
    if name not in BOOLEAN_FIELDS and _comparable(value) == "":
        return True
    if name in applied:
        return applied[name] == _fingerprint(value)
    return name in BOOLEAN_FIELDS and not value


# --- Looking up what a value names ----------------------------------------------------


def _contact_of(value: Any) -> Contact | None:
    if isinstance(value, Contact):
        return value
    return contact_by_number(value) if isinstance(value, str) else None


def _template_of(value: Any) -> InteractionTemplate | None:
    pk = value.pk if isinstance(value, InteractionTemplate) else value
    return selectors.template_for_recording(pk)


def _salesperson_of(value: Any) -> Salesperson | None:
    if isinstance(value, Salesperson) or value is None:
        return value
    try:
        return Salesperson.objects.filter(pk=int(value)).first()
    except (TypeError, ValueError):
        return None


def _date_of(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


def _apply_defaults(
    values: Mapping[str, Any],
    *,
    user,
    accept: Callable[[str, Any], bool],
    template: InteractionTemplate | None = None,
) -> dict[str, Any]:
    """`values` with the default of each defaulted field put in where `accept(field,
    default)` says so. Later defaults follow the values chosen before them: where the
    interaction goes follows the correspondence type, the merged text the language, the
    salesperson and the date. `template`: the template of `values`, already read as
    `selectors.template_for_recording` reads it (with its group, campaign and languages)."""
    result = dict(values)
    contact = _contact_of(values.get("contact"))
    template = template if template is not None else _template_of(values.get("template"))

    def offer(name: str, default: Any) -> None:
        if accept(name, default):
            result[name] = default

    defaults = services.interaction_defaults(template=template, contact=contact, user=user)
    for name in TEMPLATE_DEFAULT_FIELDS:
        if name in defaults:
            offer(name, defaults[name])
    if contact is not None:
        offer(
            "contact_via",
            services.contact_via_for(
                correspondence_type=_comparable(result.get("correspondence_type")), contact=contact
            ),
        )
    if contact is not None and template is not None and template.wizard_action == WizardAction.MERGE:
        row = services.template_language_row(template=template, language=_comparable(result.get("language")))
        offer(
            "merged_body",
            services.merge_template_body(
                body=row.merge_body if row is not None else "",
                contact=contact,
                salesperson=_salesperson_of(result.get("salesperson")),
                date=_date_of(result.get("date")) or local_now()[0],
                language=row.language if row is not None else "",
            ),
        )
    if contact is not None:
        result["contact"] = contact.number  # the field shows the number, not the name
    return result


def values_with_defaults(values: Mapping[str, Any], *, applied: Mapping[str, str], user) -> dict[str, Any]:
    """The form's values with the defaults of its template and contact applied to every
    field that the user has not changed since defaults were applied last (`applied`);
    the result carries the new fingerprints in "applied_defaults"."""
    new_applied = {name: value for name, value in applied.items() if _untouched(name, values, applied)}

    def accept(name: str, default: Any) -> bool:
        if not _untouched(name, values, applied):
            return False
        new_applied[name] = _fingerprint(default)
        return True

    result = _apply_defaults(values, user=user, accept=accept)
    result["applied_defaults"] = json.dumps(new_applied, sort_keys=True)
    return result


def values_with_defaults_where_missing(
    values: Mapping[str, Any], *, given: set[str], user, template: InteractionTemplate | None = None
) -> dict[str, Any]:
    """The values of an interaction sent by another system (the API): every defaulted field
    it did not send takes its default, as the form fills it for a new interaction; what it
    sent stays as sent. `template` as for `_apply_defaults`."""
    return _apply_defaults(values, user=user, accept=lambda name, default: name not in given, template=template)


# --- The values a form starts with ----------------------------------------------------


def query_text(value: str | None, *, length: int = 100) -> str:
    """A value of the query string as text to look up: trimmed, bounded, and without NUL
    characters (PostgreSQL refuses them in text: a hand-made link must not become a 500)."""
    return (value or "").replace("\x00", "").strip()[:length]


def _clip(value: str, length: int = 40) -> str:
    return value if len(value) <= length else value[: length - 1] + "…"


def initial_for_new(query: Mapping[str, str], *, user) -> tuple[dict[str, Any], list[str]]:
    """The values of a new interaction, prefilled from the query string (contact number,
    template code, salesperson code, campaign number, segment number: what the contact
    card, the salespeople, the log and the segments link with). Returns the values and a
    warning for each value that names nothing; those are left out."""
    today, now = local_now()
    values: dict[str, Any] = {"date": today, "time": now, "was_successful": True}
    warnings: list[str] = []

    def text(name: str) -> str:
        return query_text(query.get(name))

    if number := text("contact"):
        contact = contact_by_number(number)
        if contact is not None:
            values["contact"] = contact
        else:
            warnings.append(
                _("No contact has number “%(value)s”; choose the contact below.") % {"value": _clip(number)}
            )
    if code := text("template"):
        template = InteractionTemplate.objects.filter(code__iexact=code).first()
        if template is not None:
            values["template"] = template
        else:
            warnings.append(_("No interaction template has code “%(value)s”; it was ignored.") % {"value": _clip(code)})
    if code := text("salesperson"):
        salesperson = Salesperson.objects.filter(code=code).first()
        if salesperson is not None:
            values["salesperson"] = salesperson
        else:
            warnings.append(_("No salesperson has code “%(value)s”; it was ignored.") % {"value": _clip(code)})
    if number := text("campaign"):
        campaign = Campaign.objects.filter(number=number).first()
        if campaign is not None:
            values["campaign"] = campaign
        else:
            warnings.append(_("No campaign has number “%(value)s”; it was ignored.") % {"value": _clip(number)})
    segment = None
    if number := text("segment"):
        segment = selectors.segment_by_number(number)
        if segment is not None:
            values["segment_number"] = segment.number
            # A segment line is an interaction from the segment's template and campaign,
            # unless the link names its own.
            if "template" not in values and segment.template is not None:
                values["template"] = segment.template
            if "campaign" not in values and segment.campaign is not None:
                values["campaign"] = segment.campaign
        elif selectors.segment_number_known(number):
            values["segment_number"] = number
        else:
            warnings.append(_("No segment has number “%(value)s”; it was ignored.") % {"value": _clip(number)})
    from_line = {}
    if (pk := text("line")) and segment is not None:
        line = selectors.segment_line(segment, pk)
        if line is None:
            warnings.append(
                _("Segment %(number)s has no line “%(value)s”; it was ignored.")
                % {"number": segment.number, "value": _clip(pk)}
            )
        else:
            from_line = _values_of_line(segment, line)
            values.setdefault("contact", line.contact)
            values["template"] = from_line.pop("template")
    result = values_with_defaults(values, applied={}, user=user)
    if from_line:
        # The line's own values win over the template's defaults; they count as typed.
        result.update(from_line)
        applied = json.loads(result["applied_defaults"])
        for name in from_line:
            applied.pop(name, None)
        result["applied_defaults"] = json.dumps(applied, sort_keys=True)
    return result, warnings


def _values_of_line(segment, line) -> dict[str, Any]:
    """What an interaction recorded from a segment line starts with: the line's values, the
    header's where the line leaves them blank (as logging the segment would)."""
    values: dict[str, Any] = {
        "template": line.template or segment.template,
        "salesperson": line.salesperson or segment.salesperson,
        "campaign": line.campaign or segment.campaign,
        "description": line.description or segment.description,
        "subject": line.subject or segment.subject_default,
        "language": line.language or segment.language_default,
        "correspondence_type": line.correspondence_type or segment.correspondence_type_default,
        "information_flow": line.information_flow or segment.information_flow,
        "initiated_by": line.initiated_by or segment.initiated_by,
        "contact_via": line.contact_via,
        "evaluation": line.evaluation,
        "cost": line.cost,
        "duration": line.duration,
        "campaign_target": line.campaign_target,
        "campaign_response": line.campaign_response,
    }
    if line.time is not None:
        values["time"] = line.time
    keep = {"template", "campaign_target", "campaign_response", "cost", "duration"}
    return {name: value for name, value in values.items() if name in keep or value not in (None, "")}


def initial_for_resume(entry: InteractionLogEntry, *, user) -> dict[str, Any]:
    """The values of a postponed entry for the resumed form: everything as saved, except
    the date and the time, which start again at now."""
    today, now = local_now()
    values: dict[str, Any] = {
        "contact": entry.contact.number,
        "template": entry.template,
        "salesperson": entry.salesperson,
        "date": today,
        "time": now,
        "description": entry.description,
        "subject": entry.subject,
        "language": entry.language,
        "correspondence_type": entry.correspondence_type,
        "contact_via": entry.contact_via,
        "information_flow": entry.information_flow,
        "initiated_by": entry.initiated_by,
        "evaluation": entry.evaluation,
        "was_successful": not entry.attempt_failed,
        "cost": entry.cost,
        "duration": entry.duration,
        "campaign": entry.campaign,
        "campaign_target": entry.campaign_target,
        "campaign_response": entry.campaign_response,
        "opportunity_number": entry.opportunity_number,
        "segment_number": entry.segment_number,
    }
    if entry.template is not None and entry.template.wizard_action == WizardAction.MERGE:
        values["merged_body"] = services.stored_merge_text(entry)
    # Fields that still hold what the defaults give count as untouched, so that choosing
    # another template changes them, as on a new interaction.
    applied: dict[str, str] = {}

    def accept(name: str, default: Any) -> bool:
        if _fingerprint(values.get(name)) == _fingerprint(default):
            applied[name] = _fingerprint(default)
        return False

    _apply_defaults(values, user=user, accept=accept)
    values["applied_defaults"] = json.dumps(applied, sort_keys=True)
    return values


def refreshed_values(data: Mapping[str, Any], *, user) -> dict[str, Any]:
    """The values of a submitted form with the defaults of its (new) template and contact
    applied; the form shows them again, unbound, so that nothing is reported as an error
    while the user is still filling it in. A chosen file cannot be shown again."""
    form = InteractionForm(data, user=user)
    values = {
        name: field.widget.value_from_datadict(form.data, {}, form.add_prefix(name))
        for name, field in form.fields.items()
        if name not in ("upload", "applied_defaults")
    }
    return values_with_defaults(values, applied=_applied_fingerprints(data.get("applied_defaults")), user=user)


def contact_shown(form: "InteractionForm") -> Contact | None:
    """The contact that the form's contact field names now, if it names one."""
    value = form["contact"].value()
    return _contact_of(value.strip() if isinstance(value, str) else value)


# --- The form ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ContentStep:
    """What the form shows for the template's wizard action."""

    template: InteractionTemplate | None
    action: str
    language: str
    template_attachment: Attachment | None = None  # open: the template's file
    current_attachment: Attachment | None = None  # a resumed entry's file
    has_merge_body: bool = False

    @property
    def language_name(self) -> str:
        return str(dict(Language.choices).get(self.language, self.language))

    @property
    def is_open(self) -> bool:
        return self.action == WizardAction.OPEN

    @property
    def is_import(self) -> bool:
        return self.action == WizardAction.IMPORT

    @property
    def is_merge(self) -> bool:
        return self.action == WizardAction.MERGE


def _with_blank(choices, label) -> list[tuple[str, str]]:
    return [("", label)] + [choice for choice in choices if choice[0] != ""]


class InteractionForm(forms.Form):
    """A new interaction, or a resumed postponed one. Saving needs what the reference
    requires (contact, template, salesperson, date, description); "finish later" only the
    contact and the template."""

    contact = forms.CharField(
        label=gettext_lazy("Contact no."),
        max_length=20,
        help_text=gettext_lazy("Type the contact's number, or part of the name to see matching contacts."),
    )
    template = forms.ModelChoiceField(
        label=gettext_lazy("Interaction template"),
        queryset=InteractionTemplate.objects.order_by("code"),
        empty_label=gettext_lazy("(choose a template)"),
    )
    salesperson = forms.ModelChoiceField(
        label=gettext_lazy("Salesperson"),
        queryset=Salesperson.objects.order_by("code"),
        empty_label=gettext_lazy("(choose a salesperson)"),
    )
    date = forms.DateField(label=gettext_lazy("Date"), widget=DateInput)
    time = forms.TimeField(label=gettext_lazy("Time"), required=False, widget=TimeInput)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=100)
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=100, required=False)
    information_flow = forms.ChoiceField(
        label=gettext_lazy("Information flow"), choices=InformationFlow.choices, required=False
    )
    initiated_by = forms.ChoiceField(label=gettext_lazy("Initiated by"), choices=InitiatedBy.choices, required=False)
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        choices=_with_blank(Language.choices, gettext_lazy("(none)")),
        required=False,
    )
    correspondence_type = forms.ChoiceField(
        label=gettext_lazy("Correspondence type"), choices=CorrespondenceType.choices, required=False
    )
    contact_via = forms.CharField(
        label=gettext_lazy("Contact via"),
        max_length=80,
        required=False,
        help_text=gettext_lazy("The e-mail address, phone number or address used."),
    )
    evaluation = forms.ChoiceField(label=gettext_lazy("Evaluation"), choices=Evaluation.choices, required=False)
    was_successful = forms.BooleanField(label=gettext_lazy("Was successful"), required=False, initial=True)
    cost = forms.DecimalField(label=gettext_lazy("Cost"), min_value=0, max_digits=12, decimal_places=2)
    duration = forms.IntegerField(label=gettext_lazy("Duration (min.)"), min_value=0, max_value=2_147_483_647)
    campaign = forms.ModelChoiceField(
        label=gettext_lazy("Campaign"),
        queryset=Campaign.objects.order_by("number"),
        required=False,
        empty_label=gettext_lazy("(no campaign)"),
    )
    campaign_target = forms.BooleanField(label=gettext_lazy("Campaign target"), required=False)
    campaign_response = forms.BooleanField(label=gettext_lazy("Campaign response"), required=False)
    opportunity_number = forms.CharField(label=gettext_lazy("Opportunity no."), max_length=20, required=False)
    segment_number = forms.CharField(
        label=gettext_lazy("Segment no."), max_length=20, required=False, widget=forms.HiddenInput
    )
    upload = forms.FileField(
        label=gettext_lazy("File to attach"), required=False, validators=[validate_attachment_upload]
    )
    merged_body = forms.CharField(
        label=gettext_lazy("Text of the interaction"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=gettext_lazy(
            "Filled in from the template's text for this contact and salesperson. Review and edit it: "
            "it is stored with the interaction as a text file."
        ),
    )
    first_comment = forms.CharField(
        label=gettext_lazy("Comment"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    # Which default each field got when defaults were last applied; see values_with_defaults.
    applied_defaults = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, entry: InteractionLogEntry | None = None, postpone: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.entry = entry
        self.postpone = postpone
        if postpone:
            # "Finish later" stores what there is; the service fills the rest from the template.
            for name, field in self.fields.items():
                if name not in ("contact", "template"):
                    field.required = False
        if not user.has_perm(COMMENT):
            del self.fields["first_comment"]
        for name in REFRESHING_FIELDS:
            self.fields[name].widget.attrs["data-refreshes-defaults"] = ""
        # Suggestions while typing (htmx); without JavaScript the number is typed in full.
        self.fields["contact"].widget.attrs.update(
            {
                "autocomplete": "off",
                "spellcheck": "false",
                "hx-get": reverse("interactions:contact-search"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#contact-suggestions",
                "hx-swap": "innerHTML",
                "aria-controls": "contact-suggestions",
            }
        )

    def clean_contact(self) -> Contact | None:
        number = self.cleaned_data["contact"].strip()
        if not number:
            return None
        contact = contact_by_number(number)
        if contact is None:
            raise ValidationError(
                _("There is no contact with number %(number)s."), params={"number": number}, code="unknown_contact"
            )
        return contact

    def clean_segment_number(self) -> str:
        number = self.cleaned_data["segment_number"].strip()
        if number and not selectors.segment_number_known(number):
            raise ValidationError(
                _("There is no segment with number %(number)s."), params={"number": number}, code="unknown_segment"
            )
        return number

    def details(self) -> services.InteractionDetails:
        """What the user entered, for the recording services."""
        data = self.cleaned_data
        return services.InteractionDetails(
            contact=data["contact"],
            template=data["template"],
            salesperson=data.get("salesperson"),
            date=data.get("date"),
            time=data.get("time"),
            description=data.get("description") or "",
            subject=data.get("subject") or "",
            language=data.get("language") or "",
            correspondence_type=data.get("correspondence_type") or "",
            contact_via=data.get("contact_via") or "",
            information_flow=data.get("information_flow") or "",
            initiated_by=data.get("initiated_by") or "",
            evaluation=data.get("evaluation") or "",
            attempt_failed=not data.get("was_successful"),
            cost=data.get("cost"),
            duration=data.get("duration"),
            campaign=data.get("campaign"),
            campaign_target=bool(data.get("campaign_target")),
            campaign_response=bool(data.get("campaign_response")),
            opportunity_number=data.get("opportunity_number") or "",
            segment_number=data.get("segment_number") or "",
            upload=data.get("upload"),
            merged_text=data.get("merged_body") or "",
            first_comment=data.get("first_comment") or "",
        )

    def add_service_error(self, error: ValidationError) -> None:
        """A refusal of the service, shown next to the field it concerns where there is one."""
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, error)

    def content_step(self) -> ContentStep:
        """The content step for the template and language that the form shows now."""
        template = _template_of(self["template"].value())
        language = _comparable(self["language"].value())
        current = self.entry.attachment if self.entry is not None else None
        if template is None:
            return ContentStep(template=None, action="", language=language, current_attachment=current)
        row = services.template_language_row(template=template, language=language)
        return ContentStep(
            template=template,
            action=template.wizard_action,
            language=row.language if row is not None else language,
            template_attachment=row.attachment if row is not None else None,
            current_attachment=current,
            has_merge_body=bool(row is not None and row.merge_body.strip()),
        )
