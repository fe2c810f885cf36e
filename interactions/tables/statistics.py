"""Tables (django-tables2) of the statistics pages: templates, groups and salespeople with
their totals, the dashboard's weekly figures.

Rows are the selectors' dataclasses, already complete: rendering a table runs no query.
"""

from urllib.parse import urlencode

import django_tables2 as tables
from django.urls import NoReverseMatch, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from ..selectors.statistics import InteractionTotals

NUMBER = {"th": {"class": "text-end"}, "td": {"class": "text-end"}, "tf": {"class": "text-end fw-semibold"}}


def optional_url(name: str, *args) -> str:
    """The URL of a page another part of the module may not have installed yet, else ""."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


class TotalsTable(tables.Table):
    """The three totals of the original's statistics, with a footer row.

    `footer_totals` (an InteractionTotals) fills the footer, headed by `footer_label`."""

    count = tables.Column(
        verbose_name=_("Interactions"),
        accessor="totals__count",
        attrs=NUMBER,
        footer=lambda table: table.footer_totals.count,
    )
    cost = tables.Column(
        verbose_name=_("Cost"),
        accessor="totals__cost",
        attrs=NUMBER,
        footer=lambda table: table.footer_totals.cost,
    )
    duration = tables.Column(
        verbose_name=_("Duration (min.)"),
        accessor="totals__duration",
        attrs=NUMBER,
        footer=lambda table: table.footer_totals.duration,
    )

    def __init__(self, data, *, footer_totals: InteractionTotals, footer_label, **kwargs):
        super().__init__(data, **kwargs)
        self.footer_totals = footer_totals
        self.footer_label = footer_label


class TemplateTotalsTable(TotalsTable):
    code = tables.Column(
        verbose_name=_("Code"),
        accessor="template__code",
        footer=lambda table: table.footer_label,
        attrs={"tf": {"class": "fw-semibold"}},
    )
    description = tables.Column(verbose_name=_("Description"), accessor="template__description")
    information_flow = tables.Column(
        verbose_name=_("Information flow"),
        accessor="template__get_information_flow_display",
        order_by=("template__information_flow",),
    )
    unit_cost = tables.Column(verbose_name=_("Unit cost"), accessor="template__unit_cost", attrs=NUMBER)
    unit_duration = tables.Column(
        verbose_name=_("Unit duration (min.)"), accessor="template__unit_duration", attrs=NUMBER
    )

    class Meta:
        sequence = ("code", "description", "information_flow", "unit_cost", "unit_duration", "...")
        attrs = {"class": "table table-sm table-hover align-middle mb-0 template-totals"}
        empty_text = _("This group has no templates.")

    def __init__(self, *args, period_query: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        # A template's page shows its totals for the same period as this list.
        self.period_query = period_query

    def render_code(self, record, value):
        url = reverse("interactions:template-detail", args=[record.template.code])
        return format_html('<a href="{}{}">{}</a>', url, f"?{self.period_query}" if self.period_query else "", value)


class GroupTotalsTable(TotalsTable):
    code = tables.Column(
        verbose_name=_("Code"),
        accessor="group__code",
        footer=lambda table: table.footer_label,
        attrs={"tf": {"class": "fw-semibold"}},
    )
    description = tables.Column(verbose_name=_("Description"), accessor="group__description")
    template_count = tables.Column(verbose_name=_("Templates"), attrs=NUMBER)
    edit = tables.Column(verbose_name=_("Actions"), accessor="group__code", orderable=False, empty_values=())

    class Meta:
        sequence = ("code", "description", "template_count", "count", "cost", "duration", "edit")
        attrs = {"class": "table table-sm table-hover align-middle", "id": "interaction-groups"}
        empty_text = _("There are no interaction groups yet.")

    def __init__(self, *args, can_change: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_change:
            self.columns.hide("edit")

    def render_template_count(self, record, value):
        url = reverse("interactions:templates")
        return format_html('<a href="{}#group-{}">{}</a>', url, record.group.pk, value)

    def render_edit(self, record):
        return format_html(
            '<a class="btn btn-sm btn-outline-secondary" href="{}"><i class="bi bi-pencil" aria-hidden="true"></i> '
            '{}<span class="visually-hidden"> {}</span></a>',
            reverse("interactions:group-edit", args=[record.group.code]),
            _("Edit"),
            record.group.code,
        )


class SalespersonTotalsTable(TotalsTable):
    code = tables.Column(
        verbose_name=_("Code"),
        accessor="salesperson__code",
        footer=lambda table: table.footer_label,
        attrs={"tf": {"class": "fw-semibold"}},
    )
    name = tables.Column(verbose_name=_("Name"), accessor="salesperson__name")
    links = tables.Column(verbose_name=_("Go to"), accessor="salesperson__pk", orderable=False, empty_values=())

    class Meta:
        sequence = ("code", "name", "count", "cost", "duration", "links")
        attrs = {"class": "table table-sm table-hover align-middle", "id": "salesperson-totals"}
        empty_text = _("There are no salespeople yet.")

    def __init__(self, *args, can_add_interactions: bool, **kwargs):
        super().__init__(*args, **kwargs)
        # The log and "new interaction" pages belong to other parts of the module: link to
        # them once they are installed.
        self.log_url = optional_url("interactions:log")
        self.new_url = optional_url("interactions:new") if can_add_interactions else ""
        if not (self.log_url or self.new_url):
            self.columns.hide("links")

    def render_links(self, record):
        person = record.salesperson
        links = []
        if self.log_url:
            links.append((f"{self.log_url}?{urlencode({'salesperson': person.pk})}", "bi-journal-text", _("Log")))
        if self.new_url:
            url = f"{self.new_url}?{urlencode({'salesperson': person.code})}"
            links.append((url, "bi-plus-lg", _("New interaction")))
        # The visible text is the same on every row; the hidden name tells screen-reader
        # users whose log or new interaction each link opens.
        return format_html_join(
            " ",
            '<a class="btn btn-sm btn-outline-secondary" href="{}"><i class="bi {}" aria-hidden="true"></i> {}'
            '<span class="visually-hidden">: {}</span></a>',
            ((url, icon, text, person.name) for url, icon, text in links),
        )


class WeeklyInteractionsTable(tables.Table):
    """The dashboard chart's figures as a table, for screen readers and for reading exact
    numbers: one row per week, one column per group."""

    week = tables.Column(verbose_name=_("Week starting"), orderable=False)

    class Meta:
        attrs = {"class": "table table-sm table-striped align-middle", "id": "interactions-per-week-table"}
        orderable = False

    @classmethod
    def for_weeks(cls, weekly):
        rows = []
        for index, week in enumerate(weekly.weeks):
            row = {"week": date_format(week, "SHORT_DATE_FORMAT")}
            row.update({f"group_{n}": dataset.counts[index] for n, dataset in enumerate(weekly.datasets)})
            rows.append(row)
        columns = [
            (f"group_{n}", tables.Column(verbose_name=dataset.label, attrs=NUMBER))
            for n, dataset in enumerate(weekly.datasets)
        ]
        return cls(rows, extra_columns=columns)
