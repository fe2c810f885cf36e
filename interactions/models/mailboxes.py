"""E-mail capture: the mailboxes read by the capture task, their runs, the capture settings,
the messages logged from them and the messages skipped (services/mail_capture/).

Invariants:
- A mailbox's password is never stored: the row names where it is read at run time (an
  environment variable, or a secrets file), and no page shows it.
- One reader per mailbox at a time: `lock_token`/`locked_until` are a lease taken by one
  conditional UPDATE and renewed after every message; a reader that died (SIGKILL) loses it
  when it expires, so the next run goes on.
- Exactly once: a `CapturedEmail` row per (contact, message key) — the Message-ID, or a
  stable hash of the headers of a message without one — under a unique constraint, written
  in the transaction that writes the entry. The application's own e-mails get one when they
  are sent, so their copy in a journal mailbox is recognised. The row outlives its entry
  (no database foreign key): a message whose entry was canceled and purged is not logged
  again from the next copy of it.
- A message leaves the folder it is read from only after its outcome (logged, skipped, a
  bounce recorded) is committed: a `CapturedEmail` with the mailbox, or a `SkippedMessage`.
"""

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.contacts.models import Contact, Salesperson

from .log import InteractionLogEntry

MESSAGE_KEY_MAX_LENGTH = 255


def message_key(message_id: str | None, *, fallback: bytes = b"") -> str:
    """The key a message is known by: its Message-ID without the angle brackets and the
    whitespace around it (as the parser gives it: services/mail_capture/parsing.py), or a
    hash when it has none (of `fallback`) or one too long to store."""
    text = (message_id or "").strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    if text and len(text) <= MESSAGE_KEY_MAX_LENGTH:
        return text
    seed = text.encode("utf-8", "surrogateescape") if text else fallback
    return "sha256:" + hashlib.sha256(seed).hexdigest()


class MailboxSecurity(models.TextChoices):
    SSL = "ssl", _("SSL/TLS (IMAPS)")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("None (unencrypted)")


class MailboxKind(models.TextChoices):
    JOURNAL = "journal", _("Journal (shared) mailbox")
    PERSONAL = "personal", _("One salesperson's mailbox")


class PasswordSource(models.TextChoices):
    ENVIRONMENT = "env", _("Environment variable")
    FILE = "file", _("Secrets file")


