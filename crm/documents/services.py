"""Every write of the documents app: create and delete documents, archive versions, print.

Printing announces itself with the `document_printed` signal inside its transaction, so
that whatever a receiver records (the interactions module's log entry) commits together
with the print counter and the archived version, or not at all.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.contacts.models import Campaign, Contact, Salesperson

from .models import Customer, Document, DocumentLine, DocumentVersion, Vendor
from .permissions import ARCHIVE_PERMISSION, PRINT_PERMISSION, require_permission
from .printing import PrintResult
from .rendering import pdf_file_name, render_pdf
from .signals import document_printed
from .types import KIND_INFO


@dataclass(frozen=True)
class LineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal


@transaction.atomic
def create_document(
    *,
    kind: str,
    customer: Customer | None = None,
    vendor: Vendor | None = None,
    number: str = "",
    date: datetime.date | None = None,
    contact: Contact | None = None,
    salesperson: Salesperson | None = None,
    campaign: Campaign | None = None,
    description: str = "",
    currency_code: str = "",
    vat_percent: Decimal | None = None,
    posted: bool = False,
    lines: Sequence[LineInput] = (),
    user,
) -> Document:
    """Create a document with its lines and totals. `number` empty: the next number of the
    kind's series; typed: any number no document of the kind carries now (a number of a
    deleted document gets the next occurrence). The salesperson defaults to the
    customer's or vendor's. Raises ValidationError with the reasons for bad input."""
    require_permission(user, "documents.add_document")
    document = Document(
        kind=kind,
        number=number.strip(),
        date=date or timezone.localdate(),
        customer=customer,
        vendor=vendor,
        contact=contact,
        campaign=campaign,
        description=description,
        currency_code=currency_code,
        posted=posted,
        created_by=user,
    )
    if vat_percent is not None:
        document.vat_percent = vat_percent
    partner = document.partner if kind in KIND_INFO else None
    document.salesperson = salesperson or (partner.salesperson if partner else None)
    document.assign_number()
    # The occurrence is counted on save, under a lock; everything else is checked here.
    document.full_clean(exclude=["occurrence"])
    document.save()
    line_rows = []
    for index, line in enumerate(lines, start=1):
        row = DocumentLine(
            document=document,
            line_no=index * 10,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
        )
        row.compute_amount()
        row.full_clean(exclude=["document"])
        line_rows.append(row)
    DocumentLine.objects.bulk_create(line_rows)
    document.recalculate_totals(line_rows)
    document.save(update_fields=["amount", "vat_amount", "amount_including_vat"])
    return document


def delete_document(*, document: Document, user) -> None:
    """Delete a document and its lines. Its archived versions and the record of its number
    stay: a later document with the same number is its next occurrence."""
    require_permission(user, "documents.delete_document")
    document.delete()


def snapshot_of(document: Document) -> dict:
    """Header, lines and totals as they are now, for an archived version."""
    partner = document.partner

    def some(obj, *names):
        return {name: getattr(obj, name) for name in names} if obj is not None else None

    return {
        "kind": document.kind,
        "number": document.number,
        "occurrence": document.occurrence,
        "date": document.date.isoformat(),
        "posted": document.posted,
        "area": document.area,
        "partner": some(partner, "number", "name", "address", "post_code", "city", "country"),
        "contact": some(document.contact, "number", "name"),
        "salesperson": some(document.salesperson, "code", "name"),
        "campaign": some(document.campaign, "number", "description"),
        "description": document.description,
        "currency_code": document.currency_code,
        "vat_percent": str(document.vat_percent),
        "amount": str(document.amount),
        "vat_amount": str(document.vat_amount),
        "amount_including_vat": str(document.amount_including_vat),
        "lines": [
            {
                "line_no": line.line_no,
                "description": line.description,
                "quantity": str(line.quantity),
                "unit_price": str(line.unit_price),
                "amount": str(line.amount),
            }
            for line in document.lines.all()
        ],
    }


def _count(document: Document, *, printed: int, archived: int) -> tuple[int, int]:
    """Add to the document's print and archived-version counters in one statement and
    return the new values. The UPDATE locks the row until commit, so two prints or
    archivings of the same document at once never get the same version number."""
    table = connection.ops.quote_name(Document._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET no_printed = no_printed + %s, "
            "no_of_archived_versions = no_of_archived_versions + %s "
            "WHERE id = %s RETURNING no_printed, no_of_archived_versions",
            [printed, archived, document.pk],
        )
        row = cursor.fetchone()
    if row is None:
        raise Document.DoesNotExist(f"document {document.pk} has been deleted")
    document.no_printed, document.no_of_archived_versions = row
    return row


def _store_version(document: Document, *, version_no: int, user, archived_when_printed: bool) -> DocumentVersion:
    return DocumentVersion.objects.create(
        document=document,
        kind=document.kind,
        number=document.number,
        occurrence=document.occurrence,
        version_no=version_no,
        archived_by=user,
        archived_when_printed=archived_when_printed,
        snapshot=snapshot_of(document),
    )


@transaction.atomic
def archive_document(*, document: Document, user) -> DocumentVersion:
    """Archive the document as it is now as its next version."""
    require_permission(user, ARCHIVE_PERMISSION)
    _printed, version_no = _count(document, printed=0, archived=1)
    return _store_version(document, version_no=version_no, user=user, archived_when_printed=False)


def print_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def print_document(*, document: Document, user, log_interaction: bool, preview: bool, language: str) -> PrintResult:
    """Print `document` in `language`: render the PDF and, unless this is a preview, count
    the print, archive a version (quotes and orders printed with "Log interaction") and
    announce `document_printed`, all in one transaction.

    A preview changes nothing and never logs. `document` should come from
    `selectors.documents_for_printing()`. Receivers report through the returned result;
    when logging was asked for and nobody logged, the result says why. An exception in a
    receiver rolls the whole print back and propagates.
    """
    require_permission(user, PRINT_PERMISSION)
    if language not in print_languages():
        raise ValueError(f"cannot print in {language!r}: not one of {print_languages()}")
    # Rendered before the transaction: no row is locked while the PDF is made.
    pdf = render_pdf(document, language=language)
    result = PrintResult(
        document=document,
        language=language,
        preview=preview,
        log_requested=log_interaction and not preview,
        pdf=pdf,
        pdf_file_name=pdf_file_name(document),
        version_no=document.no_of_archived_versions,
    )
    if preview:
        return result
    # Archived "when logged": not when no module that records prints listens, which would
    # leave a version that claims an interaction was logged.
    archive = log_interaction and document.archived_when_logged and document_printed.has_listeners(Document)
    counters_before = (document.no_printed, document.no_of_archived_versions)
    try:
        with transaction.atomic():
            _printed, version_no = _count(document, printed=1, archived=int(archive))
            if archive:
                _store_version(document, version_no=version_no, user=user, archived_when_printed=True)
            result.version_no, result.version_archived = version_no, archive
            document_printed.send(
                sender=Document,
                document=document,
                document_type=document.print_event,
                user=user,
                log_interaction=log_interaction,
                language=language,
                pdf=pdf,
                pdf_file_name=result.pdf_file_name,
                version_no=version_no,
                result=result,
            )
    except BaseException:
        document.no_printed, document.no_of_archived_versions = counters_before
        result.rolled_back()
        raise
    if log_interaction and not result.logged and not result.not_logged_reason:
        # Nothing is left unsaid: logging was asked for, and nobody did it.
        result.record_not_logged(reason=_("No module that records interactions is installed."))
    return result
