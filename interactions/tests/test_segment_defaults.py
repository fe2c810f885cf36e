"""Defaults on segment lines: a template chosen on a line brings its defaults for what the
user has not typed (as the original's line does), and "Update lines" after a header change
gives the lines the saved header's values, never values taken from the request."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from interactions.models import InteractionLogEntry, SegmentLine
from interactions.services import segments as services

from .factories import (
    CampaignFactory,
    InteractionTemplateFactory,
    InteractionTemplateLanguageFactory,
    PersonFactory,
    SegmentFactory,
    SegmentLineFactory,
)

pytestmark = pytest.mark.django_db


def line_form_data(line, **changes) -> dict:
    data = {
        "template": line.template_id or "", "salesperson": line.salesperson_id or "", "time": "",
        "description": line.description, "subject": line.subject, "language": line.language,
        "correspondence_type": line.correspondence_type, "contact_via": line.contact_via,
        "evaluation": line.evaluation, "cost": str(line.cost), "duration": str(line.duration),
        "information_flow": line.information_flow, "initiated_by": line.initiated_by,
        "campaign": line.campaign_id or "",
    }  # fmt: skip
    if line.campaign_target:
        data["campaign_target"] = "on"
    if line.campaign_response:
        data["campaign_response"] = "on"
    data.update(changes)
    return data


@pytest.fixture
def call_line():
    """A line with the values of an outgoing letter; then a template for an incoming call."""
    letter = InteractionTemplateFactory(
        unit_cost=Decimal("1.00"), unit_duration=1, information_flow="outbound", initiated_by="us",
        correspondence_type="hard_copy",
    )  # fmt: skip
    campaign = CampaignFactory()
    incoming = InteractionTemplateFactory(
        unit_cost=Decimal("0.40"), unit_duration=15, information_flow="inbound", initiated_by="them",
        correspondence_type="", campaign=campaign, campaign_target=True, campaign_response=True, language_default="en",
    )  # fmt: skip
    InteractionTemplateLanguageFactory(template=incoming, language="en")
    InteractionTemplateLanguageFactory(template=incoming, language="de")
    contact = PersonFactory(language="de", correspondence_type="", phone="+49 30 1234", mobile="")
    segment = SegmentFactory(
        template=letter, campaign=None, unit_cost=Decimal("1.00"), unit_duration=1, information_flow="outbound",
        initiated_by="us", correspondence_type_default="hard_copy",
    )  # fmt: skip
    line = SegmentLineFactory(
        segment=segment, contact=contact, template=letter, cost=Decimal("1.00"), duration=1,
        information_flow="outbound", initiated_by="us", correspondence_type="hard_copy", contact_via="1 Main St",
    )  # fmt: skip
    return line, incoming, campaign


def test_a_new_template_on_a_line_brings_its_defaults(sales_client, call_line):
    line, incoming, campaign = call_line
    url = reverse("interactions:segment-line-edit", args=[line.segment.number, line.pk])
    response = sales_client.post(url, line_form_data(line, template=incoming.pk))
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.template, line.cost, line.duration) == (incoming, Decimal("0.40"), 15)
    assert (line.information_flow, line.initiated_by) == ("inbound", "them")  # no longer "outbound, by us"
    assert (line.campaign, line.campaign_target, line.campaign_response) == (campaign, True, True)
    assert line.correspondence_type == "" and line.contact_via == "+49 30 1234"  # a call goes to the phone
    assert line.language == "de"  # the contact's language: the template has it


def test_what_the_user_typed_with_the_new_template_is_kept(sales_client, call_line):
    line, incoming, _campaign = call_line
    url = reverse("interactions:segment-line-edit", args=[line.segment.number, line.pk])
    sales_client.post(url, line_form_data(line, template=incoming.pk, cost="9.99", information_flow=""))
    line.refresh_from_db()
    assert (line.template, line.cost, line.information_flow) == (incoming, Decimal("9.99"), "")
    assert (line.duration, line.initiated_by) == (15, "them")  # not typed: the template's


def test_saving_a_line_without_changing_its_template_keeps_its_values(sales_client, call_line):
    line, _incoming, _campaign = call_line
    url = reverse("interactions:segment-line-edit", args=[line.segment.number, line.pk])
    sales_client.post(url, line_form_data(line, subject="Hello"))
    line.refresh_from_db()
    assert (line.subject, line.cost, line.information_flow, line.contact_via) == (
        "Hello", Decimal("1.00"), "outbound", "1 Main St",
    )  # fmt: skip


def test_the_header_template_change_is_offered_to_the_lines_with_its_defaults(sales_user, call_line):
    line, incoming, _campaign = call_line
    changes = services.update_segment_header(segment=line.segment, changes={"template": incoming}, user=sales_user)
    offered = {change.field: (change.old_display, change.new_display) for change in changes}
    assert {"template", "unit_cost", "unit_duration", "information_flow", "initiated_by"} <= set(offered)
    for change in changes:
        services.update_lines_from_header(
            segment=line.segment, field=change.field, old_value=change.old_value, user=sales_user
        )
    line.refresh_from_db()
    assert (line.template, line.cost, line.duration, line.information_flow, line.initiated_by) == (
        incoming, Decimal("0.40"), 15, "inbound", "them",
    )  # fmt: skip


# --- "Update lines" never trusts the posted changes (issue 20, item 3) ---------------------


def update_lines(client, segment, changes, update):
    return client.post(
        reverse("interactions:segment-update-lines", args=[segment.number]),
        {"changes": json.dumps(changes), "update": update},
        follow=True,
    )


def test_a_tampered_new_value_is_never_written_into_the_lines_or_the_log(sales_client, sales_user):
    segment = SegmentFactory(information_flow="outbound", description="Letters")
    SegmentLineFactory(segment=segment, information_flow="outbound")
    response = update_lines(
        sales_client, segment, [{"field": "information_flow", "old": "outbound", "new": "sideways"}], "information_flow"
    )
    assert response.status_code == 200
    assert set(SegmentLine.objects.filter(segment=segment).values_list("information_flow", flat=True)) == {"outbound"}
    services.log_segment(segment=segment, user=sales_user)
    assert not InteractionLogEntry.objects.filter(information_flow="sideways").exists()


def test_the_lines_get_the_saved_headers_value_whatever_new_value_is_posted(sales_client):
    segment = SegmentFactory(subject_default="Saved on the header")
    SegmentLineFactory(segment=segment, subject="Old")
    update_lines(
        sales_client, segment, [{"field": "subject_default", "old": "Old", "new": "Injected"}], "subject_default"
    )
    assert list(SegmentLine.objects.filter(segment=segment).values_list("subject", flat=True)) == [
        "Saved on the header"
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ([{"field": "template", "old": 987654, "new": 987655}], "Interaction template: “987654” is not a valid value."),
        ([{"field": "template", "old": "abc", "new": 1}], "Interaction template: “abc” is not a valid value."),
        ([{"field": "language_default", "old": "x" * 300, "new": "y" * 300}], "is not a valid value."),
        ([{"field": "information_flow", "old": "sideways", "new": "outbound"}], "“sideways” is not a valid value."),
        ([{"field": "unit_cost", "old": "-1e400", "new": "1"}], "is not a valid value."),
        ([{"field": "number", "old": "1", "new": "2"}], "is not a default of the segment header."),
        ("not a list", "The changes could not be read: edit the header again."),
    ],
)
def test_bad_posted_changes_get_a_clear_message_and_change_nothing(sales_client, changes, message):
    segment = SegmentFactory(language_default="en")
    line = SegmentLineFactory(segment=segment, language="en", subject="Kept")
    before = SegmentLine.objects.filter(pk=line.pk).values().get()
    field = changes[0]["field"] if isinstance(changes, list) else "template"
    response = update_lines(sales_client, segment, changes, field)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert SegmentLine.objects.filter(pk=line.pk).values().get() == before