class Mailbox(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    host = models.CharField(_("IMAP host"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(_("security"), max_length=10, choices=MailboxSecurity.choices, default="ssl")
    username = models.CharField(_("user name"), max_length=255)
    password_source = models.CharField(
        _("password from"), max_length=10, choices=PasswordSource.choices, default=PasswordSource.ENVIRONMENT
    )
    # Where the password is read when the mailbox is read: the name of an environment
    # variable of the worker, or the path of a file on its machine. Never the password.
    password_reference = models.CharField(
        _("environment variable or secrets file"),
        max_length=500,
        help_text=_("The name of the environment variable, or the path of the file, that holds the password."),
    )
    folder = models.CharField(_("folder to read"), max_length=255, default="INBOX")
    processed_folder = models.CharField(
        _("folder for processed messages"),
        max_length=255,
        default="CRM-processed",
        help_text=_("Logged and skipped messages are moved here (it is created when missing)."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=MailboxKind.choices, default=MailboxKind.JOURNAL)
    salesperson = models.ForeignKey(
        Salesperson,
        verbose_name=_("salesperson"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mailboxes",
        help_text=_("Whose mailbox it is (required for a salesperson's mailbox)."),
    )
    private = models.BooleanField(
        _("private"),
        default=False,
        help_text=_(
            "Entries logged from this mailbox are opened only by their salesperson and sales managers; "
            "others see them listed without subject or message."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    # The reader's lease (see the module's docstring).
    lock_token = models.CharField(max_length=64, blank=True, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Health: kept on the row so the dashboard's warning is one query.
    consecutive_failures = models.PositiveIntegerField(_("failed runs in a row"), default=0, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["name"]
        permissions = [
            ("run_mailbox", _("Can read a mailbox now")),
            ("view_mail_capture_health", _("Can see the health of e-mail capture")),
            ("log_skippedmessage", _("Can log a skipped e-mail message by hand")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="journal") | Q(salesperson__isnull=False),
                name="mailbox_personal_has_salesperson",
                violation_error_message=_("A salesperson's mailbox needs its salesperson."),
            ),
            models.CheckConstraint(condition=Q(port__gte=1, port__lte=65535), name="mailbox_port_valid"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("interactions:mailbox-health", args=[self.pk])

    def clean(self):
        super().clean()
        errors = {}
        if self.kind == MailboxKind.PERSONAL and not self.salesperson_id:
            errors["salesperson"] = _("A salesperson's mailbox needs its salesperson.")
        if self.folder and self.processed_folder and self.folder.strip() == self.processed_folder.strip():
            errors["processed_folder"] = _("Processed messages must go to another folder than the one read.")
        if errors:
            raise ValidationError(errors)

    @property
    def failing(self) -> bool:
        return self.consecutive_failures >= FAILING_AFTER_RUNS


# A mailbox that failed this many runs in a row is shown on the administrators' dashboard.
FAILING_AFTER_RUNS = 3


class LogMode(models.TextChoices):
    ALL = "all", _("Log all messages with known contacts")
    REPLIES = "replies", _("Log only messages we sent and replies to them")


class MailCaptureSettings(models.Model):
    """The capture settings (one row, id 1), shared by every mailbox."""

    SINGLETON_ID = 1

    internal_domains = models.TextField(
        _("internal domains"),
        blank=True,
        help_text=_("One domain a line: addresses there are ours (besides the salespeople's addresses)."),
    )
    never_log = models.TextField(
        _("never log"),
        blank=True,
        help_text=_("One address or domain a line: messages with them are never logged for them."),
    )
    log_mode = models.CharField(_("what to log"), max_length=10, choices=LogMode.choices, default=LogMode.ALL)
    match_company_domains = models.BooleanField(
        _("match companies by domain"),
        default=False,
        help_text=_("An address of no known contact is logged for the company whose addresses share its domain."),
    )
    skip_auto_replies = models.BooleanField(
        _("skip automatic replies"),
        default=False,
        help_text=_("Out-of-office and other automatic replies are skipped instead of logged as such."),
    )

    class Meta:
        verbose_name = _("e-mail capture settings")
        verbose_name_plural = _("e-mail capture settings")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="mail_capture_settings_single_row")]

    def __str__(self):
        return str(_("E-mail capture settings"))

    @classmethod
    def load(cls) -> "MailCaptureSettings":
        row, _created = cls.objects.get_or_create(id=cls.SINGLETON_ID)
        return row

    @staticmethod
    def lines(text: str) -> list[str]:
        return [line.strip().lower().lstrip("@") for line in text.splitlines() if line.strip()]


class MailboxRunState(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class SkipReason(models.TextChoices):
    NO_KNOWN_CONTACT = "no_contact", _("No known contact")
    NEVER_LOG = "never_log", _("Never-log list")
    DUPLICATE = "duplicate", _("Duplicate")
    TOO_LARGE = "too_large", _("Too large")
    UNREADABLE = "unreadable", _("Unreadable")
    NOT_A_REPLY = "not_a_reply", _("Not a reply to a message we sent")
    AUTO_REPLY = "auto_reply", _("Automatic reply")
    UNKNOWN_BOUNCE = "unknown_bounce", _("Bounce of a message not logged")


class MailboxRun(models.Model):
    """One reading of a mailbox: what the health page shows."""

    mailbox = models.ForeignKey(Mailbox, verbose_name=_("mailbox"), on_delete=models.CASCADE, related_name="runs")
    state = models.CharField(
        _("state"), max_length=10, choices=MailboxRunState.choices, default=MailboxRunState.RUNNING
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    read = models.PositiveIntegerField(_("messages read"), default=0)
    logged = models.PositiveIntegerField(_("logged"), default=0)
    bounces = models.PositiveIntegerField(_("bounces recorded"), default=0)
    # reason -> count (SkipReason values)
    skipped = models.JSONField(_("skipped"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("mailbox run")
        verbose_name_plural = _("mailbox runs")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["mailbox", "-started_at"], name="mailbox_run_recent_idx")]

    def __str__(self):
        return f"{self.mailbox} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self):
        if self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def skipped_by_reason(self) -> list[tuple[str, int]]:
        labels = dict(SkipReason.choices)
        return [(str(labels.get(reason, reason)), count) for reason, count in sorted(self.skipped.items())]


class CapturedEmail(models.Model):
    """A message logged for a contact: the exactly-once record (see the module's docstring),
    and the thread (`replies_to`: the entry of the message it answers)."""

    class Kind(models.TextChoices):
        SENT = "sent", _("Sent from the application")
        MESSAGE = "message", _("Captured message")
        AUTO_REPLY = "auto_reply", _("Automatic reply")
        BY_HAND = "by_hand", _("Logged by hand from a skipped message")

    entry = models.OneToOneField(
        InteractionLogEntry,
        verbose_name=_("interaction log entry"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,  # outlives a purged entry: see the module's docstring
        related_name="captured_email",
    )
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="+")
    message_key = models.CharField(_("Message-ID"), max_length=MESSAGE_KEY_MAX_LENGTH)
    mailbox = models.ForeignKey(
        Mailbox, verbose_name=_("mailbox"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.MESSAGE)
    # What the entry keeps out of the log when it is private (the log lists it without).
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    private = models.BooleanField(_("private"), default=False)
    truncated = models.BooleanField(_("attachments left out"), default=False)
    replies_to = models.ForeignKey(
        InteractionLogEntry,
        verbose_name=_("reply to"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="captured_replies",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("captured e-mail")
        verbose_name_plural = _("captured e-mails")
        constraints = [
            models.UniqueConstraint(fields=["contact", "message_key"], name="captured_email_once_per_contact"),
        ]
        indexes = [
            models.Index(fields=["message_key"], name="captured_email_key_idx"),
            models.Index(
                fields=["replies_to"], name="captured_email_thread_idx", condition=Q(replies_to__isnull=False)
            ),
        ]

    def __str__(self):
        return self.message_key


def skipped_message_path(instance, filename: str) -> str:
    return timezone.now().strftime("mail_capture/skipped/%Y/%m/") + filename


class SkippedMessage(models.Model):
    """A message read and not logged, with why; its raw message kept for a manager to look at
    and to log by hand (a duplicate keeps none: the entry that logged it is named)."""

    mailbox = models.ForeignKey(
        Mailbox, verbose_name=_("mailbox"), on_delete=models.CASCADE, related_name="skipped_messages"
    )
    run = models.ForeignKey(
        MailboxRun, verbose_name=_("run"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message_key = models.CharField(_("Message-ID"), max_length=MESSAGE_KEY_MAX_LENGTH)
    reason = models.CharField(_("reason"), max_length=20, choices=SkipReason.choices)
    detail = models.TextField(_("detail"), blank=True)
    sender = models.CharField(_("from"), max_length=255, blank=True)
    recipients = models.TextField(_("to and copy"), blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    sent_at = models.DateTimeField(_("date"), null=True, blank=True)
    raw = models.FileField(_("message"), upload_to=skipped_message_path, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    duplicate_of = models.ForeignKey(
        InteractionLogEntry,
        verbose_name=_("logged as"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("skipped at"), default=timezone.now)
    logged_entry = models.ForeignKey(
        InteractionLogEntry,
        verbose_name=_("logged by hand as"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("skipped e-mail message")
        verbose_name_plural = _("skipped e-mail messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Skipped once per mailbox: a copy read again after a crash is only moved on.
            models.UniqueConstraint(fields=["mailbox", "message_key"], name="skipped_message_once_per_mailbox"),
        ]
        indexes = [models.Index(fields=["mailbox", "reason", "-created_at"], name="skipped_message_reason_idx")]

    def __str__(self):
        return f"{self.subject or self.message_key} ({self.get_reason_display()})"

    def get_absolute_url(self):
        return reverse("interactions:skipped-message", args=[self.pk])
