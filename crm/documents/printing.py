"""The contract between printing and whoever records printed documents (the interactions
module): what the print dialog asks before printing, and what receivers of
`document_printed` report back. Only data and the question itself live here; the print
service is `services.print_document`.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .models import Document
from .signals import print_logging_availability

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoggingAvailability:
    """Whether printing a document can log an interaction.

    `reason`: why not when unavailable; otherwise what will be recorded (the template).
    `warning`: available, but this document will not be logged as it stands (say, no
    contact can be found), so the user knows before printing."""

    available: bool
    reason: str = ""
    warning: str = ""


@dataclass(eq=False)
class PrintResult:
    """What a print did. Receivers of `document_printed` report through it, so the page
    can tell the user what happened without the documents app knowing who logged."""

    document: Document
    language: str
    preview: bool
    log_requested: bool
    pdf: bytes
    pdf_file_name: str
    version_no: int = 0
    version_archived: bool = False
    logged_entry_no: int | None = None
    logged_entry_url: str = ""
    not_logged_reason: str = ""
    _rollback_callbacks: list[Callable[[], None]] = field(default_factory=list, repr=False)

    @property
    def logged(self) -> bool:
        return self.logged_entry_no is not None

    def record_logged(self, *, entry_no: int, url: str = "") -> None:
        if self.logged:
            # Two receivers logging the same print would record it twice.
            raise RuntimeError(f"this print was already logged as entry {self.logged_entry_no}")
        self.logged_entry_no, self.logged_entry_url = entry_no, url

    def record_not_logged(self, *, reason: str) -> None:
        self.not_logged_reason = reason

    def on_rollback(self, callback: Callable[[], None]) -> None:
        """Run `callback` if the print's transaction is rolled back: for what a database
        rollback cannot undo, such as a stored file."""
        self._rollback_callbacks.append(callback)

    def rolled_back(self) -> None:
        callbacks, self._rollback_callbacks = self._rollback_callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception:
                # The print has failed already; a clean-up that fails too must not hide why.
                logger.exception("A clean-up after a failed print of %s failed", self.document)


def logging_availability(*, document: Document, user) -> LoggingAvailability:
    """Ask the installed modules whether printing `document` can log an interaction.

    The first answer that says "available" wins; else the first answer (its reason says
    why not); without any answer no module that records interactions is installed."""
    answers = [
        answer
        for _receiver, answer in print_logging_availability.send(
            sender=Document, document=document, document_type=document.print_event, user=user
        )
        if isinstance(answer, LoggingAvailability)
    ]
    if not answers:
        return LoggingAvailability(available=False, reason=_("No module that records interactions is installed."))
    return next((answer for answer in answers if answer.available), answers[0])
