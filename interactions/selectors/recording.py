"""Reads of the pages that record interactions by hand: postponed interactions, the
contact search of the form, the template with its language rows."""

from django.db.models import Case, Q, QuerySet, Value, When

from crm.contacts.models import Contact

from ..models import InteractionLogEntry, InteractionTemplate, Segment, SegmentLine

CONTACT_SEARCH_LIMIT = 20


def postponed_interactions(*, user, all_users: bool) -> QuerySet[InteractionLogEntry]:
    """Postponed interactions, newest first: the user's own, or everyone's for a sales
    manager. Carries every row a line of the list shows (no query per row); the user's own
    come from the partial index of postponed entries per user."""
    entries = InteractionLogEntry.objects.filter(postponed=True)
    if not all_users:
        entries = entries.filter(user=user)
    return entries.select_related("contact", "contact__company", "template", "salesperson", "user").order_by(
        "-created_at", "-entry_no"
    )


def contacts_matching(text: str, *, limit: int = CONTACT_SEARCH_LIMIT) -> list[Contact]:
    """Contacts whose number starts with, or whose name contains, `text`; the contact with
    exactly that number first, then by name. At most `limit`."""
    text = text.strip()
    if not text:
        return []
    return list(
        Contact.objects.select_related("company")
        .filter(Q(number__istartswith=text) | Q(name__icontains=text))
        .annotate(exact=Case(When(number__iexact=text, then=Value(0)), default=Value(1)))
        .order_by("exact", "name", "number")[:limit]
    )


def _with_languages(template: InteractionTemplate | None) -> InteractionTemplate | None:
    """The template with its language rows (and their attachments, joined) in place of a
    prefetch: one plain query, as `template.languages.all()` then reads them. Django's
    nested prefetch (`languages__attachment`) costs more CPU than the query itself, on a
    path that the API runs for every interaction recorded."""
    if template is not None:
        rows = template.languages.select_related("attachment")
        rows._result_cache = list(rows)
        rows._prefetch_done = True
        template._prefetched_objects_cache = {"languages": rows}
    return template


def template_for_recording(pk) -> InteractionTemplate | None:
    """A template with what recording reads of it: group, campaign, language rows and
    their attachments."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return _with_languages(InteractionTemplate.objects.select_related("group", "campaign").filter(pk=pk).first())


def template_by_code_for_recording(code: str) -> InteractionTemplate | None:
    """The template coded `code` (in any case), read as `template_for_recording` reads it."""
    return _with_languages(
        InteractionTemplate.objects.select_related("group", "campaign")
        .filter(code__iexact=(code or "").strip())
        .first()
    )


def segment_number_known(number: str) -> bool:
    """A segment number is known while its segment exists, and after logging deleted it,
    as long as log entries carry it (the log filters by it)."""
    number = (number or "").strip()
    if not number:
        return False
    return (
        Segment.objects.filter(number=number).exists()
        or InteractionLogEntry.objects.filter(segment_number=number).exists()
    )


def segment_line(segment: Segment, pk: str) -> SegmentLine | None:
    """The segment's line `pk` (as typed in a link), with what prefilling an interaction reads."""
    try:
        pk_value = int(pk)
    except (TypeError, ValueError):
        return None
    if not 0 < pk_value < 2**62:
        return None
    return (
        SegmentLine.objects.select_related("contact", "template", "salesperson", "campaign")
        .filter(segment=segment, pk=pk_value)
        .first()
    )


def segment_by_number(number: str) -> Segment | None:
    number = (number or "").strip()
    if not number:
        return None
    return Segment.objects.select_related("template", "campaign").filter(number=number).first()
