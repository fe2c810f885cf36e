"""The cover sheet page's form: what NAV's request page of "Contact - Cover Sheet" asks.
The rules (lengths, remarks, languages, logging) are the service's (services.cover_sheets)."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ..services import cover_sheets


class CoverSheetForm(forms.Form):
    PRINT = "print"
    PREVIEW = "preview"

    language = forms.ChoiceField(label=_("Language"), choices=())
    text = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=cover_sheets.TEXT_MAX_LENGTH,
        required=False,
        help_text=_("Printed below the remarks."),
    )
    remarks = forms.MultipleChoiceField(
        label=_("Remarks"),
        choices=cover_sheets.REMARKS,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    custom_remark = forms.CharField(
        label=_("Your own remark"), max_length=cover_sheets.CUSTOM_REMARK_MAX_LENGTH, required=False
    )
    page_count = forms.IntegerField(
        label=_("Number of pages"),
        min_value=1,
        max_value=cover_sheets.MAX_PAGE_COUNT,
        required=False,
        help_text=_("The pages sent, this sheet included; left empty, no number is printed."),
    )
    log_interaction = forms.BooleanField(label=_("Log interaction"), required=False)

    def __init__(self, *args, can_log: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [
            (code, name) for code, name in settings.LANGUAGES if code in cover_sheets.cover_sheet_languages()
        ]
        if not can_log:
            # As NAV greys "Log Interaction" out when no template is set up for cover sheets.
            self.fields["log_interaction"].disabled = True
            self.fields["log_interaction"].initial = False
