"""The contact card as the hub: the composer logs a note, a call, a meeting or an e-mail in
place; the timeline filters by group, direction and period and pages by keyset; a company's
persons show each one's latest interaction."""

import datetime
import json
from email.utils import parseaddr

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from interactions.models import DeliveryStatus, InformationFlow, InteractionLogEntry, WizardAction

from .email_support import salesperson_for, set_up_templates
from .factories import (
    CompanyFactory,
    InteractionGroupFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    PersonFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]
HTMX = {"HTTP_HX_REQUEST": "true"}


def composer(contact, kind):
    return reverse("interactions:contact-composer", args=[contact.number, kind])


def timeline(contact):
    return reverse("interactions:contact-timeline", args=[contact.number])


def shown(response) -> list[int]:
    return [entry.entry_no for entry in response.context["timeline"].entries]


# --- The composer ------------------------------------------------------------------------


def test_the_card_offers_the_composer_to_those_who_record(sales_client):
    person = PersonFactory()
    page = sales_client.get(reverse("contacts:detail", args=[person.number])).content.decode()
    assert composer(person, "note") in page and "Log an interaction" in page
    client = Client()
    reader = UserFactory(username="reader")
    reader.user_permissions.set(Permission.objects.filter(codename__in=["view_interactionlogentry", "view_contact"]))
    client.force_login(reader)
    page = client.get(reverse("contacts:detail", args=[person.number])).content.decode()
    assert "Log an interaction" not in page
    assert client.get(composer(person, "note")).status_code == 403
    assert client.post(composer(person, "call"), {"phone_number": "1", "duration": "1"}).status_code == 403
    assert not InteractionLogEntry.objects.exists()


def test_a_note_takes_the_template_defaults_and_tells_the_timeline(sales_client, sales_user):
    salesperson = salesperson_for(sales_user)
    template = InteractionTemplateFactory(
        code="NOTE", description="Phone note", unit_cost="2.50", unit_duration=7,
        information_flow=InformationFlow.INBOUND,
    )  # fmt: skip
    person = PersonFactory()
    response = sales_client.post(
        composer(person, "note"), {"template": template.pk, "subject": "Asked for a quote", "description": ""}, **HTMX
    )
    entry = InteractionLogEntry.objects.get()
    assert response.status_code == 200
    assert (entry.contact, entry.template, entry.salesperson, entry.user) == (person, template, salesperson, sales_user)
    # What the note left empty comes from the template, as on the full form.
    assert (entry.description, entry.subject, entry.duration) == ("Phone note", "Asked for a quote", 7)
    assert str(entry.cost) == "2.50" and entry.information_flow == InformationFlow.INBOUND
    assert json.loads(response["HX-Trigger"]) == {"interactions:timeline-changed": {"kind": "note"}}
    page = response.content.decode()
    assert f"Interaction {entry.entry_no} with {person.name} has been recorded." in page
    assert 'id="composer-form"' in page and 'value="Asked for a quote"' not in page  # a fresh form


def test_a_note_without_a_template_is_refused_in_place_and_records_nothing(sales_client, sales_user):
    salesperson_for(sales_user)
    person = PersonFactory()
    response = sales_client.post(composer(person, "note"), {"template": "", "subject": "x" * 101}, **HTMX)
    page = response.content.decode()
    assert response.status_code == 200 and "HX-Trigger" not in response
    assert "Nothing was recorded: please correct the errors below." in page
    assert "This field is required." in page and "at most 100 characters" in page
    assert 'value="' + "x" * 101 + '"' in page  # what was typed stays
    assert not InteractionLogEntry.objects.exists()


def test_a_note_offers_no_template_that_imports_a_file(sales_client, sales_user):
    salesperson_for(sales_user)
    plain = InteractionTemplateFactory(code="PLAIN")
    importing = InteractionTemplateFactory(code="IMPORT", wizard_action=WizardAction.IMPORT)
    person = PersonFactory()
    form = sales_client.get(composer(person, "note")).content.decode()
    assert f'<option value="{plain.pk}"' in form and f'<option value="{importing.pk}"' not in form
    response = sales_client.post(composer(person, "note"), {"template": importing.pk}, **HTMX)
    assert "Select a valid choice." in response.content.decode()
    assert not InteractionLogEntry.objects.exists()


