"""The runnable host: login, navigation, demo logins, languages. (The demo data and admin
pages of the interactions module: tests/test_demo_and_admin.py.)"""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from conftest import loaded_once
from crm.contacts.models import Contact, Salesperson
from crm.documents.models import Document

pytestmark = pytest.mark.django_db


def load_the_demo():
    call_command("load_demo", allow_known_passwords=True, stdout=io.StringIO())


@pytest.fixture
def demo(db):
    """The demo data for one test (the tests of load_demo itself)."""
    load_the_demo()


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_is_served(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_demo_logins_with_known_passwords_are_refused_when_debug_is_off(settings, db):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refusing"):
        call_command("load_demo", stdout=open("/dev/null", "w"))
    assert not Contact.objects.exists()
    call_command("load_demo", no_logins=True, stdout=open("/dev/null", "w"))
    assert Contact.objects.exists()
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="admin").exists()


def test_demo_data_is_idempotent(demo):
    counts = (Contact.objects.count(), Salesperson.objects.count(), Document.objects.count())
    call_command("load_demo", allow_known_passwords=True, stdout=open("/dev/null", "w"))
    assert (Contact.objects.count(), Salesperson.objects.count(), Document.objects.count()) == counts


@pytest.fixture(scope="class")
def shared_demo(request):
    """The demo data, loaded once for the tests that only read it (see `loaded_once`)."""
    yield from loaded_once(request, load_the_demo)


@pytest.mark.usefixtures("shared_demo")
class TestOnTheDemoData:
    def test_demo_salesperson_logs_in_and_sees_the_navigation(self, client):
        response = client.post(reverse("login"), {"username": "sales", "password": "demo-sales"}, follow=True)
        assert response.status_code == 200
        assert response.context["user"].username == "sales"
        page = response.content.decode()
        assert 'aria-label="Main navigation"' in page
        assert "Log out" in page
        assert "Administration" not in page  # sales staff do not reach the admin

    def test_demo_sales_user_cannot_open_the_admin(self, client):
        assert client.login(username="sales", password="demo-sales")
        response = client.get(reverse("admin:index"))
        assert response.status_code == 302

    def test_russian_pages_are_served_under_the_ru_prefix(self, client):
        assert client.login(username="sales", password="demo-sales")
        response = client.get("/ru/")
        assert response.status_code == 200
        assert "Выйти" in response.content.decode()

    def test_a_russian_browser_gets_russian_pages_at_plain_urls(self, client):
        assert client.login(username="sales", password="demo-sales")
        response = client.get("/?tab=1", HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9")
        assert response.status_code == 302
        assert response["Location"] == "/ru/?tab=1"
        assert "Выйти" in client.get(response["Location"]).content.decode()
        assert "Log out" in client.get("/").content.decode()
