"""A contact number typed by a user finds the contact the same way on every page and command
of the module: surrounding spaces ignored, letters in any case (numbers are stored in capitals),
through crm.contacts.selectors.contact_by_number."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from interactions.models import InteractionLogEntry, SegmentLine

from .email_support import set_up_templates
from .factories import (
    CompanyFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    PersonFactory,
    SalespersonFactory,
    SegmentFactory,
)
from .purge_support import canceled_entry

pytestmark = pytest.mark.django_db

SPELLINGS = {
    "as-stored": lambda number: number,
    "lower-case": lambda number: number.lower(),
    "spaces-around": lambda number: f"  {number.lower()} ",
}


@pytest.fixture(params=list(SPELLINGS), ids=list(SPELLINGS))
def typed(request):
    """How the user typed the number."""
    return SPELLINGS[request.param]


@pytest.fixture
def anna():
    return PersonFactory(name="Anna Smith", company=CompanyFactory(name="Northwind Ltd"))


def log_rows(response) -> set[int]:
    table = response.context["table"]
    return {row.record.entry_no for row in table.page.object_list} if table.page else set()


def test_the_log_filter_finds_the_contact(sales_client, anna, typed):
    mine = InteractionLogEntryFactory(contact=anna)
    InteractionLogEntryFactory()

    response = sales_client.get(reverse("interactions:log"), {"contact": typed(anna.number)})

    assert response.status_code == 200
    assert log_rows(response) == {mine.entry_no}


def test_the_log_filter_finds_the_contacts_company(sales_client, anna, typed):
    mine = InteractionLogEntryFactory(contact=anna)
    InteractionLogEntryFactory()

    response = sales_client.get(reverse("interactions:log"), {"contact_company": typed(anna.company.number)})

    assert log_rows(response) == {mine.entry_no}


def test_the_purge_page_finds_the_contact(manager_client, anna, typed):
    canceled_entry(contact=anna)
    canceled_entry(contact=anna)
    canceled_entry()

    response = manager_client.get(reverse("interactions:purge"), {"contact": typed(anna.number), "action": "count"})

    assert "2 canceled interaction log entries match the filter and would be deleted." in response.content.decode()


def test_the_purge_command_finds_the_contact(anna, typed):
    going = canceled_entry(contact=anna)
    staying = canceled_entry()
    out = io.StringIO()

    call_command("purge_canceled_interactions", "--contact", typed(anna.number), stdout=out)

    assert out.getvalue() == "1 interaction log entry has been deleted.\n"
    assert list(InteractionLogEntry.objects.values_list("pk", flat=True)) == [staying.pk]
    assert going.pk != staying.pk


def test_the_new_interaction_link_prefills_the_contact(sales_client, anna, typed):
    response = sales_client.get(reverse("interactions:new"), {"contact": typed(anna.number)})

    page = response.content.decode()
    assert response.context["form"]["contact"].value() == anna.number
    assert "Anna Smith" in page
    assert "No contact has number" not in page


def test_the_new_interaction_form_accepts_the_contact(sales_client, sales_user, anna, typed):
    template = InteractionTemplateFactory()
    salesperson = SalespersonFactory(user=sales_user)
    response = sales_client.post(
        reverse("interactions:new"),
        {
            "action": "save",
            "contact": typed(anna.number),
            "template": template.pk,
            "salesperson": salesperson.pk,
            "date": "2026-03-02",
            "time": "09:30",
            "description": "Visit",
            "was_successful": "on",
            "cost": "0",
            "duration": "0",
        },
    )

    assert response.status_code == 302, response.context["form"].errors
    assert InteractionLogEntry.objects.get().contact == anna


@pytest.mark.parametrize("page", ["email-new", "call-new", "meeting-new"])
def test_the_email_call_and_meeting_pages_find_the_contact(sales_client, anna, typed, page):
    set_up_templates()

    response = sales_client.get(reverse(f"interactions:{page}"), {"contact": typed(anna.number)})

    assert response.status_code == 200
    assert "Anna Smith" in response.content.decode()


def test_the_segment_criteria_find_the_company(sales_client, anna, typed):
    PersonFactory()  # of another company
    segment = SegmentFactory()

    sales_client.post(
        reverse("interactions:segment-criteria", args=[segment.number]),
        {"action": "add", "company": typed(anna.company.number), "history_canceled": "no"},
    )

    # Its persons stand for the company (the default of adding contacts, as in NAV 2017).
    assert list(SegmentLine.objects.filter(segment=segment).values_list("contact", flat=True)) == [anna.pk]
