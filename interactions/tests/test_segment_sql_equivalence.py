"""Add, reduce and refine run as INSERT ... SELECT and DELETE in the database; going back
puts the lines back by INSERT ... SELECT. Whatever the contacts, the segment's header and
the steps, the segment comes out line for line (contact, values, order) as the per-line
Python path built it: the reference below is that path, written out plainly (one Python
line per contact with `new_line`'s rules, the options applied to lists, the removed lines
kept as dicts). Runs on PostgreSQL and on SQLite alike."""

import datetime
import decimal

import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.contacts.models import Contact
from crm.contacts.tests.factories import CompanyFactory, PersonFactory, SalespersonFactory
from interactions.models import BulkEmailOptOut, SegmentLine
from interactions.selectors.segments import SegmentCriteria, SegmentOptions, contacts_matching
from interactions.services import segments as services

from .factories import InteractionTemplateFactory, InteractionTemplateLanguageFactory, SegmentFactory

pytestmark = pytest.mark.django_db(transaction=False)

COMPANY = Contact.Type.COMPANY
COMPARED = (
    "contact_id",
    "contact_company_id",
    "correspondence_type",
    "template_id",
    "language",
    "subject",
    "description",
    "evaluation",
    "cost",
    "duration",
    "information_flow",
    "initiated_by",
    "campaign_id",
    "campaign_target",
    "campaign_response",
    "contact_via",
    "salesperson_id",
    "time",
)

# Names that tie and differ only in case, so that the order's every key is exercised.
NAMES = ["a", "A", "b", "B", "ab", "Ab", "b a"]
LANGUAGES = ["", "en", "de", "fr"]
TYPES = ["", "email", "fax", "hard_copy"]
TEXTS = ["", "x", "Y1"]

contact_values = st.fixed_dictionaries(
    {
        "name": st.sampled_from(NAMES),
        "language": st.sampled_from(LANGUAGES),
        "correspondence_type": st.sampled_from(TYPES),
        "exclude_from_segments": st.booleans(),
        "opted_out": st.booleans(),
        "email": st.sampled_from(["", "p@example.com"]),
        "fax": st.sampled_from(TEXTS),
        "address": st.sampled_from(TEXTS),
        "post_code": st.sampled_from(TEXTS),
        "city": st.sampled_from(TEXTS),
        "phone": st.sampled_from(TEXTS),
        "mobile": st.sampled_from(TEXTS),
        "salesperson": st.sampled_from([None, 0, 1]),
    }
)
world = st.fixed_dictionaries(
    {
        "companies": st.lists(st.tuples(contact_values, st.lists(contact_values, max_size=3)), min_size=0, max_size=3),
        "lone": st.lists(contact_values, max_size=3),
    }
)
header = st.fixed_dictionaries(
    {
        "template": st.booleans(),
        "template_languages": st.sets(st.sampled_from(LANGUAGES[1:])),
        "language_default": st.sampled_from(LANGUAGES),
        "correspondence_type_default": st.sampled_from(TYPES),
        "ignore_contact_correspondence_type": st.booleans(),
        "subject_default": st.sampled_from(["", "Hello"]),
        "unit_cost": st.sampled_from([decimal.Decimal("0"), decimal.Decimal("2.50")]),
    }
)
criteria = st.builds(
    SegmentCriteria,
    contact_type=st.sampled_from(["", "person", "company"]),
    language=st.sampled_from(["", "en", "de"]),
    name=st.sampled_from(["", "a", "B"]),
)
options = st.builds(
    SegmentOptions,
    allow_existing=st.booleans(),
    expand_companies=st.booleans(),
    allow_company_with_persons=st.booleans(),
    ignore_exclusion=st.booleans(),
    ignore_no_bulk_email=st.booleans(),
    whole_companies=st.booleans(),
)
steps = st.lists(
    st.tuples(st.sampled_from(["add", "add", "reduce", "refine"]), criteria, options), min_size=1, max_size=4
)


