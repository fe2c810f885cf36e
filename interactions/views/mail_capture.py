"""/interactions/mailboxes/: e-mail capture. The mailboxes with their health, the capture
settings and "Run now" (setup and running: administrators), a mailbox's health page and its
skipped messages, each viewable and loggable by hand (administrators and sales managers).

No page ever shows a mailbox's password: a mailbox only names the environment variable or
secrets file the worker reads it from."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_tables2 import RequestConfig

from ..forms.mail_capture import CaptureSettingsForm, LogSkippedMessageForm, MailboxForm
from ..models import Mailbox, MailCaptureSettings, SkippedMessage, SkipReason
from ..permissions import CHANGE_MAILBOXES, LOG_SKIPPED_MESSAGE, RUN_MAILBOX, VIEW_MAIL_CAPTURE_HEALTH
from ..selectors import mail_capture as selectors
from ..services.mail_capture import mailboxes as services
from ..tables.mail_capture import MailboxRunTable, SkippedMessageTable

SKIPPED_PAGE_SIZE = 50


@permission_required(VIEW_MAIL_CAPTURE_HEALTH, raise_exception=True)
@require_http_methods(["GET", "POST"])
def mailbox_list(request: HttpRequest) -> HttpResponse:
    settings_form = CaptureSettingsForm(instance=MailCaptureSettings.load())
    if request.method == "POST":
        if not request.user.has_perm(CHANGE_MAILBOXES):
            raise PermissionDenied
        settings_form = CaptureSettingsForm(request.POST, instance=MailCaptureSettings.load())
        if settings_form.is_valid():
            try:
                services.save_capture_settings(values=settings_form.cleaned_data, user=request.user)
            except ValidationError as error:
                settings_form.add_error(None, error)
            else:
                messages.success(request, _("The e-mail capture settings have been saved."))
                return redirect("interactions:mailboxes")
    return render(
        request,
        "interactions/mail_capture/list.html",
        {
            "mailboxes": selectors.mailboxes_with_last_run(),
            "settings_form": settings_form,
            "can_change": request.user.has_perm(CHANGE_MAILBOXES),
            "can_run": request.user.has_perm(RUN_MAILBOX),
        },
    )


def _mailbox_form(request: HttpRequest, mailbox: Mailbox | None) -> HttpResponse:
    form = MailboxForm(request.POST if request.method == "POST" else None, instance=mailbox)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            saved = services.save_mailbox(mailbox=mailbox or Mailbox(), values=values, user=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Mailbox %(name)s has been saved.") % {"name": saved.name})
            return redirect("interactions:mailboxes")
    return render(request, "interactions/mail_capture/form.html", {"form": form, "mailbox": mailbox})


@permission_required(CHANGE_MAILBOXES, raise_exception=True)
@require_http_methods(["GET", "POST"])
def mailbox_create(request: HttpRequest) -> HttpResponse:
    return _mailbox_form(request, None)


@permission_required(CHANGE_MAILBOXES, raise_exception=True)
@require_http_methods(["GET", "POST"])
def mailbox_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _mailbox_form(request, get_object_or_404(Mailbox, pk=pk))


@permission_required(RUN_MAILBOX, raise_exception=True)
@require_POST
def mailbox_run(request: HttpRequest, pk: int) -> HttpResponse:
    mailbox = get_object_or_404(Mailbox, pk=pk)
    try:
        services.run_now(mailbox=mailbox, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except services.QueueUnavailable:
        messages.error(
            request,
            _("The task queue cannot be reached, so mailbox %(name)s was not read now; the schedule reads it later.")
            % {"name": mailbox.name},
        )
    else:
        messages.success(
            request,
            _("Mailbox %(name)s is being read; its health page shows the outcome.") % {"name": mailbox.name},
        )
    return redirect(mailbox)


@permission_required(VIEW_MAIL_CAPTURE_HEALTH, raise_exception=True)
@require_http_methods(["GET"])
def mailbox_health(request: HttpRequest, pk: int) -> HttpResponse:
    mailbox = get_object_or_404(Mailbox.objects.select_related("salesperson"), pk=pk)
    reason = request.GET.get("reason", "")
    if reason not in SkipReason.values:
        reason = ""
    runs = MailboxRunTable(selectors.recent_runs(mailbox)[:20])
    skipped = SkippedMessageTable(selectors.skipped_messages(mailbox, reason=reason))
    RequestConfig(request, paginate={"per_page": SKIPPED_PAGE_SIZE}).configure(skipped)
    return render(
        request,
        "interactions/mail_capture/health.html",
        {
            "mailbox": mailbox,
            "last_run": selectors.last_run(mailbox),
            "runs": runs,
            "skipped": skipped,
            "reasons": SkipReason.choices,
            "reason": reason,
            "can_run": request.user.has_perm(RUN_MAILBOX),
            "can_change": request.user.has_perm(CHANGE_MAILBOXES),
        },
    )


@permission_required(VIEW_MAIL_CAPTURE_HEALTH, raise_exception=True)
@require_http_methods(["GET", "POST"])
def skipped_message(request: HttpRequest, pk: int) -> HttpResponse:
    skipped = get_object_or_404(SkippedMessage.objects.select_related("mailbox", "logged_by"), pk=pk)
    form = LogSkippedMessageForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not request.user.has_perm(LOG_SKIPPED_MESSAGE):
            raise PermissionDenied
        if form.is_valid():
            try:
                entry = services.log_skipped_message(
                    skipped=skipped, contact=form.cleaned_data["contact"], user=request.user
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _("The message has been logged for %(contact)s as entry %(number)s.")
                    % {"contact": entry.contact.name, "number": entry.entry_no},
                )
                return redirect(skipped)
    return render(
        request,
        "interactions/mail_capture/skipped.html",
        {
            "skipped": skipped,
            "text": services.skipped_message_text(skipped),
            "form": form,
            "can_log": request.user.has_perm(LOG_SKIPPED_MESSAGE),
        },
    )


@permission_required(VIEW_MAIL_CAPTURE_HEALTH, raise_exception=True)
@require_http_methods(["GET"])
def skipped_message_raw(request: HttpRequest, pk: int) -> HttpResponse:
    skipped = get_object_or_404(SkippedMessage, pk=pk)
    if not skipped.raw:
        raise Http404(_("This skipped message keeps no copy of the message."))
    try:
        handle = skipped.raw.open("rb")
    except FileNotFoundError:
        raise Http404(_("The stored copy of this message is missing.")) from None
    response = FileResponse(
        handle, as_attachment=True, filename=f"skipped-{skipped.pk}.eml", content_type="message/rfc822"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
