"""Export of the filtered interaction log to CSV (streamed, any size) and XLSX (capped)."""

import csv
import datetime
import io

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from .selectors_log import EXPORT_COLUMNS, export_rows

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value):
    """Spreadsheets run cell text that starts with = + - @ as a formula: prefix it with an
    apostrophe so user-entered text can never become a formula (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _cell(value):
    if isinstance(value, str):
        return neutralize(value)
    if value is None:
        return ""
    if value is True or value is False:
        return "1" if value else "0"
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return value


def xlsx_row_limit() -> int:
    return getattr(settings, "INTERACTIONS_XLSX_EXPORT_LIMIT", 100_000)


def _file_name(extension: str) -> str:
    return f"interaction-log-{timezone.localtime():%Y%m%d-%H%M}.{extension}"


def csv_response(entries, *, rows_per_chunk: int = 1000) -> StreamingHttpResponse:
    """Streamed: memory stays flat however many rows match; rows go out a thousand at a time."""

    def chunks():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")  # a BOM, so that spreadsheet programs read UTF-8 (Cyrillic) correctly
        writer.writerow([str(header) for header, _path in EXPORT_COLUMNS])
        for number, row in enumerate(export_rows(entries), start=1):
            writer.writerow([_cell(value) for value in row])
            if number % rows_per_chunk == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    response = StreamingHttpResponse(chunks(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_file_name("csv")}"'
    return response


def xlsx_response(entries) -> HttpResponse:
    """The caller checks the row limit first; the workbook is written in write-only mode."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Interaction log")
    sheet.append([str(header) for header, _path in EXPORT_COLUMNS])
    for row in export_rows(entries):
        sheet.append([neutralize(value) if isinstance(value, str) else value for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{_file_name("xlsx")}"'
    return response
