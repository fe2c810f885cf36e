"""Deleting an interaction template while an interaction is being recorded with it ends in a
clear message whichever commits first, never in a database error (PostgreSQL, two
connections): the deletion waits for the entry being recorded and is then refused (the
template is in use), or the recording waits for the deletion and is then refused (the
template has been deleted). The log's foreign key to the template is checked at commit,
so without the template's row lock in both, the loser failed at its commit (a 500)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from interactions.models import InteractionLogEntry, InteractionTemplate
from interactions.services import recording, setup
from interactions.services.communication import calls

from .factories import InteractionTemplateFactory, PersonFactory, SalespersonFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql]


@pytest.fixture
def world(postgresql):
    salesperson = SalespersonFactory()
    return {
        "admin": UserFactory(username="admin", groups=["Administrator"]),
        "sales": UserFactory(username="sales", groups=["Sales staff"]),
        "contact": PersonFactory(salesperson=salesperson, phone="+7 495 123-45-67"),
        "salesperson": salesperson,
        "template": InteractionTemplateFactory(code="LETTER", description="Business letter"),
        "other": InteractionTemplateFactory(code="CALL", description="Outgoing call"),
    }


def record_by_hand(world):
    # Each request reads its own copy of the template (deleting one sets its pk to None).
    details = recording.InteractionDetails(
        contact=world["contact"],
        template=InteractionTemplate.objects.get(code="LETTER"),
        salesperson=world["salesperson"],
        date=datetime.date(2026, 3, 2),
        description="Offer sent",
    )
    return lambda: recording.record_interaction(details=details, user=world["sales"])


def record_a_call(world):
    """A phone call, recorded with the setup's template for outgoing calls (LETTER, read
    before an administrator chooses another one and deletes LETTER)."""
    setup.save_template_setup(templates_by_event={"outgoing_calls": world["template"]}, user=world["admin"])
    return lambda: calls.record_phone_call(
        contact=world["contact"], phone_number="+7 495 123-45-67", duration=5, successful=True,
        description="Offer discussed", evaluation="", user=world["sales"],
    )  # fmt: skip


def delete_template(world):
    def run():
        setup.save_template_setup(templates_by_event={"outgoing_calls": world["other"]}, user=world["admin"])
        setup.delete_template(template=InteractionTemplate.objects.get(code="LETTER"), user=world["admin"])

    return run


RECORDERS = {"by hand": record_by_hand, "a phone call": record_a_call}


@pytest.mark.parametrize("recorder", RECORDERS.values(), ids=RECORDERS)
def test_a_deletion_while_an_interaction_is_being_recorded_is_refused_as_in_use(world, racers, recorder):
    recording_it = racers(recorder(world), hold=True).start().wait_called()
    deleting = racers(delete_template(world)).start()
    assert deleting.wait_blocked_or_done(), "the deletion did not wait for the entry being recorded"
    recording_it.commit()
    recording_it.join()
    with pytest.raises(setup.TemplateInUse) as refused:
        deleting.join()

    assert "has 1 interaction log entry, so it cannot be deleted" in " ".join(refused.value.messages)
    assert InteractionTemplate.objects.filter(code="LETTER").exists()
    assert InteractionLogEntry.objects.filter(template__code="LETTER").count() == 1


@pytest.mark.parametrize("recorder", RECORDERS.values(), ids=RECORDERS)
def test_recording_while_the_template_is_being_deleted_is_refused_as_deleted(world, racers, recorder):
    record = recorder(world)
    deleting = racers(delete_template(world), hold=True).start().wait_called()
    recording_it = racers(record).start()
    assert recording_it.wait_blocked_or_done(), "the recording did not wait for the deletion"
    deleting.commit()
    deleting.join()
    with pytest.raises(ValidationError) as refused:
        recording_it.join()

    assert refused.value.messages == [
        "Interaction template LETTER has just been deleted, so nothing was recorded with it: choose another template."
    ]
    assert not InteractionTemplate.objects.filter(code="LETTER").exists()
    assert not InteractionLogEntry.objects.exists()
