"""The settings of the interactions module: every INTERACTIONS_* setting with its default,
type and meaning, in this one place.

- The host project overrides a default by defining `INTERACTIONS_<NAME>` in its Django
  settings (crm/settings.py does so only for the variables its environment sets); a setting
  it leaves out keeps the default below.
- The module reads its settings only here: `conf.settings.PURGE_BATCH_SIZE`. Every read
  looks at django.conf.settings at that moment, never at import, so `override_settings` and
  pytest-django's `settings` fixture work. (The purge task's time limits are Celery task
  options and so are read once, when the worker imports the tasks.)
- A value of the wrong type or out of range is refused with ImproperlyConfigured naming the
  setting, what it must be and what it is; the system check (interactions.E001, run by
  `manage.py check` and at every start of the project) lists all of them at once, and
  interactions.W001 names an INTERACTIONS_* setting that does not exist (a typo).
- `Settings.PURGE_BATCH_SIZE` (on the class) is the description itself: `.default`,
  `.meaning`, `.setting_name`.
"""

import os
from typing import Any, Generic, TypeVar

from django.conf import settings as django_settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

PREFIX = "INTERACTIONS_"
# Both databases take this many bound parameters in one statement (SQLite: 32766).
MAX_PURGE_BATCH_SIZE = 10_000

T = TypeVar("T")
_UNSET = object()
_KIND_NAMES = {int: "an integer", float: "a number", str: "a text", os.PathLike: "a path", tuple: "a list of texts"}


class Setting(Generic[T]):
    """One setting: its type, default and meaning. Read on an instance of Settings, it is
    the value in force; on the class, it is this description."""

    def __init__(
        self,
        kind: type,
        *,
        default: T,
        meaning: str,
        optional: bool = False,
        minimum: float | None = None,
        maximum: float | None = None,
    ):
        # int, float (an int is taken too), str, os.PathLike (a str too), or tuple (a list or
        # tuple of texts; read as a tuple of lowercased, stripped texts)
        self.kind = kind
        self.default = default
        self.meaning = meaning
        self.optional = optional  # None, or an empty text, means "not set": the feature is off
        self.minimum = minimum
        self.maximum = maximum
        self.name = ""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    @property
    def setting_name(self) -> str:
        return PREFIX + self.name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return self.value()

    def value(self) -> T:
        """The host's value if it sets one, else the default; ImproperlyConfigured when bad."""
        raw = getattr(django_settings, self.setting_name, _UNSET)
        if raw is _UNSET:
            return self.default
        problem = self.problem(raw)
        if problem:
            raise ImproperlyConfigured(problem)
        return self._convert(raw)

    def problem(self, raw: Any) -> str:
        """What is wrong with `raw` as this setting's value; "" when nothing is."""
        if self.optional and raw in (None, ""):
            return ""
        if not self._has_kind(raw) or not self._in_range(raw):
            return f"{self.setting_name} must be {self.expected()}, not {raw!r}. It is: {self.meaning}"
        return ""

    def expected(self) -> str:
        text = _KIND_NAMES[self.kind]
        if self.minimum is not None and self.maximum is not None:
            text += f" from {self.minimum} to {self.maximum}"
        elif self.minimum is not None:
            text += f" of at least {self.minimum}"
        elif self.maximum is not None:
            text += f" of at most {self.maximum}"
        if self.optional:
            text += ", or None"
        return text

    def _has_kind(self, raw: Any) -> bool:
        if isinstance(raw, bool):
            return False  # a bool is an int to Python, never a size or a count here
        if self.kind is float:
            return isinstance(raw, (int, float))
        if self.kind is os.PathLike:
            return isinstance(raw, (str, os.PathLike))
        if self.kind is tuple:
            return isinstance(raw, (list, tuple)) and all(isinstance(item, str) for item in raw)
        return isinstance(raw, self.kind)

    def _in_range(self, raw: Any) -> bool:
        if self.minimum is None and self.maximum is None:
            return True
        return (self.minimum is None or raw >= self.minimum) and (self.maximum is None or raw <= self.maximum)

    def _convert(self, raw: Any) -> T:
        if self.optional and raw in (None, ""):
            return None
        if self.kind is float:
            return float(raw)
        if self.kind is os.PathLike:
            return os.fspath(raw)
        if self.kind is tuple:
            return tuple(item.strip().lower() for item in raw if item.strip())
        return raw


