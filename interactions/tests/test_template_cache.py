"""The API's create keeps the templates it read by code (selectors/template_cache.py): an
API client recording thousands of interactions does not read the same template thousands of
times, and a change of the set-up applies at once all the same."""

import decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from crm.api.tokens import create_token
from crm.contacts.models import CorrespondenceType
from interactions.models import InteractionLogEntry, InteractionTemplateLanguage
from interactions.selectors import template_cache

from .factories import InteractionTemplateFactory, PersonFactory

pytestmark = pytest.mark.django_db
LOG = "/api/v1/log-entries/"


@pytest.fixture
def world(sales_user):
    template = InteractionTemplateFactory(
        code="CALL", description="Phone call", unit_cost=decimal.Decimal("1.50"),
        correspondence_type=CorrespondenceType.BLANK,
    )  # fmt: skip
    contact = PersonFactory(email="anna@example.com")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {create_token(user=sales_user, name='shop').secret}")
    return {"template": template, "contact": contact, "client": client}


def _create(world, code="call"):
    response = world["client"].post(
        LOG, {"contact": world["contact"].number, "template": code}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return InteractionLogEntry.objects.get(entry_no=response.json()["entry_no"])


def _template_reads(captured) -> list[str]:
    return [
        query["sql"]
        for query in captured.captured_queries
        if '"interactions_interactiontemplate"."code"' in query["sql"]
        or 'FROM "interactions_interactiontemplatelanguage"' in query["sql"]
    ]


def test_the_template_is_read_once_for_many_creates_whatever_the_case_of_its_code(world):
    _create(world, "call")
    for code in ("CALL", " Call "):
        with CaptureQueriesContext(connection) as captured:
            _create(world, code)
        assert _template_reads(captured) == []


def test_a_changed_template_applies_to_the_next_create_at_once(world):
    assert _create(world).cost == decimal.Decimal("1.50")
    template = world["template"]
    template.unit_cost = decimal.Decimal("2.75")
    template.description = "Phone call, new"
    template.save()
    entry = _create(world)
    assert (entry.cost, entry.description) == (decimal.Decimal("2.75"), "Phone call, new")


def test_a_new_language_row_applies_to_the_next_create_at_once(world):
    world["contact"].language = "ru"
    world["contact"].save()
    assert _create(world).language == ""
    InteractionTemplateLanguage.objects.create(template=world["template"], language="ru", description="Звонок")
    assert _create(world).language == "ru"


def test_with_no_seconds_the_template_is_read_on_every_create(world, settings):
    settings.INTERACTIONS_TEMPLATE_CACHE_SECONDS = 0
    _create(world)
    with CaptureQueriesContext(connection) as captured:
        _create(world)
    assert _template_reads(captured)


def test_a_kept_template_expires_after_its_seconds_even_without_a_signal(world, settings, monkeypatch):
    # Another process changed the template and the cache is not shared: the copy lasts its seconds.
    _create(world)
    InteractionTemplateFactory._meta.model.objects.filter(pk=world["template"].pk).update(
        unit_cost=decimal.Decimal("9.00")
    )
    assert _create(world).cost == decimal.Decimal("1.50")
    clock = template_cache.time.monotonic() + 31
    monkeypatch.setattr(template_cache.time, "monotonic", lambda: clock)
    assert _create(world).cost == decimal.Decimal("9.00")


def test_a_cache_that_does_not_answer_never_fails_a_create_or_a_change_of_a_template(world, monkeypatch):
    class Down:
        def __getattr__(self, name):
            def down(*_args, **_kwargs):
                raise ConnectionError("the cache is down")

            return down

    monkeypatch.setattr(template_cache, "cache", Down())
    assert _create(world).cost == decimal.Decimal("1.50")
    world["template"].unit_cost = decimal.Decimal("3.00")
    world["template"].save()  # the receiver does not raise
    assert _create(world).cost == decimal.Decimal("3.00")
