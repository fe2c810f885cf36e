"""The module's records in the search (crm/search): log entries by number, segments and
logged segments by number or description, interaction templates by code or description.

Each finder runs one query, and none when the user may not open that kind of record; it
finds only what the user may open, by the rules of the record's page: entries of the log
need its view permission, postponed interactions are found by their owner and by those who
may act on others' entries (as `/interactions/postponed/` lists them). Substrings are
searched from three characters on (two for template codes: a setup table of a few dozen
rows), served on PostgreSQL by trigram indexes (migration 0008)."""

import functools
import operator

from django.db.models import Case, IntegerField, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from crm import search
from crm.search import Query, Result

from ..models import InteractionLogEntry, InteractionTemplate, LoggedSegment, Segment
from ..permissions import (
    RECORD,
    VIEW_LOG,
    VIEW_LOGGED_SEGMENTS,
    VIEW_SEGMENTS,
    VIEW_TEMPLATES,
    owner_lookups,
)

SUBSTRING_MIN_LENGTH = 3
CODE_SUBSTRING_MIN_LENGTH = 2


def _details(*parts) -> str:
    return " · ".join(str(part) for part in parts if part)


def _typed_or_capitals(field: str, text: str) -> Q:
    """A number as typed or in capitals (as the series give them): equalities on the
    column's own index, where iexact (UPPER(column)) would read the whole table."""
    return Q(**{field: text}) | Q(**{field: text.upper()})


def find_log_entries(query: Query, *, user, limit: int) -> list[Result]:
    number = query.number
    if number is None:
        return []
    visible = []
    if user.has_perm(VIEW_LOG):
        visible.append(Q(postponed=False))
    if user.has_perm(RECORD):
        visible.append(Q(postponed=True, **owner_lookups(user)))
    if not visible:
        return []
    entries = (
        InteractionLogEntry.objects.filter(functools.reduce(operator.or_, visible), entry_no=number)
        .select_related("contact")
        .only("entry_no", "postponed", "canceled", "date", "description", "contact__name")[:limit]
    )
    results = []
    for entry in entries:
        if entry.postponed:
            title = _("Postponed interaction %(number)s") % {"number": entry.entry_no}
            url = reverse("interactions:postponed-resume", args=[entry.entry_no])
        else:
            title = _("Interaction log entry %(number)s") % {"number": entry.entry_no}
            url = entry.get_absolute_url()
        detail = _details(
            entry.description, entry.contact.name, date_format(entry.date), _("canceled") if entry.canceled else ""
        )
        results.append(Result(kind="log-entries", title=title, url=url, detail=detail))
    return results


def find_segments(query: Query, *, user, limit: int) -> list[Result]:
    if not user.has_perm(VIEW_SEGMENTS):
        return []
    partial = None
    if len(query.text) >= SUBSTRING_MIN_LENGTH:
        partial = Q(number__icontains=query.text) | Q(description__icontains=query.text)
    segments = (
        Segment.objects.filter(
            search.matching(Segment, exact=_typed_or_capitals("number", query.text), partial=partial)
        )
        .annotate(
            rank=Case(When(number__iexact=query.text, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .order_by("rank", "-number")
        .only("number", "description", "date")[:limit]
    )
    return [
        Result(
            kind="segments",
            title=_("Segment %(number)s") % {"number": segment.number},
            url=reverse("interactions:segment-detail", args=[segment.number]),
            detail=_details(segment.description, date_format(segment.date)),
        )
        for segment in segments
    ]


def find_logged_segments(query: Query, *, user, limit: int) -> list[Result]:
    """Logged segments open as the log of their entries (they have no page of their own)."""
    if not user.has_perms([VIEW_LOGGED_SEGMENTS, VIEW_LOG]):
        return []
    exact = _typed_or_capitals("segment_number", query.text)
    if query.number is not None:
        exact |= Q(pk=query.number)
    partial = Q(description__icontains=query.text) if len(query.text) >= SUBSTRING_MIN_LENGTH else None
    logged_segments = (
        LoggedSegment.objects.filter(search.matching(LoggedSegment, exact=exact, partial=partial))
        .annotate(rank=Case(When(pk=query.number or 0, then=Value(0)), default=Value(1), output_field=IntegerField()))
        .order_by("rank", "-pk")
        .only("pk", "description", "segment_number", "created_at", "canceled")[:limit]
    )
    log = reverse("interactions:log")
    return [
        Result(
            kind="logged-segments",
            title=_("Logged segment %(number)s") % {"number": logged_segment.pk},
            url=f"{log}?{urlencode({'logged_segment': logged_segment.pk})}",
            detail=_details(
                logged_segment.description,
                logged_segment.segment_number,
                date_format(timezone.localdate(logged_segment.created_at)),
                _("canceled") if logged_segment.canceled else "",
            ),
        )
        for logged_segment in logged_segments
    ]


def find_templates(query: Query, *, user, limit: int) -> list[Result]:
    if not user.has_perm(VIEW_TEMPLATES):
        return []
    matches = Q(code__iexact=query.text)
    if len(query.text) >= CODE_SUBSTRING_MIN_LENGTH:
        matches |= Q(code__icontains=query.text) | Q(description__icontains=query.text)
    templates = (
        InteractionTemplate.objects.filter(matches)
        .annotate(
            rank=Case(
                When(code__iexact=query.text, then=Value(0)),
                When(code__istartswith=query.text, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "code")
        .only("code", "description")[:limit]
    )
    return [
        Result(
            kind="templates",
            title=template.code,
            url=reverse("interactions:template-detail", args=[template.code]),
            detail=template.description,
        )
        for template in templates
    ]
