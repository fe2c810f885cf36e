"""What e-mails, phone calls and meeting invitations share: the interaction template setup
chooses the template that records them ("E-mails", "Outgoing calls", "Meeting
invitations"); without one the action still happens and nothing is recorded, and the user
is told why; with one, the entry is filled by the same rules as an interaction recorded by
hand (services.recording), then with what the event itself knows (the address or number
used, the subject, the duration).
"""

import dataclasses
import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from crm.contacts.models import Contact

from ...models import SETUP_SECTIONS, InteractionLogEntry, InteractionTemplate, InteractionTemplateSetup
from ..recording import interaction_defaults

EMAILS_EVENT = "emails"
OUTGOING_CALLS_EVENT = "outgoing_calls"
MEETING_INVITATIONS_EVENT = "meeting_invitations"

SUBJECT_MAX_LENGTH: int = InteractionLogEntry._meta.get_field("subject").max_length
DESCRIPTION_MAX_LENGTH: int = InteractionLogEntry._meta.get_field("description").max_length


def event_caption(event: str) -> str:
    """The event's caption on the setup page ("E-mails", "Outgoing calls", ...)."""
    for _section, events in SETUP_SECTIONS:
        for name, caption in events:
            if name == event:
                return str(caption)
    raise ValueError(f"unknown interaction template setup event {event!r}")


def setup_template(event: str) -> InteractionTemplate | None:
    """The template that records `event`, or None when the setup records nothing for it."""
    return InteractionTemplateSetup.template_for(event)


def no_template_reason(event: str) -> str:
    """Why nothing was recorded, to follow "No interaction was recorded: "."""
    return _("the interaction template setup has no template for %(event)s.") % {"event": event_caption(event)}


def not_recorded_message(reason: str) -> str:
    return _("No interaction was recorded: %(reason)s") % {"reason": reason}


def automatic_entry(
    *,
    template: InteractionTemplate,
    contact: Contact,
    user,
    correspondence_type: str,
    contact_via: str,
    subject: str = "",
    **values: Any,
) -> InteractionLogEntry:
    """A new, unsaved log entry for an event recorded with `template`: the template's and the
    contact's defaults (the rules of services.recording), dated now, with the
    correspondence type and the address or number the event used; `values` override."""
    defaults = interaction_defaults(template=template, contact=contact, user=user)
    defaults.update(correspondence_type=correspondence_type, contact_via=contact_via[:80])
    now = timezone.localtime()
    fields = {
        **defaults,
        "contact": contact,
        "contact_company_id": contact.company_or_self_id,
        "template": template,
        "date": now.date(),
        "time": now.time().replace(microsecond=0),
        "subject": subject.strip()[:SUBJECT_MAX_LENGTH],
        "user": user if user is not None and user.is_authenticated else None,
        **values,
    }
    fields["description"] = (fields.get("description") or template.description)[:DESCRIPTION_MAX_LENGTH]
    return InteractionLogEntry(**fields)


def aware_start(*, date: datetime.date, time: datetime.time) -> datetime.datetime:
    """A date and time as entered on a page (in the current time zone), made aware."""
    return timezone.make_aware(datetime.datetime.combine(date, time))


@dataclasses.dataclass(frozen=True)
class RecordingOutcome:
    """The entries an action recorded, or why it recorded none."""

    entries: tuple[InteractionLogEntry, ...] = ()
    not_recorded_reason: str = ""

    @property
    def recorded(self) -> bool:
        return bool(self.entries)
