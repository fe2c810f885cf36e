"""The options of add, reduce and refine with the meaning of Dynamics NAV 2017's reports
"Add Contacts" and "Remove Contacts" (Reduce / Refine), in every combination.

The world: company Acme with two persons (Ann, Bob); Lone, a person without company; company
Beta (not excluded) with Xena, a person flagged "exclude from segments". Each table states,
for every combination of the options, the contacts of the segment's lines after the step
(a contact with two lines appears twice); go back always restores the lines before it."""

import itertools

import pytest

from interactions.models import SegmentLine
from interactions.selectors.segments import SegmentCriteria, SegmentOptions
from interactions.services import segments as services

from .factories import CompanyFactory, PersonFactory, SegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    acme = CompanyFactory(name="Acme")
    beta = CompanyFactory(name="Beta")
    return {
        "Acme": acme,
        "Ann": PersonFactory(company=acme, name="Ann"),
        "Bob": PersonFactory(company=acme, name="Bob"),
        "Lone": PersonFactory(name="Lone", company=None),
        "Beta": beta,
        "Xena": PersonFactory(company=beta, name="Xena", exclude_from_segments=True),
    }


def lines(segment) -> list[str]:
    return sorted(SegmentLine.objects.filter(segment=segment).values_list("contact__name", flat=True))


def line_ids(segment) -> list[int]:
    return sorted(SegmentLine.objects.filter(segment=segment).values_list("id", flat=True))


def expand(table, option_names):
    """Rows (options..., expected) where None means "either": one case per combination of
    the options, each covered exactly once."""
    cases = {}
    for *pattern, expected in table:
        choices = [(False, True) if value is None else (value,) for value in pattern]
        for combination in itertools.product(*choices):
            assert combination not in cases, f"{combination} is covered twice"
            cases[combination] = expected
    assert len(cases) == 2 ** len(option_names), "every combination of the options has a row"
    return [
        pytest.param(
            dict(zip(option_names, combination, strict=True)), expected, id=_case_id(option_names, combination)
        )
        for combination, expected in sorted(cases.items())
    ]


def _case_id(names, combination) -> str:
    return "-".join(name for name, value in zip(names, combination, strict=True) if value) or "no-options"


ADD_OPTIONS = ("expand_companies", "allow_company_with_persons", "ignore_exclusion", "allow_existing")

# expand companies, allow company with persons, ignore exclusion, allow existing -> lines

# Criteria "company Acme": the company and its two persons match.
COMPANY_WITH_TWO_PERSONS = [
    (None, False, None, None, ["Ann", "Bob"]),  # the persons stand for their company
    (None, True, None, None, ["Acme", "Ann", "Bob"]),
]
# Criteria "name Ann": one person of a company with two persons matches.
ONE_PERSON_OF_A_COMPANY = [
    (False, None, None, None, ["Ann"]),
    (True, False, None, None, ["Ann", "Bob"]),  # her whole company, the company left out for its persons
    (True, True, None, None, ["Acme", "Ann", "Bob"]),
]
# Criteria "name Lone": a person without company.
LONE_PERSON = [
    (None, None, None, None, ["Lone"]),
]
# Criteria "company Beta": a company that is not excluded and its excluded person. Only
# the person's own flag counts; the company is left out for its person before the flag
# is looked at, as in the original.
EXCLUDED_PERSON_OF_A_COMPANY = [
    (None, False, False, None, []),
    (None, False, True, None, ["Xena"]),
    (None, True, False, None, ["Beta"]),
    (None, True, True, None, ["Beta", "Xena"]),
]
# Ann already has a line; criteria "name Ann".
EXISTING_LINE = [
    (False, None, None, False, ["Ann"]),
    (False, None, None, True, ["Ann", "Ann"]),  # another line; hers stays as it was
    (True, False, None, False, ["Ann", "Bob"]),
    (True, False, None, True, ["Ann", "Ann", "Bob"]),
    (True, True, None, False, ["Acme", "Ann", "Bob"]),
    (True, True, None, True, ["Acme", "Ann", "Ann", "Bob"]),
]


def _add_and_go_back(world, user, options, criteria, existing=()):
    segment = SegmentFactory(subject_default="Default")
    for name in existing:
        SegmentLine.objects.create(segment=segment, contact=world[name], subject="Edited")
    before = line_ids(segment)
    services.add_contacts(
        segment=segment, criteria=SegmentCriteria(**criteria), options=SegmentOptions(**options), user=user
    )
    after = lines(segment)
    edited = list(SegmentLine.objects.filter(segment=segment, subject="Edited").values_list("id", flat=True))
    assert sorted(edited) == before, "lines already in the segment stay as they were"
    services.go_back(segment=segment, user=user)
    assert line_ids(segment) == before, "go back undoes exactly the step"
    return after


@pytest.mark.parametrize(("options", "expected"), expand(COMPANY_WITH_TWO_PERSONS, ADD_OPTIONS))
def test_add_a_company_with_two_persons(world, sales_user, options, expected):
    assert _add_and_go_back(world, sales_user, options, {"company": world["Acme"].number}) == expected


