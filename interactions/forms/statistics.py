"""Forms of the statistics pages (totals by template, group and salesperson)."""

import datetime
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class PeriodForm(forms.Form):
    """The date range of the totals pages; both ends optional and included."""

    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError(_("The start date is after the end date."), code="period_reversed")
        return data

    @property
    def period(self) -> tuple[datetime.date | None, datetime.date | None]:
        """(date_from, date_to) to count, or (None, None), that is all dates, while the form
        has errors: the page then says so next to the errors."""
        if not self.is_bound or not self.is_valid():
            return None, None
        return self.cleaned_data["date_from"], self.cleaned_data["date_to"]

    @property
    def query(self) -> str:
        """The valid period as a query string ("date_from=...&date_to=..."), for links."""
        date_from, date_to = self.period
        return urlencode(
            {name: value.isoformat() for name, value in [("date_from", date_from), ("date_to", date_to)] if value}
        )
