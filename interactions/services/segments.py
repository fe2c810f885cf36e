"""Segments: create them, build their contact lists by criteria step by step (and go back),
edit their lines and header defaults, log them in bulk, cancel and restore logged segments.

Every function checks the user's permission (views check it too), writes in one
transaction, and inserts or deletes lines in bulk: never a query per line."""

import dataclasses
import datetime
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, F, Max, Model, Q, QuerySet, When
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from crm.contacts.models import Campaign, Contact, CorrespondenceType, Salesperson

from ..models import (
    BulkEmailOptOut,
    InteractionLogEntry,
    InteractionTemplate,
    InteractionTemplateLanguage,
    LoggedSegment,
    SavedSegmentCriteria,
    Segment,
    SegmentAction,
    SegmentCriteriaStep,
    SegmentLine,
    SegmentRemovedLine,
)
from ..permissions import (
    ADD_SEGMENT,
    ADD_SEGMENT_LINES,
    CANCEL_LOGGED_SEGMENT,
    CHANGE_SEGMENT,
    CHANGE_SEGMENT_LINES,
    DELETE_SEGMENT,
    DELETE_SEGMENT_LINES,
    LOG_SEGMENT,
    SAVE_CRITERIA,
    require_permission,
)
from ..selectors.segments import SegmentCriteria, SegmentOptions, contact_key, contacts_matching
from . import summaries, webhooks
from .recording import CONTACT_VIA_MAX_LENGTH, contact_via_for, resolve_correspondence_type, resolve_language
from .segment_content import store_contents
from .segment_delivery import queue_on_commit

# Header defaults and the line field each one fills when contacts are added. Changing one
# of these on the header offers to update the lines that still carry the old value.
LINE_FIELD_OF_DEFAULT = {
    "salesperson": "salesperson",
    "template": "template",
    "language_default": "language",
    "subject_default": "subject",
    "correspondence_type_default": "correspondence_type",
    "unit_cost": "cost",
    "unit_duration": "duration",
    "information_flow": "information_flow",
    "initiated_by": "initiated_by",
    "campaign": "campaign",
    "campaign_target": "campaign_target",
    "campaign_response": "campaign_response",
}
# Header fields that take the template's value when a template is chosen, as when an
# interaction is created by hand: header field -> template field.
TEMPLATE_FIELD_OF_HEADER = {
    "language_default": "language_default",
    "correspondence_type_default": "correspondence_type",
    "ignore_contact_correspondence_type": "ignore_contact_correspondence_type",
    "unit_cost": "unit_cost",
    "unit_duration": "unit_duration",
    "information_flow": "information_flow",
    "initiated_by": "initiated_by",
    "campaign": "campaign",
    "campaign_target": "campaign_target",
    "campaign_response": "campaign_response",
}


# --- Segments and their header ---------------------------------------------------------


def logged_segment_of(segment: Segment) -> LoggedSegment | None:
    """The (first) logged segment made from `segment`, canceled or not: once logged, a
    segment is kept as it was logged (the original deletes it; "Reuse segment" or a
    follow-up segment is how to send again)."""
    return LoggedSegment.objects.filter(segment_number=segment.number).order_by("pk").first()


def refuse_if_logged(segment: Segment) -> None:
    """Refuse (ValidationError) any change to a segment that has been logged: every service
    that changes a segment, its lines or its steps calls this first."""
    logged = logged_segment_of(segment)
    if logged is not None:
        raise ValidationError(
            _(
                "Segment %(number)s has been logged (logged segment %(logged)s) and can no longer be changed: "
                "reuse it or create a follow-up segment to send again."
            ),
            params={"number": segment.number, "logged": logged.pk},
            code="segment_logged",
        )


def _copy_template_defaults(segment: Segment, template: InteractionTemplate, *, keep: Iterable[str] = ()) -> None:
    for header_field, template_field in TEMPLATE_FIELD_OF_HEADER.items():
        if header_field in keep:
            continue
        if header_field.startswith("campaign") and template.campaign_id is None:
            continue  # a template without campaign leaves the header's campaign (and flags) alone
        setattr(segment, header_field, getattr(template, template_field))


@transaction.atomic
def create_segment(
    *,
    description: str,
    salesperson: Salesperson | None,
    date: datetime.date | None,
    template: InteractionTemplate | None,
    user,
) -> Segment:
    """A new, empty segment; the header defaults come from the template, as in the original."""
    require_permission(user, ADD_SEGMENT)
    segment = Segment(
        description=description.strip(),
        salesperson=salesperson,
        date=date or timezone.localdate(),
        template=template,
        created_by=user,
    )
    if template is not None:
        _copy_template_defaults(segment, template)
    segment.full_clean(exclude=["number"])
    segment.save()
    return segment


@dataclasses.dataclass(frozen=True)
class DefaultChange:
    """A header default that changed, and how many lines still carry its old value."""

    field: str
    label: str
    old_value: Any  # a primary key for a template or campaign
    new_value: Any
    old_display: str
    new_display: str
    line_count: int


def _value(segment: Segment, field: str):
    return getattr(segment, Segment._meta.get_field(field).attname)


