"""A quiet first run: the demo logins on the login page while DEBUG is on (never in
production), and an icon for every page, the admin's included (no 404 in the console)."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from crm.demo import DEMO_LOGINS

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_users():
    for name, *_rest in DEMO_LOGINS:
        get_user_model().objects.create_user(username=name, password="x")


def test_the_login_page_shows_the_demo_logins_while_debug_is_on(settings, demo_users):
    settings.DEBUG = True
    page = Client().get("/accounts/login/").content.decode()
    assert "Demo logins" in page
    for name, password, *_rest in DEMO_LOGINS:
        assert f"<code>{name}</code>" in page and f"<code>{password}</code>" in page
    assert "Sales manager" in page


def test_the_login_page_shows_no_demo_logins_in_production(settings, demo_users):
    settings.DEBUG = False
    page = Client().get("/accounts/login/").content.decode()
    assert "Demo logins" not in page and "demo-sales" not in page


def test_the_login_page_lists_only_demo_logins_that_exist(settings):
    settings.DEBUG = True
    get_user_model().objects.create_user(username="sales", password="x")
    page = Client().get("/accounts/login/").content.decode()
    assert "demo-sales" in page and "demo-admin" not in page


def test_every_page_links_the_icon_and_favicon_ico_leads_to_it():
    page = Client().get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/static/crm/favicon.svg"' in page
    response = Client().get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/crm/favicon.svg"
