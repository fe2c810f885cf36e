from django.db import models
from django.utils.translation import gettext_lazy as _


class Attachment(models.Model):
    """A stored file. One file may serve several log entries (a segment's letter, say)
    and template languages; it is deleted only when nothing uses it any more."""

    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.file_name
