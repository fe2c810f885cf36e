"""Setting up interactions: groups, templates with their languages and attachments, and the
template setup.

Plain values in. The pages and the Django admin validate with the forms of
interactions/forms/setup.py (one definition for both) and pass what was entered; these
functions check the user's permission (a view checks too, but a service never trusts its
caller), keep the model's rules (a code in capitals without a slash, the default language's
row, no language rows on a template of the setup) and write, each in one transaction.
"""

import dataclasses
from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from crm.contacts.models import Campaign

from ..models import (
    SETUP_EVENTS,
    InteractionGroup,
    InteractionTemplate,
    InteractionTemplateLanguage,
    InteractionTemplateSetup,
    Segment,
    SegmentLine,
)
from ..permissions import (
    ADD_GROUP,
    ADD_TEMPLATE,
    CHANGE_GROUP,
    CHANGE_SETUP,
    CHANGE_TEMPLATE,
    DELETE_TEMPLATE,
    require_permission,
)
from ..selectors.setup import setup_events_recorded_by
from .attachments import (
    atomic_with_files,
    copy_attachment,
    delete_unused_attachments,
    store_attachment,
    store_upload,
)


class TemplateInUse(ValidationError):
    """The template is still used (log entries, segments, the template setup) and so cannot
    be deleted; `messages` say what uses it and what to do."""


def clean_code(value: str) -> str:
    """Codes of groups and templates are kept in capitals, as in the original, and appear in
    page addresses (/interactions/templates/<code>/), where a slash cannot stand."""
    value = value.strip().upper()
    if "/" in value:
        raise ValidationError(gettext_lazy("A code cannot contain a slash (/)."), code="code_with_slash")
    return value


@transaction.atomic
def save_group(*, code: str, description: str, user, group: InteractionGroup | None = None) -> InteractionGroup:
    """Create a group, or change `group`; returns the group saved (`group` itself when given)."""
    group = group if group is not None else InteractionGroup()
    require_permission(user, CHANGE_GROUP if group.pk else ADD_GROUP)
    group.code = clean_code(code)
    group.description = description
    group.full_clean()
    group.save()
    return group


@dataclasses.dataclass(frozen=True, kw_only=True)
class TemplateValues:
    """A template's own fields, by the names of the model (and of InteractionTemplateForm)."""

    code: str
    group: InteractionGroup
    description: str
    unit_cost: Decimal = Decimal("0")
    unit_duration: int = 0
    information_flow: str = ""
    initiated_by: str = ""
    campaign: Campaign | None = None
    campaign_target: bool = False
    campaign_response: bool = False
    correspondence_type: str = ""
    ignore_contact_correspondence_type: bool = False
    language_default: str = ""
    wizard_action: str = ""


@dataclasses.dataclass(frozen=True, kw_only=True)
class TemplateLanguageChange:
    """A change to one language row of a template: a new row (`id` None), a changed row, or
    (`delete`) a row to delete. `upload` replaces the row's attachment; without one,
    `copy_from` copies another row's, `create_text` creates a text attachment, and
    `remove_attachment` removes it. Rows that no change names stay as they are."""

    id: int | None = None
    language: str = ""
    description: str = ""
    merge_body: str = ""
    upload: File | None = None
    remove_attachment: bool = False
    delete: bool = False
    # "Create": a new text attachment with this text ("" a blank one), instead of an upload.
    create_text: str | None = None
    # "Copy from": a copy of the attachment of this language row (of any template).
    copy_from: int | None = None


def save_template(
    *,
    values: TemplateValues | None = None,
    languages: Sequence[TemplateLanguageChange] = (),
    user,
    template: InteractionTemplate | None = None,
) -> InteractionTemplate:
    """Create a template, or change `template` (`values` None: only its language rows),
    with its language rows and their attachments, all or nothing: the uploaded files of a
    refused save are deleted again. A replaced or removed attachment, or that of a deleted
    row, goes when nothing else uses it. Returns the template saved (`template` itself
    when given). Refuses (ValidationError) what the model refuses, and a default language
    without its row.

    The language rows are part of the template (as in the admin's inline), so the
    template's add or change permission covers them."""
    template = template if template is not None else InteractionTemplate()
    require_permission(user, CHANGE_TEMPLATE if template.pk else ADD_TEMPLATE)
    if values is None and template.pk is None:
        raise ValueError("a new template needs its values")
    with atomic_with_files():
        if values is not None:
            for field in dataclasses.fields(values):
                setattr(template, field.name, getattr(values, field.name))
            template.code = clean_code(template.code)
            template.full_clean()
            template.save()
        released = _save_languages(template=template, changes=languages)
        template.check_default_language(template.languages.values_list("language", flat=True))
        delete_unused_attachments(attachment_ids=released)
    return template


