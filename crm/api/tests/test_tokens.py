"""Personal API tokens, over real HTTP against a live server: created on the profile page and
shown once, stored only as a hash, accepted as a Bearer token with the user's permissions;
revoked or expired ones refused; another user's token out of reach except for
administrators; throttled per token; request bodies capped. Errors are JSON."""

import datetime
import hashlib

import pytest
import requests
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from crm.api import tokens
from crm.api.models import ApiToken
from crm.contacts.tests.factories import UserFactory

ME = "/api/v1/me/"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()  # the throttles count in the cache
    yield
    cache.clear()


def _get(live_server, path, token=None, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(f"{live_server.url}{path}", headers=headers, timeout=30, **kwargs)


@pytest.fixture
def sales(transactional_db):
    return UserFactory(username="sam", groups=["Sales staff"])


def test_a_token_made_on_the_profile_page_is_shown_once_and_stored_as_a_hash(live_server, sales):
    client = Client()
    client.force_login(sales)
    page = client.post("/accounts/tokens/", {"name": "Web shop", "expires_on": ""})
    assert page.status_code == 200
    secret = page.context["created"].secret
    assert secret.startswith("crm_") and secret in page.content.decode()
    stored = ApiToken.objects.get(user=sales)
    assert stored.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert all(secret not in str(getattr(stored, f.attname)) for f in ApiToken._meta.fields)
    assert secret not in client.get("/accounts/tokens/").content.decode()  # never again

    response = _get(live_server, ME, secret)
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "sam" and body["token"] == "Web shop"
    assert (
        "interactions.add_interactionlogentry" in body["permissions"] or "contacts.view_contact" in body["permissions"]
    )
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_revoked_expired_and_unknown_tokens_are_refused_with_401_json(live_server, sales):
    revoked = tokens.create_token(user=sales, name="Old")
    tokens.revoke_token(token=revoked.token, user=sales)
    expiring = tokens.create_token(user=sales, name="Short", expires_at=timezone.now() + datetime.timedelta(hours=1))
    ApiToken.objects.filter(pk=expiring.token.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    for secret, words in [
        (revoked.secret, "revoked"),
        (expiring.secret, "expired"),
        (revoked.secret[:-3] + "xyz", "not valid"),
        ("crm_nope", "not valid"),
    ]:
        response = _get(live_server, ME, secret)
        assert response.status_code == 401, secret
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert words in response.json()["detail"]
    assert _get(live_server, ME).status_code == 401  # no token, no session


def test_an_inactive_users_token_is_refused(live_server, sales):
    created = tokens.create_token(user=sales, name="Shop")
    sales.is_active = False
    sales.save()
    assert _get(live_server, ME, created.secret).status_code == 401


def test_users_revoke_their_own_tokens_only_and_administrators_anyones(transactional_db):
    owner = UserFactory(username="owner", groups=["Sales staff"])
    other = UserFactory(username="other", groups=["Sales staff"])
    admin = UserFactory(username="boss", groups=["Administrator"])
    created = tokens.create_token(user=owner, name="Phone system")
    client = Client()
    client.force_login(other)
    assert client.post(f"/accounts/tokens/{created.token.pk}/revoke/").status_code == 404
    assert client.get("/accounts/tokens/all/").status_code == 403
    assert "Phone system" not in client.get("/accounts/tokens/").content.decode()
    client.force_login(admin)
    assert "Phone system" in client.get("/accounts/tokens/all/").content.decode()
    assert client.post(f"/accounts/tokens/{created.token.pk}/revoke/", {"next": "all"}).status_code == 302
    created.token.refresh_from_db()
    assert created.token.is_revoked and created.token.revoked_by == admin


def test_the_owner_revokes_on_the_profile_page(transactional_db):
    owner = UserFactory(username="owner", groups=["Sales staff"])
    created = tokens.create_token(user=owner, name="Shop")
    client = Client()
    client.force_login(owner)
    client.post(f"/accounts/tokens/{created.token.pk}/revoke/")
    created.token.refresh_from_db()
    assert created.token.is_revoked


def test_a_token_needs_a_name_and_a_future_expiry(transactional_db):
    owner = UserFactory(username="owner")
    client = Client()
    client.force_login(owner)
    page = client.post("/accounts/tokens/", {"name": "Shop", "expires_on": "2000-01-01"})
    assert page.context["form"].errors["expires_on"]
    assert not ApiToken.objects.exists()


def test_each_token_has_its_own_request_budget(live_server, sales, settings):
    settings.API_THROTTLE_RATE = "3/minute"
    first = tokens.create_token(user=sales, name="One").secret
    second = tokens.create_token(user=sales, name="Two").secret
    assert [_get(live_server, ME, first).status_code for _ in range(3)] == [200, 200, 200]
    refused = _get(live_server, ME, first)
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert "Retry-After" in refused.headers
    assert _get(live_server, ME, second).status_code == 200


def test_a_body_above_the_cap_is_refused_unread_with_413(live_server, sales, settings):
    settings.API_MAX_BODY_SIZE = 1000
    secret = tokens.create_token(user=sales, name="One").secret
    response = requests.post(
        f"{live_server.url}{ME}",
        data=b"{" + b" " * 5000 + b"}",
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413 and response.json()["code"] == "body_too_large"


def test_the_schema_and_its_pages_need_a_login(live_server, sales):
    secret = tokens.create_token(user=sales, name="One").secret
    assert _get(live_server, "/api/schema/").status_code == 401
    schema = _get(live_server, "/api/schema/", secret)
    assert schema.status_code == 200 and "openapi: 3.1" in schema.text
    docs = _get(live_server, "/api/docs/", allow_redirects=False)
    assert docs.status_code == 302 and "/accounts/login/" in docs.headers["Location"]
    client = Client()
    client.force_login(sales)
    page = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in page and "cdn" not in page.lower()
    assert "redoc" in client.get("/api/redoc/").content.decode().lower()
