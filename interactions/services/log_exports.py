"""Exports of the interaction log: the rule that keeps spreadsheets from running what users
typed (shared by the CSV and Excel exports), and the Excel export, built by a Celery task.

The Excel export (LogExport, models/exports.py):
- asked for by a user with the export permission (`request_log_export`): a row, then the
  task `interactions.tasks.build_log_export`, queued failing fast; a broker that cannot be
  reached gives a clear message and leaves nothing behind;
- built by `build_log_export` in flat memory whatever the size, up to Excel's row limit
  (INTERACTIONS_XLSX_EXPORT_LIMIT): openpyxl's write-only mode streams the sheet to a
  temporary file, and the rows are read a chunk at a time by keyset (date, entry no.),
  each chunk a short query of its own on the filter's index, so that the progress written
  after each chunk commits and the page's progress bar moves;
- downloaded by its owner alone, until it expires (INTERACTIONS_EXPORT_RETENTION_HOURS);
  `delete_expired_log_exports` (celery beat, hourly) deletes the files and rows after that.
A task delivered again after its worker died starts the file over (the row says "running"
with the rows written so far until then).
"""

import datetime
import os
import re
import tempfile
import uuid

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import default_storage
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.translation import gettext as _

from .. import conf
from ..models import InteractionLogEntry, LogExport, LogExportState
from ..permissions import EXPORT
from ..selectors.log import EXPORT_COLUMNS
from .task_queue import BROKER_UNREACHABLE, queue_task

