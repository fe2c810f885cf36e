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

from crm.paging import SafeLazyPaginator

from ..filters import InteractionLogFilter
from ..forms.log import CommentForm, EntrySelectionForm
from ..models import Evaluation, InteractionLogEntry
from ..permissions import CANCEL, COMMENT, EVALUATE, EXPORT, VIEW_LOG, require_may_see_entry
from ..selectors import log as selectors_log
from ..selectors import mail_capture as mail_capture_selectors
from ..services import log_entries as log_services
from ..tables.log import DeferredJoinTableData, InteractionLogTable, csv_response, xlsx_response, xlsx_row_limit

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


@permission_required(VIEW_LOG, raise_exception=True)
def interaction_log(request):
    filterset = InteractionLogFilter(request.GET or None, queryset=selectors_log.log_entries())
    filter_is_valid = not filterset.is_bound or filterset.is_valid()
    # An invalid filter shows its errors and no rows, never everything.
    entries = filterset.qs if filter_is_valid else selectors_log.log_entries().none()

    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        if not request.user.has_perm(EXPORT):
            raise PermissionDenied
        if not filter_is_valid:
            messages.error(request, _("Correct the filter before exporting."))
        elif export == "csv":
            return csv_response(entries.order_by("-date", "-entry_no"))
        else:
            limit = xlsx_row_limit()
            if entries.order_by()[: limit + 1].count() > limit:
                messages.error(
                    request,
                    _(
                        "More than %(limit)s entries match the filter: narrow the filter to export to Excel, "
                        "or export to CSV, which has no limit."
                    )
                    % {"limit": f"{limit:,}"},
                )
            else:
                return xlsx_response(entries.order_by("-date", "-entry_no"))

    table = InteractionLogTable(DeferredJoinTableData(entries))
    if not (request.user.has_perm(CANCEL) or request.user.has_perm(EVALUATE)):
        table.exclude = ("selection",)
    RequestConfig(request, paginate={"paginator_class": SafeLazyPaginator, "per_page": _page_size(request)}).configure(
        table
    )
    query = request.GET.copy()
    for name in ("page", "export"):
        query.pop(name, None)
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
                .order_by("-date", "-entry_no")
                .values_list("pk", flat=True)
            )
        )
        return render(
            request,
            "interactions/log_confirm.html",
            {"action": action, "entries": entries, "numbers": numbers, "next": back},
        )
    if action == "cancel":
        result = log_services.cancel_entries(entry_numbers=numbers, user=request.user)
        messages.success(
            request,
            ngettext("%(count)d entry has been canceled.", "%(count)d entries have been canceled.", len(result.changed))
            % {"count": len(result.changed)},
        )
    else:
        result = log_services.restore_entries(entry_numbers=numbers, user=request.user)
        messages.success(
            request,
            ngettext("%(count)d entry has been restored.", "%(count)d entries have been restored.", len(result.changed))
            % {"count": len(result.changed)},
        )
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
        },
    )
