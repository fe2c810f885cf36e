"""Saved views of the interaction log: a user's named filter, sort and columns.

A view is its owner's: only the owner renames, deletes or makes it the default. A shared
view is offered to every user who reads the log (the team), who may open it but not change
it. A user has at most one default view (a partial unique constraint), the one the log opens
with when no filter is asked for. The query string holds the filter, the sort and the page
size exactly as the log's address carries them, so a view is a bookmark the server keeps.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LogView(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("name"), max_length=80)
    query_string = models.CharField(_("filter and sort"), max_length=2000, blank=True)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    shared = models.BooleanField(_("shared with the team"), default=False)
    is_default = models.BooleanField(_("default view"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("saved log view")
        verbose_name_plural = _("saved log views")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                "owner",
                Lower("name"),
                name="log_view_name_unique_per_owner",
                violation_error_message=_("You already have a view with this name."),
            ),
            models.UniqueConstraint(
                fields=["owner"], condition=Q(is_default=True), name="log_view_one_default_per_owner"
            ),
        ]
        indexes = [models.Index(fields=["shared"], name="log_view_shared_idx", condition=Q(shared=True))]

    def __str__(self):
        return self.name
