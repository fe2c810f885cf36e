"""The content of a logged segment: what each contact receives, merged when the segment is
logged and kept with its entry (models/segment_delivery.py), and the review of a segment
before it is logged (the log dialog lists, per line, what a contact lacks).

Rules, one place each:
- The template of a line is the line's, else the segment's; its language row is the line's
  language (else the template's default language row), as the entry's language is.
- Merge template (or any template whose language row has a merge body): the body filled with
  the contact's, company's and salesperson's data (services.recording.merge_values, the same
  whitelist as a single interaction), in the line's language; plain text for letters and the
  e-mail's text part, HTML (escaped, paragraphs) for the e-mail's HTML part.
- "Open" template: its language row's attachment, shared by reference: every entry of the
  segment points at that one attachment row; nothing is copied.
- A placeholder of the body whose value is empty for a contact is "missing": listed on the
  dialog before logging and kept on the entry's content, never filled with "" silently.
- Channel by the entry's correspondence type: e-mail (sent by "Deliver"), hard copy (a page
  of the letters PDF, one PDF for the logged segment, optionally a cover sheet before each
  letter), fax (logged, not delivered: there is no fax gateway).
- An e-mail line cannot be sent when its contact has no address, an invalid one, a mailbox
  name in non-Latin letters (that needs SMTPUTF8, which this sender does not use), a domain
  that is no valid international name, or unsubscribed from bulk e-mail. A Cyrillic domain
  that IDNA encodes is sent to its ASCII form (xn--...), and the dialog says so.
"""

import dataclasses
import datetime
import html
import re
import uuid
from collections.abc import Iterable, Iterator
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail.utils import DNS_NAME
from django.core.validators import EmailValidator
from django.db import connection
from django.db.models import OuterRef, Q, Subquery
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from crm.contacts.models import Contact, CorrespondenceType, Salesperson

from ..models import (
    BulkEmailOptOut,
    DeliveryChannel,
    DeliveryStatus,
    InteractionLogEntry,
    InteractionTemplate,
    InteractionTemplateLanguage,
    LoggedSegment,
    Segment,
    SegmentEntryContent,
    SegmentLine,
    WizardAction,
)
from .recording import _PLACEHOLDER, MERGE_PLACEHOLDERS, merge_date_text, merge_values

CONTENT_BATCH = 2000
CHANNEL_OF_TYPE = {
    CorrespondenceType.EMAIL: DeliveryChannel.EMAIL,
    CorrespondenceType.HARD_COPY: DeliveryChannel.HARD_COPY,
    CorrespondenceType.FAX: DeliveryChannel.FAX,
}
CONTACT_FIELDS = (
    "id", "number", "name", "type", "job_title", "address", "address_2", "post_code", "city", "country",
    "email", "phone", "mobile", "company_id", "company__name",
)  # fmt: skip


# --- Rules -----------------------------------------------------------------------------


class _EmailValidator(EmailValidator):
    """Django's e-mail validator, remembering each domain's verdict: the addresses of a
    segment share few domains, and the domain's check is most of an address's."""

    def __init__(self) -> None:
        super().__init__()
        self._domains: dict[str, bool] = {}

    def validate_domain_part(self, domain_part: str) -> bool:
        verdict = self._domains.get(domain_part)
        if verdict is None:
            if len(self._domains) >= 10000:
                self._domains.clear()
            verdict = self._domains[domain_part] = super().validate_domain_part(domain_part)
        return verdict


validate_email = _EmailValidator()


def email_problem(address: str, *, opted_out_on: datetime.datetime | None = None) -> str:
    """Why an e-mail to `address` cannot be sent; "" when it can."""
    address = address.strip()
    if opted_out_on is not None:
        return _("The contact unsubscribed from bulk e-mail on %(date)s.") % {
            "date": formats.date_format(timezone.localtime(opted_out_on), "SHORT_DATE_FORMAT")
        }
    if not address:
        return _("The contact has no e-mail address.")
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return _("“%(address)s” is not a valid e-mail address.") % {"address": address}
    if not local.isascii():
        return _(
            "The mailbox name of “%(address)s” has non-Latin letters: it can only be delivered by a mail "
            "server that supports SMTPUTF8, which this sender does not use."
        ) % {"address": address}
    if not domain.isascii():
        try:
            domain.encode("idna")
        except UnicodeError:
            return _("The domain of “%(address)s” is not a valid international domain name.") % {"address": address}
    try:
        validate_email(address)
    except ValidationError:
        return _("“%(address)s” is not a valid e-mail address.") % {"address": address}
    return ""


