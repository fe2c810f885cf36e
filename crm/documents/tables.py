import django_tables2 as tables
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from .models import Document


class DocumentTable(tables.Table):
    kind = tables.Column(verbose_name=_("Kind"))
    number = tables.Column(verbose_name=_("No."), linkify=True, attrs={"td": {"class": "text-nowrap"}})
    date = tables.DateColumn(verbose_name=_("Date"), short=True, order_by=("date", "id"))
    partner = tables.Column(
        verbose_name=_("Customer/vendor"),
        empty_values=(),
        order_by=("customer__name", "vendor__name"),
        accessor="partner__name",
    )
    contact = tables.Column(verbose_name=_("Contact person"), accessor="contact__name")
    salesperson = tables.Column(verbose_name=_("Salesperson"), accessor="salesperson__code")
    description = tables.Column(verbose_name=_("Description"), orderable=False)
    amount_including_vat = tables.Column(
        verbose_name=_("Amount incl. VAT"), attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}}
    )
    no_printed = tables.Column(
        verbose_name=_("Printed"), attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}}
    )

    class Meta:
        model = Document
        fields: list[str] = []
        sequence = (
            "date", "kind", "number", "partner", "contact", "salesperson", "description",
            "amount_including_vat", "no_printed",
        )  # fmt: skip
        order_by = ("-date",)
        attrs = {"class": "table table-sm table-hover align-middle", "id": "documents"}
        empty_text = _("No documents match the filter.")

    def render_amount_including_vat(self, value, record):
        amount = number_format(value, 2, force_grouping=True)
        return f"{amount} {record.currency_code}".strip()
