"""The letters of a logged segment as one PDF to print, and the simple cover sheet that can
go before each letter (sender's and recipient's address).

The PDF is drawn with reportlab's canvas directly (no HTML layout): a 10,000-letter segment
is a few seconds, not minutes. Text in DejaVu Sans (Cyrillic), found where the printed
documents find it (crm.documents.rendering). One PDF for the logged segment, stored as one
attachment that every hard-copy entry with a letter refers to; each entry's content row
keeps the page its letter starts on.

`draw_cover_sheet` is the simple cover page of a letter (sender and recipient). The contact
cover sheet printed from the card or a segment line (NAV's report 5055, with remarks and a
page count) is services/cover_sheets.py, laid out in HTML: too slow for thousands of letters.
"""

import io
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from crm.documents.rendering import FONT_FILES, pdf_font_dir

from ..models import InteractionLogEntry, LoggedSegment, SegmentEntryContent
from .attachments import store_attachment

FONT = "InteractionsDejaVu"
FONT_BOLD = "InteractionsDejaVuBold"
LEFT = 25 * mm
TOP = A4[1] - 25 * mm
LINE = 5.5 * mm
WIDTH_CHARS = 90


def _register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = pdf_font_dir()
    if folder is None:
        raise ImproperlyConfigured(
            "The PDF font DejaVu Sans was not found. Install it (Debian: apt-get install fonts-dejavu-core) "
            "or set DOCUMENTS_PDF_FONT_DIR."
        )
    pdfmetrics.registerFont(TTFont(FONT, str(folder / FONT_FILES["regular"])))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(folder / FONT_FILES["bold"])))


def sender_address() -> str:
    name = getattr(settings, "DOCUMENTS_COMPANY_NAME", "")
    address = getattr(settings, "DOCUMENTS_COMPANY_ADDRESS", "")
    return "\n".join(part for part in (name, address) if part)


def _wrapped(text: str) -> list[str]:
    out: list[str] = []
    for paragraph in text.splitlines() or [""]:
        words, line = paragraph.split(" "), ""
        for word in words:
            if line and len(line) + 1 + len(word) > WIDTH_CHARS:
                out.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        out.append(line)
    return out


def _draw_lines(canvas: Canvas, lines: Sequence[str], *, y: float, font: str = FONT, size: int = 11) -> float:
    canvas.setFont(font, size)
    for text in lines:
        if y < 25 * mm:
            canvas.showPage()
            canvas.setFont(font, size)
            y = TOP
        canvas.drawString(LEFT, y, text)
        y -= LINE
    return y


def draw_cover_sheet(
    canvas: Canvas, *, sender: str, recipient: str, language: str, remark: str = "", pages: int | None = None
) -> None:
    """One page: "Cover sheet", from (sender), to (recipient's address), an optional remark
    and page count, its captions in `language`."""
    _register_fonts()
    with translation.override(language or None):
        y = _draw_lines(canvas, [_("Cover sheet")], y=TOP, font=FONT_BOLD, size=16) - LINE
        y = _draw_lines(canvas, [_("From")], y=y, font=FONT_BOLD)
        y = _draw_lines(canvas, sender.splitlines() or ["—"], y=y) - LINE
        y = _draw_lines(canvas, [_("To")], y=y, font=FONT_BOLD)
        y = _draw_lines(canvas, recipient.splitlines() or ["—"], y=y) - LINE
        if pages is not None:
            y = _draw_lines(canvas, [_("Pages: %(count)d") % {"count": pages}], y=y) - LINE
        if remark:
            _draw_lines(canvas, _wrapped(remark), y=y)
    canvas.showPage()


def store_letters_pdf(*, logged: LoggedSegment, letters: list[tuple[int, object]], cover_sheets: bool) -> None:
    """Draw the letters (entry number, LineContent) into one PDF, store it as one attachment
    that the letters' entries refer to, and note on each content row the page its letter
    starts on. Runs in the logging's transaction (the file goes if it rolls back)."""
    _register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(_("Letters of logged segment %(number)s") % {"number": logged.pk})
    sender = sender_address()
    pages: dict[int, int] = {}
    for entry_no, content in letters:
        if cover_sheets:
            draw_cover_sheet(canvas, sender=sender, recipient=content.address, language=content.language)
        pages[entry_no] = canvas.getPageNumber()
        with translation.override(content.language or None):
            y = _draw_lines(canvas, content.address.splitlines(), y=TOP) - 2 * LINE
            if content.subject:
                y = _draw_lines(canvas, [content.subject], y=y, font=FONT_BOLD) - LINE
            _draw_lines(canvas, _wrapped(content.body), y=y)
        canvas.showPage()
    canvas.save()
    name = get_valid_filename(f"letters-logged-segment-{logged.pk}.pdf")
    attachment = store_attachment(content=buffer.getvalue(), file_name=name, content_type="application/pdf")
    entry_nos = list(pages)
    for start in range(0, len(entry_nos), 2000):
        InteractionLogEntry.objects.filter(entry_no__in=entry_nos[start : start + 2000]).update(
            attachment_id=attachment.pk
        )
    rows = list(SegmentEntryContent.objects.filter(entry_id__in=entry_nos).only("entry_id"))
    for row in rows:
        row.letter_page = pages[row.entry_id]
    SegmentEntryContent.objects.bulk_update(rows, ["letter_page"], batch_size=2000)


def letters_attachment(logged: LoggedSegment):
    """The letters PDF of the logged segment, or None."""
    row = (
        InteractionLogEntry.objects.filter(logged_segment=logged, segment_content__letter_page__isnull=False)
        .select_related("attachment")
        .first()
    )
    return row.attachment if row is not None else None