def email_notice(address: str) -> str:
    """What the dialog says about an address that can be sent to but not as written."""
    local, _at, domain = address.strip().rpartition("@")
    if domain and not domain.isascii():
        try:
            ascii_domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return ""
        return _("International domain: sent to %(address)s.") % {"address": f"{local}@{ascii_domain}"}
    return ""


_PARAGRAPHS = re.compile(r"\n{2,}")


def merged_html(text: str, *, language: str) -> str:
    """The merged text as the HTML part of the e-mail: escaped, in paragraphs (blank lines),
    lines broken where the text breaks them (as Django's linebreaks filter does; the
    standard library's escape: this runs once per entry of a segment)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    paragraphs = "".join(
        "<p>" + html.escape(paragraph, quote=True).replace("\n", "<br>") + "</p>"
        for paragraph in _PARAGRAPHS.split(text)
    )
    return (
        f'<!DOCTYPE html><html lang="{html.escape(language or "en")}"><head><meta charset="utf-8"></head>'
        f"<body>{paragraphs}</body></html>"
    )


@dataclasses.dataclass
class TemplateContent:
    """What one language row of a template gives every entry that uses it."""

    template_id: int
    language: str
    body: str
    placeholders: tuple[str, ...]
    attachment_id: int | None
    description: str

    @property
    def has_content(self) -> bool:
        return bool(self.body.strip()) or self.attachment_id is not None


class TemplateContents:
    """The language rows of the templates a segment uses, read once."""

    def __init__(self, template_ids: Iterable[int]):
        ids = {pk for pk in template_ids if pk}
        self.templates = {t.pk: t for t in InteractionTemplate.objects.filter(pk__in=ids)}
        self.rows: dict[tuple[int, str], InteractionTemplateLanguage] = {
            (row.template_id, row.language): row
            for row in InteractionTemplateLanguage.objects.filter(template_id__in=ids)
        }
        self._cache: dict[tuple[int, str], TemplateContent | None] = {}

    def get(self, template_id: int | None, language: str) -> TemplateContent | None:
        if not template_id:
            return None
        key = (template_id, language)
        if key not in self._cache:
            self._cache[key] = self._content(template_id, language)
        return self._cache[key]

    def _content(self, template_id: int, language: str) -> TemplateContent | None:
        template = self.templates.get(template_id)
        if template is None:
            return None
        row = self.rows.get((template_id, language)) or self.rows.get((template_id, template.language_default))
        if row is None or template.wizard_action == WizardAction.IMPORT:
            return None  # an imported file is chosen per interaction: a segment has none
        body = row.merge_body if template.wizard_action in (WizardAction.MERGE, WizardAction.OPEN) else ""
        attachment_id = row.attachment_id if template.wizard_action == WizardAction.OPEN else None
        placeholders = tuple(dict.fromkeys(p for p in _PLACEHOLDER.findall(body) if p in MERGE_PLACEHOLDERS))
        content = TemplateContent(
            template_id=template_id,
            language=row.language,
            body=body,
            placeholders=placeholders,
            attachment_id=attachment_id,
            description=row.description or template.description,
        )
        return content if content.has_content else None


def _contact(values: dict[str, Any]) -> SimpleNamespace:
    """A contact row as merge_values reads it (no model instance per line)."""
    return SimpleNamespace(
        **{k: v for k, v in values.items() if k not in ("company__name",)},
        is_company=values["type"] == Contact.Type.COMPANY,
        company=SimpleNamespace(name=values["company__name"] or ""),
    )


# The date of the letters as each language writes it (a segment has one date).
_DATE_TEXTS: dict = {}


@dataclasses.dataclass
class LineContent:
    """What one line (or entry) sends: merged text, its channel, address and problems."""

    channel: str
    language: str
    subject: str
    body: str
    missing: list[str]
    address: str
    problem: str
    notice: str
    attachment_id: int | None


def line_content(
    *,
    template: TemplateContent | None,
    contact: dict[str, Any],
    salesperson: Salesperson | None,
    date: datetime.date,
    correspondence_type: str,
    subject: str,
    opted_out_on: datetime.datetime | None,
) -> LineContent:
    channel = CHANNEL_OF_TYPE.get(correspondence_type, DeliveryChannel.NONE)
    body, missing, language = "", [], ""
    if template is not None:
        language = template.language
        if template.placeholders:
            date_key = (date, language)
            if date_key not in _DATE_TEXTS:
                if len(_DATE_TEXTS) > 1000:
                    _DATE_TEXTS.clear()
                _DATE_TEXTS[date_key] = merge_date_text(date, language)
            values = merge_values(
                contact=_contact(contact),
                salesperson=salesperson,
                date=date,
                language=language,
                date_text=_DATE_TEXTS[date_key],
            )
            missing = [p for p in template.placeholders if not str(values.get(p, "")).strip()]
            body = _PLACEHOLDER.sub(lambda match: values.get(match.group(0), match.group(0)), template.body)
        else:
            body = template.body
    address, problem, notice = "", "", ""
    if channel == DeliveryChannel.EMAIL:
        address = (contact.get("email") or "").strip()
        problem = email_problem(address, opted_out_on=opted_out_on)
        notice = "" if problem else email_notice(address)
    elif channel == DeliveryChannel.HARD_COPY:
        address = postal_address(contact)
    return LineContent(
        channel=channel,
        language=language,
        subject=subject or (template.description if template else ""),
        body=body,
        missing=missing,
        address=address,
        problem=problem,
        notice=notice,
        attachment_id=template.attachment_id if template else None,
    )


def postal_address(contact: dict[str, Any]) -> str:
    lines = [
        contact.get("name", ""),
        contact.get("address", ""),
        contact.get("address_2", ""),
        " ".join(part for part in (contact.get("post_code", ""), contact.get("city", "")) if part),
        contact.get("country", ""),
    ]
    return "\n".join(line for line in lines if line)


def opted_out(contact_ids: Iterable[int]) -> dict[int, datetime.datetime]:
    ids = list(set(contact_ids))
    found: dict[int, datetime.datetime] = {}
    for start in range(0, len(ids), CONTENT_BATCH):
        found.update(
            BulkEmailOptOut.objects.filter(contact_id__in=ids[start : start + CONTENT_BATCH]).values_list(
                "contact_id", "created_at"
            )
        )
    return found


# --- The log dialog's review -------------------------------------------------------------


@dataclasses.dataclass
class LineReview:
    line_id: int
    contact_number: str
    contact_name: str
    channel: str
    missing: list[str]
    problem: str
    notice: str


@dataclasses.dataclass
class SegmentReview:
    """What logging (and delivering) the segment would do, and what each line lacks."""

    counts: dict[str, int]
    with_content: int
    lines: list[LineReview]  # the lines with something to say, the first REVIEW_LINES
    lines_with_remarks: int
    missing_total: int
    problems_total: int


REVIEW_LINES = 200


def review_segment(segment: Segment) -> SegmentReview:
    """Each line as it would be logged: the placeholders its contact lacks, and for e-mail
    lines why it cannot be sent. One pass, no query per line."""
    lines = list(
        SegmentLine.objects.filter(segment=segment)
        .order_by("id")
        .values("id", "template_id", "language", "salesperson_id", "correspondence_type", "subject", "contact_id")
    )
    contacts = {}
    contact_ids = [line["contact_id"] for line in lines]
    for start in range(0, len(contact_ids), CONTENT_BATCH):
        for row in Contact.objects.filter(pk__in=contact_ids[start : start + CONTENT_BATCH]).values(*CONTACT_FIELDS):
            contacts[row["id"]] = row
    templates = TemplateContents({line["template_id"] or segment.template_id for line in lines})
    salespeople = {
        s.pk: s
        for s in Salesperson.objects.filter(
            pk__in={line["salesperson_id"] or segment.salesperson_id for line in lines} - {None}
        )
    }
    opt_outs = opted_out(contact_ids)
    counts = {channel.value: 0 for channel in DeliveryChannel}
    reviews, remarks, missing_total, problems_total, with_content = [], 0, 0, 0, 0
    for line in lines:
        contact = contacts[line["contact_id"]]
        content = line_content(
            template=templates.get(
                line["template_id"] or segment.template_id, line["language"] or segment.language_default
            ),
            contact=contact,
            salesperson=salespeople.get(line["salesperson_id"] or segment.salesperson_id),
            date=segment.date,
            correspondence_type=line["correspondence_type"] or segment.correspondence_type_default,
            subject=line["subject"] or segment.subject_default,
            opted_out_on=opt_outs.get(contact["id"]),
        )
        counts[content.channel] += 1
        with_content += bool(content.body or content.attachment_id)
        missing_total += bool(content.missing)
        problems_total += bool(content.problem)
        if content.missing or content.problem or content.notice:
            remarks += 1
            if len(reviews) < REVIEW_LINES:
                reviews.append(
                    LineReview(
                        line_id=line["id"],
                        contact_number=contact["number"],
                        contact_name=contact["name"],
                        channel=str(DeliveryChannel(content.channel).label),
                        missing=content.missing,
                        problem=content.problem,
                        notice=content.notice,
                    )
                )
    return SegmentReview(
        counts=counts,
        with_content=with_content,
        lines=reviews,
        lines_with_remarks=remarks,
        missing_total=missing_total,
        problems_total=problems_total,
    )


# --- Storing the content when the segment is logged ---------------------------------------


@dataclasses.dataclass
class StoredContent:
    email_entries: list[int]  # e-mail lines that can be sent, in entry order
    letters: int
    fax: int
    problems: int


ENTRY_FIELDS = (
    "entry_no", "template_id", "language", "salesperson_id", "correspondence_type", "subject", "date", "contact_id",
)  # fmt: skip


def _entries(logged: LoggedSegment) -> Iterator[dict[str, Any]]:
    """The logged segment's entries, each with its contact's fields (as CONTACT_FIELDS name
    them, under "contact") and the date the contact unsubscribed from bulk e-mail: two
    queries (the unsubscribed contacts of the segment are few), the entries read in batches."""
    opt_outs = dict(
        BulkEmailOptOut.objects.filter(
            contact_id__in=InteractionLogEntry.objects.filter(logged_segment=logged).values("contact_id")
        ).values_list("contact_id", "created_at")
    )
    split = len(ENTRY_FIELDS)
    rows = (
        InteractionLogEntry.objects.filter(logged_segment=logged)
        .order_by("entry_no")
        .values_list(*ENTRY_FIELDS, *(f"contact__{field}" for field in CONTACT_FIELDS))
    )
    for values in rows.iterator(chunk_size=CONTENT_BATCH):
        row = dict(zip(ENTRY_FIELDS, values[:split], strict=True))
        row["contact"] = dict(zip(CONTACT_FIELDS, values[split:], strict=True))
        row["opted_out_on"] = opt_outs.get(row["contact_id"])
        yield row


def _has_content(logged: LoggedSegment) -> bool:
    """Whether a template that the logged segment's entries use has anything to send."""
    used = InteractionLogEntry.objects.filter(logged_segment=logged).values("template_id")
    return (
        InteractionTemplateLanguage.objects.filter(template__in=used)
        .filter(
            Q(template__wizard_action=WizardAction.MERGE, merge_body__gt="")
            | Q(template__wizard_action=WizardAction.OPEN) & (Q(attachment__isnull=False) | Q(merge_body__gt=""))
        )
        .exists()
    )


