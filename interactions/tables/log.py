"""The interaction log as a table (django-tables2), and its export to CSV (streamed, any
size). The Excel export is built by a Celery task (services/log_exports.py)."""

import contextlib
import csv
import datetime
import io

import django_tables2 as tables
from django.db import transaction
from django.http import StreamingHttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format, time_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_tables2.data import TableQuerysetData

from ..models import DeliveryStatus, InformationFlow, InteractionLogEntry
from ..selectors import log as selectors_log
from ..selectors.log import EXPORT_COLUMNS, export_rows
from ..services.log_exports import neutralize

FLOW_ICONS = {
    InformationFlow.OUTBOUND.value: ("bi-box-arrow-up-right text-primary", _("Outbound")),
    InformationFlow.INBOUND.value: ("bi-box-arrow-in-down-left text-success", _("Inbound")),
}
EVALUATION_BADGES = {
    "very_positive": "text-bg-success",
    "positive": "text-bg-info",
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

    def order_by(self, aliases):
        super().order_by(aliases)
        if selectors_log.is_search(self.data):
            self.data = selectors_log.sorted_matches(self.data)

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
    # Not sortable: the contact's name and the salesperson's code are other tables' columns,
    # which no index of the log holds (a sort by them reads and sorts the whole log).
    contact = tables.Column(verbose_name=_("Contact"), orderable=False)
    contact_company = tables.Column(verbose_name=_("Company"), orderable=False)
    salesperson = tables.Column(verbose_name=_("Salesperson"), accessor="salesperson__code", orderable=False)
    # Each sort is served by an index of the log (models/log.py): (evaluation, date, entry_no)
    # also serves the evaluation filter.
    evaluation = tables.Column(verbose_name=_("Evaluation"), order_by=("evaluation", "date", "entry_no"))
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
        return date_format(record.date)

    def render_time(self, record):
        return time_format(record.time) if record.time else ""

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
                format_html(
                    '<i class="bi bi-paperclip" role="img" title="{0}" aria-label="{0}"></i>', _("Has an attachment")
                )
            )
        if record.document_number:
            badges.append(
                format_html(
                    '<i class="bi bi-file-earmark-text" role="img" title="{0}" aria-label="{0}"></i>',
                    _("From a document"),
                )
            )
        if getattr(record, "has_comments", False):
            badges.append(
                format_html(
                    '<i class="bi bi-chat-left-text" role="img" title="{0}" aria-label="{0}"></i>', _("Has comments")
                )
            )
        return mark_safe(" ".join(badges))


def choosable_columns() -> list[tuple[str, str]]:
    """The columns a user may show or hide: every column of the log but the selection boxes."""
    return [
        (name, str(column.verbose_name))
        for name, column in InteractionLogTable.base_columns.items()
        if name != "selection"
    ]


def _cell(value):
    if isinstance(value, str):
        return neutralize(value)
    if value is None:
        return ""
    if value is True or value is False:
        return "1" if value else "0"
    # Dates and times as the pages write them, in the language of the export (crm/formats).
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value) if timezone.is_aware(value) else value, "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return date_format(value)
    if isinstance(value, datetime.time):
        return time_format(value)
    return value


def _file_name(extension: str) -> str:
    return f"interaction-log-{timezone.localtime():%Y%m%d-%H%M}.{extension}"


CSV_ROWS_PER_CHUNK = 1000
# The first rows go out as soon as they are read: the cursor is read this many rows at a
# time (a round trip each), and the first chunk holds that many rows. Django's default of
# 2000 made the first chunk wait for 2000 rows read in the log's order, each joined to its
# contact, company, template... (about 0.4 s on a busy machine at 1M entries).
CSV_FETCH_ROWS = 250


def csv_response(entries, *, rows_per_chunk: int | None = None) -> StreamingHttpResponse:
    """Streamed from the first row, memory flat however many rows match: rows go out a
    thousand at a time, read from the database as they are sent.

    On PostgreSQL the rows come from a server-side cursor, which Django declares WITH HOLD
    when the connection is in autocommit: PostgreSQL then runs the whole query and stores
    its result before the first row comes back (the first byte of a million-row export came
    after 7.7 s). So the rows are read inside a transaction, opened by the streaming itself
    when the first chunk is asked for and ended with the last one; the cursor is a plain
    one, read as PostgreSQL produces the rows. A client that goes away closes the response,
    which closes this generator: the cursor is closed and the transaction rolled back
    (nothing was written) before the connection serves another request.
    """

    rows_per_chunk = rows_per_chunk or CSV_ROWS_PER_CHUNK

    def chunks():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")  # a BOM, so that spreadsheet programs read UTF-8 (Cyrillic) correctly
        writer.writerow([str(header) for header, _path in EXPORT_COLUMNS])
        yield buffer.getvalue()  # the headers at once: the download starts while the query runs
        buffer.seek(0)
        buffer.truncate()
        with transaction.atomic(), contextlib.closing(export_rows(entries, chunk_size=CSV_FETCH_ROWS)) as rows:
            for number, row in enumerate(rows, start=1):
                writer.writerow([_cell(value) for value in row])
                if number % rows_per_chunk == 0 or number == CSV_FETCH_ROWS:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    response = StreamingHttpResponse(chunks(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_file_name("csv")}"'
    return response