class Settings:
    """The settings of the interactions module; read them on `conf.settings`."""

    # --- Attachments and export ---
    ATTACHMENT_MAX_SIZE: Setting[int] = Setting(
        int,
        default=10 * 1024 * 1024,
        minimum=1,
        meaning="the largest attachment, in bytes (the types of files are limited too); "
        "cap the request body in the reverse proxy as well.",
    )
    XLSX_EXPORT_LIMIT: Setting[int] = Setting(
        int,
        default=1_048_575,
        minimum=1,
        maximum=1_048_575,
        meaning="the most log entries exported to Excel at once (at most Excel's 1,048,576 rows of a "
        "sheet, the headers included); a larger selection is refused with a message (the CSV "
        "export has no limit). The workbook is built by a Celery task (interactions.tasks.build_log_export).",
    )
    EXPORT_RETENTION_HOURS: Setting[int] = Setting(
        int,
        default=24,
        minimum=1,
        meaning="how long a finished Excel export of the log can be downloaded; its file (MEDIA_ROOT/exports/) "
        "is then deleted by interactions.tasks.delete_expired_log_exports (celery beat, hourly).",
    )
    EXPORT_QUEUE: Setting[str | None] = Setting(
        str,
        default=None,
        optional=True,
        meaning="the Celery queue of the Excel export task; unset: the default queue.",
    )

    LOG_COUNT_LIMIT: Setting[int] = Setting(
        int,
        default=10_000,
        minimum=1,
        maximum=10_000_000,
        meaning="the log counts the entries that match its filter exactly up to this many; beyond it, "
        'it says "more than" this number (counting millions of rows on every page would be slow).',
    )

    # --- Purge of canceled log entries (interactions.tasks.purge_canceled_interactions) ---
    PURGE_AFTER_DAYS: Setting[int | None] = Setting(
        int,
        default=None,
        optional=True,
        minimum=0,
        meaning="the nightly purge (02:30, celery beat) deletes entries canceled more than this "
        "many days ago; unset: no schedule. The host's settings compose the beat schedule from it.",
    )
    PURGE_ARCHIVE_DIR: Setting[str | None] = Setting(
        os.PathLike,
        default=None,
        optional=True,
        meaning="the directory where purges run by the task (the page, the schedule) archive "
        "what they delete, one file a purge, for `manage.py restore_purged_interactions`; "
        "unset: no archive.",
    )
    PURGE_BATCH_SIZE: Setting[int] = Setting(
        int,
        default=5000,
        minimum=1,
        maximum=MAX_PURGE_BATCH_SIZE,
        meaning="canceled entries deleted per transaction, unless the command or the task says otherwise.",
    )
    PURGE_SOFT_TIME_LIMIT: Setting[int] = Setting(
        int,
        default=240,
        minimum=1,
        meaning="seconds a run of the purge task works before it stops between batches and "
        "re-queues the rest; the worker's soft and hard time limits are 60 and 120 seconds more "
        "(read when the worker starts). Keep the hard limit below CELERY_VISIBILITY_TIMEOUT (600).",
    )
    PURGE_LOCK_TIMEOUT: Setting[int] = Setting(
        int,
        default=300,
        minimum=1,
        meaning="seconds after which the lock against two purges at once expires when its "
        "worker died; a running purge renews it after every batch, so a batch must take less.",
    )
    PURGE_BATCH_PAUSE: Setting[float] = Setting(
        float,
        default=0.0,
        minimum=0,
        meaning="seconds of rest between the purge's batches, for a busy database or lagging replicas.",
    )
    PURGE_QUEUE: Setting[str | None] = Setting(
        str,
        default=None,
        optional=True,
        meaning="the Celery queue of the purge task (to give it a worker of its own); unset: the default queue.",
    )

    # --- E-mail to contacts (interactions.tasks.deliver_email) ---
    EMAIL_MAX_RETRIES: Setting[int] = Setting(
        int,
        default=3,
        minimum=0,
        meaning="how many times a message the e-mail backend refuses is tried again before "
        'its log entry shows "error" with the reason.',
    )
    EMAIL_RETRY_BACKOFF: Setting[float] = Setting(
        float,
        default=60.0,
        minimum=0,
        meaning="seconds before the first retry of an e-mail, doubling with every further "
        "retry (at most an hour apart).",
    )
    EMAIL_QUEUE: Setting[str | None] = Setting(
        str,
        default=None,
        optional=True,
        meaning="the Celery queue of the e-mail tasks; unset: the default queue.",
    )
    EMAIL_REQUEUE_AFTER: Setting[int] = Setting(
        int,
        default=120,
        minimum=1,
        meaning='seconds an e-mail may wait "in progress" past its due time (queued, or its retry '
        "due) before the recovery sweep queues its delivery again: the task queue was unreachable "
        "or lost the task. Delivery claims the entry first, so a late original is never sent twice.",
    )
    EMAIL_SENDING_TIMEOUT: Setting[int] = Setting(
        int,
        default=300,
        minimum=1,
        meaning="seconds a task may take to hand an e-mail it claimed to the mail server; past it "
        "(its worker died) the e-mail is taken over by a redelivered task or the recovery sweep. "
        "Longer than the mail server's slowest answer (EMAIL_TIMEOUT).",
    )

    # --- Delivering a logged segment (interactions.tasks.deliver_segment_emails) ---
    BULK_EMAIL_RATE_PER_MINUTE: Setting[int] = Setting(
        int,
        default=600,
        minimum=0,
        meaning="how many e-mails of logged segments all workers together hand to the mail server "
        "per minute (a token bucket in Redis, shared by the workers); 0: no limit.",
    )
    BULK_EMAIL_CHUNK_SIZE: Setting[int] = Setting(
        int,
        default=100,
        minimum=1,
        maximum=10000,
        meaning="how many e-mails of a logged segment one task sends over one connection.",
    )
    PUBLIC_URL: Setting[str] = Setting(
        str,
        default="http://localhost:8000",
        meaning="the address of the site as contacts reach it, for the unsubscribe links of bulk e-mail.",
    )

    # --- Recovery (interactions.tasks.recover_queued_work) ---
    RECOVERY_INTERVAL: Setting[int] = Setting(
        int,
        default=60,
        minimum=1,
        meaning="seconds between two runs of the recovery sweep (celery beat; also when a worker "
        "starts), which queues again the e-mails still waiting and takes over stalled purges "
        "(read when celery beat starts).",
    )

    # --- Webhooks (interactions.tasks.deliver_webhook) ---
    WEBHOOK_TIMEOUT: Setting[float] = Setting(
        float,
        default=5.0,
        minimum=0.1,
        maximum=60,
        meaning="seconds a webhook receiver has to connect and to answer each read; a slower one "
        "counts as a failed attempt.",
    )
    WEBHOOK_MAX_RETRIES: Setting[int] = Setting(
        int,
        default=6,
        minimum=0,
        meaning="how many times a webhook delivery that failed (no answer, or not a 2xx answer) "
        "is tried again by the worker before it is given up.",
    )
    WEBHOOK_RETRY_BACKOFF: Setting[float] = Setting(
        float,
        default=60.0,
        minimum=0,
        meaning="seconds before the first retry of a webhook delivery, doubling with every "
        "further retry (at most an hour apart).",
    )
    WEBHOOK_DISABLE_AFTER: Setting[int] = Setting(
        int,
        default=20,
        minimum=1,
        meaning="consecutive failed attempts after which a webhook subscription is disabled and "
        "the administrators are told by e-mail.",
    )
    WEBHOOK_QUEUE: Setting[str | None] = Setting(
        str,
        default=None,
        optional=True,
        meaning="the Celery queue of the webhook deliveries; unset: the default queue.",
    )

    # --- E-mail capture (interactions.tasks.capture_mailboxes) ---
    MAIL_CAPTURE_INTERVAL: Setting[int] = Setting(
        int,
        default=5,
        minimum=1,
        meaning="minutes between two readings of every active mailbox by celery beat (read when celery beat starts).",
    )
    MAIL_CAPTURE_ATTACHMENT_LIMIT: Setting[int] = Setting(
        int,
        default=10 * 1024 * 1024,
        minimum=0,
        meaning="largest captured message kept whole as the entry's .eml attachment, in bytes; a "
        "larger one is kept with its headers and text only, and its entry says so.",
    )
    MAIL_CAPTURE_MAX_MESSAGE_SIZE: Setting[int] = Setting(
        int,
        default=50 * 1024 * 1024,
        minimum=1,
        meaning="largest message the capture downloads, in bytes (its size as the IMAP server "
        "reports it); a larger one is skipped as too large, its headers kept.",
    )
    MAIL_CAPTURE_LOCK_TIMEOUT: Setting[int] = Setting(
        int,
        default=300,
        minimum=1,
        meaning="seconds a mailbox reader's lease lasts without a sign of life (renewed after "
        "every batch); past it, a reader that died no longer keeps the mailbox from the next run.",
    )
    MAIL_CAPTURE_TIMEOUT: Setting[float] = Setting(
        float,
        default=60.0,
        minimum=1,
        maximum=600,
        meaning="seconds the IMAP server has to connect and to answer each command.",
    )
    MAIL_CAPTURE_BATCH_SIZE: Setting[int] = Setting(
        int,
        default=200,
        minimum=1,
        maximum=5000,
        meaning="messages fetched from the IMAP server per command (one run reads every batch).",
    )
    MAIL_CAPTURE_PARSE_PROCESSES: Setting[int] = Setting(
        int,
        default=0,
        minimum=0,
        maximum=64,
        meaning="processes that parse a run's next batch of messages while the run logs the previous "
        "one (0: the run parses them itself); more than the machine's cores brings nothing.",
    )
    MAIL_CAPTURE_QUEUE: Setting[str | None] = Setting(
        str,
        default=None,
        optional=True,
        meaning="the Celery queue of the mailbox readings; unset: the default queue.",
    )
    # --- E-mail captured from mailboxes (interactions.services.mail_capture) ---
    MAIL_FREE_DOMAINS: Setting[tuple] = Setting(
        tuple,
        default=(
            "gmail.com",
            "googlemail.com",
            "outlook.com",
            "hotmail.com",
            "live.com",
            "msn.com",
            "yahoo.com",
            "icloud.com",
            "me.com",
            "aol.com",
            "gmx.de",
            "gmx.net",
            "web.de",
            "proton.me",
            "protonmail.com",
            "mail.ru",
            "inbox.ru",
            "list.ru",
            "bk.ru",
            "internet.ru",
            "yandex.ru",
            "ya.ru",
            "yandex.com",
            "rambler.ru",
            "qip.ru",
            "ukr.net",
        ),
        meaning="mail domains that anyone can have an address at: a captured message is never matched to "
        "a company by such a domain (only by the full address). The environment gives them comma-separated.",
    )
    # --- The API's create (interactions.selectors.template_cache) ---
    TEMPLATE_CACHE_SECONDS: Setting[int] = Setting(
        int,
        default=30,
        minimum=0,
        maximum=3600,
        meaning="seconds a process keeps a template read by code for the API's create (0: read on every "
        "request). Any change of the set-up empties the kept templates at once with a shared cache "
        "(CACHE_URL=redis://...), within this time in the other processes with the per-process default.",
    )


settings = Settings()


def all_settings() -> list[Setting]:
    """Every setting of the module, in the order of the class above."""
    return [value for value in vars(Settings).values() if isinstance(value, Setting)]


def check_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The system check: every bad value (E001) and every unknown INTERACTIONS_* name (W001)."""
    messages: list[checks.CheckMessage] = []
    known = {setting.setting_name: setting for setting in all_settings()}
    for setting in known.values():
        raw = getattr(django_settings, setting.setting_name, _UNSET)
        problem = "" if raw is _UNSET else setting.problem(raw)
        if problem:
            messages.append(
                checks.Error(
                    problem,
                    hint=f"Default: {setting.default!r} (interactions/conf.py).",
                    id="interactions.E001",
                )
            )
    for name in sorted(dir(django_settings)):
        if name.startswith(PREFIX) and name not in known:
            messages.append(
                checks.Warning(
                    f"{name} is not a setting of the interactions module, so it has no effect.",
                    hint="Its settings: " + ", ".join(known) + ".",
                    id="interactions.W001",
                )
            )
    return messages