def _display(model: type[Model], field: str, value) -> str:
    model_field = model._meta.get_field(field)
    if value in (None, ""):
        return _("(blank)")
    if model_field.is_relation:
        related = model_field.related_model.objects.filter(pk=value).first()
        return str(related) if related is not None else str(value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return str(value)


def _lines_with_value(segment: Segment, line_field: str, value) -> QuerySet[SegmentLine]:
    attname = SegmentLine._meta.get_field(line_field).attname
    return SegmentLine.objects.filter(segment=segment, **{attname: value})


@transaction.atomic
def update_segment_header(*, segment: Segment, changes: dict[str, Any], user) -> list[DefaultChange]:
    """Save the header fields in `changes` (field name -> new value). A newly chosen template
    also brings its defaults for the fields not in `changes`. Returns the defaults that
    changed while lines still carry the old value, for the question "update those lines?"."""
    require_permission(user, CHANGE_SEGMENT)
    locked = Segment.objects.select_for_update().get(pk=segment.pk)
    refuse_if_logged(locked)
    before = {field: _value(locked, field) for field in LINE_FIELD_OF_DEFAULT}
    for field, value in changes.items():
        setattr(locked, field, value)
    if "template" in changes and locked.template_id and locked.template_id != before["template"]:
        _copy_template_defaults(locked, locked.template, keep=changes.keys())
    locked.full_clean(exclude=["number"])
    locked.save()

    result = []
    for field, line_field in LINE_FIELD_OF_DEFAULT.items():
        old, new = before[field], _value(locked, field)
        if old == new:
            continue
        count = _lines_with_value(locked, line_field, old).count()
        if count:
            result.append(
                DefaultChange(
                    field=field,
                    label=capfirst(Segment._meta.get_field(field).verbose_name),
                    old_value=old,
                    new_value=new,
                    old_display=_display(Segment, field, old),
                    new_display=_display(Segment, field, new),
                    line_count=count,
                )
            )
    return result


def clean_default_value(field: str, value) -> Any:
    """`value` checked as a value of the header default `field` (as the header form's own
    field would: type, length, choices; a template or campaign by an id that exists).
    Raises ValidationError naming the field."""
    if field not in LINE_FIELD_OF_DEFAULT:
        raise ValidationError(_("%(field)s is not a default of the segment header."), params={"field": field})
    model_field = Segment._meta.get_field(field)
    label = capfirst(model_field.verbose_name)
    try:
        if model_field.is_relation:
            if value in (None, ""):
                return None
            pk = model_field.target_field.to_python(value)
            if not model_field.related_model.objects.filter(pk=pk).exists():
                raise ValidationError("unknown", code="invalid")
            return pk
        return model_field.clean(model_field.to_python(value), None)
    except (ValidationError, TypeError, ValueError, OverflowError) as invalid:
        raise ValidationError(
            _("%(field)s: “%(value)s” is not a valid value."),
            params={"field": label, "value": str(value)[:40]},
            code="invalid_default",
        ) from invalid


@transaction.atomic
def update_lines_from_header(*, segment: Segment, field: str, old_value, new_value=None, user) -> int:
    """Give the lines that still carry the header default's old value the header's current
    one, in one UPDATE. `field` is a header default (see LINE_FIELD_OF_DEFAULT); related
    rows by primary key. The new value is read from the saved header, never taken from the
    caller (`new_value` is ignored: it is what the header said when the question was asked);
    the old one is checked as a value of the field. Returns the number of lines updated."""
    require_permission(user, CHANGE_SEGMENT_LINES)
    if field not in LINE_FIELD_OF_DEFAULT:
        raise ValueError(f"{field!r} is not a default of the segment header")
    locked = _lock(segment)
    refuse_if_logged(locked)
    old_value = clean_default_value(field, old_value)
    new = _value(locked, field)
    if old_value == new:
        return 0
    line_field = LINE_FIELD_OF_DEFAULT[field]
    attname = SegmentLine._meta.get_field(line_field).attname
    return _lines_with_value(locked, line_field, old_value).update(**{attname: new})


@transaction.atomic
def delete_segment(*, segment: Segment, user) -> None:
    """Delete a segment with its lines and steps; entries logged from it keep its number."""
    require_permission(user, DELETE_SEGMENT)
    segment.delete()


# --- Lines -----------------------------------------------------------------------------


# Line fields that a template brings when it is chosen on the line (the original's
# OnValidate of the line's "Interaction Template Code").
LINE_TEMPLATE_FIELDS = (
    "cost",
    "duration",
    "information_flow",
    "initiated_by",
    "campaign",
    "campaign_target",
    "campaign_response",
    "correspondence_type",
    "language",
    "contact_via",
)


def _template_defaults_for_line(segment: Segment, line: SegmentLine) -> dict[str, Any]:
    """What the line's template brings, by attname. A blank template is the segment's: the
    line then gets the header's defaults, as a line added now would."""
    contact = Contact.objects.filter(pk=line.contact_id).values(*CONTACT_COLUMNS).get()
    template = line.template
    if template is None:
        new = new_line(segment, contact, languages_of_template(segment.template_id))
        return {SegmentLine._meta.get_field(name).attname: getattr(new, SegmentLine._meta.get_field(name).attname)
                for name in LINE_TEMPLATE_FIELDS}  # fmt: skip
    correspondence_type = resolve_correspondence_type(
        contact_type=contact["correspondence_type"],
        template_type=template.correspondence_type,
        ignore_contact_type=template.ignore_contact_correspondence_type,
    )
    values = {
        "cost": template.unit_cost,
        "duration": template.unit_duration,
        "information_flow": template.information_flow,
        "initiated_by": template.initiated_by,
        "campaign_target": template.campaign_target,
        "campaign_response": template.campaign_response,
        "correspondence_type": correspondence_type,
        "language": resolve_language(
            contact_language=contact["language"],
            template_languages=languages_of_template(template.pk),
            default_language=template.language_default,
        ),
        "contact_via": contact_via_for(correspondence_type=correspondence_type, contact=SimpleNamespace(**contact)),
    }
    # The segment's campaign first, else the template's; neither: the line keeps its own.
    if segment.campaign_id or template.campaign_id:
        values["campaign_id"] = segment.campaign_id or template.campaign_id
    return values


@transaction.atomic
def save_line(*, line: SegmentLine, user, typed_fields: Iterable[str] | None = None) -> SegmentLine:
    """Save a line edited by the user (its own template, language, subject, cost, ...).

    A template chosen in place of another brings its defaults (cost, duration, flow,
    initiated by, campaign and its flags, correspondence type and where it goes, language)
    into the fields not in `typed_fields` (those the user typed in the same edit keep what
    was typed), as the original's line does when its template changes."""
    require_permission(user, CHANGE_SEGMENT_LINES)
    segment = _lock(line.segment)
    refuse_if_logged(segment)
    if line.pk is not None:
        saved_template = SegmentLine.objects.filter(pk=line.pk).values_list("template_id", flat=True).first()
        if saved_template != line.template_id:
            typed = set(typed_fields or ())
            for attname, value in _template_defaults_for_line(segment, line).items():
                name = attname.removesuffix("_id")
                if name in typed or (name == "contact_via" and "correspondence_type" in typed):
                    continue
                setattr(line, attname, value)
    line.full_clean(exclude=["segment", "contact"])
    line.save()
    return line


@transaction.atomic
def remove_lines(*, segment: Segment, line_ids: Iterable[int], user) -> int:
    """Remove the segment's lines `line_ids` in one DELETE; returns how many went."""
    require_permission(user, DELETE_SEGMENT_LINES)
    refuse_if_logged(_lock(segment))
    deleted, _by_model = SegmentLine.objects.filter(segment=segment, pk__in=list(line_ids)).delete()
    return deleted


CONTACT_COLUMNS = (
    "id",
    "type",
    "company_id",
    "language",
    "correspondence_type",
    "email",
    "fax",
    "address",
    "post_code",
    "city",
    "phone",
    "mobile",
)


def languages_of_template(template_id: int | None) -> set[str]:
    if template_id is None:
        return set()
    return set(InteractionTemplateLanguage.objects.filter(template_id=template_id).values_list("language", flat=True))


def new_line(segment: Segment, contact: dict[str, Any], template_languages: set[str]) -> SegmentLine:
    """A line for `contact` (a row of CONTACT_COLUMNS) with the header's defaults."""
    # The same rules as an interaction recorded by hand, with the header in the template's place.
    correspondence_type = resolve_correspondence_type(
        contact_type=contact["correspondence_type"],
        template_type=segment.correspondence_type_default,
        ignore_contact_type=segment.ignore_contact_correspondence_type,
    )
    return SegmentLine(
        segment=segment,
        contact_id=contact["id"],
        contact_company_id=contact["id"] if contact["type"] == Contact.Type.COMPANY else contact["company_id"],
        correspondence_type=correspondence_type,
        template_id=segment.template_id,
        language=resolve_language(
            contact_language=contact["language"],
            template_languages=template_languages,
            default_language=segment.language_default,
        ),
        subject=segment.subject_default,
        cost=segment.unit_cost,
        duration=segment.unit_duration,
        information_flow=segment.information_flow,
        initiated_by=segment.initiated_by,
        campaign_id=segment.campaign_id,
        campaign_target=segment.campaign_target,
        campaign_response=segment.campaign_response,
        contact_via=contact_via_for(correspondence_type=correspondence_type, contact=SimpleNamespace(**contact)),
        salesperson_id=segment.salesperson_id,
    )


# Lists of ids go to the database in batches: SQLite limits the parameters of a statement.
ID_BATCH = 1000


def _batches(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), ID_BATCH):
        yield ids[start : start + ID_BATCH]


