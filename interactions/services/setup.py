"""Setting up interactions from the module's pages: groups, templates with their languages
and attachments, and the template setup.

The forms of interactions/forms/setup.py validate, exactly as they do in the Django admin; these
functions check the user's permission (a view checks too, but a service never trusts its
caller) and write, each in one transaction.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..forms.setup import (
    BaseInteractionTemplateLanguageFormSet,
    InteractionGroupForm,
    InteractionTemplateForm,
    InteractionTemplateSetupForm,
)
from ..models import InteractionGroup, InteractionTemplate, InteractionTemplateSetup, Segment, SegmentLine
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


class TemplateInUse(ValidationError):
    """The template is still used (log entries, segments, the template setup) and so cannot
    be deleted; `messages` say what uses it and what to do."""


def _require_valid(*forms) -> None:
    if not all(form.is_valid() for form in forms):
        raise ValueError("only valid forms can be saved")


@transaction.atomic
def save_group(*, form: InteractionGroupForm, user) -> InteractionGroup:
    require_permission(user, CHANGE_GROUP if form.instance.pk else ADD_GROUP)
    _require_valid(form)
    return form.save()


@transaction.atomic
def save_template(
    *, form: InteractionTemplateForm, languages: BaseInteractionTemplateLanguageFormSet, user
) -> InteractionTemplate:
    """Save a template with its language rows and their attachments, all or nothing.

    The language rows are part of the template (as in the admin's inline), so the
    template's add or change permission covers them. `languages` must be bound to
    `form.instance`, so that its rule "the default language must have a row" sees the
    default language being saved.
    """
    require_permission(user, CHANGE_TEMPLATE if form.instance.pk else ADD_TEMPLATE)
    if languages.instance is not form.instance:
        raise ValueError("the language rows must belong to the template being saved")
    _require_valid(form, languages)
    template = form.save()
    languages.save()
    return template


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
    """Delete a template and its language rows; refuses (TemplateInUse) while anything
    uses it. The foreign keys are PROTECT, so a use that appears between the check and
    the DELETE is refused by the database too, with the same exception."""
    require_permission(user, DELETE_TEMPLATE)
    reasons = template_deletion_blockers(template)
    if reasons:
        raise TemplateInUse(reasons, code="template_in_use")
    try:
        template.delete()
    except ProtectedError as error:
        raise TemplateInUse(
            _("Template %(code)s is still in use, so it cannot be deleted.") % {"code": template.code},
            code="template_in_use",
        ) from error


@transaction.atomic
def save_template_setup(*, form: InteractionTemplateSetupForm, user) -> InteractionTemplateSetup:
    """Save the template setup; the form (through the model) has refused templates with
    language rows."""
    require_permission(user, CHANGE_SETUP)
    _require_valid(form)
    return form.save()
