"""Every non-trivial read of the interactions module: statistics and filtered log querysets."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from crm.contacts.models import Contact

from .models import InitiatedBy, InteractionLogEntry


@dataclass(frozen=True)
class InteractionTotals:
    """Number of interactions, total cost and total duration (minutes)."""

    count: int = 0
    cost: Decimal = Decimal("0")
    duration: int = 0


@dataclass(frozen=True)
class ContactStatistics(InteractionTotals):
    last_interaction_date: datetime.date | None = None
    last_attempted_date: datetime.date | None = None


def counted_entries(
    *, date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> QuerySet[InteractionLogEntry]:
    """The entries that statistics count: neither canceled nor postponed, in the date range."""
    entries = InteractionLogEntry.objects.filter(canceled=False, postponed=False)
    if date_from:
        entries = entries.filter(date__gte=date_from)
    if date_to:
        entries = entries.filter(date__lte=date_to)
    return entries


_TOTALS = {
    "count": Count("entry_no"),
    "cost": Coalesce(Sum("cost"), Decimal("0")),
    "duration": Coalesce(Sum("duration"), 0),
}


def totals(entries: QuerySet[InteractionLogEntry]) -> InteractionTotals:
    return InteractionTotals(**entries.aggregate(**_TOTALS))


def totals_by(
    field: str, *, date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> dict[int, InteractionTotals]:
    """Totals per value of `field` ("template", "group" or "salesperson") in one query."""
    rows = (
        counted_entries(date_from=date_from, date_to=date_to)
        .filter(**{f"{field}__isnull": False})
        .values(f"{field}_id")
        .annotate(**_TOTALS)
        .order_by()
    )
    return {row.pop(f"{field}_id"): InteractionTotals(**row) for row in rows}


def contact_statistics(
    contact: Contact, *, date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> ContactStatistics:
    """A company's figures include those of its persons; a person's only its own."""
    entries = counted_entries(date_from=date_from, date_to=date_to)
    if contact.is_company:
        entries = entries.filter(contact_company=contact)
    else:
        entries = entries.filter(contact=contact)
    figures = entries.aggregate(
        **_TOTALS,
        last_interaction_date=Max("date", filter=Q(attempt_failed=False)),
        last_attempted_date=Max("date", filter=Q(initiated_by=InitiatedBy.US)),
    )
    return ContactStatistics(**figures)