def _delete_lines(segment: Segment, column: str, values: list[int]) -> int:
    """Delete the segment's lines whose `column` ("id" or "contact_id") is in `values`."""
    deleted = 0
    for batch in _batches(list(values)):
        deleted += SegmentLine.objects.filter(segment=segment, **{f"{column}__in": batch}).delete()[0]
    return deleted


# Snapshots of removed lines: every column but the segment, the id included, so that going
# back puts a line back where it was (ids are never reused: AUTOINCREMENT on SQLite, a
# sequence on PostgreSQL).
_SNAPSHOT_FIELDS = [field for field in SegmentLine._meta.concrete_fields if field.name != "segment"]


def _snapshot(lines: QuerySet[SegmentLine]) -> list[dict[str, Any]]:
    return list(lines.order_by("id").values(*[field.attname for field in _SNAPSHOT_FIELDS]))


def _restore(segment: Segment, snapshot: list[dict[str, Any]]) -> int:
    """Insert the snapshot's lines again, in bulk, except for contacts that no longer exist;
    a template, campaign or salesperson deleted since is left blank."""
    if not snapshot:
        return 0
    fields = {field.attname: field for field in _SNAPSHOT_FIELDS}
    rows = [{name: fields[name].to_python(value) for name, value in row.items() if name in fields} for row in snapshot]
    contact_ids = {row["contact_id"] for row in rows} | {
        row["contact_company_id"] for row in rows if row["contact_company_id"]
    }
    existing_contacts = set(Contact.objects.filter(pk__in=contact_ids).values_list("pk", flat=True))
    templates = set(
        InteractionTemplate.objects.filter(
            pk__in={row["template_id"] for row in rows if row["template_id"]}
        ).values_list("pk", flat=True)
    )
    campaigns = set(
        Campaign.objects.filter(pk__in={row["campaign_id"] for row in rows if row["campaign_id"]}).values_list(
            "pk", flat=True
        )
    )
    salespeople = set(
        Salesperson.objects.filter(
            pk__in={row.get("salesperson_id") for row in rows if row.get("salesperson_id")}
        ).values_list("pk", flat=True)
    )
    lines = []
    for row in rows:
        if row["contact_id"] not in existing_contacts:
            continue
        if row.get("salesperson_id") not in salespeople:
            row["salesperson_id"] = None
        if row["contact_company_id"] not in existing_contacts:
            row["contact_company_id"] = None
        if row["template_id"] not in templates:
            row["template_id"] = None
        if row["campaign_id"] not in campaigns:
            row["campaign_id"] = None
        lines.append(SegmentLine(segment=segment, **row))
    SegmentLine.objects.bulk_create(lines, batch_size=1000)
    return len(lines)


# --- Criteria steps --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class StepResult:
    step: SegmentCriteriaStep
    added: int
    removed: int


def _lock(segment: Segment) -> Segment:
    """The segment, locked: two criteria steps on one segment run one after the other."""
    return Segment.objects.select_for_update().get(pk=segment.pk)


def _record_step(
    *,
    segment: Segment,
    action: str,
    criteria: SegmentCriteria,
    options: SegmentOptions,
    user,
    **recorded,
) -> SegmentCriteriaStep:
    """The step, numbered after the segment's last; `recorded`: what it changed (the
    SegmentCriteriaStep fields added_* and removed_*)."""
    last = segment.criteria_steps.aggregate(last=Max("step"))["last"] or 0
    return SegmentCriteriaStep.objects.create(
        segment=segment,
        step=last + 1,
        action=action,
        criteria=criteria.to_dict(),
        options=options.to_dict(),
        created_by=user,
        **recorded,
    )


@transaction.atomic
def add_contacts(*, segment: Segment, criteria: SegmentCriteria, options: SegmentOptions, user) -> StepResult:
    """Add the contacts that match, each as a new line with the header's defaults, as the
    original's report "Add Contacts" does (see SegmentOptions for the options):

    1. the contacts that match the criteria;
    2. with `expand_companies`, each of them that belongs to a company (a company, or a
       person of one) brings its whole company: the company and all its persons;
    3. without `allow_company_with_persons`, a company goes when one of its persons is
       among them (the persons stand for it);
    4. without `ignore_exclusion`, contacts flagged "exclude from segments" go (each
       contact's own flag: a company's flag does not exclude its persons);
    5. without `allow_existing`, contacts that already have a line go; with it they get
       another line (the one they have is kept as it is);
    6. without `ignore_no_bulk_email`, contacts who unsubscribed from bulk e-mail go when
       their line would be an e-mail line.

    The new lines come in the original's order: by company, the company before its persons.
    One INSERT ... SELECT: the database picks the contacts and computes each line's values
    (new_line's rules in SQL), so the step costs a few statements however many lines."""
    require_permission(user, CHANGE_SEGMENT)
    require_permission(user, ADD_SEGMENT_LINES)
    segment = _lock(segment)
    refuse_if_logged(segment)
    # The segment is locked: every line of it with a greater id than any line now is this step's.
    before = SegmentLine.objects.aggregate(last=Max("id"))["last"] or 0
    added = _insert_new_lines(
        segment=segment, candidates=_candidates(criteria=criteria, options=options), options=options
    )
    through = (
        SegmentLine.objects.filter(segment=segment, id__gt=before).aggregate(last=Max("id"))["last"] if added else None
    )
    step = _record_step(
        segment=segment,
        action=SegmentAction.ADD,
        criteria=criteria,
        options=options,
        user=user,
        added_after_line_id=before,
        added_through_line_id=through,
        added_count=added,
    )
    return StepResult(step=step, added=added, removed=0)