def message_id_for(*, logged: LoggedSegment, entry_no: int, token: str) -> str:
    return f"<segment-{logged.pk}.{entry_no}.{token}@{DNS_NAME}>"


def store_contents(*, logged: LoggedSegment, deliver: bool, cover_sheets: bool = False) -> StoredContent:
    """Merge and keep each entry's content (in the caller's transaction, the logging's):
    rows in batches, the shared attachments set by one UPDATE per attachment, and with
    `deliver` the e-mail entries that can be sent set "in progress" (queued), the others
    "error" with the reason. Returns what the caller queues and reports."""
    if not _has_content(logged):
        # One query, and nothing per line, when no template of the segment has content.
        if deliver:
            mark_for_delivery(logged=logged)
        return StoredContent(email_entries=[], letters=0, fax=0, problems=0)
    token = uuid.uuid4().hex[:12]
    templates: TemplateContents | None = None
    salespeople: dict[int, Salesperson] = {}
    email_entries: list[int] = []
    shared: dict[int, list[int]] = {}
    letters: list[tuple[int, LineContent]] = []
    fax = problems = 0
    batch: list[dict[str, Any]] = []

    def flush(rows: list[dict[str, Any]]) -> None:
        nonlocal templates, fax, problems
        if templates is None:
            templates = TemplateContents(
                InteractionLogEntry.objects.filter(logged_segment=logged)
                .values_list("template_id", flat=True)
                .distinct()
            )
        missing_people = {row["salesperson_id"] for row in rows} - set(salespeople) - {None}
        if missing_people:
            salespeople.update({s.pk: s for s in Salesperson.objects.filter(pk__in=missing_people)})
        contents = []
        for row in rows:
            template = templates.get(row["template_id"], row["language"])
            channel = CHANNEL_OF_TYPE.get(row["correspondence_type"], DeliveryChannel.NONE)
            fax += channel == DeliveryChannel.FAX
            if template is None:
                continue
            content = line_content(
                template=template,
                contact=row["contact"],
                salesperson=salespeople.get(row["salesperson_id"]),
                date=row["date"],
                correspondence_type=row["correspondence_type"],
                subject=row["subject"],
                opted_out_on=row["opted_out_on"],
            )
            if content.attachment_id is not None:
                shared.setdefault(content.attachment_id, []).append(row["entry_no"])
            if channel == DeliveryChannel.EMAIL:
                if content.problem:
                    problems += 1
                else:
                    email_entries.append(row["entry_no"])
            elif channel == DeliveryChannel.HARD_COPY and content.body.strip():
                letters.append((row["entry_no"], content))
            contents.append(
                {
                    "entry_id": row["entry_no"],
                    "logged_segment_id": logged.pk,
                    "channel": channel,
                    "language": content.language,
                    "subject": content.subject[:200],
                    "body": content.body,
                    "html": merged_html(content.body, language=content.language)
                    if channel == DeliveryChannel.EMAIL and content.body
                    else "",
                    "missing_placeholders": ", ".join(content.missing)[:500],
                    "address": content.address[:254],
                    "problem": content.problem[:500],
                    "letter_page": None,
                    "message_id": message_id_for(logged=logged, entry_no=row["entry_no"], token=token)
                    if channel == DeliveryChannel.EMAIL
                    else "",
                    "handed_over_at": None,
                    "attempts": 0,
                }
            )
        insert_contents(contents)

    for row in _entries(logged):
        batch.append(row)
        if len(batch) >= CONTENT_BATCH:
            flush(batch)
            batch = []
    if batch:
        flush(batch)

    for attachment_id, entry_nos in shared.items():
        for start in range(0, len(entry_nos), CONTENT_BATCH):
            InteractionLogEntry.objects.filter(entry_no__in=entry_nos[start : start + CONTENT_BATCH]).update(
                attachment_id=attachment_id
            )
    if letters:
        from .segment_letters import store_letters_pdf

        store_letters_pdf(logged=logged, letters=letters, cover_sheets=cover_sheets)
    if deliver:
        mark_for_delivery(logged=logged)
    return StoredContent(email_entries=email_entries, letters=len(letters), fax=fax, problems=problems)