EXPORT_TASK = "interactions.tasks.build_log_export"
EXPORT_FOLDER = "exports"
# Rows read per query, and written between two progress updates.
CHUNK_ROWS = 5000
SHEET_TITLE = "Interaction log"

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A separator a spreadsheet may split a CSV line at (the list separator is "," or ";" by
# the reader's locale, tab when it guesses, line ends inside a quoted field when the quote
# is not at the start of what it took for the field), followed, after any spaces and
# quotes, by a formula character: whatever comes after it may be read as a cell of its own.
FORMULA_AFTER_SEPARATOR = re.compile(r'(?<=[,;\t\r\n])(?=[ "]*[=+\-@\t\r])')


def neutralize(value):
    """Spreadsheets run cell text that starts with = + - @ (or tab, CR) as a formula: an
    apostrophe before it keeps user-entered text from ever becoming one (CSV/formula
    injection). At the start of the text, and after every separator inside it that is
    followed by a formula character: a spreadsheet that splits the line at another
    separator than the file's (Excel with ";" as list separator, say) would otherwise
    start a cell there, `x;=cmd|' /C calc'!A0` running `=cmd|...`."""
    if not isinstance(value, str):
        return value
    value = FORMULA_AFTER_SEPARATOR.sub("'", value)
    if value.lstrip(' "').startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class ExportQueueUnavailable(Exception):
    def __init__(self):
        super().__init__(
            _("The task queue cannot be reached, so the Excel export could not be started. Please try again later.")
        )


# Django's date format characters (those crm/formats uses) as Excel's number format codes.
EXCEL_FORMAT_CODES = {"d": "dd", "j": "d", "m": "mm", "n": "m", "M": "mmm", "F": "mmmm", "Y": "yyyy", "y": "yy",
                      "H": "hh", "G": "h", "i": "mm", "s": "ss"}  # fmt: skip


def excel_format(django_format: str) -> str:
    """An Excel number format that writes what `django_format` writes ("M j, Y" -> "mmm d, yyyy")."""
    return "".join(EXCEL_FORMAT_CODES.get(char, f"\\{char}" if char.isalpha() else char) for char in django_format)


def xlsx_row_limit() -> int:
    return conf.settings.XLSX_EXPORT_LIMIT


def request_log_export(*, user, filters: dict[str, str], language: str) -> LogExport:
    """Ask for an Excel export of the log filtered by `filters` (the log page's query
    parameters, already checked by its filter form) in `language`. Queued, or run at once
    when tasks run in-process. Raises ExportQueueUnavailable when the broker cannot be
    reached (nothing is kept), PermissionDenied without the export permission."""
    if not user.has_perm(EXPORT):
        raise PermissionDenied
    export = LogExport.objects.create(
        user=user,
        filters=dict(filters),
        language=language,
        expires_at=timezone.now() + datetime.timedelta(hours=conf.settings.EXPORT_RETENTION_HOURS),
    )
    try:
        queue_task(EXPORT_TASK, args=[str(export.pk)], queue=conf.settings.EXPORT_QUEUE, task_id=str(export.pk))
    except BROKER_UNREACHABLE as error:
        export.delete()
        raise ExportQueueUnavailable() from error
    export.refresh_from_db()
    return export


def user_export(*, user, export_id: uuid.UUID) -> LogExport | None:
    """The user's own export `export_id`, unexpired; None for anyone else's, or gone."""
    return LogExport.objects.filter(pk=export_id, user=user, expires_at__gt=timezone.now()).first()


def user_exports(*, user, limit: int = 20) -> list[LogExport]:
    return list(LogExport.objects.filter(user=user, expires_at__gt=timezone.now()).order_by("-created_at")[:limit])


def _fail(export: LogExport, message: str) -> None:
    finished = timezone.now()
    LogExport.objects.filter(pk=export.pk).update(state=LogExportState.FAILED, error=message, finished_at=finished)


def _after(entries: QuerySet, date: datetime.date, entry_no: int) -> QuerySet:
    """The entries after (date, entry_no) in the export's order (newest first): a row
    comparison, which PostgreSQL reads as a range of the sort's index."""
    table = InteractionLogEntry._meta.db_table
    return entries.filter(
        RawSQL(f'("{table}"."date", "{table}"."entry_no") < (%s, %s)', [date, entry_no], output_field=BooleanField())
    )


def build_log_export(*, export_id: str, entries: QuerySet[InteractionLogEntry] | None, error: str = "") -> None:
    """Write the Excel file of export `export_id` from `entries` (the log filtered as the
    user asked; None with `error` when the filter no longer holds, e.g. a template it names
    was deleted: the export fails with that message)."""
    export = LogExport.objects.filter(pk=export_id).first()
    if export is None or export.state == LogExportState.DONE:
        return
    if entries is None:
        _fail(export, error)
        return
    limit = xlsx_row_limit()
    total = entries.order_by()[: limit + 1].count()
    if total > limit:
        _fail(
            export,
            _(
                "More than %(limit)s entries match the filter: narrow the filter to export to Excel, "
                "or export to CSV, which has no limit."
            )
            % {"limit": f"{limit:,}"},
        )
        return
    LogExport.objects.filter(pk=export.pk).update(state=LogExportState.RUNNING, rows_total=total, rows_done=0)

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    paths = [path for _header, path in EXPORT_COLUMNS]
    date_at, number_at = paths.index("date"), paths.index("entry_no")
    ordered = entries.order_by("-date", "-entry_no")
    handle, temporary = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(SHEET_TITLE)
        sheet.append([str(header) for header, _path in EXPORT_COLUMNS])
        # Dates and times stay dates and times (Excel sorts and filters them), shown as the
        # pages write them in the language of the export (the task runs in that language).
        cell_formats = {
            datetime.datetime: excel_format(get_format("DATETIME_FORMAT")),
            datetime.date: excel_format(get_format("DATE_FORMAT")),
            datetime.time: excel_format(get_format("TIME_FORMAT")),
        }

        def cell(value):
            if isinstance(value, str):
                return neutralize(value)
            if type(value) in cell_formats:
                if isinstance(value, datetime.datetime) and timezone.is_aware(value):
                    value = timezone.make_naive(value)
                written = WriteOnlyCell(sheet, value)
                written.number_format = cell_formats[type(value)]
                return written
            return value

        written, last = 0, None
        while True:
            chunk = ordered if last is None else _after(ordered, *last)
            rows = list(chunk.values_list(*paths)[:CHUNK_ROWS])
            for row in rows:
                sheet.append([cell(value) for value in row])
            written += len(rows)
            LogExport.objects.filter(pk=export.pk).update(rows_done=written)
            if len(rows) < CHUNK_ROWS:
                break
            last = (rows[-1][date_at], rows[-1][number_at])
        workbook.save(temporary)
        with open(temporary, "rb") as content:
            name = default_storage.save(f"{EXPORT_FOLDER}/{export.pk}.xlsx", File(content))
    finally:
        os.unlink(temporary)
    LogExport.objects.filter(pk=export.pk).update(
        state=LogExportState.DONE, file=name, rows_total=written, rows_done=written, finished_at=timezone.now()
    )


def export_file_name(export: LogExport) -> str:
    return f"interaction-log-{timezone.localtime(export.created_at):%Y%m%d-%H%M}.xlsx"


def delete_expired_log_exports(*, now: datetime.datetime | None = None) -> int:
    """Delete the exports past their expiry, files first; returns how many went."""
    now = now or timezone.now()
    deleted = 0
    for export in LogExport.objects.filter(expires_at__lte=now).order_by("expires_at")[:1000]:
        if export.file:
            default_storage.delete(export.file)
        deleted += LogExport.objects.filter(pk=export.pk).delete()[0]
    return deleted
