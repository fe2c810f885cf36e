"""Reads of the segment pages: segment criteria (what they are, how they are stored, which
contacts they match) and the segment and logged segment lists."""

import dataclasses
import datetime
import re
from typing import Any

from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.functions import Coalesce
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from crm.contacts.models import Contact

from ..models import (
    Evaluation,
    InteractionLogEntry,
    LoggedSegment,
    Segment,
    SegmentCriteriaStep,
    SegmentLine,
)


class History:
    """Whether contacts must have, or must not have, interactions matching the history fields."""

    ANY = ""
    WITH = "with"
    WITHOUT = "without"


class CanceledEntries:
    """Which entries the history criteria look at."""

    NOT_CANCELED = "no"
    CANCELED = "yes"
    ALL = "any"


@dataclasses.dataclass(frozen=True)
class SegmentCriteria:
    """Criteria on contact fields and on the contacts' interaction history. Empty fields do
    not restrict. Related rows are named by their codes (company and campaign by number),
    not ids: saved criteria stay readable and survive a database copy."""

    contact_type: str = ""
    company: str = ""  # a company's number: that company and its persons
    salesperson: str = ""  # code
    language: str = ""
    city: str = ""
    country: str = ""
    correspondence_type: str = ""
    name: str = ""  # pattern, see text_condition
    email: str = ""  # pattern
    history: str = History.ANY
    history_template: str = ""  # template code
    history_group: str = ""  # group code
    history_date_from: datetime.date | None = None
    history_date_to: datetime.date | None = None
    history_evaluation: str = ""
    history_campaign: str = ""  # campaign number
    history_canceled: str = CanceledEntries.NOT_CANCELED

    def to_dict(self) -> dict[str, Any]:
        """The criteria as stored in JSON: only what restricts, dates in ISO format."""
        data = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value in ("", None) or value == field.default:
                continue
            data[field.name] = value.isoformat() if isinstance(value, datetime.date) else value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "SegmentCriteria":
        """Criteria read back from JSON; unknown keys (from an older version) are ignored."""
        data = data or {}
        values = {}
        for field in dataclasses.fields(cls):
            if field.name not in data or data[field.name] in (None, ""):
                continue
            value = data[field.name]
            if field.name in ("history_date_from", "history_date_to") and isinstance(value, str):
                value = datetime.date.fromisoformat(value)
            values[field.name] = value
        return cls(**values)

    @property
    def has_history_condition(self) -> bool:
        return self.history in (History.WITH, History.WITHOUT)

    def describe(self) -> str:
        """The criteria in words, for the list of steps and saved criteria."""
        parts = []
        labels = {
            "contact_type": _("type"),
            "company": _("company"),
            "salesperson": _("salesperson"),
            "language": _("language"),
            "city": _("city"),
            "country": _("country"),
            "correspondence_type": _("correspondence type"),
            "name": _("name"),
            "email": _("e-mail"),
        }
        choices = {
            "contact_type": dict(Contact.Type.choices),
            "language": dict(Contact._meta.get_field("language").choices),
            "correspondence_type": dict(Contact._meta.get_field("correspondence_type").choices),
        }
        for name, label in labels.items():
            value = getattr(self, name)
            if value:
                shown = choices.get(name, {}).get(value, value)
                parts.append(f"{label}: {shown}")
        if self.has_history_condition:
            history = []
            if self.history_template:
                history.append(_("template %(code)s") % {"code": self.history_template})
            if self.history_group:
                history.append(_("group %(code)s") % {"code": self.history_group})
            if self.history_date_from:
                history.append(_("from %(date)s") % {"date": date_format(self.history_date_from)})
            if self.history_date_to:
                history.append(_("to %(date)s") % {"date": date_format(self.history_date_to)})
            if self.history_evaluation:
                history.append(
                    _("evaluated %(evaluation)s")
                    % {"evaluation": dict(Evaluation.choices).get(self.history_evaluation, self.history_evaluation)}
                )
            if self.history_campaign:
                history.append(_("campaign %(number)s") % {"number": self.history_campaign})
            if self.history_canceled == CanceledEntries.CANCELED:
                history.append(_("canceled"))
            elif self.history_canceled == CanceledEntries.ALL:
                history.append(_("canceled or not"))
            what = " ".join(history) or _("of any kind")
            if self.history == History.WITH:
                parts.append(_("with interactions %(what)s") % {"what": what})
            else:
                parts.append(_("without interactions %(what)s") % {"what": what})
        return "; ".join(parts) or _("all contacts")


