"""Reads of the documents app that pages and services share."""

from django.db.models import QuerySet

from .models import Document, DocumentVersion
from .types import kind_of_document_type


def documents_for_list() -> QuerySet[Document]:
    """Everything a row of the document list shows, in one query."""
    return Document.objects.select_related("customer", "vendor", "contact", "salesperson")


def documents_for_printing() -> QuerySet[Document]:
    """Everything printing, the document page and the log entry of a print read: header
    and partner with its contact in one query, the lines in a second."""
    return Document.objects.select_related(
        "customer__contact", "vendor__contact", "contact", "salesperson", "campaign"
    ).prefetch_related("lines")


def versions_of(document: Document) -> QuerySet[DocumentVersion]:
    return (
        DocumentVersion.objects.filter(kind=document.kind, number=document.number, occurrence=document.occurrence)
        .select_related("archived_by")
        .order_by("-version_no")
    )


def find_printed_document(
    *, document_type: str, number: str, occurrence: int, version_no: int
) -> tuple[Document | None, DocumentVersion | None]:
    """The document (and archived version, when `version_no` > 0) a log entry came from,
    by what the entry keeps: document type, number, occurrence and version. Either is
    None when it no longer exists."""
    kind = kind_of_document_type(document_type)
    if kind is None or not number:
        return None, None
    version = None
    if version_no > 0:
        version = DocumentVersion.objects.filter(
            kind=kind, number=number, occurrence=occurrence, version_no=version_no
        ).first()
    document = Document.objects.filter(kind=kind, number=number, occurrence=occurrence).first()
    return document, version
