"""Recording an interaction by hand: the rules that fill a new interaction from its template,
its contact and the user (pure functions, used by the form and by the services alike), and
the writes: record an interaction, complete or update a postponed one, delete a postponed one.

Rules of the reference ("Creating an interaction by hand"), one place each:
- template defaults: group, description, cost, duration, flow, initiated by, campaign and
  its flags, correspondence type;
- language: the contact's when the template has a row for it, else the template's default;
- correspondence type: the template's when it ignores the contact's; otherwise the
  contact's; if the contact has none, the template's;
- salesperson: the user's, else the contact's;
- content by the template's wizard action: open = the template language's attachment
  (shared, not copied), import = an uploaded file, merge = the language's merge body
  filled with the contact's and salesperson's data, stored as a UTF-8 text file.
"""

import contextlib
import dataclasses
import datetime
import logging
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import formats, timezone, translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.contacts.models import Campaign, Contact, CorrespondenceType, Salesperson

from ..models import (
    Attachment,
    InteractionComment,
    InteractionLogEntry,
    InteractionTemplate,
    InteractionTemplateLanguage,
    WizardAction,
)
from ..permissions import ADD_ATTACHMENTS, RECORD, owner_lookups, require_may_act_on_entry, require_permission
from . import summaries, webhooks
from .attachments import atomic_with_files, delete_unused_attachments, store_attachment, store_upload
from .log_entries import add_comment
from .sql import lock_for_key_share

logger = logging.getLogger(__name__)

CONTACT_VIA_MAX_LENGTH: int = InteractionLogEntry._meta.get_field("contact_via").max_length


# --- Rules -----------------------------------------------------------------------------


def resolve_language(*, contact_language: str, template_languages: Iterable[str], default_language: str) -> str:
    """The contact's language when the template has a language row for it, else the
    template's default language."""
    if contact_language and contact_language in set(template_languages):
        return contact_language
    return default_language


def resolve_correspondence_type(*, contact_type: str, template_type: str, ignore_contact_type: bool) -> str:
    """The template's when it ignores the contact's; otherwise the contact's; if the contact
    has none, the template's."""
    if ignore_contact_type:
        return template_type
    return contact_type or template_type


def contact_via_for(*, correspondence_type: str, contact: Contact) -> str:
    """Where the interaction goes for its correspondence type: the e-mail address, the fax
    number, the postal address; without a type (calls, meetings) the phone number."""
    if correspondence_type == CorrespondenceType.EMAIL:
        via = contact.email
    elif correspondence_type == CorrespondenceType.FAX:
        via = contact.fax
    elif correspondence_type == CorrespondenceType.HARD_COPY:
        via = ", ".join(part for part in (contact.address, contact.post_code, contact.city) if part)
    else:
        via = contact.mobile or contact.phone
    return via[:CONTACT_VIA_MAX_LENGTH]


