import pytest

from .factories import UserFactory
from .race_support import racers  # noqa: F401 - a fixture of the tests of races


@pytest.fixture
def sales_user(db):
    return UserFactory(username="sales-staff", groups=["Sales staff"])


@pytest.fixture
def manager_user(db):
    return UserFactory(username="sales-manager", groups=["Sales manager"])


@pytest.fixture
def sales_client(client, sales_user):
    client.force_login(sales_user)
    return client


@pytest.fixture
def manager_client(client, manager_user):
    client.force_login(manager_user)
    return client


@pytest.fixture
def tasks_in_process():
    """Celery tasks run in this process, as without a broker, even when CELERY_BROKER_URL
    points at Redis (the CI run): the test sees their effects when the call returns."""
    from crm.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved
