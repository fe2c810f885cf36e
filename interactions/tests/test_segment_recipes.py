"""Saved criteria are the segment's whole recipe: saving keeps every step with its
criteria and options in order, "Reuse criteria" replays them on another segment in one
action (all or none, each step shown and undone by "go back"), "Reuse segment" fills a
segment with a logged segment's contacts."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from interactions.models import InteractionLogEntry, SavedSegmentCriteria, Segment, SegmentCriteriaStep, SegmentLine
from interactions.selectors.segments import SegmentCriteria, SegmentOptions
from interactions.services import segment_recipes as recipes
from interactions.services import segments as services

from .factories import CampaignFactory, CompanyFactory, PersonFactory, SegmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def line_contacts(segment) -> set[int]:
    return set(SegmentLine.objects.filter(segment=segment).values_list("contact_id", flat=True))


@pytest.fixture
def people():
    adatum = CompanyFactory(name="Adatum", city="London")
    fabrikam = CompanyFactory(name="Fabrikam", city="Paris")
    return {
        "adatum": adatum,
        "fabrikam": fabrikam,
        "anna": PersonFactory(company=adatum, name="Anna", city="London"),
        "bob": PersonFactory(company=adatum, name="Bob", city="Leeds"),
        "pierre": PersonFactory(company=fabrikam, name="Pierre", city="Paris"),
        "lone": PersonFactory(company=None, name="Lone", city="London"),
    }


def build_three_steps(segment, user):
    services.add_contacts(segment=segment, criteria=SegmentCriteria(contact_type="person"),
                          options=SegmentOptions(ignore_exclusion=True), user=user)  # fmt: skip
    services.reduce_contacts(segment=segment, criteria=SegmentCriteria(city="Paris"),
                             options=SegmentOptions(whole_companies=True), user=user)  # fmt: skip
    services.refine_contacts(segment=segment, criteria=SegmentCriteria(name="*n*"), options=SegmentOptions(),
                             user=user)  # fmt: skip


def test_saving_keeps_every_step_with_its_criteria_and_options_in_order(people, sales_user):
    segment = SegmentFactory()
    build_three_steps(segment, sales_user)
    saved = recipes.save_recipe(segment=segment, code="persons", description="Persons", user=sales_user)
    assert saved.code == "PERSONS"
    assert list(saved.steps.order_by("step").values_list("step", "action", "criteria", "options")) == [
        (1, "add", {"contact_type": "person"}, {"ignore_exclusion": True}),
        (2, "reduce", {"city": "Paris"}, {"whole_companies": True}),
        (3, "refine", {"name": "*n*"}, {}),
    ]


def test_a_segment_without_steps_has_nothing_to_save(sales_user):
    with pytest.raises(ValidationError, match="no criteria steps"):
        recipes.save_recipe(segment=SegmentFactory(), code="EMPTY", description="", user=sales_user)
    assert not SavedSegmentCriteria.objects.exists()


def test_replaying_a_recipe_gives_the_same_lines_and_reports_each_step(people, sales_user):
    original, copy = SegmentFactory(), SegmentFactory()
    build_three_steps(original, sales_user)
    saved = recipes.save_recipe(segment=original, code="P", description="", user=sales_user)

    results = recipes.replay_recipe(segment=copy, saved=saved, user=sales_user)

    assert line_contacts(copy) == line_contacts(original) == {people["anna"].pk, people["lone"].pk}
    assert [(r.number, r.action, r.added, r.removed) for r in results] == [
        (1, "add", 4, 0),
        (2, "reduce", 0, 1),
        (3, "refine", 0, 1),
    ]
    assert list(copy.criteria_steps.order_by("step").values_list("action", flat=True)) == ["add", "reduce", "refine"]


def test_go_back_undoes_a_replayed_recipe_one_step_at_a_time(people, sales_user):
    original, copy = SegmentFactory(), SegmentFactory()
    build_three_steps(original, sales_user)
    saved = recipes.save_recipe(segment=original, code="P", description="", user=sales_user)
    recipes.replay_recipe(segment=copy, saved=saved, user=sales_user)
    services.go_back(segment=copy, user=sales_user)
    assert line_contacts(copy) == {people["anna"].pk, people["bob"].pk, people["lone"].pk}


def test_a_refused_step_leaves_the_segment_as_it_was(people, sales_user):
    logged = services.log_segment(segment=_logged_source(people, sales_user), user=sales_user).logged_segment
    recipe = SegmentFactory()
    services.add_contacts(segment=recipe, criteria=SegmentCriteria(city="London"), options=SegmentOptions(),
                          user=sales_user)  # fmt: skip
    recipes.reuse_logged_segment(segment=recipe, logged_segment=logged, user=sales_user)
    saved = recipes.save_recipe(segment=recipe, code="GONE", description="", user=sales_user)
    logged.delete()

    target = SegmentFactory()
    with pytest.raises(ValidationError, match="no longer exists"):
        recipes.replay_recipe(segment=target, saved=saved, user=sales_user)
    assert not SegmentLine.objects.filter(segment=target).exists()
    assert not SegmentCriteriaStep.objects.filter(segment=target).exists()


def _logged_source(people, user):
    source = SegmentFactory(description="Spring mailing")
    services.add_contacts(segment=source, criteria=SegmentCriteria(contact_type="person", city="London"),
                          options=SegmentOptions(), user=user)  # fmt: skip
    return source


def test_reuse_segment_adds_the_logged_contacts_once_with_their_campaign(people, sales_user):
    campaign = CampaignFactory()
    logged = services.log_segment(segment=_logged_source(people, sales_user), user=sales_user).logged_segment
    InteractionLogEntry.objects.filter(logged_segment=logged, contact=people["anna"]).update(campaign=campaign)
    target = SegmentFactory()
    SegmentLine.objects.create(segment=target, contact=people["lone"])

    result = recipes.reuse_logged_segment(segment=target, logged_segment=logged, user=sales_user)

    assert (result.added, result.removed) == (1, 0)
    assert line_contacts(target) == {people["anna"].pk, people["lone"].pk}
    assert SegmentLine.objects.get(segment=target, contact=people["anna"]).campaign == campaign
    step = target.criteria_steps.get()
    assert (step.action, step.criteria) == ("reuse_logged", {"logged_segment": logged.pk})
    services.go_back(segment=target, user=sales_user)
    assert line_contacts(target) == {people["lone"].pk}


def test_reuse_segment_from_the_logged_segments_page_makes_a_new_segment(people, sales_client, sales_user):
    source = _logged_source(people, sales_user)
    logged = services.log_segment(segment=source, user=sales_user).logged_segment
    response = sales_client.post(reverse("interactions:logged-segment-reuse", args=[logged.pk]))
    new = Segment.objects.exclude(pk=source.pk).get()
    assert response.status_code == 302 and response["Location"].endswith(f"/segments/{new.number}/")
    assert new.description == "Spring mailing"
    assert line_contacts(new) == line_contacts(source)
    page = sales_client.get(response["Location"]).content.decode()
    assert f"contacts of logged segment {logged.pk}" in page


def test_the_segment_page_saves_and_replays_a_recipe_showing_each_step(people, sales_client, sales_user):
    original, copy = SegmentFactory(), SegmentFactory()
    build_three_steps(original, sales_user)
    response = sales_client.post(
        reverse("interactions:segment-save-criteria", args=[original.number]), {"code": "tri", "description": "Three"}
    )
    assert response.status_code == 302
    assert "saved as TRI (3 steps)" in sales_client.get(response["Location"]).content.decode()

    page = sales_client.post(reverse("interactions:segment-reuse-criteria", args=[copy.number]), {"saved": "TRI"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "3 steps applied: 4 lines added, 2 removed." in html
    assert html.count("<tr><td>") == 3
    assert line_contacts(copy) == line_contacts(original)


def test_reusing_on_a_segment_that_has_steps_asks_first(people, sales_client, sales_user):
    original = SegmentFactory()
    build_three_steps(original, sales_user)
    recipes.save_recipe(segment=original, code="TRI", description="", user=sales_user)
    before = line_contacts(original)

    page = sales_client.post(reverse("interactions:segment-reuse-criteria", args=[original.number]), {"saved": "TRI"})
    assert "already has 3 criteria steps" in page.content.decode()
    assert original.criteria_steps.count() == 3

    sales_client.post(
        reverse("interactions:segment-reuse-criteria", args=[original.number]), {"saved": "TRI", "confirmed": "on"}
    )
    assert original.criteria_steps.count() == 6
    assert line_contacts(original) == before


def test_replay_runs_no_query_per_contact(sales_user):
    # (On SQLite an INSERT holds as many lines as its limit on parameters allows; on
    # PostgreSQL one INSERT holds them all: bench/segment_recipe.py counts 1,000 and 10,000.)
    def queries_for(persons: int) -> int:
        for _index in range(persons):
            PersonFactory(city="Oslo")
        source, target = SegmentFactory(), SegmentFactory()
        services.add_contacts(segment=source, criteria=SegmentCriteria(city="Oslo"), options=SegmentOptions(),
                              user=sales_user)  # fmt: skip
        services.refine_contacts(segment=source, criteria=SegmentCriteria(contact_type="person"),
                                 options=SegmentOptions(), user=sales_user)  # fmt: skip
        saved = recipes.save_recipe(segment=source, code=f"Q{persons}", description="", user=sales_user)
        with CaptureQueriesContext(connection) as queries:
            recipes.replay_recipe(segment=target, saved=saved, user=sales_user)
        return len(queries)

    assert queries_for(3) == queries_for(30)


def test_saving_and_reusing_need_their_permissions(people, client):
    segment = SegmentFactory()
    client.force_login(UserFactory())
    assert client.post(reverse("interactions:segment-save-criteria", args=[segment.number]),
                       {"code": "X"}).status_code == 403  # fmt: skip
    assert client.post(reverse("interactions:segment-reuse-criteria", args=[segment.number]),
                       {"saved": "X"}).status_code == 403  # fmt: skip
    assert client.post(reverse("interactions:segment-reuse-segment", args=[segment.number]),
                       {"logged_segment": "1"}).status_code == 403  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_criteria_saved_before_become_recipes_of_one_step():
    from django.db.migrations.executor import MigrationExecutor

    before, after = (
        [("interactions", "0010_delivery_claim_and_purge_runs")],
        [("interactions", "0011_saved_criteria_are_recipes")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    old_apps.get_model("interactions", "SavedSegmentCriteria").objects.create(
        code="LONDON", action="refine", criteria={"city": "London"}, options={"whole_companies": True}
    )
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    executor.loader.build_graph()
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())

    saved = SavedSegmentCriteria.objects.get(code="LONDON")
    assert list(saved.steps.values_list("step", "action", "criteria", "options")) == [
        (1, "refine", {"city": "London"}, {"whole_companies": True})
    ]


def test_a_logged_segments_segment_is_not_changed_by_reuse_and_offers_reuse_in_a_new_segment(
    people, sales_client, sales_user
):
    source = _logged_source(people, sales_user)
    logged = services.log_segment(segment=source, user=sales_user).logged_segment
    before = list(SegmentLine.objects.filter(segment=source).order_by("id").values_list("id", flat=True))

    with pytest.raises(ValidationError, match="can no longer be changed"):
        recipes.reuse_logged_segment(segment=source, logged_segment=logged, user=sales_user)
    response = sales_client.post(
        reverse("interactions:segment-reuse-segment", args=[source.number]), {"logged_segment": logged.pk}
    )
    assert response.status_code == 302
    assert list(SegmentLine.objects.filter(segment=source).order_by("id").values_list("id", flat=True)) == before

    page = sales_client.get(reverse("interactions:segment-detail", args=[source.number])).content.decode()
    assert f"Reuse logged segment {logged.pk} in a new segment" in page
    assert 'id="reuse-criteria"' not in page and 'id="reuse-segment"' not in page
