import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.contacts.models import Salesperson
from crm.forms import style_form

from .models import Customer, Document, Vendor
from .types import DocumentKind


class DocumentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"), max_length=100)
    kind = django_filters.ChoiceFilter(choices=DocumentKind.choices, label=_("Kind"))
    customer = django_filters.ModelChoiceFilter(
        queryset=Customer.objects.order_by("name"), to_field_name="number", label=_("Customer")
    )
    vendor = django_filters.ModelChoiceFilter(
        queryset=Vendor.objects.order_by("name"), to_field_name="number", label=_("Vendor")
    )
    salesperson = django_filters.ModelChoiceFilter(
        queryset=Salesperson.objects.order_by("code"), to_field_name="code", label=_("Salesperson")
    )
    date_from = django_filters.DateFilter(
        field_name="date", lookup_expr="gte", label=_("Date from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = django_filters.DateFilter(
        field_name="date", lookup_expr="lte", label=_("Date to"), widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = Document
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self.form)

    def search(self, queryset, name, value):
        """The number, or words of the description: what a user has at hand."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__iexact=value) | Q(description__icontains=value))
