"""Statistics pages: totals per salesperson for a date range."""

from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from crm.paging import SafePaginator

from ..forms.statistics import PeriodForm
from ..permissions import RECORD, VIEW_LOG, VIEW_SALESPEOPLE
from ..selectors import statistics as selectors
from ..tables.statistics import SalespersonTotalsTable

SALESPEOPLE_PER_PAGE = 50


@permission_required([VIEW_SALESPEOPLE, VIEW_LOG], raise_exception=True)
def salespeople(request):
    period = PeriodForm(request.GET)
    date_from, date_to = period.period
    rows = selectors.salespeople_with_totals(date_from=date_from, date_to=date_to)
    table = SalespersonTotalsTable(
        rows,
        footer_totals=selectors.sum_totals(row.totals for row in rows),
        footer_label=_("Total"),
        can_add_interactions=request.user.has_perm(RECORD),
    )
    RequestConfig(request, paginate={"paginator_class": SafePaginator, "per_page": SALESPEOPLE_PER_PAGE}).configure(
        table
    )
    return render(request, "interactions/salespeople.html", {"period": period, "table": table})
