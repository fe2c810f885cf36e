"""The interaction log: filter, sort, export; cancel/restore and evaluate selected entries;
the entry page with its comments."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from crm.paging import SafeLazyPaginator, SafePaginator

from .. import conf
from ..filters import InteractionLogFilter
from ..forms.log import ColumnsForm, CommentForm, EntrySelectionForm, LogViewForm
from ..models import Evaluation, InteractionLogEntry
from ..permissions import CANCEL, COMMENT, EVALUATE, EXPORT, VIEW_LOG, require_may_see_entry
from ..selectors import log as selectors_log
from ..selectors import log_views as selectors_views
from ..selectors import mail_capture as mail_capture_selectors
from ..services import log_entries as log_services
from ..services.log_views import TRANSIENT_PARAMETERS
from ..tables.log import DeferredJoinTableData, InteractionLogTable, choosable_columns, csv_response

PAGE_SIZES = (25, 50, 100, 200)
MAX_SELECTION = 500


def _page_size(request) -> int:
    try:
        size = int(request.GET.get("per_page", 50))
    except ValueError:
        return 50
    return size if size in PAGE_SIZES else 50


def _new_interaction_url(filterset) -> str:
    """ "New interaction" prefilled from the current filter (contact, template, ...)."""
    try:
        url = reverse("interactions:new")
    except NoReverseMatch:
        return ""
    data = filterset.form.cleaned_data if filterset.is_bound and filterset.form.is_valid() else {}
    prefill = {}
    if data.get("contact"):
        prefill["contact"] = data["contact"]
    for name in ["template", "salesperson", "campaign"]:
        if key := filterset.chosen_key(name):
            prefill[name] = key
    if data.get("segment"):
        prefill["segment"] = data["segment"]
    return f"{url}?{urlencode(prefill)}" if prefill else url


# The columns the user chose last with the column picker (the session remembers them).
COLUMNS_SESSION_KEY = "interactions.log.columns"


def _counted_paginator(count: int):
    """A paginator that knows the count already (the bounded count found it exact): the
    pager shows the last page without counting again."""

    class CountedPaginator(SafePaginator):
        @property
        def count(self):
            return count

    return CountedPaginator


def _chosen_columns(request, view, known: list[str]) -> tuple[list[str], ColumnsForm | None]:
    """The columns to show: those just chosen (remembered in the session), else the saved
    view's, else those remembered, else all. A refused choice keeps the previous one."""
    choices = choosable_columns()
    if "columns_chosen" in request.GET:
        form = ColumnsForm(request.GET, columns=choices)
        if form.is_valid():
            request.session[COLUMNS_SESSION_KEY] = form.cleaned_data["columns"]
            return form.cleaned_data["columns"], form
        remembered = request.session.get(COLUMNS_SESSION_KEY)
        return [name for name in (remembered or known) if name in known], form
    if view is not None and view.columns:
        return [name for name in view.columns if name in known], None
    remembered = request.session.get(COLUMNS_SESSION_KEY)
    if isinstance(remembered, list) and remembered:
        return [name for name in remembered if name in known] or known, None
    return known, None


