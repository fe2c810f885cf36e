import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from .models import Campaign, Contact


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


class CampaignTable(tables.Table):
    number = tables.Column(verbose_name=_("No."), linkify=True)
    description = tables.Column(verbose_name=_("Description"), linkify=True)
    starting_date = tables.DateColumn(verbose_name=_("Starting date"), short=True)
    ending_date = tables.DateColumn(verbose_name=_("Ending date"), short=True)
    salesperson = tables.Column(verbose_name=_("Salesperson"), accessor="salesperson__code", default="")
    status = tables.Column(verbose_name=_("Status"), accessor="status", orderable=False)

    class Meta:
        model = Campaign
        fields: list[str] = []
        sequence = ("number", "description", "starting_date", "ending_date", "salesperson", "status")
        attrs = {"class": "table table-sm table-hover align-middle", "id": "campaigns"}
        empty_text = _("No campaigns yet.")
