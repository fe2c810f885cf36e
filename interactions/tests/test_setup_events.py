"""Every event of the interaction template setup records something: an event whose template
nothing ever records with cannot exist (the issue found "E-mail drafts" and "Cover sheets"
so). For each event the action that records with it runs here and the entry must carry
the event's template; an event added to the setup without such an action fails the first
test. The setup page and the admin say, under each event, what records with it."""

import datetime
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.documents.selectors import documents_for_printing
from crm.documents.services import print_document
from crm.documents.tests.factories import (
    CustomerFactory,
    DocumentFactory,
    VendorFactory,
    grant_document_permissions_to_groups,
)
from crm.documents.types import KIND_INFO, PURCHASE_KINDS, DocumentType
from interactions.models import SETUP_EVENTS, InteractionLogEntry, InteractionTemplateSetup
from interactions.models.setup import event_use
from interactions.services import cover_sheets
from interactions.services.communication import calls, drafts, emails, meetings

from .factories import CompanyFactory, InteractionTemplateFactory, PersonFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]


def send_an_email(person, user):
    emails.send_email(contact=person, subject="Hello", body="Text", attachments=[], user=user)


def save_a_draft(person, user):
    drafts.save_draft(contact=person, address="", subject="Draft", body="Text", attachments=[], user=user)


def print_a_cover_sheet(person, user):
    cover_sheets.print_cover_sheet(contact=person, user=user, language="en")


def make_a_call(person, user):
    calls.record_phone_call(
        contact=person,
        phone_number="+44 20 0000",
        duration=3,
        successful=True,
        description="",
        evaluation="",
        user=user,
    )


def invite_to_a_meeting(person, user):
    start = timezone.now() + datetime.timedelta(days=1)
    meetings.invite_to_meeting(
        contact=person,
        attendees=[person],
        meeting=meetings.Meeting(subject="Demo", start=start, duration=30),
        user=user,
    )


RECORDERS = {
    "emails": send_an_email,
    "email_drafts": save_a_draft,
    DocumentType.COVER_SHEET.value: print_a_cover_sheet,
    "outgoing_calls": make_a_call,
    "meeting_invitations": invite_to_a_meeting,
}


def print_a_document(event: str):
    """A document whose printing records `event`, printed with "Log interaction"."""

    def print_it(person, user):
        kind = next(kind for kind, info in KIND_INFO.items() if event in (info.print_event, info.posted_print_event))
        posted = event == KIND_INFO[kind].posted_print_event
        partner = (
            {"vendor": VendorFactory(contact=person.company)}
            if kind in PURCHASE_KINDS
            else {"customer": CustomerFactory(contact=person.company)}
        )
        document = DocumentFactory(kind=kind, contact=person, **partner)
        if posted:
            type(document).objects.filter(pk=document.pk).update(posted=True)
        printed = documents_for_printing().get(pk=document.pk)
        print_document(document=printed, user=user, log_interaction=True, preview=False, language="en")

    return print_it


for _event in SETUP_EVENTS:
    if _event not in RECORDERS and any(_event in (i.print_event, i.posted_print_event) for i in KIND_INFO.values()):
        RECORDERS[_event] = print_a_document(_event)


def test_every_event_of_the_setup_has_something_that_records_with_it():
    assert set(SETUP_EVENTS) == set(RECORDERS)


@pytest.mark.parametrize("event", SETUP_EVENTS)
def test_the_event_records_an_entry_with_its_template(event):
    grant_document_permissions_to_groups()
    user = UserFactory(username="recorder", groups=["Sales staff"])
    template = InteractionTemplateFactory(code=f"T{SETUP_EVENTS.index(event)}")
    setup = InteractionTemplateSetup.load()
    setattr(setup, event, template)
    setup.save()
    person = PersonFactory(company=CompanyFactory(), email="person@example.com", phone="+44 20 0000")

    RECORDERS[event](person, user)

    assert InteractionLogEntry.objects.filter(template=template).exists()
    assert InteractionLogEntry.objects.exclude(template=template).count() == 0


def test_the_setup_page_says_what_records_with_each_event(client):
    for username, group in (("viewer", "Sales staff"), ("admin", "Administrator")):
        client.force_login(UserFactory(username=username, groups=[group]))
        page = client.get(reverse("interactions:setup")).content.decode()
        for event in SETUP_EVENTS:
            assert str(event_use(event)) in unescape(page), (username, event)


def test_the_admin_says_what_records_with_each_event(admin_client):
    setup = InteractionTemplateSetup.load()
    page = admin_client.get(
        reverse("admin:interactions_interactiontemplatesetup_change", args=[setup.pk])
    ).content.decode()
    for event in SETUP_EVENTS:
        assert str(event_use(event)) in unescape(page), event