def ids_of_new_lines(segment: Segment, lines: list[SegmentLine]) -> list[int]:
    """The ids of lines just created in bulk: returned by the INSERT where the database can
    (PostgreSQL, recent SQLite), else the segment's newest lines (the segment is locked)."""
    if all(line.pk is not None for line in lines):
        return [line.pk for line in lines]
    newest = SegmentLine.objects.filter(segment=segment).order_by("-id").values_list("id", flat=True)[: len(lines)]
    return sorted(newest)


def _candidates(*, criteria: SegmentCriteria, options: SegmentOptions) -> QuerySet[Contact]:
    """Steps 1 and 2 of add_contacts: the contacts that match, or with `expand_companies`
    their whole companies."""
    company = Contact.Type.COMPANY
    matching = contacts_matching(criteria)
    if not options.expand_companies:
        return matching
    company_keys = (
        matching.annotate(key=Case(When(type=company, then=F("id")), default=F("company_id")))
        .filter(key__isnull=False)
        .values("key")
    )
    lone_persons = matching.exclude(type=company).filter(company__isnull=True).values("pk")
    return Contact.objects.filter(Q(pk__in=lone_persons) | Q(pk__in=company_keys) | Q(company__in=company_keys))


def _sql_of(queryset: QuerySet) -> tuple[str, list]:
    sql, params = queryset.query.sql_with_params()
    return sql, list(params)


def _correspondence_type_sql(segment: Segment) -> tuple[str, list]:
    """resolve_correspondence_type in SQL, the header in the template's place."""
    header_sql, header_params = _parameter(SegmentLine, "correspondence_type", segment.correspondence_type_default)
    if segment.ignore_contact_correspondence_type:
        return header_sql, header_params
    own = _column("c", Contact, "correspondence_type")
    blank_sql, blank_params = _parameter(SegmentLine, "correspondence_type", "")
    return f"(CASE WHEN {own} = {blank_sql} THEN {header_sql} ELSE {own} END)", blank_params + header_params


def _language_sql(segment: Segment) -> tuple[str, list]:
    """resolve_language in SQL: the contact's language when the header's template has a
    language row for it, else the header's default language."""
    default_sql, default_params = _parameter(SegmentLine, "language", segment.language_default)
    if segment.template_id is None:
        return default_sql, default_params
    own = _column("c", Contact, "language")
    template_sql, template_params = _parameter(InteractionTemplateLanguage, "template", segment.template_id)
    languages = _quote(InteractionTemplateLanguage._meta.db_table)
    return (
        f"(CASE WHEN {own} <> '' AND EXISTS (SELECT 1 FROM {languages} tl "
        f"WHERE {_column('tl', InteractionTemplateLanguage, 'template')} = {template_sql} "
        f"AND {_column('tl', InteractionTemplateLanguage, 'language')} = {own}) THEN {own} ELSE {default_sql} END)",
        template_params + default_params,
    )


def _contact_via_sql(correspondence_type: tuple[str, list]) -> tuple[str, list]:
    """contact_via_for in SQL, for the correspondence type `correspondence_type` (SQL)."""

    def c(field: str) -> str:
        return _column("c", Contact, field)

    address = " || ".join(
        f"(CASE WHEN {c(field)} <> '' THEN ', ' || {c(field)} ELSE '' END)"
        for field in ("address", "post_code", "city")
    )
    type_sql, type_params = correspondence_type
    via = (
        f"(CASE {type_sql} WHEN '{CorrespondenceType.EMAIL.value}' THEN {c('email')} "
        f"WHEN '{CorrespondenceType.FAX.value}' THEN {c('fax')} "
        f"WHEN '{CorrespondenceType.HARD_COPY.value}' THEN SUBSTR({address}, 3) "
        f"ELSE (CASE WHEN {c('mobile')} <> '' THEN {c('mobile')} ELSE {c('phone')} END) END)"
    )
    return f"SUBSTR({via}, 1, {CONTACT_VIA_MAX_LENGTH})", type_params


def _collated(sql: str) -> str:
    """Compared character by character (Python's order of strings): PostgreSQL would use
    the database's locale."""
    return f'{sql} COLLATE "C"' if connection.vendor == "postgresql" else sql


