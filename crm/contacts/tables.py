import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from .models import Contact


class ContactTable(tables.Table):
    number = tables.Column(verbose_name=_("No."), linkify=True)
    name = tables.Column(verbose_name=_("Name"), linkify=True)
    type = tables.Column(verbose_name=_("Type"))
    company = tables.Column(verbose_name=_("Company"), accessor="company__name", order_by=("company__name", "name"))
    city = tables.Column(verbose_name=_("City"))
    phone = tables.Column(verbose_name=_("Phone"), orderable=False)
    email = tables.EmailColumn(verbose_name=_("E-mail"), orderable=False)
    salesperson = tables.Column(verbose_name=_("Salesperson"), accessor="salesperson__code")

    class Meta:
        model = Contact
        fields: list[str] = []
        sequence = ("number", "name", "type", "company", "city", "phone", "email", "salesperson")
        attrs = {"class": "table table-sm table-hover align-middle", "id": "contacts"}
        empty_text = _("No contacts match the search.")
