"""Contact cover sheets: the page that goes on top of what is sent to a contact by post or
fax (NAV's report "Contact - Cover Sheet"), printed as a PDF and logged.

The sheet carries the sender (the company of the documents' settings, DOCUMENTS_COMPANY_NAME
and DOCUMENTS_COMPANY_ADDRESS, and the salesperson), the recipient's address, a free text,
the standard remarks ticked (NAV's "As agreed upon", "For your information", ...) and one
of the user's own, and the number of pages sent; captions in the chosen language (the
contact's by default), which is also the language of the entry.

Logging follows NAV: printing logs an interaction with the template that the template
setup chooses for "Cover sheets", the PDF attached (what was printed is what the log
keeps), correspondence type hard copy, the address in "contact via". Without a template
the sheet is still printed, as NAV prints it with "Log interaction" cleared and greyed
out, and the page says before and after printing that nothing was recorded and why: never
printed without the user knowing it was not logged. A preview logs nothing.

`render_cover_sheet` is the rendering alone, for other code that needs a cover sheet in
front of a letter (a segment's hard-copy delivery): plain values in, PDF bytes out.
"""

import dataclasses
import datetime
from io import BytesIO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

from crm.contacts.models import Contact, CorrespondenceType, Salesperson
from crm.documents.rendering import FONT_FILES, PdfRenderingError, pdf_font_dir
from crm.documents.types import DocumentType

from ..models import InteractionLogEntry
from ..permissions import RECORD, require_permission
from . import summaries, webhooks
from .attachments import atomic_with_files, store_attachment
from .communication.automatic_entries import automatic_entry, no_template_reason, setup_template
from .recording import default_salesperson, lock_template_for_recording

COVER_SHEETS_EVENT = DocumentType.COVER_SHEET.value

# NAV's standard remarks, ticked on the request page; the order is the sheet's.
REMARKS = [
    ("as_agreed", gettext_lazy("As agreed upon")),
    ("for_your_information", gettext_lazy("For your information")),
    ("your_comments", gettext_lazy("Your comments please")),
    ("for_your_approval", gettext_lazy("For your approval")),
    ("please_call", gettext_lazy("Please call")),
    ("returned_after_use", gettext_lazy("Returned after use")),
]
REMARK_KEYS = [key for key, _caption in REMARKS]
TEXT_MAX_LENGTH = 1000
CUSTOM_REMARK_MAX_LENGTH = 100
MAX_PAGE_COUNT = 9999


def cover_sheet_languages() -> list[str]:
    """The languages a cover sheet can be printed in: those the site is translated into."""
    return [code for code, _name in settings.LANGUAGES]


def default_language(contact: Contact) -> str:
    """The contact's language when the sheet can be printed in it, else the site's."""
    languages = cover_sheet_languages()
    if contact.language in languages:
        return contact.language
    current = translation.get_language()
    return current if current in languages else settings.LANGUAGE_CODE


def recipient_address(contact: Contact) -> list[str]:
    """The lines of the recipient's address (NAV's FormatAddr.ContactAddr): a person of a
    company is written to at the company, at the person's own address if it has one (a
    street), else the company's."""
    lines = [contact.name]
    place = contact
    if not contact.is_company and contact.company_id:
        lines.append(contact.company.name)
        if not contact.address.strip():
            place = contact.company
    lines += [place.address, place.address_2]
    lines.append(" ".join(part for part in [place.post_code, place.city] if part))
    lines.append(place.country)
    return [line for line in lines if line and line.strip()]


def contact_via(contact: Contact) -> str:
    """The address the sheet goes to, for the entry's "contact via"."""
    return ", ".join(recipient_address(contact)[1:])[:80]


def _fonts() -> dict[str, str]:
    folder = pdf_font_dir()
    if folder is None:
        raise ImproperlyConfigured(
            "The PDF font DejaVu Sans was not found: install fonts-dejavu-core or set DOCUMENTS_PDF_FONT_DIR."
        )
    return {style: str(folder / name) for style, name in FONT_FILES.items()}


def _validated(*, remarks, custom_remark: str, text: str, page_count: int | None, language: str) -> list[str]:
    errors = {}
    unknown = [remark for remark in remarks if remark not in REMARK_KEYS]
    if unknown:
        errors["remarks"] = _("Unknown remark: %(remark)s.") % {"remark": ", ".join(map(str, unknown))}
    if len(custom_remark) > CUSTOM_REMARK_MAX_LENGTH:
        errors["custom_remark"] = _("The remark can have at most %(count)d characters.") % {
            "count": CUSTOM_REMARK_MAX_LENGTH
        }
    if len(text) > TEXT_MAX_LENGTH:
        errors["text"] = _("The text can have at most %(count)d characters.") % {"count": TEXT_MAX_LENGTH}
    if page_count is not None and not 1 <= page_count <= MAX_PAGE_COUNT:
        errors["page_count"] = _("The number of pages must be between 1 and %(max)d.") % {"max": MAX_PAGE_COUNT}
    if language not in cover_sheet_languages():
        errors["language"] = _("Cover sheets cannot be printed in this language.")
    if errors:
        raise ValidationError(errors)
    return [key for key in REMARK_KEYS if key in set(remarks)]


