"""Outgoing phone calls: the numbers to dial, and the call recorded with the template
"Outgoing calls" of the setup (contact via = the number called)."""

import dataclasses
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.contacts.models import Contact

from ...models import Evaluation
from ...permissions import RECORD, require_permission
from .. import summaries, webhooks
from ..recording import lock_template_for_recording
from .automatic_entries import (
    OUTGOING_CALLS_EVENT,
    RecordingOutcome,
    automatic_entry,
    no_template_reason,
    setup_template,
)

# What a tel: URI keeps of a number as people write it ("+7 (495) 123-45-67"): digits, the
# leading plus, and the pause and extension marks of RFC 3966.
_NOT_DIALLED = re.compile(r"[^0-9+*#,;]")


@dataclasses.dataclass(frozen=True)
class PhoneNumber:
    label: str
    number: str

    @property
    def tel_uri(self) -> str:
        return tel_uri(self.number)


def tel_uri(number: str) -> str:
    """The `tel:` link that makes a phone, softphone or mobile browser dial `number`."""
    return "tel:" + _NOT_DIALLED.sub("", number)


MOBILE_LABEL = gettext_lazy("Mobile phone")
PHONE_LABEL = gettext_lazy("Phone")
SEGMENT_LINE_LABEL = gettext_lazy("Number on the segment line")


def numbers_to_dial(contact: Contact, *, segment_line_number: str = "") -> list[PhoneNumber]:
    """The contact's numbers, the one a segment line names first; each number once."""
    candidates = [
        (SEGMENT_LINE_LABEL, segment_line_number),
        (MOBILE_LABEL, contact.mobile),
        (PHONE_LABEL, contact.phone),
    ]
    numbers, seen = [], set()
    for label, number in candidates:
        number = (number or "").strip()
        if number and tel_uri(number) != "tel:" and number not in seen:
            seen.add(number)
            numbers.append(PhoneNumber(label=str(label), number=number))
    return numbers


@transaction.atomic
def record_phone_call(
    *,
    contact: Contact,
    phone_number: str,
    duration: int,
    successful: bool,
    description: str,
    evaluation: str,
    user,
    subject: str = "",
    segment_number: str = "",
) -> RecordingOutcome:
    """Record an outgoing call to `contact` on `phone_number` with the setup's template for
    outgoing calls; without one nothing is recorded and the outcome says why.
    `successful` False records the attempt as failed (it does not count as the contact's
    last interaction). Raises ValidationError (by field) for impossible values."""
    require_permission(user, RECORD)
    errors = {}
    if tel_uri(phone_number.strip()) == "tel:":
        errors["phone_number"] = _("Enter the number you called.")
    if duration < 0:
        errors["duration"] = _("The duration cannot be negative.")
    if evaluation not in Evaluation.values:
        errors["evaluation"] = _("Choose an evaluation from the list.")
    if errors:
        raise ValidationError(errors)
    template = setup_template(OUTGOING_CALLS_EVENT)
    if template is None:
        return RecordingOutcome(not_recorded_reason=no_template_reason(OUTGOING_CALLS_EVENT))
    lock_template_for_recording(template, field=None)
    entry = automatic_entry(
        template=template,
        contact=contact,
        user=user,
        # A call has no correspondence type: contact via is the number.
        correspondence_type="",
        contact_via=phone_number.strip(),
        subject=subject,
        description=description.strip(),
        duration=duration,
        attempt_failed=not successful,
        evaluation=evaluation,
        segment_number=segment_number.strip(),
    )
    entry.save(force_insert=True)
    summaries.entry_logged(entry)
    webhooks.announce_entries(webhooks.ENTRY_CREATED, [entry.entry_no])
    return RecordingOutcome(entries=(entry,))