class Reference:
    """The segment as the per-line Python path built it: lines in a list, ids counted here."""

    def __init__(self, segment, contacts: dict[int, dict]):
        self.segment = segment
        self.contacts = contacts
        self.lines: list[dict] = []
        self.next_id = 1
        self.undo: list[tuple[set[int], list[dict]]] = []
        self.languages = services.languages_of_template(segment.template_id)

    def _key(self, contact: dict) -> int:
        return contact["id"] if contact["type"] == COMPANY else (contact["company_id"] or contact["id"])

    def _order(self, contact: dict) -> tuple:
        company = self.contacts.get(contact["company_id"]) if contact["company_id"] else None
        is_company = contact["type"] == COMPANY
        company_name = contact["name"] if is_company else (company["name"] if company else "")
        company_number = contact["number"] if is_company else (company["number"] if company else "")
        return (
            company_name.casefold(),
            company_number,
            0 if is_company else 1,
            contact["name"].casefold(),
            contact["id"],
        )

    def add(self, matched: set[int], options: SegmentOptions) -> None:
        candidates = set(matched)
        if options.expand_companies:
            candidates = set()
            for contact_id in matched:
                contact = self.contacts[contact_id]
                key = contact["id"] if contact["type"] == COMPANY else contact["company_id"]
                if key is None:
                    candidates.add(contact_id)
                else:
                    candidates |= {c["id"] for c in self.contacts.values() if c["id"] == key or c["company_id"] == key}
        rows = [self.contacts[contact_id] for contact_id in candidates]
        if not options.allow_company_with_persons:
            represented = {row["company_id"] for row in rows if row["type"] != COMPANY and row["company_id"]}
            rows = [row for row in rows if not (row["type"] == COMPANY and row["id"] in represented)]
        if not options.ignore_exclusion:
            rows = [row for row in rows if not row["exclude_from_segments"]]
        if not options.allow_existing:
            present = {line["contact_id"] for line in self.lines}
            rows = [row for row in rows if row["id"] not in present]
        rows.sort(key=self._order)
        added = set()
        for row in rows:
            line = services.new_line(self.segment, row, self.languages)
            if line.correspondence_type == "email" and row["opted_out"] and not options.ignore_no_bulk_email:
                continue
            values = {name: getattr(line, name) for name in COMPARED}
            values["id"] = self.next_id
            added.add(self.next_id)
            self.next_id += 1
            self.lines.append(values)
        self.undo.append((added, []))

    def remove(self, matched: set[int], options: SegmentOptions, *, refine: bool) -> None:
        if options.whole_companies:
            keys = {self._key(self.contacts[contact_id]) for contact_id in matched}
            matched = {c["id"] for c in self.contacts.values() if self._key(c) in keys}
        removed = [line for line in self.lines if (line["contact_id"] in matched) != refine]
        self.lines = [line for line in self.lines if (line["contact_id"] in matched) == refine]
        self.undo.append((set(), removed))

    def go_back(self) -> None:
        added, removed = self.undo.pop()
        self.lines = sorted(
            [line for line in self.lines if line["id"] not in added] + removed, key=lambda line: line["id"]
        )

    def values(self) -> list[tuple]:
        return [tuple(line[name] for name in COMPARED) for line in self.lines]


def database_lines(segment) -> list[tuple]:
    rows = SegmentLine.objects.filter(segment=segment).order_by("id").values(*COMPARED)
    return [tuple(row[name] for name in COMPARED) for row in rows]


def make_world(drawn, salespeople) -> dict[int, dict]:
    def extra(values):
        return {
            key: (salespeople[value] if key == "salesperson" and value is not None else value)
            for key, value in values.items()
            if key != "opted_out"
        }

    made = []
    for company_values, persons in drawn["companies"]:
        company = CompanyFactory(**extra(company_values))
        made.append((company, company_values))
        made += [(PersonFactory(company=company, **extra(values)), values) for values in persons]
    made += [(PersonFactory(company=None, **extra(values)), values) for values in drawn["lone"]]
    for contact, values in made:
        if values["opted_out"]:
            BulkEmailOptOut.objects.create(contact=contact)
    opted_out = {contact.pk for contact, values in made if values["opted_out"]}
    rows = Contact.objects.values(*services.CONTACT_COLUMNS, "name", "number", "exclude_from_segments")
    return {row["id"]: {**row, "opted_out": row["id"] in opted_out} for row in rows}