def render_cover_sheet(
    *,
    contact: Contact,
    salesperson: Salesperson | None = None,
    remarks=(),
    custom_remark: str = "",
    text: str = "",
    page_count: int | None = None,
    language: str,
    date: datetime.date | None = None,
) -> bytes:
    """The cover sheet for `contact` as a PDF, its captions in `language`. `remarks`: keys
    of REMARKS; `page_count`: the pages sent, this sheet included (None: not printed).
    Raises ValidationError for values that cannot be printed, PdfRenderingError when the
    PDF could not be made."""
    remarks = _validated(
        remarks=remarks, custom_remark=custom_remark, text=text, page_count=page_count, language=language
    )
    context = {
        "contact": contact,
        "recipient": recipient_address(contact),
        "attention": contact.name if not contact.is_company and contact.company_id else "",
        "company_name": getattr(settings, "DOCUMENTS_COMPANY_NAME", ""),
        "company_address": getattr(settings, "DOCUMENTS_COMPANY_ADDRESS", ""),
        "salesperson": salesperson,
        "remarks": [(caption, key in remarks) for key, caption in REMARKS],
        "custom_remark": custom_remark.strip(),
        "text": text.strip(),
        "page_count": page_count,
        "date": date or timezone.localdate(),
        "language": language,
        "fonts": _fonts(),
    }
    with translation.override(language):
        html = render_to_string("interactions/cover_sheets/cover_sheet_pdf.html", context)
    output = BytesIO()
    # The HTML is ours and its data escaped; still, the renderer reads only the fonts.
    policy = ResourceAccessPolicy(allow_remote=False, base_dir=pdf_font_dir())
    status = pisa.CreatePDF(html, dest=output, encoding="utf-8", resource_policy=policy)
    if status.err:
        raise PdfRenderingError(f"xhtml2pdf reported {status.err} error(s) rendering the cover sheet of {contact}")
    return output.getvalue()


def file_name(contact: Contact) -> str:
    return get_valid_filename(f"cover-sheet-{contact.number}-{timezone.localtime():%Y%m%d-%H%M%S}.pdf")


def logging_notice() -> str:
    """Shown on the cover sheet page before printing: "" when printing is logged."""
    if setup_template(COVER_SHEETS_EVENT) is not None:
        return ""
    return _("No interaction will be recorded: %(reason)s") % {"reason": no_template_reason(COVER_SHEETS_EVENT)}


@dataclasses.dataclass(frozen=True)
class CoverSheetPrint:
    """What printing did: the PDF, and the entry that records it or why none does."""

    pdf: bytes
    file_name: str
    entry: InteractionLogEntry | None = None
    not_logged_reason: str = ""


def print_cover_sheet(
    *,
    contact: Contact,
    user,
    remarks=(),
    custom_remark: str = "",
    text: str = "",
    page_count: int | None = None,
    language: str,
    log_interaction: bool = True,
    segment_number: str = "",
    salesperson: Salesperson | None = None,
) -> CoverSheetPrint:
    """Print the cover sheet for `contact` and log it with the setup's "Cover sheets"
    template (unless `log_interaction` is off; without a template nothing is logged and
    `not_logged_reason` says why). The PDF and its entry commit together.
    `segment_number`: printed from a segment's line (the entry carries the number);
    `salesperson`: the line's, else the user's or the contact's."""
    require_permission(user, RECORD)
    salesperson = salesperson or default_salesperson(user=user, contact=contact)
    pdf = render_cover_sheet(
        contact=contact,
        salesperson=salesperson,
        remarks=remarks,
        custom_remark=custom_remark,
        text=text,
        page_count=page_count,
        language=language,
    )
    name = file_name(contact)
    if not log_interaction:
        return CoverSheetPrint(pdf=pdf, file_name=name, not_logged_reason=_("“Log interaction” was cleared."))
    template = setup_template(COVER_SHEETS_EVENT)
    if template is None:
        return CoverSheetPrint(pdf=pdf, file_name=name, not_logged_reason=no_template_reason(COVER_SHEETS_EVENT))
    with atomic_with_files():
        lock_template_for_recording(template, field=None)
        attachment = store_attachment(content=pdf, file_name=name, content_type="application/pdf")
        entry = automatic_entry(
            template=template,
            contact=contact,
            user=user,
            correspondence_type=CorrespondenceType.HARD_COPY,
            contact_via=contact_via(contact),
            attachment=attachment,
            language=language,
            salesperson=salesperson,
            segment_number=segment_number[:20],
            document_type=COVER_SHEETS_EVENT,
        )
        entry.save(force_insert=True)
        summaries.entry_logged(entry)
        webhooks.announce_entries(webhooks.ENTRY_CREATED, [entry.entry_no])
    return CoverSheetPrint(pdf=pdf, file_name=name, entry=entry)