def test_a_call_from_the_card_is_recorded_with_the_calls_template(sales_client, sales_user):
    templates = set_up_templates()
    person = PersonFactory(mobile="+7 916 123-45-67")
    form = sales_client.get(composer(person, "call")).content.decode()
    assert 'value="+7 916 123-45-67"' in form
    response = sales_client.post(
        composer(person, "call"),
        {"phone_number": "+7 916 123-45-67", "duration": "4", "successful": "on", "subject": "Dates"},
        **HTMX,
    )
    entry = InteractionLogEntry.objects.get()
    assert entry.template == templates["outgoing_calls"] and (entry.duration, entry.subject) == (4, "Dates")
    assert f"recorded as interaction {entry.entry_no}" in response.content.decode()
    assert "HX-Trigger" in response


def test_an_e_mail_from_the_card_goes_through_the_delivery(
    sales_client, sales_user, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    set_up_templates()
    person = PersonFactory(email="anna@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = sales_client.post(
            composer(person, "email"),
            {"address": "anna@example.com", "subject": "Our offer", "body": "Dear Anna"},
            **HTMX,
        )
    entry = InteractionLogEntry.objects.get()
    assert "is being sent; interaction" in response.content.decode()
    assert [[parseaddr(to)[1] for to in message.to] for message in mail.outbox] == [["anna@example.com"]]
    entry.refresh_from_db()
    assert entry.delivery_status == DeliveryStatus.BLANK  # delivered by the (in-process) task
    items = sales_client.get(timeline(person)).content.decode()
    assert 'data-delivery="delivered"' in items


def test_a_meeting_in_the_past_is_refused_in_place(sales_client):
    set_up_templates()
    person = PersonFactory(email="anna@example.com")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = sales_client.post(
        composer(person, "meeting"),
        {"subject": "Kick-off", "date": yesterday.isoformat(), "time": "10:00", "duration": "60",
         "attendees": [person.pk]},
        **HTMX,
    )  # fmt: skip
    assert "The meeting cannot start in the past." in response.content.decode()
    assert not InteractionLogEntry.objects.exists() and not mail.outbox


def test_an_unknown_kind_or_contact_is_not_found(sales_client):
    person = PersonFactory()
    assert sales_client.get(composer(person, "fax")).status_code == 404
    assert sales_client.get(reverse("interactions:contact-composer", args=["NOPE", "note"])).status_code == 404


# --- The timeline ------------------------------------------------------------------------


@pytest.fixture
def varied_timeline():
    person = PersonFactory()
    letters, calls = InteractionGroupFactory(code="LETTER"), InteractionGroupFactory(code="CALL")
    day = datetime.date(2026, 6, 10)
    return person, {
        "letter_out": InteractionLogEntryFactory(contact=person, group=letters, date=day,
                                                 information_flow=InformationFlow.OUTBOUND),
        "call_in": InteractionLogEntryFactory(contact=person, group=calls, date=day - datetime.timedelta(days=30),
                                              information_flow=InformationFlow.INBOUND),
        "call_out": InteractionLogEntryFactory(contact=person, group=calls, date=day - datetime.timedelta(days=60),
                                               information_flow=InformationFlow.OUTBOUND),
    }, {"letters": letters, "calls": calls}  # fmt: skip


def test_the_timeline_filters_by_group_direction_and_period(sales_client, varied_timeline):
    person, entries, groups = varied_timeline
    response = sales_client.get(timeline(person), {"timeline-group": groups["calls"].pk}, **HTMX)
    assert shown(response) == [entries["call_in"].entry_no, entries["call_out"].entry_no]
    # The card's address keeps the filter.
    assert (
        response["HX-Push-Url"]
        == f"{reverse('contacts:detail', args=[person.number])}?timeline-group={groups['calls'].pk}"
    )
    response = sales_client.get(timeline(person), {"timeline-group": groups["calls"].pk, "timeline-flow": "outbound"})
    assert shown(response) == [entries["call_out"].entry_no]
    response = sales_client.get(
        timeline(person), {"timeline-date_from": "2026-05-01", "timeline-date_to": "2026-05-31"}
    )
    assert shown(response) == [entries["call_in"].entry_no]
    # The card itself, opened at that address, shows the same.
    card = sales_client.get(reverse("contacts:detail", args=[person.number]), {"timeline-flow": "inbound"})
    assert shown(card) == [entries["call_in"].entry_no]


def test_a_period_that_ends_before_it_starts_is_refused(sales_client, varied_timeline):
    person, _entries, _groups = varied_timeline
    response = sales_client.get(
        timeline(person), {"timeline-date_from": "2026-06-01", "timeline-date_to": "2026-01-01"}
    )
    assert "The start of the period is after its end." in response.content.decode()
    assert shown(response) == []
    assert sales_client.get(timeline(person), {"timeline-group": "x"}).status_code == 200


def test_the_timeline_pages_by_keyset_in_date_time_order(sales_client):
    person = PersonFactory()
    day = datetime.date(2026, 3, 1)
    times = [datetime.time(9, 0), datetime.time(17, 30), None, datetime.time(12, 0)]
    # 30 entries on three days, some without a time, numbers not in time order.
    created = [
        InteractionLogEntryFactory(contact=person, date=day + datetime.timedelta(days=n % 3), time=times[n % 4])
        for n in range(30)
    ]
    expected = sorted(
        created,
        key=lambda e: (e.date, e.time is not None, e.time or datetime.time(0), e.entry_no),
        reverse=True,
    )
    first = sales_client.get(timeline(person))
    seen = shown(first)
    cursor = first.context["timeline"].next_cursor
    assert len(seen) == 25 and cursor is not None
    assert 'hx-trigger="intersect once"' in first.content.decode()
    rest = sales_client.get(timeline(person), {"after": cursor.encode()})
    assert rest.context["timeline"].next_cursor is None
    assert seen + shown(rest) == [e.entry_no for e in expected]
    assert 'hx-trigger="intersect once"' not in rest.content.decode()
    # A cursor that is not one is the first page.
    assert shown(sales_client.get(timeline(person), {"after": "garbage"})) == seen


def test_the_timeline_shows_which_document_and_the_delivery_status(sales_client):
    person = PersonFactory()
    InteractionLogEntryFactory(
        contact=person, document_type="sales_quote", document_number="SQ-1001", document_version=2
    )
    InteractionLogEntryFactory(contact=person, document_type="sales_quote", document_number="SQ-1002")
    InteractionLogEntryFactory(contact=person, delivery_status=DeliveryStatus.IN_PROGRESS)
    InteractionLogEntryFactory(contact=person, delivery_status=DeliveryStatus.ERROR)
    page = sales_client.get(timeline(person)).content.decode()
    assert 'data-document="SQ-1001"' in page and 'data-document="SQ-1002"' in page
    assert "SQ-1001 v2" in page
    assert 'data-delivery="queued"' in page and 'data-delivery="failed"' in page


def test_the_timeline_needs_the_log_permission(client):
    person = PersonFactory()
    client.force_login(UserFactory(username="nobody"))
    assert client.get(timeline(person)).status_code == 403


# --- A company's persons -----------------------------------------------------------------


def test_a_company_card_shows_each_persons_latest_interaction_in_one_query(sales_client):
    company = CompanyFactory(name="Acme Ltd")
    persons = [PersonFactory(company=company, name=f"Person {n}") for n in range(6)]
    for n, person in enumerate(persons[:5]):
        InteractionLogEntryFactory(contact=person, description=f"Old {n}", date=datetime.date(2026, 1, 1))
        InteractionLogEntryFactory(contact=person, description=f"Latest {n}", date=datetime.date(2026, 2, 1))
        InteractionLogEntryFactory(contact=person, description=f"Canceled {n}", date=datetime.date(2026, 3, 1),
                                   canceled=True)  # fmt: skip
    url = reverse("contacts:detail", args=[company.number])
    with CaptureQueriesContext(connection) as context:
        page = sales_client.get(url).content.decode()
    person_queries = [q for q in context.captured_queries if 'WHERE "contacts_contact"."company_id"' in q["sql"]]
    assert len(person_queries) == 1
    for n in range(5):
        assert f"Latest {n}" in page and f"Old {n}" not in page.split('id="company-persons"')[1].split("</section>")[0]
    assert "Person 5" in page
    persons_panel = page.split('id="company-persons"')[1].split("</section>")[0]
    assert "Canceled" not in persons_panel and "No interactions yet." in persons_panel

    # More persons, the same queries.
    for n in range(6, 12):
        InteractionLogEntryFactory(contact=PersonFactory(company=company, name=f"Person {n}"))
    with CaptureQueriesContext(connection) as more:
        sales_client.get(url)
    assert len(more.captured_queries) == len(context.captured_queries)


def test_the_card_runs_the_same_queries_for_a_short_and_a_long_timeline(sales_client):
    company = CompanyFactory()
    person = PersonFactory(company=company)
    url = reverse("contacts:detail", args=[company.number])

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert sales_client.get(url).status_code == 200
        return len(context.captured_queries)

    InteractionLogEntryFactory(contact=person, document_type="sales_quote", document_number="SQ-1")
    short = queries()
    for n in range(20):
        InteractionLogEntryFactory(
            contact=person, document_type="sales_quote", document_number=f"SQ-{n + 2}",
            delivery_status=DeliveryStatus.ERROR if n % 2 else DeliveryStatus.IN_PROGRESS,
            group=InteractionGroupFactory(),
        )  # fmt: skip
    assert queries() == short