def _insert_new_lines(*, segment: Segment, candidates: QuerySet[Contact], options: SegmentOptions) -> int:
    """Steps 3 to 6 of add_contacts and the lines' values, as one INSERT ... SELECT from
    the contacts; returns the number of lines inserted."""

    def c(field: str) -> str:
        return _column("c", Contact, field)

    def header(field: str, value) -> tuple[str, list]:
        return _parameter(SegmentLine, field, value)

    company_sql, company_params = _parameter(Contact, "type", Contact.Type.COMPANY)
    candidates_sql, candidates_params = _sql_of(candidates.order_by().values("pk"))
    correspondence_type = _correspondence_type_sql(segment)
    values = {
        "segment": header("segment", segment.pk),
        "contact": (c("id"), []),
        "contact_company": (
            f"(CASE WHEN {c('type')} = {company_sql} THEN {c('id')} ELSE {c('company')} END)",
            company_params,
        ),
        "correspondence_type": correspondence_type,
        "template": header("template", segment.template_id),
        "language": _language_sql(segment),
        "subject": header("subject", segment.subject_default),
        "cost": header("cost", segment.unit_cost),
        "duration": header("duration", segment.unit_duration),
        "information_flow": header("information_flow", segment.information_flow),
        "initiated_by": header("initiated_by", segment.initiated_by),
        "campaign": header("campaign", segment.campaign_id),
        "campaign_target": header("campaign_target", segment.campaign_target),
        "campaign_response": header("campaign_response", segment.campaign_response),
        "contact_via": _contact_via_sql(correspondence_type),
        "salesperson": header("salesperson", segment.salesperson_id),
    }
    contacts = _quote(Contact._meta.db_table)
    conditions, params = [f"{c('id')} IN ({candidates_sql})"], list(candidates_params)
    if not options.allow_company_with_persons:
        # 3. a company goes when one of its persons is among the candidates.
        conditions.append(
            f"NOT ({c('type')} = {company_sql} AND EXISTS (SELECT 1 FROM {contacts} p "
            f"WHERE {_column('p', Contact, 'company')} = {c('id')} "
            f"AND {_column('p', Contact, 'type')} <> {company_sql} "
            f"AND {_column('p', Contact, 'id')} IN ({candidates_sql})))"
        )
        params += company_params + company_params + candidates_params
    if not options.ignore_exclusion:
        conditions.append(f"NOT {c('exclude_from_segments')}")
    if not options.allow_existing:
        segment_sql, segment_params = header("segment", segment.pk)
        conditions.append(
            f"NOT EXISTS (SELECT 1 FROM {_quote(SegmentLine._meta.db_table)} e "
            f"WHERE {_column('e', SegmentLine, 'segment')} = {segment_sql} "
            f"AND {_column('e', SegmentLine, 'contact')} = {c('id')})"
        )
        params += segment_params
    if not options.ignore_no_bulk_email:
        type_sql, type_params = correspondence_type
        conditions.append(
            f"NOT ({type_sql} = '{CorrespondenceType.EMAIL.value}' AND EXISTS (SELECT 1 "
            f"FROM {_quote(BulkEmailOptOut._meta.db_table)} o WHERE {_column('o', BulkEmailOptOut, 'contact')} "
            f"= {c('id')}))"
        )
        params += type_params
    is_company = f"{c('type')} = {company_sql}"
    order = [
        _collated(f"LOWER(CASE WHEN {is_company} THEN {c('name')} ELSE COALESCE(co.{_quote('name')}, '') END)"),
        _collated(f"(CASE WHEN {is_company} THEN {c('number')} ELSE COALESCE(co.{_quote('number')}, '') END)"),
        f"(CASE WHEN {is_company} THEN 0 ELSE 1 END)",
        _collated(f"LOWER({c('name')})"),
        c("id"),
    ]
    params += company_params * 3
    source = (
        f"{contacts} c LEFT OUTER JOIN {contacts} co ON co.{_quote('id')} = {c('company')} "
        f"WHERE {' AND '.join(conditions)} ORDER BY {', '.join(order)}"
    )
    return _insert_select(model=SegmentLine, values=values, source=source, source_params=params)


def _lines_of(segment: Segment, contacts: QuerySet[Contact], *, whole_companies: bool) -> QuerySet[SegmentLine]:
    """The segment's lines whose contact is one of `contacts` or, with whole companies,
    belongs to the same company as one of them."""
    lines = SegmentLine.objects.filter(segment=segment)
    if not whole_companies:
        return lines.filter(contact__in=contacts.values("pk"))
    keys = contacts.annotate(key=contact_key()).values("key")
    same_company = Contact.objects.annotate(key=contact_key()).filter(key__in=keys)
    return lines.filter(contact__in=same_company.values("pk"))


# The columns a removed line keeps: SegmentRemovedLine's field -> SegmentLine's.
_REMOVED_LINE_FIELDS = {
    field.name: ("id" if field.name == "line_id" else SegmentLine._meta.get_field(field.name.removesuffix("_id")).name)
    for field in SegmentRemovedLine._meta.concrete_fields
    if field.name not in ("id", "step")
}


@transaction.atomic
def _remove_step(
    *, segment: Segment, action: str, criteria: SegmentCriteria, options: SegmentOptions, user
) -> StepResult:
    require_permission(user, CHANGE_SEGMENT)
    require_permission(user, DELETE_SEGMENT_LINES)
    segment = _lock(segment)
    refuse_if_logged(segment)
    matched = _lines_of(segment, contacts_matching(criteria), whole_companies=options.whole_companies)
    if action == SegmentAction.REDUCE:
        removed = matched
    else:
        removed = SegmentLine.objects.filter(segment=segment).exclude(pk__in=matched.values("pk"))
    step = _record_step(segment=segment, action=action, criteria=criteria, options=options, user=user)
    # The snapshot, for going back: INSERT ... SELECT of the lines with every value.
    removed_sql, removed_params = _sql_of(removed.order_by().values("pk"))
    _insert_select(
        model=SegmentRemovedLine,
        values={
            "step": _parameter(SegmentRemovedLine, "step", step.pk),
            **{name: (_column("l", SegmentLine, line_field), []) for name, line_field in _REMOVED_LINE_FIELDS.items()},
        },
        source=(f"{_quote(SegmentLine._meta.db_table)} l WHERE {_column('l', SegmentLine, 'id')} IN ({removed_sql})"),
        source_params=removed_params,
    )
    # Exactly the lines of the snapshot go, whatever the criteria would match a moment later.
    snapshot_sql, snapshot_params = _sql_of(SegmentRemovedLine.objects.filter(step=step).values("line_id"))
    segment_sql, segment_params = _parameter(SegmentLine, "segment", segment.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {_quote(SegmentLine._meta.db_table)} WHERE {_quote('segment_id')} = {segment_sql} "
            f"AND {_quote('id')} IN ({snapshot_sql})",
            segment_params + snapshot_params,
        )
        removed_count = cursor.rowcount
    SegmentCriteriaStep.objects.filter(pk=step.pk).update(removed_count=removed_count)
    step.removed_count = removed_count
    return StepResult(step=step, added=0, removed=removed_count)


def reduce_contacts(*, segment: Segment, criteria: SegmentCriteria, options: SegmentOptions, user) -> StepResult:
    """Remove the lines of the contacts that match (with whole companies: of every contact
    of a company one of whose contacts matches)."""
    return _remove_step(segment=segment, action=SegmentAction.REDUCE, criteria=criteria, options=options, user=user)


def refine_contacts(*, segment: Segment, criteria: SegmentCriteria, options: SegmentOptions, user) -> StepResult:
    """Keep only the lines of the contacts that match (with whole companies: of every contact
    of a company one of whose contacts matches)."""
    return _remove_step(segment=segment, action=SegmentAction.REFINE, criteria=criteria, options=options, user=user)


