"""What the contacts app offers the search (crm/search): the contact list, and contacts by
name, number, e-mail or phone.

Phone numbers are searched by their digits alone: a query made only of what phone numbers
are written with (digits, spaces, + - ( ) . /) and holding at least three digits finds the
contacts whose phone or mobile number contains those digits in that order, however either
is written: "495 123", "(495) 123" and "495123" all find "+7 (495) 123-45-67". A trunk
prefix is not translated ("8 495" does not find "+7 495"): type the digits that follow it.

Substrings (of a name, an e-mail, a number, a phone's digits) are searched from three
characters on, which PostgreSQL's trigram indexes serve (migration 0004); a shorter query
finds the contact with exactly that number.
"""

import functools
import operator

from django.db.models import Case, CharField, F, Func, IntegerField, Q, Value, When
from django.db.models.lookups import Contains
from django.utils.translation import gettext_lazy as _

from crm import search

from .models import Campaign, Contact

VIEW_CONTACTS = "contacts.view_contact"
VIEW_CAMPAIGNS = "contacts.view_campaign"
SUBSTRING_MIN_LENGTH = 3
# Characters phone numbers are written with, besides digits: dropped before comparing.
PHONE_PUNCTUATION = " -()+./"


class PhoneDigits(Func):
    """The digits of a contact's phone and mobile numbers, a comma between the two (so that
    no match runs from one into the other). On PostgreSQL exactly the expression of the
    trigram index `contact_phone_digits_trgm` (migration 0004); elsewhere the punctuation
    phone numbers are written with is removed."""

    arg_joiner = " || ',' || "
    template = "regexp_replace((%(expressions)s), '[^0-9,]', '', 'g')"
    output_field = CharField()

    def __init__(self):
        super().__init__(F("phone"), F("mobile"))

    def as_sql(self, compiler, connection, **extra_context):
        if connection.vendor == "postgresql":
            return super().as_sql(compiler, connection, **extra_context)
        template = "(%(expressions)s)"
        for character in PHONE_PUNCTUATION:
            template = f"REPLACE({template}, '{character}', '')"
        return super().as_sql(compiler, connection, template=template, **extra_context)


def find_contacts(query: search.Query, *, user, limit: int) -> list[search.Result]:
    if not user.has_perm(VIEW_CONTACTS):
        return []
    number = Contact.normalize_number(query.text)
    partial = []
    if query.is_phone_like:
        partial.append(Q(Contains(PhoneDigits(), query.digits)))
    if len(query.text) >= SUBSTRING_MIN_LENGTH:
        partial += [Q(name__icontains=query.text), Q(email__icontains=query.text), Q(number__icontains=query.text)]
    matches = search.matching(
        Contact, exact=Q(number=number), partial=functools.reduce(operator.or_, partial) if partial else None
    )
    contacts = (
        Contact.objects.filter(matches)
        .select_related("company")
        .annotate(
            rank=Case(
                When(number=number, then=Value(0)),
                When(name__istartswith=query.text, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "name", "number")
        .only("number", "name", "type", "phone", "mobile", "email", "company__name")[:limit]
    )
    return [
        search.Result(
            kind="contacts",
            title=contact.name,
            url=contact.get_absolute_url(),
            detail=" · ".join(
                part
                for part in (
                    contact.number,
                    contact.company.name if contact.company_id else "",
                    contact.phone or contact.mobile,
                    contact.email,
                )
                if part
            ),
        )
        for contact in contacts
    ]


def find_campaigns(query: search.Query, *, user, limit: int) -> list[search.Result]:
    """Campaigns by number or description: a short table, searched as typed."""
    if not user.has_perm(VIEW_CAMPAIGNS):
        return []
    matches = Q(number__iexact=query.text)
    if len(query.text) >= SUBSTRING_MIN_LENGTH:
        matches |= Q(number__icontains=query.text) | Q(description__icontains=query.text)
    campaigns = Campaign.objects.filter(matches).order_by("number").only("number", "description")[:limit]
    return [
        search.Result(
            kind="campaigns", title=campaign.description, url=campaign.get_absolute_url(), detail=campaign.number
        )
        for campaign in campaigns
    ]


def register() -> None:
    search.register_page(
        "contacts:list",
        name=_("Contacts"),
        permissions=[VIEW_CONTACTS],
        keywords=["Contacts", "Contact List", "Контакты", "Список контактов", "Контакт"],
        order=10,
    )
    search.register_records("contacts", label=_("Contacts"), find=find_contacts, order=10)
    search.register_page(
        "contacts:campaigns",
        name=_("Campaigns"),
        permissions=[VIEW_CAMPAIGNS],
        keywords=["Campaigns", "Campaign List", "Кампании", "Список кампаний", "Кампания"],
        order=15,
    )
    search.register_records("campaigns", label=_("Campaigns"), find=find_campaigns, order=15)
