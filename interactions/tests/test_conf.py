"""The module's settings (interactions/conf.py): a default for each, overridden by the host's
INTERACTIONS_* setting at the moment it is read, a bad value refused with a message that
names it, and the system check listing every bad value."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from interactions import conf

NAMES = [
    "ATTACHMENT_MAX_SIZE",
    "XLSX_EXPORT_LIMIT",
    "EXPORT_RETENTION_HOURS",
    "EXPORT_QUEUE",
    "LOG_COUNT_LIMIT",
    "PURGE_AFTER_DAYS",
    "PURGE_ARCHIVE_DIR",
    "PURGE_BATCH_SIZE",
    "PURGE_SOFT_TIME_LIMIT",
    "PURGE_LOCK_TIMEOUT",
    "PURGE_BATCH_PAUSE",
    "PURGE_QUEUE",
    "EMAIL_MAX_RETRIES",
    "EMAIL_RETRY_BACKOFF",
    "EMAIL_QUEUE",
    "EMAIL_REQUEUE_AFTER",
    "EMAIL_SENDING_TIMEOUT",
    "BULK_EMAIL_RATE_PER_MINUTE",
    "BULK_EMAIL_CHUNK_SIZE",
    "PUBLIC_URL",
    "RECOVERY_INTERVAL",
    "WEBHOOK_TIMEOUT",
    "WEBHOOK_MAX_RETRIES",
    "WEBHOOK_RETRY_BACKOFF",
    "WEBHOOK_DISABLE_AFTER",
    "WEBHOOK_QUEUE",
    "MAIL_CAPTURE_INTERVAL",
    "MAIL_CAPTURE_ATTACHMENT_LIMIT",
    "MAIL_CAPTURE_MAX_MESSAGE_SIZE",
    "MAIL_CAPTURE_LOCK_TIMEOUT",
    "MAIL_CAPTURE_TIMEOUT",
    "MAIL_CAPTURE_BATCH_SIZE",
    "MAIL_CAPTURE_PARSE_PROCESSES",
    "MAIL_CAPTURE_QUEUE",
    "MAIL_FREE_DOMAINS",
    "TEMPLATE_CACHE_SECONDS",
]


@pytest.fixture
def no_overrides(settings):
    """The host sets none of the module's settings."""
    for name in NAMES:
        delattr(settings, f"INTERACTIONS_{name}")
    return settings


def test_every_setting_has_a_name_a_default_and_a_meaning():
    described = conf.all_settings()
    assert [setting.name for setting in described] == NAMES
    for setting in described:
        assert setting.setting_name == f"INTERACTIONS_{setting.name}"
        assert len(setting.meaning) > 20


def test_without_overrides_the_defaults_are_in_force(no_overrides):
    assert conf.settings.ATTACHMENT_MAX_SIZE == 10 * 1024 * 1024
    assert conf.settings.XLSX_EXPORT_LIMIT == 1_048_575  # Excel's rows of a sheet, the headers' one apart
    assert conf.settings.PURGE_AFTER_DAYS is None
    assert conf.settings.PURGE_ARCHIVE_DIR is None
    assert conf.settings.PURGE_BATCH_SIZE == 5000
    # Recovered in minutes: a run re-queues itself after 4 minutes, well within the broker's
    # visibility timeout (600 s), and a dead worker's purge is taken over after the lock's 5.
    assert conf.settings.PURGE_SOFT_TIME_LIMIT == 240
    assert conf.settings.PURGE_LOCK_TIMEOUT == 300
    assert conf.settings.PURGE_BATCH_PAUSE == 0.0
    assert conf.settings.PURGE_QUEUE is None
    assert conf.settings.EMAIL_MAX_RETRIES == 3
    assert conf.settings.EMAIL_RETRY_BACKOFF == 60.0
    assert conf.settings.EMAIL_QUEUE is None
    assert conf.settings.EMAIL_REQUEUE_AFTER == 120
    assert conf.settings.EMAIL_SENDING_TIMEOUT == 300
    assert conf.settings.RECOVERY_INTERVAL == 60
    assert conf.settings.WEBHOOK_TIMEOUT == 5.0
    assert conf.settings.WEBHOOK_MAX_RETRIES == 6
    assert conf.settings.WEBHOOK_RETRY_BACKOFF == 60.0
    assert conf.settings.WEBHOOK_DISABLE_AFTER == 20
    assert conf.settings.WEBHOOK_QUEUE is None
    for setting in conf.all_settings():
        assert getattr(conf.settings, setting.name) == setting.default


def test_the_hosts_setting_overrides_the_default_when_it_is_read(settings):
    settings.INTERACTIONS_PURGE_BATCH_SIZE = 10
    assert conf.settings.PURGE_BATCH_SIZE == 10
    settings.INTERACTIONS_PURGE_BATCH_SIZE = 20
    assert conf.settings.PURGE_BATCH_SIZE == 20


