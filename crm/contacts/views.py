from django.contrib.auth.decorators import permission_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from crm.paging import DeferredJoinTableData, SafePaginator

from .filters import ContactFilter
from .models import Campaign, Contact
from .selectors import contact_by_number
from .tables import CampaignTable, ContactTable


@permission_required("contacts.view_contact", raise_exception=True)
def contact_list(request):
    filterset = ContactFilter(
        request.GET or None, queryset=Contact.objects.select_related("company", "salesperson").order_by("number")
    )
    contacts = filterset.qs if not filterset.is_bound or filterset.is_valid() else Contact.objects.none()
    table = ContactTable(DeferredJoinTableData(contacts))
    RequestConfig(request, paginate={"paginator_class": SafePaginator, "per_page": 50}).configure(table)
    return render(request, "contacts/contact_list.html", {"filter": filterset, "table": table})


@permission_required("contacts.view_contact", raise_exception=True)
def contact_detail(request, number: str):
    """The contact card. Panels of other modules (the interactions) are added by the
    project's template, which extends this app's one."""
    contact = contact_by_number(number)
    if contact is None:
        raise Http404(_("There is no such contact."))
    persons = contact.persons.select_related("salesperson").order_by("name") if contact.is_company else []
    return render(request, "contacts/contact_detail.html", {"contact": contact, "persons": persons})


@permission_required("contacts.view_campaign", raise_exception=True)
def campaign_list(request):
    table = CampaignTable(Campaign.objects.select_related("salesperson").order_by("number"))
    RequestConfig(request, paginate={"paginator_class": SafePaginator, "per_page": 50}).configure(table)
    return render(request, "contacts/campaign_list.html", {"table": table})


@permission_required("contacts.view_campaign", raise_exception=True)
def campaign_detail(request, number: str):
    """The campaign card. Panels of other modules (its segments, interactions and their
    statistics) fill the slots of the project's template, which extends this app's one."""
    campaign = Campaign.objects.select_related("salesperson").filter(number=number.strip().upper()).first()
    if campaign is None:
        raise Http404(_("There is no such campaign."))
    return render(request, "contacts/campaign_detail.html", {"campaign": campaign})
