import pytest

from .factories import UserFactory


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
