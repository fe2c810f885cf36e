"""Reads of the interaction log page: the log itself, a page's rows, the export, and the
lists its filter form offers."""

from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import BooleanField, CharField, Exists, F, FloatField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils.translation import get_language
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


# The text search configuration of PostgreSQL for each language of the site; the entries'
# documents hold the words of both (migration 0014), so each user's query is parsed and
# stemmed as words of the user's language.
SEARCH_CONFIGURATIONS = {"en": "english", "ru": "russian"}
DEFAULT_SEARCH_CONFIGURATION = "english"
# A part of a document number is looked for from this many characters on (trigrams).
NUMBER_SUBSTRING_MIN_LENGTH = 3
SEARCH_DOCUMENT = f'"{InteractionLogEntry._meta.db_table}"."search_document"'


def search_configuration() -> str:
    """The configuration of the active language ('ru-ru' counts as 'ru')."""
    language = (get_language() or "").split("-")[0].lower()
    return SEARCH_CONFIGURATIONS.get(language, DEFAULT_SEARCH_CONFIGURATION)


def search_condition(text: str) -> Q:
    """What `text` finds in the log, as a condition (see `search_log`); `text` not blank."""
    if connection.vendor != "postgresql":
        commented = InteractionComment.objects.filter(entry_id=OuterRef("pk"), text__icontains=text)
        found = Q(description__icontains=text) | Q(subject__icontains=text) | Q(Exists(commented))
    else:
        found = Q(
            RawSQL(
                f"{SEARCH_DOCUMENT} @@ websearch_to_tsquery(%s::regconfig, %s)",
                [search_configuration(), text],
                output_field=BooleanField(),
            )
        )
    if len(text) >= NUMBER_SUBSTRING_MIN_LENGTH:
        found |= Q(document_number__icontains=text)
    return found


def search_log(entries: QuerySet[InteractionLogEntry], text: str) -> QuerySet[InteractionLogEntry]:
    """The entries of `entries` that `text` finds, annotated with `search_rank` (higher is
    better), which `ranked` orders by.

    PostgreSQL: the words of `text` in web-search syntax ("a phrase", or, -word), parsed
    with the user's language's configuration, against the entry's document (description,
    subject and comments; migration 0014's GIN index); or, from three characters on, a
    part of the document number (its trigram index). Ranked by ts_rank: a word in the
    description or subject counts more than one in a comment.
    SQLite (development): the text as a substring of the description, subject, a comment or
    the document number, case folded (crm/sqlite.py); every match ranks the same.
    """
    text = text.strip()
    if not text:
        return entries
    if connection.vendor != "postgresql":
        rank = Value(0.0, output_field=FloatField())
    else:
        rank = RawSQL(
            f"ts_rank({SEARCH_DOCUMENT}, websearch_to_tsquery(%s::regconfig, %s))",
            [search_configuration(), text],
            output_field=FloatField(),
        )
    return entries.filter(search_condition(text)).annotate(search_rank=rank)


def is_search(entries: QuerySet[InteractionLogEntry]) -> bool:
    """Whether `entries` went through `search_log`."""
    return "search_rank" in entries.query.annotations


# Up to this many matches a search sorted by a column sorts its matches; past it, it reads
# the column's index in order (see `sorted_matches`).
FEW_MATCHES = 2000


def few_match_numbers(entries: QuerySet[InteractionLogEntry]) -> list[int] | None:
    """The entry numbers of `entries` (a search) when fewer than FEW_MATCHES match, else
    None; asked of the search's indexes alone: on PostgreSQL the probe may not walk another
    index or the table (for a rare word either would read all of it before giving up)."""
    probe = entries.order_by().values_list("pk", flat=True)[:FEW_MATCHES]
    if connection.vendor != "postgresql":
        numbers = list(probe)
    else:
        settings = ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan")
        with transaction.atomic(), connection.cursor() as cursor:
            # Until the transaction ends, or the end of the probe when it runs inside another one.
            for setting in settings:
                cursor.execute(f"SET LOCAL {setting} = off")
            try:
                numbers = list(probe)
            finally:
                for setting in settings:
                    cursor.execute(f"RESET {setting}")
    return numbers if len(numbers) < FEW_MATCHES else None


def has_few_matches(entries: QuerySet[InteractionLogEntry]) -> bool:
    """Whether `entries` (a search) holds fewer than FEW_MATCHES entries."""
    return few_match_numbers(entries) is not None


