"""/interactions/webhooks/: webhook subscriptions (administrators): the list, creating and
editing one, its delivery log, sending a test event and rotating its secret.

A secret is shown once, on the subscription's page right after it was made (created or
rotated): the view keeps it in the session only until that page has shown it."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_tables2 import RequestConfig

from ..forms.webhooks import WebhookSubscriptionForm
from ..models import WebhookSubscription
from ..permissions import MANAGE_WEBHOOKS
from ..selectors import webhooks as webhook_selectors
from ..services import webhooks as webhook_services
from ..tables.webhooks import WebhookAttemptTable, WebhookSubscriptionTable

LOG_PAGE_SIZE = 50


def _secret_key(pk: int) -> str:
    return f"interactions.webhook_secret.{pk}"


@permission_required(MANAGE_WEBHOOKS, raise_exception=True)
@require_http_methods(["GET"])
def webhook_list(request: HttpRequest) -> HttpResponse:
    table = WebhookSubscriptionTable(webhook_selectors.subscriptions())
    RequestConfig(request, paginate=False).configure(table)
    return render(request, "interactions/webhooks/list.html", {"table": table})


@permission_required(MANAGE_WEBHOOKS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def webhook_create(request: HttpRequest) -> HttpResponse:
    form = WebhookSubscriptionForm(request.POST if request.method == "POST" else None, is_new=True)
    if request.method == "POST" and form.is_valid():
        try:
            subscription = webhook_services.subscribe(
                description=form.cleaned_data["description"],
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                user=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            request.session[_secret_key(subscription.pk)] = subscription.secret
            messages.success(request, _("The webhook subscription has been created."))
            return redirect(subscription)
    return render(request, "interactions/webhooks/form.html", {"form": form, "subscription": None})


@permission_required(MANAGE_WEBHOOKS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    initial = {
        "description": subscription.description,
        "url": subscription.url,
        "events": subscription.events,
        "active": subscription.active,
    }
    form = WebhookSubscriptionForm(request.POST if request.method == "POST" else None, initial=initial, is_new=False)
    if request.method == "POST" and form.is_valid():
        try:
            webhook_services.update_subscription(
                subscription=subscription,
                description=form.cleaned_data["description"],
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                active=form.cleaned_data["active"],
                user=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The webhook subscription has been saved."))
            return redirect(subscription)
    return render(request, "interactions/webhooks/form.html", {"form": form, "subscription": subscription})


@permission_required(MANAGE_WEBHOOKS, raise_exception=True)
@require_http_methods(["GET"])
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    table = WebhookAttemptTable(webhook_selectors.delivery_log(subscription))
    RequestConfig(request, paginate={"per_page": LOG_PAGE_SIZE}).configure(table)
    return render(
        request,
        "interactions/webhooks/detail.html",
        {
            "subscription": subscription,
            "table": table,
            # Shown once: right after it was made.
            "new_secret": request.session.pop(_secret_key(subscription.pk), None),
        },
    )


@permission_required(MANAGE_WEBHOOKS, raise_exception=True)
@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    webhook_services.send_test_event(subscription=subscription, user=request.user)
    messages.success(request, _("A test event has been sent; its outcome appears in the delivery log."))
    return redirect(subscription)


@permission_required(MANAGE_WEBHOOKS, raise_exception=True)
@require_POST
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    request.session[_secret_key(subscription.pk)] = webhook_services.rotate_secret(
        subscription=subscription, user=request.user
    )
    messages.success(request, _("The secret has been replaced: deliveries are signed with the new one from now on."))
    return redirect(subscription)