@permission_required(VIEW_LOG, raise_exception=True)
def interaction_log(request):
    view = None
    if "view" in request.GET:
        view = selectors_views.view_for(user=request.user, pk=request.GET["view"])
        if view is None:
            messages.error(request, _("That saved view does not exist or is not shared with you."))
    elif not request.GET and (default := selectors_views.default_view(user=request.user)) is not None:
        # The log opens with the user's default view; its address then says so.
        query = f"{default.query_string}&view={default.pk}" if default.query_string else f"view={default.pk}"
        return redirect(f"{reverse('interactions:log')}?{query}")
    filter_data = request.GET.copy()
    for name in TRANSIENT_PARAMETERS:
        if name != "page":
            filter_data.pop(name, None)
    filterset = InteractionLogFilter(filter_data or None, queryset=selectors_log.log_entries())
    filter_is_valid = not filterset.is_bound or filterset.is_valid()
    # An invalid filter shows its errors and no rows, never everything.
    entries = filterset.qs if filter_is_valid else selectors_log.log_entries().none()

    # The CSV streams from here; the Excel export is built by a task (views/log_exports.py).
    if request.GET.get("export") == "csv":
        if not request.user.has_perm(EXPORT):
            raise PermissionDenied
        if filter_is_valid:
            return csv_response(entries.order_by("-date", "-time", "-entry_no"))
        messages.error(request, _("Correct the filter before exporting."))

    known = [name for name, _label in choosable_columns()]
    columns, columns_form = _chosen_columns(request, view, known)
    if columns_form is not None and not columns_form.is_valid():
        messages.error(request, _("Choose at least one column; the log shows the columns it showed before."))
    excluded = [name for name in known if name not in columns]
    if not (request.user.has_perm(CANCEL) or request.user.has_perm(EVALUATE)):
        excluded.append("selection")
    # The count: exact up to the bound (then the pager shows the last page), "more than"
    # beyond it; an invalid filter matches nothing and needs no count.
    total = (
        selectors_log.bounded_count(
            filterset.applied_to(selectors_log.log_entries()), limit=conf.settings.LOG_COUNT_LIMIT
        )
        if filter_is_valid
        else selectors_log.LogCount(0, True)
    )
    # A search lists the best matches first until the user sorts by a column.
    search_ranked = (
        filter_is_valid and bool(filterset.active_filters.get("q", "").strip()) and not request.GET.get("sort")
    )
    if search_ranked:
        table = InteractionLogTable(DeferredJoinTableData(selectors_log.ranked(entries)), order_by=(), exclude=excluded)
    else:
        table = InteractionLogTable(DeferredJoinTableData(entries), exclude=excluded)
    paginator_class = _counted_paginator(total.count) if total.exact else SafeLazyPaginator
    RequestConfig(request, paginate={"paginator_class": paginator_class, "per_page": _page_size(request)}).configure(
        table
    )
    query = request.GET.copy()
    for name in ("page", "export"):
        query.pop(name, None)
    views = list(selectors_views.views_for(user=request.user))
    return render(
        request,
        "interactions/log.html",
        {
            "filter": filterset,
            "table": table,
            "filter_query": query.urlencode(),
            "new_interaction_url": _new_interaction_url(filterset),
            "evaluations": Evaluation.choices[1:],
            "page_sizes": PAGE_SIZES,
            "per_page": _page_size(request),
            "total": total,
            "count_limit": conf.settings.LOG_COUNT_LIMIT,
            "views": views,
            "current_view": view,
            "column_choices": choosable_columns(),
            "columns": columns,
            "save_view_form": LogViewForm(
                initial={"query_string": request.GET.urlencode(), "columns": columns}, columns=choosable_columns()
            ),
        },
    )


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path on this site only: redirect() would take any other text for a view name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_POST
@permission_required(VIEW_LOG, raise_exception=True)
def log_actions(request):
    """Actions on the selected entries. Cancel and restore ask for confirmation first."""
    back = _safe_next(request, reverse("interactions:log"))
    form = EntrySelectionForm(request.POST, max_entries=MAX_SELECTION)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    action, numbers = form.cleaned_data["action"], form.cleaned_data["entry"]
    log_services.require_may_see_entries(entry_numbers=numbers, user=request.user)

    if action == "evaluate":
        if not request.user.has_perm(EVALUATE):
            raise PermissionDenied
        changed = log_services.evaluate_entries(
            entry_numbers=numbers, evaluation=form.cleaned_data["evaluation"], user=request.user
        )
        messages.success(
            request,
            ngettext("%(count)d entry has been evaluated.", "%(count)d entries have been evaluated.", changed)
            % {"count": changed},
        )
        return redirect(back)

    if not request.user.has_perm(CANCEL):
        raise PermissionDenied
    if not form.cleaned_data.get("confirmed"):
        entries = selectors_log.log_rows(
            list(
                selectors_log.log_entries()
                .filter(entry_no__in=numbers)
                .order_by("-date", "-time", "-entry_no")
                .values_list("pk", flat=True)
            )
        )
        return render(
            request,
            "interactions/log_confirm.html",
            {"action": action, "entries": entries, "numbers": numbers, "next": back},
        )
    # One message per outcome, never one that contradicts another: a success only when
    # something changed, "nothing changed" only when nothing was refused either.
    if action == "cancel":
        result = log_services.cancel_entries(entry_numbers=numbers, user=request.user)
        done = ngettext(
            "%(count)d entry has been canceled.", "%(count)d entries have been canceled.", len(result.changed)
        )
        unchanged = _("Nothing has changed: the selected entries were canceled already.")
    else:
        result = log_services.restore_entries(entry_numbers=numbers, user=request.user)
        done = ngettext(
            "%(count)d entry has been restored.", "%(count)d entries have been restored.", len(result.changed)
        )
        unchanged = _("Nothing has changed: the selected entries were not canceled.")
    if result.changed:
        messages.success(request, done % {"count": len(result.changed)})
    elif not (result.refused or result.postponed):
        messages.info(request, unchanged)
    if result.refused:
        messages.error(
            request,
            _(
                "Entries %(numbers)s belong to a canceled logged segment and cannot be restored on their own: "
                "restore the logged segment instead."
            )
            % {"numbers": ", ".join(str(n) for n in result.refused)},
        )
    if result.postponed:
        messages.error(
            request,
            ngettext(
                "Entry %(numbers)s is a postponed interaction and cannot be canceled or restored: "
                "complete it or delete it from the postponed interactions.",
                "Entries %(numbers)s are postponed interactions and cannot be canceled or restored: "
                "complete them or delete them from the postponed interactions.",
                len(result.postponed),
            )
            % {"numbers": ", ".join(str(n) for n in result.postponed)},
        )
    return redirect(back)


