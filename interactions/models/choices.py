from django.db import models
from django.utils.translation import gettext_lazy as _


class InformationFlow(models.TextChoices):
    BLANK = "", _("(none)")
    OUTBOUND = "outbound", _("Outbound")
    INBOUND = "inbound", _("Inbound")


class InitiatedBy(models.TextChoices):
    BLANK = "", _("(none)")
    US = "us", _("Us")
    THEM = "them", _("Them")


class WizardAction(models.TextChoices):
    """What the content step does when an interaction is created from the template."""

    BLANK = "", _("(none)")
    OPEN = "open", _("Open")
    IMPORT = "import", _("Import")
    MERGE = "merge", _("Merge")


class Evaluation(models.TextChoices):
    BLANK = "", _("(none)")
    VERY_POSITIVE = "very_positive", _("Very positive")
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")
    VERY_NEGATIVE = "very_negative", _("Very negative")


class DeliveryStatus(models.TextChoices):
    BLANK = "", _("(none)")
    # Queued: waiting for a task to take it (services/communication/delivery.py).
    IN_PROGRESS = "in_progress", _("In progress")
    # Claimed by the one task that sends it (a conditional UPDATE from "in progress").
    SENDING = "sending", _("Sending")
    ERROR = "error", _("Error")
    # An e-mail saved as a draft (services/communication/drafts.py): never sent as it is;
    # reopened, edited and sent, it becomes "draft sent" and the e-mail's entry refers to it.
    DRAFT = "draft", _("Draft")
    DRAFT_SENT = "draft_sent", _("Draft sent")
