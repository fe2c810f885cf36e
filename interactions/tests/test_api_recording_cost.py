"""What recording an interaction over the API costs, and what its answer says: a fixed
number of queries per create with a personal token (the permissions kept per token for a
short time), a permission taken away or a token revoked refused at once all the same, and
an answer that sums the entry up (the whole entry at its address)."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from crm.api.tokens import create_token, revoke_token
from crm.contacts.models import CorrespondenceType
from interactions.api.serializers import LogEntryCreatedSerializer
from interactions.models import InteractionLogEntry
from interactions.services import summaries

from .factories import InteractionTemplateFactory, PersonFactory, SalespersonFactory

pytestmark = pytest.mark.django_db
LOG = "/api/v1/log-entries/"
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")

# The queries of one create with a token: the token with its user and the user's
# salesperson; the contact (with its company and salesperson); the template (with its group,
# campaign and language rows) only on the first create of a process (kept since,
# selectors/template_cache.py); in the transaction, the template's lock and the entry's INSERT;
# the summary tables' upsert; after the commit, the webhook subscriptions. No query for the user's permissions (kept
# per token) and none for the answer (made from the rows the recording used).
CREATE_QUERY_BUDGET = 5


def _statements(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if not q["sql"].upper().startswith(TRANSACTION_CONTROL)]


@pytest.fixture
def world(sales_user):
    template = InteractionTemplateFactory(
        code="CALL", description="Phone call", correspondence_type=CorrespondenceType.BLANK
    )
    contact = PersonFactory(email="anna@example.com", salesperson=SalespersonFactory(code="SP1"))
    token = create_token(user=sales_user, name="shop")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token.secret}")
    return {"template": template, "contact": contact, "token": token, "client": client, "user": sales_user}


def _create(world, **body):
    return world["client"].post(
        LOG,
        {"contact": world["contact"].number, "template": world["template"].code, **body},
        content_type="application/json",
    )


def test_a_create_over_the_api_stays_within_its_query_budget(world):
    assert _create(world, subject="First").status_code == 201  # the permissions are read and kept here
    for subject in ("Second", "Third"):
        with CaptureQueriesContext(connection) as captured:
            response = _create(world, subject=subject)
        assert response.status_code == 201, response.content
        statements = _statements(captured)
        budget = CREATE_QUERY_BUDGET + summaries.statements_per_change()
        assert len(statements) <= budget, "\n".join(statements)
        assert not any("auth_permission" in sql for sql in statements), "the permissions were read again"
        assert not any('FROM "contacts_salesperson"' in sql for sql in statements), "the user's salesperson read apart"
    assert InteractionLogEntry.objects.count() == 3


def test_a_permission_taken_away_is_refused_at_once_despite_the_kept_permissions(world):
    assert _create(world).status_code == 201
    world["user"].groups.clear()
    response = _create(world)
    assert response.status_code == 403
    assert InteractionLogEntry.objects.count() == 1


def test_a_group_losing_a_permission_is_refused_at_once(world):
    assert _create(world).status_code == 201
    Group.objects.get(name="Sales staff").permissions.remove(
        Permission.objects.get(content_type__app_label="interactions", codename="add_interactionlogentry")
    )
    assert _create(world).status_code == 403
    assert InteractionLogEntry.objects.count() == 1


def test_a_permission_given_applies_at_once(world, manager_user):
    token = create_token(user=manager_user, name="warehouse")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token.secret}")
    manager_user.groups.clear()
    assert client.get(LOG).status_code == 403  # kept: no permission
    manager_user.groups.add(Group.objects.get(name="Sales manager"))
    assert client.get(LOG).status_code == 200


def test_a_revoked_token_is_refused_at_once_though_its_permissions_are_kept(world):
    assert _create(world).status_code == 201
    revoke_token(token=world["token"].token, user=world["user"])
    response = _create(world)
    assert response.status_code == 401
    assert response.json()["detail"] == "The token has been revoked."
    assert InteractionLogEntry.objects.count() == 1


def test_an_inactive_user_is_refused_at_once(world):
    assert _create(world).status_code == 201
    world["user"].is_active = False
    world["user"].save(update_fields=["is_active"])
    assert _create(world).status_code == 401
    assert InteractionLogEntry.objects.count() == 1


def test_the_answer_sums_up_the_entry_with_the_defaults_and_its_address(world):
    response = _create(world, subject="Asked for a quote", time="14:30")
    assert response.status_code == 201
    body = response.json()
    entry = InteractionLogEntry.objects.get()
    assert set(body) == set(LogEntryCreatedSerializer().fields)  # the schema says what the answer holds
    assert body["entry_no"] == entry.entry_no
    assert body["url"] == response["Location"] and body["url"].endswith(f"{LOG}{entry.entry_no}/")
    assert (body["description"], body["subject"]) == ("Phone call", "Asked for a quote")  # the template's default
    assert (body["contact"], body["template"], body["salesperson"]) == (world["contact"].number, "CALL", "SP1")
    assert body["date"] == entry.date.isoformat() and body["time"] == "14:30:00"
    assert body["cost"] == f"{entry.cost:.2f}" and body["postponed"] is False
    whole = world["client"].get(body["url"]).json()
    assert {name: whole[name] for name in body} == body  # the same values as the entry read whole
