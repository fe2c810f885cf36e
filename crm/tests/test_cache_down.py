"""A shared cache that does not answer (CACHE_URL's Redis stopped) is an optimisation lost,
never an error: logins (their throttle counts in the cache), the API (its throttle and its
kept permissions) and changes of permissions go on, read from the database; the failure is
logged. A real Redis client against a port where nothing listens, as when Redis is down."""

import logging

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import caches
from django.test import Client, override_settings

from crm.api.tokens import create_token
from crm.contacts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-123"  # UserFactory's
DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        # Port 9 (discard): nothing listens on loopback, the connection is refused at once.
        "LOCATION": "redis://127.0.0.1:9/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


@pytest.fixture
def dead_cache():
    with override_settings(CACHES=DEAD_REDIS, API_PERMISSION_CACHE_SECONDS=30):
        with pytest.raises(Exception):  # noqa: B017 - whatever the client raises: the cache is really down
            caches["default"].get("probe")
        yield


def test_a_user_logs_in_and_a_failed_login_is_refused_normally(dead_cache, caplog):
    user = UserFactory(username="sam", groups=["Sales staff"])
    client = Client()
    with caplog.at_level(logging.WARNING):
        wrong = client.post("/accounts/login/", {"username": "sam", "password": "wrong"})
        assert wrong.status_code == 200 and "password" in wrong.content.decode().lower()
        right = client.post("/accounts/login/", {"username": "sam", "password": PASSWORD})
    assert right.status_code == 302
    assert client.get("/").wsgi_request.user == user
    assert "cache" in caplog.text.lower()


def test_the_api_answers_with_the_users_permissions(dead_cache):
    user = UserFactory(username="sam", groups=["Sales staff"])
    secret = create_token(user=user, name="Web shop").secret
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    response = client.get("/api/v1/me/")
    assert response.status_code == 200
    assert "contacts.view_contact" in response.json()["permissions"]


def test_a_change_of_a_groups_permissions_is_saved_and_applies_at_once(dead_cache):
    user = UserFactory(username="sam", groups=["Sales staff"])
    secret = create_token(user=user, name="Web shop").secret
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    permission = Permission.objects.get(content_type__app_label="contacts", codename="view_salesperson")
    group = Group.objects.get(name="Sales staff")
    group.permissions.remove(permission)  # the receiver moves the generation: must not raise
    assert "contacts.view_salesperson" not in client.get("/api/v1/me/").json()["permissions"]
    group.permissions.add(permission)
    assert "contacts.view_salesperson" in client.get("/api/v1/me/").json()["permissions"]
