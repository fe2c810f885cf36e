"""Forms of the segment pages: the segment header, a line, the criteria of a step (with
its options), updating lines after a header change, logging a segment."""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext_lazy as _

from crm.contacts.models import Campaign, Contact, CorrespondenceType, Language, Salesperson
from crm.contacts.selectors import contact_by_number

from ..models import (
    Evaluation,
    InteractionGroup,
    InteractionTemplate,
    Segment,
    SegmentAction,
    SegmentLine,
)
from ..selectors.segments import CanceledEntries, History, SegmentCriteria, SegmentOptions
from ..services.segments import LINE_FIELD_OF_DEFAULT, DefaultChange, clean_default_value
from .widgets import DateInput, TimeInput


def _any(choices, label=None):
    """A choice list whose blank entry means "any" (a criterion that does not restrict)."""
    return [("", label or _("(any)"))] + [(value, text) for value, text in choices if value != ""]


HEADER_FIELDS = [
    "description",
    "salesperson",
    "date",
    "template",
    "language_default",
    "subject_default",
    "correspondence_type_default",
    "ignore_contact_correspondence_type",
    "unit_cost",
    "unit_duration",
    "information_flow",
    "initiated_by",
    "campaign",
    "campaign_target",
    "campaign_response",
]


class SegmentCreateForm(forms.ModelForm):
    class Meta:
        model = Segment
        fields = ["description", "salesperson", "date", "template"]
        widgets = {"date": DateInput}
        help_texts = {"template": _("Its cost, duration, flow, language and campaign become the segment's defaults.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A segment without description cannot be logged: ask for one from the start.
        self.fields["description"].required = True


class SegmentHeaderForm(forms.ModelForm):
    class Meta:
        model = Segment
        fields = HEADER_FIELDS
        widgets = {"date": DateInput}
        help_texts = {
            "template": _("Choosing another template also brings its defaults for the fields you leave unchanged."),
        }

    def changes(self) -> dict:
        """The fields the user changed, with their new values."""
        return {name: self.cleaned_data[name] for name in self.changed_data}


class UpdateLinesForm(forms.Form):
    """After a header change: which defaults the lines that still carry the old value follow.
    The changes travel in a hidden field, as (field, old, new) with related rows by key."""

    changes = forms.CharField(widget=forms.HiddenInput)
    update = forms.MultipleChoiceField(
        label=_("Update these lines"),
        choices=[(name, name) for name in LINE_FIELD_OF_DEFAULT],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    @classmethod
    def for_changes(cls, changes: list[DefaultChange]) -> "UpdateLinesForm":
        payload = [{"field": c.field, "old": c.old_value, "new": c.new_value} for c in changes]
        return cls(
            initial={
                "changes": json.dumps(payload, cls=DjangoJSONEncoder),
                "update": [c.field for c in changes],
            }
        )

    def clean_changes(self) -> list[tuple[str, object]]:
        """(field, old value) pairs, each old value checked as the header form's field would
        check it. The new values are not read: the lines get the saved header's values."""
        try:
            payload = json.loads(self.cleaned_data["changes"])
            if not isinstance(payload, list):
                raise TypeError(type(payload))
            pairs = [(item["field"], item["old"]) for item in payload]
        except (ValueError, KeyError, TypeError) as unreadable:
            raise ValidationError(
                _("The changes could not be read: edit the header again."), code="bad_changes"
            ) from unreadable
        result, errors = [], []
        for field, old in pairs:
            try:
                result.append((field, clean_default_value(field, old)))
            except ValidationError as invalid:
                errors.extend(invalid.messages)
        if errors:
            raise ValidationError(errors)
        return result


class SegmentLineForm(forms.ModelForm):
    class Meta:
        model = SegmentLine
        fields = [
            "template",
            "salesperson",
            "time",
            "description",
            "subject",
            "language",
            "correspondence_type",
            "contact_via",
            "evaluation",
            "cost",
            "duration",
            "information_flow",
            "initiated_by",
            "campaign",
            "campaign_target",
            "campaign_response",
        ]
        help_texts = {
            "description": _("Blank: the segment's description."),
            "subject": _("Blank: the segment's default subject."),
            "language": _("Blank: the segment's default language."),
            "correspondence_type": _("Blank: the segment's default correspondence type."),
            "template": _(
                "Blank: the segment's template. Choosing another template brings its cost, duration, flow, "
                "initiated by, correspondence type, language and campaign flags for the fields you leave unchanged."
            ),
            "salesperson": _("Blank: the segment's salesperson."),
            "time": _("Blank: no time; the interaction is dated with the segment's date."),
        }
        widgets = {"time": TimeInput}


class CompanyNumberField(forms.CharField):
    """A company, entered by its contact number."""

    def clean(self, value):
        value = super().clean(value).strip()
        if not value:
            return ""
        contact = contact_by_number(value)
        if contact is None or not contact.is_company:
            raise ValidationError(_("There is no company with the number %(number)s."), params={"number": value})
        return contact.number


class SegmentCriteriaForm(forms.Form):
    """The criteria of an add, reduce or refine step, its options, and (to save them) a
    code. The button pressed (`action`) says what to do."""

    ACTIONS = SegmentAction.choices + [("save", _("Save criteria"))]

    action = forms.ChoiceField(choices=ACTIONS, widget=forms.HiddenInput)
    # Contact fields
    contact_type = forms.ChoiceField(label=_("Type"), choices=_any(Contact.Type.choices), required=False)
    company = CompanyNumberField(
        label=_("Company no."), max_length=20, required=False, help_text=_("The company and its persons.")
    )
    salesperson = forms.ModelChoiceField(
        label=_("Salesperson"), queryset=Salesperson.objects.order_by("code"), to_field_name="code", required=False,
        empty_label=_("(any)"),
    )  # fmt: skip
    language = forms.ChoiceField(label=_("Language"), choices=_any(Language.choices), required=False)
    city = forms.CharField(label=_("City"), max_length=50, required=False, help_text=_("* stands for any characters."))
    country = forms.CharField(label=_("Country/region code"), max_length=2, required=False)
    correspondence_type = forms.ChoiceField(
        label=_("Correspondence type"), choices=_any(CorrespondenceType.choices), required=False
    )
    name = forms.CharField(
        label=_("Name"), max_length=100, required=False,
        help_text=_("Contains the text; with *, matches the pattern (*Ltd, Lon*)."),
    )  # fmt: skip
    email = forms.CharField(
        label=_("E-mail"), max_length=100, required=False,
        help_text=_("Contains the text; with *, matches the pattern (*@example.com)."),
    )  # fmt: skip
    # Interaction history
    history = forms.ChoiceField(
        label=_("Interactions"),
        choices=[
            (History.ANY, _("(no condition)")),
            (History.WITH, _("Has interactions such as these")),
            (History.WITHOUT, _("Has no interactions such as these")),
        ],
        required=False,
        help_text=_("A company's interactions include those of its persons."),
    )
    history_template = forms.ModelChoiceField(
        label=_("Interaction template"), queryset=InteractionTemplate.objects.order_by("code"), to_field_name="code",
        required=False, empty_label=_("(any)"),
    )  # fmt: skip
    history_group = forms.ModelChoiceField(
        label=_("Interaction group"), queryset=InteractionGroup.objects.order_by("code"), to_field_name="code",
        required=False, empty_label=_("(any)"),
    )  # fmt: skip
    history_date_from = forms.DateField(label=_("From"), required=False, widget=DateInput)
    history_date_to = forms.DateField(label=_("To"), required=False, widget=DateInput)
    history_evaluation = forms.ChoiceField(label=_("Evaluation"), choices=_any(Evaluation.choices), required=False)
    history_campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=Campaign.objects.order_by("number"), to_field_name="number", required=False,
        empty_label=_("(any)"),
    )  # fmt: skip
    history_canceled = forms.ChoiceField(
        label=_("Canceled interactions"),
        choices=[
            (CanceledEntries.NOT_CANCELED, _("Not canceled")),
            (CanceledEntries.CANCELED, _("Canceled only")),
            (CanceledEntries.ALL, _("Canceled or not")),
        ],
        initial=CanceledEntries.NOT_CANCELED,
        required=False,
    )
    # Options
    allow_existing = forms.BooleanField(
        label=_("Allow contacts already in the segment"), required=False,
        help_text=_("They get another line with the header's current values; their line stays as it is."),
    )  # fmt: skip
    expand_companies = forms.BooleanField(
        label=_("Expand to entire companies"), required=False,
        help_text=_("A matching company or person of a company brings the company and all its persons."),
    )  # fmt: skip
    allow_company_with_persons = forms.BooleanField(
        label=_("Allow a company together with its persons"), required=False,
        help_text=_("Otherwise a company is left out when some of its persons are added with it."),
    )  # fmt: skip
    ignore_exclusion = forms.BooleanField(
        label=_("Ignore the exclude-from-segments flag"), required=False,
    )  # fmt: skip
    ignore_no_bulk_email = forms.BooleanField(
        label=_("Ignore the no-bulk-e-mail flag"), required=False,
        help_text=_("Add contacts who unsubscribed from bulk e-mail as e-mail lines too."),
    )  # fmt: skip
    whole_companies = forms.BooleanField(
        label=_("Entire companies"), required=False,
        help_text=_("Reduce and refine: a company and all its persons go or stay together."),
    )  # fmt: skip
    # Saving
    save_code = forms.CharField(label=_("Code"), max_length=20, required=False)
    save_description = forms.CharField(label=_("Description"), max_length=100, required=False)
    save_action = forms.ChoiceField(
        label=_("Saved for"), choices=SegmentAction.choices, required=False, initial=SegmentAction.ADD
    )

    CONTACT_FIELDS = [
        "contact_type", "company", "salesperson", "language", "city", "country", "correspondence_type", "name", "email",
    ]  # fmt: skip
    HISTORY_FIELDS = [
        "history", "history_template", "history_group", "history_date_from", "history_date_to",
        "history_evaluation", "history_campaign", "history_canceled",
    ]  # fmt: skip
    ADD_OPTIONS = [
        "allow_existing", "expand_companies", "allow_company_with_persons", "ignore_exclusion", "ignore_no_bulk_email",
    ]  # fmt: skip
    REMOVE_OPTIONS = ["whole_companies"]

    def clean(self):
        data = super().clean()
        date_from, date_to = data.get("history_date_from"), data.get("history_date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("history_date_to", _("The end of the period cannot be before its start."))
        restricting_history = [
            name
            for name in self.HISTORY_FIELDS
            if name not in ("history", "history_canceled") and data.get(name) not in (None, "")
        ]
        if restricting_history and not data.get("history"):
            self.add_error("history", _("Choose whether the contacts must have, or must not have, such interactions."))
        if data.get("action") == "save" and not (data.get("save_code") or "").strip():
            self.add_error("save_code", _("Enter a code to save the criteria under."))
        return data

    def criteria(self) -> SegmentCriteria:
        data = self.cleaned_data
        values = {}
        for name in self.CONTACT_FIELDS + self.HISTORY_FIELDS:
            value = data.get(name)
            if isinstance(value, Salesperson | InteractionTemplate | InteractionGroup):
                value = value.code
            elif isinstance(value, Campaign):
                value = value.number
            if value not in (None, ""):
                values[name] = value.strip() if isinstance(value, str) else value
        if not values.get("history_canceled"):
            values.pop("history_canceled", None)
        return SegmentCriteria(**values)

    def options(self) -> SegmentOptions:
        return SegmentOptions(
            **{name: bool(self.cleaned_data.get(name)) for name in self.ADD_OPTIONS + self.REMOVE_OPTIONS}
        )


class LogSegmentForm(forms.Form):
    deliver = forms.BooleanField(
        label=_("Deliver"), required=False,
        help_text=_(
            "Send the e-mail lines now (one e-mail per contact) and make one PDF of the letters of the "
            "hard-copy lines to print. Fax lines are logged, not delivered."
        ),
    )  # fmt: skip
    cover_sheets = forms.BooleanField(
        label=_("A cover sheet before each letter"), required=False,
        help_text=_("With the sender's and the recipient's address."),
    )  # fmt: skip
    create_follow_up = forms.BooleanField(
        label=_("Create a follow-up segment"), required=False,
        help_text=_('A new segment "Follow-up on segment …" with the same contacts.'),
    )  # fmt: skip


class LineSelectionForm(forms.Form):
    """Lines picked on the segment page (ids of its lines, checked by the service)."""

    line = forms.TypedMultipleChoiceField(coerce=int, error_messages={"required": _("Select at least one line.")})

    def full_clean(self):
        # Line ids are free-form integers, not a fixed list of choices.
        self.fields["line"].choices = [(value, value) for value in self.data.getlist("line")]
        super().full_clean()

    def clean_line(self):
        # Ids beyond the database's integers would fail in the query rather than match nothing.
        lines = self.cleaned_data["line"]
        if any(line <= 0 or line > 2**62 for line in lines):
            raise ValidationError(_("Unknown lines."), code="unknown_line")
        return lines
