"""Receivers of the host apps' signals. Thin: they translate and call services."""

from functools import partial

from crm.documents.printing import LoggingAvailability
from crm.documents.signals import document_printed, print_logging_availability

from .services import attachments, printing


def answer_logging_availability(sender, *, document, document_type, user, **kwargs) -> LoggingAvailability:
    available, reason, warning = printing.logging_availability(
        document=document, document_type=document_type, user=user
    )
    return LoggingAvailability(available=available, reason=reason, warning=warning)


def log_printed_document(
    sender, *, document, document_type, user, log_interaction, language, pdf, pdf_file_name, version_no, result,
    **kwargs,
):  # fmt: skip
    if not log_interaction:
        return
    outcome = printing.log_printed_document(
        document=document,
        document_type=document_type,
        document_version=version_no,
        pdf=pdf,
        pdf_file_name=pdf_file_name,
        language=language,
        user=user,
    )
    if outcome.entry is None:
        result.record_not_logged(reason=outcome.reason)
        return
    # Should the print fail after this (another receiver, the commit), its rows go with
    # the rollback; the stored PDF must go too.
    result.on_rollback(partial(attachments.delete_stored_files, [outcome.entry.attachment.file.name]))
    result.record_logged(entry_no=outcome.entry.entry_no, url=outcome.entry.get_absolute_url())


def connect() -> None:
    print_logging_availability.connect(
        answer_logging_availability, dispatch_uid="interactions.answer_logging_availability"
    )
    document_printed.connect(log_printed_document, dispatch_uid="interactions.log_printed_document")
