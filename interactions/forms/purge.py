"""The filter form of the purge page.

A plain Django form rather than a django-filter FilterSet: it does not filter a queryset
itself, it produces the PurgeFilter that the purge service (and the task, which gets it
as JSON) applies, so that the rule lives in one place.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.contacts.models import Campaign, Contact, Salesperson
from crm.contacts.selectors import contact_by_number

from ..models import InteractionGroup, InteractionTemplate
from ..selectors.purge import PurgeFilter
from .widgets import DateInput


class PurgeFilterForm(forms.Form):
    entry_from = forms.IntegerField(label=_("Entry no. from"), min_value=1, required=False)
    entry_to = forms.IntegerField(label=_("Entry no. to"), min_value=1, required=False)
    date_from = forms.DateField(label=_("Date from"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("Date to"), required=False, widget=DateInput)
    contact = forms.CharField(label=_("Contact no."), max_length=20, required=False)
    template = forms.ModelChoiceField(
        InteractionTemplate.objects.all(), label=_("Interaction template"), required=False, empty_label=_("All")
    )
    group = forms.ModelChoiceField(
        InteractionGroup.objects.all(), label=_("Interaction group"), required=False, empty_label=_("All")
    )
    salesperson = forms.ModelChoiceField(
        Salesperson.objects.all(), label=_("Salesperson"), required=False, empty_label=_("All")
    )
    campaign = forms.ModelChoiceField(Campaign.objects.all(), label=_("Campaign"), required=False, empty_label=_("All"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            if self.is_bound and name in self.errors:
                css += " is-invalid"
            field.widget.attrs["class"] = css

    def clean_contact(self) -> Contact | None:
        number = self.cleaned_data["contact"].strip()
        if not number:
            return None
        contact = contact_by_number(number)
        if contact is None:
            raise forms.ValidationError(_("There is no contact %(number)s."), params={"number": number}, code="unknown")
        return contact

    def clean(self):
        cleaned = super().clean()
        entry_from, entry_to = cleaned.get("entry_from"), cleaned.get("entry_to")
        if entry_from and entry_to and entry_from > entry_to:
            self.add_error("entry_to", _("The last entry number cannot be lower than the first."))
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", _("The end date cannot be before the start date."))
        return cleaned

    def purge_filter(self) -> PurgeFilter:
        data = self.cleaned_data

        def pk(name):
            return data[name].pk if data.get(name) else None

        return PurgeFilter(
            entry_from=data.get("entry_from"),
            entry_to=data.get("entry_to"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            contact_id=pk("contact"),
            template_id=pk("template"),
            group_id=pk("group"),
            salesperson_id=pk("salesperson"),
            campaign_id=pk("campaign"),
        )

    def chosen(self) -> list[tuple[str, str]]:
        """(label, value) of every filter set, for the confirmation page."""
        return [
            (str(self.fields[name].label), str(value))
            for name, value in self.cleaned_data.items()
            if value not in (None, "")
        ]
