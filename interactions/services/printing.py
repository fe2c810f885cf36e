"""Logging printed documents: one interaction log entry per print, with the PDF that was
printed as its attachment.

Called by the receivers of crm.documents' signals (receivers.py), inside the print's
transaction. What gets recorded:
- template: the one the template setup chooses for the document type; none, nothing;
- contact: the document's contact person, else the contact linked to its customer or
  vendor; none, nothing (and the user is told why);
- salesperson: the document's, else the contact's; description: the document's, else the
  template's; campaign: the document's, else the template's; cost, duration, flow,
  initiated by, group and campaign flags: the template's; date and time: now;
- document type, number, occurrence and version: where the entry came from.

Budget: logging costs three queries on top of the print (the template, the attachment,
the entry), given a document read with `crm.documents.selectors.documents_for_printing`.
"""

import logging
from dataclasses import dataclass

from django.db.models import Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.contacts.models import Contact, CorrespondenceType, Language
from crm.documents.models import Document, DocumentVersion
from crm.documents.types import DocumentType, document_types_of_kind, kind_of_document_type

from ..models import SETUP_EVENTS, InteractionLogEntry, InteractionTemplate, InteractionTemplateSetup
from ..permissions import RECORD, require_permission
from . import summaries, webhooks
from .attachments import atomic_with_files, store_attachment
from .sql import first_locked_for_key_share

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrintLogResult:
    """The entry that was recorded, or why none was."""

    entry: InteractionLogEntry | None = None
    reason: str = ""


def template_for_printed_document(document_type: str, *, lock: bool = False) -> InteractionTemplate | None:
    """The template the setup chooses for `document_type`, in one query (the setup row's
    choice as a subquery), or None when the event records nothing. `lock`: held until the
    print's transaction ends, as `recording.lock_template_for_recording` holds it, so the
    template cannot be deleted under the entry being logged with it."""
    if document_type not in SETUP_EVENTS:
        raise ValueError(f"document type {document_type!r} is not an event of the interaction template setup")
    chosen = InteractionTemplateSetup.objects.filter(id=InteractionTemplateSetup.SINGLETON_ID).values(
        f"{document_type}_id"
    )
    templates = InteractionTemplate.objects.filter(id=Subquery(chosen))
    return first_locked_for_key_share(templates) if lock else templates.first()


def _event_name(document_type: str) -> str:
    return str(DocumentType(document_type).label).lower()


def no_template_reason(document_type: str) -> str:
    return _(
        "no interaction template is set up for %(event)s; an administrator chooses one in the "
        "interaction template setup."
    ) % {"event": _event_name(document_type)}


def contact_for_printed_document(document: Document) -> tuple[Contact | None, str]:
    """The contact an interaction about `document` is recorded for, or None and why."""
    if document.contact_id:
        return document.contact, ""
    partner = document.partner
    if partner is not None and partner.contact_id:
        return partner.contact, ""
    if partner is None:
        return None, _("the document has neither a customer nor a vendor.")
    if document.is_purchase:
        return None, _("no contact is linked to vendor %(partner)s, and the document has no contact person.") % {
            "partner": partner
        }
    return None, _("no contact is linked to customer %(partner)s, and the document has no contact person.") % {
        "partner": partner
    }


def logging_availability(*, document: Document, document_type: str, user) -> tuple[bool, str, str]:
    """Whether printing `document` can log an interaction: (available, reason, warning).

    Unavailable when the user may not record interactions or no template is set up for
    the document type; available with a warning when no contact can be found."""
    if user is not None and not user.has_perm(RECORD):
        return False, _("You do not have permission to record interactions."), ""
    template = template_for_printed_document(document_type)
    if template is None:
        reason = no_template_reason(document_type)
        return False, reason[:1].upper() + reason[1:], ""
    _contact, why_not = contact_for_printed_document(document)
    warning = _("Nothing will be logged: %(reason)s") % {"reason": why_not} if why_not else ""
    return True, _("Recorded with template %(template)s.") % {"template": template}, warning


def _contact_via(document: Document) -> str:
    """A printed document goes on paper to the address printed on it: its customer's or
    vendor's."""
    partner = document.partner
    if partner is None:
        return ""
    return ", ".join(part for part in [partner.address, partner.post_code, partner.city] if part)[:80]


