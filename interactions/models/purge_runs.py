import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class PurgeRunState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    WAITING = "waiting", _("Waiting")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class PurgeRun(models.Model):
    """A purge queued by the page, the schedule or a task call, through all the task runs
    it takes (re-queued, retried, redelivered after a worker died): the progress that the
    page shows, kept in the database (services/purge/runs.py).

    `deleted` grows in the very transaction of each batch's DELETE, by the rows it deleted:
    after a crash it still counts exactly what the database deleted. `expected_by` is when
    the purge's next sign of life is due (a running batch, a retry); past it the purge is
    shown as stalled until a redelivered task or the recovery sweep takes it over."""

    # The task id of its first run: the progress page's address.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    state = models.CharField(_("state"), max_length=10, choices=PurgeRunState.choices, default=PurgeRunState.QUEUED)
    deleted = models.PositiveIntegerField(_("deleted"), default=0)
    total = models.PositiveIntegerField(_("total"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    archive_path = models.TextField(_("archive file"), blank=True)
    # The task's arguments, to queue it again when it stalled (JSON: filters, batch size...).
    arguments = models.JSONField(_("arguments"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    expected_by = models.DateTimeField(_("next sign of life due"), null=True, blank=True)
    takeovers = models.PositiveIntegerField(_("takeovers"), default=0)

    class Meta:
        verbose_name = _("purge run")
        verbose_name_plural = _("purge runs")
        indexes = [
            models.Index(
                fields=["expected_by"],
                name="purge_run_unfinished_idx",
                condition=models.Q(state__in=["running", "waiting"]),
            )
        ]

    def __str__(self):
        return str(self.id)
