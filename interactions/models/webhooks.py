"""Webhooks: subscriptions of other systems to the module's events, the deliveries of each
event to each subscription, and one log row per attempt of a delivery.

The secret signs the deliveries (HMAC-SHA256), so it is stored as it is: the page shows it
once, when it is made (at creation and when it is rotated), never again.
"""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.TextChoices):
    """The events a subscription can ask for; the values are public interface (the payload's
    "event" and the X-CRM-Event header)."""

    ENTRY_CREATED = "entry.created", _("Interaction log entry created")
    ENTRY_CANCELED = "entry.canceled", _("Interaction log entry canceled")
    ENTRY_RESTORED = "entry.restored", _("Interaction log entry restored")
    ENTRY_PURGED = "entry.purged", _("Canceled entries deleted by a purge")
    SEGMENT_LOGGED = "segment.logged", _("Segment logged")
    # A logged segment canceled or restored as a whole: its entries are not listed one by one
    # (there may be 100,000 of them); the API lists them by the logged segment.
    SEGMENT_CANCELED = "segment.canceled", _("Logged segment canceled")
    SEGMENT_RESTORED = "segment.restored", _("Logged segment restored")
    EMAIL_DELIVERY_FAILED = "email.delivery_failed", _("E-mail delivery failed")


# Sent by "send test event" only; no subscription asks for it.
TEST_EVENT = "webhook.test"


class WebhookSubscription(models.Model):
    """An address that receives the chosen events, signed with the secret."""

    description = models.CharField(_("description"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    # A list of WebhookEvent values.
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(_("secret"), max_length=100, editable=False)
    active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0, editable=False)
    disabled_at = models.DateTimeField(_("disabled automatically at"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    secret_rotated_at = models.DateTimeField(_("secret made at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["description", "pk"]

    def __str__(self) -> str:
        return f"{self.description} ({self.url})"

    def get_absolute_url(self) -> str:
        return reverse("interactions:webhook-detail", args=[self.pk])

    def event_labels(self) -> list[str]:
        labels = dict(WebhookEvent.choices)
        return [str(labels.get(event, event)) for event in self.events]


class WebhookDelivery(models.Model):
    """One event for one subscription: the body as it is sent (the same at every attempt,
    signed anew each time), and where its delivery stands."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RETRYING = "retrying", _("Retrying")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Failed")
        # Its subscription was disabled or deleted before it went.
        ABANDONED = "abandoned", _("Abandoned")

    subscription = models.ForeignKey(
        WebhookSubscription, verbose_name=_("subscription"), on_delete=models.CASCADE, related_name="deliveries"
    )
    # The payload's id: the same for every subscription and every attempt, so a receiver
    # can ignore an event it has already handled.
    payload_id = models.UUIDField(_("payload id"), default=uuid.uuid4, db_index=True)
    event = models.CharField(_("event"), max_length=40)
    body = models.TextField(_("body"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # When its next attempt should have been made: the recovery sweep queues again a
    # delivery still waiting well past it (its task never reached the queue, or was lost).
    due_at = models.DateTimeField(_("due at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_sub_idx")]

    def __str__(self) -> str:
        return f"{self.event} {self.payload_id}"


class WebhookAttempt(models.Model):
    """The delivery log: one row per attempt of a delivery."""

    delivery = models.ForeignKey(
        WebhookDelivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="attempt_log"
    )
    # Copied from the delivery, for the log page: one table, no join.
    subscription = models.ForeignKey(
        WebhookSubscription, verbose_name=_("subscription"), on_delete=models.CASCADE, related_name="attempt_log"
    )
    event = models.CharField(_("event"), max_length=40)
    payload_id = models.UUIDField(_("payload id"))
    number = models.PositiveIntegerField(_("attempt"))
    succeeded = models.BooleanField(_("succeeded"), default=False)
    response_code = models.PositiveIntegerField(_("response code"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    error = models.CharField(_("error"), max_length=500, blank=True)
    attempted_at = models.DateTimeField(_("attempted at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook delivery attempt")
        verbose_name_plural = _("webhook delivery attempts")
        indexes = [models.Index(fields=["subscription", "-attempted_at"], name="webhook_attempt_sub_idx")]

    def __str__(self) -> str:
        return f"{self.event} {self.payload_id} #{self.number}"
