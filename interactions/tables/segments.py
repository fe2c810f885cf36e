"""Tables (django-tables2) of the segment pages: segments, a segment's lines, logged
segments. Their querysets carry every related row and count a row shows (see
selectors_segments): rendering a page runs no query per row."""

from urllib.parse import urlencode

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..models import LoggedSegment, Segment, SegmentLine

NUMBER = {"th": {"class": "text-end"}, "td": {"class": "text-end"}}


def log_url(**filters) -> str:
    return f"{reverse('interactions:log')}?{urlencode(filters)}"


class SegmentTable(tables.Table):
    number = tables.Column(
        verbose_name=_("No."), linkify=lambda record: reverse("interactions:segment-detail", args=[record.number])
    )
    description = tables.Column(verbose_name=_("Description"))
    salesperson = tables.Column(verbose_name=_("Salesperson"), accessor="salesperson__code", default="")
    date = tables.DateColumn(verbose_name=_("Date"), short=True)
    template = tables.Column(verbose_name=_("Interaction template"), accessor="template__code", default="")
    line_count = tables.Column(verbose_name=_("Lines"), attrs=NUMBER)
    is_logged = tables.Column(verbose_name=_("Status"), orderable=False)

    class Meta:
        model = Segment
        fields: list[str] = []
        sequence = ("number", "description", "salesperson", "date", "template", "line_count", "is_logged")
        attrs = {"class": "table table-sm table-hover align-middle", "id": "segments"}
        order_by = ("-number",)

    def render_is_logged(self, value, record):
        if value:
            return format_html(
                '<a class="badge text-bg-success text-decoration-none" href="{}">{}</a>',
                log_url(segment=record.number),
                _("Logged"),
            )
        return format_html('<span class="badge text-bg-light border">{}</span>', _("Being built"))


class LineSelectionColumn(tables.Column):
    """A labelled checkbox per line, so keyboard and screen-reader users can pick lines."""

    def __init__(self, **kwargs):
        super().__init__(
            accessor="pk", verbose_name="", orderable=False, attrs={"th": {"class": "selection"}}, **kwargs
        )

    def header(self):
        return format_html(
            '<input class="form-check-input" type="checkbox" data-select-all aria-label="{}">',
            _("Select all lines on this page"),
        )

    def render(self, value, record):
        return format_html(
            '<input class="form-check-input" type="checkbox" name="line" value="{}" form="remove-lines" '
            'aria-label="{}">',
            value,
            _("Select the line of %(contact)s") % {"contact": record.contact.name},
        )