def user_salesperson(user) -> Salesperson | None:
    """The salesperson linked to the user's login, if any."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    # The reverse one-to-one raises when no salesperson is linked; its exception is an
    # AttributeError, which getattr turns into the default.
    return getattr(user, "salesperson", None)


def default_salesperson(*, user, contact: Contact | None) -> Salesperson | None:
    """The user's salesperson, else the contact's."""
    return user_salesperson(user) or (contact.salesperson if contact is not None else None)


def template_language_codes(template: InteractionTemplate) -> list[str]:
    # .all() so that a prefetch of the template's languages is used.
    return [row.language for row in template.languages.all()]


def interaction_defaults(*, template: InteractionTemplate | None, contact: Contact | None, user) -> dict[str, Any]:
    """The values a new interaction takes from its template, its contact and the user, by
    the field names of the log entry. Only what can be decided is returned: without a
    template there are no template defaults, without a contact no contact via."""
    defaults: dict[str, Any] = {}
    if template is not None:
        defaults.update(
            group=template.group,
            description=template.description,
            cost=template.unit_cost,
            duration=template.unit_duration,
            information_flow=template.information_flow,
            initiated_by=template.initiated_by,
            campaign=template.campaign,
            campaign_target=template.campaign_target,
            campaign_response=template.campaign_response,
            language=resolve_language(
                contact_language=contact.language if contact is not None else "",
                template_languages=template_language_codes(template),
                default_language=template.language_default,
            ),
            correspondence_type=resolve_correspondence_type(
                contact_type=contact.correspondence_type if contact is not None else "",
                template_type=template.correspondence_type,
                ignore_contact_type=template.ignore_contact_correspondence_type,
            ),
        )
    elif contact is not None:
        defaults["correspondence_type"] = contact.correspondence_type
    if contact is not None:
        defaults["contact_via"] = contact_via_for(correspondence_type=defaults["correspondence_type"], contact=contact)
    salesperson = default_salesperson(user=user, contact=contact)
    if salesperson is not None:
        defaults["salesperson"] = salesperson
    return defaults


def template_language_row(*, template: InteractionTemplate, language: str) -> InteractionTemplateLanguage | None:
    """The template's row for `language`, else its default language's row."""
    return template.language_row(language)


# The placeholders a merge body may use, each with what fills it. A whitelist: a body is
# text that an administrator typed, so it is never given to str.format or to the template
# engine (which would reach attributes and methods of whatever they are given).
MERGE_PLACEHOLDERS = {
    "{contact.number}": gettext_lazy("the contact's number"),
    "{contact.name}": gettext_lazy("the contact's name"),
    "{contact.company_name}": gettext_lazy("the name of the contact's company (for a company, its own name)"),
    "{contact.job_title}": gettext_lazy("the contact's job title"),
    "{contact.address}": gettext_lazy("the contact's address"),
    "{contact.address_2}": gettext_lazy("the contact's address 2"),
    "{contact.post_code}": gettext_lazy("the contact's post code"),
    "{contact.city}": gettext_lazy("the contact's city"),
    "{contact.country}": gettext_lazy("the contact's country/region code"),
    "{contact.email}": gettext_lazy("the contact's e-mail"),
    "{contact.phone}": gettext_lazy("the contact's phone"),
    "{contact.mobile}": gettext_lazy("the contact's mobile phone"),
    "{salesperson.name}": gettext_lazy("the salesperson's name"),
    "{salesperson.email}": gettext_lazy("the salesperson's e-mail"),
    "{salesperson.phone}": gettext_lazy("the salesperson's phone"),
    "{date}": gettext_lazy("the date of the interaction"),
}
# Anything that looks like a placeholder; those not in the whitelist stay as they are.
_PLACEHOLDER = re.compile(r"\{[A-Za-z0-9_.]*\}")


def merge_values(
    *,
    contact: Contact,
    salesperson: Salesperson | None,
    date: datetime.date,
    language: str = "",
    date_text: str | None = None,
) -> dict[str, str]:
    """What each whitelisted placeholder stands for, as plain text. `date_text`: the date as
    `merge_date_text` writes it, when the caller merges many letters of one date."""
    company_name = contact.name if contact.is_company else (contact.company.name if contact.company_id else "")
    if date_text is None:
        date_text = merge_date_text(date, language)
    return {
        "{contact.number}": contact.number,
        "{contact.name}": contact.name,
        "{contact.company_name}": company_name,
        "{contact.job_title}": contact.job_title,
        "{contact.address}": contact.address,
        "{contact.address_2}": contact.address_2,
        "{contact.post_code}": contact.post_code,
        "{contact.city}": contact.city,
        "{contact.country}": contact.country,
        "{contact.email}": contact.email,
        "{contact.phone}": contact.phone,
        "{contact.mobile}": contact.mobile,
        "{salesperson.name}": salesperson.name if salesperson else "",
        "{salesperson.email}": salesperson.email if salesperson else "",
        "{salesperson.phone}": salesperson.phone if salesperson else "",
        "{date}": date_text,
    }


def merge_date_text(date: datetime.date, language: str = "") -> str:
    """The date as it is written in the letter's language (Django's date format for that
    language), else in the language of the page."""
    with translation.override(language) if language else contextlib.nullcontext():
        return formats.date_format(date, "DATE_FORMAT")


def merge_template_body(
    *, body: str, contact: Contact, salesperson: Salesperson | None, date: datetime.date, language: str = ""
) -> str:
    """The merge body with each whitelisted placeholder replaced by the contact's or the
    salesperson's data; unknown placeholders stay as they are. One pass over the body: a
    value that itself looks like a placeholder (a contact named "{salesperson.email}") is
    not replaced again."""
    values = merge_values(contact=contact, salesperson=salesperson, date=date, language=language)
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(0), match.group(0)), body)


# --- Writes ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class InteractionDetails:
    """What the user entered for an interaction. Values left empty on a postponed one
    (`None`, "") are filled from the template when it is stored."""

    contact: Contact
    template: InteractionTemplate
    salesperson: Salesperson | None = None
    date: datetime.date | None = None
    time: datetime.time | None = None
    description: str = ""
    subject: str = ""
    language: str = ""
    correspondence_type: str = ""
    contact_via: str = ""
    information_flow: str = ""
    initiated_by: str = ""
    evaluation: str = ""
    attempt_failed: bool = False
    cost: Decimal | None = None
    duration: int | None = None
    campaign: Campaign | None = None
    campaign_target: bool = False
    campaign_response: bool = False
    opportunity_number: str = ""
    segment_number: str = ""
    # The content step: the uploaded file (import) or the reviewed merge text (merge).
    upload: UploadedFile | None = None
    merged_text: str = ""
    first_comment: str = ""


def _check_complete(details: InteractionDetails) -> None:
    """The reference's required fields, for an interaction that is not postponed."""
    errors = {}
    if details.salesperson is None:
        errors["salesperson"] = _("Choose a salesperson.")
    if details.date is None:
        errors["date"] = _("Enter the date of the interaction.")
    if not details.description.strip():
        errors["description"] = _("Enter a description.")
    if errors:
        raise ValidationError(errors)


