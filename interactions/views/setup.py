"""Setup pages besides the admin: interaction groups and templates with their totals, a
template's page, creating, editing and deleting groups and templates (administrators), and
the template setup: which template records which automatic event. The forms are the admin's
(interactions/forms/setup.py), so the admin's rules hold here too."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_tables2 import RequestConfig

from ..forms.setup import (
    InteractionGroupForm,
    InteractionTemplateForm,
    InteractionTemplateLanguageFormSet,
    InteractionTemplateSetupForm,
)
from ..forms.statistics import PeriodForm
from ..models import SETUP_SECTIONS, InteractionGroup, InteractionTemplate, InteractionTemplateSetup
from ..permissions import (
    ADD_GROUP,
    ADD_TEMPLATE,
    CHANGE_GROUP,
    CHANGE_SETUP,
    CHANGE_TEMPLATE,
    DELETE_TEMPLATE,
    VIEW_GROUPS,
    VIEW_SETUP,
    VIEW_TEMPLATES,
)
from ..selectors import setup as setup_selectors
from ..selectors import statistics as statistics_selectors
from ..services import setup as setup_services
from ..tables.setup import TemplateSetupTable
from ..tables.statistics import GroupTotalsTable, TemplateTotalsTable


@permission_required(VIEW_GROUPS, raise_exception=True)
def group_list(request):
    period = PeriodForm(request.GET)
    date_from, date_to = period.period
    groups = statistics_selectors.groups_with_totals(date_from=date_from, date_to=date_to)
    table = GroupTotalsTable(
        groups,
        footer_totals=statistics_selectors.sum_totals(row.totals for row in groups),
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


LANGUAGES_PREFIX = "languages"


@permission_required(VIEW_TEMPLATES, raise_exception=True)
def template_list(request):
    period = PeriodForm(request.GET)
    date_from, date_to = period.period
    groups = statistics_selectors.templates_by_group_with_totals(date_from=date_from, date_to=date_to)
    sections = []
    for group in groups:
        table = TemplateTotalsTable(
            group.templates,
            footer_totals=group.subtotal,
            footer_label=_("Subtotal"),
            period_query=period.query,
            attrs={
                "class": "table table-sm table-hover align-middle mb-0 template-totals",
                "aria-labelledby": f"group-{group.group.pk}-heading",
            },
        )
        # One sort order for every group's table: sorting by cost sorts within each group.
        RequestConfig(request, paginate=False).configure(table)
        sections.append((group, table))
    return render(
        request,
        "interactions/template_list.html",
        {
            "period": period,
            "sections": sections,
            "grand_total": statistics_selectors.sum_totals(group.subtotal for group in groups),
        },
    )


@permission_required(VIEW_TEMPLATES, raise_exception=True)
def template_detail(request, code: str):
    template = get_object_or_404(setup_selectors.templates_with_languages(), code=code)
    period = PeriodForm(request.GET)
    date_from, date_to = period.period
    return render(
        request,
        "interactions/template_detail.html",
        {
            "template": template,
            # Not "languages": base.html sets that name for its language switch.
            "language_rows": list(template.languages.all()),
            "period": period,
            "totals": statistics_selectors.template_totals(template, date_from=date_from, date_to=date_to),
            "setup_events": setup_selectors.setup_events_recorded_by(template),
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required(ADD_TEMPLATE, raise_exception=True)
def template_create(request):
    return _template_form_page(request, InteractionTemplate())


@require_http_methods(["GET", "POST"])
@permission_required(CHANGE_TEMPLATE, raise_exception=True)
def template_edit(request, code: str):
    return _template_form_page(request, get_object_or_404(InteractionTemplate, code=code))


def _template_form_page(request, template: InteractionTemplate):
    is_new = template.pk is None
    # Validation writes the submitted values into the instance: keep the saved code for
    # the page's title and links while the form shows errors.
    saved_code = template.code
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    form = InteractionTemplateForm(data, instance=template)
    languages = InteractionTemplateLanguageFormSet(
        data,
        files,
        instance=form.instance,
        prefix=LANGUAGES_PREFIX,
        # Each row shows its attachment: read them with the rows, not one query per row.
        queryset=setup_selectors.template_languages(),
    )
    if request.method == "POST":
        # Validate both, so that the page shows every error at once.
        form_valid = form.is_valid()
        languages_valid = languages.is_valid()
        if form_valid and languages_valid:
            template = setup_services.save_template(
                template=template, values=form.values(), languages=languages.language_changes(), user=request.user
            )
            if is_new:
                message = _("Interaction template %(code)s has been created.")
            else:
                message = _("Interaction template %(code)s has been saved.")
            messages.success(request, message % {"code": template.code})
            return redirect("interactions:template-detail", code=template.code)
        messages.error(request, _("The template was not saved: please correct the errors below."))
    return render(
        request,
        "interactions/template_form.html",
        # Not "languages": base.html sets that name for its language switch.
        {"form": form, "language_formset": languages, "is_new": is_new, "saved_code": saved_code},
    )


@require_http_methods(["GET", "POST"])
@permission_required(DELETE_TEMPLATE, raise_exception=True)
def template_delete(request, code: str):
    template = get_object_or_404(InteractionTemplate.objects.select_related("group"), code=code)
    if request.method == "POST":
        try:
            setup_services.delete_template(template=template, user=request.user)
        except setup_services.TemplateInUse as refused:
            for message in refused.messages:
                messages.error(request, message)
            return redirect("interactions:template-detail", code=template.code)
        messages.success(request, _("Interaction template %(code)s has been deleted.") % {"code": code})
        return redirect("interactions:templates")
    return render(
        request,
        "interactions/template_confirm_delete.html",
        {
            "template": template,
            "blockers": setup_services.template_deletion_blockers(template),
            "language_count": template.languages.count(),
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required(VIEW_SETUP, raise_exception=True)
def template_setup(request):
    can_change = request.user.has_perm(CHANGE_SETUP)
    if request.method == "POST" and not can_change:
        raise PermissionDenied
    if not can_change:
        sections = [
            (section, TemplateSetupTable(section.events, attrs=_section_table_attrs(index)))
            for index, section in enumerate(setup_selectors.template_setup_sections())
        ]
        return render(request, "interactions/setup.html", {"sections": sections, "form": None})

    form = InteractionTemplateSetupForm(
        request.POST if request.method == "POST" else None, instance=InteractionTemplateSetup.load()
    )
    if request.method == "POST":
        if form.is_valid():
            setup_services.save_template_setup(templates_by_event=form.templates_by_event(), user=request.user)
            messages.success(request, _("The interaction template setup has been saved."))
            return redirect("interactions:setup")
        messages.error(request, _("The template setup was not saved: please correct the errors below."))
    fieldsets = [(title, [form[name] for name, _caption in events]) for title, events in SETUP_SECTIONS]
    return render(request, "interactions/setup.html", {"form": form, "fieldsets": fieldsets})


def _section_table_attrs(index: int) -> dict:
    return {"class": "table table-sm align-middle mb-0", "aria-labelledby": f"setup-section-{index}"}