def pinned_matches(entries: QuerySet[InteractionLogEntry]) -> QuerySet[InteractionLogEntry]:
    """`search_log`'s entries, limited to their entry numbers when few match: the planner
    then knows how few rows come and joins their contacts and templates by index, where its
    estimate for a rare word (0.5 % of the log: 45,000 rows at 10M) hashed the whole contact
    table (the admin's changelist, which joins them in one query). Many matches are left as
    they are, read in their order's index."""
    numbers = few_match_numbers(entries)
    return entries if numbers is None else entries.filter(pk__in=numbers)


def sorted_matches(entries: QuerySet[InteractionLogEntry]) -> QuerySet[InteractionLogEntry]:
    """`search_log`'s entries in the order they have, read in the way that suits how many
    match.

    Sorted by a column and limited to a page, a search is planned as a walk down the
    column's index that checks each entry for the words until the page is full: quick for
    a frequent word, but a rare one reads the whole log (15.8 s at 1M entries, measured in
    bench/log_plans.py). So when few entries match, the columns are sorted as
    COALESCE(column, column), the same values, which no index provides: the planner then
    finds the matches first (the GIN index) and sorts them. Many matches keep the plain
    order, read from the column's index, where a page fills quickly.
    """
    if not has_few_matches(entries):
        return entries
    order = []
    for field in entries.query.order_by:
        if isinstance(field, str):
            name = field.lstrip("-")
            expression = Coalesce(F(name), F(name))
            order.append(expression.desc() if field.startswith("-") else expression.asc())
        else:
            order.append(field)
    return entries.order_by(*order)


def ranked(entries: QuerySet[InteractionLogEntry]) -> QuerySet[InteractionLogEntry]:
    """`search_log`'s entries, best match first, then newest first."""
    return entries.order_by("-search_rank", "-date", "-entry_no")


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


class LogCount(NamedTuple):
    """How many entries match: `count` exactly when `exact`, else "more than `count`"."""

    count: int
    exact: bool


def bounded_count(entries: QuerySet[InteractionLogEntry], *, limit: int) -> LogCount:
    """How many entries of the log (`log_entries()` with the log's filter applied) match,
    counted no further than `limit` + 1: COUNT(*) over a LIMIT-ed subquery.

    Every index the log's filters use either is partial on NOT postponed or holds postponed
    as its second column, so the count of what the log shows is read from the filter's index
    alone. (It used to count the entries with the postponed ones and subtract the drafts; the
    indexes partial on NOT postponed, the search's, the segment's and others, could then not
    serve it, and a rare word or a segment number counted with a sequential scan: 700 ms at
    1M entries.)"""
    found = entries.order_by().values("pk")[: limit + 1].count()
    return LogCount(min(found, limit), found <= limit)


class RelatedEmails(NamedTuple):
    """The e-mails an entry is linked with (services/communication/resend.py, drafts.py):
    what it was resent or sent from (None when that entry no longer exists: purged), and
    the entries it was resent or sent as. Entry numbers only, each read with one query."""

    resent_from: int | None
    resent_from_exists: bool
    sent_from_draft: int | None
    sent_from_draft_exists: bool
    resent_as: list[int]
    sent_as: list[int]


def related_emails(entry: InteractionLogEntry) -> RelatedEmails:
    origins = [n for n in (entry.resent_from_entry_no, entry.sent_from_draft_entry_no) if n is not None]
    existing = set(InteractionLogEntry.objects.filter(entry_no__in=origins).values_list("entry_no", flat=True))
    followers = InteractionLogEntry.objects.filter(
        Q(resent_from_entry_no=entry.entry_no) | Q(sent_from_draft_entry_no=entry.entry_no)
    ).values_list("entry_no", "resent_from_entry_no")
    resent_as, sent_as = [], []
    for number, resent_from in followers.order_by("entry_no"):
        (resent_as if resent_from == entry.entry_no else sent_as).append(number)
    return RelatedEmails(
        resent_from=entry.resent_from_entry_no,
        resent_from_exists=entry.resent_from_entry_no in existing,
        sent_from_draft=entry.sent_from_draft_entry_no,
        sent_from_draft_exists=entry.sent_from_draft_entry_no in existing,
        resent_as=resent_as,
        sent_as=sent_as,
    )


def open_email_drafts(contact) -> QuerySet[InteractionLogEntry]:
    """The contact's drafts not sent yet (for a company, its persons' too), newest first."""
    condition = Q(contact_company=contact) if contact.is_company else Q(contact=contact)
    return (
        InteractionLogEntry.objects.filter(condition, delivery_status="draft", canceled=False, postponed=False)
        .select_related("contact")
        .order_by("-date", "-entry_no")
    )