def _merged_file_name(details: InteractionDetails, date: datetime.date) -> str:
    return get_valid_filename(f"{details.template.code}-{details.contact.number}-{date.isoformat()}.txt")


def _attachment_text(attachment: Attachment, limit: int = 1024 * 1024) -> str | None:
    """The text of a stored text attachment, or None when it cannot be read as such."""
    try:
        with attachment.file.open("rb") as handle:
            content = handle.read(limit + 1)
    except OSError:
        return None
    if len(content) > limit:
        return None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _normalized_text(text: str) -> str:
    # Browsers send the lines of a text area separated by CR LF.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _content_attachment(
    *,
    details: InteractionDetails,
    language: str,
    date: datetime.date,
    current: Attachment | None,
    postponed: bool,
    user,
) -> Attachment | None:
    """The entry's attachment by the template's wizard action; `current` is the attachment
    that a resumed postponed entry has already. Call inside `atomic_with_files`: a refused
    interaction leaves no file behind."""
    action = details.template.wizard_action
    if action == WizardAction.OPEN:
        # The template's own file, shared by every entry that opens it: never copied.
        row = template_language_row(template=details.template, language=language)
        return row.attachment if row is not None else None
    if action == WizardAction.IMPORT:
        if details.upload is not None:
            require_permission(user, ADD_ATTACHMENTS)
            try:
                return store_upload(details.upload)
            except ValidationError as refused:
                raise ValidationError({"upload": refused}) from None
        if current is not None:
            return current
        if postponed:
            return None
        raise ValidationError(
            {"upload": _("This template imports a file: choose the file to attach.")}, code="import_required"
        )
    if action == WizardAction.MERGE:
        text = _normalized_text(details.merged_text)
        if not text.strip():
            return None
        if current is not None and _attachment_text(current) == text:
            return current  # resumed and not edited: keep the file it has
        require_permission(user, ADD_ATTACHMENTS)
        return store_attachment(
            content=text.encode("utf-8"),
            file_name=_merged_file_name(details, date),
            content_type="text/plain; charset=utf-8",
        )
    return None


