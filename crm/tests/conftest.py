import pytest


@pytest.fixture
def tasks_in_process():
    """Celery tasks run in this process, as without a broker, even when CELERY_BROKER_URL
    points at Redis (the CI run)."""
    from crm.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


@pytest.fixture(autouse=True)
def _empty_cache():
    """The login throttle counts in the cache, which tests share (local memory)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
