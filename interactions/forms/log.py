"""Forms of the interaction log page."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import Evaluation


class EntrySelectionForm(forms.Form):
    ACTIONS = [("cancel", _("Cancel")), ("restore", _("Restore")), ("evaluate", _("Evaluate"))]

    action = forms.ChoiceField(choices=ACTIONS)
    entry = forms.TypedMultipleChoiceField(coerce=int, required=True, error_messages={
        "required": _("Select at least one entry."),
    })  # fmt: skip
    evaluation = forms.ChoiceField(choices=Evaluation.choices, required=False)
    confirmed = forms.BooleanField(required=False)

    def __init__(self, *args, max_entries: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_entries = max_entries

    def clean_entry(self):
        return self.cleaned_data["entry"]

    def full_clean(self):
        # Entry numbers are free-form integers, not a fixed list of choices.
        self.fields["entry"].choices = [(value, value) for value in self.data.getlist("entry")]
        super().full_clean()

    def clean(self):
        data = super().clean()
        numbers = data.get("entry") or []
        if any(number <= 0 or number > 2**62 for number in numbers):
            self.add_error("entry", _("Unknown entry numbers."))
        if len(numbers) > self.max_entries:
            message = ngettext(
                "Select at most %(count)s entry at a time.",
                "Select at most %(count)s entries at a time.",
                self.max_entries,
            )
            self.add_error("entry", message % {"count": self.max_entries})
        if data.get("action") == "evaluate" and not data.get("evaluation"):
            self.add_error("evaluation", _("Choose an evaluation."))
        return data


class CommentForm(forms.Form):
    date = forms.DateField(
        label=_("Date"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}, format="%Y-%m-%d"),
    )
    text = forms.CharField(
        label=_("Comment"), max_length=500, widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"})
    )


# --- Saved views and chosen columns ----------------------------------------------------


class ColumnsForm(forms.Form):
    """The column picker: which columns the log shows (at least one); `columns` are the
    table's (tables.log.choosable_columns)."""

    columns = forms.MultipleChoiceField(
        label=_("Columns"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one column.")},
    )

    def __init__(self, *args, columns: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["columns"].choices = columns


class LogViewForm(forms.Form):
    """Save the log as it is shown now, or change a saved view's name, sharing and default."""

    name = forms.CharField(label=_("Name"), max_length=80)
    shared = forms.BooleanField(label=_("Share with the team"), required=False)
    default = forms.BooleanField(label=_("Open the log with this view"), required=False)
    # The log's address and columns at the moment of saving (set by the page).
    query_string = forms.CharField(required=False, max_length=4000, widget=forms.HiddenInput)
    columns = forms.MultipleChoiceField(required=False, widget=forms.MultipleHiddenInput)

    def __init__(self, *args, columns: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["columns"].choices = columns

    def add_service_error(self, error) -> None:
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, error)
