"""Meeting invitations: one e-mail per attendee with the meeting as an iCalendar (.ics)
attachment, delivered by the e-mail task, and one log entry per attendee with the template
"Meeting invitations" of the setup."""

import dataclasses
import datetime
import uuid
from collections.abc import Sequence
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from crm.contacts.models import Contact, CorrespondenceType, Salesperson

from ...models import DeliveryStatus, InteractionLogEntry
from ...permissions import RECORD, require_permission
from .. import summaries, webhooks
from ..attachments import atomic_with_files
from ..recording import default_salesperson, lock_template_for_recording
from .automatic_entries import (
    MEETING_INVITATIONS_EVENT,
    automatic_entry,
    no_template_reason,
    setup_template,
)
from .emails import (
    DeliveryTicket,
    OutgoingFile,
    compose_email,
    message_bytes,
    queue_delivery_on_commit,
    recipient,
    salesperson_reply_to,
    store_message,
)

ICS_FILE_NAME = "invitation.ics"
ICS_CONTENT_TYPE = "text/calendar"
MAX_DURATION_MINUTES = 7 * 24 * 60


@dataclasses.dataclass(frozen=True, kw_only=True)
class Meeting:
    subject: str
    start: datetime.datetime  # aware
    duration: int  # minutes
    place: str = ""
    message: str = ""

    @property
    def end(self) -> datetime.datetime:
        return self.start + datetime.timedelta(minutes=self.duration)


def company_of(contact: Contact) -> Contact:
    return contact if contact.is_company or not contact.company_id else contact.company


def possible_attendees(contact: Contact) -> QuerySet[Contact]:
    """Who can be invited from `contact`'s card: the persons of its company (a person
    without a company: that person alone)."""
    company = company_of(contact)
    if company.is_company:
        return Contact.objects.filter(company=company).order_by("name", "number")
    return Contact.objects.filter(pk=contact.pk)


def organizer_address(salesperson: Salesperson | None) -> tuple[str, str]:
    """(name, address) of the organizer: the salesperson, else the sender of the CRM's mail."""
    if salesperson is not None and salesperson.email:
        return salesperson.name, salesperson.email
    return parseaddr(settings.DEFAULT_FROM_EMAIL)


