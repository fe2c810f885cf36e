"""What the documents app announces. It never imports a module that records interactions:
such a module connects receivers to these signals (see DESIGN.md).

print_logging_availability
    Sent by the print dialog, to learn whether printing `document` can log an
    interaction. Arguments: `document`, `document_type` (the DocumentType the print
    records) and `user`. A receiver returns a `crm.documents.printing.LoggingAvailability`
    (or None when it has nothing to say). Without any answer, logging is not available.

document_printed
    Sent when a document has been printed (never for a preview), inside the transaction
    that counts the print and archives the version: whatever a receiver writes commits
    with them or not at all, and an exception raised by a receiver undoes the print.
    Arguments: `document`, `document_type`, `user`, `log_interaction` (the user's choice),
    `language` (of the printed document), `pdf` (the bytes that were printed),
    `pdf_file_name`, `version_no` (the document's number of archived versions, the one
    just archived included) and `result`, a `crm.documents.printing.PrintResult` through
    which receivers report what they did (`record_logged`, `record_not_logged`) and
    register clean-ups for a rollback (`on_rollback`).
"""

from django.dispatch import Signal

print_logging_availability = Signal()
document_printed = Signal()