class SegmentLineTable(tables.Table):
    selection = LineSelectionColumn()
    contact_number = tables.Column(verbose_name=_("Contact No."), accessor="contact__number")
    contact = tables.Column(verbose_name=_("Contact"), accessor="contact__name", order_by=("contact__name", "id"))
    company = tables.Column(verbose_name=_("Company"), accessor="contact_company__name", default="", orderable=False)
    template = tables.Column(verbose_name=_("Template"), accessor="template__code", default="")
    language = tables.Column(verbose_name=_("Language"))
    correspondence_type = tables.Column(verbose_name=_("Correspondence type"), empty_values=())
    contact_via = tables.Column(verbose_name=_("Contact via"), orderable=False)
    subject = tables.Column(verbose_name=_("Subject"))
    evaluation = tables.Column(verbose_name=_("Evaluation"), empty_values=())
    cost = tables.Column(verbose_name=_("Cost"), attrs=NUMBER)
    duration = tables.Column(verbose_name=_("Duration (min.)"), attrs=NUMBER)
    campaign = tables.Column(verbose_name=_("Campaign"), accessor="campaign__number", default="")
    # "Make phone call" per line: the number to dial, then the call recorded for the line.
    call = tables.Column(verbose_name="", accessor="pk", orderable=False)
    # "Record interaction" per line: the new-interaction page, prefilled from the line.
    record = tables.Column(verbose_name="", accessor="pk", orderable=False)
    # "Print cover sheet" per line: the sheet for the line's contact, logged with the segment's number.
    cover_sheet = tables.Column(verbose_name="", accessor="pk", orderable=False)
    edit = tables.Column(verbose_name="", accessor="pk", orderable=False)

    class Meta:
        model = SegmentLine
        fields: list[str] = []
        sequence = (
            "selection", "contact_number", "contact", "company", "template", "language", "correspondence_type",
            "contact_via", "subject", "evaluation", "cost", "duration", "campaign", "call", "record",
            "cover_sheet", "edit",
        )  # fmt: skip
        attrs = {"class": "table table-sm table-hover align-middle", "id": "segment-lines"}

    def __init__(self, *args, segment: Segment, **kwargs):
        super().__init__(*args, **kwargs)
        self.segment = segment

    # Blank choices read "(none)" in forms; in the table they are simply empty.
    def render_evaluation(self, record):
        return record.get_evaluation_display() if record.evaluation else "—"

    def render_correspondence_type(self, record):
        return record.get_correspondence_type_display() if record.correspondence_type else "—"

    def render_campaign(self, value, record):
        flags = []
        if record.campaign_target:
            flags.append(str(_("target")))
        if record.campaign_response:
            flags.append(str(_("response")))
        return format_html('{} <small class="text-body-secondary">{}</small>', value, ", ".join(flags))

    def render_call(self, value, record):
        query = urlencode({"contact": record.contact.number, "segment": self.segment.number})
        url = f"{reverse('interactions:call-new')}?{query}"
        return format_html(
            '<a class="btn btn-outline-success btn-sm" href="{}" title="{}" aria-label="{}">'
            '<i class="bi bi-telephone-outbound" aria-hidden="true"></i></a>',
            url,
            _("Make phone call"),
            _("Make phone call to %(contact)s") % {"contact": record.contact.name},
        )

    def render_record(self, value, record):
        query = urlencode({"contact": record.contact.number, "segment": self.segment.number, "line": record.pk})
        return format_html(
            '<a class="btn btn-outline-primary btn-sm" href="{}?{}" title="{}" aria-label="{}">'
            '<i class="bi bi-journal-plus" aria-hidden="true"></i></a>',
            reverse("interactions:new"),
            query,
            _("Record interaction"),
            _("Record an interaction with %(contact)s") % {"contact": record.contact.name},
        )

    def render_cover_sheet(self, value, record):
        query = urlencode({"contact": record.contact.number, "segment": self.segment.number})
        return format_html(
            '<a class="btn btn-outline-secondary btn-sm" href="{}?{}" title="{}" aria-label="{}">'
            '<i class="bi bi-printer" aria-hidden="true"></i></a>',
            reverse("interactions:cover-sheet"),
            query,
            _("Print cover sheet"),
            _("Print a cover sheet for %(contact)s") % {"contact": record.contact.name},
        )

    def render_edit(self, value, record):
        return format_html(
            '<a class="btn btn-outline-secondary btn-sm" href="{}" aria-label="{}">'
            '<i class="bi bi-pencil" aria-hidden="true"></i></a>',
            reverse("interactions:segment-line-edit", args=[self.segment.number, value]),
            _("Edit the line of %(contact)s") % {"contact": record.contact.name},
        )


class LoggedSegmentTable(tables.Table):
    number = tables.Column(
        verbose_name=_("No."), accessor="pk", attrs=NUMBER,
        linkify=lambda record: log_url(logged_segment=record.pk),
    )  # fmt: skip
    created_at = tables.DateTimeColumn(verbose_name=_("Date"), short=True)
    user = tables.Column(verbose_name=_("User"), accessor="user__username", default="")
    segment_number = tables.Column(verbose_name=_("Segment No."))
    description = tables.Column(verbose_name=_("Description"))
    entry_count = tables.Column(
        verbose_name=_("Interactions"), attrs=NUMBER, linkify=lambda record: log_url(logged_segment=record.pk)
    )
    canceled = tables.Column(verbose_name=_("Canceled"))
    actions = tables.TemplateColumn(
        verbose_name="",
        template_name="interactions/segments/_logged_segment_actions.html",
        orderable=False,
        accessor="pk",
    )

    class Meta:
        model = LoggedSegment
        fields: list[str] = []
        sequence = (
            "number",
            "created_at",
            "user",
            "segment_number",
            "description",
            "entry_count",
            "canceled",
            "actions",
        )
        attrs = {"class": "table table-sm table-hover align-middle", "id": "logged-segments"}
        row_attrs = {"class": lambda record: "table-secondary" if record.canceled else ""}
        order_by = ("-number",)

    def render_segment_number(self, value, record):
        if record.segment_exists:
            return format_html('<a href="{}">{}</a>', reverse("interactions:segment-detail", args=[value]), value)
        return value

    def render_canceled(self, value):
        if value:
            return format_html('<span class="badge text-bg-danger">{}</span>', _("Canceled"))
        return format_html('<span class="visually-hidden">{}</span>', _("No"))
