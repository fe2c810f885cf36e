"""The API's interaction log: the list filters as the log page does and pages with a cursor;
an entry with its comments and attachment; recording through the page's rules (template
defaults, language, correspondence type); cancel, restore, evaluate, comment; errors as
JSON, field by field."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from crm.contacts.models import CorrespondenceType
from interactions.models import InteractionComment, InteractionLogEntry

from .factories import (
    CompanyFactory,
    InteractionCommentFactory,
    InteractionGroupFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    InteractionTemplateLanguageFactory,
    PersonFactory,
    SalespersonFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
LOG = "/api/v1/log-entries/"


@pytest.fixture
def api(sales_user):
    client = Client()
    client.force_login(sales_user)
    return client


@pytest.fixture
def manager_api(manager_user):
    client = Client()
    client.force_login(manager_user)
    return client


def _post(client, url, data=None, **headers):
    return client.post(url, data or {}, content_type="application/json", **headers)


def test_the_list_filters_by_contact_as_the_log_page_and_pages_with_a_cursor(api):
    anna, boris = PersonFactory(name="Anna"), PersonFactory(name="Boris")
    day = datetime.date(2026, 3, 1)
    annas = [InteractionLogEntryFactory(contact=anna, date=day - datetime.timedelta(days=i % 3)) for i in range(7)]
    InteractionLogEntryFactory(contact=boris, date=day)
    seen, url = [], f"{LOG}?contact={anna.number.lower()}&page_size=3"
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["results"]) <= 3
        seen += [row["entry_no"] for row in body["results"]]
        url = body["next"]
    expected = [e.entry_no for e in sorted(annas, key=lambda e: (e.date, e.entry_no), reverse=True)]
    assert seen == expected


def test_the_list_refuses_a_bad_filter_with_the_field_named(api):
    response = api.get(f"{LOG}?date_from=yesterday")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "date_from" in response.json()["errors"]


def test_a_bad_cursor_and_a_page_size_above_the_cap_are_refused(api):
    assert api.get(f"{LOG}?cursor=nonsense").json()["errors"]["cursor"]
    assert api.get(f"{LOG}?page_size=100000").status_code == 400


def test_an_entry_is_read_with_its_comments_and_attachment_link(api):
    entry = InteractionLogEntryFactory(description="Call about the offer")
    InteractionCommentFactory(entry=entry, text="Call back on Monday")
    body = api.get(f"{LOG}{entry.entry_no}/").json()
    assert body["description"] == "Call about the offer"
    assert [c["text"] for c in body["comments"]] == ["Call back on Monday"]
    assert body["attachment"] is None


def test_recording_applies_the_template_defaults_language_and_correspondence_rules(api, sales_user):
    group = InteractionGroupFactory(code="LET")
    template = InteractionTemplateFactory(
        code="BUSL", group=group, description="Business letter", unit_cost=Decimal("2.50"), unit_duration=5,
        correspondence_type=CorrespondenceType.HARD_COPY, language_default="en",
    )  # fmt: skip
    InteractionTemplateLanguageFactory(template=template, language="en")
    InteractionTemplateLanguageFactory(template=template, language="ru")
    SalespersonFactory(code="OWN", user=sales_user)
    contact = PersonFactory(
        language="ru", correspondence_type=CorrespondenceType.EMAIL, email="anna@example.com",
        company=CompanyFactory(),
    )  # fmt: skip
    response = _post(api, LOG, {"contact": contact.number, "template": "busl"})
    assert response.status_code == 201, response.content
    entry = InteractionLogEntry.objects.get()
    assert response.json()["entry_no"] == entry.entry_no
    assert response["Location"].endswith(f"{LOG}{entry.entry_no}/")
    assert (entry.description, entry.cost, entry.duration) == ("Business letter", Decimal("2.50"), 5)
    assert entry.language == "ru"  # the contact's, the template has a row for it
    assert entry.correspondence_type == CorrespondenceType.EMAIL  # the contact's
    assert entry.contact_via == "anna@example.com"
    assert entry.salesperson.code == "OWN" and entry.group == group and entry.user == sales_user


def test_recording_keeps_what_the_body_gives(api):
    template = InteractionTemplateFactory(code="CALL", description="Call", unit_cost=Decimal("1"))
    contact = PersonFactory(salesperson=SalespersonFactory(code="SP1"))
    response = _post(
        api, LOG,
        {"contact": contact.number, "template": template.code, "description": "Asked for a quote", "cost": "0",
         "date": "2026-02-03", "comment": "Send it by Friday"},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    entry = InteractionLogEntry.objects.get()
    assert (entry.description, entry.cost, entry.date) == ("Asked for a quote", Decimal("0"), datetime.date(2026, 2, 3))
    assert entry.salesperson.code == "SP1"  # the contact's: the user has none
    assert InteractionComment.objects.get(entry=entry).text == "Send it by Friday"


def test_recording_refuses_unknown_codes_and_bad_values_field_by_field_and_writes_nothing(api):
    response = _post(api, LOG, {"contact": "CT999999", "template": "NOPE", "cost": "-1", "date": "31.02.2026"})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {"cost", "date"} <= errors.keys()
    response = _post(api, LOG, {"contact": "CT999999", "template": "NOPE"})
    assert {"contact", "template"} <= response.json()["errors"].keys()
    assert not InteractionLogEntry.objects.exists()


def test_malformed_json_is_a_400_in_json(api):
    response = api.post(LOG, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_sales_staff_may_not_cancel_and_managers_cancel_and_restore(api, manager_api):
    entry = InteractionLogEntryFactory()
    assert _post(api, f"{LOG}{entry.entry_no}/cancel/").status_code == 403
    response = _post(manager_api, f"{LOG}{entry.entry_no}/cancel/")
    assert response.status_code == 200 and response.json()["changed"] == [entry.entry_no]
    entry.refresh_from_db()
    assert entry.canceled
    assert _post(manager_api, f"{LOG}{entry.entry_no}/restore/").json()["changed"] == [entry.entry_no]
    entry.refresh_from_db()
    assert not entry.canceled


def test_evaluate_and_comment(api, sales_user):
    entry = InteractionLogEntryFactory()
    response = _post(api, f"{LOG}{entry.entry_no}/evaluate/", {"evaluation": "positive"})
    assert response.status_code == 200 and response.json()["evaluation"] == "positive"
    response = _post(api, f"{LOG}{entry.entry_no}/comments/", {"text": "Nice talk"})
    assert response.status_code == 201
    assert InteractionComment.objects.get(entry=entry).author == sales_user
    assert _post(api, f"{LOG}{entry.entry_no}/comments/", {"text": "  "}).status_code == 400


def test_unknown_entries_and_addresses_answer_json_404(api):
    assert api.get(f"{LOG}999999/").json()["code"] == "not_found"
    response = api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"


def test_a_user_without_the_permission_gets_403_and_anonymous_401():
    user = UserFactory(username="nobody")
    client = Client()
    assert client.get(LOG).status_code == 401
    client.force_login(user)
    assert client.get(LOG).status_code == 403


def test_a_server_error_under_the_api_answers_json_not_a_page(sales_user, monkeypatch):
    from interactions.api.views.log import LogEntryViewSet

    def broken(self, request):
        raise RuntimeError("a bug")

    monkeypatch.setattr(LogEntryViewSet, "list", broken)
    client = Client(raise_request_exception=False)
    client.force_login(sales_user)
    response = client.get(LOG)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json" and response.json()["code"] == "server_error"


def test_a_browser_session_must_send_the_csrf_token_to_write(sales_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(sales_user)
    entry = InteractionLogEntryFactory()
    response = _post(client, f"{LOG}{entry.entry_no}/comments/", {"text": "Forged"})
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert not InteractionComment.objects.exists()
    assert client.get(LOG).status_code == 200  # reading needs no token
