"""Recording interactions by hand: the new-interaction page (/interactions/new/) and the
contact search of its form; the postponed interactions (saved with "finish later"): the list,
resuming one in the same form page, deleting one after confirmation."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_tables2 import RequestConfig

from crm.paging import SafePaginator

from ..forms import recording as forms_recording
from ..forms.recording import APPLY_DEFAULTS, POSTPONE, InteractionForm
from ..models import InteractionLogEntry
from ..permissions import RECORD, VIEW_CONTACTS, may_act_on_entry, may_act_on_others
from ..selectors import recording as selectors_recording
from ..services import recording as services
from ..tables.recording import PostponedInteractionTable


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _first_url(*candidates: tuple[str, list]) -> str:
    """The first of the named pages that is installed (contacts, log and "new" are built
    by different parts of the project)."""
    for name, args in candidates:
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return reverse("interactions:new")


def _after_recording_url(entry: InteractionLogEntry) -> str:
    """The contact's card, else the log, else a new interaction."""
    return _first_url(("contacts:detail", [entry.contact.number]), ("interactions:log", []))


@require_http_methods(["GET", "POST"])
@permission_required(RECORD, raise_exception=True)
def interaction_new(request):
    return interaction_form_page(request, entry=None)


def interaction_form_page(request, *, entry: InteractionLogEntry | None):
    """The interaction form, new (`entry` None) or resuming a postponed entry. The caller
    has checked the permissions and, for `entry`, that the user may resume it.

    GET shows it filled with defaults (new: from the query string's prefill); POST with
    action "apply_defaults" shows it again with the defaults of the chosen template and
    contact (htmx asks for the fields alone); "save" records the interaction, "postpone"
    stores it for later."""
    if request.method == "GET":
        if entry is None:
            initial, warnings = forms_recording.initial_for_new(request.GET, user=request.user)
            for warning in warnings:
                messages.warning(request, warning)
        else:
            initial = forms_recording.initial_for_resume(entry, user=request.user)
        return _render(request, InteractionForm(initial=initial, user=request.user, entry=entry), entry=entry)

    action = forms_recording.action_of(request.POST)
    if action == APPLY_DEFAULTS:
        initial = forms_recording.refreshed_values(request.POST, user=request.user)
        form = InteractionForm(initial=initial, user=request.user, entry=entry)
        if _is_htmx(request):
            return render(request, "interactions/_interaction_fields.html", _context(form, entry=entry, refreshed=True))
        messages.info(request, _("The template defaults have been applied; fields you had changed keep your values."))
        return _render(request, form, entry=entry)

    postpone = action == POSTPONE
    form = InteractionForm(request.POST, request.FILES, user=request.user, entry=entry, postpone=postpone)
    if form.is_valid():
        try:
            saved = _save(form, entry=entry, postpone=postpone, user=request.user)
        except ValidationError as refused:
            form.add_service_error(refused)
        except services.PostponedInteractionGone:
            messages.error(
                request,
                _("Interaction %(number)s is no longer postponed: it was completed or deleted in the meantime.")
                % {"number": entry.entry_no},
            )
            return redirect("interactions:postponed")
        else:
            if postpone:
                messages.success(
                    request,
                    _("The interaction with %(contact)s has been saved for later; resume it from this list.")
                    % {"contact": saved.contact.name},
                )
                # "Finish later" asked on leaving the form by a link: then the link is followed.
                next_url = request.POST.get("next", "")
                if next_url and url_has_allowed_host_and_scheme(
                    next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
                ):
                    return redirect(next_url)
                return redirect("interactions:postponed")
            messages.success(
                request,
                _("Interaction %(number)s with %(contact)s has been recorded.")
                % {"number": saved.entry_no, "contact": saved.contact.name},
            )
            return redirect(_after_recording_url(saved))
    # Shown above the fields that htmx replaces when a template or contact is chosen: the
    # banner goes with the errors it announces.
    if postpone:
        failed = _("The interaction was not saved for later: please correct the errors below.")
    else:
        failed = _("The interaction was not recorded: please correct the errors below.")
    return _render(request, form, entry=entry, failed=failed)


def _save(form: InteractionForm, *, entry: InteractionLogEntry | None, postpone: bool, user) -> InteractionLogEntry:
    details = form.details()
    if entry is None:
        return services.record_interaction(details=details, user=user, postpone=postpone)
    if postpone:
        return services.update_postponed_interaction(entry=entry, details=details, user=user)
    return services.complete_postponed_interaction(entry=entry, details=details, user=user)


def _context(form: InteractionForm, *, entry: InteractionLogEntry | None, refreshed: bool = False) -> dict:
    content = form.content_step()
    return {
        "form": form,
        "entry": entry,
        "content": content,
        "contact": forms_recording.contact_shown(form),
        "merge_placeholders": services.MERGE_PLACEHOLDERS.items() if content.is_merge else (),
        "refreshed": refreshed,
    }


def _render(request, form: InteractionForm, *, entry: InteractionLogEntry | None, failed: str = ""):
    context = _context(form, entry=entry)
    context["failed"] = failed
    if entry is not None:
        context["cancel_url"] = reverse("interactions:postponed")
    elif context["contact"] is not None:
        context["cancel_url"] = _first_url(("contacts:detail", [context["contact"].number]), ("home", []))
    else:
        context["cancel_url"] = reverse("home")
    return render(request, "interactions/interaction_form.html", context)


@require_GET
@permission_required(VIEW_CONTACTS, raise_exception=True)
def contact_search(request):
    """Contacts matching what was typed in the form's contact field, as buttons that fill
    it (an HTML fragment for htmx)."""
    text = forms_recording.query_text(request.GET.get("contact") or request.GET.get("q"))
    contacts = selectors_recording.contacts_matching(text)
    return render(
        request,
        "interactions/_contact_suggestions.html",
        {"contacts": contacts, "text": text, "limit": selectors_recording.CONTACT_SEARCH_LIMIT},
    )


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