def apply_criteria(
    *, segment: Segment, action: str, criteria: SegmentCriteria, options: SegmentOptions, user
) -> StepResult:
    steps = {
        SegmentAction.ADD: add_contacts,
        SegmentAction.REDUCE: reduce_contacts,
        SegmentAction.REFINE: refine_contacts,
    }
    if action not in steps:
        raise ValueError(f"unknown segment action {action!r}")
    return steps[action](segment=segment, criteria=criteria, options=options, user=user)


def _restore_removed_rows(segment: Segment, step: SegmentCriteriaStep) -> int:
    """Put back the lines of `step`'s snapshot, ids and values as they were, in one
    INSERT ... SELECT: not those whose contact is gone; a company, template, campaign or
    salesperson deleted since is left blank."""

    def r(field: str) -> tuple[str, list]:
        return _column("r", SegmentRemovedLine, field), []

    joins = {
        "contact_company": ("cc", Contact),
        "template": ("t", InteractionTemplate),
        "campaign": ("cp", Campaign),
        "salesperson": ("sp", Salesperson),
    }
    values = {"segment": _parameter(SegmentLine, "segment", segment.pk)}
    for name, line_field in _REMOVED_LINE_FIELDS.items():
        if line_field in joins:
            values[line_field] = (f"{joins[line_field][0]}.{_quote('id')}", [])
        else:
            values[line_field] = r(name)
    source = (
        f"{_quote(SegmentRemovedLine._meta.db_table)} r "
        f"INNER JOIN {_quote(Contact._meta.db_table)} c ON c.{_quote('id')} = {r('contact_id')[0]} "
        + " ".join(
            f"LEFT OUTER JOIN {_quote(model._meta.db_table)} {alias} ON {alias}.{_quote('id')} = {r(name + '_id')[0]}"
            for name, (alias, model) in joins.items()
        )
        + f" WHERE {r('step')[0]} = %s ORDER BY {r('line_id')[0]}"
    )
    return _insert_select(model=SegmentLine, values=values, source=source, source_params=[step.pk])


@transaction.atomic
def go_back(*, segment: Segment, user) -> SegmentCriteriaStep:
    """Undo the segment's last criteria step: delete the lines it added, put back the lines
    it removed, with the values they had. Returns the step undone (no longer saved)."""
    require_permission(user, CHANGE_SEGMENT)
    segment = _lock(segment)
    step = segment.criteria_steps.order_by("-step").first()
    if step is None:
        raise ValidationError(_("There is no step to go back from."), code="no_step")
    refuse_if_logged(segment)
    if step.added_after_line_id is not None:
        if step.added_through_line_id is not None:
            SegmentLine.objects.filter(
                segment=segment, id__gt=step.added_after_line_id, id__lte=step.added_through_line_id
            ).delete()
    elif step.added_line_ids or not step.added_contact_ids:
        _delete_lines(segment, "id", step.added_line_ids)
    else:  # a step recorded before steps kept their line ids: one line per contact then
        _delete_lines(segment, "contact_id", step.added_contact_ids)
    if step.removed_count:
        _restore_removed_rows(segment, step)
    _restore(segment, step.removed_lines)  # a step recorded before the snapshots were rows
    step.delete()
    return step


# --- Saved criteria --------------------------------------------------------------------


@transaction.atomic
def save_criteria(
    *, code: str, description: str, action: str, criteria: SegmentCriteria, options: SegmentOptions, user
) -> SavedSegmentCriteria:
    """Save criteria under `code` as a recipe of one step, to be replayed on any segment. A
    code is used once."""
    require_permission(user, SAVE_CRITERIA)
    code = code.strip().upper()
    if not code:
        raise ValidationError(_("Enter a code for the criteria."), code="blank_code")
    if action not in SegmentAction.values:
        raise ValueError(f"unknown segment action {action!r}")
    if SavedSegmentCriteria.objects.filter(code=code).exists():
        raise ValidationError(
            _("Criteria with the code %(code)s already exist: choose another code."),
            params={"code": code},
            code="duplicate_code",
        )
    saved = SavedSegmentCriteria.objects.create(code=code, description=description.strip(), created_by=user)
    # A recipe of one step; a segment's whole recipe is saved by segment_recipes.save_recipe.
    saved.steps.create(step=1, action=action, criteria=criteria.to_dict(), options=options.to_dict())
    return saved


# --- Logging a segment -----------------------------------------------------------------


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _column(alias: str, model: type[Model], field: str) -> str:
    return f"{alias}.{_quote(model._meta.get_field(field).column)}"


def _parameter(model: type[Model], field: str, value) -> tuple[str, list]:
    """`value` as a query parameter for `model.field`, prepared as the ORM would. PostgreSQL
    is told its type: a bare parameter in a SELECT list would otherwise be text."""
    model_field = model._meta.get_field(field)
    prepared = model_field.get_db_prep_save(value, connection)
    if connection.vendor == "postgresql":
        return f"CAST(%s AS {model_field.cast_db_type(connection)})", [prepared]
    return "%s", [prepared]


