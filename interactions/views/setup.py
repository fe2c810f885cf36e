"""The interaction template setup page: which template records which automatic event.
Everyone who may view it sees it read-only; users who may change it edit it here with the
admin's form, and so under the admin's rules."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ..forms.setup import InteractionTemplateSetupForm
from ..models import SETUP_SECTIONS, InteractionTemplateSetup
from ..permissions import CHANGE_SETUP, VIEW_SETUP
from ..selectors import setup as selectors
from ..services import setup as setup_services
from ..tables.setup import TemplateSetupTable


@require_http_methods(["GET", "POST"])
@permission_required(VIEW_SETUP, raise_exception=True)
def template_setup(request):
    can_change = request.user.has_perm(CHANGE_SETUP)
    if request.method == "POST" and not can_change:
        raise PermissionDenied
    if not can_change:
        sections = [
            (section, TemplateSetupTable(section.events, attrs=_section_table_attrs(index)))
            for index, section in enumerate(selectors.template_setup_sections())
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
