"""Reads of the interaction log page: the log itself, a page's rows, the export, and the
lists its filter form offers."""

from typing import NamedTuple

from django.db.models import CharField, F, OuterRef, QuerySet, Subquery, Value
from django.utils.translation import gettext_lazy as _

from crm.contacts.models import Campaign, Salesperson

from ..models import (
    Attachment,
    CapturedEmail,
    InteractionComment,
    InteractionGroup,
    InteractionLogEntry,
    InteractionTemplate,
)
from ..permissions import may_act_on_others, may_open_private_email, visible_entries


def log_entries() -> QuerySet[InteractionLogEntry]:
    """The interaction log: every entry but postponed ones (they have their own list). Plain,
    without joins: the page reads the entry numbers of one page from an index first and then
    loads just those rows with `log_rows`."""
    return InteractionLogEntry.objects.filter(postponed=False)


def hidden_entry_numbers(entry_numbers, *, user) -> list[int]:
    """Which of `entry_numbers` the user may not see: other users' postponed interactions
    (the owner rule, `permissions.may_see_entry`). None for those who act on others'."""
    if may_act_on_others(user):
        return []
    numbers = sorted({int(number) for number in entry_numbers})
    hidden = InteractionLogEntry.objects.filter(entry_no__in=numbers).exclude(visible_entries(user))
    return sorted(hidden.values_list("entry_no", flat=True))


def attachment_is_visible(attachment: Attachment, *, user) -> bool:
    """Whether the user may open `attachment`: unless the only things that use it are log
    entries the user may not see (another user's postponed interaction). A file that a
    template or an entry of the log also uses is readable there anyway."""
    if may_act_on_others(user):
        return True
    # The message of a private captured e-mail: only its salesperson (and managers, above).
    private_owners = list(
        CapturedEmail.objects.filter(private=True, entry__attachment=attachment).values_list(
            "entry__salesperson__user_id", flat=True
        )
    )
    if private_owners and not any(
        may_open_private_email(user=user, salesperson_user_id=owner) for owner in private_owners
    ):
        return False
    entries = InteractionLogEntry.objects.filter(attachment=attachment)
    if not entries.exclude(visible_entries(user)).exists() or entries.filter(visible_entries(user)).exists():
        return True
    return any(
        relation.related_model._base_manager.filter(**{relation.field.name: attachment}).exists()
        for relation in Attachment._meta.related_objects
        if relation.related_model is not InteractionLogEntry
    )


def log_rows(entry_numbers: list[int]) -> list[InteractionLogEntry]:
    """The entries `entry_numbers`, in that order, with what a log row shows: the contact, its
    company, template, group and salesperson joined in, and `has_comments`, in one query. The
    comment is looked up per row by a subquery with LIMIT, which PostgreSQL runs on the
    comments' index for each of the page's rows (an EXISTS could be planned as a hash of the
    whole comments table)."""
    if not entry_numbers:
        return []
    first_comment = InteractionComment.objects.filter(entry_id=OuterRef("pk")).order_by().values("entry_id")[:1]
    by_number = (
        InteractionLogEntry.objects.select_related("contact", "contact_company", "template", "group", "salesperson")
        .annotate(commented_entry=Subquery(first_comment))
        .in_bulk(entry_numbers)
    )
    rows = []
    for number in entry_numbers:
        entry = by_number.get(number)
        if entry is not None:
            entry.has_comments = entry.commented_entry is not None
            rows.append(entry)
    return rows


EXPORT_COLUMNS = [
    # (header, value path)
    (_("Entry No."), "entry_no"),
    (_("Date"), "date"),
    (_("Time"), "time"),
    (_("Contact No."), "contact__number"),
    (_("Contact Name"), "contact__name"),
    (_("Contact Company No."), "contact_company__number"),
    (_("Contact Company Name"), "contact_company__name"),
    (_("Description"), "description"),
    (_("Subject"), "subject"),
    (_("Interaction Template Code"), "template__code"),
    (_("Interaction Group Code"), "group__code"),
    (_("Salesperson Code"), "salesperson__code"),
    (_("Information Flow"), "information_flow"),
    (_("Initiated By"), "initiated_by"),
    (_("Evaluation"), "evaluation"),
    (_("Cost"), "cost"),
    (_("Duration (Min.)"), "duration"),
    (_("Attempt Failed"), "attempt_failed"),
    (_("Canceled"), "canceled"),
    (_("Correspondence Type"), "correspondence_type"),
    (_("Contact Via"), "contact_via"),
    (_("Document Type"), "document_type"),
    (_("Document No."), "document_number"),
    (_("Campaign No."), "campaign__number"),
    (_("Segment No."), "segment_number"),
    (_("Logged Segment No."), "logged_segment_id"),
    (_("Delivery Status"), "delivery_status"),
]


def export_rows(entries: QuerySet[InteractionLogEntry], *, chunk_size: int = 2000):
    """Rows of the filtered log for export: one streamed query, memory flat whatever the size."""
    paths = [path for _header, path in EXPORT_COLUMNS]
    return entries.values_list(*paths).iterator(chunk_size=chunk_size)


# The set-up data the log's filter form offers: filter name -> (model, key field, text field).
# Each model's __str__ is "<key> <text>".
FILTER_CHOICE_MODELS = {
    "salesperson": (Salesperson, "code", "name"),
    "template": (InteractionTemplate, "code", "description"),
    "group": (InteractionGroup, "code", "description"),
    "campaign": (Campaign, "number", "description"),
}


class FilterChoice(NamedTuple):
    pk: int
    key: str  # the code or number, as the "new interaction" page takes it
    label: str


def log_filter_choices() -> dict[str, list[FilterChoice]]:
    """The salespeople, templates, groups and campaigns of the log's filter form, each sorted
    by its key, in one query (four lists, four round trips before)."""
    parts = [
        model.objects.order_by()
        .annotate(filter_name=Value(name, output_field=CharField()), key=F(key), text=F(text))
        .values_list("filter_name", "id", "key", "text")
        for name, (model, key, text) in FILTER_CHOICE_MODELS.items()
    ]
    choices: dict[str, list[FilterChoice]] = {name: [] for name in FILTER_CHOICE_MODELS}
    for name, pk, key, text in parts[0].union(*parts[1:], all=True).order_by("filter_name", "key"):
        model, key_field, text_field = FILTER_CHOICE_MODELS[name]
        choices[name].append(FilterChoice(pk, key, str(model(pk=pk, **{key_field: key, text_field: text}))))
    return choices
