"""Phone calls (the number to dial, then the call recorded with the "Outgoing calls"
template) and meeting invitations (an e-mail with an .ics per attendee, one entry each
with the "Meeting invitations" template)."""

import datetime
from email.utils import parseaddr

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from interactions.models import DeliveryStatus, Evaluation, InteractionLogEntry

from .email_support import salesperson_for, set_up_templates, stored_message
from .factories import CompanyFactory, PersonFactory, SegmentFactory, SegmentLineFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]

NEW_CALL = "/interactions/calls/new/"
NEW_MEETING = "/interactions/meetings/new/"


# --- Calls -----------------------------------------------------------------------------


def test_the_call_page_shows_the_numbers_to_dial_as_tel_links(sales_client):
    set_up_templates()
    contact = PersonFactory(mobile="+7 (916) 123-45-67", phone="+7 495 765 43 21")

    page = sales_client.get(f"{NEW_CALL}?contact={contact.number}").content.decode()

    assert 'href="tel:+79161234567"' in page and 'href="tel:+74957654321"' in page
    assert 'value="+7 (916) 123-45-67"' in page  # the mobile is offered first
    for label in ("Number called", "Duration (min.)", "Was successful", "Description", "Evaluation"):
        assert f">{label}<" in page or f">{label}<span" in page


def test_a_call_is_recorded_with_the_number_duration_success_and_evaluation(sales_client, sales_user):
    templates = set_up_templates()
    salesperson = salesperson_for(sales_user)
    contact = PersonFactory(mobile="+7 916 123-45-67")

    response = sales_client.post(
        f"{NEW_CALL}?contact={contact.number}",
        {"phone_number": "+7 916 123-45-67", "duration": "12", "successful": "on", "description": "",
         "subject": "Delivery dates", "evaluation": Evaluation.POSITIVE},
    )  # fmt: skip

    entry = InteractionLogEntry.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("contacts:detail", args=[contact.number])
    assert entry.template == templates["outgoing_calls"]
    assert (entry.contact_via, entry.duration, entry.attempt_failed) == ("+7 916 123-45-67", 12, False)
    assert (entry.evaluation, entry.subject, entry.description) == ("positive", "Delivery dates", "Outgoing template")
    assert (entry.correspondence_type, entry.salesperson, entry.user) == ("", salesperson, sales_user)
    assert entry.delivery_status == ""
    page = sales_client.get(response["Location"]).content.decode()
    assert f"The call to +7 916 123-45-67 has been recorded as interaction {entry.pk}." in page


def test_an_unanswered_call_is_recorded_as_a_failed_attempt(sales_client):
    set_up_templates()
    contact = PersonFactory(phone="+44 20 7946 0000")

    sales_client.post(
        f"{NEW_CALL}?contact={contact.number}",
        {"phone_number": contact.phone, "duration": "1", "description": "No answer", "evaluation": ""},
    )

    entry = InteractionLogEntry.objects.get()
    assert (entry.attempt_failed, entry.description) == (True, "No answer")


def test_a_call_from_a_segment_line_dials_its_number_and_carries_the_segment(sales_client):
    set_up_templates()
    segment = SegmentFactory()
    line = SegmentLineFactory(
        segment=segment, contact=PersonFactory(mobile="+7 900 000-00-01"), contact_via="+7 900 111-22-33"
    )
    detail = sales_client.get(reverse("interactions:segment-detail", args=[segment.number])).content.decode()
    call_url = f"{NEW_CALL}?contact={line.contact.number}&amp;segment={segment.number}"
    assert call_url in detail and "Make phone call" in detail

    url = f"{NEW_CALL}?contact={line.contact.number}&segment={segment.number}"
    page = sales_client.get(url).content.decode()
    assert page.index("tel:+79001112233") < page.index("tel:+79000000001")  # the line's number first
    response = sales_client.post(url, {"phone_number": "+7 900 111-22-33", "duration": "4", "evaluation": ""})

    assert response["Location"] == reverse("interactions:segment-detail", args=[segment.number])
    entry = InteractionLogEntry.objects.get()
    assert (entry.segment_number, entry.contact_via) == (segment.number, "+7 900 111-22-33")


def test_without_a_template_the_call_page_says_nothing_is_recorded(sales_client):
    set_up_templates(outgoing_calls=False)
    contact = PersonFactory(mobile="+7 916 123-45-67")
    url = f"{NEW_CALL}?contact={contact.number}"

    page = sales_client.get(url).content.decode()
    assert "tel:+79161234567" in page  # the call itself still works
    assert "No interaction will be recorded: the interaction template setup has no template for Outgoing calls." in page
    response = sales_client.post(url, {"phone_number": contact.mobile, "duration": "3", "evaluation": ""}, follow=True)

    assert "No interaction was recorded: the interaction template setup has no template for Outgoing calls." in (
        response.content.decode()
    )
    assert not InteractionLogEntry.objects.exists()


def test_a_negative_duration_is_refused(sales_client):
    set_up_templates()
    contact = PersonFactory()
    response = sales_client.post(
        f"{NEW_CALL}?contact={contact.number}", {"phone_number": "+1 555 0100", "duration": "-5", "evaluation": ""}
    )
    assert response.status_code == 200 and "The call was not recorded" in response.content.decode()
    assert not InteractionLogEntry.objects.exists()


