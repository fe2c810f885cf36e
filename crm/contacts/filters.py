import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.forms import style_form

from .models import Contact, CorrespondenceType, Language, Salesperson


class ContactFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"), max_length=100)
    type = django_filters.ChoiceFilter(empty_label=_("All"), choices=Contact.Type.choices, label=_("Type"))
    salesperson = django_filters.ModelChoiceFilter(
        empty_label=_("All"), queryset=Salesperson.objects.order_by("code"), label=_("Salesperson")
    )
    city = django_filters.CharFilter(lookup_expr="icontains", label=_("City"), max_length=50)
    language = django_filters.ChoiceFilter(empty_label=_("All"), choices=Language.choices, label=_("Language"))
    correspondence_type = django_filters.ChoiceFilter(
        empty_label=_("All"), choices=CorrespondenceType.choices[1:], label=_("Correspondence type")
    )

    class Meta:
        model = Contact
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self.form)

    def search(self, queryset, name, value):
        """Name, number, e-mail or phone: what a salesperson has at hand when looking someone up."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(number=Contact.normalize_number(value))
            | Q(email__icontains=value)
            | Q(phone__icontains=value)
            | Q(mobile__icontains=value)
        )
