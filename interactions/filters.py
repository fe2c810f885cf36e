"""Filter forms (django-filter) of the interactions module."""

import functools

import django_filters
from django.utils.translation import gettext_lazy as _

from crm.contacts.selectors import contact_by_number
from crm.documents.types import DocumentType
from crm.forms import style_form

from .forms.widgets import DateInput
from .models import Evaluation, InformationFlow, InteractionLogEntry
from .selectors.log import FILTER_CHOICE_MODELS, log_filter_choices, search_log

YES_NO = [("true", _("Yes")), ("false", _("No"))]


def _contact_id(number: str) -> int:
    """Resolve a contact number (typed in any case) to its id first, so that the log query
    compares a constant with an indexed column (the planner then always uses the contact's
    index); -1 matches nothing when the number is unknown."""
    contact = contact_by_number(number)
    return contact.pk if contact is not None else -1


class InteractionLogFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label=_("Search"), max_length=100)
    contact = django_filters.CharFilter(method="filter_contact", label=_("Contact no."), max_length=20)
    contact_company = django_filters.CharFilter(
        method="filter_contact_company", label=_("Contact company no."), max_length=20
    )
    salesperson = django_filters.ChoiceFilter(empty_label=_("All"), label=_("Salesperson"))
    template = django_filters.ChoiceFilter(empty_label=_("All"), label=_("Interaction template"))
    group = django_filters.ChoiceFilter(empty_label=_("All"), label=_("Interaction group"))
    campaign = django_filters.ChoiceFilter(empty_label=_("All"), label=_("Campaign"))
    segment = django_filters.CharFilter(field_name="segment_number", label=_("Segment no."), max_length=20)
    logged_segment = django_filters.NumberFilter(
        field_name="logged_segment_id", label=_("Logged segment no."), min_value=1, max_value=2**62
    )
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("From"), widget=DateInput)
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("To"), widget=DateInput)
    document_type = django_filters.ChoiceFilter(
        empty_label=_("All"), choices=DocumentType.choices[1:], label=_("Document type")
    )
    evaluation = django_filters.ChoiceFilter(
        empty_label=_("All"), choices=Evaluation.choices[1:], label=_("Evaluation")
    )
    information_flow = django_filters.ChoiceFilter(
        empty_label=_("All"), choices=InformationFlow.choices[1:], label=_("Information flow")
    )
    canceled = django_filters.ChoiceFilter(
        choices=YES_NO, method="filter_canceled", label=_("Canceled"), empty_label=_("All")
    )

    class Meta:
        model = InteractionLogEntry
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The four set-up lists come from one query, run only when a list is needed (the
        # form is shown, or one of them is filtered on); a chosen id is checked against it.
        self._choice_lists = functools.cache(log_filter_choices)
        for name in FILTER_CHOICE_MODELS:
            self.filters[name].extra["choices"] = functools.partial(self._choices_of, name)
        style_form(self.form)

    def _choices_of(self, name: str) -> list[tuple[int, str]]:
        return [(choice.pk, choice.label) for choice in self._choice_lists()[name]]

    def chosen_key(self, name: str) -> str | None:
        """The code (or number) of the salesperson, template, group or campaign filtered on."""
        value = self.form.cleaned_data.get(name) if self.is_bound and self.form.is_valid() else None
        if not value:
            return None
        return next((choice.key for choice in self._choice_lists()[name] if str(choice.pk) == value), None)

    def filter_text(self, queryset, name, value):
        """Words of the description, subject and comments, or a part of a document number
        (selectors/log.py); the entries come annotated with their `search_rank`."""
        return search_log(queryset, value)

    def filter_canceled(self, queryset, name, value):
        return queryset.filter(canceled=value == "true")

    def filter_contact(self, queryset, name, value):
        return queryset.filter(contact_id=_contact_id(value)) if value.strip() else queryset

    def filter_contact_company(self, queryset, name, value):
        return queryset.filter(contact_company_id=_contact_id(value)) if value.strip() else queryset

    def applied_to(self, queryset):
        """This filter applied to another queryset than its own (the log's count reads the
        bare entries, without the page's joins, see selectors.log.bounded_count)."""
        if not self.is_bound:
            return queryset.all()
        self.errors  # noqa: B018 -- validates the form, as `qs` does
        return self.filter_queryset(queryset.all())

    @property
    def active_filters(self) -> dict[str, str]:
        """The filter values in use, as query parameters (for export links and "new interaction")."""
        if not self.is_bound or not self.form.is_valid():
            return {}
        return {name: self.data[name] for name in self.form.fields if self.data.get(name) not in (None, "")}