def insert_contents(contents: list[dict[str, Any]]) -> None:
    """The rows (values by attname) in one COPY on PostgreSQL (no model instance per row: a
    fraction of bulk_create's time for 10,000 merged letters), bulk_create elsewhere."""
    if not contents:
        return
    if connection.vendor != "postgresql":
        SegmentEntryContent.objects.bulk_create(
            [SegmentEntryContent(**values) for values in contents], batch_size=CONTENT_BATCH
        )
        return
    fields = list(SegmentEntryContent._meta.concrete_fields)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(SegmentEntryContent._meta.db_table)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for content in contents:
                copy.write_row([content[field.attname] for field in fields])


def mark_for_delivery(*, logged: LoggedSegment) -> None:
    """The logged segment's e-mail entries: those that can be sent "in progress" (queued,
    due now: the recovery sweep queues them again should their task be lost), the others
    "error" with the reason."""
    now = timezone.now()
    emails = InteractionLogEntry.objects.filter(logged_segment=logged, correspondence_type=CorrespondenceType.EMAIL)
    content = SegmentEntryContent.objects.filter(entry_id=OuterRef("entry_no"))
    sendable = SegmentEntryContent.objects.filter(
        logged_segment=logged, channel=DeliveryChannel.EMAIL, problem=""
    ).values("entry_id")
    emails.filter(entry_no__in=sendable).update(
        delivery_status=DeliveryStatus.IN_PROGRESS, delivery_error="", delivery_due_at=now
    )
    with_problem = SegmentEntryContent.objects.filter(logged_segment=logged, channel=DeliveryChannel.EMAIL).exclude(
        problem=""
    )
    emails.filter(entry_no__in=with_problem.values("entry_id")).update(
        delivery_status=DeliveryStatus.ERROR, delivery_error=Subquery(content.values("problem")[:1])
    )
    # E-mail lines whose template has nothing to send.
    emails.exclude(entry_no__in=SegmentEntryContent.objects.filter(logged_segment=logged).values("entry_id")).update(
        delivery_status=DeliveryStatus.ERROR,
        delivery_error=_("The interaction template has no content to send in this language."),
    )


def sendable_count(logged: LoggedSegment) -> int:
    return SegmentEntryContent.objects.filter(logged_segment=logged, channel=DeliveryChannel.EMAIL, problem="").count()
