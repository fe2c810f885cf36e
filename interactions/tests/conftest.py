import pytest

from .email_support import closed_port
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


@pytest.fixture
def broker_down():
    """The task queue cannot be reached: tasks go to a broker address where nothing listens
    (a closed port), not run in-process. Celery keeps its connection pools once made, so new
    ones are made for the new address, and the real ones are put back afterwards."""
    from crm.celery import app

    conf = app.conf
    saved = conf.task_always_eager, conf.broker_url, conf.broker_write_url, app.amqp._producer_pool, app._pool
    conf.task_always_eager = False
    conf.broker_url = conf.broker_write_url = f"redis://127.0.0.1:{closed_port()}/0"
    app.amqp._producer_pool = app._pool = None
    yield
    conf.task_always_eager, conf.broker_url, conf.broker_write_url, app.amqp._producer_pool, app._pool = saved


@pytest.fixture
def mail_people(db):
    """The set-up of the e-mail capture tests: the E-mails template, a salesperson at the
    internal domain ours.example with a login, two contacts at customer.example."""
    from interactions.models import MailCaptureSettings

    from .email_support import set_up_templates
    from .factories import PersonFactory, SalespersonFactory

    templates = set_up_templates()
    seller_user = UserFactory(username="seller", groups=["Sales staff"])
    seller = SalespersonFactory(code="ANNA", name="Anna Seller", email="anna@ours.example", user=seller_user)
    alice = PersonFactory(name="Alice Buyer", email="Alice@Customer.example")
    bob = PersonFactory(name="Bob Buyer", email="bob@customer.example")
    settings_row = MailCaptureSettings.load()
    settings_row.internal_domains = "ours.example"
    settings_row.save()
    return {"templates": templates, "seller": seller, "seller_user": seller_user, "alice": alice, "bob": bob}