@permission_required(VIEW_LOG, raise_exception=True)
def entry_detail(request, entry_no: int):
    entry = get_object_or_404(
        InteractionLogEntry.objects.select_related(
            "contact",
            "contact_company",
            "template",
            "group",
            "salesperson",
            "campaign",
            "user",
            "logged_segment",
            "attachment",
            "canceled_changed_by",
        ),  # fmt: skip
        entry_no=entry_no,
    )
    require_may_see_entry(user=request.user, entry=entry)
    comment_form = CommentForm()
    if request.method == "POST":
        if not request.user.has_perm(COMMENT):
            raise PermissionDenied
        comment_form = CommentForm(request.POST)
        if comment_form.is_valid():
            log_services.add_comment(
                entry=entry, text=comment_form.cleaned_data["text"], date=comment_form.cleaned_data["date"],
                user=request.user,
            )  # fmt: skip
            messages.success(request, _("The comment has been added."))
            return redirect(entry)
    elif request.method != "GET":
        return HttpResponseBadRequest()
    document_url = ""
    if entry.document_number:
        try:
            document_url = (
                reverse("documents:show")
                + "?"
                + urlencode(
                    {
                        "type": entry.document_type,
                        "number": entry.document_number,
                        "occurrence": entry.document_occurrence,
                        "version": entry.document_version,
                    }
                )
            )
        except NoReverseMatch:
            document_url = ""
    captured = mail_capture_selectors.captured_email_of(entry)
    return render(
        request,
        "interactions/entry_detail.html",
        {
            "entry": entry,
            # A captured e-mail: its thread, and whether this user may open it (private mailbox).
            "captured": captured,
            "may_open_email": mail_capture_selectors.may_open_entry_email(
                user=request.user, entry=entry, captured=captured
            ),
            "thread": mail_capture_selectors.email_thread(entry) if captured else [],
            "comments": entry.comments.select_related("author"),
            "comment_form": comment_form,
            "document_url": document_url,
            "evaluations": Evaluation.choices[1:],
            "related_emails": selectors_log.related_emails(entry),
        },
    )
