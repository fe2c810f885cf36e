from django.core import checks

from .rendering import FONT_DIRS, pdf_font_dir


@checks.register()
def pdf_font_is_installed(app_configs, **kwargs):
    """Without a Cyrillic font, PDFs cannot be printed: say so at start-up, not at the
    first print."""
    if pdf_font_dir() is not None:
        return []
    return [
        checks.Error(
            "The PDF font DejaVu Sans (DejaVuSans.ttf, DejaVuSans-Bold.ttf) was not found.",
            hint="Install it (Debian: apt-get install fonts-dejavu-core) or set DOCUMENTS_PDF_FONT_DIR to its folder. "
            "Searched: " + ", ".join(FONT_DIRS),
            id="documents.E001",
        )
    ]
