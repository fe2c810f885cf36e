"""Reads of the webhook page."""

from django.db.models import QuerySet

from ..models import WebhookAttempt, WebhookSubscription


def subscriptions() -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.order_by("description", "pk")


def delivery_log(subscription: WebhookSubscription) -> QuerySet[WebhookAttempt]:
    """The subscription's attempts, newest first (an index serves it)."""
    return WebhookAttempt.objects.filter(subscription=subscription).order_by("-attempted_at", "-pk")
