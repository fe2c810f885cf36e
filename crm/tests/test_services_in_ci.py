"""Proof of where the tests ran: on CI (REQUIRE_SERVICES=1) the database is PostgreSQL and
the broker Redis; a missing service fails the run instead of skipping tests."""

import os

import pytest
from django.db import connection

from conftest import REQUIRE_SERVICES, redis_reachable


@pytest.mark.django_db
def test_tests_run_on_postgresql_when_services_are_required():
    if not REQUIRE_SERVICES:
        pytest.skip("REQUIRE_SERVICES is not set: the suite runs on SQLite")
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        assert "PostgreSQL" in cursor.fetchone()[0]


def test_tasks_go_to_the_redis_broker_when_services_are_required(settings):
    if not REQUIRE_SERVICES:
        pytest.skip("REQUIRE_SERVICES is not set: tasks run in-process")
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    assert redis_reachable()


def test_without_a_broker_tasks_run_in_process():
    if os.environ.get("CELERY_BROKER_URL"):
        pytest.skip("a broker is configured")
    from django.conf import settings

    assert settings.CELERY_TASK_ALWAYS_EAGER is True
