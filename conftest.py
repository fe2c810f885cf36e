"""Test set-up shared by every app.

Tests use SQLite and eager tasks unless DATABASE_URL / CELERY_BROKER_URL say otherwise.
With REQUIRE_SERVICES=1 (CI) a missing PostgreSQL or Redis fails the run at once instead
of skipping the tests that need them.
"""

import os
import random
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _hypothesis_profiles() -> None:
    """Property-based tests (hypothesis): a few dozen examples per case locally, 300 in CI
    (CI set, or REQUIRE_SERVICES=1); HYPOTHESIS_PROFILE chooses explicitly. Every example
    goes through the database, so no deadline; the db fixture is shared by the examples of
    one test on purpose (objects are made once per test)."""
    from hypothesis import HealthCheck
    from hypothesis import settings as hypothesis_settings

    common = {
        "deadline": None,
        "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    }
    hypothesis_settings.register_profile("dev", max_examples=50, **common)
    hypothesis_settings.register_profile("ci", max_examples=300, **common)
    default = "ci" if os.environ.get("CI") or REQUIRE_SERVICES else "dev"
    hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", default))


_hypothesis_profiles()


REDIS_DATABASES = 16  # Redis' default number of databases (0-15)


def xdist_redis_url(url: str, worker: str) -> str:
    """The broker address for pytest-xdist's worker `worker` ("gw0", "gw1", ...): the same
    server, database CELERY_BROKER_URL's + N (- N where that runs past the last database,
    15: CI's /15 gives gw0 15 and gw1 14). The workers' Celery processes, task results and
    the purge lock then live apart, and no worker takes another's tasks or lock."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    index = int(worker.removeprefix("gw"))
    database = base + index if base + index < REDIS_DATABASES else base - index
    return urlunsplit(parts._replace(path=f"/{database}"))


def _broker_of_this_xdist_worker() -> None:
    """Settings are read before conftest.py, so the address is changed in place."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    from django.conf import settings

    url = settings.CELERY_BROKER_URL
    if not worker or not url.startswith(("redis://", "rediss://")):
        return
    own = xdist_redis_url(url, worker)
    settings.CELERY_BROKER_URL = own
    if settings.CELERY_RESULT_BACKEND == url:
        settings.CELERY_RESULT_BACKEND = own
    os.environ["CELERY_BROKER_URL"] = own  # Celery prefers it to app.conf.broker_url
    from crm.celery import app

    app.conf.broker_url = own
    app.conf.result_backend = settings.CELERY_RESULT_BACKEND


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    """Each xdist worker gets its own Redis database (`xdist_redis_url`).

    Hypothesis draws its examples from pytest-randomly's seed (printed in the header as
    `Using --randomly-seed=N`), so that one number replays a whole run, hypothesis included;
    an explicit --hypothesis-seed wins. Without pytest-randomly (-p no:randomly) Hypothesis
    chooses as usual. Trylast: pytest-randomly has chosen the seed by then (also on xdist's
    workers, which get the controller's)."""
    _broker_of_this_xdist_worker()
    seed = config.getoption("randomly_seed", None)
    if isinstance(seed, int) and config.getoption("hypothesis_seed", None) is None:
        from hypothesis import core

        # What --hypothesis-seed does (hypothesis' pytest plugin sets the same variable).
        core.global_force_seed = seed


def database_vendor() -> str:
    from django.db import connection

    return connection.vendor


def redis_url() -> str:
    from django.conf import settings

    url = settings.CELERY_BROKER_URL
    return url if url.startswith("redis") else ""


def redis_reachable() -> bool:
    url = redis_url()
    if not url:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def pytest_sessionstart(session):
    if not REQUIRE_SERVICES:
        return
    from django.conf import settings

    problems = []
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append("DATABASE_URL does not point at PostgreSQL")
    if not redis_reachable():
        problems.append(f"Redis is not reachable at CELERY_BROKER_URL={settings.CELERY_BROKER_URL!r}")
    if problems:
        pytest.exit("REQUIRE_SERVICES=1 but " + "; ".join(problems), returncode=3)


def need(service: str, available: bool) -> None:
    """Skip a test whose service is missing, or fail it when services are required."""
    if available:
        return
    message = f"{service} is not available"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (REQUIRE_SERVICES=1)")
    pytest.skip(message)


@pytest.fixture
def postgresql(db):
    need("PostgreSQL", database_vendor() == "postgresql")


@pytest.fixture
def redis_broker():
    need("Redis", redis_reachable())
    return redis_url()


@pytest.fixture(scope="session")
def dovecot_server():
    """A private Dovecot for the session (dovecot_support.py); skipped locally without it,
    a failure under REQUIRE_SERVICES=1. For the e-mail capture tests and their browser test."""
    from interactions.tests.dovecot_support import Dovecot, dovecot_installed

    need("Dovecot (dovecot-imapd)", dovecot_installed())
    server = Dovecot().start()
    yield server
    server.stop()


@pytest.fixture
def dovecot(dovecot_server):
    """The session's Dovecot, its folders empty for this test."""
    dovecot_server.empty()
    yield dovecot_server
    dovecot_server.empty()


def _factories() -> list[type]:
    import factory

    found, pending = [], [factory.base.BaseFactory]
    while pending:
        for subclass in pending.pop().__subclasses__():
            pending.append(subclass)
            if not subclass._meta.abstract:
                found.append(subclass)
    return found


def reset_factory_sequences() -> None:
    for factory_class in _factories():
        factory_class.reset_sequence(force=True)


@pytest.fixture(autouse=True)
def _fresh_factory_sequences():
    """Every test's factory sequences start at 0 (user0, SP000, ...), as its random
    generators start from its own seed (pytest-randomly reseeds random, Faker and
    factory_boy per test): what a test makes does not depend on the tests that ran before it
    in this process (the order, xdist's share of tests), so the seed replays it alone."""
    reset_factory_sequences()


def settings_for_tests(media_root) -> dict:
    from django.conf import settings

    return {
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
        "MEDIA_ROOT": media_root,
        "STORAGES": {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    }


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    for name, value in settings_for_tests(tmp_path / "media").items():
        setattr(settings, name, value)


def loaded_once(request, load: Callable[[], object]) -> Iterator[object]:
    """The body of a class-scoped fixture for data that the class's tests only read (the
    demo data): `load()` runs once, in a transaction that stays open while the class's
    tests run and is rolled back after them. Each test's own transaction (pytest-django's
    `db`) is a savepoint inside it, rolled back after the test, so a test that writes
    still leaves nothing behind for the next. Only for tests without transaction=True.

    A class, not a module: a module-scoped fixture would also be there for the module's
    other tests that happen to run after its first user (random order).

    `load()` runs with the tests' settings (fast password hashes, a media directory of
    its own) and random generators seeded from the run's seed and the class, and leaves
    the generators as they were for the test whose set-up it runs in."""
    import factory.random
    import faker.generator
    from django.db import transaction
    from django.test import override_settings

    blocker = request.getfixturevalue("django_db_blocker")
    request.getfixturevalue("django_db_setup")
    media_root = request.getfixturevalue("tmp_path_factory").mktemp("loaded-once") / "media"
    generators = (random, factory.random.randgen, faker.generator.random)
    states = [generator.getstate() for generator in generators]
    seed = f"{request.config.getoption('randomly_seed', None)}::{request.node.nodeid}"
    random.seed(seed)
    factory.random.reseed_random(seed)
    reset_factory_sequences()
    with override_settings(**settings_for_tests(media_root)):
        with blocker.unblock():
            outer = transaction.atomic()
            outer.__enter__()
            try:
                data = load()
            except BaseException:
                transaction.set_rollback(True)
                outer.__exit__(None, None, None)
                raise
            finally:
                for generator, state in zip(generators, states, strict=True):
                    generator.setstate(state)
        try:
            yield data
        finally:
            with blocker.unblock():
                transaction.set_rollback(True)
                outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A request to a /ru/ page leaves Russian active in this thread; reset it so that
    later tests' reverse() and gettext() see the default language."""
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


def skip_reasons(reports) -> dict[str, int]:
    """How many skipped tests each reason covers, most first."""
    counts: dict[str, int] = {}
    for report in reports:
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr or "")
        reason = reason.removeprefix("Skipped: ").strip() or "no reason given"
        counts[reason] = counts.get(reason, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """One line at the very end, under pytest's own summary: how many tests were skipped,
    and why (a missing PostgreSQL, Redis or Chromium, typically), so that a green run on a
    bare machine says what it did not test. Nothing when none was skipped (and nothing on
    xdist's workers: their controller reports)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or hasattr(config, "workerinput"):
        return
    reports = [report for report in reporter.stats.get("skipped", []) if report.when in ("setup", "call")]
    if not reports:
        return
    reasons = "; ".join(f"{count} {reason}" for reason, count in skip_reasons(reports).items())
    reporter.write_line(f"{len(reports)} tests skipped: {reasons}", yellow=True)
