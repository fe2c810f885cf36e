"""Segment recipes, as in the original: "Save criteria" keeps a segment's whole sequence of
criteria steps (add, reduce, refine, reuse segment) with their criteria and options, in
order; "Reuse criteria" replays such a recipe on a segment in one action; "Reuse segment"
adds the contacts of a logged segment to a segment.

Every step goes through the same services as a step taken by hand (`services.segments`),
so a replayed step is recorded like any other and "go back" undoes it, one at a time."""

import dataclasses
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.contacts.models import Contact

from ..models import (
    InteractionLogEntry,
    LoggedSegment,
    SavedSegmentCriteria,
    Segment,
    SegmentAction,
    SegmentCriteriaStep,
    SegmentLine,
)
from ..permissions import ADD_SEGMENT, ADD_SEGMENT_LINES, CHANGE_SEGMENT, SAVE_CRITERIA, require_permission
from ..selectors.segment_recipes import describe_step
from ..selectors.segments import SegmentCriteria, SegmentOptions
from . import segments as segment_services
from .segments import (
    CONTACT_COLUMNS,
    ID_BATCH,
    StepResult,
    ids_of_new_lines,
    languages_of_template,
    new_line,
    refuse_if_logged,
)


def _checked_code(code: str) -> str:
    code = code.strip().upper()
    if not code:
        raise ValidationError(_("Enter a code for the criteria."), code="blank_code")
    if len(code) > SavedSegmentCriteria._meta.get_field("code").max_length:
        raise ValidationError(_("The code is too long (20 characters at most)."), code="long_code")
    if SavedSegmentCriteria.objects.filter(code=code).exists():
        raise ValidationError(
            _("Criteria with the code %(code)s already exist: choose another code."),
            params={"code": code},
            code="duplicate_code",
        )
    return code


@transaction.atomic
def save_recipe(*, segment: Segment, code: str, description: str, user) -> SavedSegmentCriteria:
    """Save the segment's criteria steps, all of them in order with their options, under
    `code` (the original's SaveCriteria). A segment without steps has nothing to save."""
    require_permission(user, SAVE_CRITERIA)
    code = _checked_code(code)
    steps = list(SegmentCriteriaStep.objects.filter(segment=segment).order_by("step"))
    if not steps:
        raise ValidationError(
            _("Segment %(number)s has no criteria steps to save."), params={"number": segment.number}, code="no_steps"
        )
    saved = SavedSegmentCriteria.objects.create(code=code, description=description.strip(), created_by=user)
    saved.steps.bulk_create(
        [
            saved.steps.model(
                saved_criteria=saved, step=number, action=step.action, criteria=step.criteria, options=step.options
            )
            for number, step in enumerate(steps, start=1)
        ]
    )
    return saved


@dataclasses.dataclass(frozen=True)
class ReplayedStep:
    """What one step of a replayed recipe did to the segment."""

    number: int  # the step's number in the recipe
    action: str
    label: str  # the action, as the user reads it
    criteria: str  # the criteria and options, in words
    added: int
    removed: int


def _replay_step(*, segment: Segment, action: str, criteria: dict[str, Any], options: dict[str, Any], user):
    if action == SegmentAction.REUSE_LOGGED:
        logged_segment = LoggedSegment.objects.filter(pk=criteria.get("logged_segment")).first()
        if logged_segment is None:
            raise ValidationError(
                _("Logged segment %(number)s no longer exists."),
                params={"number": criteria.get("logged_segment")},
                code="no_logged_segment",
            )
        return reuse_logged_segment(segment=segment, logged_segment=logged_segment, user=user)
    step_services = {
        SegmentAction.ADD: segment_services.add_contacts,
        SegmentAction.REDUCE: segment_services.reduce_contacts,
        SegmentAction.REFINE: segment_services.refine_contacts,
    }
    if action not in step_services:
        raise ValueError(f"unknown segment action {action!r}")
    return step_services[action](
        segment=segment,
        criteria=SegmentCriteria.from_dict(criteria),
        options=SegmentOptions.from_dict(options),
        user=user,
    )


