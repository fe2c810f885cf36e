"""Reads of the statistics: totals by template, group and salesperson, contact statistics
and timeline, the dashboard's figures.

The figures come from the summary tables (models/summaries.py), which the services keep
exact: a page reads a few summary rows, not the log. A date range is answered by the day
summary (exact to the day); a contact's, by its months and, for the months the range cuts,
by the contact's entries of those days in the log."""

import datetime
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from crm.contacts.models import Contact, Salesperson

from ..models import (
    CompanyMonthSummary,
    ContactMonthSummary,
    InitiatedBy,
    InteractionDaySummary,
    InteractionGroup,
    InteractionLogEntry,
    InteractionTemplate,
)
from .purge import PurgeFilter, canceled_entry_count


@dataclass(frozen=True)
class InteractionTotals:
    """Number of interactions, total cost and total duration (minutes)."""

    count: int = 0
    cost: Decimal = Decimal("0")
    duration: int = 0

    def __post_init__(self):
        # SQLite sums decimals as floats: always hand out cents.
        object.__setattr__(self, "cost", Decimal(str(self.cost)).quantize(Decimal("0.01")))


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


# The same figures summed over summary rows.
SUMMARY_TOTALS = {
    "count": Coalesce(Sum("count"), 0),
    "cost": Coalesce(Sum("cost"), Decimal("0")),
    "duration": Coalesce(Sum("duration"), 0),
}


