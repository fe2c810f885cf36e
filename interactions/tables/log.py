"""The interaction log as a table (django-tables2), and its export to CSV (streamed, any
size) and XLSX (capped)."""

import csv
import datetime
import io
import re

import django_tables2 as tables
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_tables2.data import TableQuerysetData

from .. import conf
from ..models import DeliveryStatus, InformationFlow, InteractionLogEntry
from ..selectors import log as selectors_log
from ..selectors.log import EXPORT_COLUMNS, export_rows

FLOW_ICONS = {
    InformationFlow.OUTBOUND.value: ("bi-box-arrow-up-right text-primary", _("Outbound")),
    InformationFlow.INBOUND.value: ("bi-box-arrow-in-down-left text-success", _("Inbound")),
}
EVALUATION_BADGES = {
    "very_positive": "text-bg-success",
    "positive": "text-bg-success bg-opacity-75",
    "neutral": "text-bg-secondary",
    "negative": "text-bg-warning",
    "very_negative": "text-bg-danger",
}


def contact_url(number: str) -> str:
    try:
        return reverse("contacts:detail", args=[number])
    except NoReverseMatch:
        return ""


class DeferredJoinTableData(TableQuerysetData):
    """Pages the log in two steps: the entry numbers of the page first, read from the index
    of the sort order alone (cheap even at page 500 of millions of rows), then only those
    entries with their contacts, templates and salespeople joined in."""

    def __getitem__(self, key):
        if isinstance(key, slice):
            return selectors_log.log_rows(list(self.data.values_list("pk", flat=True)[key]))
        return super().__getitem__(key)


class SelectionColumn(tables.Column):
    """A labelled checkbox per row, so keyboard and screen-reader users can select entries."""

    def __init__(self, **kwargs):
        super().__init__(
            accessor="entry_no",
            verbose_name="",
            orderable=False,
            attrs={"th": {"class": "selection"}, "td": {"class": "selection"}},
            **kwargs,
        )

    def header(self):
        return format_html(
            '<input class="form-check-input" type="checkbox" data-select-all aria-label="{}">',
            _("Select all entries on this page"),
        )

    def render(self, value):
        return format_html(
            '<input class="form-check-input" type="checkbox" name="entry" value="{}" form="log-actions" '
            'aria-label="{}">',
            value,
            _("Select entry %(number)s") % {"number": value},
        )