# --- Meetings --------------------------------------------------------------------------


def meeting_data(*attendees, start=None, **fields):
    start = start or timezone.localtime() + datetime.timedelta(days=3)
    return {
        "subject": "Project kick-off",
        "date": start.strftime("%Y-%m-%d"),
        "time": "10:30",
        "duration": "90",
        "place": "Moscow, Tverskaya 1, room 3",
        "attendees": [attendee.pk for attendee in attendees],
        "message": "Let us start the project.",
        **fields,
    }


def test_each_attendee_gets_an_invitation_with_a_valid_ics_and_an_entry(
    sales_client, sales_user, django_capture_on_commit_callbacks
):
    templates = set_up_templates()
    salesperson_for(sales_user, name="Olga Ivanova", email="olga@example.com")
    company = CompanyFactory()
    anna = PersonFactory(company=company, name="Anna Smith", email="anna@example.com")
    boris = PersonFactory(company=company, name="Борис Иванов", email="boris@example.com")
    PersonFactory(company=company, email="not.invited@example.com")
    data = meeting_data(anna, boris)

    with django_capture_on_commit_callbacks(execute=True):
        response = sales_client.post(f"{NEW_MEETING}?contact={anna.number}", data)

    assert response.status_code == 302
    entries = InteractionLogEntry.objects.order_by("contact__email")
    assert [(e.contact, e.contact_via) for e in entries] == [(anna, "anna@example.com"), (boris, "boris@example.com")]
    assert {e.template for e in entries} == {templates["meeting_invitations"]}
    assert {(e.subject, e.delivery_status) for e in entries} == {("Project kick-off", DeliveryStatus.BLANK)}
    assert sorted(parseaddr(message.to[0])[1] for message in mail.outbox) == ["anna@example.com", "boris@example.com"]

    start = timezone.make_aware(datetime.datetime.strptime(f"{data['date']} 10:30", "%Y-%m-%d %H:%M"))
    uids = set()
    for message in mail.outbox:
        [(name, content, mimetype)] = message.attachments
        assert (name, mimetype) == ("invitation.ics", "text/calendar")
        calendar = Calendar.from_ical(content)
        assert calendar["METHOD"] == "REQUEST"
        [event] = calendar.walk("VEVENT")
        uids.add(str(event["UID"]))
        assert event.decoded("DTSTART") == start and event.decoded("DTSTART").utcoffset() == datetime.timedelta(0)
        assert event.decoded("DTEND") - event.decoded("DTSTART") == datetime.timedelta(minutes=90)
        assert "DTSTAMP" in event
        assert (str(event["SUMMARY"]), str(event["LOCATION"])) == ("Project kick-off", "Moscow, Tverskaya 1, room 3")
        assert str(event["ORGANIZER"]) == "mailto:olga@example.com"
        assert event["ORGANIZER"].params["CN"] == "Olga Ivanova"
        attendees = {str(a): a.params["CN"] for a in event["ATTENDEE"]}
        assert attendees == {"mailto:anna@example.com": "Anna Smith", "mailto:boris@example.com": "Борис Иванов"}
        assert "Project kick-off" in message.subject and "Let us start the project." in message.body
    assert len(uids) == 1  # one meeting
    stored = stored_message(entries[0])  # what was sent is kept with the entry
    assert [part.get_filename() for part in stored.iter_attachments()] == ["invitation.ics"]


def test_only_persons_of_the_company_with_an_address_can_be_invited(sales_client):
    set_up_templates()
    company = CompanyFactory()
    anna = PersonFactory(company=company, email="anna@example.com")
    no_address = PersonFactory(company=company, email="", name="Ivan Noaddress")
    stranger = PersonFactory(email="stranger@example.com")
    url = f"{NEW_MEETING}?contact={anna.number}"

    page = sales_client.get(url).content.decode()
    assert "Ivan Noaddress (no e-mail address)" in page and stranger.name not in page

    refused = sales_client.post(url, meeting_data(anna, no_address)).content.decode()
    assert "These persons have no e-mail address: Ivan Noaddress." in refused
    refused = sales_client.post(url, meeting_data(anna, stranger)).content.decode()
    assert "Select a valid choice." in refused
    past = timezone.localtime() - datetime.timedelta(days=2)
    assert (
        "The meeting cannot start in the past."
        in sales_client.post(url, meeting_data(anna, start=past)).content.decode()
    )
    assert not InteractionLogEntry.objects.exists() and mail.outbox == []


def test_without_a_template_invitations_go_out_and_nothing_is_recorded(
    sales_client, django_capture_on_commit_callbacks
):
    set_up_templates(meeting_invitations=False)
    anna = PersonFactory(email="anna@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        response = sales_client.post(f"{NEW_MEETING}?contact={anna.number}", meeting_data(anna))

    page = sales_client.get(response["Location"]).content.decode()
    assert (
        "No interaction was recorded: the interaction template setup has no template for Meeting invitations." in page
    )
    assert not InteractionLogEntry.objects.exists()
    assert len(mail.outbox) == 1 and mail.outbox[0].attachments[0][0] == "invitation.ics"
