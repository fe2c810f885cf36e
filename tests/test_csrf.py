"""Every endpoint that accepts POST refuses one without the CSRF token, and writes nothing."""

import pytest
from django.apps import apps

from .security_support import build_world, client_of
from .test_url_permissions import TABLE

pytestmark = pytest.mark.django_db

# Endpoints that take a POST without the CSRF token on purpose, and why.
CSRF_EXEMPT = {
    # RFC 8058 one-click unsubscribe: the recipient's mail program posts, with no session and no
    # token; the signed link in the URL is the proof (a link that is not one answers 404).
    "interactions:unsubscribe",
}
POST_ROUTES = sorted(name for name, route in TABLE.items() if route.post is not None and name not in CSRF_EXEMPT)


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in ("auth", "contacts", "documents", "interactions")
    }


def states(world) -> dict[str, object]:
    """What a refused post could otherwise change in place."""
    world.document.refresh_from_db()
    return {
        "entries": sorted(
            apps.get_model("interactions", "InteractionLogEntry").objects.values_list(
                "entry_no", "canceled", "evaluation", "postponed"
            )
        ),
        "logged_segments": sorted(
            apps.get_model("interactions", "LoggedSegment").objects.values_list("pk", "canceled")
        ),
        "document_printed": world.document.no_printed,
    }


def test_the_table_lists_the_post_endpoints():
    assert "interactions:purge" in POST_ROUTES and "interactions:log-actions" in POST_ROUTES
    assert len(POST_ROUTES) >= 30


@pytest.mark.parametrize("name", POST_ROUTES)
def test_a_post_without_the_csrf_token_is_refused_and_writes_nothing(name, tasks_in_process):
    world = build_world()
    # The administrator may post to every one of them: a refusal can only be the token's.
    client = client_of("admin", enforce_csrf_checks=True)
    before, state_before = row_counts(), states(world)
    data = {"confirmed": "1", "action": "cancel", "entry": [world.entry.entry_no], "canceled": "1"}

    response = client.post(TABLE[name].url(world), data)

    assert response.status_code == 403, response.content[:300]
    assert b"CSRF" in response.content
    assert row_counts() == before
    assert states(world) == state_before


def test_the_same_post_with_the_token_goes_through(tasks_in_process):
    """The counterpart: the refusal above is the token's, not the data's."""
    world = build_world()
    client = client_of("admin", enforce_csrf_checks=True)
    client.get(TABLE["interactions:log"].url(world))
    token = client.cookies["csrftoken"].value
    response = client.post(
        TABLE["interactions:log-actions"].url(world),
        {"csrfmiddlewaretoken": token, "confirmed": "1", "action": "cancel", "entry": [world.entry.entry_no]},
    )
    assert response.status_code == 302
    world.entry.refresh_from_db()
    assert world.entry.canceled
