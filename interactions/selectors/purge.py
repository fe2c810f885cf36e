"""Reads of the purge: which canceled entries a purge deletes, and how many.

The count the purge page shows (and the dry run, and a purge's progress) would otherwise
count canceled entries in the log, which grows with the log. The day summary counts the
canceled entries per day, template, group, salesperson and campaign (models/summaries.py,
kept exact by services/summaries.py, the purge included), so a filter on only those is
answered by adding a few summary rows; a filter on what the summary does not know (entry
numbers, contact, time of cancellation) counts in the log, on its indexes."""

import dataclasses
import datetime
from typing import Any

from django.db.models import QuerySet, Sum
from django.db.models.functions import Coalesce

from ..models import InteractionDaySummary, InteractionLogEntry


@dataclasses.dataclass(frozen=True, kw_only=True)
class PurgeFilter:
    """Which canceled entries a purge deletes; every bound is inclusive, None means "any".

    Shared by the service, the command, the task (through `to_dict`/`from_dict`, since task
    arguments travel as JSON) and the page's form.
    """

    entry_from: int | None = None
    entry_to: int | None = None
    contact_id: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    campaign_id: int | None = None
    group_id: int | None = None
    template_id: int | None = None
    salesperson_id: int | None = None
    # Entries canceled before this moment (the nightly schedule's "more than N days ago").
    # An entry without a cancellation time is not known to be old, so it does not match.
    canceled_before: datetime.datetime | None = None

    def apply(self, entries: QuerySet[InteractionLogEntry]) -> QuerySet[InteractionLogEntry]:
        conditions = {
            "entry_no__gte": self.entry_from,
            "entry_no__lte": self.entry_to,
            "contact_id": self.contact_id,
            "date__gte": self.date_from,
            "date__lte": self.date_to,
            "campaign_id": self.campaign_id,
            "group_id": self.group_id,
            "template_id": self.template_id,
            "salesperson_id": self.salesperson_id,
            "canceled_changed_at__lt": self.canceled_before,
        }
        return entries.filter(**{lookup: value for lookup, value in conditions.items() if value is not None})

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: dates and times as ISO strings, unset bounds left out."""
        return {
            name: value.isoformat() if isinstance(value, datetime.date) else value
            for name, value in dataclasses.asdict(self).items()
            if value is not None
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "PurgeFilter":
        values = dict(data or {})
        unknown = set(values) - {field.name for field in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown purge filter fields: {sorted(unknown)}")
        for name in ("date_from", "date_to"):
            if isinstance(values.get(name), str):
                values[name] = datetime.date.fromisoformat(values[name])
        if isinstance(values.get("canceled_before"), str):
            values["canceled_before"] = datetime.datetime.fromisoformat(values["canceled_before"])
        return cls(**values)


# The bounds the day summary knows (its date and its key): a filter with no other bound is
# counted from it. Entry numbers, the contact and the time of cancellation are not in it.
SUMMARY_BOUNDS = frozenset({"date_from", "date_to", "campaign_id", "group_id", "template_id", "salesperson_id"})


def counted_by_summary(filters: PurgeFilter) -> bool:
    """True when the day summary answers how many entries `filters` matches."""
    return all(
        getattr(filters, field.name) is None
        for field in dataclasses.fields(filters)
        if field.name not in SUMMARY_BOUNDS
    )


def canceled_entries(*, filters: PurgeFilter) -> QuerySet[InteractionLogEntry]:
    """The entries a purge with `filters` would delete: canceled ones (postponed or not)."""
    return filters.apply(InteractionLogEntry.objects.filter(canceled=True))


def canceled_entry_count(*, filters: PurgeFilter) -> int:
    """How many entries a purge with `filters` would delete: from the day summary's canceled
    counts when the filter allows it (date range, campaign, group, template, salesperson),
    otherwise from the log (entry numbers, contact and cancellation time are not in the
    summary)."""
    if not counted_by_summary(filters):
        return canceled_entries(filters=filters).count()
    # The summary's rows have the log's names for the bounds it knows (date, the key's ids).
    rows = filters.apply(InteractionDaySummary.objects.all())
    return rows.aggregate(canceled=Coalesce(Sum("canceled"), 0))["canceled"]
