"""Safe retries over real HTTP (a live server, a personal token): a creating POST sent again
with the same Idempotency-Key and body answers the first response and creates nothing; with
another body it is refused; a refused request keeps nothing; keys are per user; requests
racing with one key create one entry."""

import threading
import uuid

import pytest
import requests

from conftest import database_vendor, need
from crm.api import tokens
from crm.api.models import IdempotencyRecord
from interactions.models import InteractionComment, InteractionLogEntry

from .factories import InteractionLogEntryFactory, InteractionTemplateFactory, PersonFactory, UserFactory

LOG = "/api/v1/log-entries/"


@pytest.fixture
def world(transactional_db):
    user = UserFactory(username="shop", groups=["Sales staff"])
    other = UserFactory(username="phone", groups=["Sales staff"])
    return {
        "token": tokens.create_token(user=user, name="Web shop").secret,
        "other_token": tokens.create_token(user=other, name="Phones").secret,
        "contact": PersonFactory(),
        "template": InteractionTemplateFactory(code="WEB", description="Web order"),
    }


def _post(live_server, path, body, token, key=None):
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return requests.post(f"{live_server.url}{path}", json=body, headers=headers, timeout=60)


def test_the_same_key_and_body_answer_the_first_response_and_create_nothing(live_server, world):
    body = {"contact": world["contact"].number, "template": "WEB", "subject": "Order 1001"}
    key = str(uuid.uuid4())
    first = _post(live_server, LOG, body, world["token"], key)
    again = _post(live_server, LOG, body, world["token"], key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert again.headers["Location"] == first.headers["Location"]
    assert InteractionLogEntry.objects.count() == 1


def test_the_same_key_with_another_body_is_refused_and_creates_nothing(live_server, world):
    key = str(uuid.uuid4())
    body = {"contact": world["contact"].number, "template": "WEB", "subject": "Order 1001"}
    assert _post(live_server, LOG, body, world["token"], key).status_code == 201
    refused = _post(live_server, LOG, {**body, "subject": "Order 1002"}, world["token"], key)
    assert refused.status_code == 422 and refused.json()["code"] == "idempotency_key_reused"
    assert list(InteractionLogEntry.objects.values_list("subject", flat=True)) == ["Order 1001"]


def test_without_a_key_every_request_creates(live_server, world):
    body = {"contact": world["contact"].number, "template": "WEB"}
    assert _post(live_server, LOG, body, world["token"]).status_code == 201
    assert _post(live_server, LOG, body, world["token"]).status_code == 201
    assert InteractionLogEntry.objects.count() == 2


def test_a_refused_request_keeps_nothing_and_may_be_retried_with_its_key(live_server, world):
    key = "order-1001"
    refused = _post(live_server, LOG, {"contact": "CT999999", "template": "WEB"}, world["token"], key)
    assert refused.status_code == 400
    assert not IdempotencyRecord.objects.exists()
    accepted = _post(live_server, LOG, {"contact": world["contact"].number, "template": "WEB"}, world["token"], key)
    assert accepted.status_code == 201
    assert InteractionLogEntry.objects.count() == 1


def test_keys_belong_to_their_user(live_server, world):
    body = {"contact": world["contact"].number, "template": "WEB"}
    assert _post(live_server, LOG, body, world["token"], "same-key").status_code == 201
    second = _post(live_server, LOG, body, world["other_token"], "same-key")
    assert second.status_code == 201 and "Idempotent-Replayed" not in second.headers
    assert InteractionLogEntry.objects.count() == 2


def test_a_comment_is_added_once_for_one_key(live_server, world):
    entry = InteractionLogEntryFactory()
    path = f"{LOG}{entry.entry_no}/comments/"
    for _ in range(3):
        assert _post(live_server, path, {"text": "Paid"}, world["token"], "comment-1").status_code == 201
    assert InteractionComment.objects.filter(entry=entry).count() == 1


def test_a_key_longer_than_255_characters_is_refused(live_server, world):
    body = {"contact": world["contact"].number, "template": "WEB"}
    response = _post(live_server, LOG, body, world["token"], "k" * 256)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["errors"]
    assert not InteractionLogEntry.objects.exists()


def test_requests_racing_with_one_key_create_one_entry(live_server, world):
    need("PostgreSQL", database_vendor() == "postgresql")
    body = {"contact": world["contact"].number, "template": "WEB", "subject": "Race"}
    statuses, start = [], threading.Barrier(4)

    def send():
        start.wait(timeout=60)
        statuses.append(_post(live_server, LOG, body, world["token"], "race-key").status_code)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == [201] * 4
    assert InteractionLogEntry.objects.filter(subject="Race").count() == 1
