"""Settings of the CRM host project, read from the environment (django-environ).

Defaults give a self-contained development setup: SQLite, in-process tasks, DEBUG on.
Production sets DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY, DEBUG=0, ALLOWED_HOSTS.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
# A fixed key is only acceptable for local development; production must set SECRET_KEY.
SECRET_KEY = env("SECRET_KEY", default="" if not DEBUG else "dev-only-insecure-key-change-me")
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_tables2",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crm",
    "crm.contacts",
    "crm.documents",
    "crm.api",
]
# The modules: apps the host works without. The interactions module is named here, in the
# composition root, and nowhere in the host apps (see DESIGN.md).
MODULES = ["interactions"]
# The host without some of its modules, e.g. CRM_WITHOUT_APPS=interactions: the host's own
# tests run so (`make test`), to prove that nothing under crm/ needs them.
CRM_WITHOUT_APPS = env.list("CRM_WITHOUT_APPS", default=[])
if set(CRM_WITHOUT_APPS) - set(MODULES):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"CRM_WITHOUT_APPS: the host works without {', '.join(MODULES)} only.")
INSTALLED_APPS += [module for module in MODULES if module not in CRM_WITHOUT_APPS]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "crm.middleware.LocaleMiddleware",
    "crm.middleware.RejectNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Foreign keys, a busy timeout and WAL make SQLite behave under the dev server's threads.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
    # The log's filter indexes carry the time as a non-key column on PostgreSQL (models/log.py);
    # SQLite builds them without it, which is all the development database needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env.bool("DATABASE_JIT", default=False):
    # PostgreSQL compiles (JIT) any query whose *estimated* cost passes jit_above_cost. At 10M
    # entries a search estimated at 45,000 rows that found one spent 200 ms compiling for 1 ms
    # of work (bench/pages.py). The pages read few rows by design; JIT pays off only for long
    # reports, so it is off for the application's connections (DATABASE_JIT=1 turns it on).
    postgres_options = DATABASES["default"].setdefault("OPTIONS", {})
    postgres_options["options"] = f"{postgres_options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://crm")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Login throttling (crm/login_throttle.py): after this many failed logins for a username
# within LOGIN_THROTTLE_SECONDS, or LOGIN_THROTTLE_IP_ATTEMPTS from one address, further
# attempts are refused (429) until the period has passed. Counted in the default cache:
# with several processes, set CACHE_URL to a shared cache (Redis).
LOGIN_THROTTLE_ATTEMPTS = env.int("LOGIN_THROTTLE_ATTEMPTS", default=5)
LOGIN_THROTTLE_IP_ATTEMPTS = env.int("LOGIN_THROTTLE_IP_ATTEMPTS", default=20)
LOGIN_THROTTLE_SECONDS = env.int("LOGIN_THROTTLE_SECONDS", default=600)
# Behind a reverse proxy that appends the client's address to X-Forwarded-For.
LOGIN_THROTTLE_FORWARDED_FOR = env.bool("LOGIN_THROTTLE_FORWARDED_FOR", default=False)

# Uploads: attachments are refused above INTERACTIONS_ATTACHMENT_MAX_SIZE (and by type,
# interactions/services/attachments.py); form data other than files is capped by Django at
# DATA_UPLOAD_MAX_MEMORY_SIZE; uploaded files above FILE_UPLOAD_MAX_MEMORY_SIZE go to a
# temporary file instead of memory. Cap the whole request body in the reverse proxy too
# (e.g. nginx client_max_body_size 25m).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Internationalization: English source strings, complete Russian translation.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Europe/Moscow")
USE_I18N = True
# One date and time format per language for pages, charts, exports and PDFs (crm/formats).
FORMAT_MODULE_PATH = ["crm.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Libraries installed from the npm registry by `make setup` (package.json), served
    # locally: no CDN.
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules" / "bootstrap-icons" / "font"),
    ("vendor/chart.js", BASE_DIR / "node_modules" / "chart.js" / "dist"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))

# Celery: without a broker configured, tasks run in-process (eagerly).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis broker: a task taken by a worker that died (acks_late) is delivered again after
# this many seconds, so a crash is recovered in minutes. Longer than any task run: a purge
# run stops and re-queues the rest after INTERACTIONS_PURGE_SOFT_TIME_LIMIT (240 s; the
# worker's hard limit is 120 s more), and a task delivered twice is harmless (the purge is
# idempotent under its lock, an e-mail is claimed before it is sent).
# A Redis that cannot be reached fails fast: pages answer at once and the recovery sweep
# queues again what waits in the database (interactions.tasks.recover_queued_work).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600),
    "socket_connect_timeout": 1,
    "socket_timeout": 10,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 1
# The result backend (Redis too by default) is never asked by a page: tasks are queued with
# ignore_result, progress is kept in the database. Where it is used, it gives up quickly.
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
CELERY_REDIS_SOCKET_TIMEOUT = 10
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
}

# The interactions module's settings (INTERACTIONS_*): their defaults, types and meanings
# are in interactions/conf.py. The environment overrides them here, each only when set.
for _name, _read in {
    "INTERACTIONS_ATTACHMENT_MAX_SIZE": env.int,
    "INTERACTIONS_XLSX_EXPORT_LIMIT": env.int,
    "INTERACTIONS_EXPORT_RETENTION_HOURS": env.int,
    "INTERACTIONS_EXPORT_QUEUE": env.str,
    "INTERACTIONS_PURGE_AFTER_DAYS": env.int,
    "INTERACTIONS_PURGE_ARCHIVE_DIR": env.str,
    "INTERACTIONS_PURGE_BATCH_SIZE": env.int,
    "INTERACTIONS_PURGE_SOFT_TIME_LIMIT": env.int,
    "INTERACTIONS_PURGE_LOCK_TIMEOUT": env.int,
    "INTERACTIONS_PURGE_BATCH_PAUSE": env.float,
    "INTERACTIONS_PURGE_QUEUE": env.str,
    "INTERACTIONS_EMAIL_MAX_RETRIES": env.int,
    "INTERACTIONS_EMAIL_RETRY_BACKOFF": env.float,
    "INTERACTIONS_EMAIL_QUEUE": env.str,
    "INTERACTIONS_EMAIL_REQUEUE_AFTER": env.int,
    "INTERACTIONS_EMAIL_SENDING_TIMEOUT": env.int,
    "INTERACTIONS_BULK_EMAIL_RATE_PER_MINUTE": env.int,
    "INTERACTIONS_BULK_EMAIL_CHUNK_SIZE": env.int,
    "INTERACTIONS_PUBLIC_URL": env.str,
    "INTERACTIONS_RECOVERY_INTERVAL": env.int,
    "INTERACTIONS_WEBHOOK_TIMEOUT": env.float,
    "INTERACTIONS_WEBHOOK_MAX_RETRIES": env.int,
    "INTERACTIONS_WEBHOOK_RETRY_BACKOFF": env.float,
    "INTERACTIONS_WEBHOOK_DISABLE_AFTER": env.int,
    "INTERACTIONS_WEBHOOK_QUEUE": env.str,
    "INTERACTIONS_MAIL_CAPTURE_INTERVAL": env.int,
    "INTERACTIONS_MAIL_CAPTURE_ATTACHMENT_LIMIT": env.int,
    "INTERACTIONS_MAIL_CAPTURE_MAX_MESSAGE_SIZE": env.int,
    "INTERACTIONS_MAIL_CAPTURE_LOCK_TIMEOUT": env.int,
    "INTERACTIONS_MAIL_CAPTURE_TIMEOUT": env.float,
    "INTERACTIONS_MAIL_CAPTURE_BATCH_SIZE": env.int,
    "INTERACTIONS_MAIL_CAPTURE_PARSE_PROCESSES": env.int,
    "INTERACTIONS_MAIL_CAPTURE_QUEUE": env.str,
    "INTERACTIONS_MAIL_FREE_DOMAINS": env.list,
}.items():
    if _name in env.ENVIRON:
        globals()[_name] = _read(_name)

# The nightly purge of canceled interaction log entries (celery beat), for entries canceled
# more than INTERACTIONS_PURGE_AFTER_DAYS days ago; unset: no schedule.
# The recovery sweep (every INTERACTIONS_RECOVERY_INTERVAL seconds, on the e-mail queue):
# e-mails and purges waiting in the database for a task that never came are queued again.
_purge_after_days = env.int("INTERACTIONS_PURGE_AFTER_DAYS", default=None)
if "interactions" in INSTALLED_APPS:
    _email_queue = env("INTERACTIONS_EMAIL_QUEUE", default=None)
    _recovery_interval = env.int("INTERACTIONS_RECOVERY_INTERVAL", default=60)
    CELERY_BEAT_SCHEDULE = {
        "recover-queued-work": {
            "task": "interactions.tasks.recover_queued_work",
            "schedule": float(_recovery_interval),
            # A sweep still queued when the next one is due is dropped.
            "options": {"expires": _recovery_interval, **({"queue": _email_queue} if _email_queue else {})},
        },
        # Excel exports of the log past INTERACTIONS_EXPORT_RETENTION_HOURS: files and rows deleted.
        "delete-expired-log-exports": {
            "task": "interactions.tasks.delete_expired_log_exports",
            "schedule": 3600.0,
            "options": {"expires": 3600},
        },
    }
    # E-mail capture: every INTERACTIONS_MAIL_CAPTURE_INTERVAL minutes, each active mailbox
    # is read (one task per mailbox, each holding the mailbox's lease while it reads).
    _capture_interval = env.int("INTERACTIONS_MAIL_CAPTURE_INTERVAL", default=5) * 60
    _capture_queue = env("INTERACTIONS_MAIL_CAPTURE_QUEUE", default=None)
    CELERY_BEAT_SCHEDULE["capture-mailboxes"] = {
        "task": "interactions.tasks.capture_mailboxes",
        "schedule": float(_capture_interval),
        "options": {"expires": _capture_interval, **({"queue": _capture_queue} if _capture_queue else {})},
    }
if _purge_after_days is not None and "interactions" in INSTALLED_APPS:
    from celery.schedules import crontab

    _purge_queue = env("INTERACTIONS_PURGE_QUEUE", default=None)
    CELERY_BEAT_SCHEDULE["purge-canceled-interactions"] = {
        "task": "interactions.tasks.purge_canceled_interactions",
        "schedule": crontab(hour=2, minute=30),
        "kwargs": {"canceled_days_ago": _purge_after_days},
        "options": {"queue": _purge_queue} if _purge_queue else {},
    }

# E-mail to contacts (interactions.tasks.deliver_email). EMAIL_URL chooses the backend:
# smtp://user:password@host:587 (smtp+tls://, smtp+ssl://) in production, filemail:////path
# (one .log file per message), consolemail:// (printed by the process that sends: the
# worker, or the web process when tasks run in-process) by default.
# Only what the address sets: Django's defaults stand for the rest.
globals().update(
    {
        name: value
        for name, value in env.email_url("EMAIL_URL", default="consolemail://").items()
        if value not in (None, "")
    }
)
if env("EMAIL_FILE_PATH", default=""):
    EMAIL_FILE_PATH = env("EMAIL_FILE_PATH")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="CRM <crm@localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# An SMTP server that does not answer must not hold a worker forever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# Retries and queue of the e-mail task: INTERACTIONS_EMAIL_* (interactions/conf.py).

# Production hardening; `manage.py check --deploy` with DEBUG=0 reports nothing.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"

# The REST API (/api/v1/, Django REST framework; crm/api holds the host's part: personal
# tokens, idempotency, limits, JSON errors). Session for the browser, personal tokens
# (Authorization: Bearer ...) for other systems. Throttled per token (per user on a
# session) in the default cache: set CACHE_URL to Redis with several processes.
API_THROTTLE_RATE = env("API_THROTTLE_RATE", default="1200/minute")
# Largest request body the API reads (bytes); larger ones are refused (413) unread.
API_MAX_BODY_SIZE = env.int("API_MAX_BODY_SIZE", default=1_048_576)
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=200)
# Seconds a personal token's permission set is kept in the default cache (0: read on every
# request). A change of groups or permissions applies at once in a shared cache (Redis),
# within this time in the other processes with the per-process default. A revoked or
# expired token is refused at once whatever this says (crm/api/permission_cache.py).
API_PERMISSION_CACHE_SECONDS = env.int("API_PERMISSION_CACHE_SECONDS", default=30)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "crm.api.authentication.BearerTokenAuthentication",
        "crm.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["crm.api.throttling.PerTokenThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": API_THROTTLE_RATE},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "crm.api.errors.exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CRM API",
    "DESCRIPTION": "Record and read interactions with contacts. Authenticate with a personal token "
    "(Authorization: Bearer <token>, created on /accounts/tokens/) or a browser session.",
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    "ENUM_NAME_OVERRIDES": {
        "LanguageEnum": "crm.contacts.models.Language",
        "CorrespondenceTypeEnum": "crm.contacts.models.CorrespondenceType",
        "ContactTypeEnum": "crm.contacts.models.Contact.Type",
    },
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "crm.api.schema.database_independent_integers",
    ],
}
# The module's choice sets, named once in the schema (when the module is installed).
if "interactions" in INSTALLED_APPS:
    SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
        {
            "EvaluationEnum": "interactions.models.choices.Evaluation",
            "InformationFlowEnum": "interactions.models.choices.InformationFlow",
            "InitiatedByEnum": "interactions.models.choices.InitiatedBy",
        }
    )

# Printed documents (crm.documents): the sender printed at the top, and the folder of the
# PDF font (DejaVu Sans, for Cyrillic); unset, the usual system font folders are searched.
DOCUMENTS_COMPANY_NAME = env("DOCUMENTS_COMPANY_NAME", default="CRONUS International Ltd.")
DOCUMENTS_COMPANY_ADDRESS = env("DOCUMENTS_COMPANY_ADDRESS", default="5 The Ring, Westminster\nLondon W2 8HG")
DOCUMENTS_PDF_FONT_DIR = env("DOCUMENTS_PDF_FONT_DIR", default=None)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}