def _entry_values(*, details: InteractionDetails, postponed: bool) -> dict[str, Any]:
    """The columns of the log entry, with the template's values where a postponed
    interaction left a field empty."""
    template = details.template
    description = details.description.strip() or (template.description if postponed else "")
    now = timezone.localtime()
    cost = details.cost if details.cost is not None else template.unit_cost
    duration = details.duration if details.duration is not None else template.unit_duration
    if cost < 0:
        raise ValidationError({"cost": _("The cost cannot be negative.")})
    if duration < 0:
        raise ValidationError({"duration": _("The duration cannot be negative.")})
    return {
        "contact": details.contact,
        "contact_company_id": details.contact.company_or_self_id,
        "date": details.date or now.date(),
        "time": details.time,
        "description": description,
        "subject": details.subject.strip(),
        "information_flow": details.information_flow,
        "initiated_by": details.initiated_by,
        "template": template,
        "group_id": template.group_id,
        "language": details.language,
        "cost": cost,
        "duration": duration,
        "salesperson": details.salesperson,
        "campaign": details.campaign,
        "campaign_target": details.campaign_target,
        "campaign_response": details.campaign_response,
        "segment_number": details.segment_number.strip(),
        "evaluation": details.evaluation,
        "attempt_failed": details.attempt_failed,
        "correspondence_type": details.correspondence_type,
        "contact_via": details.contact_via.strip()[:CONTACT_VIA_MAX_LENGTH],
        "opportunity_number": details.opportunity_number.strip(),
        "postponed": postponed,
    }


def lock_template_for_recording(template: InteractionTemplate, *, field: str | None = "template") -> None:
    """Hold `template` until the entry recorded with it commits (`sql.lock_for_key_share`):
    deleting the template meanwhile waits for the entry and is then refused (the template
    is in use), and a deletion that came first makes the recording refuse with a clear
    message (ValidationError, on `field`) instead of the entry failing at its commit (the
    log's foreign key to the template is checked at commit). Call it inside the
    recording's transaction, before the entry is written."""
    if not lock_for_key_share(InteractionTemplate, template.pk):
        message = _(
            "Interaction template %(code)s has just been deleted, so nothing was recorded with it: "
            "choose another template."
        ) % {"code": template.code}
        raise ValidationError({field: message} if field else message, code="template_deleted")


def _add_first_comment(*, entry: InteractionLogEntry, details: InteractionDetails, user) -> None:
    if details.first_comment.strip():
        add_comment(entry=entry, text=details.first_comment, user=user, date=entry.date)


def record_interaction(*, details: InteractionDetails, user, postpone: bool = False) -> InteractionLogEntry:
    """Record an interaction by hand: the entry, its attachment and its first comment, all
    or nothing. With `postpone` it is saved as a postponed interaction ("finish later"):
    only the contact and the template are needed then, the description defaults to the
    template's."""
    require_permission(user, RECORD)
    if not postpone:
        _check_complete(details)
    with atomic_with_files():
        lock_template_for_recording(details.template)
        values = _entry_values(details=details, postponed=postpone)
        attachment = _content_attachment(
            details=details,
            language=values["language"],
            date=values["date"],
            current=None,
            postponed=postpone,
            user=user,
        )
        entry = InteractionLogEntry.objects.create(
            **values, attachment=attachment, user=user if user is not None and user.is_authenticated else None
        )
        _add_first_comment(entry=entry, details=details, user=user)
        if not postpone:
            summaries.entry_logged(entry)
            webhooks.announce_entries(webhooks.ENTRY_CREATED, [entry.entry_no])
    return entry


class PostponedInteractionGone(Exception):
    """The interaction is no longer postponed (completed or deleted meanwhile)."""