@pytest.mark.parametrize(("options", "expected"), expand(ONE_PERSON_OF_A_COMPANY, ADD_OPTIONS))
def test_add_one_person_of_a_company_with_two_persons(world, sales_user, options, expected):
    assert _add_and_go_back(world, sales_user, options, {"name": "Ann"}) == expected


@pytest.mark.parametrize(("options", "expected"), expand(LONE_PERSON, ADD_OPTIONS))
def test_add_a_lone_person(world, sales_user, options, expected):
    assert _add_and_go_back(world, sales_user, options, {"name": "Lone"}) == expected


@pytest.mark.parametrize(("options", "expected"), expand(EXCLUDED_PERSON_OF_A_COMPANY, ADD_OPTIONS))
def test_add_an_excluded_person_of_a_company_that_is_not_excluded(world, sales_user, options, expected):
    assert _add_and_go_back(world, sales_user, options, {"company": world["Beta"].number}) == expected


@pytest.mark.parametrize(("options", "expected"), expand(EXISTING_LINE, ADD_OPTIONS))
def test_add_a_contact_that_has_a_line(world, sales_user, options, expected):
    assert _add_and_go_back(world, sales_user, options, {"name": "Ann"}, existing=["Ann"]) == expected


def test_an_excluded_company_does_not_exclude_its_persons(sales_user):
    company = CompanyFactory(name="Gamma", exclude_from_segments=True)
    person = PersonFactory(company=company, name="Gina")
    segment = SegmentFactory()
    services.add_contacts(
        segment=segment,
        criteria=SegmentCriteria(company=company.number),
        options=SegmentOptions(allow_company_with_persons=True),
        user=sales_user,
    )
    assert lines(segment) == [person.name]


def test_new_lines_come_by_company_the_company_before_its_persons(world, sales_user):
    segment = SegmentFactory()
    services.add_contacts(
        segment=segment,
        criteria=SegmentCriteria(),
        options=SegmentOptions(allow_company_with_persons=True, ignore_exclusion=True),
        user=sales_user,
    )
    in_order = list(SegmentLine.objects.filter(segment=segment).order_by("id").values_list("contact__name", flat=True))
    assert in_order == ["Lone", "Acme", "Ann", "Bob", "Beta", "Xena"]


# --- Reduce and refine ---------------------------------------------------------------------

# Every contact is in the segment, Ann twice.
ALL_LINES = ["Acme", "Ann", "Ann", "Beta", "Bob", "Lone", "Xena"]

# criteria, entire companies -> lines left after reduce, after refine
REMOVE_TABLE = [
    # one person of a company with two persons
    ({"name": "Ann"}, False, ["Acme", "Beta", "Bob", "Lone", "Xena"], ["Ann", "Ann"]),
    ({"name": "Ann"}, True, ["Beta", "Lone", "Xena"], ["Acme", "Ann", "Ann", "Bob"]),
    # a company with two persons
    ({"contact_type": "company", "name": "Acme"}, False, ["Ann", "Ann", "Beta", "Bob", "Lone", "Xena"], ["Acme"]),
    ({"contact_type": "company", "name": "Acme"}, True, ["Beta", "Lone", "Xena"], ["Acme", "Ann", "Ann", "Bob"]),
    # a lone person
    ({"name": "Lone"}, False, ["Acme", "Ann", "Ann", "Beta", "Bob", "Xena"], ["Lone"]),
    ({"name": "Lone"}, True, ["Acme", "Ann", "Ann", "Beta", "Bob", "Xena"], ["Lone"]),
    # an excluded person of a company that is not excluded: the flag plays no part here
    ({"name": "Xena"}, False, ["Acme", "Ann", "Ann", "Beta", "Bob", "Lone"], ["Xena"]),
    ({"name": "Xena"}, True, ["Acme", "Ann", "Ann", "Bob", "Lone"], ["Beta", "Xena"]),
]


@pytest.fixture
def full_segment(world):
    segment = SegmentFactory()
    for name in ALL_LINES:
        SegmentLine.objects.create(segment=segment, contact=world[name])
    return segment


@pytest.mark.parametrize(
    ("criteria", "entire_companies", "after_reduce", "after_refine"),
    [
        pytest.param(*row, id=f"{'-'.join(map(str, row[0].values()))}-{'entire' if row[1] else 'own'}")
        for row in REMOVE_TABLE
    ],
)
@pytest.mark.parametrize("action", ["reduce", "refine"])
def test_reduce_and_refine(full_segment, sales_user, action, criteria, entire_companies, after_reduce, after_refine):
    before = line_ids(full_segment)
    step = services.reduce_contacts if action == "reduce" else services.refine_contacts
    step(
        segment=full_segment,
        criteria=SegmentCriteria(**criteria),
        options=SegmentOptions(whole_companies=entire_companies),
        user=sales_user,
    )
    assert lines(full_segment) == (after_reduce if action == "reduce" else after_refine)
    services.go_back(segment=full_segment, user=sales_user)
    assert line_ids(full_segment) == before
