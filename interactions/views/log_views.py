"""Saved views of the interaction log: save the log as shown, change or delete a view.
Every action is a POST from the log page and returns to the log (the view opened)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..forms.log import LogViewForm
from ..permissions import VIEW_LOG
from ..selectors import log_views as selectors
from ..services import log_views as services
from ..tables.log import choosable_columns


def _log_url(view=None) -> str:
    if view is None:
        return f"{reverse('interactions:log')}?all=1"
    query = f"{view.query_string}&" if view.query_string else ""
    return f"{reverse('interactions:log')}?{query}{urlencode({'view': view.pk})}"


def _report_errors(request, form: LogViewForm, what: str) -> None:
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields and form.fields[name].label else ""
        for error in errors:
            messages.error(request, f"{what} {label}: {error}" if label else f"{what} {error}")


@require_POST
@permission_required(VIEW_LOG, raise_exception=True)
def view_create(request):
    columns = choosable_columns()
    form = LogViewForm(request.POST, columns=columns)
    if form.is_valid():
        data = form.cleaned_data
        try:
            view = services.create_view(
                owner=request.user,
                name=data["name"],
                query_string=data["query_string"],
                columns=data["columns"],
                known_columns=[name for name, _label in columns],
                shared=data["shared"],
                default=data["default"],
            )
        except ValidationError as refused:
            form.add_service_error(refused)
        else:
            messages.success(request, _("View “%(name)s” has been saved.") % {"name": view.name})
            return redirect(_log_url(view))
    _report_errors(request, form, _("The view was not saved:"))
    query = services.view_query(request.POST.get("query_string", ""))
    return redirect(f"{reverse('interactions:log')}?{query or 'all=1'}")


def _view(request, pk: int):
    view = selectors.view_for(user=request.user, pk=pk)
    if view is None:
        raise Http404(_("That saved view does not exist or is not shared with you."))
    if view.owner_id != request.user.pk:
        raise PermissionDenied(_("Only the user who saved view “%(name)s” can change it.") % {"name": view.name})
    return view


@require_POST
@permission_required(VIEW_LOG, raise_exception=True)
def view_change(request, pk: int):
    view = _view(request, pk)
    form = LogViewForm(request.POST, columns=choosable_columns())
    if form.is_valid():
        data = form.cleaned_data
        try:
            view = services.change_view(
                view=view, user=request.user, name=data["name"], shared=data["shared"], default=data["default"]
            )
        except ValidationError as refused:
            form.add_service_error(refused)
        else:
            messages.success(request, _("View “%(name)s” has been changed.") % {"name": view.name})
            return redirect(_log_url(view))
    _report_errors(request, form, _("The view was not changed:"))
    return redirect(_log_url(view))


@require_POST
@permission_required(VIEW_LOG, raise_exception=True)
def view_delete(request, pk: int):
    view = _view(request, pk)
    services.delete_view(view=view, user=request.user)
    messages.success(request, _("View “%(name)s” has been deleted.") % {"name": view.name})
    return redirect(_log_url())