@transaction.atomic
def replay_recipe(*, segment: Segment, saved: SavedSegmentCriteria, user) -> list[ReplayedStep]:
    """Apply the saved steps to `segment`, in order, as one action (the original's
    ReuseCriteria): all of them or, when one is refused, none. Each becomes a step of the
    segment, so "go back" undoes them one by one. Returns what each step did."""
    require_permission(user, CHANGE_SEGMENT)
    steps = list(saved.steps.order_by("step"))
    if not steps:
        raise ValidationError(_("The criteria %(code)s have no steps."), params={"code": saved.code}, code="empty")
    results = []
    for step in steps:
        result = _replay_step(
            segment=segment, action=step.action, criteria=step.criteria, options=step.options, user=user
        )
        about = describe_step(action=step.action, criteria=step.criteria, options=step.options)
        results.append(
            ReplayedStep(
                number=step.step,
                action=step.action,
                label=about["action"],
                criteria=about["criteria"],
                added=result.added,
                removed=result.removed,
            )
        )
    return results


@transaction.atomic
def reuse_logged_segment(*, segment: Segment, logged_segment: LoggedSegment, user) -> StepResult:
    """Add a line for each contact of the logged segment's entries that the segment does not
    have yet (the original's ReuseLogged), with the header's defaults and the campaign of the
    contact's entry when it had one; recorded as a step, so "go back" undoes it. Refused
    on a segment that has been logged itself (read-only)."""
    require_permission(user, CHANGE_SEGMENT)
    require_permission(user, ADD_SEGMENT_LINES)
    segment = Segment.objects.select_for_update().get(pk=segment.pk)
    refuse_if_logged(segment)  # a logged segment's segment is kept as it was logged
    entries = (
        InteractionLogEntry.objects.filter(logged_segment=logged_segment)
        .exclude(contact__in=SegmentLine.objects.filter(segment=segment).values("contact_id"))
        .order_by("entry_no")
        .values_list("contact_id", "campaign_id")
    )
    campaign_of: dict[int, int | None] = {}
    for contact_id, campaign_id in entries.iterator(chunk_size=2000):
        campaign_of.setdefault(contact_id, campaign_id)
    contacts = {}
    contact_ids = list(campaign_of)
    for start in range(0, len(contact_ids), ID_BATCH):  # SQLite limits a statement's parameters
        batch = contact_ids[start : start + ID_BATCH]
        contacts.update((row["id"], row) for row in Contact.objects.filter(pk__in=batch).values(*CONTACT_COLUMNS))
    template_languages = languages_of_template(segment.template_id)
    lines = []
    for contact_id, campaign_id in campaign_of.items():
        if contact_id not in contacts:
            continue
        line = new_line(segment, contacts[contact_id], template_languages)
        if campaign_id is not None:
            line.campaign_id = campaign_id
        lines.append(line)
    SegmentLine.objects.bulk_create(lines)  # one INSERT on PostgreSQL, as add_contacts
    last = SegmentCriteriaStep.objects.filter(segment=segment).aggregate(last=Max("step"))["last"] or 0
    step = SegmentCriteriaStep.objects.create(
        segment=segment,
        step=last + 1,
        action=SegmentAction.REUSE_LOGGED,
        criteria={"logged_segment": logged_segment.pk},
        options={},
        added_contact_ids=[line.contact_id for line in lines],
        added_line_ids=ids_of_new_lines(segment, lines),
        added_count=len(lines),
        removed_lines=[],
        created_by=user,
        created_at=timezone.now(),
    )
    return StepResult(step=step, added=len(lines), removed=0)


@transaction.atomic
def new_segment_from_logged(*, logged_segment: LoggedSegment, user) -> tuple[Segment, StepResult]:
    """A new segment filled with the logged segment's contacts ("Reuse segment" from the
    logged segments page): its header is the original segment's when it still exists."""
    require_permission(user, ADD_SEGMENT)
    original = Segment.objects.filter(number=logged_segment.segment_number).select_related("template").first()
    segment = segment_services.create_segment(
        description=logged_segment.description,
        salesperson=original.salesperson if original else getattr(user, "salesperson", None),
        date=None,
        template=original.template if original else None,
        user=user,
    )
    return segment, reuse_logged_segment(segment=segment, logged_segment=logged_segment, user=user)
