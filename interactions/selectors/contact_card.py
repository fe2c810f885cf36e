"""Reads of the contact card's panels: the timeline (filtered, a page at a time) and, for a
company, its persons with each one's latest interaction.

The timeline pages by keyset, never by offset: a page is the entries after the last one
shown in the order (date, time, entry no.), newest first, an entry without a time last in
its day (as `statistics.contact_timeline`). The cursor is that last entry's (date, time,
entry no.); the next page reads on from it in the contact's index, however far down.
"""

import datetime
from dataclasses import dataclass

from django.db.models import F, OuterRef, Q, QuerySet, Subquery

from crm.contacts.models import Contact

from ..models import InteractionLogEntry

TIMELINE_PAGE_SIZE = 25


@dataclass(frozen=True)
class TimelineCursor:
    date: datetime.date
    time: datetime.time | None
    entry_no: int

    def encode(self) -> str:
        time = self.time.strftime("%H%M%S") if self.time is not None else "-"
        return f"{self.date:%Y%m%d}.{time}.{self.entry_no}"

    @classmethod
    def decode(cls, text: str | None) -> "TimelineCursor | None":
        """The cursor of a page's address; None for anything that is not one (the first page)."""
        try:
            date, time, number = (text or "").split(".")
            entry_no = int(number)
            if not 0 < entry_no < 2**63:
                return None
            return cls(
                date=datetime.datetime.strptime(date, "%Y%m%d").date(),
                time=None if time == "-" else datetime.datetime.strptime(time, "%H%M%S").time(),
                entry_no=entry_no,
            )
        except ValueError:
            return None

    @classmethod
    def of(cls, entry: InteractionLogEntry) -> "TimelineCursor":
        return cls(date=entry.date, time=entry.time, entry_no=entry.entry_no)


@dataclass(frozen=True)
class TimelinePage:
    entries: list[InteractionLogEntry]
    next_cursor: TimelineCursor | None  # None: this is the last page


def _contact_entries(contact: Contact) -> QuerySet[InteractionLogEntry]:
    """A company's entries include its persons'; a person's are its own (postponed ones are
    drafts, not in the log)."""
    entries = InteractionLogEntry.objects.filter(postponed=False)
    return entries.filter(contact_company=contact) if contact.is_company else entries.filter(contact=contact)


def _after(cursor: TimelineCursor) -> Q:
    """The entries that come after `cursor` in the order date desc, time desc (no time
    last), entry no. desc."""
    same_day = Q(date=cursor.date)
    if cursor.time is None:
        later_in_day = Q(time__isnull=True, entry_no__lt=cursor.entry_no)
    else:
        later_in_day = (
            Q(time__lt=cursor.time) | Q(time__isnull=True) | Q(time=cursor.time, entry_no__lt=cursor.entry_no)
        )
    return Q(date__lt=cursor.date) | (same_day & later_in_day)


def timeline_page(
    contact: Contact,
    *,
    group_id: int | None = None,
    information_flow: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    after: TimelineCursor | None = None,
    size: int = TIMELINE_PAGE_SIZE,
) -> TimelinePage:
    """One page of the contact's timeline, canceled entries included (the page marks them),
    filtered by interaction group, information flow and period; one query."""
    entries = _contact_entries(contact)
    if group_id is not None:
        entries = entries.filter(group_id=group_id)
    if information_flow:
        entries = entries.filter(information_flow=information_flow)
    if date_from is not None:
        entries = entries.filter(date__gte=date_from)
    if date_to is not None:
        entries = entries.filter(date__lte=date_to)
    if after is not None:
        entries = entries.filter(_after(after))
    rows = list(
        entries.select_related("contact", "template", "group", "salesperson").order_by(
            "-date", F("time").desc(nulls_last=True), "-entry_no"
        )[: size + 1]
    )
    more = len(rows) > size
    rows = rows[:size]
    return TimelinePage(entries=rows, next_cursor=TimelineCursor.of(rows[-1]) if more and rows else None)


def persons_with_latest_interaction(company: Contact) -> list[Contact]:
    """The company's persons by name, each with its latest interaction in the log (neither
    canceled nor postponed) as `latest_entry_no`, `latest_date`, `latest_time`,
    `latest_description` and `latest_flow` (None without any): one query, each person's
    latest read from the contact's index."""
    latest = (
        InteractionLogEntry.objects.filter(contact=OuterRef("pk"), postponed=False, canceled=False)
        .order_by("-date", F("time").desc(nulls_last=True), "-entry_no")
    )  # fmt: skip
    return list(
        Contact.objects.filter(company=company)
        .select_related("salesperson")
        .annotate(
            latest_entry_no=Subquery(latest.values("entry_no")[:1]),
            latest_date=Subquery(latest.values("date")[:1]),
            latest_time=Subquery(latest.values("time")[:1]),
            latest_description=Subquery(latest.values("description")[:1]),
            latest_flow=Subquery(latest.values("information_flow")[:1]),
        )
        .order_by("name", "pk")
    )
