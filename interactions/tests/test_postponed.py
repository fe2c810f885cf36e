"""Postponed interactions: the list (own, or everyone's for a sales manager), resuming one
(everything but the date kept; completing it turns it into a normal entry with the same
number), deleting one (only postponed entries, only by their user or a sales manager)."""

import dataclasses
import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.contacts.models import CorrespondenceType
from interactions.models import Attachment, InteractionComment, InteractionLogEntry, WizardAction
from interactions.services import recording

from .factories import (
    CampaignFactory,
    InteractionCommentFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    InteractionTemplateLanguageFactory,
    PersonFactory,
    SalespersonFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
POSTPONED = reverse("interactions:postponed")


def resume_url(entry):
    return reverse("interactions:postponed-resume", args=[entry.entry_no])


def delete_url(entry):
    return reverse("interactions:postponed-delete", args=[entry.entry_no])


def reload(entry):
    return InteractionLogEntry.objects.filter(pk=entry.pk).first()


@pytest.fixture
def postponed(sales_user):
    """A postponed interaction of the sales user, saved ten days ago, with a value in every field."""
    return InteractionLogEntryFactory(
        postponed=True,
        user=sales_user,
        contact=PersonFactory(name="Anna Smith", email="anna@example.com"),
        date=timezone.localdate() - datetime.timedelta(days=10),
        time=datetime.time(8, 15),
        description="Call about the spring order",
        subject="Spring order",
        language="en",
        correspondence_type=CorrespondenceType.EMAIL,
        contact_via="anna@example.com",
        evaluation="neutral",
        attempt_failed=True,
        cost=Decimal("3.40"),
        duration=25,
        campaign=CampaignFactory(),
        campaign_target=True,
        opportunity_number="OP-7",
    )


def resumed_values(response) -> dict:
    form = response.context["form"]
    return {name: form[name].value() for name in form.fields}


def complete_post(entry, **overrides) -> dict:
    """The resumed form as the browser posts it back, with `overrides`."""
    data = {
        "action": "save",
        "contact": entry.contact.number,
        "template": entry.template_id,
        "salesperson": entry.salesperson_id,
        "date": timezone.localdate().isoformat(),
        "time": "11:05",
        "description": entry.description,
        "subject": entry.subject,
        "information_flow": entry.information_flow,
        "initiated_by": entry.initiated_by,
        "language": entry.language,
        "correspondence_type": entry.correspondence_type,
        "contact_via": entry.contact_via,
        "evaluation": entry.evaluation,
        "cost": str(entry.cost),
        "duration": str(entry.duration),
        "campaign": entry.campaign_id or "",
        "opportunity_number": entry.opportunity_number,
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


# --- The list --------------------------------------------------------------------------------


def test_sales_staff_see_their_own_postponed_interactions_only(sales_client, postponed):
    InteractionLogEntryFactory(postponed=True, user=UserFactory(), description="Someone else's draft")
    InteractionLogEntryFactory(user=postponed.user, description="A recorded interaction")
    response = sales_client.get(POSTPONED)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Call about the spring order" in page
    assert "Someone else's draft" not in page and "A recorded interaction" not in page
    assert resume_url(postponed) in page and delete_url(postponed) in page
    assert ">User<" not in page


def test_sales_managers_see_everyones_with_the_user(manager_client, postponed):
    other = InteractionLogEntryFactory(postponed=True, user=UserFactory(first_name="Ivan", last_name="Petrov"))
    page = manager_client.get(POSTPONED).content.decode()
    assert "Call about the spring order" in page and other.description in page
    assert ">User<" in page and "Ivan Petrov" in page


def test_the_list_runs_no_query_per_row(manager_client):
    def queries_for(count: int) -> int:
        InteractionLogEntry.objects.all().delete()
        for _ in range(count):
            InteractionLogEntryFactory(postponed=True, user=UserFactory(), salesperson=SalespersonFactory())
        with CaptureQueriesContext(connection) as context:
            assert manager_client.get(POSTPONED).status_code == 200
        return len(context.captured_queries)

    assert queries_for(2) == queries_for(12)


def test_the_list_needs_the_add_permission(postponed):
    client = Client()
    client.force_login(UserFactory(username="no-group"))
    assert client.get(POSTPONED).status_code == 403


# --- Resuming ------------------------------------------------------------------------------


def test_resume_keeps_everything_but_the_date(sales_client, postponed):
    response = sales_client.get(resume_url(postponed))
    assert response.status_code == 200
    values = resumed_values(response)
    assert values["date"] == timezone.localdate()  # starts again at now
    now = timezone.localtime()
    minutes = abs((now.hour * 60 + now.minute) - (values["time"].hour * 60 + values["time"].minute))
    assert minutes <= 1 or minutes >= 24 * 60 - 1  # the time too (a minute may pass meanwhile)
    assert values["contact"] == postponed.contact.number
    assert values["template"] == postponed.template_id
    assert values["salesperson"] == postponed.salesperson_id
    assert values["description"] == "Call about the spring order" and values["subject"] == "Spring order"
    assert values["language"] == "en" and values["correspondence_type"] == CorrespondenceType.EMAIL
    assert values["contact_via"] == "anna@example.com" and values["evaluation"] == "neutral"
    assert values["was_successful"] is False
    assert values["cost"] == Decimal("3.40") and values["duration"] == 25
    assert values["campaign"] == postponed.campaign_id and values["campaign_target"] is True
    assert values["opportunity_number"] == "OP-7"


def test_completing_turns_it_into_a_normal_entry_with_the_same_number(sales_client, postponed):
    count = InteractionLogEntry.objects.count()
    response = sales_client.post(
        resume_url(postponed), complete_post(postponed, description="Called back", first_comment="Done")
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:detail", args=[postponed.contact.number])
    entry = reload(postponed)
    assert entry.postponed is False
    assert entry.description == "Called back"
    assert entry.date == timezone.localdate() and entry.time == datetime.time(11, 5)
    assert entry.attempt_failed is True  # "was successful" left unchecked
    assert InteractionLogEntry.objects.count() == count
    assert list(entry.comments.values_list("text", flat=True)) == ["Done"]


def test_finish_later_again_keeps_it_postponed_with_the_new_values(sales_client, postponed):
    response = sales_client.post(
        resume_url(postponed), complete_post(postponed, action="postpone", subject="Still open", description="")
    )
    assert response.status_code == 302 and response["Location"] == POSTPONED
    entry = reload(postponed)
    assert entry.postponed is True and entry.subject == "Still open"
    assert entry.description == postponed.template.description  # left empty: the template's


def test_completing_checks_the_required_fields(sales_client, postponed):
    response = sales_client.post(resume_url(postponed), complete_post(postponed, description="", salesperson=""))
    assert {"description", "salesperson"} <= set(response.context["form"].errors)
    assert reload(postponed).postponed is True


def test_a_recorded_entry_cannot_be_resumed(sales_client, sales_user):
    entry = InteractionLogEntryFactory(user=sales_user)
    assert sales_client.get(resume_url(entry)).status_code == 404
    assert sales_client.post(resume_url(entry), complete_post(entry, description="Changed")).status_code == 404
    assert reload(entry).description == entry.description


def test_sales_staff_cannot_resume_someone_elses(sales_client):
    entry = InteractionLogEntryFactory(postponed=True, user=UserFactory())
    assert sales_client.get(resume_url(entry)).status_code == 403
    assert sales_client.post(resume_url(entry), complete_post(entry)).status_code == 403
    assert reload(entry).postponed is True


def test_a_sales_manager_can_complete_someone_elses(manager_client, postponed):
    manager_client.post(resume_url(postponed), complete_post(postponed))
    assert reload(postponed).postponed is False


def test_completing_an_entry_completed_meanwhile_changes_nothing_more(sales_user, postponed):
    details = recording.InteractionDetails(
        contact=postponed.contact, template=postponed.template, salesperson=postponed.salesperson,
        date=timezone.localdate(), description="First",
    )  # fmt: skip
    recording.complete_postponed_interaction(entry=postponed, details=details, user=sales_user)
    second = dataclasses.replace(details, description="Second")
    with pytest.raises(recording.PostponedInteractionGone):
        recording.complete_postponed_interaction(entry=postponed, details=second, user=sales_user)
    assert reload(postponed).description == "First"


def test_resuming_a_merge_shows_the_stored_text_and_keeps_the_file_when_unchanged(sales_client, sales_user):
    template = InteractionTemplateFactory(wizard_action=WizardAction.MERGE)
    InteractionTemplateLanguageFactory(template=template, language="en", merge_body="Dear {contact.name}")
    contact = PersonFactory(name="Anna Smith")
    saved = recording.record_interaction(
        details=recording.InteractionDetails(
            contact=contact, template=template, language="en", merged_text="Dear Anna, see you soon"
        ),
        user=sales_user,
        postpone=True,
    )
    response = sales_client.get(resume_url(saved))
    assert resumed_values(response)["merged_body"] == "Dear Anna, see you soon"
    sales_client.post(
        resume_url(saved),
        complete_post(saved, salesperson=SalespersonFactory().pk, merged_body="Dear Anna, see you soon"),
    )
    assert reload(saved).attachment_id == saved.attachment_id and Attachment.objects.count() == 1
    # Edited: a new file, and the old one, used by nothing else, goes.
    other = recording.record_interaction(
        details=recording.InteractionDetails(contact=contact, template=template, merged_text="Draft"),
        user=sales_user,
        postpone=True,
    )
    sales_client.post(
        resume_url(other), complete_post(other, salesperson=SalespersonFactory().pk, merged_body="Final text")
    )
    completed = reload(other)
    assert completed.attachment_id != other.attachment_id
    assert not Attachment.objects.filter(pk=other.attachment_id).exists()
    with completed.attachment.file.open("rb") as handle:
        assert handle.read() == b"Final text"


# --- Deleting ------------------------------------------------------------------------------


def test_delete_asks_for_confirmation_first(sales_client, postponed):
    InteractionCommentFactory(entry=postponed)
    response = sales_client.get(delete_url(postponed))
    assert response.status_code == 200
    assert "Delete postponed interaction" in response.content.decode()
    assert reload(postponed) is not None


def test_delete_removes_the_entry_with_its_comments(sales_client, postponed):
    InteractionCommentFactory.create_batch(2, entry=postponed)
    kept = InteractionCommentFactory()
    response = sales_client.post(delete_url(postponed), follow=True)
    assert response.redirect_chain[-1][0] == POSTPONED
    assert "has been deleted" in response.content.decode()
    assert reload(postponed) is None
    assert list(InteractionComment.objects.all()) == [kept]


def test_delete_statement_itself_requires_postponed(sales_user, postponed):
    table = InteractionLogEntry._meta.db_table
    with CaptureQueriesContext(connection) as context:
        assert recording.delete_postponed_interaction(entry=postponed, user=sales_user) is True
    deletes = [query["sql"] for query in context.captured_queries if query["sql"].startswith(f'DELETE FROM "{table}"')]
    assert len(deletes) == 1
    assert '"postponed"' in deletes[0].split("WHERE", 1)[1]


def test_only_postponed_entries_can_be_deleted(sales_client, sales_user):
    entry = InteractionLogEntryFactory(user=sales_user)
    assert sales_client.post(delete_url(entry)).status_code == 404
    assert recording.delete_postponed_interaction(entry=entry, user=sales_user) is False
    assert reload(entry) is not None


def test_sales_staff_cannot_delete_someone_elses(sales_client):
    entry = InteractionLogEntryFactory(postponed=True, user=UserFactory())
    assert sales_client.get(delete_url(entry)).status_code == 403
    assert sales_client.post(delete_url(entry)).status_code == 403
    assert reload(entry) is not None


def test_a_sales_manager_can_delete_someone_elses(manager_client, postponed):
    manager_client.post(delete_url(postponed))
    assert reload(postponed) is None


def test_a_user_without_permission_cannot_delete_even_their_own(postponed):
    client = Client()
    client.force_login(postponed.user)
    postponed.user.groups.clear()
    assert client.post(delete_url(postponed)).status_code == 403
    assert reload(postponed) is not None


def test_delete_removes_an_attachment_nothing_else_uses_and_keeps_a_shared_one(sales_user):
    own = Attachment.objects.create(file=ContentFile(b"x", name="own.txt"), file_name="own.txt")
    shared = Attachment.objects.create(file=ContentFile(b"y", name="shared.pdf"), file_name="shared.pdf")
    InteractionTemplateLanguageFactory(attachment=shared)
    first = InteractionLogEntryFactory(postponed=True, user=sales_user, attachment=own)
    second = InteractionLogEntryFactory(postponed=True, user=sales_user, attachment=shared)
    recording.delete_postponed_interaction(entry=first, user=sales_user)
    recording.delete_postponed_interaction(entry=second, user=sales_user)
    assert list(Attachment.objects.all()) == [shared]