class InteractionLogTable(tables.Table):
    """Columns, sorting and pagination are django-tables2's; the rows of the body are written
    by `body_html` in one pass (50 rows x 13 cells through the generic cell machinery of
    django-tables2 cost several times the page's database time). Each column's cell is the
    `render_<column>(record)` method below."""

    selection = SelectionColumn()
    entry_no = tables.Column(verbose_name=_("Entry No."), attrs={"td": {"class": "text-end"}})
    # The entries of a day in time order, as NAV's log (an index serves it: log_date_idx).
    date = tables.Column(verbose_name=_("Date"), order_by=("date", "time", "entry_no"))
    time = tables.Column(verbose_name=_("Time"), orderable=False)
    flow = tables.Column(verbose_name=_("Flow"), accessor="information_flow", orderable=False)
    title = tables.Column(verbose_name=_("Interaction"), accessor="description", order_by=("description", "entry_no"))
    contact = tables.Column(verbose_name=_("Contact"), order_by=("contact__name", "entry_no"))
    contact_company = tables.Column(verbose_name=_("Company"), orderable=False)
    salesperson = tables.Column(
        verbose_name=_("Salesperson"), accessor="salesperson__code", order_by=("salesperson__code", "entry_no")
    )
    evaluation = tables.Column(verbose_name=_("Evaluation"), order_by=("evaluation", "entry_no"))
    cost = tables.Column(verbose_name=_("Cost"), attrs={"td": {"class": "text-end"}}, order_by=("cost", "entry_no"))
    duration = tables.Column(
        verbose_name=_("Duration (min.)"), attrs={"td": {"class": "text-end"}}, order_by=("duration", "entry_no")
    )
    status = tables.Column(verbose_name=_("Status"), accessor="canceled", orderable=False, empty_values=())

    class Meta:
        model = InteractionLogEntry
        fields: list[str] = []
        sequence = (
            "selection", "entry_no", "date", "time", "flow", "title", "contact", "contact_company",
            "salesperson", "evaluation", "cost", "duration", "status",
        )  # fmt: skip
        attrs = {"class": "table table-sm table-hover align-middle", "id": "interaction-log"}
        empty_text = _("No interaction log entries match the filter.")
        order_by = ("-date",)
        template_name = "interactions/log_table.html"

    def body_html(self):
        # Each cell names its column (data-label) so that below 576 px, where every row is
        # stacked as a card (interactions/log.css), a cell still says what it is.
        columns = [
            (column.name, column.attrs["td"].as_html(), str(column.header) if column.name != "selection" else "")
            for column in self.columns
        ]
        cells = {name: getattr(self, f"render_{name}") for name, _attrs, _label in columns}
        rows = []
        for row in self.page.object_list if self.page else []:
            record = row.record
            row_class = "table-secondary text-decoration-line-through" if record.canceled else ""
            rows.append(
                format_html(
                    '<tr class="{}" data-entry="{}">{}</tr>',
                    row_class,
                    record.entry_no,
                    format_html_join(
                        "",
                        '<td data-column="{}" data-label="{}" {}>{}</td>',
                        ((name, label, attrs, cells[name](record)) for name, attrs, label in columns),
                    ),
                )
            )
        return mark_safe("".join(rows))

    def render_selection(self, record):
        return self.columns["selection"].column.render(record.entry_no)

    def render_entry_no(self, record):
        return format_html('<a href="{}">{}</a>', record.get_absolute_url(), record.entry_no)

    def render_date(self, record):
        return date_format(record.date, "SHORT_DATE_FORMAT")

    def render_time(self, record):
        return record.time.strftime("%H:%M") if record.time else ""

    def render_cost(self, record):
        return number_format(record.cost, 2)

    def render_duration(self, record):
        return record.duration

    def render_salesperson(self, record):
        return record.salesperson.code if record.salesperson_id else "—"

    def render_flow(self, record):
        icon, label = FLOW_ICONS.get(record.information_flow, ("", ""))
        if not icon:
            return "—"
        return format_html(
            '<i class="bi {}" aria-hidden="true"></i><span class="visually-hidden">{}</span>', icon, label
        )

    def render_title(self, record):
        kind = record.group.description if record.group_id else ""
        return format_html(
            '{}<div class="small text-body-secondary">{}{}</div>',
            record.title,
            record.description if record.template_id and record.description != record.template.description else "",
            format_html(' <span class="badge text-bg-light border">{}</span>', kind) if kind else "",
        )

    def render_contact(self, record):
        url = contact_url(record.contact.number)
        if url:
            return format_html('<a href="{}">{}</a>', url, record.contact.name)
        return record.contact.name

    def render_contact_company(self, record):
        if not record.contact_company_id or record.contact_company_id == record.contact_id:
            return "—"
        return record.contact_company.name

    def render_evaluation(self, record):
        if not record.evaluation:
            return "—"
        return format_html(
            '<span class="badge {}">{}</span>',
            EVALUATION_BADGES.get(record.evaluation, "text-bg-light"),
            record.get_evaluation_display(),
        )

    def render_status(self, record):
        badges = []
        if record.canceled:
            badges.append(format_html('<span class="badge text-bg-dark">{}</span>', _("Canceled")))
        if record.attempt_failed:
            badges.append(format_html('<span class="badge text-bg-warning">{}</span>', _("Failed")))
        if record.delivery_status == DeliveryStatus.ERROR:
            badges.append(format_html('<span class="badge text-bg-danger">{}</span>', _("Delivery error")))
        elif record.delivery_status in (DeliveryStatus.IN_PROGRESS, DeliveryStatus.SENDING):
            badges.append(format_html('<span class="badge text-bg-info">{}</span>', _("Sending")))
        if record.attachment_id:
            badges.append(
                format_html('<i class="bi bi-paperclip" title="{0}" aria-label="{0}"></i>', _("Has an attachment"))
            )
        if record.document_number:
            badges.append(
                format_html(
                    '<i class="bi bi-file-earmark-text" title="{0}" aria-label="{0}"></i>', _("From a document")
                )
            )
        if getattr(record, "has_comments", False):
            badges.append(
                format_html('<i class="bi bi-chat-left-text" title="{0}" aria-label="{0}"></i>', _("Has comments"))
            )
        return mark_safe(" ".join(badges))


def choosable_columns() -> list[tuple[str, str]]:
    """The columns a user may show or hide: every column of the log but the selection boxes."""
    return [
        (name, str(column.verbose_name))
        for name, column in InteractionLogTable.base_columns.items()
        if name != "selection"
    ]


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
    return conf.settings.XLSX_EXPORT_LIMIT


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
