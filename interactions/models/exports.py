"""Excel exports of the interaction log, built by a Celery task (services/log_exports.py).

Invariants: only the user who asked for an export may see its progress and download its
file; the file lives under the storage's `exports/` folder until `expires_at`, after which
the hourly cleanup deletes the file and the row. `rows_done` grows as the task writes, in
short transactions of their own, so the page's progress bar sees it."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LogExportState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class LogExport(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    # The log page's filter, as query parameters (what the user saw when asking).
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=LogExportState.choices, default=LogExportState.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows in all"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.CharField(_("file"), max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("log export")
        verbose_name_plural = _("log exports")
        indexes = [
            models.Index(fields=["user", "-created_at"], name="log_export_user_idx"),
            models.Index(fields=["expires_at"], name="log_export_expiry_idx"),
        ]

    def __str__(self):
        return str(self.id)

    @property
    def finished(self) -> bool:
        return self.state in (LogExportState.DONE, LogExportState.FAILED)

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 100 if self.state == LogExportState.DONE else 0
        return min(100, round(100 * self.rows_done / self.rows_total))
