"""schemathesis against the live OpenAPI schema, over real HTTP (a live server, an
administrator's personal token, so that every operation is allowed and reached): whatever
it generates, valid data and invalid (its positive and negative modes), the API never
answers a server error, every response matches the schema (body and content type), and a
refused request (4xx) writes nothing.

Its example count per operation is a profile, like hypothesis': a few locally, more in CI
(CI set, or REQUIRE_SERVICES=1); SCHEMATHESIS_EXAMPLES chooses explicitly."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from conftest import REQUIRE_SERVICES
from crm.api import tokens

from .security_support import build_world, user_of

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES") or (25 if os.environ.get("CI") or REQUIRE_SERVICES else 8))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _state() -> tuple:
    """What a refused request must not change: the rows that the API writes."""
    from crm.api.models import IdempotencyRecord
    from crm.documents.models import Document, DocumentVersion
    from interactions.models import (
        InteractionComment,
        InteractionLogEntry,
        LoggedSegment,
        Segment,
        SegmentCriteriaStep,
        SegmentLine,
    )

    return (
        sorted(InteractionLogEntry.objects.values_list("entry_no", "canceled", "evaluation", "postponed", "subject")),
        InteractionComment.objects.count(),
        sorted(Segment.objects.values_list("number", "description")),
        SegmentLine.objects.count(),
        SegmentCriteriaStep.objects.count(),
        sorted(LoggedSegment.objects.values_list("pk", "canceled")),
        sorted(Document.objects.values_list("pk", "no_printed")),
        DocumentVersion.objects.count(),
        IdempotencyRecord.objects.count(),
    )


@pytest.fixture
def api_token(live_server, transactional_db, tasks_in_process, settings):
    settings.API_THROTTLE_RATE = "100000/minute"
    build_world()
    return tokens.create_token(user=user_of("admin"), name="schemathesis").secret


def test_the_api_answers_every_generated_request_as_its_schema_says(live_server, api_token):
    # schemathesis' own pytest integration does not run under pytest 9 (it reads a removed
    # attribute of the test item): each operation's hypothesis strategy is run here instead.
    headers = {"Authorization": f"Bearer {api_token}"}
    api_schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/", headers=headers)
    failures, operations = [], 0
    cases = [
        (result.ok(), mode)
        for result in api_schema.get_all_operations()
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
    ]
    for operation, mode in cases:
        operations += mode == schemathesis.GenerationMode.POSITIVE

        @given(case=operation.as_strategy(mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            before = _state()
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            if 400 <= response.status_code < 500:
                assert _state() == before, f"refused ({response.status_code}) but wrote"

        try:
            run()
        except Exception as failure:  # noqa: BLE001 - every operation's failure is reported
            failures.append(f"{operation.method.upper()} {operation.path} ({mode.value} data): {failure}")
    assert operations > 30
    assert not failures, "\n\n".join(failures)
