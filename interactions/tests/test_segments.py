"""Building segments: criteria on contact fields and interaction history, add / reduce /
refine with their options, go back, saved criteria, header defaults and their lines, and
the segment pages."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from crm.contacts.models import Contact
from interactions.models import SavedSegmentCriteria, Segment, SegmentCriteriaStep, SegmentLine
from interactions.selectors.segments import SegmentCriteria, SegmentOptions, contacts_matching
from interactions.services import segments as services

from .factories import (
    CampaignFactory,
    CompanyFactory,
    InteractionGroupFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    InteractionTemplateLanguageFactory,
    PersonFactory,
    SalespersonFactory,
    SegmentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NO_OPTIONS = SegmentOptions()


def line_contacts(segment) -> set[int]:
    return set(SegmentLine.objects.filter(segment=segment).values_list("contact_id", flat=True))


def ids(*contacts) -> set[int]:
    return {contact.pk for contact in contacts}


def add(segment, user, options=NO_OPTIONS, **criteria):
    return services.add_contacts(segment=segment, criteria=SegmentCriteria(**criteria), options=options, user=user)


def reduce(segment, user, options=NO_OPTIONS, **criteria):
    return services.reduce_contacts(segment=segment, criteria=SegmentCriteria(**criteria), options=options, user=user)


def refine(segment, user, options=NO_OPTIONS, **criteria):
    return services.refine_contacts(segment=segment, criteria=SegmentCriteria(**criteria), options=options, user=user)


# --- Criteria on contact fields ---------------------------------------------------------


@pytest.fixture
def contacts():
    john, emily = SalespersonFactory(code="JR"), SalespersonFactory(code="EM")
    adatum = CompanyFactory(
        name="Adatum Ltd", city="London", country="GB", language="en", salesperson=john,
        correspondence_type="email", email="info@adatum.example",
    )  # fmt: skip
    fabrikam = CompanyFactory(
        name="Fabrikam SA", city="Paris", country="FR", language="fr", salesperson=emily,
        correspondence_type="fax", email="office@fabrikam.example",
    )  # fmt: skip
    anna = PersonFactory(
        company=adatum, name="Anna Smith", city="London", country="GB", language="ru", salesperson=john,
        correspondence_type="hard_copy", email="anna@adatum.example",
    )  # fmt: skip
    pierre = PersonFactory(
        company=fabrikam, name="Pierre Martin", city="Lyon", country="FR", language="fr", salesperson=emily,
        correspondence_type="", email="pierre@fabrikam.example",
    )  # fmt: skip
    return {"adatum": adatum, "fabrikam": fabrikam, "anna": anna, "pierre": pierre}


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({}, {"adatum", "fabrikam", "anna", "pierre"}),
        ({"contact_type": "company"}, {"adatum", "fabrikam"}),
        ({"contact_type": "person"}, {"anna", "pierre"}),
        ({"company": "ADATUM"}, {"adatum", "anna"}),
        ({"salesperson": "EM"}, {"fabrikam", "pierre"}),
        ({"language": "fr"}, {"fabrikam", "pierre"}),
        ({"city": "london"}, {"adatum", "anna"}),
        ({"city": "L*"}, {"adatum", "anna", "pierre"}),
        ({"country": "fr"}, {"fabrikam", "pierre"}),
        ({"correspondence_type": "fax"}, {"fabrikam"}),
        ({"name": "smith"}, {"anna"}),
        ({"name": "*Ltd"}, {"adatum"}),
        ({"email": "*@fabrikam.example"}, {"fabrikam", "pierre"}),
        ({"email": "anna@"}, {"anna"}),
        ({"contact_type": "person", "city": "London"}, {"anna"}),
    ],
)
def test_each_contact_field_criterion_restricts_the_contacts(contacts, criteria, expected):
    if criteria.get("company"):
        criteria["company"] = contacts[criteria["company"].lower()].number
    found = set(contacts_matching(SegmentCriteria(**criteria)).values_list("pk", flat=True))
    assert found == {contacts[key].pk for key in expected}


# --- Criteria on the interaction history ------------------------------------------------


@pytest.fixture
def history():
    meetings, calls = InteractionGroupFactory(code="MEETING"), InteractionGroupFactory(code="PHONE")
    visit = InteractionTemplateFactory(code="VISIT", group=meetings)
    call = InteractionTemplateFactory(code="CALL", group=calls)
    campaign = CampaignFactory()
    company = CompanyFactory(name="Met company")
    met = PersonFactory(company=company, name="Met last spring")
    met_canceled = PersonFactory(name="Meeting canceled")
    called = PersonFactory(name="Only called")
    silent = PersonFactory(name="No interactions")
    InteractionLogEntryFactory(
        contact=met, template=visit, date=datetime.date(2025, 4, 10), evaluation="positive", campaign=campaign
    )
    InteractionLogEntryFactory(contact=met_canceled, template=visit, date=datetime.date(2025, 5, 1), canceled=True)
    InteractionLogEntryFactory(contact=called, template=call, date=datetime.date(2025, 6, 1))
    # A postponed interaction has not happened: it never counts.
    InteractionLogEntryFactory(contact=silent, template=visit, date=datetime.date(2025, 6, 1), postponed=True)
    persons = {"met": met, "met_canceled": met_canceled, "called": called, "silent": silent}
    return {"campaign": campaign, "company": company, **persons}


def persons_matching(**criteria) -> set[int]:
    return set(contacts_matching(SegmentCriteria(contact_type="person", **criteria)).values_list("pk", flat=True))


def test_history_with_and_without_interactions_of_a_group(history):
    assert persons_matching(history="with", history_group="MEETING") == ids(history["met"])
    assert persons_matching(history="without", history_group="MEETING") >= ids(
        history["met_canceled"], history["called"], history["silent"]
    )
    assert history["met"].pk not in persons_matching(history="without", history_group="MEETING")


def test_history_by_template_date_range_evaluation_and_campaign(history):
    assert persons_matching(history="with", history_template="CALL") == ids(history["called"])
    spring = {"history_date_from": datetime.date(2025, 3, 1), "history_date_to": datetime.date(2025, 4, 30)}
    assert persons_matching(history="with", **spring) == ids(history["met"])
    assert persons_matching(history="with", history_date_from=datetime.date(2025, 5, 15)) == ids(history["called"])
    assert persons_matching(history="with", history_evaluation="positive") == ids(history["met"])
    assert persons_matching(history="with", history_campaign=history["campaign"].number) == ids(history["met"])


def test_history_of_canceled_interactions_counts_only_when_asked(history):
    assert persons_matching(history="with", history_group="MEETING", history_canceled="yes") == ids(
        history["met_canceled"]
    )
    assert persons_matching(history="with", history_group="MEETING", history_canceled="any") == ids(
        history["met"], history["met_canceled"]
    )


def test_a_company_history_includes_its_persons(history):
    companies = set(
        contacts_matching(SegmentCriteria(contact_type="company", history="with", history_group="MEETING")).values_list(
            "pk", flat=True
        )
    )
    assert companies == ids(history["company"])


def test_criteria_round_trip_through_json():
    criteria = SegmentCriteria(
        contact_type="person", city="London", history="without", history_group="MEETING",
        history_date_from=datetime.date(2025, 1, 1), history_date_to=datetime.date(2025, 12, 31),
    )  # fmt: skip
    stored = criteria.to_dict()
    assert stored["history_date_from"] == "2025-01-01" and "name" not in stored
    assert SegmentCriteria.from_dict(stored) == criteria
    assert "without interactions group MEETING from Jan 1, 2025 to Dec 31, 2025" in criteria.describe()


# --- Adding contacts --------------------------------------------------------------------


def test_added_lines_carry_the_header_defaults_and_the_contacts_language_and_correspondence(sales_user):
    template = InteractionTemplateFactory(language_default="en")
    InteractionTemplateLanguageFactory(template=template, language="en")
    InteractionTemplateLanguageFactory(template=template, language="ru")
    campaign = CampaignFactory()
    segment = SegmentFactory(
        template=template, language_default="en", subject_default="Autumn visit", correspondence_type_default="email",
        unit_cost=Decimal("12.50"), unit_duration=30, information_flow="outbound", initiated_by="us",
        campaign=campaign, campaign_target=True,
    )  # fmt: skip
    russian = PersonFactory(name="Russian", language="ru", correspondence_type="hard_copy", address="1 Main St",
                            post_code="101000", city="Moscow")  # fmt: skip
    german = PersonFactory(name="German", language="de", correspondence_type="", email="hans@example.com")
    add(segment, sales_user, contact_type="person")

    lines = {line.contact_id: line for line in SegmentLine.objects.filter(segment=segment)}
    assert lines[russian.pk].language == "ru"  # the template has Russian
    assert lines[german.pk].language == "en"  # no German row: the header's default
    assert lines[russian.pk].correspondence_type == "hard_copy"  # the contact's
    assert lines[russian.pk].contact_via == "1 Main St, 101000, Moscow"
    assert lines[german.pk].correspondence_type == "email"  # the contact has none: the header's
    assert lines[german.pk].contact_via == "hans@example.com"
    line = lines[german.pk]
    assert (line.template, line.subject, line.cost, line.duration) == (template, "Autumn visit", Decimal("12.50"), 30)
    assert (line.information_flow, line.initiated_by, line.campaign, line.campaign_target) == (
        "outbound", "us", campaign, True,
    )  # fmt: skip
    assert line.contact_company_id == german.company_id


def test_the_header_correspondence_type_wins_when_it_ignores_the_contacts(sales_user):
    segment = SegmentFactory(correspondence_type_default="fax", ignore_contact_correspondence_type=True)
    person = PersonFactory(correspondence_type="email", fax="+44 20 1111")
    add(segment, sales_user, contact_type="person")
    line = SegmentLine.objects.get(segment=segment, contact=person)
    assert (line.correspondence_type, line.contact_via) == ("fax", "+44 20 1111")


def test_adding_inserts_lines_in_bulk(sales_user, django_assert_max_num_queries):
    segment = SegmentFactory()
    PersonFactory.create_batch(30)
    with django_assert_max_num_queries(14):
        result = add(segment, sales_user, contact_type="person")
    assert result.added == 30


def test_contacts_already_in_the_segment_are_not_added_again(sales_user):
    segment = SegmentFactory(subject_default="Default")
    first = PersonFactory()
    add(segment, sales_user, contact_type="person")
    SegmentLine.objects.filter(contact=first).update(subject="Edited")
    second = PersonFactory()
    result = add(segment, sales_user, contact_type="person")
    assert result.added == 1 and result.step.added_count == 1
    lines = SegmentLine.objects.filter(segment=segment).order_by("id")
    assert list(lines.values_list("contact", flat=True)) == [first.pk, second.pk]
    assert SegmentLine.objects.get(segment=segment, contact=first).subject == "Edited"


# --- Reducing and refining --------------------------------------------------------------


@pytest.fixture
def built(sales_user):
    london, paris = CompanyFactory(city="London"), CompanyFactory(city="Paris")
    anna = PersonFactory(company=london, name="Anna", city="London")
    bob = PersonFactory(company=london, name="Bob", city="Elsewhere")
    claire = PersonFactory(company=paris, name="Claire", city="Paris")
    segment = SegmentFactory()
    add(segment, sales_user, contact_type="person")
    return {"segment": segment, "anna": anna, "bob": bob, "claire": claire}


def test_reduce_removes_the_contacts_that_match(built, sales_user):
    result = reduce(built["segment"], sales_user, city="London")
    assert result.removed == 1
    assert line_contacts(built["segment"]) == ids(built["bob"], built["claire"])


def test_reduce_whole_companies_removes_all_persons_of_a_matching_company(built, sales_user):
    reduce(built["segment"], sales_user, SegmentOptions(whole_companies=True), city="London")
    assert line_contacts(built["segment"]) == ids(built["claire"])


def test_refine_keeps_only_the_contacts_that_match(built, sales_user):
    result = refine(built["segment"], sales_user, city="London")
    assert result.removed == 2
    assert line_contacts(built["segment"]) == ids(built["anna"])


def test_refine_whole_companies_keeps_all_persons_of_a_matching_company(built, sales_user):
    refine(built["segment"], sales_user, SegmentOptions(whole_companies=True), city="London")
    assert line_contacts(built["segment"]) == ids(built["anna"], built["bob"])


def test_refine_by_history_keeps_those_without_meetings(built, sales_user):
    InteractionLogEntryFactory(
        contact=built["bob"], template=InteractionTemplateFactory(group=InteractionGroupFactory(code="MEETING"))
    )
    refine(built["segment"], sales_user, history="without", history_group="MEETING")
    assert line_contacts(built["segment"]) == ids(built["anna"], built["claire"])


# --- Go back ----------------------------------------------------------------------------


def test_go_back_undoes_only_the_last_step(built, sales_user):
    segment = built["segment"]
    reduce(segment, sales_user, name="Anna")
    refine(segment, sales_user, name="Claire")
    assert line_contacts(segment) == ids(built["claire"])

    services.go_back(segment=segment, user=sales_user)
    assert line_contacts(segment) == ids(built["bob"], built["claire"])
    services.go_back(segment=segment, user=sales_user)
    assert line_contacts(segment) == ids(built["anna"], built["bob"], built["claire"])
    services.go_back(segment=segment, user=sales_user)  # the first step, which added them
    assert line_contacts(segment) == set()
    with pytest.raises(ValidationError, match="no step to go back"):
        services.go_back(segment=segment, user=sales_user)


def test_go_back_restores_removed_lines_with_their_edited_values_and_order(built, sales_user):
    segment = built["segment"]
    before = list(SegmentLine.objects.filter(segment=segment).order_by("id").values_list("id", "contact_id"))
    SegmentLine.objects.filter(contact=built["anna"]).update(
        subject="Call her first", cost=Decimal("7.25"), evaluation="positive"
    )
    refine(segment, sales_user, name="Claire")
    services.go_back(segment=segment, user=sales_user)
    assert list(SegmentLine.objects.filter(segment=segment).order_by("id").values_list("id", "contact_id")) == before
    anna = SegmentLine.objects.get(segment=segment, contact=built["anna"])
    assert (anna.subject, anna.cost, anna.evaluation) == ("Call her first", Decimal("7.25"), "positive")


def test_steps_are_numbered_and_recorded_with_their_criteria(built, sales_user):
    segment = built["segment"]
    reduce(segment, sales_user, SegmentOptions(whole_companies=True), city="Paris")
    steps = list(SegmentCriteriaStep.objects.filter(segment=segment).order_by("step"))
    assert [(s.step, s.action) for s in steps] == [(1, "add"), (2, "reduce")]
    assert steps[1].criteria == {"city": "Paris"} and steps[1].options == {"whole_companies": True}
    assert steps[1].created_by == sales_user


# --- Saved criteria ---------------------------------------------------------------------


def test_criteria_saved_from_the_criteria_form_are_a_recipe_of_one_step(sales_client, sales_user):
    first = SegmentFactory()
    response = sales_client.post(
        reverse("interactions:segment-criteria", args=[first.number]),
        {"action": "save", "contact_type": "person", "city": "London", "history_canceled": "no",
         "save_code": "london", "save_description": "Persons in London", "save_action": "add"},
    )  # fmt: skip
    assert response.status_code == 302
    saved = SavedSegmentCriteria.objects.get(code="LONDON")
    assert saved.created_by == sales_user
    assert list(saved.steps.values_list("step", "action", "criteria")) == [
        (1, "add", {"contact_type": "person", "city": "London"})
    ]


def test_a_saved_criteria_code_is_used_once(sales_user):
    services.save_criteria(code="LONDON", description="", action="add", criteria=SegmentCriteria(city="London"),
                           options=NO_OPTIONS, user=sales_user)  # fmt: skip
    with pytest.raises(ValidationError, match="already exist"):
        services.save_criteria(code="london", description="", action="add", criteria=SegmentCriteria(),
                               options=NO_OPTIONS, user=sales_user)  # fmt: skip


# --- Header defaults and their lines ----------------------------------------------------


def test_changing_a_header_default_reports_the_lines_that_carry_the_old_value(sales_user):
    segment = SegmentFactory(subject_default="Old")
    PersonFactory.create_batch(3)
    add(segment, sales_user, contact_type="person")
    first = SegmentLine.objects.filter(segment=segment).order_by("id").first()
    SegmentLine.objects.filter(pk=first.pk).update(subject="Own")
    changes = services.update_segment_header(segment=segment, changes={"subject_default": "New"}, user=sales_user)
    assert [(c.field, c.old_value, c.new_value, c.line_count) for c in changes] == [
        ("subject_default", "Old", "New", 2)
    ]

    updated = services.update_lines_from_header(
        segment=segment, field="subject_default", old_value="Old", new_value="New", user=sales_user
    )
    assert updated == 2
    assert sorted(SegmentLine.objects.filter(segment=segment).values_list("subject", flat=True)) == [
        "New",
        "New",
        "Own",
    ]


def test_a_new_header_template_brings_its_defaults(sales_user):
    segment = SegmentFactory(unit_cost=Decimal("1.00"), subject_default="Keep")
    call = InteractionTemplateFactory(unit_cost=Decimal("3.50"), unit_duration=20, information_flow="inbound")
    services.update_segment_header(segment=segment, changes={"template": call, "unit_duration": 5}, user=sales_user)
    segment.refresh_from_db()
    assert (segment.template, segment.unit_cost, segment.information_flow) == (call, Decimal("3.50"), "inbound")
    assert segment.unit_duration == 5  # the user's own change wins


def test_header_page_asks_before_updating_lines_and_updates_the_chosen_ones(sales_client, sales_user):
    segment = SegmentFactory(subject_default="Old", description="Visit", unit_duration=10)
    PersonFactory.create_batch(2)
    add(segment, sales_user, contact_type="person")
    data = {
        "description": "Visit", "salesperson": segment.salesperson_id, "date": segment.date.isoformat(),
        "template": segment.template_id, "language_default": "", "subject_default": "New",
        "correspondence_type_default": "", "unit_cost": "0", "unit_duration": "45", "information_flow": "",
        "initiated_by": "", "campaign": "",
    }  # fmt: skip
    response = sales_client.post(reverse("interactions:segment-edit", args=[segment.number]), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Update the lines?" in page
    assert "update 2 lines that still have “Old” to “New”" in page
    assert "update 2 lines that still have “10” to “45”" in page
    assert SegmentLine.objects.filter(segment=segment, subject="Old").count() == 2  # not yet

    form = response.context["form"]
    sales_client.post(
        reverse("interactions:segment-update-lines", args=[segment.number]),
        {"changes": form.initial["changes"], "update": ["subject_default"]},
    )
    lines = SegmentLine.objects.filter(segment=segment)
    assert set(lines.values_list("subject", flat=True)) == {"New"}
    assert set(lines.values_list("duration", flat=True)) == {10}  # not chosen: left alone


# --- Pages ------------------------------------------------------------------------------


def test_sales_staff_create_a_segment_with_the_template_defaults(sales_client):
    template = InteractionTemplateFactory(unit_cost=Decimal("2.50"), unit_duration=10)
    salesperson = SalespersonFactory()
    response = sales_client.post(
        reverse("interactions:segments"),
        {"description": "Spring mailing", "salesperson": salesperson.pk, "date": "2026-03-01", "template": template.pk},
    )
    segment = Segment.objects.get(description="Spring mailing")
    assert response.status_code == 302 and response["Location"] == reverse(
        "interactions:segment-detail", args=[segment.number]
    )
    assert (segment.unit_cost, segment.unit_duration, segment.template) == (Decimal("2.50"), 10, template)


def test_a_segment_needs_a_description_to_be_created(sales_client):
    response = sales_client.post(reverse("interactions:segments"), {"description": "", "date": "2026-03-01"})
    assert response.status_code == 200
    assert not Segment.objects.exists()


def test_segment_list_shows_segments_with_their_line_count_without_a_query_per_row(sales_client, sales_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def make_segments(count):
        for _number in range(count):
            segment = SegmentFactory()
            PersonFactory()
            add(segment, sales_user, contact_type="person")

    def queries():
        with CaptureQueriesContext(connection) as context:
            response = sales_client.get(reverse("interactions:segments"))
        assert response.status_code == 200
        return len(context), response.content.decode()

    make_segments(2)
    few, _page = queries()
    make_segments(8)
    many, page = queries()
    assert many == few
    assert "New segment" in page
    last = Segment.objects.order_by("-number").first()
    assert last.number in page and last.description in page


def test_segment_page_shows_header_lines_and_steps(sales_client, sales_user):
    segment = SegmentFactory(description="Autumn visit", subject_default="Visit")
    PersonFactory(name="Anna Smith")
    add(segment, sales_user, contact_type="person")
    page = sales_client.get(reverse("interactions:segment-detail", args=[segment.number])).content.decode()
    assert "Autumn visit" in page and "Anna Smith" in page
    assert "Go back: undo step 1 (Add contacts)" in page
    assert "Log segment" in page


def test_criteria_page_adds_reduces_and_refines(sales_client):
    segment = SegmentFactory()
    anna, bob = PersonFactory(name="Anna", city="London"), PersonFactory(name="Bob", city="Leeds")
    url = reverse("interactions:segment-criteria", args=[segment.number])
    response = sales_client.post(
        url, {"action": "add", "contact_type": "person", "history_canceled": "no"}, follow=True
    )
    assert "2 contacts have been added." in response.content.decode()
    sales_client.post(url, {"action": "reduce", "name": "Anna", "history_canceled": "no"})
    assert line_contacts(segment) == ids(bob)
    response = sales_client.post(url, {"action": "refine", "city": "London", "history_canceled": "no"}, follow=True)
    assert "1 contact did not match and has been removed." in response.content.decode()
    assert line_contacts(segment) == set()
    sales_client.post(reverse("interactions:segment-go-back", args=[segment.number]))
    assert line_contacts(segment) == ids(bob)
    assert anna.pk not in line_contacts(segment)


def test_criteria_form_refuses_history_fields_without_saying_with_or_without(sales_client):
    segment = SegmentFactory()
    InteractionGroupFactory(code="MEETING")
    response = sales_client.post(
        reverse("interactions:segment-criteria", args=[segment.number]),
        {"action": "add", "history_group": "MEETING", "history_canceled": "no"},
    )
    assert response.status_code == 200
    assert "Choose whether the contacts must have, or must not have, such interactions." in response.content.decode()
    assert not SegmentCriteriaStep.objects.exists()


def test_a_line_is_edited_and_lines_are_removed(sales_client, sales_user):
    segment = SegmentFactory()
    anna, bob = PersonFactory(name="Anna"), PersonFactory(name="Bob")
    add(segment, sales_user, contact_type="person")
    line = SegmentLine.objects.get(segment=segment, contact=anna)
    response = sales_client.post(
        reverse("interactions:segment-line-edit", args=[segment.number, line.pk]),
        {"subject": "Personal invitation", "cost": "4.00", "duration": "15", "evaluation": "positive",
         "campaign_target": "on", "language": "en", "template": segment.template_id},
    )  # fmt: skip
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.subject, line.cost, line.evaluation, line.campaign_target) == (
        "Personal invitation", Decimal("4.00"), "positive", True,
    )  # fmt: skip
    sales_client.post(reverse("interactions:segment-lines-remove", args=[segment.number]), {"line": [line.pk]})
    assert line_contacts(segment) == ids(bob)


def test_users_without_segment_permissions_are_refused(client):
    client.force_login(UserFactory())
    segment = SegmentFactory()
    assert client.get(reverse("interactions:segments")).status_code == 403
    assert client.get(reverse("interactions:segment-detail", args=[segment.number])).status_code == 403
    response = client.post(reverse("interactions:segment-criteria", args=[segment.number]), {"action": "add"})
    assert response.status_code == 403
    assert not SegmentLine.objects.exists()
    with pytest.raises(PermissionDenied):
        add(segment, UserFactory())


def test_segment_delete_keeps_the_logged_entries(sales_client, sales_user):
    segment = SegmentFactory(description="To go")
    PersonFactory()
    add(segment, sales_user, contact_type="person")
    services.log_segment(segment=segment, user=sales_user)
    sales_client.post(reverse("interactions:segment-delete", args=[segment.number]))
    assert not Segment.objects.filter(pk=segment.pk).exists()
    assert Contact.objects.exists()
    from interactions.models import InteractionLogEntry

    assert InteractionLogEntry.objects.filter(segment_number=segment.number).count() == 1


def test_choosing_another_template_on_the_header_page_offers_to_move_the_lines_to_it(sales_client, sales_user):
    letter = InteractionTemplateFactory(unit_cost=Decimal("2.50"))
    call = InteractionTemplateFactory(unit_cost=Decimal("1.20"))
    segment = services.create_segment(
        description="Calls", salesperson=None, date=datetime.date(2026, 3, 1), template=letter, user=sales_user
    )
    PersonFactory.create_batch(2)
    add(segment, sales_user, contact_type="person")
    data = {
        "description": "Calls", "date": "2026-03-01", "template": call.pk, "language_default": "",
        "subject_default": "", "correspondence_type_default": "", "unit_cost": "2.50",
        "unit_duration": str(segment.unit_duration),
        "information_flow": segment.information_flow, "initiated_by": segment.initiated_by, "campaign": "",
    }  # fmt: skip
    response = sales_client.post(reverse("interactions:segment-edit", args=[segment.number]), data)
    page = response.content.decode()
    assert f"update 2 lines that still have “{letter}” to “{call}”" in page
    assert "update 2 lines that still have “2.50” to “1.20”" in page  # the new template's cost came along
    sales_client.post(
        reverse("interactions:segment-update-lines", args=[segment.number]),
        {"changes": response.context["form"].initial["changes"], "update": ["template", "unit_cost"]},
    )
    lines = SegmentLine.objects.filter(segment=segment)
    assert set(lines.values_list("template", "cost")) == {(call.pk, Decimal("1.20"))}


def test_answering_no_leaves_the_lines_alone(sales_client, sales_user):
    from interactions.forms.segments import UpdateLinesForm

    segment = SegmentFactory(subject_default="Old")
    PersonFactory()
    add(segment, sales_user, contact_type="person")
    changes = services.update_segment_header(segment=segment, changes={"subject_default": "New"}, user=sales_user)
    assert [change.line_count for change in changes] == [1]
    response = sales_client.post(
        reverse("interactions:segment-update-lines", args=[segment.number]),
        {"changes": UpdateLinesForm.for_changes(changes).initial["changes"]},  # nothing checked
        follow=True,
    )
    assert "The lines have been left as they were." in response.content.decode()
    assert SegmentLine.objects.get(segment=segment).subject == "Old"


def test_segment_pages_render_in_russian(sales_client, sales_user):
    segment = SegmentFactory()
    PersonFactory()
    add(segment, sales_user, contact_type="person")
    for url in (
        "/ru/interactions/segments/",
        f"/ru/interactions/segments/{segment.number}/",
        f"/ru/interactions/segments/{segment.number}/contacts/",
        f"/ru/interactions/segments/{segment.number}/edit/",
        "/ru/interactions/logged-segments/",
    ):
        assert sales_client.get(url).status_code == 200, url


def test_segment_page_runs_no_query_per_line(sales_client, sales_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    segment = SegmentFactory(campaign=CampaignFactory())

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert sales_client.get(reverse("interactions:segment-detail", args=[segment.number])).status_code == 200
        return len(context)

    PersonFactory.create_batch(2)
    add(segment, sales_user, contact_type="person")
    few = queries()
    PersonFactory.create_batch(20)
    add(segment, sales_user, contact_type="person")
    assert queries() == few