def test_numbers_are_taken_as_numbers_and_empty_texts_as_unset(settings, tmp_path):
    settings.INTERACTIONS_PURGE_BATCH_PAUSE = 1
    settings.INTERACTIONS_PURGE_QUEUE = ""
    settings.INTERACTIONS_PURGE_ARCHIVE_DIR = tmp_path
    assert conf.settings.PURGE_BATCH_PAUSE == 1.0 and isinstance(conf.settings.PURGE_BATCH_PAUSE, float)
    assert conf.settings.PURGE_QUEUE is None
    assert conf.settings.PURGE_ARCHIVE_DIR == str(tmp_path)


def test_a_list_of_domains_is_read_lowercased_without_blanks(settings):
    settings.INTERACTIONS_MAIL_FREE_DOMAINS = [" Gmail.COM", "", "mail.ru "]
    assert conf.settings.MAIL_FREE_DOMAINS == ("gmail.com", "mail.ru")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PURGE_BATCH_SIZE", "many", "INTERACTIONS_PURGE_BATCH_SIZE must be an integer from 1 to 10000, not 'many'."),
        ("PURGE_BATCH_SIZE", 0, "INTERACTIONS_PURGE_BATCH_SIZE must be an integer from 1 to 10000, not 0."),
        ("PURGE_BATCH_SIZE", 20_000, "INTERACTIONS_PURGE_BATCH_SIZE must be an integer from 1 to 10000, not 20000."),
        ("ATTACHMENT_MAX_SIZE", True, "INTERACTIONS_ATTACHMENT_MAX_SIZE must be an integer of at least 1, not True."),
        ("EMAIL_RETRY_BACKOFF", "60", "INTERACTIONS_EMAIL_RETRY_BACKOFF must be a number of at least 0, not '60'."),
        ("PURGE_QUEUE", 5, "INTERACTIONS_PURGE_QUEUE must be a text, or None, not 5."),
        ("PURGE_AFTER_DAYS", -1, "INTERACTIONS_PURGE_AFTER_DAYS must be an integer of at least 0, or None, not -1."),
        ("MAIL_FREE_DOMAINS", "gmail.com", "INTERACTIONS_MAIL_FREE_DOMAINS must be a list of texts, not 'gmail.com'."),
        ("MAIL_FREE_DOMAINS", ["gmail.com", 5], "INTERACTIONS_MAIL_FREE_DOMAINS must be a list of texts, not"),
    ],
)
def test_a_bad_value_is_refused_with_a_message_that_names_the_setting(settings, name, value, message):
    setattr(settings, f"INTERACTIONS_{name}", value)
    with pytest.raises(ImproperlyConfigured) as refused:
        getattr(conf.settings, name)
    assert str(refused.value).startswith(message)
    assert getattr(conf.Settings, name).meaning in str(refused.value)


def test_the_system_check_lists_every_bad_value(settings):
    settings.INTERACTIONS_PURGE_BATCH_SIZE = "many"
    settings.INTERACTIONS_EMAIL_MAX_RETRIES = -1

    with pytest.raises(SystemCheckError) as failed:
        call_command("check")

    report = str(failed.value)
    assert "(interactions.E001) INTERACTIONS_PURGE_BATCH_SIZE must be an integer from 1 to 10000, not 'many'." in report
    assert "(interactions.E001) INTERACTIONS_EMAIL_MAX_RETRIES must be an integer of at least 0, not -1." in report
    assert "HINT: Default: 5000 (interactions/conf.py)." in report


def test_the_system_check_warns_of_a_setting_that_does_not_exist(settings):
    settings.INTERACTIONS_PURGE_BACH_SIZE = 10
    messages = conf.check_settings()
    assert [(message.id, message.msg) for message in messages] == [
        (
            "interactions.W001",
            "INTERACTIONS_PURGE_BACH_SIZE is not a setting of the interactions module, so it has no effect.",
        )
    ]


def test_the_project_passes_the_system_check_with_its_settings():
    assert conf.check_settings() == []


def settings_in_a_new_process(environment: dict[str, str]) -> str:
    """The INTERACTIONS_* settings that crm.settings makes of `environment`, read by a fresh
    interpreter."""
    names = [f"INTERACTIONS_{name}" for name in NAMES]
    code = f"from crm import settings; print({{n: getattr(settings, n) for n in {names!r} if hasattr(settings, n)}})"
    finished = subprocess.run(
        [sys.executable, "-c", code],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return finished.stdout.strip()


def test_the_host_sets_only_what_its_environment_overrides():
    without = {key: value for key, value in os.environ.items() if not key.startswith("INTERACTIONS_")}

    assert settings_in_a_new_process(without) == "{}"
    assert (
        settings_in_a_new_process(
            {**without, "INTERACTIONS_PURGE_BATCH_SIZE": "7", "INTERACTIONS_EMAIL_RETRY_BACKOFF": "0.5"}
        )
        == "{'INTERACTIONS_PURGE_BATCH_SIZE': 7, 'INTERACTIONS_EMAIL_RETRY_BACKOFF': 0.5}"
    )
    assert (
        settings_in_a_new_process({**without, "INTERACTIONS_MAIL_FREE_DOMAINS": "gmail.com,mail.ru"})
        == "{'INTERACTIONS_MAIL_FREE_DOMAINS': ['gmail.com', 'mail.ru']}"
    )
