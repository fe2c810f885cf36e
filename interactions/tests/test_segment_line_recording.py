"""From a segment line, any interaction can be recorded for its contact: the line's
"Record interaction" link opens the new-interaction page prefilled from the line (its
template, salesperson, campaign, language, description, subject, cost, duration, flow),
with the segment's values where the line leaves them blank."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from interactions.models import InteractionLogEntry

from .factories import (
    CampaignFactory,
    InteractionTemplateFactory,
    InteractionTemplateLanguageFactory,
    PersonFactory,
    SalespersonFactory,
    SegmentFactory,
    SegmentLineFactory,
)

pytestmark = pytest.mark.django_db

NEW = reverse("interactions:new")


def form_values(response) -> dict:
    form = response.context["form"]
    return {name: form[name].value() for name in form.fields}


@pytest.fixture
def line():
    header_template = InteractionTemplateFactory(code="LETTER", unit_cost=Decimal("1.00"), description="Letter")
    meeting = InteractionTemplateFactory(
        code="MEETING", unit_cost=Decimal("50.00"), unit_duration=60, description="Meeting", information_flow="outbound"
    )
    InteractionTemplateLanguageFactory(template=meeting, language="ru")
    segment = SegmentFactory(
        template=header_template, salesperson=SalespersonFactory(code="HDR"), description="Autumn tour",
        subject_default="Autumn offer", campaign=CampaignFactory(),
    )  # fmt: skip
    own_campaign = CampaignFactory()
    return SegmentLineFactory(
        segment=segment, contact=PersonFactory(name="Ivan Petrov", language="ru"), template=meeting,
        salesperson=SalespersonFactory(code="OWN"), campaign=own_campaign, campaign_target=True, language="ru",
        subject="", description="", cost=Decimal("75.00"), duration=90, information_flow="inbound",
        initiated_by="them", time=datetime.time(14, 15),
    )  # fmt: skip


def test_the_segment_page_links_each_line_to_the_new_interaction_page(sales_client, line):
    page = sales_client.get(reverse("interactions:segment-detail", args=[line.segment.number])).content.decode()
    link = f"{NEW}?contact={line.contact.number}&amp;segment={line.segment.number}&amp;line={line.pk}"
    assert link in page
    assert "Record an interaction with Ivan Petrov" in page


def test_the_new_interaction_starts_with_the_lines_values_and_the_segments_where_the_line_has_none(sales_client, line):
    response = sales_client.get(NEW, {"contact": line.contact.number, "segment": line.segment.number, "line": line.pk})
    values = form_values(response)
    assert values["contact"] == line.contact.number
    assert values["template"] == line.template_id  # any template: a meeting, not only a call
    assert values["salesperson"] == line.salesperson_id
    assert values["campaign"] == line.campaign_id and values["campaign_target"] is True
    assert (values["language"], values["information_flow"], values["initiated_by"]) == ("ru", "inbound", "them")
    assert (Decimal(str(values["cost"])), int(values["duration"])) == (Decimal("75.00"), 90)
    assert values["description"] == "Autumn tour" and values["subject"] == "Autumn offer"  # blank on the line
    assert values["segment_number"] == line.segment.number
    assert str(values["time"]).startswith("14:15")


def test_recording_from_the_line_saves_the_interaction_for_the_lines_contact(sales_client, line):
    response = sales_client.get(NEW, {"contact": line.contact.number, "segment": line.segment.number, "line": line.pk})
    data = {name: value for name, value in form_values(response).items() if value not in (None, False)}
    data.update({"action": "save", "date": "2026-03-02", "time": "14:15", "was_successful": "on"})
    if data.get("campaign_target") is True:
        data["campaign_target"] = "on"
    response = sales_client.post(NEW, data)
    assert response.status_code == 302, response.context["form"].errors if response.context else None
    entry = InteractionLogEntry.objects.get()
    assert (entry.contact, entry.template, entry.salesperson, entry.segment_number) == (
        line.contact, line.template, line.salesperson, line.segment.number,
    )  # fmt: skip
    assert (entry.cost, entry.duration, entry.campaign) == (Decimal("75.00"), 90, line.campaign)


def test_a_line_of_another_segment_is_ignored_with_a_warning(sales_client, line):
    other = SegmentFactory()
    response = sales_client.get(NEW, {"segment": other.number, "line": line.pk})
    assert response.status_code == 200
    assert f"Segment {other.number} has no line “{line.pk}”; it was ignored." in response.content.decode()
    assert form_values(response)["contact"] in ("", None)