def meeting_calendar(*, meeting: Meeting, uid: str, organizer: tuple[str, str], attendees: Sequence[Contact]) -> bytes:
    """The meeting as an iCalendar REQUEST (RFC 5545/5546) that mail programs offer to
    accept: times in UTC, every attendee asked to reply."""
    calendar = Calendar()
    calendar.add("prodid", "-//CRM//Interactions//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", timezone.now().astimezone(datetime.UTC))
    event.add("dtstart", meeting.start.astimezone(datetime.UTC))
    event.add("dtend", meeting.end.astimezone(datetime.UTC))
    event.add("summary", meeting.subject)
    if meeting.place:
        event.add("location", meeting.place)
    if meeting.message:
        event.add("description", meeting.message)
    name, address = organizer
    organizer_value = vCalAddress(f"mailto:{address}")
    if name:
        organizer_value.params["cn"] = vText(name)
    event.add("organizer", organizer_value)
    for attendee in attendees:
        value = vCalAddress(f"mailto:{attendee.email}")
        value.params.update(
            {"cn": vText(attendee.name), "role": "REQ-PARTICIPANT", "partstat": "NEEDS-ACTION", "rsvp": "TRUE"}
        )
        event.add("attendee", value, encode=False)
    event.add("sequence", 0)
    event.add("status", "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()


def invitation_text(meeting: Meeting) -> str:
    """The body of the invitation: the message, then when and where."""
    local_start = timezone.localtime(meeting.start)
    lines = [meeting.message.strip(), ""] if meeting.message.strip() else []
    lines.append(
        _("When: %(start)s (%(duration)s min.)")
        % {"start": formats.date_format(local_start, "DATETIME_FORMAT"), "duration": meeting.duration}
    )
    if meeting.place:
        lines.append(_("Where: %(place)s") % {"place": meeting.place})
    return "\n".join(lines) + "\n"


@dataclasses.dataclass(frozen=True)
class InvitationResult:
    """The entries recorded (one per attendee; none, and why, without a template) and the
    delivery of each invitation."""

    entries: tuple[InteractionLogEntry, ...]
    tickets: tuple[DeliveryTicket, ...]
    uid: str
    not_recorded_reason: str = ""

    @property
    def queue_unavailable(self) -> bool:
        return any(ticket.queued is False for ticket in self.tickets)


def _check(*, contact: Contact, attendees: Sequence[Contact], meeting: Meeting) -> None:
    errors = {}
    if not meeting.subject.strip():
        errors["subject"] = _("Enter what the meeting is about.")
    if not 0 < meeting.duration <= MAX_DURATION_MINUTES:
        errors["duration"] = _("Enter a duration between 1 minute and 7 days.")
    if timezone.is_naive(meeting.start):
        raise ValueError("the meeting's start must be an aware datetime")
    if not attendees:
        errors["attendees"] = _("Choose at least one person to invite.")
    else:
        allowed = set(possible_attendees(contact).filter(pk__in=[a.pk for a in attendees]).values_list("pk", flat=True))
        strangers = [a.name for a in attendees if a.pk not in allowed]
        if strangers:
            errors["attendees"] = _("Only persons of %(company)s can be invited here: %(names)s.") % {
                "company": company_of(contact).name,
                "names": ", ".join(strangers),
            }
        without_address = [a.name for a in attendees if not a.email.strip()]
        if without_address:
            errors.setdefault("attendees", _("These persons have no e-mail address: %(names)s.") % {
                "names": ", ".join(without_address)
            })  # fmt: skip
    if errors:
        raise ValidationError(errors)


def invite_to_meeting(*, contact: Contact, attendees: Sequence[Contact], meeting: Meeting, user) -> InvitationResult:
    """Invite `attendees` (persons of `contact`'s company) to `meeting`: each gets an e-mail
    with the meeting as an .ics file, and, with the setup's template for meeting
    invitations, one log entry each. All entries or none; the e-mails are queued when they
    are committed. Raises ValidationError (by field) for what cannot be sent."""
    require_permission(user, RECORD)
    attendees = list(dict.fromkeys(attendees))  # each once, in the order chosen
    _check(contact=contact, attendees=attendees, meeting=meeting)
    salesperson = default_salesperson(user=user, contact=contact)
    uid = f"{uuid.uuid4()}@{parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition('@')[2] or 'crm'}"
    calendar = OutgoingFile(
        name=ICS_FILE_NAME,
        content=meeting_calendar(
            meeting=meeting, uid=uid, organizer=organizer_address(salesperson), attendees=attendees
        ),
        content_type=ICS_CONTENT_TYPE,
    )
    body = invitation_text(meeting)
    messages = [
        (
            attendee,
            message_bytes(
                compose_email(
                    to=[recipient(name=attendee.name, address=attendee.email.strip())],
                    subject=meeting.subject.strip(),
                    body=body,
                    files=[calendar],
                    reply_to=salesperson_reply_to(salesperson),
                )
            ),
        )
        for attendee in attendees
    ]
    template = setup_template(MEETING_INVITATIONS_EVENT)
    if template is None:
        with transaction.atomic():
            tickets = tuple(queue_delivery_on_commit(raw=raw) for _attendee, raw in messages)
        return InvitationResult(
            entries=(), tickets=tickets, uid=uid, not_recorded_reason=no_template_reason(MEETING_INVITATIONS_EVENT)
        )

    with atomic_with_files():
        lock_template_for_recording(template, field=None)
        entries, tickets = [], []
        for attendee, raw in messages:
            attachment = store_message(raw=raw, contact=attendee, prefix="meeting")
            entry = automatic_entry(
                template=template,
                contact=attendee,
                user=user,
                correspondence_type=CorrespondenceType.EMAIL,
                contact_via=attendee.email.strip(),
                subject=meeting.subject,
                attachment=attachment,
                delivery_status=DeliveryStatus.IN_PROGRESS,
                delivery_due_at=timezone.now(),
                # The meeting's salesperson is the organizer's, for every attendee.
                salesperson=salesperson,
            )
            entry.save(force_insert=True)
            summaries.entry_logged(entry)
            entries.append(entry)
            tickets.append(queue_delivery_on_commit(entry_no=entry.entry_no))
        webhooks.announce_entries(webhooks.ENTRY_CREATED, [entry.entry_no for entry in entries])
    return InvitationResult(entries=tuple(entries), tickets=tuple(tickets), uid=uid)


def attendees_with_address(contact: Contact) -> QuerySet[Contact]:
    return possible_attendees(contact).exclude(Q(email="") | Q(email__isnull=True))
