"""Forms of segment recipes: save a segment's criteria, reuse saved criteria, reuse a
logged segment."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import LoggedSegment, SavedSegmentCriteria


class SaveRecipeForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20)
    description = forms.CharField(label=_("Description"), max_length=100, required=False)


class ReuseCriteriaForm(forms.Form):
    saved = forms.ModelChoiceField(
        label=_("Saved criteria"),
        queryset=SavedSegmentCriteria.objects.order_by("code"),
        to_field_name="code",
        empty_label=_("(choose)"),
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class ReuseSegmentForm(forms.Form):
    logged_segment = forms.ModelChoiceField(
        label=_("Logged segment no."),
        queryset=LoggedSegment.objects.all(),
        widget=forms.NumberInput(attrs={"min": 1}),
        error_messages={"invalid_choice": _("There is no logged segment with this number.")},
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)