def _save_languages(*, template: InteractionTemplate, changes: Sequence[TemplateLanguageChange]) -> set[int]:
    """Apply `changes` to the template's language rows; returns the ids of the attachments
    the rows no longer use."""
    ids = {change.id for change in changes if change.id is not None}
    rows = {row.pk: row for row in InteractionTemplateLanguage.objects.filter(template=template, pk__in=ids)}
    if set(rows) != ids:
        raise ValueError(f"language rows {sorted(ids - set(rows))} are not rows of template {template.code}")
    released = set()
    # Deleted rows first: a row may take the language of one deleted in the same save.
    for change in changes:
        if change.delete and change.id is not None:
            row = rows[change.id]
            if row.attachment_id:
                released.add(row.attachment_id)
            row.delete()
    for change in changes:
        if change.delete:
            continue
        row = rows[change.id] if change.id is not None else InteractionTemplateLanguage(template=template)
        previous = row.attachment_id
        row.language, row.description, row.merge_body = change.language, change.description, change.merge_body
        if change.upload is not None:
            row.attachment = store_upload(change.upload)
        elif change.copy_from is not None:
            row.attachment = _copied_attachment(change.copy_from)
        elif change.create_text is not None:
            row.attachment = store_attachment(
                content=change.create_text.encode(),
                file_name=f"{template.code}-{change.language or 'default'}.txt",
                content_type="text/plain; charset=utf-8",
            )
        elif change.remove_attachment:
            row.attachment = None
        # The field rules and "no language rows on a template of the setup"; the database
        # keeps one row per language.
        row.full_clean(exclude=["template", "attachment"], validate_unique=False, validate_constraints=False)
        row.save()
        if previous and previous != row.attachment_id:
            released.add(previous)
    return released


def _copied_attachment(row_id: int):
    source = (
        InteractionTemplateLanguage.objects.select_related("attachment", "template")
        .filter(pk=row_id, attachment__isnull=False)
        .first()
    )
    if source is None:
        raise ValidationError(_("The language row to copy from has no attachment."), code="no_attachment_to_copy")
    return copy_attachment(attachment=source.attachment)


def template_deletion_blockers(template: InteractionTemplate) -> list[str]:
    """Why `template` cannot be deleted, one sentence per reason; empty when it can.

    Log entries are never deleted with their template: the history stays. Canceled
    entries leave with the purge, after which the template can go."""
    reasons = []
    entries = template.log_entries.count()
    if entries:
        reasons.append(
            ngettext(
                "Template %(code)s has %(count)s interaction log entry, so it cannot be deleted: "
                "the log keeps its history. Keep the template, or cancel the entry and delete "
                "it with the purge of canceled entries first.",
                "Template %(code)s has %(count)s interaction log entries, so it cannot be deleted: "
                "the log keeps its history. Keep the template, or cancel the entries and delete "
                "them with the purge of canceled entries first.",
                entries,
            )
            % {"code": template.code, "count": entries}
        )
    events = setup_events_recorded_by(template)
    if events:
        reasons.append(
            _(
                "Template %(code)s records automatic interactions (%(events)s): choose another "
                "template for them in the interaction template setup first."
            )
            % {"code": template.code, "events": ", ".join(f"{e.section}: {e.caption}" for e in events)}
        )
    if Segment.objects.filter(template=template).exists() or SegmentLine.objects.filter(template=template).exists():
        reasons.append(
            _("Template %(code)s is used by segments: change their template first.") % {"code": template.code}
        )
    return reasons


@transaction.atomic
def delete_template(*, template: InteractionTemplate, user) -> None:
    """Delete a template and its language rows, and their attachments when nothing else
    uses them; refuses (TemplateInUse) while anything uses the template.

    The template's row is locked first (FOR UPDATE), so the check holds until the DELETE
    commits: an interaction being recorded with the template holds it too
    (`recording.lock_template_for_recording`), so this waits for that entry to commit and
    then counts it, and a recording that starts now waits for this deletion and then
    refuses. (The log's foreign key is checked at commit, so without the lock an entry
    committed between the check and the DELETE would fail the deletion at its commit, and
    an entry begun before the DELETE would fail the recording at its.) The foreign keys are
    PROTECT, so a use the check missed is refused with the same exception."""
    require_permission(user, DELETE_TEMPLATE)
    if not list(InteractionTemplate.objects.select_for_update().filter(pk=template.pk).values_list("pk", flat=True)):
        return  # deleted meanwhile
    reasons = template_deletion_blockers(template)
    if reasons:
        raise TemplateInUse(reasons, code="template_in_use")
    attachment_ids = set(template.languages.filter(attachment__isnull=False).values_list("attachment_id", flat=True))
    try:
        template.delete()
    except ProtectedError as error:
        raise TemplateInUse(
            _("Template %(code)s is still in use, so it cannot be deleted.") % {"code": template.code},
            code="template_in_use",
        ) from error
    delete_unused_attachments(attachment_ids=attachment_ids)


@transaction.atomic
def save_template_setup(
    *, templates_by_event: Mapping[str, InteractionTemplate | int | None], user
) -> InteractionTemplateSetup:
    """Choose the template (or its id; None: "do not record") that records each event named
    (SETUP_EVENTS); events not named keep theirs. Refuses (ValidationError, by event) a
    template with language rows."""
    require_permission(user, CHANGE_SETUP)
    unknown = set(templates_by_event) - set(SETUP_EVENTS)
    if unknown:
        raise ValueError(f"unknown interaction template setup events: {sorted(unknown)}")
    setup = InteractionTemplateSetup.load()
    for event, template in templates_by_event.items():
        setattr(setup, f"{event}_id", template.pk if isinstance(template, InteractionTemplate) else template)
    # The rule "no template with language rows" (the model's clean); the database checks
    # that the templates exist.
    setup.full_clean(exclude=SETUP_EVENTS)
    setup.save(update_fields=list(templates_by_event))
    return setup
