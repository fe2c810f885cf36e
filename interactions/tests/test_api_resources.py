"""The API's other resources, each through the page's service: contacts with their timeline
and statistics, groups, templates and the template setup, postponed interactions, segments
and logged segments, documents printed with logging, the purge."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from crm.documents.tests.factories import CustomerFactory, DocumentFactory
from crm.documents.types import DocumentKind, DocumentType
from interactions.models import InteractionLogEntry, InteractionTemplateSetup, LoggedSegment, Segment, SegmentLine

from .factories import (
    CompanyFactory,
    InteractionGroupFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    PersonFactory,
    SalespersonFactory,
    SegmentFactory,
    SegmentLineFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


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


def _post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def test_contacts_are_listed_searched_and_read_by_number(api):
    anna = PersonFactory(name="Anna Petrova", email="anna@example.com")
    PersonFactory(name="Boris")
    found = api.get("/api/v1/contacts/?q=petrova").json()["results"]
    assert [c["number"] for c in found] == [anna.number]
    assert api.get(f"/api/v1/contacts/{anna.number.lower()}/").json()["email"] == "anna@example.com"
    assert api.get("/api/v1/contacts/CT999999/").status_code == 404


def test_a_contacts_timeline_and_statistics_as_its_card_shows_them(api):
    company = CompanyFactory()
    person = PersonFactory(company=company)
    InteractionLogEntryFactory(contact=person, date=datetime.date(2026, 1, 5), cost=Decimal("2.00"), duration=3)
    InteractionLogEntryFactory(contact=person, date=datetime.date(2026, 2, 5), cost=Decimal("1.00"), duration=4)
    InteractionLogEntryFactory(contact=person, date=datetime.date(2026, 3, 5), canceled=True)
    timeline = api.get(f"/api/v1/contacts/{company.number}/timeline/?limit=2").json()
    assert [row["date"] for row in timeline] == ["2026-03-05", "2026-02-05"]
    figures = api.get(f"/api/v1/contacts/{company.number}/statistics/").json()
    assert (figures["count"], figures["cost"], figures["duration"]) == (2, "3.00", 7)
    assert figures["last_interaction_date"] == "2026-02-05"
    assert api.get(f"/api/v1/contacts/{company.number}/timeline/?limit=0").status_code == 400


def test_groups_templates_and_the_template_setup_are_read(api):
    group = InteractionGroupFactory(code="LET", description="Letters")
    template = InteractionTemplateFactory(code="BUSL", group=group)
    setup = InteractionTemplateSetup.load()
    setup.sales_invoice = template
    setup.save()
    assert [g["code"] for g in api.get("/api/v1/interaction-groups/").json()["results"]] == ["LET"]
    assert api.get("/api/v1/interaction-templates/busl/").json()["group"] == "LET"
    sections = api.get("/api/v1/template-setup/").json()
    events = {event["event"]: event["template"] for section in sections for event in section["events"]}
    assert events["sales_invoice"] == "BUSL"


def test_postponed_interactions_are_created_resumed_and_deleted(api, sales_user):
    contact = PersonFactory(salesperson=SalespersonFactory(code="SP1"))
    InteractionTemplateFactory(code="CALL", description="Call")
    response = _post(api, "/api/v1/postponed-interactions/", {"contact": contact.number, "template": "CALL"})
    assert response.status_code == 201, response.content
    entry = InteractionLogEntry.objects.get()
    assert entry.postponed and entry.user == sales_user
    assert [row["entry_no"] for row in api.get("/api/v1/postponed-interactions/").json()["results"]] == [entry.entry_no]
    resumed = _post(api, f"/api/v1/postponed-interactions/{entry.entry_no}/resume/", {"subject": "Done"})
    assert resumed.status_code == 200, resumed.content
    entry.refresh_from_db()
    assert not entry.postponed and entry.subject == "Done"
    assert _post(api, f"/api/v1/postponed-interactions/{entry.entry_no}/resume/").status_code == 404

    _post(api, "/api/v1/postponed-interactions/", {"contact": contact.number, "template": "CALL"})
    draft = InteractionLogEntry.objects.get(postponed=True)
    assert api.delete(f"/api/v1/postponed-interactions/{draft.entry_no}/").status_code == 204
    assert not InteractionLogEntry.objects.filter(postponed=True).exists()


def test_another_users_postponed_interaction_is_out_of_reach_of_sales_staff(api, manager_api):
    owner = UserFactory(username="owner", groups=["Sales staff"])
    draft = InteractionLogEntryFactory(postponed=True, user=owner)
    assert api.delete(f"/api/v1/postponed-interactions/{draft.entry_no}/").status_code == 403
    assert manager_api.delete(f"/api/v1/postponed-interactions/{draft.entry_no}/").status_code == 204


def test_a_segment_is_created_filled_by_criteria_and_logged(api):
    template = InteractionTemplateFactory(code="MAIL", description="Mailing")
    moscow = [CompanyFactory(city="Moscow") for _ in range(3)]
    CompanyFactory(city="Paris")
    salesperson = SalespersonFactory(code="JO")
    response = _post(
        api,
        "/api/v1/segments/",
        {"description": "Moscow mailing", "template": template.pk, "salesperson": salesperson.pk},
    )
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    step = _post(api, f"/api/v1/segments/{number}/criteria/", {"action": "add", "city": "Moscow"})
    assert step.status_code == 200, step.content
    assert step.json()["line_count"] == 3
    lines = api.get(f"/api/v1/segments/{number}/lines/").json()["results"]
    assert sorted(line["contact"] for line in lines) == sorted(c.number for c in moscow)
    logged = _post(api, f"/api/v1/segments/{number}/log/", {})
    assert logged.status_code == 201, logged.content
    assert logged.json()["entries"] == 3
    again = _post(api, f"/api/v1/segments/{number}/log/", {})
    assert again.status_code == 400 and "already been logged" in str(again.json()["errors"])


def test_a_criteria_step_refuses_bad_input_field_by_field(api):
    segment = SegmentFactory()
    response = _post(api, f"/api/v1/segments/{segment.number}/criteria/", {"action": "save", "history_template": "X"})
    assert response.status_code == 400
    assert "action" in response.json()["errors"]
    response = _post(api, f"/api/v1/segments/{segment.number}/criteria/", {"action": "add", "history_template": "NOPE"})
    assert "history_template" in response.json()["errors"]
    assert not SegmentLine.objects.exists()


def test_logged_segments_are_canceled_and_restored_by_managers_only(api, manager_api):
    segment = SegmentFactory(description="Fair")
    SegmentLineFactory(segment=segment, contact=PersonFactory())
    _post(api, f"/api/v1/segments/{segment.number}/log/", {})
    logged = LoggedSegment.objects.get()
    assert [row["id"] for row in api.get("/api/v1/logged-segments/").json()["results"]] == [logged.pk]
    assert _post(api, f"/api/v1/logged-segments/{logged.pk}/cancel/").status_code == 403
    assert _post(manager_api, f"/api/v1/logged-segments/{logged.pk}/cancel/").json()["canceled"] is True
    assert InteractionLogEntry.objects.get().canceled
    assert _post(manager_api, f"/api/v1/logged-segments/{logged.pk}/restore/").json()["canceled"] is False
    assert not InteractionLogEntry.objects.get().canceled
    assert Segment.objects.filter(pk=segment.pk).exists()


def test_printing_a_document_with_logging_answers_the_entry(api):
    template = InteractionTemplateFactory(code="S-INVOICE", description="Sales invoice")
    setup = InteractionTemplateSetup.load()
    setup.sales_invoice = template
    setup.save()
    company = CompanyFactory()
    document = DocumentFactory(kind=DocumentKind.SALES_INVOICE, customer=CustomerFactory(contact=company))
    assert document.print_event == DocumentType.SALES_INVOICE
    listed = api.get("/api/v1/documents/").json()["results"]
    assert [row["id"] for row in listed] == [document.pk]
    response = _post(api, f"/api/v1/documents/{document.pk}/print/", {"language": "en", "log_interaction": True})
    assert response.status_code == 200, response.content
    body = response.json()
    entry = InteractionLogEntry.objects.get()
    assert body["entry"]["entry_no"] == entry.entry_no and body["entry"]["template"] == "S-INVOICE"
    assert body["entry"]["attachment"]["url"].endswith(f"/interactions/attachments/{entry.attachment_id}/")


def test_the_purge_counts_starts_and_deletes_only_canceled_entries(manager_api, api, tasks_in_process):
    kept = InteractionLogEntryFactory()
    InteractionLogEntryFactory(canceled=True)
    InteractionLogEntryFactory(canceled=True)
    assert api.get("/api/v1/purge/").status_code == 403
    assert manager_api.get("/api/v1/purge/").json() == {"count": 2}
    assert manager_api.get("/api/v1/purge/?date_from=someday").status_code == 400
    started = _post(manager_api, "/api/v1/purge/", {})
    assert started.status_code == 202, started.content
    assert started.json()["deleted"] == 2
    assert list(InteractionLogEntry.objects.all()) == [kept]


def test_a_print_sent_again_with_its_idempotency_key_prints_and_logs_once(api):
    template = InteractionTemplateFactory(code="S-INVOICE", description="Sales invoice")
    setup = InteractionTemplateSetup.load()
    setup.sales_invoice = template
    setup.save()
    document = DocumentFactory(kind=DocumentKind.SALES_INVOICE, customer=CustomerFactory(contact=CompanyFactory()))
    url = f"/api/v1/documents/{document.pk}/print/"
    first = api.post(url, {"language": "en"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="print-1")
    again = api.post(url, {"language": "en"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="print-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    document.refresh_from_db()
    assert document.no_printed == 1 and InteractionLogEntry.objects.count() == 1