# The profile's examples (conftest.py), at most 100: each builds a world and up to four steps.
@settings(max_examples=min(settings.default.max_examples, 100))
@given(drawn=world, head=header, recipe=steps, back=st.integers(min_value=0, max_value=4))
def test_segment_built_in_sql_is_the_one_the_python_path_built(sales_user, drawn, head, recipe, back):
    with transaction.atomic():
        salespeople = [SalespersonFactory(), SalespersonFactory()]
        contacts = make_world(drawn, salespeople)
        template = None
        if head["template"]:
            template = InteractionTemplateFactory()
            for language in head["template_languages"]:
                InteractionTemplateLanguageFactory(template=template, language=language)
        segment = SegmentFactory(
            template=template,
            salesperson=salespeople[0],
            **{key: value for key, value in head.items() if key not in ("template", "template_languages")},
        )
        reference = Reference(segment, contacts)
        for action, step_criteria, step_options in recipe:
            matched = set(contacts_matching(step_criteria).values_list("pk", flat=True))
            result = services.apply_criteria(
                segment=segment, action=action, criteria=step_criteria, options=step_options, user=sales_user
            )
            before = len(reference.lines)
            if action == "add":
                reference.add(matched, step_options)
                assert result.added == len(reference.lines) - before
            else:
                reference.remove(matched, step_options, refine=action == "refine")
                assert result.removed == before - len(reference.lines)
            assert database_lines(segment) == reference.values(), (action, step_criteria, step_options)
        for _step in range(min(back, len(recipe))):
            services.go_back(segment=segment, user=sales_user)
            reference.go_back()
            assert database_lines(segment) == reference.values()
        transaction.set_rollback(True)


def test_a_line_restored_by_going_back_keeps_its_time_and_values(sales_user):
    """The snapshot rows keep what the reference does not vary: the time of interaction,
    the evaluation and a description typed on the line."""
    segment = SegmentFactory()
    person = PersonFactory(name="Kept")
    services.add_contacts(segment=segment, criteria=SegmentCriteria(), options=SegmentOptions(), user=sales_user)
    SegmentLine.objects.filter(contact=person).update(
        time=datetime.time(9, 30), evaluation="positive", description="Typed", cost=decimal.Decimal("7.25")
    )
    before = database_lines(segment)
    services.reduce_contacts(
        segment=segment, criteria=SegmentCriteria(name="Kept"), options=SegmentOptions(), user=sales_user
    )
    assert not SegmentLine.objects.filter(contact=person).exists()
    services.go_back(segment=segment, user=sales_user)
    assert database_lines(segment) == before


def test_a_step_recorded_before_the_steps_ran_in_sql_still_goes_back(sales_user):
    """Steps saved by the per-line path keep their lists (line ids added, removed lines as
    JSON): going back from one undoes it as before."""
    from interactions.models import SegmentCriteriaStep

    segment = SegmentFactory()
    kept, removed, added = PersonFactory(name="Kept"), PersonFactory(name="Removed"), PersonFactory(name="Added")
    services.add_contacts(segment=segment, criteria=SegmentCriteria(), options=SegmentOptions(), user=sales_user)
    SegmentCriteriaStep.objects.filter(segment=segment).delete()
    lines = {line.contact_id: line for line in SegmentLine.objects.filter(segment=segment)}
    snapshot = services._snapshot(SegmentLine.objects.filter(pk=lines[removed.pk].pk))
    SegmentLine.objects.filter(pk=lines[removed.pk].pk).delete()
    SegmentCriteriaStep.objects.create(
        segment=segment,
        step=1,
        action="add",
        added_contact_ids=[added.pk],
        added_line_ids=[lines[added.pk].pk],
        removed_lines=snapshot,
    )
    services.go_back(segment=segment, user=sales_user)
    remaining = SegmentLine.objects.filter(segment=segment).order_by("id")
    assert list(remaining.values_list("contact", flat=True)) == [
        pk for pk in sorted(lines, key=lambda contact: lines[contact].pk) if pk != added.pk
    ]
    assert kept.pk in set(remaining.values_list("contact", flat=True))
