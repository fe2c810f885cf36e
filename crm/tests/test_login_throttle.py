"""Failed logins are throttled per username and per client address."""

import time

import pytest
from django.urls import reverse

from crm.contacts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
PASSWORD = "secret-pass-123"  # UserFactory's


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    settings.LOGIN_THROTTLE_IP_ATTEMPTS = 6
    settings.LOGIN_THROTTLE_SECONDS = 600


def attempt(client, username, password, *, url=LOGIN, address="10.0.0.1"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_the_login_page_is_the_throttled_one():
    assert reverse("login") == LOGIN


def test_after_the_allowed_failures_even_the_right_password_is_refused_with_429(client):
    UserFactory(username="olga")
    for _ in range(3):
        assert attempt(client, "olga", "wrong").status_code == 200

    refused = attempt(client, "olga", PASSWORD)

    assert refused.status_code == 429
    assert "Too many failed login attempts. Try again in 10 minutes" in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_blocked_attempt_does_not_check_the_password(client, monkeypatch):
    UserFactory(username="olga")
    for _ in range(3):
        attempt(client, "olga", "wrong")
    checked = []
    monkeypatch.setattr("django.contrib.auth.backends.ModelBackend.authenticate", lambda *a, **k: checked.append(1))

    assert attempt(client, "olga", PASSWORD).status_code == 429
    assert checked == []


def test_fewer_failures_than_the_limit_still_let_the_user_in_and_success_resets_the_count(client):
    UserFactory(username="olga")
    for _ in range(2):
        attempt(client, "olga", "wrong")
    assert attempt(client, "olga", PASSWORD).status_code == 302
    client.logout()
    for _ in range(2):  # counted from zero again
        attempt(client, "olga", "wrong")
    assert attempt(client, "olga", PASSWORD).status_code == 302


def test_the_username_is_counted_whatever_its_case_and_from_any_address(client):
    UserFactory(username="olga")
    for number, name in enumerate(["olga", "OLGA", " Olga"]):
        attempt(client, name, "wrong", address=f"10.0.0.{number}")
    assert attempt(client, "olga", PASSWORD, address="10.9.9.9").status_code == 429


def test_one_address_trying_many_usernames_is_throttled(client):
    UserFactory(username="olga")
    for number in range(6):
        attempt(client, f"guess{number}", "wrong", address="10.6.6.6")
    assert attempt(client, "olga", PASSWORD, address="10.6.6.6").status_code == 429
    # Others are not affected.
    assert attempt(client, "olga", PASSWORD, address="10.7.7.7").status_code == 302


class CacheClock:
    """The clock of the local-memory cache, which counts the attempts: the period passes
    when the test says so (a real one-second period could pass before the test looked)."""

    def __init__(self):
        self.now = time.time()

    def time(self) -> float:
        return self.now


def test_the_block_ends_after_the_period(client, monkeypatch):
    clock = CacheClock()
    monkeypatch.setattr("django.core.cache.backends.base.time", clock)
    monkeypatch.setattr("django.core.cache.backends.locmem.time", clock)
    UserFactory(username="olga")
    for _ in range(3):
        attempt(client, "olga", "wrong")
    clock.now += 599
    assert attempt(client, "olga", PASSWORD).status_code == 429
    clock.now += 1  # the 600 s period (_limits) has passed
    assert attempt(client, "olga", PASSWORD).status_code == 302


def test_the_admin_login_page_counts_and_refuses_too(client):
    UserFactory(username="ada", is_staff=True)
    for _ in range(3):
        assert attempt(client, "ada", "wrong", url=ADMIN_LOGIN).status_code == 200
    assert attempt(client, "ada", PASSWORD, url=ADMIN_LOGIN).status_code == 429
    assert attempt(client, "ada", PASSWORD).status_code == 429


def test_hostile_usernames_are_refused_without_a_server_error(client):
    for username in ["\x00", "a" * 10_000, "ñ\u202e<script>", ""]:
        assert attempt(client, username, "x").status_code in (200, 429)