def log_printed_document(
    *,
    document: Document,
    document_type: str,
    document_version: int,
    pdf: bytes,
    pdf_file_name: str,
    language: str = "",
    user,
) -> PrintLogResult:
    """Record the print of `document` as an interaction with the PDF attached; or, when no
    template is set up or no contact can be found, record nothing and say why.

    Runs in the caller's transaction (the print's) without a savepoint of its own: a
    failure here fails the whole print, so neither half is kept."""
    require_permission(user, RECORD)
    contact, reason = contact_for_printed_document(document)
    if contact is None:
        return PrintLogResult(reason=reason)
    template = template_for_printed_document(document_type, lock=True)
    if template is None:
        return PrintLogResult(reason=no_template_reason(document_type))
    now = timezone.localtime()
    # The PDF is deleted again when this fails; should the print fail later, the receiver
    # has the print delete it (PrintResult.on_rollback).
    with atomic_with_files(savepoint=False):
        attachment = store_attachment(content=pdf, file_name=pdf_file_name, content_type="application/pdf")
        entry = InteractionLogEntry.objects.create(
            contact=contact,
            contact_company_id=contact.company_or_self_id,
            date=now.date(),
            time=now.time().replace(microsecond=0),
            description=(document.description or template.description)[:100],
            information_flow=template.information_flow,
            initiated_by=template.initiated_by,
            template=template,
            group_id=template.group_id,
            language=language if language in Language.values else "",
            attachment=attachment,
            cost=template.unit_cost,
            duration=template.unit_duration,
            user=user,
            salesperson_id=document.salesperson_id or contact.salesperson_id,
            campaign_id=document.campaign_id or template.campaign_id,
            campaign_target=template.campaign_target,
            campaign_response=template.campaign_response,
            correspondence_type=CorrespondenceType.HARD_COPY,
            contact_via=_contact_via(document),
            document_type=document_type,
            document_number=document.number,
            document_occurrence=document.occurrence,
            document_version=document_version,
        )
        summaries.entry_logged(entry)
        webhooks.announce_entries(webhooks.ENTRY_CREATED, [entry.entry_no])
    return PrintLogResult(entry=entry)


# Archived versions of printed documents that go with purged entries. A quote or order
# printed with "Log interaction" is archived as a new version for its entry (the version
# is marked `archived_when_printed`); when that entry is deleted and no other entry refers
# to the version, the version has no reason left to exist. Versions archived by hand stay.
# No lock is needed against new entries: a print with logging archives a *new* version,
# so no later entry can come to refer to one of these.
_VERSION_KEYS_PER_QUERY = 500


def delete_orphaned_document_versions(*, entries: list[dict]) -> int:
    """Delete the versions archived for the deleted `entries` (dicts with document_type,
    document_number, document_occurrence, document_version) that no remaining log entry
    refers to. Returns how many were deleted. Runs in the caller's transaction."""
    keys = sorted(
        {
            (kind, entry["document_number"], entry["document_occurrence"], entry["document_version"])
            for entry in entries
            if entry["document_version"]
            and entry["document_number"]
            and (kind := kind_of_document_type(entry["document_type"]))
        }
    )
    deleted = 0
    for start in range(0, len(keys), _VERSION_KEYS_PER_QUERY):
        chunk = keys[start : start + _VERSION_KEYS_PER_QUERY]
        entries_referring = Q()
        for kind, number, occurrence, version_no in chunk:
            entries_referring |= Q(
                document_type__in=document_types_of_kind(kind),
                document_number=number,
                document_occurrence=occurrence,
                document_version=version_no,
            )
        still_used = {
            (kind_of_document_type(document_type), number, occurrence, version_no)
            for document_type, number, occurrence, version_no in InteractionLogEntry.objects.filter(
                entries_referring
            ).values_list("document_type", "document_number", "document_occurrence", "document_version")
        }
        orphaned = Q()
        for key in chunk:
            if key not in still_used:
                kind, number, occurrence, version_no = key
                orphaned |= Q(kind=kind, number=number, occurrence=occurrence, version_no=version_no)
        if orphaned:
            deleted += DocumentVersion.objects.filter(orphaned, archived_when_printed=True).delete()[0]
    return deleted