def day_summaries(
    *, date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> QuerySet[InteractionDaySummary]:
    """The day summary's rows in the date range (the counted entries of those days)."""
    rows = InteractionDaySummary.objects.all()
    if date_from:
        rows = rows.filter(date__gte=date_from)
    if date_to:
        rows = rows.filter(date__lte=date_to)
    return rows


def totals_by(
    field: str, *, date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> dict[int, InteractionTotals]:
    """Totals per value of `field` ("template", "group" or "salesperson") in one query, from
    the day summary."""
    rows = (
        day_summaries(date_from=date_from, date_to=date_to)
        .filter(**{f"{field}__isnull": False})
        .values(f"{field}_id")
        .annotate(**SUMMARY_TOTALS)
        .order_by()
    )
    return {row.pop(f"{field}_id"): InteractionTotals(**row) for row in rows}


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def _contact_months(contact: Contact) -> QuerySet:
    """A company's month summary (its persons' entries included); a person's own."""
    if contact.is_company:
        return CompanyMonthSummary.objects.filter(company=contact)
    return ContactMonthSummary.objects.filter(contact=contact)


def contact_statistics(
    contact: Contact, *, date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> ContactStatistics:
    """A company's figures include those of its persons; a person's only its own. The whole
    months of the range come from the month summary (one query); the days of the months
    the range cuts, from the contact's entries in the log (one more query, only then)."""
    # The whole months inside the range, [low, high) (None: unbounded), from the summary.
    low = date_from if date_from is None or date_from.day == 1 else _next_month(date_from)
    high = None
    if date_to is not None:
        high = (
            _next_month(date_to)
            if _next_month(date_to) - datetime.timedelta(days=1) == date_to
            else date_to.replace(day=1)
        )
    cut_days: list[tuple[datetime.date | None, datetime.date | None]] = []  # inclusive day ranges
    months = _contact_months(contact)
    if low is not None and high is not None and low >= high:
        months, cut_days = months.none(), [(date_from, date_to)]
    else:
        if low is not None:
            months = months.filter(month__gte=low)
            if date_from != low:
                cut_days.append((date_from, low - datetime.timedelta(days=1)))
        if high is not None:
            months = months.filter(month__lt=high)
            if high <= date_to:
                cut_days.append((high, date_to))
    figures = months.aggregate(
        **SUMMARY_TOTALS,
        last_interaction_date=Max("last_interaction_date"),
        last_attempted_date=Max("last_attempted_date"),
    )
    if cut_days:
        # The days of the months the range cuts, from the contact's entries in the log.
        cut = Q()
        for first, last in cut_days:
            cut |= Q(date__gte=first, date__lte=last)
        entries = counted_entries().filter(cut)
        entries = entries.filter(contact_company=contact) if contact.is_company else entries.filter(contact=contact)
        days = entries.aggregate(
            **_TOTALS,
            last_interaction_date=Max("date", filter=Q(attempt_failed=False)),
            last_attempted_date=Max("date", filter=Q(initiated_by=InitiatedBy.US)),
        )
        figures = {
            "count": figures["count"] + days["count"],
            "cost": figures["cost"] + days["cost"],
            "duration": figures["duration"] + days["duration"],
            "last_interaction_date": _latest(figures["last_interaction_date"], days["last_interaction_date"]),
            "last_attempted_date": _latest(figures["last_attempted_date"], days["last_attempted_date"]),
        }
    return ContactStatistics(**figures)


def _latest(*dates: datetime.date | None) -> datetime.date | None:
    present = [day for day in dates if day is not None]
    return max(present) if present else None


def _contact_entries(contact: Contact) -> QuerySet[InteractionLogEntry]:
    """A company's entries include its persons'; a person's are its own."""
    entries = InteractionLogEntry.objects.filter(postponed=False)
    return entries.filter(contact_company=contact) if contact.is_company else entries.filter(contact=contact)


def contact_timeline(contact: Contact, *, limit: int = 40) -> list[InteractionLogEntry]:
    """The newest entries of a contact, canceled ones included (the page marks them)."""
    return list(
        _contact_entries(contact)
        .select_related("contact", "template", "group", "salesperson")
        # An entry without a time comes last in its day, on every database.
        .order_by("-date", F("time").desc(nulls_last=True), "-entry_no")[:limit]
    )


def interactions_per_month(contact: Contact, *, months: int = 24) -> dict:
    """Counted interactions of the last `months` months, as chart labels and values (one query)."""
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - (months - 1)
    first = datetime.date(index // 12, index % 12 + 1, 1)
    rows = _contact_months(contact).filter(month__gte=first).values_list("month", "count")
    counts = {(month.year, month.month): count for month, count in rows}
    labels, values, month = [], [], first
    while month <= today:
        # The month as the language of the page writes it (crm/formats: "Nov 2026").
        labels.append(date_format(month, "YEAR_MONTH_FORMAT"))
        values.append(counts.get((month.year, month.month), 0))
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return {"labels": labels, "values": values}


# Setup and statistics pages: templates, groups and salespeople with their totals, the
# template setup as a page shows it, and the dashboard. Each function runs a fixed number
# of queries whatever the number of rows.


def sum_totals(items: Iterable[InteractionTotals]) -> InteractionTotals:
    count, cost, duration = 0, Decimal("0"), 0
    for item in items:
        count += item.count
        cost += item.cost
        duration += item.duration
    return InteractionTotals(count=count, cost=cost, duration=duration)


@dataclass(frozen=True)
class TemplateWithTotals:
    template: InteractionTemplate
    totals: InteractionTotals


@dataclass(frozen=True)
class GroupOfTemplates:
    group: InteractionGroup
    templates: list[TemplateWithTotals]
    subtotal: InteractionTotals


def templates_by_group_with_totals(
    *, date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> list[GroupOfTemplates]:
    """Every template, by group, with its totals; each group's subtotal is the sum of its
    templates' rows, so that the page adds up. Two queries whatever the number of templates."""
    by_template = totals_by("template", date_from=date_from, date_to=date_to)
    templates = InteractionTemplate.objects.select_related("group").order_by("group__code", "code")
    groups = []
    for group, members in itertools.groupby(templates, key=lambda template: template.group):
        rows = [TemplateWithTotals(t, by_template.get(t.pk, InteractionTotals())) for t in members]
        groups.append(GroupOfTemplates(group, rows, sum_totals(row.totals for row in rows)))
    return groups


@dataclass(frozen=True)
class GroupWithTotals:
    group: InteractionGroup
    template_count: int
    totals: InteractionTotals


def groups_with_totals(
    *, date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> list[GroupWithTotals]:
    """Every group with its number of templates and its totals. A group's totals count the
    entries recorded under it (an entry keeps its group when its template later moves to
    another group, as in the original). Two queries."""
    by_group = totals_by("group", date_from=date_from, date_to=date_to)
    groups = InteractionGroup.objects.annotate(template_count=Count("templates")).order_by("code")
    return [GroupWithTotals(g, g.template_count, by_group.get(g.pk, InteractionTotals())) for g in groups]


@dataclass(frozen=True)
class SalespersonWithTotals:
    salesperson: Salesperson
    totals: InteractionTotals


def salespeople_with_totals(
    *, date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> list[SalespersonWithTotals]:
    """Every salesperson with the totals of the entries recorded for them. Two queries."""
    by_salesperson = totals_by("salesperson", date_from=date_from, date_to=date_to)
    return [
        SalespersonWithTotals(person, by_salesperson.get(person.pk, InteractionTotals()))
        for person in Salesperson.objects.order_by("code")
    ]


def template_totals(
    template: InteractionTemplate,
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> InteractionTotals:
    rows = day_summaries(date_from=date_from, date_to=date_to).filter(template=template)
    return InteractionTotals(**rows.aggregate(**SUMMARY_TOTALS))


def group_totals(group: InteractionGroup) -> InteractionTotals:
    """The totals of the entries recorded under `group` (the day summary's rows)."""
    return InteractionTotals(**day_summaries().filter(group=group).aggregate(**SUMMARY_TOTALS))


@dataclass(frozen=True)
class WeeklyDataset:
    group_code: str
    label: str
    counts: list[int]


@dataclass(frozen=True)
class WeeklyInteractions:
    """Counted interactions per week (weeks start on Monday) and group, oldest week first."""

    weeks: list[datetime.date]
    datasets: list[WeeklyDataset]

    @property
    def total(self) -> int:
        return sum(sum(dataset.counts) for dataset in self.datasets)


def interactions_per_week_by_group(*, weeks: int = 26, today: datetime.date | None = None) -> WeeklyInteractions:
    """The last `weeks` weeks up to and including the current one, aggregated by the
    database in one query; weeks without entries count 0."""
    today = today or timezone.localdate()
    this_week = today - datetime.timedelta(days=today.weekday())
    first_week = this_week - datetime.timedelta(weeks=weeks - 1)
    week_starts = [first_week + datetime.timedelta(weeks=n) for n in range(weeks)]
    rows = (
        day_summaries(date_from=first_week, date_to=this_week + datetime.timedelta(days=6))
        .filter(count__gt=0)
        .annotate(week=TruncWeek("date"))
        .values("week", "group__code", "group__description")
        .annotate(count=Sum("count"))
        .order_by()
    )
    position = {week: index for index, week in enumerate(week_starts)}
    by_group: dict[str, tuple[str, list[int]]] = {}
    for row in rows:
        week = row["week"]
        if isinstance(week, datetime.datetime):  # some backends truncate to a timestamp
            week = week.date()
        code = row["group__code"] or ""
        label = row["group__description"] or row["group__code"] or str(_("(no group)"))
        counts = by_group.setdefault(code, (label, [0] * weeks))[1]
        counts[position[week]] += row["count"]
    # Groups in code order; entries without a group last.
    ordered = sorted(by_group.items(), key=lambda item: (item[0] == "", item[0]))
    return WeeklyInteractions(
        weeks=week_starts,
        datasets=[WeeklyDataset(code, label, counts) for code, (label, counts) in ordered],
    )


@dataclass(frozen=True)
class DashboardFigures:
    interactions_this_month: int
    canceled_awaiting_purge: int
    postponed_of_user: int


def dashboard_figures(*, user, today: datetime.date | None = None) -> DashboardFigures:
    """Three counts, none of them a scan of the log: this month's and the canceled entries
    from the day summary (the same count as the purge page's), the user's postponed ones
    from their partial index."""
    today = today or timezone.localdate()
    month_start = today.replace(day=1)
    next_month = (month_start + datetime.timedelta(days=32)).replace(day=1)
    return DashboardFigures(
        interactions_this_month=day_summaries(
            date_from=month_start, date_to=next_month - datetime.timedelta(days=1)
        ).aggregate(count=Coalesce(Sum("count"), 0))["count"],
        canceled_awaiting_purge=canceled_entry_count(filters=PurgeFilter()),
        postponed_of_user=InteractionLogEntry.objects.filter(postponed=True, user=user).count()
        if user.is_authenticated
        else 0,
    )
