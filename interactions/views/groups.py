"""Interaction groups: the list with totals per group, and (for administrators) creating
and editing a group with the form shared with the rest of the module."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_tables2 import RequestConfig

from ..forms.setup import InteractionGroupForm
from ..forms.statistics import PeriodForm
from ..models import InteractionGroup
from ..permissions import ADD_GROUP, CHANGE_GROUP, VIEW_GROUPS
from ..selectors import statistics as selectors
from ..services import setup as setup_services
from ..tables.statistics import GroupTotalsTable


@permission_required(VIEW_GROUPS, raise_exception=True)
def group_list(request):
    period = PeriodForm(request.GET)
    date_from, date_to = period.period
    groups = selectors.groups_with_totals(date_from=date_from, date_to=date_to)
    table = GroupTotalsTable(
        groups,
        footer_totals=selectors.sum_totals(row.totals for row in groups),
        footer_label=_("Total"),
        can_change=request.user.has_perm(CHANGE_GROUP),
    )
    RequestConfig(request, paginate=False).configure(table)
    return render(request, "interactions/group_list.html", {"period": period, "table": table})


@require_http_methods(["GET", "POST"])
@permission_required(ADD_GROUP, raise_exception=True)
def group_create(request):
    return _group_form_page(request, InteractionGroup())


@require_http_methods(["GET", "POST"])
@permission_required(CHANGE_GROUP, raise_exception=True)
def group_edit(request, code: str):
    return _group_form_page(request, get_object_or_404(InteractionGroup, code=code))


def _group_form_page(request, group: InteractionGroup):
    is_new = group.pk is None
    saved_code = group.code
    form = InteractionGroupForm(request.POST if request.method == "POST" else None, instance=group)
    if request.method == "POST" and form.is_valid():
        group = setup_services.save_group(
            group=group,
            code=form.cleaned_data["code"],
            description=form.cleaned_data["description"],
            user=request.user,
        )
        messages.success(request, _("Interaction group %(code)s has been saved.") % {"code": group.code})
        return redirect("interactions:groups")
    return render(request, "interactions/group_form.html", {"form": form, "is_new": is_new, "saved_code": saved_code})
