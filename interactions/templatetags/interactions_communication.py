"""Template helpers for the e-mail, call and meeting actions on pages of other parts."""

from django import template

from crm.contacts.models import CorrespondenceType

from ..models import InteractionLogEntry
from ..permissions import RECORD, may_act_on_entry
from ..services.communication import drafts, resend
from ..services.communication.emails import EML_CONTENT_TYPE, can_resend

register = template.Library()


@register.filter
def can_be_resent_by(entry: InteractionLogEntry, user) -> bool:
    """Whether `user` sees "Resend" on `entry`: an e-mail not (yet) delivered, that the user
    sent or, for a sales manager, anyone sent."""
    return (
        can_resend(entry)
        and entry.attachment is not None
        and entry.attachment.content_type == EML_CONTENT_TYPE
        and user.has_perm(RECORD)
        and may_act_on_entry(user=user, entry=entry)
    )


@register.filter
def can_be_sent_by_email_by(entry: InteractionLogEntry, user) -> bool:
    """Whether `user` sees "Send by e-mail" on `entry` (an interaction by e-mail)."""
    return entry.correspondence_type == CorrespondenceType.EMAIL and not entry.postponed and user.has_perm(RECORD)


@register.filter
def can_be_reopened_by(entry: InteractionLogEntry, user) -> bool:
    """Whether `user` sees "Reopen draft" on `entry`: an open e-mail draft of the user's
    (or, for a sales manager, anyone's)."""
    return drafts.is_open_draft(entry) and user.has_perm(RECORD) and may_act_on_entry(user=user, entry=entry)


@register.filter
def attachment_can_be_resent_by(entry: InteractionLogEntry, user) -> bool:
    """Whether `user` sees "Resend by e-mail" on `entry` (services.communication.resend)."""
    return resend.may_resend(entry=entry, user=user)