def _lock_postponed(*, entry: InteractionLogEntry, user) -> InteractionLogEntry:
    locked = (
        InteractionLogEntry.objects.select_for_update(of=("self",))
        .select_related("attachment")
        .filter(entry_no=entry.entry_no, postponed=True)
        .first()
    )
    if locked is None:
        raise PostponedInteractionGone(entry.entry_no)
    # A postponed interaction belongs to the user who saved it (the owner rule).
    require_may_act_on_entry(user=user, entry=locked)
    return locked


def _save_postponed(*, entry: InteractionLogEntry, details: InteractionDetails, user, postponed: bool):
    require_permission(user, RECORD)
    if not postponed:
        _check_complete(details)
    with atomic_with_files():
        locked = _lock_postponed(entry=entry, user=user)
        lock_template_for_recording(details.template)
        values = _entry_values(details=details, postponed=postponed)
        previous = locked.attachment
        attachment = _content_attachment(
            details=details,
            language=values["language"],
            date=values["date"],
            current=previous,
            postponed=postponed,
            user=user,
        )
        values["attachment"] = attachment
        # `postponed=True` in the UPDATE itself: of two tabs completing the same entry,
        # only one turns it into a normal entry.
        changed = InteractionLogEntry.objects.filter(entry_no=locked.entry_no, postponed=True).update(**values)
        if not changed:
            raise PostponedInteractionGone(entry.entry_no)
        if previous is not None and previous != attachment:
            delete_unused_attachments(attachment_ids={previous.pk})
        updated = InteractionLogEntry.objects.select_related("contact", "attachment").get(pk=locked.entry_no)
        _add_first_comment(entry=updated, details=details, user=user)
        if not postponed:
            summaries.entry_logged(updated)
            webhooks.announce_entries(webhooks.ENTRY_CREATED, [updated.entry_no])
    return updated


def complete_postponed_interaction(*, entry: InteractionLogEntry, details: InteractionDetails, user):
    """Turn a postponed interaction into a normal one with the values entered now: same
    entry number, postponed switched off. Raises PostponedInteractionGone when it was
    completed or deleted meanwhile."""
    return _save_postponed(entry=entry, details=details, user=user, postponed=False)


def update_postponed_interaction(*, entry: InteractionLogEntry, details: InteractionDetails, user):
    """Save a postponed interaction again with "finish later": it keeps the values entered now."""
    return _save_postponed(entry=entry, details=details, user=user, postponed=True)


def _field(name: str):
    return InteractionLogEntry._meta.get_field(name)


@transaction.atomic
def delete_postponed_interaction(*, entry: InteractionLogEntry, user) -> bool:
    """Delete a postponed interaction with its comments, and its attachment when nothing
    else uses it. Only a postponed entry can go this way: the condition is part of the
    DELETE statement itself, so an entry completed a moment before stays. Returns whether
    it was deleted."""
    require_permission(user, RECORD)
    try:
        locked = _lock_postponed(entry=entry, user=user)
    except PostponedInteractionGone:
        return False
    # The owner rule is part of the statement too: a user deletes only what it allows.
    lookups = {"entry_no": locked.entry_no, "postponed": True, **owner_lookups(user)}
    conditions = [f"{connection.ops.quote_name(_field(name).column)} = %s" for name in lookups]
    params = list(lookups.values())
    InteractionComment.objects.filter(entry_id=locked.entry_no).delete()
    table = connection.ops.quote_name(InteractionLogEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {' AND '.join(conditions)}", params)
        deleted = cursor.rowcount == 1
    if not deleted:
        # Cannot happen under the row lock; if it did, keep the comments too.
        transaction.set_rollback(True)
        return False
    if locked.attachment_id:
        delete_unused_attachments(attachment_ids={locked.attachment_id})
    return True


def stored_merge_text(entry: InteractionLogEntry) -> str:
    """The merge text a postponed entry keeps in its attachment ("" when it has none)."""
    if entry.attachment_id is None:
        return ""
    return _attachment_text(entry.attachment) or ""
