"""The printed document: a print-ready HTML page, and a PDF made from the same template
by xhtml2pdf. Captions are rendered in the language asked for, whatever the page's.

PDF fonts: the 14 standard PDF fonts have no Cyrillic, so the PDF embeds DejaVu Sans,
looked up in DOCUMENTS_PDF_FONT_DIR or the usual system font folders (Debian's
fonts-dejavu-core puts it in /usr/share/fonts/truetype/dejavu).
"""

from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.text import get_valid_filename
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

from .models import Document

FONT_FILES = {"regular": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf"}
FONT_DIRS = [
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts/dejavu",
    "/opt/homebrew/share/fonts/dejavu",
    "/Library/Fonts",
]


class PdfRenderingError(Exception):
    """The PDF could not be made."""


def pdf_font_dir() -> Path | None:
    """The folder with the PDF's fonts, or None when none is found."""
    configured = getattr(settings, "DOCUMENTS_PDF_FONT_DIR", None)
    candidates = [configured] if configured else FONT_DIRS
    for folder in candidates:
        path = Path(folder)
        if all((path / name).is_file() for name in FONT_FILES.values()):
            return path
    return None


def _fonts() -> dict[str, str]:
    folder = pdf_font_dir()
    if folder is None:
        raise ImproperlyConfigured(
            "The PDF font DejaVu Sans was not found (searched: "
            + ", ".join([getattr(settings, "DOCUMENTS_PDF_FONT_DIR", None) or ""] + FONT_DIRS).strip(", ")
            + "). Install it (Debian: apt-get install fonts-dejavu-core) or set DOCUMENTS_PDF_FONT_DIR."
        )
    return {style: str(folder / name) for style, name in FONT_FILES.items()}


def pdf_file_name(document: Document) -> str:
    return get_valid_filename(f"{document.kind.replace('_', '-')}-{document.number}.pdf")


def render_printout(document: Document, *, language: str, for_pdf: bool = False) -> str:
    """The printed document as HTML, its captions in `language`. `document` should come
    from `selectors.documents_for_printing()`, so that rendering reads nothing more."""
    context = {
        "document": document,
        "partner": document.partner,
        "lines": list(document.lines.all()),
        "company_name": getattr(settings, "DOCUMENTS_COMPANY_NAME", ""),
        "company_address": getattr(settings, "DOCUMENTS_COMPANY_ADDRESS", ""),
        "for_pdf": for_pdf,
        "fonts": _fonts() if for_pdf else {},
        "language": language,
    }
    with translation.override(language):
        return render_to_string("documents/printout.html", context)


def render_pdf(document: Document, *, language: str) -> bytes:
    html = render_printout(document, language=language, for_pdf=True)
    output = BytesIO()
    # The HTML is ours, the data in it escaped; still, the renderer may read nothing but
    # the font folder and fetch nothing remote.
    policy = ResourceAccessPolicy(allow_remote=False, base_dir=pdf_font_dir())
    status = pisa.CreatePDF(html, dest=output, encoding="utf-8", resource_policy=policy)
    if status.err:
        raise PdfRenderingError(f"xhtml2pdf reported {status.err} error(s) rendering {document}")
    return output.getvalue()