@dataclasses.dataclass(frozen=True)
class SegmentOptions:
    """How a criteria step treats what matches, with the meaning of the original's options.

    Adding ("Add Contacts"): `allow_existing` gives contacts already in the segment another
    line (the line they have stays as it is); `expand_companies` turns each matching
    contact that belongs to a company (the company itself or one of its persons) into the
    whole company: the company and all its persons; `allow_company_with_persons` keeps a
    company together with its persons, otherwise a company is left out when some of its
    persons are being added (the persons stand for it); `ignore_exclusion` adds contacts
    flagged "exclude from segments" too (each contact's own flag counts, never its
    company's); `ignore_no_bulk_email` adds contacts who unsubscribed from bulk e-mail as
    e-mail lines too (otherwise such a contact is added only when its line is no e-mail).
    Reducing and refining ("Remove Contacts"): `whole_companies` ("entire companies")
    treats a company and all its persons as one, removing or keeping all their lines when
    any of them matches.
    """

    allow_existing: bool = False
    expand_companies: bool = False
    allow_company_with_persons: bool = False
    ignore_exclusion: bool = False
    ignore_no_bulk_email: bool = False
    whole_companies: bool = False

    def to_dict(self) -> dict[str, bool]:
        return {field.name: True for field in dataclasses.fields(self) if getattr(self, field.name)}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "SegmentOptions":
        data = data or {}
        return cls(**{field.name: bool(data.get(field.name)) for field in dataclasses.fields(cls)})

    def describe(self) -> str:
        labels = {
            "allow_existing": _("contacts already in the segment allowed"),
            "expand_companies": _("expanded to entire companies"),
            "allow_company_with_persons": _("a company together with its persons allowed"),
            "ignore_exclusion": _("exclude-from-segments flag ignored"),
            "ignore_no_bulk_email": _("no-bulk-e-mail flag ignored"),
            "whole_companies": _("whole companies"),
        }
        return ", ".join(str(label) for name, label in labels.items() if getattr(self, name))


def text_condition(field: str, pattern: str, *, anywhere: bool = True) -> Q:
    """A pattern on a text field, case-insensitive: without "*" the text appears anywhere in
    the value (or, `anywhere=False`, is the whole value); with "*" the whole value must
    match, "*" standing for any characters ("*Ltd", "info@*", "Lon*n")."""
    pattern = pattern.strip()
    if "*" not in pattern:
        return Q(**{f"{field}__icontains" if anywhere else f"{field}__iexact": pattern})
    regex = "^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$"
    return Q(**{f"{field}__iregex": regex})


def contact_key() -> Case:
    """The company a contact belongs to for "whole companies": a company itself, a person's
    company, or (a person without company) the person."""
    return Case(
        When(type=Contact.Type.COMPANY, then=F("id")),
        default=Coalesce(F("company_id"), F("id")),
    )


def history_entries(criteria: SegmentCriteria) -> QuerySet[InteractionLogEntry]:
    """The log entries the history fields describe (postponed ones are not interactions yet)."""
    entries = InteractionLogEntry.objects.filter(postponed=False)
    if criteria.history_template:
        entries = entries.filter(template__code=criteria.history_template)
    if criteria.history_group:
        entries = entries.filter(group__code=criteria.history_group)
    if criteria.history_date_from:
        entries = entries.filter(date__gte=criteria.history_date_from)
    if criteria.history_date_to:
        entries = entries.filter(date__lte=criteria.history_date_to)
    if criteria.history_evaluation:
        entries = entries.filter(evaluation=criteria.history_evaluation)
    if criteria.history_campaign:
        entries = entries.filter(campaign__number=criteria.history_campaign)
    if criteria.history_canceled == CanceledEntries.NOT_CANCELED:
        entries = entries.filter(canceled=False)
    elif criteria.history_canceled == CanceledEntries.CANCELED:
        entries = entries.filter(canceled=True)
    return entries