def _insert_select(
    *,
    model: type[Model],
    values: dict[str, tuple[str, list]],
    source: str,
    source_params: list,
    columns_without_field: dict[str, tuple[str, list]] | None = None,
) -> int:
    """INSERT INTO model's table SELECT ... FROM `source`: one statement for any number of
    rows. `values` gives an SQL expression (and its parameters) for fields; every other
    column gets the field's default, so a field added to the model later still gets a value.
    `columns_without_field` gives an expression for columns the model has no field for.
    Returns the number of rows inserted."""
    columns, expressions, params = [], [], []
    now = timezone.now()
    for field in model._meta.concrete_fields:
        if field.primary_key and field.name not in values:
            continue  # from the table's sequence
        if field.name in values:
            sql, sql_params = values[field.name]
        else:
            default = (
                now
                if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
                else field.get_default()
            )
            sql, sql_params = _parameter(model, field.name, default)
        columns.append(_quote(field.column))
        expressions.append(sql)
        params.extend(sql_params)
    for column, (sql, sql_params) in (columns_without_field or {}).items():
        columns.append(_quote(column))
        expressions.append(sql)
        params.extend(sql_params)
    statement = (
        f"INSERT INTO {_quote(model._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(expressions)} FROM {source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params + source_params)
        return cursor.rowcount


def _line_or_default(line_field: str, model: type[Model], entry_field: str, default) -> tuple[str, list]:
    """The line's value, or when blank the header's default."""
    column = _column("l", SegmentLine, line_field)
    blank_sql, blank_params = _parameter(SegmentLine, line_field, "")
    default_sql, default_params = _parameter(model, entry_field, default)
    return f"CASE WHEN {column} = {blank_sql} THEN {default_sql} ELSE {column} END", blank_params + default_params


def _insert_entries(*, segment: Segment, logged_segment: LoggedSegment, user, now: datetime.datetime) -> int:
    """One INSERT ... SELECT from the segment's lines: the database copies the lines into log
    entries itself, so logging 10,000 lines runs the same few statements as logging 10 (and
    is as fast as the database can insert, which bulk_create on SQLite is not: it splits
    into one INSERT per few dozen rows there)."""
    entry = InteractionLogEntry

    def line(field: str) -> tuple[str, list]:
        return _column("l", SegmentLine, field), []

    def param(field: str, value) -> tuple[str, list]:
        return _parameter(entry, field, value)

    company_sql, company_params = _parameter(Contact, "type", Contact.Type.COMPANY)
    template_default_sql, template_default_params = param("template", segment.template_id)
    campaign_default_sql, campaign_default_params = param("campaign", segment.campaign_id)
    salesperson_default_sql, salesperson_default_params = param("salesperson", segment.salesperson_id)
    values = {
        "contact": line("contact"),
        # The contact's company as it is now, not as when the line was added.
        "contact_company": (
            (
                f"CASE WHEN {_column('c', Contact, 'type')} = {company_sql} THEN {_column('c', Contact, 'id')} "
                f"ELSE {_column('c', Contact, 'company')} END"
            ),
            company_params,
        ),
        # The segment's date, as in the original (a back-dated or planned mailing lands on
        # its day), and the line's time of interaction if it has one.
        "date": param("date", segment.date),
        "time": line("time"),
        "created_at": param("created_at", now),
        "description": _line_or_default("description", entry, "description", segment.description),
        "subject": _line_or_default("subject", entry, "subject", segment.subject_default),
        "information_flow": _line_or_default("information_flow", entry, "information_flow", segment.information_flow),
        "initiated_by": _line_or_default("initiated_by", entry, "initiated_by", segment.initiated_by),
        "template": (
            f"COALESCE({_column('l', SegmentLine, 'template')}, {template_default_sql})",
            template_default_params,
        ),
        "group": (_column("t", InteractionTemplate, "group"), []),
        "language": _line_or_default("language", entry, "language", segment.language_default),
        "cost": line("cost"),
        "duration": line("duration"),
        "user": param("user", user.pk if user is not None else None),
        "salesperson": (
            f"COALESCE({_column('l', SegmentLine, 'salesperson')}, {salesperson_default_sql})",
            salesperson_default_params,
        ),
        "campaign": (
            f"COALESCE({_column('l', SegmentLine, 'campaign')}, {campaign_default_sql})",
            campaign_default_params,
        ),
        "campaign_target": line("campaign_target"),
        "campaign_response": line("campaign_response"),
        "segment_number": param("segment_number", segment.number),
        "logged_segment": param("logged_segment", logged_segment.pk),
        "evaluation": line("evaluation"),
        "correspondence_type": _line_or_default(
            "correspondence_type", entry, "correspondence_type", segment.correspondence_type_default
        ),
        "contact_via": line("contact_via"),
    }
    segment_sql, segment_params = _parameter(SegmentLine, "segment", segment.pk)
    documents_join, documents_params, documents_column = _search_documents(values, segment_sql, segment_params)
    source = (
        f"{_quote(SegmentLine._meta.db_table)} l "
        f"INNER JOIN {_quote(Contact._meta.db_table)} c "
        f"ON {_column('c', Contact, 'id')} = {_column('l', SegmentLine, 'contact')} "
        f"LEFT OUTER JOIN {_quote(InteractionTemplate._meta.db_table)} t "
        f"ON {_column('t', InteractionTemplate, 'id')} "
        f"= COALESCE({_column('l', SegmentLine, 'template')}, {template_default_sql}) "
        f"{documents_join}"
        f"WHERE {_column('l', SegmentLine, 'segment')} = {segment_sql} "
        # Entry numbers follow the order of the lines.
        f"ORDER BY {_column('l', SegmentLine, 'id')}"
    )
    return _insert_select(
        model=entry,
        values=values,
        source=source,
        source_params=template_default_params + documents_params + segment_params,
        columns_without_field=documents_column,
    )


def _search_documents(
    values: dict[str, tuple[str, list]], segment_sql: str, segment_params: list
) -> tuple[str, list, dict[str, tuple[str, list]]]:
    """On PostgreSQL, the new entries' search documents (migrations 0014 and 0027) computed
    once per distinct description and subject of the segment's lines, instead of once per
    entry by the log's trigger: a join (`d`) of the lines to their distinct texts and the
    documents' column for the INSERT. The document is the trigger's own function on the same
    two values, with no comments (a new entry has none), so the search finds what it would
    have found. A line whose texts find no document (a NULL default) gets none here, and the
    trigger computes it. Elsewhere nothing: SQLite has no search document."""
    if connection.vendor != "postgresql":
        return "", [], {}
    description_sql, description_params = values["description"]
    subject_sql, subject_params = values["subject"]
    join = (
        "LEFT OUTER JOIN (SELECT texts.description, texts.subject, "
        "interactions_log_search_document(texts.description, texts.subject, NULL) AS document "
        f"FROM (SELECT DISTINCT {description_sql} AS description, {subject_sql} AS subject "
        f"FROM {_quote(SegmentLine._meta.db_table)} l WHERE {_column('l', SegmentLine, 'segment')} = {segment_sql}"
        ") texts) d "
        f"ON d.description = {description_sql} AND d.subject = {subject_sql} "
    )
    params = description_params + subject_params + segment_params + description_params + subject_params
    return join, params, {"search_document": ("d.document", [])}


def _create_follow_up(*, segment: Segment, user) -> Segment:
    """A new segment "Follow-up on segment N" with the same header and the same lines (their
    evaluations cleared: they judged the interaction just logged)."""
    follow_up = Segment(
        description=(_("Follow-up on segment %(number)s") % {"number": segment.number})[:100],
        created_by=user,
        date=timezone.localdate(),
    )
    for field in Segment._meta.concrete_fields:
        if field.name in {"id", "number", "description", "date", "created_by", "created_at"}:
            continue
        setattr(follow_up, field.attname, getattr(segment, field.attname))
    follow_up.save()

    def line(field: str) -> tuple[str, list]:
        return _column("l", SegmentLine, field), []

    copied = {field.name: line(field.name) for field in SegmentLine._meta.concrete_fields if not field.primary_key}
    copied["segment"] = _parameter(SegmentLine, "segment", follow_up.pk)
    copied["evaluation"] = _parameter(SegmentLine, "evaluation", "")
    segment_sql, segment_params = _parameter(SegmentLine, "segment", segment.pk)
    _insert_select(
        model=SegmentLine,
        values=copied,
        source=(
            f"{_quote(SegmentLine._meta.db_table)} l WHERE {_column('l', SegmentLine, 'segment')} = {segment_sql} "
            f"ORDER BY {_column('l', SegmentLine, 'id')}"
        ),
        source_params=segment_params,
    )
    return follow_up


@dataclasses.dataclass(frozen=True)
class LogResult:
    logged_segment: LoggedSegment
    entry_count: int
    follow_up: Segment | None
    # What each entry sent (segment_content.store_contents), and with "Deliver" whether its
    # e-mails were handed to the task queue (None until the logging commits).
    content: Any = None
    delivery: Any = None


def _lines_without(segment: Segment, field: str) -> list[str]:
    """The lines (as "contact number name") that have no `field` while the header has none."""
    if getattr(segment, Segment._meta.get_field(field).attname) is not None:
        return []
    lines = (
        SegmentLine.objects.filter(segment=segment, **{f"{field}__isnull": True})
        .order_by("id")
        .values_list("contact__number", "contact__name")
    )
    return [f"{number} {name}" for number, name in lines[: MISSING_LINES_NAMED + 1]]


# How many lines a refusal names before "and more".
MISSING_LINES_NAMED = 10


def _missing_error(lines: list[str], message: str, code: str) -> ValidationError:
    named = ", ".join(lines[:MISSING_LINES_NAMED])
    if len(lines) > MISSING_LINES_NAMED:
        named = _("%(lines)s and more") % {"lines": named}
    return ValidationError(message, params={"lines": named}, code=code)


@transaction.atomic
def log_segment(
    *,
    segment: Segment,
    user,
    create_follow_up: bool = False,
    log_again: bool = False,
    deliver: bool = False,
    cover_sheets: bool = False,
) -> LogResult:
    """Log the segment: one logged segment and one interaction log entry per line (the
    line's values, the header's defaults where the line has none), dated with the
    segment's date (and the line's time, if it has one), all in one transaction and a fixed
    number of statements however many lines. Optionally creates the follow-up segment with
    the same contacts.

    Refuses, with a clear message, as the original does: a segment without description or
    without lines; one without interaction template or salesperson on the header and on
    some lines (the message names those lines); and a segment logged before, whether its
    logged segment was canceled or not (`log_again` is no longer honoured and kept only for
    callers: "Reuse segment" or a follow-up segment is how to send again).

    Each entry keeps what its contact received (segment_content.store_contents: the merged
    text, an "open" template's attachment by reference, the letters PDF). `deliver` (NAV's
    "Send") queues the e-mail lines for delivery when the logging commits
    (segment_delivery); `cover_sheets` puts a cover sheet before each letter."""
    require_permission(user, LOG_SEGMENT)
    segment = _lock(segment)
    errors = []
    logged_before = logged_segment_of(segment)
    if logged_before is not None:
        errors.append(
            ValidationError(
                _(
                    "Segment %(number)s has already been logged (logged segment %(logged)s): it cannot be logged "
                    "again. Reuse it or create a follow-up segment to send again."
                ),
                params={"number": segment.number, "logged": logged_before.pk},
                code="already_logged",
            )
        )
    if not segment.description.strip():
        errors.append(
            ValidationError(_("Enter a description for the segment before logging it."), code="no_description")
        )
    if not SegmentLine.objects.filter(segment=segment).exists():
        errors.append(ValidationError(_("The segment has no lines: add contacts before logging it."), code="no_lines"))
    if lines := _lines_without(segment, "template"):
        errors.append(
            _missing_error(
                lines,
                _("Choose an interaction template on the segment or on every line: these lines have none: %(lines)s."),
                "no_template",
            )
        )
    if lines := _lines_without(segment, "salesperson"):
        errors.append(
            _missing_error(
                lines,
                _("Choose a salesperson on the segment or on every line: these lines have none: %(lines)s."),
                "no_salesperson",
            )
        )
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    logged = LoggedSegment.objects.create(
        segment_number=segment.number, description=segment.description, created_at=now, user=user
    )
    count = _insert_entries(segment=segment, logged_segment=logged, user=user, now=now)
    summaries.entries_counted(InteractionLogEntry.objects.filter(logged_segment=logged))
    content = store_contents(logged=logged, deliver=deliver, cover_sheets=cover_sheets)
    delivery = queue_on_commit(content.email_entries) if deliver else None
    follow_up = _create_follow_up(segment=segment, user=user) if create_follow_up else None
    webhooks.announce_logged_segment(logged, entry_count=count)
    return LogResult(logged_segment=logged, entry_count=count, follow_up=follow_up, content=content, delivery=delivery)


# --- Logged segments -------------------------------------------------------------------


@transaction.atomic
def set_logged_segment_canceled(*, logged_segment: LoggedSegment, canceled: bool, user) -> int:
    """Switch canceled on (or off) for a logged segment and, in one UPDATE, for all its
    entries. Returns the number of entries switched."""
    require_permission(user, CANCEL_LOGGED_SEGMENT)
    # Locked, as the deletion of canceled logged segments locks it: a logged segment is
    # never restored while its entries are being unlinked.
    locked = LoggedSegment.objects.select_for_update().get(pk=logged_segment.pk)
    now = timezone.now()
    switched = (
        InteractionLogEntry.objects.filter(logged_segment=locked)
        .exclude(canceled=canceled)
        .update(canceled=canceled, canceled_changed_by=user, canceled_changed_at=now)
    )
    if switched:
        # The entries this UPDATE switched, and only those: its own timestamp (an entry
        # canceled by itself meanwhile kept its own, and the UPDATE passed it by).
        entries = InteractionLogEntry.objects.filter(
            logged_segment=locked, canceled=canceled, canceled_changed_at=now, postponed=False
        )
        if canceled:
            summaries.entries_canceled(entries)
        else:
            summaries.entries_restored(entries)
    if locked.canceled != canceled:
        LoggedSegment.objects.filter(pk=locked.pk).update(canceled=canceled)
        webhooks.announce_logged_segment(
            locked, entry_count=switched, event=webhooks.SEGMENT_CANCELED if canceled else webhooks.SEGMENT_RESTORED
        )
    logged_segment.canceled = canceled
    return switched
