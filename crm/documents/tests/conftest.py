import pytest

from crm.contacts.tests.factories import UserFactory
from crm.documents import signals


@pytest.fixture
def nobody_listens(monkeypatch):
    """The documents app on its own: no module receives its signals (as in a project
    without the interactions module)."""
    for signal in (signals.document_printed, signals.print_logging_availability):
        monkeypatch.setattr(signal, "receivers", [])
        monkeypatch.setattr(signal, "sender_receivers_cache", {})


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