def contacts_matching(criteria: SegmentCriteria) -> QuerySet[Contact]:
    """The contacts that match `criteria`, as one query (the history conditions are EXISTS
    subqueries on the log's contact and company indexes).

    A company's history includes its persons' interactions, as in the contact statistics;
    a person's history is its own."""
    contacts = Contact.objects.all()
    if criteria.contact_type:
        contacts = contacts.filter(type=criteria.contact_type)
    if criteria.company:
        company = Contact.normalize_number(criteria.company)  # as typed: any case
        contacts = contacts.filter(Q(type=Contact.Type.COMPANY, number=company) | Q(company__number=company))
    if criteria.salesperson:
        contacts = contacts.filter(salesperson__code=criteria.salesperson)
    if criteria.language:
        contacts = contacts.filter(language=criteria.language)
    if criteria.city:
        contacts = contacts.filter(text_condition("city", criteria.city, anywhere=False))
    if criteria.country:
        contacts = contacts.filter(country__iexact=criteria.country.strip())
    if criteria.correspondence_type:
        contacts = contacts.filter(correspondence_type=criteria.correspondence_type)
    if criteria.name:
        contacts = contacts.filter(text_condition("name", criteria.name))
    if criteria.email:
        contacts = contacts.filter(text_condition("email", criteria.email))
    if criteria.has_history_condition:
        entries = history_entries(criteria)
        has_history = (Q(type=Contact.Type.COMPANY) & Exists(entries.filter(contact_company=OuterRef("pk")))) | (
            ~Q(type=Contact.Type.COMPANY) & Exists(entries.filter(contact=OuterRef("pk")))
        )
        contacts = contacts.filter(has_history if criteria.history == History.WITH else ~has_history)
    return contacts


def segments() -> QuerySet[Segment]:
    """The segment list: each segment with its number of lines and whether it has been
    logged (a logged segment that is not canceled), in one query."""
    logged = LoggedSegment.objects.filter(segment_number=OuterRef("number"), canceled=False)
    return Segment.objects.select_related("salesperson", "template").annotate(
        line_count=Coalesce(
            Subquery(
                SegmentLine.objects.filter(segment=OuterRef("pk"))
                .order_by()
                .values("segment")
                .annotate(n=Count("id"))
                .values("n")
            ),
            0,
        ),
        is_logged=Exists(logged),
    )


def segment_lines(segment: Segment) -> QuerySet[SegmentLine]:
    """A segment's lines with what their table shows, joined in (no query per row)."""
    return (
        SegmentLine.objects.filter(segment=segment)
        .select_related("contact", "contact_company", "template", "campaign")
        .order_by("id")
    )


def segment_logged_segments(segment: Segment) -> QuerySet[LoggedSegment]:
    """The logged segments made from `segment` (found by its number), newest first."""
    return LoggedSegment.objects.filter(segment_number=segment.number).order_by("-id")


def last_criteria_step(segment: Segment) -> SegmentCriteriaStep | None:
    return segment.criteria_steps.order_by("-step").first()


def logged_segments() -> QuerySet[LoggedSegment]:
    """The logged segments page: each with its user and number of interactions, in one
    query (a correlated count on the log's logged-segment index, not a join of the whole
    log)."""
    entry_count = (
        InteractionLogEntry.objects.filter(logged_segment=OuterRef("pk"))
        .order_by()
        .values("logged_segment")
        .annotate(n=Count("entry_no"))
        .values("n")
    )
    return LoggedSegment.objects.select_related("user").annotate(
        entry_count=Coalesce(Subquery(entry_count), 0),
        # The segment may have been deleted since; its number stays on the entries.
        segment_exists=Exists(Segment.objects.filter(number=OuterRef("segment_number"))),
    )
