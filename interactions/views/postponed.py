"""Postponed interactions (saved with "finish later"): the list, resuming one in the
interaction form, deleting one after confirmation."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_tables2 import RequestConfig

from crm.paging import SafePaginator

from ..models import InteractionLogEntry
from ..permissions import RECORD, may_act_on_entry, may_act_on_others
from ..selectors import recording as selectors_recording
from ..services import recording as services
from ..tables.recording import PostponedInteractionTable
from .recording import interaction_form_page

PAGE_SIZE = 50


@permission_required(RECORD, raise_exception=True)
def postponed_list(request):
    """The user's postponed interactions; who may act on others' entries (sales managers)
    sees everyone's, with the user."""
    all_users = may_act_on_others(request.user)
    table = PostponedInteractionTable(
        selectors_recording.postponed_interactions(user=request.user, all_users=all_users), show_user=all_users
    )
    RequestConfig(request, paginate={"paginator_class": SafePaginator, "per_page": PAGE_SIZE}).configure(table)
    return render(request, "interactions/postponed_list.html", {"table": table, "all_users": all_users})


def _postponed_entry(request, entry_no: int) -> InteractionLogEntry:
    """The postponed entry, if the user may handle it: 404 when there is no such postponed
    entry, 403 when it belongs to another user and the user may not act on others' entries."""
    entry = get_object_or_404(
        InteractionLogEntry.objects.select_related(
            "contact", "template", "template__group", "salesperson", "campaign", "attachment", "user"
        ),
        entry_no=entry_no,
        postponed=True,
    )
    if not may_act_on_entry(user=request.user, entry=entry):
        raise PermissionDenied
    return entry


@require_http_methods(["GET", "POST"])
@permission_required(RECORD, raise_exception=True)
def postponed_resume(request, entry_no: int):
    """The interaction form with the postponed entry's values (the date starts again at
    now); saving completes it, "finish later" keeps it postponed with the new values."""
    return interaction_form_page(request, entry=_postponed_entry(request, entry_no))


@require_http_methods(["GET", "POST"])
@permission_required(RECORD, raise_exception=True)
def postponed_delete(request, entry_no: int):
    entry = _postponed_entry(request, entry_no)
    if request.method == "POST":
        if services.delete_postponed_interaction(entry=entry, user=request.user):
            messages.success(request, _("Postponed interaction %(number)s has been deleted.") % {"number": entry_no})
        else:
            messages.error(
                request,
                _("Interaction %(number)s is no longer postponed and has not been deleted.") % {"number": entry_no},
            )
        return redirect("interactions:postponed")
    return render(
        request,
        "interactions/postponed_delete_confirm.html",
        {"entry": entry, "comment_count": entry.comments.count()},
    )
